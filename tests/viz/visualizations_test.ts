import assert from "node:assert/strict";
import type { Chart } from "../../lib/viz/chart.ts";
import {
  VISUALIZATION_NAMES,
  type VisualizationName,
  VISUALIZATIONS,
} from "../../lib/viz/visualizations.ts";
import { chartsOf, dataRows, type Experiment, loadExperiment, schemaErrors } from "./_helpers.ts";

const V = VISUALIZATIONS;

/** One realistic call per visualization, from the simulated two-model experiment. */
const CASES: Record<VisualizationName, (e: Experiment) => Chart> = {
  learning_curves: (e) => V.learning_curves(e.training, { modelNames: e.modelNames }),
  compare_performance: (e) => V.compare_performance(e.test, { modelNames: e.modelNames }),
  compare_classifiers_performance_from_prob: (e) =>
    V.compare_classifiers_performance_from_prob(e.animalProbabilities, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      modelNames: e.modelNames,
    }),
  compare_classifiers_performance_from_pred: (e) =>
    V.compare_classifiers_performance_from_pred(e.animalPredictions, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      modelNames: e.modelNames,
    }),
  compare_classifiers_performance_subset: (e) =>
    V.compare_classifiers_performance_subset(e.animalProbabilities, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      topNClasses: 3,
      subset: "predictions",
      modelNames: e.modelNames,
    }),
  compare_classifiers_performance_changing_k: (e) =>
    V.compare_classifiers_performance_changing_k(e.animalProbabilities, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      topK: 5,
    }),
  compare_classifiers_multiclass_multimetric: (e) =>
    V.compare_classifiers_multiclass_multimetric(e.test, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      topNClasses: 3,
      modelNames: e.modelNames,
    }),
  compare_classifiers_predictions: (e) =>
    V.compare_classifiers_predictions(e.animalPredictions, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      modelNames: e.modelNames,
    }),
  compare_classifiers_predictions_distribution: (e) =>
    V.compare_classifiers_predictions_distribution(e.animalPredictions, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      modelNames: e.modelNames,
    }),
  confidence_thresholding: (e) =>
    V.confidence_thresholding(e.animalProbabilities, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
    }),
  confidence_thresholding_data_vs_acc: (e) =>
    V.confidence_thresholding_data_vs_acc(e.animalProbabilities, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
    }),
  confidence_thresholding_data_vs_acc_subset: (e) =>
    V.confidence_thresholding_data_vs_acc_subset(e.animalProbabilities, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      topNClasses: 2,
    }),
  confidence_thresholding_data_vs_acc_subset_per_class: (e) =>
    V.confidence_thresholding_data_vs_acc_subset_per_class(e.animalProbabilities, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      topNClasses: 3,
    }),
  confidence_thresholding_2thresholds_2d: (e) =>
    V.confidence_thresholding_2thresholds_2d(
      [e.animalProbabilities[0], e.approvedProbabilities[0]],
      [
        e.animalTruth,
        e.approvedTruth,
      ],
      {
        thresholdOutputFeatureNames: ["animal", "approved"],
        metadata: e.metadata,
        modelNames: ["a"],
      },
    ),
  confidence_thresholding_2thresholds_3d: (e) =>
    V.confidence_thresholding_2thresholds_3d(
      [e.animalProbabilities[0], e.approvedProbabilities[0]],
      [e.animalTruth, e.approvedTruth],
      {
        thresholdOutputFeatureNames: ["animal", "approved"],
        metadata: e.metadata,
        modelNames: ["a"],
      },
    ),
  binary_threshold_vs_metric: (e) =>
    V.binary_threshold_vs_metric(e.approvedProbabilities, e.approvedTruth, {
      metadata: e.metadata,
      outputFeatureName: "approved",
      metrics: ["f1", "precision", "recall", "accuracy"],
      modelNames: e.modelNames,
    }),
  roc_curves: (e) =>
    V.roc_curves(e.approvedProbabilities, e.approvedTruth, {
      metadata: e.metadata,
      outputFeatureName: "approved",
      modelNames: e.modelNames,
    }),
  roc_curves_from_test_statistics: (e) =>
    V.roc_curves_from_test_statistics(e.test, {
      outputFeatureName: "approved",
      modelNames: e.modelNames,
    }),
  precision_recall_curves: (e) =>
    V.precision_recall_curves(e.approvedProbabilities, e.approvedTruth, {
      metadata: e.metadata,
      outputFeatureName: "approved",
      modelNames: e.modelNames,
    }),
  precision_recall_curves_from_test_statistics: (e) =>
    V.precision_recall_curves_from_test_statistics(e.test, { modelNames: e.modelNames }),
  calibration_1_vs_all: (e) =>
    V.calibration_1_vs_all(e.animalProbabilities, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      topNClasses: 2,
      modelNames: e.modelNames,
    }),
  calibration_multiclass: (e) =>
    V.calibration_multiclass(e.animalProbabilities, e.animalTruth, {
      metadata: e.metadata,
      outputFeatureName: "animal",
      modelNames: e.modelNames,
    }),
  confusion_matrix: (e) =>
    V.confusion_matrix(e.test, { metadata: e.metadata, topNClasses: [0, 4], normalize: true }),
  frequency_vs_f1: (e) =>
    V.frequency_vs_f1(e.test, { metadata: e.metadata, outputFeatureName: "animal" }),
};

Deno.test("VISUALIZATIONS has every Ludwig visualization, each with a test case", () => {
  const ludwig = [
    "learning_curves",
    "compare_performance",
    "compare_classifiers_performance_from_prob",
    "compare_classifiers_performance_from_pred",
    "compare_classifiers_performance_subset",
    "compare_classifiers_performance_changing_k",
    "compare_classifiers_multiclass_multimetric",
    "compare_classifiers_predictions",
    "compare_classifiers_predictions_distribution",
    "confidence_thresholding",
    "confidence_thresholding_data_vs_acc",
    "confidence_thresholding_data_vs_acc_subset",
    "confidence_thresholding_data_vs_acc_subset_per_class",
    "confidence_thresholding_2thresholds_2d",
    "confidence_thresholding_2thresholds_3d",
    "binary_threshold_vs_metric",
    "roc_curves",
    "roc_curves_from_test_statistics",
    "precision_recall_curves",
    "precision_recall_curves_from_test_statistics",
    "calibration_1_vs_all",
    "calibration_multiclass",
    "confusion_matrix",
    "frequency_vs_f1",
  ];
  assert.deepEqual([...VISUALIZATION_NAMES], [...ludwig].sort());
  assert.deepEqual(Object.keys(CASES).sort(), [...ludwig].sort());
});

for (const name of VISUALIZATION_NAMES) {
  Deno.test(`${name}: valid Vega-Lite v5, renders to SVG without warnings`, async () => {
    const chart = CASES[name](await loadExperiment());
    for (const c of chartsOf(chart)) {
      const spec = c.toSpec();
      assert.equal(spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
      assert.deepEqual(
        await schemaErrors(spec),
        [],
        `${c.name} does not match the Vega-Lite schema`,
      );
      assert.ok(c.title.length > 0, `${c.name} has no title`);
      assert.doesNotMatch(JSON.stringify(spec), /"url"\s*:/, "data must be inlined");
    }
    for (const leaf of chart.leaves()) {
      const { svg, warnings } = await leaf.render();
      assert.deepEqual(warnings, [], `${leaf.name} logged warnings`);
      assert.match(svg, /^<svg/);
      assert.ok(
        svg.includes(leaf.title.replaceAll("&", "&amp;")),
        `${leaf.name}: title missing from the SVG`,
      );
      assert.match(leaf.name, /^[a-z0-9_.@+-]+$/i);
    }
    const names = chart.leaves().map((c) => c.name);
    assert.equal(new Set(names).size, names.length, `duplicate part names: ${names.join(", ")}`);
  });
}

Deno.test("compare_classifiers_performance_from_prob accuracy agrees with the test statistics", async () => {
  const e = await loadExperiment();
  const chart = CASES.compare_classifiers_performance_from_prob(e);
  const rows = dataRows(chart.toSpec(), "group");
  for (const [i, model] of e.modelNames.entries()) {
    const accuracy = rows.find((r) => r.group === "accuracy" && r.series === model)
      ?.value as number;
    assert.ok(
      Math.abs(accuracy - (e.test[i].animal.accuracy as number)) < 1e-4,
      `${model}: ${accuracy}`,
    );
    const hits = rows.find((r) => r.group === "hits@3" && r.series === model)?.value as number;
    assert.ok(Math.abs(hits - (e.test[i].animal.hits_at_k as number)) < 1e-4);
  }
});

Deno.test("confusion_matrix parts follow Ludwig's file names and the normalized rows sum to 1", async () => {
  const e = await loadExperiment();
  const chart = V.confusion_matrix(e.test[0], {
    metadata: e.metadata,
    outputFeatureName: "animal",
    topNClasses: 4,
    normalize: true,
    modelNames: ["a"],
  });
  assert.deepEqual(chart.parts.map((p) => p.name), [
    "confusion_matrix_a_animal_top4",
    "confusion_matrix_entropy_a_animal_top4",
  ]);
  const cells = dataRows(chart.parts[0].toSpec(), "actual");
  assert.equal(cells.length, 16);
  for (const label of ["dog", "cat", "bird", "horse"]) {
    const sum = cells.filter((c) => c.actual === label).reduce(
      (a, c) => a + (c.value as number),
      0,
    );
    assert.ok(Math.abs(sum - 1) < 1e-6, `${label}: ${sum}`);
  }
  const entropy = dataRows(chart.parts[1].toSpec(), "entropy").map((r) => r.entropy as number);
  assert.deepEqual(
    entropy,
    [...entropy].sort((a, b) => b - a),
    "classes ranked by descending entropy",
  );
});

Deno.test("learning_curves draws one panel per feature and metric present", async () => {
  const e = await loadExperiment();
  const chart = V.learning_curves(e.training, { modelNames: e.modelNames });
  assert.deepEqual(chart.leaves().map((c) => c.name), [
    "learning_curves_animal_loss",
    "learning_curves_animal_accuracy",
    "learning_curves_animal_hits_at_k",
    "learning_curves_approved_loss",
    "learning_curves_approved_accuracy",
    "learning_curves_combined_loss",
  ]);
  const rows = dataRows(chart.leaves()[0].toSpec(), "split");
  assert.equal(rows.length, 2 * 2 * 8); // models × splits × epochs
  assert.throws(
    () => V.learning_curves(e.training, { outputFeatureName: "nope" }),
    /output feature "nope" not found/,
  );
});

Deno.test("compare_classifiers_predictions requires exactly two models", async () => {
  const e = await loadExperiment();
  assert.throws(
    () =>
      V.compare_classifiers_predictions([e.animalPredictions[0]], e.animalTruth, {
        metadata: e.metadata,
        outputFeatureName: "animal",
      }),
    /expected predictions of 2 models, received 1/,
  );
});

Deno.test("binary_threshold_vs_metric rejects an unknown metric", async () => {
  const e = await loadExperiment();
  assert.throws(
    () =>
      V.binary_threshold_vs_metric(e.approvedProbabilities, e.approvedTruth, { metrics: ["f2"] }),
    /unsupported metric "f2": expected one of "f1", "precision", "recall", "accuracy"/,
  );
});

Deno.test("roc_curves from probabilities matches the stored ROC curve", async () => {
  const e = await loadExperiment();
  const computed = dataRows(CASES.roc_curves(e).toSpec(), "series").filter((r) =>
    String(r.series).startsWith("a ")
  );
  const stored = e.test[0].approved.roc_curve!;
  assert.equal(computed.length, stored.false_positive_rate.length);
  computed.forEach((r, i) => {
    assert.ok(Math.abs((r.x as number) - stored.false_positive_rate[i]) < 1e-4);
    assert.ok(Math.abs((r.y as number) - stored.true_positive_rate[i]) < 1e-4);
  });
});
