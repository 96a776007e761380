import assert from "node:assert/strict";
import { parseDateCell, tryParseDatetime } from "../../lib/data/datetime.ts";
import { assertDataError } from "./_helpers.ts";

Deno.test("tryParseDatetime() detects common layouts, reading zoneless times as UTC", () => {
  const cases: [string, string][] = [
    ["2024-05-01", "2024-05-01T00:00:00.000Z"],
    ["2024-5-1", "2024-05-01T00:00:00.000Z"],
    ["2024-05-01T13:45:10", "2024-05-01T13:45:10.000Z"],
    ["2024-05-01 13:45:10.250", "2024-05-01T13:45:10.250Z"],
    ["2024-05-01T13:45:10Z", "2024-05-01T13:45:10.000Z"],
    ["2024-05-01T13:45:10+02:00", "2024-05-01T11:45:10.000Z"],
    ["2024-05-01 1:05 pm", "2024-05-01T13:05:00.000Z"],
    ["2024/05/01", "2024-05-01T00:00:00.000Z"],
    ["20240501", "2024-05-01T00:00:00.000Z"],
    ["05/01/2024", "2024-05-01T00:00:00.000Z"],
    ["01.05.2024", "2024-05-01T00:00:00.000Z"],
    ["May 1, 2024", "2024-05-01T00:00:00.000Z"],
    ["September 3rd, 2021", "2021-09-03T00:00:00.000Z"],
    ["1 May 2024", "2024-05-01T00:00:00.000Z"],
  ];
  for (const [text, iso] of cases) assert.equal(tryParseDatetime(text)?.toISOString(), iso, text);
  for (
    const bad of ["", "soon", "2024-13-01", "2023-02-29", "2024-04-31", "12:00", "1.5", "abc 2024"]
  ) {
    assert.equal(tryParseDatetime(bad), undefined, bad);
  }
  assert.equal(tryParseDatetime(5), undefined);
});

Deno.test("tryParseDatetime() follows a strftime datetime_format", () => {
  const cases: [string, string, string][] = [
    ["01/05/24", "%d/%m/%y", "2024-05-01T00:00:00.000Z"],
    ["1999-12-31 23:59", "%Y-%m-%d %H:%M", "1999-12-31T23:59:00.000Z"],
    ["03 Feb 2020 07:08:09 PM", "%d %b %Y %I:%M:%S %p", "2020-02-03T19:08:09.000Z"],
    ["2020-032", "%Y-%j", "2020-02-01T00:00:00.000Z"],
    ["2020-01-01T00:00:00.5+0100", "%Y-%m-%dT%H:%M:%S.%f%z", "2019-12-31T23:00:00.500Z"],
    ["100%/2020", "100%%/%Y", "2020-01-01T00:00:00.000Z"],
  ];
  for (const [text, format, iso] of cases) {
    assert.equal(tryParseDatetime(text, format)?.toISOString(), iso, `${text} ${format}`);
  }
  assert.equal(tryParseDatetime("2020-01-01", "%d/%m/%Y"), undefined);
});

Deno.test("parseDateCell() returns null for missing cells and names the row otherwise", async () => {
  assert.equal(parseDateCell(null), null);
  assert.equal(parseDateCell("  "), null);
  await assertDataError(
    () =>
      parseDateCell("2020-01-01", {
        file: "d.csv",
        column: "when",
        row: 9,
        datetimeFormat: "%d/%m/%Y",
      }),
    'Cannot read "d.csv": column "when" row 9: cannot parse "2020-01-01" as a date in the format "%d/%m/%Y"',
    { featureType: "date" },
  );
  await assertDataError(() => tryParseDatetime("x", "%Q"), /unsupported directive "%Q"/);
});
