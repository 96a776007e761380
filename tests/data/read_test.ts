import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { Dataset } from "../../lib/data/dataset.ts";
import { detectFormat, readDataset } from "../../lib/data/read.ts";
import { writeArrow, writeCsv, writeParquet } from "../../lib/data/write.ts";
import { assertDataError, FIXTURES, withTempDir } from "./_helpers.ts";

Deno.test("detectFormat() maps extensions, looking through .gz", () => {
  const cases: [string, string | undefined][] = [
    ["a.csv", "csv"],
    ["A.CSV", "csv"],
    ["dir.v2/a.tsv", "tsv"],
    ["a.json", "json"],
    ["a.jsonl", "jsonl"],
    ["a.ndjson", "jsonl"],
    ["a.arrow", "arrow"],
    ["a.ipc", "arrow"],
    ["a.feather", "feather"],
    ["a.parquet", "parquet"],
    ["a.jsonl.gz", "jsonl"],
    ["a.xlsx", undefined],
    ["noext", undefined],
  ];
  for (const [path, format] of cases) assert.equal(detectFormat(path), format, path);
});

Deno.test("readDataset() reads every file format to the same cells", async () => {
  await withTempDir(async (dir) => {
    const source = Dataset.fromColumns({ name: ["Ann", "Bob", null], score: ["1.5", "2", null] });
    await writeCsv(source, `${dir}/d.csv`);
    await writeCsv(source, `${dir}/d.tsv`, { delimiter: "\t" });
    await Deno.writeTextFile(`${dir}/d.json`, JSON.stringify(source.toRecords()));
    await Deno.writeTextFile(
      `${dir}/d.jsonl`,
      source.toRecords().map((r) => JSON.stringify(r)).join("\n"),
    );
    await writeArrow(source, `${dir}/d.arrow`);
    await writeArrow(source, `${dir}/d.feather`);
    await writeParquet(source, `${dir}/d.parquet`);
    for (const ext of ["csv", "tsv", "json", "jsonl", "arrow", "feather", "parquet"]) {
      const ds = await readDataset(`${dir}/d.${ext}`);
      assert.deepEqual(ds.toRecords(), source.toRecords(), ext);
      assert.equal(ds.source, `${dir}/d.${ext}`);
    }
    // An explicit format overrides the extension, with Ludwig's names.
    await Deno.copyFile(`${dir}/d.jsonl`, `${dir}/d.txt`);
    assert.equal((await readDataset(`${dir}/d.txt`, { format: "ndjson" })).numRows, 3);
    assert.equal((await readDataset(new URL(`file://${dir}/d.csv`))).numRows, 3);
  });
});

Deno.test("readDataset() accepts in-memory sources", async () => {
  const records = [{ a: 1, b: "x" }, { a: 2, b: "y" }];
  assert.deepEqual((await readDataset(records)).toRecords(), records);
  assert.deepEqual((await readDataset({ a: [1, 2], b: ["x", "y"] })).toRecords(), records);
  const table = arrow.tableFromArrays({ a: new Float64Array([1, 2]) });
  assert.deepEqual((await readDataset(table)).column("a"), [1, 2]);
  const ds = Dataset.fromRecords(records);
  assert.equal(await readDataset(ds), ds);
  const projected = await readDataset(ds, { columns: ["b"], limit: 1 });
  assert.deepEqual(projected.toRecords(), [{ b: "x" }]);
  assert.equal(projected.source, "in-memory");
  await assertDataError(
    () => readDataset(records, { columns: ["bb"] }),
    'Cannot read data: column "bb": not found: did you mean "b"?',
  );
});

Deno.test("readDataset() rejects unknown and unsupported formats", async () => {
  await assertDataError(
    () => readDataset(`${FIXTURES}people.csv`, { format: "excel" }),
    `Cannot read "${FIXTURES}people.csv": format "excel" is not supported for files: expected one of "csv", "tsv", "json", "jsonl", "arrow", "feather", "parquet"`,
  );
  await assertDataError(
    () => readDataset(`${FIXTURES}people.csv`, { format: "cvs" }),
    /: unknown format "cvs": expected one of/,
  );
  await assertDataError(
    () => readDataset("data.bin"),
    'Cannot read "data.bin": cannot tell the format from the extension: pass "format", one of "csv", "tsv", "json", "jsonl", "arrow", "feather", "parquet"',
  );
  await assertDataError(
    () => readDataset("missing.parquet"),
    'Cannot read "missing.parquet": file not found',
  );
});
