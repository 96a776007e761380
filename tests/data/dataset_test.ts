import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { Dataset } from "../../lib/data/dataset.ts";
import { readCsv } from "../../lib/data/read_csv.ts";
import { assertDataError, FIXTURES } from "./_helpers.ts";

Deno.test("Dataset.fromColumns() infers Arrow types and keeps cells", () => {
  const ds = Dataset.fromColumns({
    s: ["a", null],
    n: [1, null],
    b: [true, false],
    big: [1n, 2n ** 60n],
    d: [new Date("2024-01-02T03:04:05Z"), null],
    bytes: [new Uint8Array([1, 2]), null],
    nested: [{ k: [1, 2] }, [1, "x"]],
    empty: [null, null],
  });
  const types = Object.fromEntries(ds.columnNames.map((c) => [c, String(ds.field(c).type)]));
  assert.deepEqual(types, {
    s: "Utf8",
    n: "Float64",
    b: "Bool",
    big: "Int64",
    d: "Timestamp<MILLISECOND>",
    bytes: "Binary",
    nested: "Utf8",
    empty: "Utf8",
  });
  assert.deepEqual(ds.column("big"), [1, 2n ** 60n]);
  assert.deepEqual(ds.column("d"), ["2024-01-02T03:04:05.000Z", null]);
  assert.deepEqual(ds.column("nested"), [{ k: [1, 2] }, [1, "x"]]);
});

Deno.test("Dataset cells survive the Arrow table round trip for every type", () => {
  const ds = Dataset.fromColumns({
    s: ["a", null, "日本"],
    n: [1.5, null, -0],
    b: [true, null, false],
    big: [1n, null, 2n ** 60n],
    d: [new Date("2024-01-02T03:04:05Z"), null, new Date(0)],
    nested: [{ k: [1, 2] }, null, [1, "x"]],
  });
  const back = Dataset.fromTable(arrow.tableFromIPC(arrow.tableToIPC(ds.table)));
  for (const name of ds.columnNames) assert.deepEqual(back.column(name), ds.column(name), name);
});

Deno.test("Dataset.fromColumns() rejects columns of different lengths", async () => {
  await assertDataError(
    () => Dataset.fromColumns({ a: [1, 2], b: [1] }),
    'Cannot read data: column "b": expected 2 values as in column "a", found 1',
  );
});

Deno.test("Dataset.fromRecords() rejects non-records, naming the row", async () => {
  await assertDataError(
    () => Dataset.fromRecords([{ a: 1 }, 5 as unknown as Record<string, unknown>]),
    "Cannot read data: row 1: expected a record (an object), received 5",
    { row: 1 },
  );
});

Deno.test("Dataset.select(), head() and selectColumns() return new datasets", async () => {
  const ds = await readCsv(`${FIXTURES}people.csv`);
  const picked = ds.select(new Int32Array([3, 0, 0]));
  assert.deepEqual(picked.column("name"), ["Dan", "Ann", "Ann"]);
  assert.equal(picked.source, ds.source);
  assert.deepEqual(ds.head(2).column("id"), ["1", "2"]);
  assert.equal(ds.head(100).numRows, 4);
  assert.equal(ds.select([]).numRows, 0);
  assert.deepEqual(ds.select([]).columnNames, ds.columnNames);
  assert.deepEqual(ds.selectColumns(["member", "id"]).columnNames, ["member", "id"]);
  assert.throws(() => ds.select([4]), RangeError);
  assert.throws(() => ds.select([1.5]), RangeError);
  assert.equal(ds.numRows, 4, "the original is unchanged");
});

Deno.test("Dataset.column() on an absent column suggests the closest name", async () => {
  const ds = await readCsv(`${FIXTURES}people.csv`);
  await assertDataError(
    () => ds.column("nmae"),
    `Cannot read "${FIXTURES}people.csv": column "nmae": not found: did you mean "name"?`,
  );
});

Deno.test("Dataset.numbers() parses string cells and names the bad row", async () => {
  const ds = Dataset.fromColumns({ x: ["1", null, "abc"], y: [1, 2, 3], z: [true, false, null] });
  assert.deepEqual(Array.from(ds.numbers("y")), [1, 2, 3]);
  assert.deepEqual(Array.from(ds.numbers("z")), [1, 0, NaN]);
  await assertDataError(
    () => ds.numbers("x"),
    'Cannot read data: column "x" row 2: cannot parse "abc" as a number',
    { column: "x", row: 2, featureType: "number" },
  );
});

Deno.test("Dataset.checksum() is a content hash: equal data equal, different data different", async () => {
  const a = Dataset.fromRecords([{ x: 1, s: "a" }, { x: 2, s: null }]);
  const b = Dataset.fromColumns({ x: [1, 2], s: ["a", null] });
  const renamed = Dataset.fromColumns({ y: [1, 2], s: ["a", null] });
  const changed = Dataset.fromColumns({ x: [1, 3], s: ["a", null] });
  const nullVsNaN = Dataset.fromColumns({ x: [1, NaN], s: ["a", null] });
  const nullVsEmpty = Dataset.fromColumns({ x: [1, 2], s: ["a", ""] });
  const stringNumbers = Dataset.fromColumns({ x: ["1", "2"], s: ["a", null] });
  const reordered = Dataset.fromColumns({ s: ["a", null], x: [1, 2] });
  const sum = await a.checksum();
  assert.match(sum, /^[0-9a-f]{64}$/);
  assert.equal(sum, await b.checksum());
  for (const other of [renamed, changed, nullVsNaN, nullVsEmpty, stringNumbers, reordered]) {
    assert.notEqual(sum, await other.checksum());
  }
  // A file-backed dataset hashes the file; a selection of it hashes its content.
  const file = await readCsv(`${FIXTURES}people.csv`);
  const bytes = await Deno.readFile(`${FIXTURES}people.csv`);
  const hex = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
    (x) => x.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(await file.checksum(), hex);
  const all = file.select([0, 1, 2, 3]);
  assert.notEqual(await all.checksum(), hex);
  assert.equal(await all.checksum(), await file.select([0, 1, 2, 3]).checksum());
  assert.notEqual(await all.checksum(), await file.select([0, 1, 2]).checksum());
});

Deno.test("Dataset.toString() summarizes the shape", () => {
  const text = String(Dataset.fromColumns({ a: [1, 2, 3, 4, 5, 6, 7] }));
  assert.match(text, /^Dataset "in-memory": 7 rows × 1 columns\n\{"a":1\}/);
  assert.match(text, /… 2 more rows$/);
});

Deno.test("Dataset renders itself in Jupyter as an HTML table", () => {
  const ds = Dataset.fromRecords([{ a: "<x>", b: null }, { a: "y", b: [1] }]);
  const display = (ds as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ];
  const bundle = display.call(ds);
  assert.match(bundle["text/html"], /<caption>in-memory: 2 rows × 2 columns<\/caption>/);
  assert.match(bundle["text/html"], /<td>&lt;x&gt;<\/td><td><i>null<\/i><\/td>/);
  assert.equal(bundle["text/plain"], String(ds));
});
