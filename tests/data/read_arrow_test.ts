import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { parseArrow, readArrow } from "../../lib/data/read_arrow.ts";
import { assertDataError, FIXTURES, withTempDir } from "./_helpers.ts";

Deno.test("readArrow() reads the fixture with native types converted to cells", async () => {
  const ds = await readArrow(`${FIXTURES}people.arrow`);
  assert.equal(ds.numRows, 3);
  assert.deepEqual(
    ds.column("id"),
    [1, 2, 9007199254740993n],
    "safe Int64 → number, unsafe → bigint",
  );
  assert.deepEqual(ds.column("name"), ["Ann", "Bob", null]);
  assert.deepEqual(ds.column("day"), ["2020-01-02", null, "2021-06-30"]);
  assert.deepEqual(ds.column("tags"), [["a", "b"], [], null]);
  assert.deepEqual(ds.column("color"), ["red", "blue", "red"]);
  assert.equal(String(ds.field("day").type), "Date32<DAY>");
});

Deno.test("readArrow() reads both the IPC file and stream formats", async () => {
  await withTempDir(async (dir) => {
    const table = arrow.tableFromArrays({
      x: new Float64Array([1.5, 2.5]),
      n: new Int32Array([1, 2]),
      b: [true, false],
    });
    for (const format of ["file", "stream"] as const) {
      const path = `${dir}/t.${format === "file" ? "arrow" : "arrows"}`;
      await Deno.writeFile(path, arrow.tableToIPC(table, format));
      const ds = await readArrow(path);
      assert.deepEqual(ds.toRecords(), [{ x: 1.5, n: 1, b: true }, { x: 2.5, n: 2, b: false }]);
      assert.equal(ds.table, ds.table, "the table is the one read, not a copy");
    }
  });
});

Deno.test("readArrow() honours columns and limit, timestamps become ISO strings", () => {
  const table = new arrow.Table({
    t: arrow.vectorFromArray(
      [new Date("2024-05-01T10:00:00Z"), null],
      new arrow.TimestampMillisecond(),
    ),
    y: arrow.vectorFromArray([1, 2], new arrow.Float64()),
  });
  const ds = parseArrow(arrow.tableToIPC(table), { columns: ["t"], limit: 1 });
  assert.deepEqual(ds.columnNames, ["t"]);
  assert.deepEqual(ds.column("t"), ["2024-05-01T10:00:00.000Z"]);
});

Deno.test("readArrow() errors name the file and column", async () => {
  await withTempDir(async (dir) => {
    const empty = `${dir}/empty.arrow`;
    await Deno.writeFile(empty, new Uint8Array());
    await assertDataError(() => readArrow(empty), `Cannot read "${empty}": the file is empty`);
    const garbage = `${dir}/garbage.feather`;
    await Deno.writeTextFile(garbage, "not arrow at all");
    await assertDataError(
      () => readArrow(garbage),
      /^Cannot read ".*garbage\.feather": invalid Arrow IPC data/,
    );
    const noRows = `${dir}/norows.arrow`;
    await Deno.writeFile(
      noRows,
      arrow.tableToIPC(new arrow.Table({ a: arrow.vectorFromArray([], new arrow.Float64()) })),
    );
    await assertDataError(
      () => readArrow(noRows),
      `Cannot read "${noRows}": found a schema but no rows`,
    );
    await assertDataError(
      () => readArrow(`${FIXTURES}people.arrow`, { columns: ["nmae"] }),
      `Cannot read "${FIXTURES}people.arrow": column "nmae": not found: did you mean "name"?`,
    );
    await assertDataError(
      () => readArrow(`${dir}/none.arrow`),
      `Cannot read "${dir}/none.arrow": file not found`,
    );
  });
});
