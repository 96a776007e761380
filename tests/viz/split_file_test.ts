// Split files: training writes Ludwig's `<dataset>.split.parquet` into the run folder, and
// `sonata visualize --split_file` uses it to draw ground-truth charts for a random split (before,
// the whole dataset's labels met the test predictions: "received 1210 labels and 242 rows").
// Charts needing training-set metadata find it next to the statistics.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Model } from "../../mod.ts";
import { runVisualize } from "../../lib/viz/cli.ts";
import { readSplitFile, splitColumn, writeSplitFile } from "../../lib/viz/split_file.ts";
import { withTempDir } from "./_helpers.ts";

async function visualize(args: string[]) {
  const stdout: string[] = [], stderr: string[] = [];
  const code = await runVisualize(args, {
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
  });
  return { code, stdout, stderr };
}

Deno.test("split files round-trip as Parquet, and read as CSV with or without a header", async () => {
  await withTempDir(async (dir) => {
    const parts = { rows: 5, training: Int32Array.of(0, 4), validation: Int32Array.of(2) };
    const path = await writeSplitFile(dir, `${dir}/data/iris.csv`, {
      ...parts,
      test: Int32Array.of(1),
    });
    assert.equal(path, join(dir, "iris.split.parquet"));
    assert.deepEqual(await readSplitFile(path), [0, 2, 1, -1, 0]);
    assert.deepEqual([...splitColumn(parts)], [0, -1, 1, -1, 0]);
    await Deno.writeTextFile(`${dir}/a.csv`, "split\n0\n2\n");
    assert.deepEqual(await readSplitFile(`${dir}/a.csv`), [0, 2]);
    await Deno.writeTextFile(`${dir}/b.csv`, "1\n2\n0\n");
    assert.deepEqual(await readSplitFile(`${dir}/b.csv`), [1, 2, 0]);
    await Deno.writeTextFile(`${dir}/c.csv`, "fold\n0\n");
    await assert.rejects(() => readSplitFile(`${dir}/c.csv`), /expected a "split" column/);
    await Deno.writeTextFile(`${dir}/d.csv`, "split\n0\nx\n");
    await assert.rejects(() => readSplitFile(`${dir}/d.csv`), /row 2 has split "x"/);
  });
});

Deno.test("experiment writes the split file; visualize -sf draws ground-truth charts of a random split", async () => {
  await withTempDir(async (dir) => {
    // 120 rows, y = x > 0: a random 70/10/20 split puts about 24 rows in the test split.
    const rows = Array.from({ length: 120 }, (_, i) => {
      const x = ((i * 37) % 120) / 60 - 1;
      return `${x.toFixed(4)},${x > 0 ? "yes" : "no"}`;
    });
    const data = join(dir, "toy.csv");
    await Deno.writeTextFile(data, `x,y\n${rows.join("\n")}\n`);
    const model = await Model.create({
      input_features: [{ name: "x", type: "number" }],
      output_features: [{ name: "y", type: "category" }],
      trainer: { epochs: 2, batch_size: 16 },
    });
    const result = await model.experiment({
      dataset: data,
      output_directory: join(dir, "results"),
      progress: false,
    });
    const run = result.output_directory!;
    const splitPath = join(run, "toy.split.parquet");
    const split = await readSplitFile(splitPath);
    assert.equal(split.length, 120);
    const tests = split.filter((s) => s === 2).length;
    assert.ok(tests > 0 && tests < 120, `test rows: ${tests}`);
    const predictions = (await Deno.readTextFile(join(run, "predictions.csv"))).trim().split("\n");
    assert.equal(predictions.length - 1, tests, "the split file's test rows are the predictions");

    const out = join(dir, "plots");
    const base = [
      "--probabilities",
      join(run, "predictions.csv"),
      "--ground_truth",
      data,
      "-ofn",
      "y",
      "-od",
      out,
    ];
    // Without the split file the whole dataset meets the test predictions.
    const without = await visualize(["-v", "compare_classifiers_performance_from_prob", ...base]);
    assert.equal(without.code, 1);
    assert.match(without.stderr[0], /expected 120 rows of probabilities .* received \d+/);
    assert.match(without.stderr[0], /pass --split_file <run folder>\/<dataset>\.split\.parquet$/);
    // With it (and the metadata found next to the predictions: no --ground_truth_metadata).
    const drawn = await visualize([
      "-v",
      "compare_classifiers_performance_from_prob",
      ...base,
      "-sf",
      splitPath,
    ]);
    assert.equal(drawn.code, 0, drawn.stderr.join("\n"));
    assert.deepEqual(drawn.stdout, [join(out, "compare_classifiers_performance_from_prob.svg")]);
    // A split file of another dataset is named as the cause.
    await Deno.writeTextFile(join(dir, "short.csv"), "split\n2\n2\n");
    const wrong = await visualize([
      "-v",
      "compare_classifiers_performance_from_prob",
      ...base,
      "--split_file",
      join(dir, "short.csv"),
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr[0], /the split file has 2 rows and the data 120/);
    // confusion_matrix needs training-set metadata: found in the run's model/ folder.
    const matrix = await visualize([
      "-v",
      "confusion_matrix",
      "--test_statistics",
      join(run, "test_statistics.json"),
      "-ofn",
      "y",
      "-od",
      out,
      "-ff",
      "pdf",
    ]);
    assert.equal(matrix.code, 0, matrix.stderr.join("\n"));
    const pdf = await Deno.readFile(matrix.stdout[0]);
    assert.match(new TextDecoder().decode(pdf.subarray(0, 8)), /^%PDF-1\.4/);
  });
});
