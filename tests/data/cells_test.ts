import assert from "node:assert/strict";
import { parseBooleanCell, parseNumberCell } from "../../lib/data/cells.ts";
import { assertDataError } from "./_helpers.ts";

Deno.test("parseNumberCell() parses numbers and returns null for missing cells", () => {
  const cases: [unknown, number | null][] = [
    [3, 3],
    ["42", 42],
    [" -1.5 ", -1.5],
    ["1e-3", 0.001],
    ["+.5", 0.5],
    ["7.", 7],
    [true, 1],
    [false, 0],
    [2n, 2],
    ["", null],
    ["   ", null],
    [null, null],
    [undefined, null],
  ];
  for (const [input, expected] of cases) {
    assert.equal(parseNumberCell(input), expected, String(input));
  }
});

Deno.test("parseNumberCell() rejects non-numbers, naming file, column and row", async () => {
  const where = { file: "data.csv", column: "age", row: 17 };
  await assertDataError(
    () => parseNumberCell("abc", where),
    'Cannot read "data.csv": column "age" row 17: cannot parse "abc" as a number',
    { ...where, featureType: "number" },
  );
  for (const bad of ["1,000", "0x10", "1 2", "12abc", "--1"]) {
    await assertDataError(() => parseNumberCell(bad, where), /cannot parse .* as a number$/);
  }
  await assertDataError(() => parseNumberCell([1], where), /cannot parse \[1\] as a number$/);
});

Deno.test("parseNumberCell() rejects NaN and Infinity unless allowed", async () => {
  await assertDataError(
    () => parseNumberCell("NaN", { column: "x", row: 0 }),
    'Cannot read data: column "x" row 0: found "NaN", which is not a finite number: use an empty cell for a missing value',
  );
  await assertDataError(
    () => parseNumberCell(Infinity),
    /found Infinity, which is not a finite number/,
  );
  assert.ok(Number.isNaN(parseNumberCell("nan", { allowNonFinite: true })));
  assert.equal(parseNumberCell("-inf", { allowNonFinite: true }), -Infinity);
  assert.equal(parseNumberCell("Infinity", { allowNonFinite: true }), Infinity);
});

Deno.test("parseBooleanCell() accepts Ludwig's boolean strings case-insensitively", () => {
  for (const s of ["true", "True", "TRUE", "t", "yes", "Y", "1", "1.0", "on", "ON", " yes "]) {
    assert.equal(parseBooleanCell(s), true, s);
  }
  for (const s of ["false", "F", "no", "N", "0", "0.0", "off", "Off"]) {
    assert.equal(parseBooleanCell(s), false, s);
  }
  assert.equal(parseBooleanCell(true), true);
  assert.equal(parseBooleanCell(0), false);
  assert.equal(parseBooleanCell(1), true);
  assert.equal(parseBooleanCell(null), null);
  assert.equal(parseBooleanCell(""), null);
});

Deno.test("parseBooleanCell() uses fallback_true_label semantics, else errors", async () => {
  assert.equal(parseBooleanCell("spam", { fallbackTrueLabel: "spam" }), true);
  assert.equal(parseBooleanCell("ham", { fallbackTrueLabel: "spam" }), false);
  assert.equal(
    parseBooleanCell("yes", { fallbackTrueLabel: "spam" }),
    true,
    "conventional strings win",
  );
  assert.equal(parseBooleanCell(5, { fallbackTrueLabel: 5 }), true);
  assert.equal(parseBooleanCell(4, { fallbackTrueLabel: "5" }), false);
  await assertDataError(
    () => parseBooleanCell("maybe", { file: "d.csv", column: "ok", row: 3 }),
    'Cannot read "d.csv": column "ok" row 3: cannot parse "maybe" as a boolean: expected true/false, yes/no, y/n, t/f, on/off or 1/0, or set "fallback_true_label"',
    { featureType: "binary", row: 3 },
  );
  await assertDataError(() => parseBooleanCell(2), /cannot parse 2 as a boolean/);
});
