import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import {
  hashFraction,
  readSplitDatasets,
  splitDataset,
  splitIndices,
} from "../../lib/data/split.ts";
import { assertDataError, FIXTURES } from "./_helpers.ts";

const ids = (n: number) =>
  Dataset.fromColumns({ id: Array.from({ length: n }, (_, i) => `user_${i}`) });

function sorted(a: Int32Array): number[] {
  return Array.from(a).sort((x, y) => x - y);
}

function assertPartition(
  split: { training: Int32Array; validation: Int32Array; test: Int32Array },
  n: number,
) {
  const all = [...split.training, ...split.validation, ...split.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i), "every row exactly once");
}

Deno.test("random split: Ludwig's sizes, seeded and deterministic", () => {
  const ds = ids(1000);
  const a = splitIndices(ds);
  assertPartition(a, 1000);
  assert.deepEqual([a.training.length, a.validation.length, a.test.length], [700, 100, 200]);
  const b = splitIndices(ds, { type: "random" }, { seed: 42 });
  assert.deepEqual(a, b, "default seed is 42");
  const c = splitIndices(ds, { type: "random" }, { seed: 7 });
  assert.notDeepEqual(sorted(a.test), sorted(c.test));
  assert.deepEqual(Array.from(a.training), sorted(a.training), "original order within a split");
  const d = splitIndices(ids(10), { type: "random", probabilities: [0.8, 0, 0.2] });
  assert.deepEqual([d.training.length, d.validation.length, d.test.length], [8, 0, 2]);
});

Deno.test("random split rejects bad probabilities", () => {
  assert.throws(
    () => splitIndices(ids(5), { type: "random", probabilities: [0.5, 0.5] }),
    (e: Error) =>
      e instanceof RangeError &&
      e.message ===
        'Cannot split data: "probabilities" must be 3 numbers in [0, 1] that sum to 1, received [0.5,0.5]',
  );
  assert.throws(
    () => splitIndices(ids(5), { type: "random", probabilities: [0.9, 0.2, -0.1] }),
    RangeError,
  );
});

Deno.test("fixed split: 0/1/2 as numbers or numeric strings; bad values name the row", async () => {
  const ds = Dataset.fromColumns({ x: [1, 2, 3, 4, 5], split: ["0", "1", "2", "0.0", " 2 "] });
  const s = splitIndices(ds, { type: "fixed" });
  assert.deepEqual([Array.from(s.training), Array.from(s.validation), Array.from(s.test)], [
    [0, 3],
    [1],
    [2, 4],
  ]);
  const numeric = Dataset.fromColumns({ fold: [2, 0, 1] });
  assert.deepEqual(Array.from(splitIndices(numeric, { type: "fixed", column: "fold" }).test), [0]);
  const bad = Dataset.fromColumns({ split: ["0", "1", "train"] });
  await assertDataError(
    () => splitIndices(bad, { type: "fixed" }),
    'Cannot split data: column "split" row 2: expected 0 (training), 1 (validation) or 2 (test), received "train"',
    { column: "split", row: 2 },
  );
  await assertDataError(
    () => splitIndices(Dataset.fromColumns({ split: [0, 3] }), { type: "fixed" }),
    'Cannot split data: column "split" row 1: expected 0 (training), 1 (validation) or 2 (test), received 3',
  );
  await assertDataError(
    () => splitIndices(Dataset.fromColumns({ split: [0, null] }), { type: "fixed" }),
    /row 1: expected 0 \(training\), 1 \(validation\) or 2 \(test\), received null$/,
  );
  await assertDataError(
    () => splitIndices(Dataset.fromColumns({ splt: [0] }), { type: "fixed" }),
    'Cannot read data: column "split": not found: did you mean "splt"?',
  );
});

Deno.test("fixed split of a CSV file names the file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  try {
    await Deno.writeTextFile(path, "x,split\n1,0\n2,7\n");
    const { readCsv } = await import("../../lib/data/read_csv.ts");
    const ds = await readCsv(path);
    await assertDataError(
      () => splitDataset(ds, { type: "fixed" }),
      `Cannot split "${path}": column "split" row 1: expected 0 (training), 1 (validation) or 2 (test), received "7"`,
      { file: path },
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("stratify split keeps class proportions in every split", () => {
  const labels: string[] = [];
  for (let i = 0; i < 900; i++) labels.push("a");
  for (let i = 0; i < 90; i++) labels.push("b");
  for (let i = 0; i < 10; i++) labels.push("c");
  // Interleave so classes are not contiguous.
  const order = labels.map((l, i) => ({ l, k: (i * 7919) % 1000 })).sort((x, y) => x.k - y.k);
  const ds = Dataset.fromColumns({ label: order.map((o) => o.l) });
  const s = splitIndices(ds, { type: "stratify", column: "label", probabilities: [0.7, 0.1, 0.2] });
  assertPartition(s, 1000);
  const cells = ds.column("label");
  const count = (rows: Int32Array, label: string) =>
    Array.from(rows).filter((r) => cells[r] === label).length;
  assert.deepEqual([count(s.training, "a"), count(s.validation, "a"), count(s.test, "a")], [
    630,
    90,
    180,
  ]);
  assert.deepEqual([count(s.training, "b"), count(s.validation, "b"), count(s.test, "b")], [
    63,
    9,
    18,
  ]);
  assert.deepEqual([count(s.training, "c"), count(s.validation, "c"), count(s.test, "c")], [
    7,
    1,
    2,
  ]);
  assert.deepEqual(s, splitIndices(ds, { type: "stratify", column: "label" }), "deterministic");
  assert.notDeepEqual(
    sorted(s.test),
    sorted(splitIndices(ds, { type: "stratify", column: "label" }, { seed: 1 }).test),
  );
});

Deno.test("hash split is stable across runs, row order and dataset size", async () => {
  const ds = ids(2000);
  const s = splitIndices(ds, { type: "hash", column: "id" });
  assertPartition(s, 2000);
  // Proportions are close to the probabilities.
  assert.ok(Math.abs(s.training.length / 2000 - 0.7) < 0.04, `training ${s.training.length}`);
  assert.ok(Math.abs(s.test.length / 2000 - 0.2) < 0.04, `test ${s.test.length}`);
  const testIds = new Set(Array.from(s.test, (r) => ds.column("id")[r]));
  // Reverse the rows and drop half: every remaining id stays in the same split.
  const reversed = Dataset.fromColumns({
    id: [...ds.column("id")].reverse().filter((_, i) => i % 2 === 0),
  });
  const r = splitIndices(reversed, { type: "hash", column: "id" }, { seed: 99 });
  const reversedTest = new Set(Array.from(r.test, (k) => reversed.column("id")[k]));
  for (const id of reversed.column("id")) assert.equal(testIds.has(id), reversedTest.has(id));
  // The hash itself is pinned: changing it would move ids between splits.
  assert.deepEqual(
    ["a", "user_1", ""].map((t) => hashFraction(t).toFixed(6)),
    ["0.880329", "0.462851", "0.370693"],
  );
  await assertDataError(
    () => splitIndices(Dataset.fromColumns({ id: ["x", null] }), { type: "hash", column: "id" }),
    'Cannot split data: column "id" row 1: found a missing id: hash splits need an id in every row',
  );
});

Deno.test("datetime split puts the earliest rows in training", async () => {
  const dates = [
    "2024-01-05",
    "2023-12-31",
    "2024-03-01",
    null,
    "2024-02-10",
    "2024-01-01",
    "2024-01-20",
    "2024-02-01",
    "2024-01-10",
    "2024-01-15",
  ];
  const ds = Dataset.fromColumns({ when: dates, i: dates.map((_, k) => k) });
  const s = splitDataset(ds, { type: "datetime", column: "when", probabilities: [0.6, 0.2, 0.2] });
  assert.deepEqual(s.training.column("when"), [
    "2023-12-31",
    "2024-01-01",
    "2024-01-05",
    "2024-01-10",
    "2024-01-15",
    "2024-01-20",
  ]);
  assert.deepEqual(s.validation.column("when"), ["2024-02-01", "2024-02-10"]);
  assert.deepEqual(s.test.column("when"), ["2024-03-01", null], "missing dates sort last");
  const formatted = Dataset.fromColumns({ d: ["05/01/2024", "01/02/2024", "31/12/2023"] });
  const f = splitIndices(formatted, {
    type: "datetime",
    column: "d",
    probabilities: [0.34, 0.33, 0.33],
    datetime_format: "%d/%m/%Y",
  });
  assert.deepEqual(Array.from(f.training), [2]);
  await assertDataError(
    () =>
      splitIndices(Dataset.fromColumns({ d: ["2024-01-01", "soon"] }), {
        type: "datetime",
        column: "d",
      }),
    'Cannot split data: column "d" row 1: cannot parse "soon" as a date',
    { featureType: "date" },
  );
});

Deno.test("splitDataset() reports empty splits and rejects an empty training split", async () => {
  const ds = Dataset.fromColumns({ split: [0, 0, 2] });
  const s = splitDataset(ds, { type: "fixed" });
  assert.deepEqual(s.empty, ["validation"]);
  assert.equal(s.validation.numRows, 0);
  assert.deepEqual(s.validation.columnNames, ["split"]);
  await assertDataError(
    () => splitDataset(Dataset.fromColumns({ split: [1, 2] }), { type: "fixed" }),
    'Cannot split data: the training split is empty: check "preprocessing.split"',
  );
  assert.throws(
    () => splitIndices(ds, { type: "kfold" } as never),
    /^TypeError: Cannot split data: unknown split type "kfold": expected one of "random", "fixed", "stratify", "hash", "datetime"$/,
  );
  assert.throws(() => splitIndices(ds, { type: "stratify" } as never), /needs "column"/);
});

Deno.test("readSplitDatasets() reads Ludwig's separate training/validation/test sets", async () => {
  const s = await readSplitDatasets({
    training_set: `${FIXTURES}people.csv`,
    validation_set: [{ id: "9", name: "Zed" }],
  }, { columns: ["id", "name"] });
  assert.equal(s.training.numRows, 4);
  assert.deepEqual(s.validation.column("name"), ["Zed"]);
  assert.equal(s.test.numRows, 0);
  assert.deepEqual(s.test.columnNames, ["id", "name"]);
  assert.deepEqual(s.empty, ["test"]);
});
