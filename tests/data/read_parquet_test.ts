import assert from "node:assert/strict";
import { parquetWriteBuffer } from "hyparquet-writer";
import { parseParquet, readParquet } from "../../lib/data/read_parquet.ts";
import { assertDataError, FIXTURES, withTempDir } from "./_helpers.ts";

Deno.test("readParquet() reads the fixture with native types converted to cells", async () => {
  const ds = await readParquet(`${FIXTURES}people.parquet`);
  assert.equal(ds.numRows, 3);
  assert.deepEqual(ds.columnNames, ["id", "name", "age", "member", "joined", "count"]);
  assert.deepEqual(ds.column("id"), [1, 2, 9007199254740993n]);
  assert.deepEqual(ds.column("name"), ["Ann", "Bob", null]);
  assert.deepEqual(ds.column("age"), [31.5, null, 27]);
  assert.deepEqual(ds.column("member"), [true, false, null]);
  assert.deepEqual(ds.column("joined"), [
    "2020-01-02T03:04:05.000Z",
    null,
    "2021-06-30T00:00:00.000Z",
  ]);
  assert.deepEqual(ds.column("count"), [7, 8, 9]);
  assert.equal(String(ds.field("id").type), "Int64");
  assert.equal(String(ds.field("joined").type), "Timestamp<MILLISECOND>");
  // The Arrow table view of Parquet data is consistent with the cells.
  assert.equal(ds.table.getChild("id")?.get(2), 9007199254740993n);
});

Deno.test("readParquet() reads only the requested columns and rows, across row groups", async () => {
  const n = 2500;
  const bytes = new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "i", data: Array.from({ length: n }, (_, k) => k), type: "DOUBLE" },
      { name: "s", data: Array.from({ length: n }, (_, k) => `v${k}`), type: "STRING" },
    ],
    rowGroupSize: 1000,
  }));
  const all = await parseParquet(bytes);
  assert.equal(all.numRows, n);
  assert.equal(all.column("s")[2499], "v2499");
  assert.equal(all.column("i")[1500], 1500);
  const some = await parseParquet(bytes, { columns: ["s"], limit: 1200 });
  assert.deepEqual(some.columnNames, ["s"]);
  assert.equal(some.numRows, 1200);
  assert.equal(some.column("s")[1199], "v1199");
});

Deno.test("readParquet() errors name the file and column", async () => {
  await withTempDir(async (dir) => {
    const empty = `${dir}/empty.parquet`;
    await Deno.writeFile(empty, new Uint8Array());
    await assertDataError(() => readParquet(empty), `Cannot read "${empty}": the file is empty`);
    const garbage = `${dir}/garbage.parquet`;
    await Deno.writeTextFile(garbage, "this is not a parquet file");
    await assertDataError(
      () => readParquet(garbage),
      /^Cannot read ".*garbage\.parquet": invalid Parquet data: /,
    );
    await assertDataError(
      () => readParquet(`${FIXTURES}people.parquet`, { columns: ["agee"] }),
      `Cannot read "${FIXTURES}people.parquet": column "agee": not found: did you mean "age"?`,
      { column: "agee" },
    );
    await assertDataError(
      () => readParquet(`${dir}/x.parquet`),
      `Cannot read "${dir}/x.parquet": file not found`,
    );
  });
});
