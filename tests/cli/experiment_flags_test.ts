// experiment -k (Ludwig's k-fold), --skip_save_predictions/--skip_save_eval_stats, the training
// log (--skip_save_log), --logging_level and --training_set_metadata.
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { kFoldIndices } from "../../lib/cli/_kfold.ts";
import { setLoggingLevel } from "../../lib/train/progress.ts";
import { cli, exists, tempFiles } from "./_helpers.ts";

const CSV = [
  "x,c,y",
  ...Array.from({ length: 50 }, (_, i) => `${Math.sin(i)},${"abc"[i % 3]},${2 * Math.sin(i)}`),
].join("\n");
const CONFIG = `input_features: [{name: x, type: number}, {name: c, type: category}]
output_features: [{name: y, type: number}]
trainer: {epochs: 2, batch_size: 16}
`;

const fixture = () => tempFiles("sonata_exp_", { "d.csv": CSV, "c.yaml": CONFIG });

Deno.test("k-fold indices cover every row once, in near-equal folds", () => {
  const folds = kFoldIndices(10, 3, 1);
  deepEqual(folds.map((f) => f.length), [3, 3, 4]);
  deepEqual([...folds.flatMap((f) => [...f])].sort((a, b) => a - b), [...Array(10).keys()]);
});

Deno.test("experiment -k 3 writes per-fold and overall statistics and the split indices", async () => {
  const dir = await fixture();
  const c = await cli([
    "experiment",
    "-c",
    `${dir}/c.yaml`,
    "--dataset",
    `${dir}/d.csv`,
    "-k",
    "3",
    "-od",
    `${dir}/out`,
  ]);
  const stats = JSON.parse(await Deno.readTextFile(`${dir}/out/kfold_training_statistics.json`));
  deepEqual(Object.keys(stats).sort(), ["fold_1", "fold_2", "fold_3", "overall"]);
  ok(typeof stats.fold_1.test_statistics.y.mean_squared_error === "number");
  ok(Array.isArray(stats.fold_1.training_statistics.training.y.loss));
  const folds = [1, 2, 3].map((i) => stats[`fold_${i}`].test_statistics.y.mean_squared_error);
  const mean = folds.reduce((a: number, b: number) => a + b, 0) / 3;
  ok(Math.abs(stats.overall.y.mean_squared_error_mean - mean) < 1e-9);
  ok(stats.overall.y.mean_squared_error_std >= 0);
  const indices = JSON.parse(await Deno.readTextFile(`${dir}/out/kfold_split_indices.json`));
  const tests = [1, 2, 3].flatMap((i) => indices[`fold_${i}`].test_indices as number[]);
  deepEqual(tests.sort((a, b) => a - b), [...Array(50).keys()]);
  equal(indices.fold_1.training_indices.length + indices.fold_1.test_indices.length, 50);
  match(c.out.join("\n"), /3-fold cross-validation:\n {2}y: .*±/);
  const bad = await cli(["experiment", "-c", `${dir}/c.yaml`, "--dataset", "x", "-k", "1"], 2);
  match(bad.err.join(""), /Invalid --k_fold "1": expected an integer >= 2/);
});

Deno.test("experiment --skip_save_predictions --skip_save_eval_stats; the log and its skip", async () => {
  const dir = await fixture();
  const args = ["experiment", "-c", `${dir}/c.yaml`, "--dataset", `${dir}/d.csv`];
  await cli([...args, "-od", `${dir}/a`, "--skip_save_predictions"]);
  ok(!(await exists(`${dir}/a/experiment_run/predictions.csv`)));
  ok(await exists(`${dir}/a/experiment_run/test_statistics.json`));
  const log = await Deno.readTextFile(`${dir}/a/experiment_run/logs/training.log`);
  match(log, /│ loss/);
  match(log, /Finished after/);
  await cli([...args, "-od", `${dir}/b`, "--skip_save_eval_stats", "--skip_save_log"]);
  ok(!(await exists(`${dir}/b/experiment_run/test_statistics.json`)));
  ok(await exists(`${dir}/b/experiment_run/predictions.csv`));
  ok(!(await exists(`${dir}/b/experiment_run/logs`)));
});

Deno.test("--logging_level is checked; --training_set_metadata encodes with given metadata", async () => {
  const dir = await fixture();
  const bad = await cli(["train", "-c", `${dir}/c.yaml`, "--logging_level", "loud"], 2);
  match(bad.err.join(""), /Invalid --logging_level "loud": expected critical, error/);
  const train = ["train", "-c", `${dir}/c.yaml`, "--dataset", `${dir}/d.csv`];
  await cli([...train, "-od", `${dir}/r`, "-l", "error"]);
  setLoggingLevel("info");
  const metaPath = `${dir}/r/experiment_run/model/training_set_metadata.json`;
  const meta = JSON.parse(await Deno.readTextFile(metaPath));
  // Widen the category vocabulary: a model trained with this metadata must use it.
  meta.c.idx2str = [...meta.c.idx2str, "zz"];
  meta.c.str2idx = { ...meta.c.str2idx, zz: meta.c.idx2str.length - 1 };
  meta.c.vocab_size = meta.c.idx2str.length;
  await Deno.writeTextFile(`${dir}/meta.json`, JSON.stringify(meta));
  await cli([
    ...train,
    "-od",
    `${dir}/s`,
    "--training_set_metadata",
    `${dir}/meta.json`,
    "--skip_save_processed_input",
  ]);
  const used = JSON.parse(
    await Deno.readTextFile(`${dir}/s/experiment_run/model/training_set_metadata.json`),
  );
  deepEqual(used.c.idx2str, meta.c.idx2str);
  const missing = await cli([...train, "--training_set_metadata", `${dir}/nope.json`], 2);
  match(missing.err.join(""), /Invalid --training_set_metadata/);
  await rejects(Deno.stat(`${dir}/nope.json`));
});
