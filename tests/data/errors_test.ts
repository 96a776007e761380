import assert from "node:assert/strict";
import { DataError, quoteValue, renderDataError } from "../../lib/data/errors.ts";

Deno.test("DataError renders std-style messages with file, column, row or line", () => {
  const cases: [string, ConstructorParameters<typeof DataError>[1], string][] = [
    ["found no rows", {}, "Cannot read data: found no rows"],
    ["file not found", { file: "a.csv" }, 'Cannot read "a.csv": file not found'],
    ["x", { file: "a.csv", column: "age" }, 'Cannot read "a.csv": column "age": x'],
    ["x", { file: "a.csv", column: "age", row: 0 }, 'Cannot read "a.csv": column "age" row 0: x'],
    ["x", { file: "a.csv", row: 3, line: 5 }, 'Cannot read "a.csv": line 5: x'],
    [
      "x",
      { action: "Cannot split", column: "split", row: 2 },
      'Cannot split data: column "split" row 2: x',
    ],
  ];
  for (const [detail, options, message] of cases) {
    const error = new DataError(detail, options);
    assert.equal(error.message, message);
    assert.equal(renderDataError(detail, options ?? {}), message);
    assert.ok(error instanceof TypeError);
    assert.equal(error.name, "DataError");
    assert.equal(error.detail, detail);
    assert.doesNotMatch(error.message, /\.$/, "no final period");
  }
});

Deno.test("DataError keeps its location fields and cause", () => {
  const cause = new Error("inner");
  const error = new DataError("bad", {
    file: "f",
    column: "c",
    row: 1,
    line: 2,
    featureType: "number",
    cause,
  });
  assert.deepEqual(
    [error.file, error.column, error.row, error.line, error.featureType, error.cause],
    ["f", "c", 1, 2, "number", cause],
  );
  assert.equal(Object.hasOwn(new DataError("bad"), "file"), false);
});

Deno.test("quoteValue() quotes and shortens values", () => {
  assert.equal(quoteValue('a"b'), '"a\\"b"');
  assert.equal(quoteValue("x".repeat(50)), `"${"x".repeat(40)}…"`);
  assert.equal(quoteValue(3n), "3n");
  assert.equal(quoteValue(null), "null");
  assert.equal(quoteValue({ a: 1 }), '{"a":1}');
  assert.equal(quoteValue(new Date(0)), '"1970-01-01T00:00:00.000Z"');
});
