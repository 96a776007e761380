import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import { readArrow } from "../../lib/data/read_arrow.ts";
import { readCsv } from "../../lib/data/read_csv.ts";
import { readParquet } from "../../lib/data/read_parquet.ts";
import { writeArrow, writeCsv, writeParquet } from "../../lib/data/write.ts";
import { withTempDir } from "./_helpers.ts";

const typed = () =>
  Dataset.fromColumns({
    s: ['a,"b"', "line\nbreak", null, ""],
    n: [1.5, null, -2, 1e21],
    b: [true, false, null, true],
    big: [1n, 2n ** 60n, null, 3n],
    when: [new Date("2024-01-02T03:04:05Z"), null, new Date(0), new Date(1e12)],
    mixed: [1, "x", [1, 2], { k: "v" }],
  });

Deno.test("writeCsv() quotes what needs quoting and round-trips through readCsv()", async () => {
  await withTempDir(async (dir) => {
    const ds = typed();
    await writeCsv(ds, `${dir}/t.csv`);
    const back = await readCsv(`${dir}/t.csv`);
    assert.deepEqual(back.column("s"), ['a,"b"', "line\nbreak", null, null]);
    assert.deepEqual(back.column("n"), ["1.5", null, "-2", "1e+21"]);
    assert.deepEqual(back.column("b"), ["true", "false", null, "true"]);
    assert.deepEqual(back.column("big"), ["1", "1152921504606846976", null, "3"]);
    assert.deepEqual(back.column("mixed"), ["1", "x", "[1,2]", '{"k":"v"}']);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["t.csv"], "no temp file left");
  });
});

Deno.test("writeArrow() and writeParquet() round-trip native types", async () => {
  await withTempDir(async (dir) => {
    const ds = typed();
    await writeArrow(ds, `${dir}/t.arrow`);
    await writeParquet(ds, `${dir}/t.parquet`);
    const fromArrow = await readArrow(`${dir}/t.arrow`);
    for (const name of ds.columnNames) {
      assert.deepEqual(fromArrow.column(name), ds.column(name), `arrow ${name}`);
    }
    const fromParquet = await readParquet(`${dir}/t.parquet`);
    for (const name of ["s", "n", "b", "big", "when"]) {
      assert.deepEqual(fromParquet.column(name), ds.column(name), `parquet ${name}`);
    }
  });
});

Deno.test("writers replace files atomically and leave the old file on failure", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/t.csv`;
    await Deno.writeTextFile(path, "old\n1\n");
    await writeCsv(Dataset.fromColumns({ fresh: ["x"] }), path);
    assert.equal(await Deno.readTextFile(path), "fresh\nx\n");
    await assert.rejects(() =>
      writeCsv(Dataset.fromColumns({ a: [1] }), `${dir}/missing_dir/t.csv`)
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["t.csv"]);
  });
});
