import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  averagePrecisionScore,
  cohenKappa,
  createMetricAccumulator,
  metricGoal,
  metricNames,
  precisionRecallCurve,
  rocAucScore,
  rocCurve,
  testStatistics,
} from "../../lib/train/metrics.ts";

function close(actual: number | null | undefined, expected: number, tol = 1e-9): void {
  ok(
    typeof actual === "number" && Math.abs(actual - expected) <= tol,
    `expected ${expected}, received ${actual}`,
  );
}

function closeAll(actual: readonly number[], expected: readonly number[], tol = 1e-9): void {
  equal(actual.length, expected.length, `lengths ${actual.length} vs ${expected.length}`);
  actual.forEach((v, i) => close(v, expected[i], tol));
}

Deno.test("binary metrics follow Ludwig: accuracy from predictions, the rest at 0.5", () => {
  const batch = { targets: [1, 0, 1, 0, 1], probabilities: [0.9, 0.6, 0.4, 0.2, 0.7], loss: 0.5 };
  const acc = createMetricAccumulator("binary");
  deepStrictEqual(acc.metricNames, [
    "loss",
    "accuracy",
    "precision",
    "recall",
    "specificity",
    "roc_auc",
  ]);
  acc.update(batch);
  const m = acc.compute();
  close(m.loss, 0.5);
  close(m.accuracy, 3 / 5);
  close(m.precision, 2 / 3); // tp 0.9, 0.7; fp 0.6
  close(m.recall, 2 / 3); // fn 0.4
  close(m.specificity, 1 / 2); // tn 0.2
  close(m.roc_auc, 5 / 6); // 5 of 6 positive/negative pairs ordered

  // The feature threshold moves accuracy (predictions) but not precision (torchmetrics' 0.5).
  const high = createMetricAccumulator("binary", { threshold: 0.8 });
  high.update(batch);
  const h = high.compute();
  close(h.accuracy, 3 / 5); // predictions [1, 0, 0, 0, 0]
  close(h.precision, 2 / 3);

  // Explicit predictions win; booleans are accepted.
  const p = createMetricAccumulator("binary");
  p.update({
    targets: [true, false],
    probabilities: [0.1, 0.1],
    predictions: [true, false],
  });
  close(p.compute().accuracy, 1);
});

Deno.test("binary roc_auc streams over batches and handles ties and one class", () => {
  const acc = createMetricAccumulator("binary");
  acc.update({ targets: [1, 0, 1], probabilities: [0.9, 0.6, 0.4] });
  acc.update({ targets: [0, 1], probabilities: [0.2, 0.7] });
  close(acc.compute().roc_auc, 5 / 6);
  const ties = createMetricAccumulator("binary", { metrics: ["roc_auc"] });
  ties.update({ targets: [1, 0], probabilities: [0.5, 0.5] });
  close(ties.compute().roc_auc, 0.5);
  const one = createMetricAccumulator("binary", { metrics: ["roc_auc"] });
  one.update({ targets: [1, 1], probabilities: [0.5, 0.7] });
  close(one.compute().roc_auc, 0); // torchmetrics: zero false positive rates
});

Deno.test("category metrics: macro accuracy and hits_at_k over all classes, micro accuracy", () => {
  const acc = createMetricAccumulator("category", { numClasses: 4, topK: 2 });
  deepStrictEqual(acc.metricNames, ["loss", "accuracy", "accuracy_micro", "hits_at_k", "roc_auc"]);
  // deno-fmt-ignore
  const probabilities = [
    0.7, 0.1, 0.1, 0.1, // target 0, predicted 0
    0.2, 0.3, 0.4, 0.1, // target 1, predicted 2 (1 is second)
    0.1, 0.2, 0.6, 0.1, // target 2, predicted 2
    0.3, 0.4, 0.2, 0.1, // target 0, predicted 1 (0 is second)
    0.1, 0.5, 0.3, 0.1, // target 1, predicted 1
  ];
  acc.update({ targets: [0, 1, 2, 0], probabilities: probabilities.slice(0, 16), loss: 1 });
  acc.update({ targets: new Int32Array([1]), probabilities: probabilities.slice(16), loss: 2 });
  const m = acc.compute();
  close(m.loss, 1.5); // mean of batch losses
  close(m.accuracy_micro, 3 / 5);
  close(m.accuracy, (1 / 2 + 1 / 2 + 1 + 0) / 4); // class 3 has no rows and counts 0
  close(m.hits_at_k, (1 + 1 + 1 + 0) / 4);
  close(m.roc_auc, (1 + 5 / 6 + 1 + 0) / 4);

  // hits_at_k only when numClasses > topK (Ludwig's can_report).
  deepStrictEqual(metricNames("category", { numClasses: 3, topK: 3 }), [
    "loss",
    "accuracy",
    "accuracy_micro",
    "roc_auc",
  ]);
  throws(() => createMetricAccumulator("category"), TypeError);
  const bad = createMetricAccumulator("category", { numClasses: 2 });
  throws(() => bad.update({ targets: [0], probabilities: [1, 0, 0] }), RangeError);
});

Deno.test("number metrics: global MSE/MAE/MAPE/RMSE/R2, per-batch RMSPE", () => {
  const targets = [1, 2, 4, -2];
  const predictions = [1.5, 2, 3, -1];
  const whole = createMetricAccumulator("number");
  whole.update({ targets, predictions });
  const m = whole.compute();
  close(m.mean_squared_error, 2.25 / 4);
  close(m.mean_absolute_error, 2.5 / 4);
  close(m.root_mean_squared_error, 0.75);
  close(m.mean_absolute_percentage_error, (0.5 + 0 + 0.25 + 0.5) / 4);
  close(m.root_mean_squared_percentage_error, Math.sqrt((0.25 + 0.0625 + 0.25) / 4));
  close(m.r2, 1 - 2.25 / 18.75);

  const split = createMetricAccumulator("number");
  split.update({ targets: targets.slice(0, 2), predictions: predictions.slice(0, 2) });
  split.update({ targets: targets.slice(2), predictions: new Float32Array(predictions.slice(2)) });
  const s = split.compute();
  close(s.mean_squared_error, m.mean_squared_error);
  close(s.r2, m.r2);
  close(s.root_mean_squared_percentage_error, (Math.sqrt(0.125) + Math.sqrt(0.15625)) / 2);

  // A zero target: MAPE clamps at 1.17e-6, RMSPE divides by 1e-4.
  const zero = createMetricAccumulator("number");
  zero.update({ targets: [0], predictions: [1] });
  const z = zero.compute();
  close(z.mean_absolute_percentage_error, 1 / 1.17e-6, 1e-3);
  close(z.root_mean_squared_percentage_error, 1e4, 1e-6);
  ok(Number.isNaN(z.r2)); // one row
  const flat = createMetricAccumulator("number", { metrics: ["r2"] });
  flat.update({ targets: [3, 3], predictions: [3, 4] });
  close(flat.compute().r2, 0); // constant targets, wrong predictions
});

Deno.test("vector metrics average R2 over the components", () => {
  const acc = createMetricAccumulator("vector", { vectorSize: 2 });
  deepStrictEqual(acc.metricNames, [
    "loss",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "r2",
  ]);
  acc.update({ targets: [1, 2, 3, 4], predictions: [1, 2, 3, 5] });
  acc.update({ targets: [5, 6], predictions: [4, 6] });
  const m = acc.compute();
  close(m.mean_squared_error, 2 / 6);
  close(m.mean_absolute_error, 2 / 6);
  close(m.r2, 1 - 1 / 8);
  throws(() => acc.update({ targets: [1, 2, 3], predictions: [1, 2, 3] }), RangeError);
});

Deno.test("set jaccard is the mean over rows, rows with an empty union left out", () => {
  const acc = createMetricAccumulator("set", { numClasses: 3 });
  acc.update({
    targets: [1, 0, 1, 0, 0, 0, 0, 1, 0],
    probabilities: [0.6, 0.7, 0.2, 0.1, 0.2, 0.3, 0.5, 0.5, 0.1],
    loss: 0.25,
  });
  const m = acc.compute();
  close(m.jaccard, (1 / 3 + 1 / 2) / 2);
  close(m.loss, 0.25);
});

Deno.test("sequence token and sequence accuracy follow Ludwig's masking", () => {
  const acc = createMetricAccumulator("sequence", {
    sequenceLength: 4,
    metrics: ["token_accuracy", "sequence_accuracy"],
  });
  acc.update({ targets: [5, 6, 7, 0, 5, 0, 0, 0], predictions: [5, 6, 8, 0, 5, 0, 0, 0] });
  let m = acc.compute();
  close(m.token_accuracy, 3 / 4);
  close(m.sequence_accuracy, 1 / 2);
  // A second batch: per-batch values are averaged. The mask covers the first
  // (number of non-padding targets) positions, not the non-padding positions.
  acc.update({ targets: [0, 5, 0, 0], predictions: [0, 9, 0, 0] });
  m = acc.compute();
  close(m.token_accuracy, (3 / 4 + 1) / 2);
  close(m.sequence_accuracy, (1 / 2 + 0) / 2);
  acc.reset();
  ok(Number.isNaN(acc.compute().token_accuracy));
});

Deno.test("text perplexity and next_token_perplexity softmax the scores they get", () => {
  const acc = createMetricAccumulator("text", { sequenceLength: 2, vocabSize: 2 });
  acc.update({
    targets: [0, 1],
    predictions: [0, 0],
    scores: [0, 0, Math.log(3), 0],
  });
  const m = acc.compute();
  close(m.perplexity, Math.sqrt(8)); // exp((ln 2 + ln 4) / 2)
  close(m.next_token_perplexity, 2); // position 0 predicting token 1
  throws(
    () => createMetricAccumulator("text", { sequenceLength: 2 }).update({ targets: [0, 1] }),
    TypeError,
  );
});

Deno.test("compute() does not consume; reset() forgets", () => {
  const acc = createMetricAccumulator("number", { metrics: ["mean_squared_error"] });
  acc.update({ targets: [1], predictions: [3] });
  close(acc.compute().mean_squared_error, 4);
  close(acc.compute().mean_squared_error, 4);
  acc.reset();
  acc.update({ targets: [1], predictions: [2] });
  close(acc.compute().mean_squared_error, 1);
});

Deno.test("metric goals come from the feature registry", () => {
  equal(metricGoal("roc_auc"), "maximize");
  equal(metricGoal("r2", "number"), "maximize");
  equal(metricGoal("loss"), "minimize");
  equal(metricGoal("perplexity"), "minimize");
  throws(() => createMetricAccumulator("date"), TypeError);
});

Deno.test("binary test statistics have Ludwig's keys and values", () => {
  const stats = testStatistics("binary", { loss: 0.2, accuracy: 0.75 }, {
    targets: [0, 1, 1, 0],
    predictions: [0, 1, 0, 0],
    probabilities: [0.1, 0.9, 0.4, 0.3],
  });
  deepStrictEqual(Object.keys(stats), [
    "loss",
    "accuracy",
    "confusion_matrix",
    "overall_stats",
    "per_class_stats",
    "roc_curve",
    "roc_auc_macro",
    "roc_auc_micro",
    "precision_recall_curve",
    "average_precision_macro",
    "average_precision_micro",
    "average_precision_samples",
  ]);
  deepStrictEqual(stats.confusion_matrix, [[2, 0], [1, 1]]);
  deepStrictEqual(Object.keys(stats.per_class_stats!), ["False", "True"]);
  const t = stats.per_class_stats!.True;
  deepStrictEqual(
    [t.true_positives, t.false_positives, t.false_negatives, t.true_negatives],
    [1, 0, 1, 2],
  );
  close(t.precision, 1);
  close(t.recall, 0.5);
  close(t.f1_score, 2 / 3);
  close(t.specificity, 1);
  close(t.matthews_correlation_coefficient, 2 / Math.sqrt(12));
  close(t.informedness, 0.5);
  close(t.markedness, 1 + 2 / 3 - 1);
  close(t.false_omission_rate, 1 / 3);
  const f = stats.per_class_stats!.False;
  close(f.precision, 2 / 3);
  close(f.recall, 1);
  const o = stats.overall_stats!;
  deepStrictEqual(Object.keys(o), [
    "token_accuracy",
    "avg_precision_macro",
    "avg_recall_macro",
    "avg_f1_score_macro",
    "avg_precision_micro",
    "avg_recall_micro",
    "avg_f1_score_micro",
    "avg_precision_weighted",
    "avg_recall_weighted",
    "avg_f1_score_weighted",
    "kappa_score",
  ]);
  close(o.token_accuracy, 0.75);
  close(o.avg_precision_macro, (2 / 3 + 1) / 2);
  close(o.avg_recall_macro, 0.75);
  close(o.avg_f1_score_macro, (0.8 + 2 / 3) / 2);
  close(o.avg_precision_micro, 0.75);
  close(o.avg_precision_weighted, 0.75); // Ludwig writes the micro average here
  close(o.avg_f1_score_weighted, (0.8 * 2 + (2 / 3) * 2) / 4);
  close(o.kappa_score, 0.5);
  deepStrictEqual(stats.roc_curve, {
    false_positive_rate: [0, 0, 0, 1],
    true_positive_rate: [0, 0.5, 1, 1],
  });
  equal(stats.roc_auc_macro, 1);
  equal(stats.roc_auc_micro, 1);
  closeAll(stats.precision_recall_curve!.precisions, [0.5, 2 / 3, 1, 1, 1]);
  deepStrictEqual(stats.precision_recall_curve!.recalls, [1, 1, 1, 0.5, 0]);
  close(stats.average_precision_macro, 1);
  close(stats.average_precision_samples, 1);
});

Deno.test("category test statistics: matrix over all labels, averages over present labels", () => {
  const stats = testStatistics(
    "category",
    { loss: 1 },
    { targets: [1, 2, 1], predictions: [1, 1, 1] },
    ["<UNK>", "a", "b"],
  );
  deepStrictEqual(stats.confusion_matrix, [[0, 0, 0], [0, 2, 0], [0, 1, 0]]);
  deepStrictEqual(Object.keys(stats.per_class_stats!), ["<UNK>", "a", "b"]);
  equal(stats.per_class_stats!["<UNK>"].true_negatives, 3);
  equal(stats.per_class_stats!["<UNK>"].precision, 0);
  close(stats.overall_stats!.avg_precision_macro, (2 / 3 + 0) / 2);
  close(stats.overall_stats!.avg_recall_macro, (1 + 0) / 2);
  close(stats.overall_stats!.kappa_score, 0); // all predictions one class
  equal("roc_curve" in stats, false);
  throws(() => testStatistics("category", {}, { targets: [0], predictions: [0] }), TypeError);
  // Other types get their metrics only.
  deepStrictEqual(testStatistics("number", { loss: 1, r2: 0.5 }), { loss: 1, r2: 0.5 });
});

Deno.test("curves and scores match scikit-learn on a tied example", () => {
  // sklearn: roc_curve([0,0,1,1], [0.1,0.4,0.35,0.8]) -> fpr [0,0,0.5,0.5,1], tpr [0,0.5,0.5,1,1]
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];
  const roc = rocCurve(y, s);
  deepStrictEqual(roc.false_positive_rate, [0, 0, 0.5, 0.5, 1]);
  deepStrictEqual(roc.true_positive_rate, [0, 0.5, 0.5, 1, 1]);
  deepStrictEqual(roc.thresholds, [Infinity, 0.8, 0.4, 0.35, 0.1]);
  close(rocAucScore(y, s), 0.75);
  // sklearn: precision_recall_curve -> p [0.5, 0.667, 0.5, 1, 1], r [1, 1, 0.5, 0.5, 0]
  const pr = precisionRecallCurve(y, s);
  closeAll(pr.precisions, [0.5, 2 / 3, 0.5, 1, 1]);
  deepStrictEqual(pr.recalls, [1, 1, 0.5, 0.5, 0]);
  deepStrictEqual(pr.thresholds, [0.1, 0.35, 0.4, 0.8]);
  close(averagePrecisionScore(y, s), 0.5 * 1 + 0.5 * 2 / 3); // sklearn docs: 0.8333
  equal(rocAucScore([1, 1], [0.2, 0.3]), null);
  ok(Number.isNaN(cohenKappa([[3]])));
});
