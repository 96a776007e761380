/**
 * Classification statistics with the semantics Ludwig 0.8.6 gets from scikit-learn
 * (`ludwig/utils/eval_utils.py`: `ConfusionMatrix`, `roc_curve`, `precision_recall_curve`,
 * `roc_auc_score`, `average_precision_score`). Pure JavaScript over plain arrays.
 *
 * @module
 */

/** Per-class statistics of one label, with the keys of Ludwig's `per_class_stats`. */
export interface ClassStats {
  true_positives: number;
  true_negatives: number;
  false_positives: number;
  false_negatives: number;
  true_positive_rate: number;
  true_negative_rate: number;
  positive_predictive_value: number;
  negative_predictive_value: number;
  false_negative_rate: number;
  false_positive_rate: number;
  false_discovery_rate: number;
  false_omission_rate: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1_score: number;
  sensitivity: number;
  specificity: number;
  hit_rate: number;
  miss_rate: number;
  fall_out: number;
  matthews_correlation_coefficient: number;
  informedness: number;
  markedness: number;
}

/** Ludwig's `overall_stats` of a category or binary output feature. */
export interface OverallStats {
  token_accuracy: number;
  avg_precision_macro: number;
  avg_recall_macro: number;
  avg_f1_score_macro: number;
  avg_precision_micro: number;
  avg_recall_micro: number;
  avg_f1_score_micro: number;
  avg_precision_weighted: number;
  avg_recall_weighted: number;
  avg_f1_score_weighted: number;
  kappa_score: number;
}

const ratio = (nom: number, den: number): number => (den === 0 ? 0 : nom / den);

/**
 * The confusion matrix `cm[true][predicted]` over classes `0..numClasses-1`
 * (scikit-learn's `confusion_matrix(y_true, y_pred, labels=range(numClasses))`: pairs with a
 * class outside the range are left out).
 */
export function confusionMatrix(
  targets: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClasses: number,
): number[][] {
  const cm = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  const n = Math.min(targets.length, predictions.length);
  for (let i = 0; i < n; i++) {
    const t = Number(targets[i]);
    const p = Number(predictions[i]);
    if (t >= 0 && t < numClasses && p >= 0 && p < numClasses) cm[t][p]++;
  }
  return cm;
}

/** Ludwig's `ConfusionMatrix.class_stats(idx)` for every class, keyed by label. */
export function perClassStats(
  cm: number[][],
  labels: readonly string[],
): Record<string, ClassStats> {
  const k = cm.length;
  const sumPred = new Array<number>(k).fill(0);
  const sumCond = new Array<number>(k).fill(0);
  let all = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      sumPred[j] += cm[i][j];
      sumCond[i] += cm[i][j];
      all += cm[i][j];
    }
  }
  const out: Record<string, ClassStats> = {};
  for (let idx = 0; idx < k; idx++) {
    const tp = cm[idx][idx];
    const tn = all - sumPred[idx] - sumCond[idx] + tp;
    const fp = sumPred[idx] - tp;
    const fn = sumCond[idx] - tp;
    const tpr = ratio(tp, sumCond[idx]);
    const tnr = ratio(tn, tn + fp);
    const ppv = ratio(tp, sumPred[idx]);
    const npv = ratio(tn, tn + fn);
    const f1 = ratio(2 * ppv * tpr, ppv + tpr);
    const mccDen = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
    out[labels[idx] ?? String(idx)] = {
      true_positives: tp,
      true_negatives: tn,
      false_positives: fp,
      false_negatives: fn,
      true_positive_rate: tpr,
      true_negative_rate: tnr,
      positive_predictive_value: ppv,
      negative_predictive_value: npv,
      false_negative_rate: 1 - tpr,
      false_positive_rate: 1 - tnr,
      false_discovery_rate: 1 - ppv,
      false_omission_rate: 1 - npv,
      accuracy: ratio(tp + tn, all),
      precision: ppv,
      recall: tpr,
      f1_score: f1,
      sensitivity: tpr,
      specificity: tnr,
      hit_rate: tpr,
      miss_rate: 1 - tpr,
      fall_out: 1 - tnr,
      matthews_correlation_coefficient: ratio(tp * tn - fp * fn, mccDen),
      informedness: tpr + tnr - 1,
      markedness: ppv + npv - 1,
    };
  }
  return out;
}

/**
 * Ludwig's `ConfusionMatrix.stats()`: scikit-learn averages over the labels present in the
 * targets or the predictions. As in Ludwig, `avg_precision_weighted` and `avg_recall_weighted`
 * hold the micro averages (only `avg_f1_score_weighted` is support-weighted).
 */
export function overallStats(
  targets: ArrayLike<number>,
  predictions: ArrayLike<number>,
): OverallStats {
  const n = Math.min(targets.length, predictions.length);
  const present = new Set<number>();
  for (let i = 0; i < n; i++) {
    present.add(Number(targets[i]));
    present.add(Number(predictions[i]));
  }
  const labels = [...present].sort((a, b) => a - b);
  const index = new Map(labels.map((l, i) => [l, i]));
  const k = labels.length;
  const cm = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const t = Number(targets[i]);
    const p = Number(predictions[i]);
    cm[index.get(t)!][index.get(p)!]++;
    if (t === p) correct++;
  }
  const tp = labels.map((_, i) => cm[i][i]);
  const predCount = labels.map((_, j) => cm.reduce((s, row) => s + row[j], 0));
  const support = cm.map((row) => row.reduce((s, v) => s + v, 0));
  const precision = tp.map((v, i) => ratio(v, predCount[i]));
  const recall = tp.map((v, i) => ratio(v, support[i]));
  const f1 = precision.map((p, i) => ratio(2 * p * recall[i], p + recall[i]));
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((s, v) => s + v, 0) / xs.length);
  const sumTp = tp.reduce((s, v) => s + v, 0);
  const microP = ratio(sumTp, predCount.reduce((s, v) => s + v, 0));
  const microR = ratio(sumTp, support.reduce((s, v) => s + v, 0));
  const microF1 = ratio(2 * microP * microR, microP + microR);
  const totalSupport = support.reduce((s, v) => s + v, 0);
  const weightedF1 = ratio(f1.reduce((s, v, i) => s + v * support[i], 0), totalSupport);
  return {
    token_accuracy: n === 0 ? 0 : correct / n,
    avg_precision_macro: mean(precision),
    avg_recall_macro: mean(recall),
    avg_f1_score_macro: mean(f1),
    avg_precision_micro: microP,
    avg_recall_micro: microR,
    avg_f1_score_micro: microF1,
    avg_precision_weighted: microP,
    avg_recall_weighted: microR,
    avg_f1_score_weighted: weightedF1,
    kappa_score: cohenKappa(cm),
  };
}

/** Cohen's kappa of a confusion matrix (scikit-learn `cohen_kappa_score`, unweighted); NaN if undefined. */
export function cohenKappa(cm: number[][]): number {
  const k = cm.length;
  const rows = cm.map((row) => row.reduce((s, v) => s + v, 0));
  const cols = cm[0]?.map((_, j) => cm.reduce((s, row) => s + row[j], 0)) ?? [];
  const total = rows.reduce((s, v) => s + v, 0);
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      if (i === j) continue;
      observed += cm[i][j];
      expected += (cols[i] * rows[j]) / total;
    }
  }
  return 1 - observed / expected;
}

/** Scores sorted descending with the distinct-threshold cumulative counts (sklearn `_binary_clf_curve`). */
export function binaryClfCurve(
  targets: ArrayLike<number>,
  scores: ArrayLike<number>,
): { fps: number[]; tps: number[]; thresholds: number[] } {
  const n = Math.min(targets.length, scores.length);
  const order = Array.from({ length: n }, (_, i) => i);
  // Stable descending sort (numpy's mergesort on the negated scores).
  order.sort((a, b) => Number(scores[b]) - Number(scores[a]) || a - b);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    if (Number(targets[i]) === 1) tp++;
    const next = r + 1 < n ? Number(scores[order[r + 1]]) : NaN;
    if (r === n - 1 || next !== Number(scores[i])) {
      tps.push(tp);
      fps.push(r + 1 - tp);
      thresholds.push(Number(scores[i]));
    }
  }
  return { fps, tps, thresholds };
}

/**
 * scikit-learn's `roc_curve(y_true, y_score)` with `drop_intermediate=True`; the first
 * threshold is `Infinity` (scikit-learn >= 1.3). Rates are NaN when a class is absent.
 */
export function rocCurve(
  targets: ArrayLike<number>,
  scores: ArrayLike<number>,
): { false_positive_rate: number[]; true_positive_rate: number[]; thresholds: number[] } {
  let { fps, tps, thresholds } = binaryClfCurve(targets, scores);
  if (fps.length > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      const d2f = fps[i + 1] - 2 * fps[i] + fps[i - 1];
      const d2t = tps[i + 1] - 2 * tps[i] + tps[i - 1];
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = keep.map((i) => fps[i]);
    tps = keep.map((i) => tps[i]);
    thresholds = keep.map((i) => thresholds[i]);
  }
  fps = [0, ...fps];
  tps = [0, ...tps];
  thresholds = [Infinity, ...thresholds];
  const lastF = fps[fps.length - 1];
  const lastT = tps[tps.length - 1];
  return {
    false_positive_rate: fps.map((v) => (lastF <= 0 ? NaN : v / lastF)),
    true_positive_rate: tps.map((v) => (lastT <= 0 ? NaN : v / lastT)),
    thresholds,
  };
}

/**
 * scikit-learn's (>= 1.1) `precision_recall_curve(y_true, probas_pred)`: precisions and recalls
 * by decreasing recall, ending with the point (recall 0, precision 1).
 */
export function precisionRecallCurve(
  targets: ArrayLike<number>,
  scores: ArrayLike<number>,
): { precisions: number[]; recalls: number[]; thresholds: number[] } {
  const { fps, tps, thresholds } = binaryClfCurve(targets, scores);
  const lastT = tps[tps.length - 1] ?? 0;
  const precision = tps.map((t, i) => (t + fps[i] === 0 ? 0 : t / (t + fps[i])));
  const recall = tps.map((t) => (lastT === 0 ? 1 : t / lastT));
  return {
    precisions: [...precision.reverse(), 1],
    recalls: [...recall.reverse(), 0],
    thresholds: [...thresholds].reverse(),
  };
}

/** Area under a curve by the trapezoidal rule (x may decrease; numpy `trapz` semantics). */
export function trapezoid(y: readonly number[], x: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return area;
}

/**
 * scikit-learn's binary `roc_auc_score`; `null` when only one class is present in the targets
 * (scikit-learn raises there and Ludwig's wrapper returns None).
 */
export function rocAucScore(targets: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  let pos = 0;
  const n = Math.min(targets.length, scores.length);
  for (let i = 0; i < n; i++) if (Number(targets[i]) === 1) pos++;
  if (pos === 0 || pos === n) return null;
  const roc = rocCurve(targets, scores);
  return trapezoid(roc.true_positive_rate, roc.false_positive_rate);
}

/** scikit-learn's binary `average_precision_score`: `-sum(diff(recall) * precision[:-1])`. */
export function averagePrecisionScore(
  targets: ArrayLike<number>,
  scores: ArrayLike<number>,
): number {
  const { precisions, recalls } = precisionRecallCurve(targets, scores);
  let ap = 0;
  for (let i = 0; i < recalls.length - 1; i++) {
    ap -= (recalls[i + 1] - recalls[i]) * precisions[i];
  }
  return ap;
}

/**
 * torchmetrics 0.11 binary ROC AUC (exact thresholds): 0 when the targets lack positives or
 * negatives (torchmetrics then returns a zero rate), as Ludwig reports it during training.
 */
export function torchmetricsBinaryAuroc(
  targets: ArrayLike<number>,
  scores: ArrayLike<number>,
  positive = 1,
): number {
  const n = Math.min(targets.length, scores.length);
  const t = new Uint8Array(n);
  for (let i = 0; i < n; i++) t[i] = Number(targets[i]) === positive ? 1 : 0;
  const { fps, tps } = binaryClfCurve(t, scores);
  const f = [0, ...fps];
  const p = [0, ...tps];
  const lastF = f[f.length - 1];
  const lastT = p[p.length - 1];
  const fpr = f.map((v) => (lastF <= 0 ? 0 : v / lastF));
  const tpr = p.map((v) => (lastT <= 0 ? 0 : v / lastT));
  return trapezoid(tpr, fpr);
}
