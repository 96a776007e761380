import assert from "node:assert/strict";
import { parseJson, readJson, readJsonl } from "../../lib/data/read_json.ts";
import { assertDataError, withTempDir } from "./_helpers.ts";

Deno.test("readJson() keeps JSON types and fills missing keys with null", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/d.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify([
        { n: 1, s: "a", b: true, list: [1, 2], obj: { k: 1 }, mixed: 1 },
        { n: 2.5, s: null, b: false, list: [], obj: null, mixed: "x" },
        { n: null, b: true },
      ]),
    );
    const ds = await readJson(path);
    assert.deepEqual(ds.column("n"), [1, 2.5, null]);
    assert.deepEqual(ds.column("s"), ["a", null, null]);
    assert.deepEqual(ds.column("b"), [true, false, true]);
    assert.deepEqual(ds.column("list"), [[1, 2], [], null]);
    assert.deepEqual(ds.column("obj"), [{ k: 1 }, null, null]);
    assert.deepEqual(ds.column("mixed"), [1, "x", null]);
    assert.equal(String(ds.field("n").type), "Float64");
    assert.equal(String(ds.field("b").type), "Bool");
    // The Arrow table round-trips the mixed (JSON-tagged) column.
    assert.deepEqual(ds.table.getChild("mixed")?.toArray(), ["1", '"x"', null]);
  });
});

Deno.test("parseJson() accepts pandas' column orientation", () => {
  const ds = parseJson('{"a": {"0": 1, "1": 2}, "b": {"0": "x", "1": "y"}}');
  assert.deepEqual(ds.toRecords(), [{ a: 1, b: "x" }, { a: 2, b: "y" }]);
  const lists = parseJson('{"a": [1, 2], "b": ["x", null]}');
  assert.deepEqual(lists.column("b"), ["x", null]);
});

Deno.test("readJsonl() streams records, skips blank lines and honours limit and columns", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/d.jsonl`;
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i, text: `row ${i}` }));
    await Deno.writeTextFile(path, lines.join("\n") + "\n\n");
    const ds = await readJsonl(path);
    assert.equal(ds.numRows, 5000);
    assert.equal(ds.column("text")[4999], "row 4999");
    const few = await readJsonl(path, { limit: 3, columns: ["text"] });
    assert.deepEqual(few.column("text"), ["row 0", "row 1", "row 2"]);
    assert.deepEqual(few.columnNames, ["text"]);
  });
});

Deno.test("JSON readers reject NaN and Infinity unless allowed, naming column and row", async () => {
  await withTempDir(async (dir) => {
    const jsonl = `${dir}/d.jsonl`;
    await Deno.writeTextFile(jsonl, '{"a": 1, "b": "NaN"}\n{"a": NaN, "b": "x"}\n');
    await assertDataError(
      () => readJsonl(jsonl),
      `Cannot read "${jsonl}": column "a" row 1: found NaN, which JSON does not allow: use null for a missing value, or pass "allowNonFinite"`,
      { file: jsonl, column: "a", row: 1 },
    );
    const ok = await readJsonl(jsonl, { allowNonFinite: true });
    assert.deepEqual(ok.column("a"), [1, NaN]);
    assert.deepEqual(ok.column("b"), ["NaN", "x"], 'the string "NaN" stays a string');

    const json = `${dir}/d.json`;
    await Deno.writeTextFile(json, '[{"a": 1}, {"a": 2}, {"a": -Infinity}]');
    await assertDataError(
      () => readJson(json),
      `Cannot read "${json}": column "a" row 2: found -Infinity, which JSON does not allow: use null for a missing value, or pass "allowNonFinite"`,
    );
    assert.deepEqual((await readJson(json, { allowNonFinite: true })).column("a"), [
      1,
      2,
      -Infinity,
    ]);
  });
});

Deno.test("JSON readers report malformed and empty files", async () => {
  await withTempDir(async (dir) => {
    const bad = `${dir}/bad.jsonl`;
    await Deno.writeTextFile(bad, '{"a": 1}\n{"a": \n');
    await assertDataError(
      () => readJsonl(bad),
      /^Cannot read ".*bad\.jsonl": line 2: invalid JSON: /,
      {
        line: 2,
      },
    );
    const scalar = `${dir}/scalar.jsonl`;
    await Deno.writeTextFile(scalar, '{"a": 1}\n[1]\n');
    await assertDataError(
      () => readJsonl(scalar),
      `Cannot read "${scalar}": line 2: expected a JSON object (a record), found [1]`,
    );
    const empty = `${dir}/empty.json`;
    await Deno.writeTextFile(empty, " \n");
    await assertDataError(() => readJson(empty), `Cannot read "${empty}": the file is empty`);
    const none = `${dir}/none.json`;
    await Deno.writeTextFile(none, "[]");
    await assertDataError(() => readJson(none), `Cannot read "${none}": found no records`);
    await assertDataError(
      () => readJson(`${dir}/missing.json`),
      `Cannot read "${dir}/missing.json": file not found`,
    );
    const cols = `${dir}/c.json`;
    await Deno.writeTextFile(cols, '[{"label": 1}]');
    await assertDataError(
      () => readJson(cols, { columns: ["lable"] }),
      `Cannot read "${cols}": column "lable": not found: did you mean "label"?`,
    );
  });
});
