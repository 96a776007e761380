import assert from "node:assert/strict";
import {
  accuracyFromProbabilities,
  argmax,
  averagePrecision,
  binaryThresholdMetric,
  brierScore,
  calibrationCurve,
  classDistribution,
  classificationScores,
  CONFIDENCE_THRESHOLDS,
  confidenceThresholding,
  entropy,
  hitsAtK,
  hitsAtKCurve,
  interpolate,
  limitLabels,
  meanReciprocalRank,
  normalizeRows,
  precisionRecallCurve,
  predictionAgreement,
  rankClasses,
  rocCurve,
  trapezoidArea,
  twoThresholdGrid,
} from "../../lib/viz/metrics.ts";

const close = (actual: number, expected: number, eps = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= eps, `expected ${expected}, received ${actual}`);

// Four rows, three classes; ranks of the true class: 1st, 2nd, 3rd, 1st.
const PROBS = [
  [0.6, 0.3, 0.1],
  [0.5, 0.4, 0.1],
  [0.1, 0.7, 0.2],
  [0.1, 0.2, 0.7],
];
const TRUTH = [0, 1, 0, 2];

Deno.test("argmax and rankClasses break ties toward the lower index", () => {
  assert.equal(argmax([0.4, 0.4, 0.2]), 0);
  assert.deepEqual(rankClasses([0.2, 0.4, 0.4]), [1, 2, 0]);
});

Deno.test("accuracy, hits@k and MRR from probabilities match hand computation", () => {
  close(accuracyFromProbabilities(PROBS, TRUTH), 2 / 4);
  close(hitsAtK(PROBS, TRUTH, 1), 2 / 4);
  close(hitsAtK(PROBS, TRUTH, 2), 3 / 4);
  close(hitsAtK(PROBS, TRUTH, 3), 1);
  assert.deepEqual(hitsAtKCurve(PROBS, TRUTH, 4), [0.5, 0.75, 1, 1]);
  close(meanReciprocalRank(PROBS, TRUTH), (1 + 1 / 2 + 1 / 3 + 1) / 4);
});

Deno.test("hits@k rejects mismatched lengths and k < 1", () => {
  assert.throws(() => hitsAtK(PROBS, [0, 1], 1), /received 2 labels and 4 rows/);
  assert.throws(() => hitsAtKCurve(PROBS, TRUTH, 0), /expected k >= 1, received 0/);
});

Deno.test("limitLabels merges rare classes into the last kept column", () => {
  const { probabilities, groundTruth } = limitLabels([[0.1, 0.2, 0.3, 0.4]], [3], 2);
  assert.deepEqual(groundTruth, [2]);
  assert.equal(probabilities[0].length, 3);
  close(probabilities[0][2], 0.7);
  assert.deepEqual(limitLabels([[0.5, 0.5]], [1], 0).probabilities, [[0.5, 0.5]]);
});

Deno.test("classificationScores gives macro averages like scikit-learn", () => {
  // Confusion (rows true, cols predicted) for labels 0,1,2:
  // 0: [2, 1, 0]  1: [0, 1, 1]  2: [0, 0, 1]
  const truth = [0, 0, 0, 1, 1, 2];
  const pred = [0, 0, 1, 1, 2, 2];
  const s = classificationScores(pred, truth);
  close(s.accuracy, 4 / 6);
  close(s.precision, (1 + 1 / 2 + 1 / 2) / 3);
  close(s.recall, (2 / 3 + 1 / 2 + 1) / 3);
  close(s.f1, (0.8 + 0.5 + 2 / 3) / 3);
  // A label only ever predicted counts with zero recall-precision contribution.
  const t = classificationScores([3, 0], [0, 0]);
  close(t.precision, (1 + 0) / 2);
  close(t.recall, (0.5 + 0) / 2);
});

Deno.test("confidenceThresholding keeps rows at or above each threshold", () => {
  // Max probabilities 0.6, 0.5, 0.7, 0.7; correct: yes, no, no, yes.
  const r = confidenceThresholding(PROBS, TRUTH);
  assert.deepEqual(r.thresholds, [...CONFIDENCE_THRESHOLDS]);
  const at = (t: number) => r.thresholds.findIndex((x) => Math.abs(x - t) < 1e-9);
  close(r.accuracies[at(0)]!, 0.5);
  close(r.coverages[at(0)], 1);
  close(r.accuracies[at(0.5)]!, 0.5); // all four kept (0.5 >= 0.5)
  close(r.accuracies[at(0.55)]!, 2 / 3); // 0.6, 0.7, 0.7 kept; 2 correct
  close(r.coverages[at(0.55)], 3 / 4);
  close(r.accuracies[at(0.65)]!, 1 / 2);
  close(r.coverages[at(0.65)], 2 / 4);
  assert.equal(r.accuracies[at(0.75)], null);
  assert.equal(r.coverages[at(1)], 0);
  // Ludwig evaluates the threshold 1 as 0.999, so certain predictions survive it.
  const certain = confidenceThresholding([[1, 0]], [0], { thresholds: [1] });
  assert.deepEqual([certain.accuracies, certain.coverages], [[1], [1]]);
  // Coverage relative to a larger total (the subset charts).
  assert.deepEqual(
    confidenceThresholding([[0.9, 0.1]], [0], { thresholds: [0], total: 4 }).coverages,
    [0.25],
  );
});

Deno.test("twoThresholdGrid requires both features to pass and both predictions to be right", () => {
  const p1 = [[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]];
  const p2 = [[0.8, 0.2], [0.1, 0.9], [0.45, 0.55]];
  const g1 = [0, 1, 1];
  const g2 = [0, 1, 1];
  const cells = twoThresholdGrid([p1, p2], [g1, g2], [0, 0.7]);
  assert.deepEqual(cells, [
    { threshold1: 0, threshold2: 0, coverage: 1, accuracy: 2 / 3 },
    { threshold1: 0, threshold2: 0.7, coverage: 2 / 3, accuracy: 1 / 2 },
    { threshold1: 0.7, threshold2: 0, coverage: 2 / 3, accuracy: 1 },
    { threshold1: 0.7, threshold2: 0.7, coverage: 1 / 3, accuracy: 1 },
  ]);
});

Deno.test("interpolate behaves like numpy.interp and skips null points", () => {
  close(interpolate(0.5, [0, 1], [0, 10]), 5);
  close(interpolate(-1, [0, 1], [3, 10], 1, 0), 1);
  close(interpolate(2, [0, 1], [3, 10], 1, 0), 0);
  close(interpolate(0.75, [0, 0.5, 1], [0, null, 1]), 0.75);
  close(interpolate(1, [0, 1, 1], [0, 2, 4]), 4); // repeated x: the last value
});

Deno.test("rocCurve and precisionRecallCurve match scikit-learn's documented example", () => {
  const y = [false, false, true, true];
  const s = [0.1, 0.4, 0.35, 0.8];
  const roc = rocCurve(y, s);
  assert.deepEqual(roc.falsePositiveRate, [0, 0, 0.5, 0.5, 1]);
  assert.deepEqual(roc.truePositiveRate, [0, 0.5, 0.5, 1, 1]);
  assert.deepEqual(roc.thresholds, [Infinity, 0.8, 0.4, 0.35, 0.1]);
  close(trapezoidArea(roc.falsePositiveRate, roc.truePositiveRate), 0.75);
  const pr = precisionRecallCurve(y, s);
  assert.deepEqual(pr.precisions, [0.5, 2 / 3, 0.5, 1, 1]);
  assert.deepEqual(pr.recalls, [1, 1, 0.5, 0.5, 0]);
  assert.deepEqual(pr.thresholds, [0.1, 0.35, 0.4, 0.8]);
  close(averagePrecision(pr), 0.5 * 1 + 0 * 0.5 + 0.5 * 2 / 3 + 0); // sklearn: 0.8333
});

Deno.test("rocCurve drops collinear points and merges tied scores", () => {
  const roc = rocCurve([true, true, true, false, false], [0.9, 0.8, 0.7, 0.3, 0.3]);
  // As scikit-learn: the first threshold's point stays, the middle collinear one goes.
  assert.deepEqual(roc.falsePositiveRate, [0, 0, 0, 1]);
  assert.deepEqual(roc.truePositiveRate, [0, 1 / 3, 1, 1]);
  assert.deepEqual(roc.thresholds, [Infinity, 0.9, 0.7, 0.3]);
});

Deno.test("calibrationCurve bins like scikit-learn (edges go to the lower bin, empty bins dropped)", () => {
  const y = [false, true, false, true, true, false];
  const p = [0.05, 0.1, 0.5, 0.5, 0.95, 1];
  const bins = calibrationCurve(y, p, 4); // bins (0,.25] (.25,.5] (.5,.75] (.75,1]
  assert.deepEqual(bins.map((b) => b.count), [2, 2, 2]);
  assert.deepEqual(bins.map((b) => b.fractionPositives), [0.5, 0.5, 0.5]);
  close(bins[0].meanPredicted, 0.075);
  close(bins[1].meanPredicted, 0.5);
  close(bins[2].meanPredicted, 0.975);
  // 21 bins (Ludwig): 0.5 lies on no inner edge of 21 bins and lands in bin 10.
  assert.equal(calibrationCurve([true], [0.5], 21).length, 1);
  assert.throws(
    () => calibrationCurve([true], [1.2]),
    /expected probabilities in \[0, 1\], received 1.2/,
  );
});

Deno.test("brierScore is the mean squared error of probabilities", () => {
  close(brierScore([true, false, true], [0.9, 0.2, 0.4]), (0.01 + 0.04 + 0.36) / 3);
  close(brierScore([false], [0]), 0);
});

Deno.test("binaryThresholdMetric computes f1, precision, recall and accuracy", () => {
  const y = [true, true, false, false, true];
  const p = [0.9, 0.4, 0.6, 0.2, 0.7];
  // threshold 0.5: predictions T F T F T -> TP 2, FP 1, FN 1, TN 1
  close(binaryThresholdMetric(y, p, 0.5, "precision"), 2 / 3);
  close(binaryThresholdMetric(y, p, 0.5, "recall"), 2 / 3);
  close(binaryThresholdMetric(y, p, 0.5, "f1"), 2 / 3);
  close(binaryThresholdMetric(y, p, 0.5, "accuracy"), 3 / 5);
  // Nothing predicted positive: precision and F1 are 0 (zero division).
  assert.equal(binaryThresholdMetric(y, p, 0.99, "precision"), 0);
  assert.equal(binaryThresholdMetric(y, p, 0.99, "f1"), 0);
});

Deno.test("entropy, normalizeRows, predictionAgreement and classDistribution", () => {
  close(entropy([1, 1, 1, 1]), Math.log(4));
  close(entropy([3, 0, 1]), -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)));
  assert.equal(entropy([7, 0]), 0);
  assert.deepEqual(normalizeRows([[2, 2], [0, 0]]), [[0.5, 0.5], [0, 0]]);
  const a = predictionAgreement([0, 1, 2, 0, 1], [0, 1, 0, 1, 2], [0, 2, 2, 1, 0]);
  assert.deepEqual(a, {
    bothRight: 1,
    firstRightSecondWrong: 1,
    firstWrongSecondRight: 1,
    bothWrongSame: 1,
    bothWrongDifferent: 1,
    total: 5,
  });
  assert.deepEqual(classDistribution([1, 1, 0, 3], 4), [0.25, 0.5, 0, 0.25]);
});
