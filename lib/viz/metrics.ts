/**
 * The numbers Ludwig's visualizations derive from probabilities and predictions: accuracy,
 * hits@k and mean reciprocal rank, macro precision/recall/F1, accuracy and coverage under a
 * confidence threshold, ROC and precision-recall curves (scikit-learn's definitions),
 * reliability bins and the Brier score, and the entropy of a confusion-matrix row.
 *
 * Rows of probabilities are per example; columns are classes in vocabulary order (`idx2str`).
 * Ties between equal probabilities rank the lower class index first, as `argmax` does.
 *
 * @module
 */
import {
  precisionRecallCurve as sharedPrecisionRecallCurve,
  rocCurve as sharedRocCurve,
} from "../train/_classification_stats.ts";

/** A matrix of class probabilities: one row per example, one column per class. */
export type Probabilities = readonly (readonly number[])[];

/** Ludwig's confidence thresholds: 0, 0.05, ..., 1. */
export const CONFIDENCE_THRESHOLDS: readonly number[] = Object.freeze(
  Array.from({ length: 21 }, (_, i) => i / 20),
);

/**
 * Index of the largest value (the first one on ties).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { argmax } from "./metrics.ts";
 * assertEquals(argmax([0.2, 0.5, 0.5]), 1);
 * ```
 */
export function argmax(row: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/**
 * Class indices ordered from most to least probable (lower index first on ties).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { rankClasses } from "./metrics.ts";
 * assertEquals(rankClasses([0.1, 0.6, 0.3]), [1, 2, 0]);
 * ```
 */
export function rankClasses(row: readonly number[]): number[] {
  return row.map((_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
}

/**
 * Ludwig's `labels_limit`: labels above `limit` become `limit`, and probability columns from
 * `limit` on are summed into one "rare" column. A limit of 0 leaves the inputs unchanged.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { limitLabels } from "./metrics.ts";
 * const out = limitLabels([[0.5, 0.2, 0.2, 0.1]], [3], 1);
 * assertEquals(out.groundTruth, [1]);
 * assertEquals(out.probabilities[0].map((p) => Math.round(p * 10) / 10), [0.5, 0.5]);
 * ```
 */
export function limitLabels(
  probabilities: Probabilities,
  groundTruth: readonly number[],
  limit: number,
): { probabilities: number[][]; groundTruth: number[] } {
  if (!(limit > 0)) {
    return { probabilities: probabilities.map((r) => [...r]), groundTruth: [...groundTruth] };
  }
  return {
    groundTruth: groundTruth.map((g) => Math.min(g, limit)),
    probabilities: probabilities.map((row) => {
      if (row.length <= limit + 1) return [...row];
      const head = row.slice(0, limit);
      let rare = 0;
      for (let i = limit; i < row.length; i++) rare += row[i];
      return [...head, rare];
    }),
  };
}

/** Labels above `limit` become `limit` (no change when `limit` is 0). */
export function limitLabelIndices(labels: readonly number[], limit: number): number[] {
  return limit > 0 ? labels.map((g) => Math.min(g, limit)) : [...labels];
}

function checkLengths(what: string, a: number, b: number): void {
  if (a !== b) {
    throw new RangeError(
      `Cannot compute ${what}: expected as many ground-truth labels as rows, received ${b} labels and ${a} rows`,
    );
  }
  if (a === 0) throw new RangeError(`Cannot compute ${what}: received no examples`);
}

/**
 * Fraction of rows whose most probable class is the true one.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { accuracyFromProbabilities } from "./metrics.ts";
 * assertEquals(accuracyFromProbabilities([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]], [0, 1, 1]), 2 / 3);
 * ```
 */
export function accuracyFromProbabilities(
  probabilities: Probabilities,
  groundTruth: readonly number[],
): number {
  checkLengths("accuracy", probabilities.length, groundTruth.length);
  let hits = 0;
  probabilities.forEach((row, i) => {
    if (argmax(row) === groundTruth[i]) hits++;
  });
  return hits / groundTruth.length;
}

/**
 * Hits@k: fraction of rows whose true class is among the `k` most probable ones.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { hitsAtK } from "./metrics.ts";
 * const probs = [[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2]];
 * assertEquals(hitsAtK(probs, [0, 1, 2], 2), 2 / 3);
 * ```
 */
export function hitsAtK(
  probabilities: Probabilities,
  groundTruth: readonly number[],
  k: number,
): number {
  return hitsAtKCurve(probabilities, groundTruth, k)[k - 1];
}

/**
 * Hits@k for every k from 1 to `topK`.
 *
 * @returns An array whose element `k - 1` is hits@k.
 */
export function hitsAtKCurve(
  probabilities: Probabilities,
  groundTruth: readonly number[],
  topK: number,
): number[] {
  checkLengths("hits@k", probabilities.length, groundTruth.length);
  if (!(topK >= 1)) {
    throw new RangeError(`Cannot compute hits@k: expected k >= 1, received ${topK}`);
  }
  const counts = new Array<number>(topK).fill(0);
  probabilities.forEach((row, i) => {
    const rank = rankClasses(row).indexOf(groundTruth[i]);
    if (rank < 0) return;
    for (let k = rank; k < topK; k++) counts[k]++;
  });
  return counts.map((c) => c / groundTruth.length);
}

/**
 * Mean reciprocal rank of the true class (1 for first place, 1/2 for second, ...; 0 when the
 * class has no column).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { meanReciprocalRank } from "./metrics.ts";
 * assertEquals(meanReciprocalRank([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2]], [0, 2]), (1 + 1 / 3) / 2);
 * ```
 */
export function meanReciprocalRank(
  probabilities: Probabilities,
  groundTruth: readonly number[],
): number {
  checkLengths("mean reciprocal rank", probabilities.length, groundTruth.length);
  let sum = 0;
  probabilities.forEach((row, i) => {
    const rank = rankClasses(row).indexOf(groundTruth[i]);
    if (rank >= 0) sum += 1 / (rank + 1);
  });
  return sum / groundTruth.length;
}

/** Accuracy and macro-averaged precision, recall and F1 of predicted labels. */
export interface ClassificationScores {
  /** Fraction of correct predictions. */
  accuracy: number;
  /** Mean over labels of TP / (TP + FP), 0 for a label never predicted. */
  precision: number;
  /** Mean over labels of TP / (TP + FN). */
  recall: number;
  /** Mean over labels of 2TP / (2TP + FP + FN). */
  f1: number;
}

/**
 * Accuracy and macro precision, recall and F1 over the labels present in either the ground
 * truth or the predictions (scikit-learn's `average="macro"`, zero division counted as 0).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { classificationScores } from "./metrics.ts";
 * const s = classificationScores([0, 1, 1, 0], [0, 1, 0, 0]);
 * assertEquals(s.accuracy, 0.75);
 * assertEquals(s.precision, (1 + 1 / 2) / 2);
 * assertEquals(s.recall, (2 / 3 + 1) / 2);
 * ```
 */
export function classificationScores(
  predictions: readonly number[],
  groundTruth: readonly number[],
): ClassificationScores {
  checkLengths("classification scores", predictions.length, groundTruth.length);
  const labels = [...new Set([...groundTruth, ...predictions])].sort((a, b) => a - b);
  const tp = new Map<number, number>();
  const fp = new Map<number, number>();
  const fn = new Map<number, number>();
  const add = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  let correct = 0;
  predictions.forEach((p, i) => {
    const g = groundTruth[i];
    if (p === g) {
      correct++;
      add(tp, g);
    } else {
      add(fp, p);
      add(fn, g);
    }
  });
  let precision = 0, recall = 0, f1 = 0;
  for (const label of labels) {
    const t = tp.get(label) ?? 0, f = fp.get(label) ?? 0, n = fn.get(label) ?? 0;
    precision += t + f > 0 ? t / (t + f) : 0;
    recall += t + n > 0 ? t / (t + n) : 0;
    f1 += 2 * t + f + n > 0 ? (2 * t) / (2 * t + f + n) : 0;
  }
  const n = labels.length;
  return {
    accuracy: correct / predictions.length,
    precision: precision / n,
    recall: recall / n,
    f1: f1 / n,
  };
}

/** Accuracy and data coverage at each confidence threshold. */
export interface ThresholdingResult {
  /** The thresholds (Ludwig evaluates 1 as 0.999 so that certain predictions survive). */
  thresholds: number[];
  /** Accuracy of the kept rows, or `null` when no row is kept. */
  accuracies: (number | null)[];
  /** Kept rows over `total` rows. */
  coverages: number[];
}

/**
 * Keep the rows whose highest probability reaches each threshold, and measure the accuracy of
 * what is kept and the fraction kept (Ludwig's `confidence_thresholding`).
 *
 * @param probabilities Class probabilities of the rows considered.
 * @param groundTruth True class indices of those rows.
 * @param options `total`: the denominator of the coverage (default: the number of rows; Ludwig
 *   divides by the whole dataset when thresholding a subset); `thresholds` (default 0..1 by 0.05).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { confidenceThresholding } from "./metrics.ts";
 * const r = confidenceThresholding([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3]], [0, 0, 1], {
 *   thresholds: [0, 0.65, 0.95],
 * });
 * assertEquals(r.accuracies, [1 / 3, 0.5, null]);
 * assertEquals(r.coverages, [1, 2 / 3, 0]);
 * ```
 */
export function confidenceThresholding(
  probabilities: Probabilities,
  groundTruth: readonly number[],
  options: { total?: number; thresholds?: readonly number[] } = {},
): ThresholdingResult {
  if (probabilities.length !== groundTruth.length) {
    checkLengths("confidence thresholding", probabilities.length, groundTruth.length);
  }
  const thresholds = [...(options.thresholds ?? CONFIDENCE_THRESHOLDS)];
  const total = options.total ?? groundTruth.length;
  const maxProb = probabilities.map((row) => Math.max(...row));
  const correct = probabilities.map((row, i) => argmax(row) === groundTruth[i]);
  const accuracies: (number | null)[] = [];
  const coverages: number[] = [];
  for (const threshold of thresholds) {
    const t = threshold < 1 ? threshold : 0.999;
    let kept = 0, hits = 0;
    maxProb.forEach((p, i) => {
      if (p >= t) {
        kept++;
        if (correct[i]) hits++;
      }
    });
    accuracies.push(kept > 0 ? hits / kept : null);
    coverages.push(total > 0 ? kept / total : 0);
  }
  return { thresholds, accuracies, coverages };
}

/** One cell of the two-threshold grid. */
export interface TwoThresholdCell {
  /** Threshold on the first feature's highest probability. */
  threshold1: number;
  /** Threshold on the second feature's highest probability. */
  threshold2: number;
  /** Fraction of rows where both features pass their thresholds. */
  coverage: number;
  /** Fraction of kept rows where both features are predicted correctly; null when none kept. */
  accuracy: number | null;
}

/**
 * Thresholds on two output features at once (Ludwig's
 * `confidence_thresholding_2thresholds_2d`): a row is kept when both features' highest
 * probabilities pass their thresholds, and is correct when both predictions are right.
 *
 * @returns One cell per (threshold1, threshold2), threshold2 varying fastest.
 */
export function twoThresholdGrid(
  probabilities: readonly [Probabilities, Probabilities],
  groundTruth: readonly [readonly number[], readonly number[]],
  thresholds: readonly number[] = CONFIDENCE_THRESHOLDS,
): TwoThresholdCell[] {
  const [p1, p2] = probabilities;
  const [g1, g2] = groundTruth;
  checkLengths("two-threshold accuracy", p1.length, g1.length);
  checkLengths("two-threshold accuracy", p2.length, g2.length);
  checkLengths("two-threshold accuracy", p1.length, p2.length);
  const max1 = p1.map((r) => Math.max(...r));
  const max2 = p2.map((r) => Math.max(...r));
  const right = p1.map((r, i) => argmax(r) === g1[i] && argmax(p2[i]) === g2[i]);
  const cells: TwoThresholdCell[] = [];
  for (const threshold1 of thresholds) {
    const t1 = threshold1 < 1 ? threshold1 : 0.999;
    for (const threshold2 of thresholds) {
      const t2 = threshold2 < 1 ? threshold2 : 0.999;
      let kept = 0, hits = 0;
      for (let i = 0; i < p1.length; i++) {
        if (max1[i] >= t1 && max2[i] >= t2) {
          kept++;
          if (right[i]) hits++;
        }
      }
      cells.push({
        threshold1,
        threshold2,
        coverage: kept / p1.length,
        accuracy: kept > 0 ? hits / kept : null,
      });
    }
  }
  return cells;
}

/**
 * Linear interpolation of `(xs, ys)` at `x` like `numpy.interp`, skipping points whose y is
 * null; `left`/`right` are returned outside the range. `xs` must be non-decreasing.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { interpolate } from "./metrics.ts";
 * assertEquals(interpolate(0.25, [0, 0.5], [1, 0]), 0.5);
 * ```
 */
export function interpolate(
  x: number,
  xs: readonly number[],
  ys: readonly (number | null)[],
  left = ys.find((y) => y !== null) ?? NaN,
  right = [...ys].reverse().find((y) => y !== null) ?? NaN,
): number {
  const pts: [number, number][] = [];
  xs.forEach((xi, i) => {
    const yi = ys[i];
    if (yi !== null && Number.isFinite(yi)) pts.push([xi, yi]);
  });
  if (pts.length === 0) return NaN;
  if (x < pts[0][0]) return left;
  if (x > pts[pts.length - 1][0]) return right;
  for (let i = pts.length - 1; i >= 0; i--) {
    // The last point with xi <= x, like numpy's right-biased search for repeated xs.
    if (pts[i][0] <= x) {
      if (pts[i][0] === x || i === pts.length - 1) return pts[i][1];
      const [x0, y0] = pts[i], [x1, y1] = pts[i + 1];
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return left;
}

/** A curve's points with the thresholds that produce them. */
export interface RocCurve {
  /** False positive rates, from 0 to 1. */
  falsePositiveRate: number[];
  /** True positive rates, from 0 to 1. */
  truePositiveRate: number[];
  /** Score thresholds; the first is `Infinity` (nothing predicted positive). */
  thresholds: number[];
}

/** Booleans as the 0/1 targets of the shared curve implementation, after a length check. */
function binaryTargets(labels: readonly boolean[], scores: readonly number[]): number[] {
  checkLengths("the curve", scores.length, labels.length);
  return labels.map((l) => (l ? 1 : 0));
}

/**
 * The ROC curve of scores against binary labels, as scikit-learn's `roc_curve` computes it
 * (collinear intermediate points dropped, a first point at (0, 0)).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { rocCurve } from "./metrics.ts";
 * const roc = rocCurve([false, false, true, true], [0.1, 0.4, 0.35, 0.8]);
 * assertEquals(roc.falsePositiveRate, [0, 0, 0.5, 0.5, 1]);
 * assertEquals(roc.truePositiveRate, [0, 0.5, 0.5, 1, 1]);
 * ```
 */
export function rocCurve(labels: readonly boolean[], scores: readonly number[]): RocCurve {
  const roc = sharedRocCurve(binaryTargets(labels, scores), scores);
  return {
    falsePositiveRate: roc.false_positive_rate,
    truePositiveRate: roc.true_positive_rate,
    thresholds: roc.thresholds,
  };
}

/** Points of a precision-recall curve. */
export interface PrecisionRecallCurve {
  /** Precisions, ending with 1. */
  precisions: number[];
  /** Recalls, decreasing to 0. */
  recalls: number[];
  /** Score thresholds (one fewer than points), increasing. */
  thresholds: number[];
}

/**
 * The precision-recall curve of scores against binary labels, as scikit-learn's
 * `precision_recall_curve` computes it (a last point at recall 0, precision 1).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { precisionRecallCurve } from "./metrics.ts";
 * const pr = precisionRecallCurve([false, false, true, true], [0.1, 0.4, 0.35, 0.8]);
 * assertEquals(pr.precisions, [0.5, 2 / 3, 0.5, 1, 1]);
 * assertEquals(pr.recalls, [1, 1, 0.5, 0.5, 0]);
 * ```
 */
export function precisionRecallCurve(
  labels: readonly boolean[],
  scores: readonly number[],
): PrecisionRecallCurve {
  return sharedPrecisionRecallCurve(binaryTargets(labels, scores), scores);
}

/**
 * Area under a curve by the trapezoidal rule (points in order along x, either direction).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { trapezoidArea } from "./metrics.ts";
 * assertEquals(trapezoidArea([0, 0.5, 1], [0, 1, 1]), 0.75);
 * ```
 */
export function trapezoidArea(xs: readonly number[], ys: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((xs[i] - xs[i - 1]) * (ys[i] + ys[i - 1])) / 2;
  return Math.abs(area);
}

/**
 * Average precision: the sum over thresholds of (R_n - R_{n-1}) P_n (scikit-learn's
 * `average_precision_score`, no interpolation).
 */
export function averagePrecision(curve: PrecisionRecallCurve): number {
  let ap = 0;
  for (let i = 0; i < curve.recalls.length - 1; i++) {
    ap += (curve.recalls[i] - curve.recalls[i + 1]) * curve.precisions[i];
  }
  return ap;
}

/** One non-empty bin of a reliability diagram. */
export interface CalibrationBin {
  /** Mean predicted probability of the bin's rows. */
  meanPredicted: number;
  /** Fraction of the bin's rows that are positive. */
  fractionPositives: number;
  /** Number of rows in the bin. */
  count: number;
}

/**
 * Reliability-diagram bins, as scikit-learn's `calibration_curve(strategy="uniform")` makes them:
 * `nBins` equal-width bins on [0, 1] (a value on an inner edge goes to the lower bin); empty bins
 * are omitted. Ludwig uses 21 bins.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { calibrationCurve } from "./metrics.ts";
 * const bins = calibrationCurve([false, true, true, false], [0.1, 0.2, 0.9, 0.8], 2);
 * assertEquals(bins.map((b) => b.fractionPositives), [0.5, 0.5]);
 * assertEquals(bins.map((b) => Math.round(b.meanPredicted * 100) / 100), [0.15, 0.85]);
 * ```
 */
export function calibrationCurve(
  labels: readonly boolean[],
  probabilities: readonly number[],
  nBins = 21,
): CalibrationBin[] {
  checkLengths("the calibration curve", probabilities.length, labels.length);
  const sums = new Array<number>(nBins).fill(0);
  const positives = new Array<number>(nBins).fill(0);
  const counts = new Array<number>(nBins).fill(0);
  probabilities.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(
        `Cannot compute the calibration curve: expected probabilities in [0, 1], received ${p}`,
      );
    }
    // Index of the first inner edge >= p: inner edges are k / nBins for k = 1..nBins-1.
    let bin = Math.ceil(p * nBins) - 1;
    if (bin < 0) bin = 0;
    // Guard float error: make sure (bin / nBins) < p <= ((bin + 1) / nBins) holds for inner edges.
    while (bin > 0 && p <= bin / nBins) bin--;
    while (bin < nBins - 1 && p > (bin + 1) / nBins) bin++;
    sums[bin] += p;
    counts[bin]++;
    if (labels[i]) positives[bin]++;
  });
  const bins: CalibrationBin[] = [];
  for (let b = 0; b < nBins; b++) {
    if (counts[b] > 0) {
      bins.push({
        meanPredicted: sums[b] / counts[b],
        fractionPositives: positives[b] / counts[b],
        count: counts[b],
      });
    }
  }
  return bins;
}

/**
 * The Brier score: the mean squared difference between probability and outcome (0 is perfect).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { brierScore } from "./metrics.ts";
 * assertEquals(brierScore([true, false], [0.8, 0.4]), (0.04 + 0.16) / 2);
 * ```
 */
export function brierScore(labels: readonly boolean[], probabilities: readonly number[]): number {
  checkLengths("the Brier score", probabilities.length, labels.length);
  let sum = 0;
  probabilities.forEach((p, i) => {
    const d = (labels[i] ? 1 : 0) - p;
    sum += d * d;
  });
  return sum / probabilities.length;
}

/** The binary metrics `binaryThresholdMetric` knows. */
export type BinaryMetric = "f1" | "precision" | "recall" | "accuracy";

/** The names of {@linkcode BinaryMetric}, in Ludwig's order. */
export const BINARY_METRICS: readonly BinaryMetric[] = ["f1", "precision", "recall", "accuracy"];

/**
 * A binary metric of `probability >= threshold` predictions (zero division counts as 0).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { binaryThresholdMetric } from "./metrics.ts";
 * const y = [true, false, true, false], p = [0.9, 0.6, 0.4, 0.1];
 * assertEquals(binaryThresholdMetric(y, p, 0.5, "precision"), 0.5);
 * assertEquals(binaryThresholdMetric(y, p, 0.5, "accuracy"), 0.5);
 * ```
 */
export function binaryThresholdMetric(
  labels: readonly boolean[],
  probabilities: readonly number[],
  threshold: number,
  metric: BinaryMetric,
): number {
  checkLengths(metric, probabilities.length, labels.length);
  let tp = 0, fp = 0, fn = 0, tn = 0;
  probabilities.forEach((p, i) => {
    const predicted = p >= threshold;
    if (predicted && labels[i]) tp++;
    else if (predicted) fp++;
    else if (labels[i]) fn++;
    else tn++;
  });
  switch (metric) {
    case "precision":
      return tp + fp > 0 ? tp / (tp + fp) : 0;
    case "recall":
      return tp + fn > 0 ? tp / (tp + fn) : 0;
    case "f1":
      return 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
    case "accuracy":
      return (tp + tn) / labels.length;
  }
}

/**
 * Shannon entropy (natural log) of a row of non-negative counts or weights, normalized to sum
 * to 1 (scipy's `entropy`); 0 for an all-zero row.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { entropy } from "./metrics.ts";
 * assertEquals(entropy([5, 5]), Math.log(2));
 * assertEquals(entropy([0, 0]), 0);
 * ```
 */
export function entropy(row: readonly number[]): number {
  const total = row.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return 0;
  let h = 0;
  for (const v of row) {
    if (v > 0) {
      const p = v / total;
      h -= p * Math.log(p);
    }
  }
  return h;
}

/**
 * Divide each row by its sum (rows summing to 0 stay 0).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { normalizeRows } from "./metrics.ts";
 * assertEquals(normalizeRows([[1, 3], [0, 0]]), [[0.25, 0.75], [0, 0]]);
 * ```
 */
export function normalizeRows(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total > 0 ? v / total : 0));
  });
}

/** How two classifiers' predictions relate to the truth and to each other. */
export interface PredictionAgreement {
  /** Rows both classifiers got right. */
  bothRight: number;
  /** Rows only the first got right. */
  firstRightSecondWrong: number;
  /** Rows only the second got right. */
  firstWrongSecondRight: number;
  /** Rows both got wrong with the same prediction. */
  bothWrongSame: number;
  /** Rows both got wrong with different predictions. */
  bothWrongDifferent: number;
  /** All rows. */
  total: number;
}

/**
 * Count the agreement between two classifiers (Ludwig's `compare_classifiers_predictions`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { predictionAgreement } from "./metrics.ts";
 * const a = predictionAgreement([0, 1, 2, 2, 1], [0, 1, 1, 0, 0], [0, 0, 1, 1, 2]);
 * assertEquals([a.bothRight, a.firstRightSecondWrong, a.bothWrongSame, a.bothWrongDifferent], [1, 1, 1, 2]);
 * ```
 */
export function predictionAgreement(
  groundTruth: readonly number[],
  first: readonly number[],
  second: readonly number[],
): PredictionAgreement {
  checkLengths("prediction agreement", first.length, groundTruth.length);
  checkLengths("prediction agreement", second.length, groundTruth.length);
  const out: PredictionAgreement = {
    bothRight: 0,
    firstRightSecondWrong: 0,
    firstWrongSecondRight: 0,
    bothWrongSame: 0,
    bothWrongDifferent: 0,
    total: groundTruth.length,
  };
  groundTruth.forEach((g, i) => {
    const r1 = first[i] === g, r2 = second[i] === g;
    if (r1 && r2) out.bothRight++;
    else if (r1) out.firstRightSecondWrong++;
    else if (r2) out.firstWrongSecondRight++;
    else if (first[i] === second[i]) out.bothWrongSame++;
    else out.bothWrongDifferent++;
  });
  return out;
}

/**
 * The fraction of labels equal to each class index 0..n-1.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { classDistribution } from "./metrics.ts";
 * assertEquals(classDistribution([0, 2, 2, 2], 3), [0.25, 0, 0.75]);
 * ```
 */
export function classDistribution(labels: readonly number[], numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of labels) if (l >= 0 && l < numClasses) counts[l]++;
  return counts.map((c) => (labels.length > 0 ? c / labels.length : 0));
}
