/**
 * The metric parts of every output type and the pieces they share (means, array checks), plus
 * Ludwig's overall statistics of classification outputs: plain JavaScript over typed arrays, no
 * TensorFlow.js. A feature implementation module (`lib/features/_<type>.ts`) binds its type to
 * one part here; `metrics.ts` assembles accumulators from the part of a type's module.
 *
 * @module
 */
import {
  averagePrecisionScore,
  type ClassStats,
  confusionMatrix,
  type OverallStats,
  overallStats,
  perClassStats,
  precisionRecallCurve,
  rocAucScore,
  rocCurve,
  torchmetricsBinaryAuroc,
} from "./_classification_stats.ts";

/** Numbers of one batch: a typed array, a plain array, or booleans. */
export type Values = ArrayLike<number> | ArrayLike<boolean>;

/**
 * One batch of an output feature. Which fields an output type reads:
 *
 * | type | fields |
 * |---|---|
 * | binary | `targets` (0/1), `probabilities` (of true), `predictions` (0/1; default `probabilities >= threshold`) |
 * | category | `targets` (class index), `probabilities` (rows × numClasses), `predictions` (default argmax), `logits` (for hits_at_k; default probabilities) |
 * | number | `targets`, `predictions` |
 * | vector | `targets`, `predictions` (rows × vectorSize) |
 * | set | `targets` (rows × numClasses, 0/1), `probabilities` (rows × numClasses) |
 * | sequence, text | `targets`, `predictions` (rows × length token ids), `scores` (rows × length × vocabSize; what perplexity softmaxes) |
 *
 * `loss` is the batch's loss, averaged over batches into the `loss` metric.
 */
export interface MetricBatch {
  /** The batch's loss (the feature's loss function). */
  loss?: number;
  /** Target values, flattened row-major. */
  targets: Values;
  /** Predicted values, flattened row-major. */
  predictions?: Values;
  /** Predicted probabilities, flattened row-major. */
  probabilities?: Values;
  /** Category logits for hits_at_k, flattened row-major. */
  logits?: Values;
  /** Sequence scores for perplexity (rows × length × vocabSize). */
  scores?: Values;
  /** sequence, text: tokens per row of this batch (default: the option `sequenceLength`). */
  sequenceLength?: number;
}

/** Options of {@linkcode createMetricAccumulator}. */
export interface MetricOptions {
  /** category, set: number of classes (vocabulary size). Required for them. */
  numClasses?: number;
  /** category: k of hits_at_k (default 3); hits_at_k is reported only when numClasses > topK. */
  topK?: number;
  /** binary: threshold of the default predictions; set: of jaccard (default 0.5). */
  threshold?: number;
  /** vector: size of each vector (default: all values form one output). */
  vectorSize?: number;
  /** sequence, text: tokens per row (the padded length; a batch may override it). */
  sequenceLength?: number;
  /** sequence, text: vocabulary size, to read `scores` (required with scores). */
  vocabSize?: number;
  /** The padding token id (default 0, Ludwig's `<PAD>`). */
  paddingId?: number;
  /** Compute only these metrics (default: every metric of the type, plus loss). */
  metrics?: readonly string[];
}

/** Streaming metrics of one output feature. */
export interface MetricAccumulator {
  /** The metrics reported, `loss` first. */
  readonly metricNames: readonly string[];
  /** Adds one batch. */
  update(batch: MetricBatch): void;
  /** The metrics over every batch since the last reset (NaN where undefined). */
  compute(): Record<string, number>;
  /** Forgets every batch. */
  reset(): void;
}

/** Mean of values with NaNs dropped (torchmetrics `MeanMetric`, nan_strategy "warn"). */
export class Mean {
  sum = 0;
  count = 0;
  add(value: number, weight = 1): void {
    if (Number.isNaN(value)) return;
    this.sum += value * weight;
    this.count += weight;
  }
  get value(): number {
    return this.sum / this.count;
  }
}

const num = (v: number | boolean): number => (typeof v === "boolean" ? (v ? 1 : 0) : v);

export function toArray(values: Values | undefined, name: string, type: string): Float64Array {
  if (values == null) {
    throw new TypeError(`Cannot update ${type} metrics: the batch has no "${name}"`);
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = num(values[i]);
  return out;
}

export function checkLength(
  a: ArrayLike<unknown>,
  expected: number,
  what: string,
  type: string,
): void {
  if (a.length !== expected) {
    throw new RangeError(
      `Cannot update ${type} metrics: expected ${expected} values in "${what}", received ${a.length}`,
    );
  }
}

/** One output type's share of an accumulator: it reads batches and writes its metrics. */
export type Part = {
  update(batch: MetricBatch): void;
  compute(out: Record<string, number>): void;
};

/** Makes a part for the metrics in `names`. */
export type PartFactory = (options: MetricOptions, names: Set<string>) => Part;

export function lossPart(): Part {
  const mean = new Mean();
  return {
    update(batch) {
      if (batch.loss !== undefined) mean.add(batch.loss);
    },
    compute(out) {
      out.loss = mean.value;
    },
  };
}

export function binaryPart(options: MetricOptions, names: Set<string>): Part {
  const threshold = options.threshold ?? 0.5;
  const targets: number[] = [];
  const scores: number[] = [];
  let tp = 0, fp = 0, tn = 0, fn = 0; // from probabilities > 0.5 (torchmetrics)
  let correct = 0, total = 0; // from predictions
  return {
    update(batch) {
      const t = toArray(batch.targets, "targets", "binary");
      const p = toArray(batch.probabilities, "probabilities", "binary");
      checkLength(p, t.length, "probabilities", "binary");
      const pred = batch.predictions ? toArray(batch.predictions, "predictions", "binary") : null;
      if (pred) checkLength(pred, t.length, "predictions", "binary");
      for (let i = 0; i < t.length; i++) {
        const target = t[i] ? 1 : 0;
        const predicted = pred ? (pred[i] ? 1 : 0) : p[i] >= threshold ? 1 : 0;
        if (predicted === target) correct++;
        total++;
        const positive = p[i] > 0.5;
        if (positive && target) tp++;
        else if (positive) fp++;
        else if (target) fn++;
        else tn++;
        if (names.has("roc_auc")) {
          targets.push(target);
          scores.push(p[i]);
        }
      }
    },
    compute(out) {
      const safe = (a: number, b: number) => (b === 0 ? 0 : a / b);
      if (names.has("accuracy")) out.accuracy = safe(correct, total);
      if (names.has("precision")) out.precision = safe(tp, tp + fp);
      if (names.has("recall")) out.recall = safe(tp, tp + fn);
      if (names.has("specificity")) out.specificity = safe(tn, tn + fp);
      if (names.has("roc_auc")) out.roc_auc = torchmetricsBinaryAuroc(targets, scores);
    },
  };
}

function argmaxRow(values: Float64Array, row: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (values[row * k + j] > values[row * k + best]) best = j;
  return best;
}

export function categoryPart(options: MetricOptions, names: Set<string>): Part {
  const k = options.numClasses;
  if (!k || k < 1) throw new TypeError("Cannot compute category metrics: numClasses is required");
  const topK = options.topK ?? 3;
  const support = new Float64Array(k);
  const hits = new Float64Array(k);
  const hitsAtK = new Float64Array(k);
  let correct = 0, total = 0;
  const targets: number[] = [];
  const probs: number[][] = Array.from({ length: k }, () => []);
  return {
    update(batch) {
      const t = toArray(batch.targets, "targets", "category");
      const n = t.length;
      const p = batch.probabilities
        ? toArray(batch.probabilities, "probabilities", "category")
        : null;
      if (p) checkLength(p, n * k, "probabilities", "category");
      const pred = batch.predictions ? toArray(batch.predictions, "predictions", "category") : null;
      if (pred) checkLength(pred, n, "predictions", "category");
      const logits = batch.logits ? toArray(batch.logits, "logits", "category") : p;
      if (logits && logits !== p) checkLength(logits, n * k, "logits", "category");
      if (!pred && !p) toArray(undefined, "probabilities", "category");
      for (let i = 0; i < n; i++) {
        const target = t[i];
        if (!(target >= 0 && target < k)) {
          throw new RangeError(
            `Cannot update category metrics: target ${target} is outside [0, ${k})`,
          );
        }
        const predicted = pred ? pred[i] : argmaxRow(p!, i, k);
        support[target]++;
        if (predicted === target) {
          hits[target]++;
          correct++;
        }
        total++;
        if (names.has("hits_at_k")) {
          if (!logits) toArray(undefined, "logits", "category");
          // Rank of the target among the row's scores (ties: lower index first, as topk).
          const s = logits![i * k + target];
          let rank = 0;
          for (let j = 0; j < k; j++) {
            const v = logits![i * k + j];
            if (v > s || (v === s && j < target)) rank++;
          }
          if (rank < topK) hitsAtK[target]++;
        }
        if (names.has("roc_auc")) {
          if (!p) toArray(undefined, "probabilities", "category");
          targets.push(target);
          for (let j = 0; j < k; j++) probs[j].push(p![i * k + j]);
        }
      }
    },
    compute(out) {
      const macro = (num: Float64Array) => {
        let s = 0;
        for (let c = 0; c < k; c++) s += support[c] === 0 ? 0 : num[c] / support[c];
        return s / k;
      };
      if (names.has("accuracy")) out.accuracy = macro(hits);
      if (names.has("accuracy_micro")) out.accuracy_micro = total === 0 ? 0 : correct / total;
      if (names.has("hits_at_k")) out.hits_at_k = macro(hitsAtK);
      if (names.has("roc_auc")) {
        let s = 0;
        for (let c = 0; c < k; c++) s += torchmetricsBinaryAuroc(targets, probs[c], c);
        out.roc_auc = targets.length === 0 ? NaN : s / k;
      }
    },
  };
}

export function regressionPart(type: string) {
  return (options: MetricOptions, names: Set<string>): Part => {
    let size = options.vectorSize ?? 0;
    let sse = 0, sae = 0, sape = 0, count = 0;
    const rmspe = new Mean();
    let sumY: Float64Array | null = null, sumY2: Float64Array | null = null;
    let rss: Float64Array | null = null;
    let rows = 0;
    return {
      update(batch) {
        const t = toArray(batch.targets, "targets", type);
        const p = toArray(batch.predictions, "predictions", type);
        checkLength(p, t.length, "predictions", type);
        if (size === 0) size = type === "number" ? 1 : t.length;
        if (t.length % size !== 0) {
          throw new RangeError(
            `Cannot update ${type} metrics: ${t.length} values do not form rows of ${size}`,
          );
        }
        sumY ??= new Float64Array(size);
        sumY2 ??= new Float64Array(size);
        rss ??= new Float64Array(size);
        let batchSq = 0;
        for (let i = 0; i < t.length; i++) {
          const d = t[i] - p[i];
          sse += d * d;
          sae += Math.abs(d);
          sape += Math.abs(d) / Math.max(Math.abs(t[i]), 1.17e-6);
          const denom = t[i] === 0 ? 1e-4 : t[i];
          batchSq += (d / denom) ** 2;
          const j = i % size;
          sumY[j] += t[i];
          sumY2[j] += t[i] * t[i];
          rss[j] += d * d;
        }
        count += t.length;
        rows += t.length / size;
        if (t.length > 0) rmspe.add(Math.sqrt(batchSq / t.length));
      },
      compute(out) {
        if (names.has("mean_squared_error")) out.mean_squared_error = sse / count;
        if (names.has("mean_absolute_error")) out.mean_absolute_error = sae / count;
        if (names.has("mean_absolute_percentage_error")) {
          out.mean_absolute_percentage_error = sape / count;
        }
        if (names.has("root_mean_squared_error")) {
          out.root_mean_squared_error = Math.sqrt(sse / count);
        }
        if (names.has("root_mean_squared_percentage_error")) {
          out.root_mean_squared_percentage_error = rmspe.value;
        }
        if (names.has("r2")) out.r2 = r2(sumY, sumY2, rss, rows);
      },
    };
  };
}

/** Ludwig's R2Score: NaN for fewer than 2 rows; torchmetrics' near-constant handling; uniform average. */
function r2(
  sumY: Float64Array | null,
  sumY2: Float64Array | null,
  rss: Float64Array | null,
  n: number,
): number {
  if (n <= 1 || !sumY || !sumY2 || !rss) return NaN;
  let total = 0;
  for (let j = 0; j < sumY.length; j++) {
    const tss = sumY2[j] - (sumY[j] * sumY[j]) / n;
    const rssZero = Math.abs(rss[j]) <= 1e-4;
    const tssZero = Math.abs(tss) <= 1e-4;
    total += rssZero ? 1 : tssZero ? 0 : 1 - rss[j] / tss;
  }
  return total / sumY.length;
}

export function setPart(options: MetricOptions, names: Set<string>): Part {
  const k = options.numClasses;
  if (!k || k < 1) throw new TypeError("Cannot compute set metrics: numClasses is required");
  const threshold = options.threshold ?? 0.5;
  const jaccard = new Mean();
  return {
    update(batch) {
      const t = toArray(batch.targets, "targets", "set");
      const p = toArray(batch.probabilities, "probabilities", "set");
      checkLength(p, t.length, "probabilities", "set");
      if (t.length % k !== 0) {
        throw new RangeError(
          `Cannot update set metrics: ${t.length} values do not form rows of ${k}`,
        );
      }
      if (!names.has("jaccard")) return;
      for (let r = 0; r < t.length / k; r++) {
        let inter = 0, union = 0;
        for (let j = r * k; j < (r + 1) * k; j++) {
          const a = t[j] !== 0;
          const b = p[j] >= threshold;
          if (a && b) inter++;
          if (a || b) union++;
        }
        jaccard.add(inter / union);
      }
    },
    compute(out) {
      if (names.has("jaccard")) out.jaccard = jaccard.value;
    },
  };
}

/** log-softmax of `scores[offset .. offset+v)` at `index`. */
function logSoftmaxAt(scores: Float64Array, offset: number, v: number, index: number): number {
  let max = -Infinity;
  for (let j = 0; j < v; j++) max = Math.max(max, scores[offset + j]);
  let sum = 0;
  for (let j = 0; j < v; j++) sum += Math.exp(scores[offset + j] - max);
  return scores[offset + index] - max - Math.log(sum);
}

export function sequencePart(type: string) {
  return (options: MetricOptions, names: Set<string>): Part => {
    const pad = options.paddingId ?? 0;
    const tokenAccuracy = new Mean();
    const sequenceAccuracy = new Mean();
    const nextToken = new Mean();
    let nll = 0, tokens = 0;
    return {
      update(batch) {
        const t = toArray(batch.targets, "targets", type);
        const vocab = options.vocabSize ?? 0;
        const scores = batch.scores ? toArray(batch.scores, "scores", type) : null;
        const length = batch.sequenceLength ?? options.sequenceLength ?? 0;
        if (length <= 0 || t.length % length !== 0) {
          throw new RangeError(
            `Cannot update ${type} metrics: ${t.length} targets do not form rows of ${length}`,
          );
        }
        const rows = t.length / length;
        if (names.has("token_accuracy") || names.has("sequence_accuracy")) {
          const p = toArray(batch.predictions, "predictions", type);
          checkLength(p, t.length, "predictions", type);
          let masked = 0, right = 0, whole = 0;
          for (let r = 0; r < rows; r++) {
            // Ludwig: the first (number of non-padding targets) positions of each row.
            let len = 0;
            for (let j = 0; j < length; j++) if (t[r * length + j] !== pad) len++;
            let all = true;
            for (let j = 0; j < length; j++) {
              const same = p[r * length + j] === t[r * length + j];
              if (!same) all = false;
              if (j < len) {
                masked++;
                if (same) right++;
              }
            }
            if (all) whole++;
          }
          tokenAccuracy.add(right / masked);
          sequenceAccuracy.add(whole / rows);
        }
        if (names.has("perplexity") || names.has("next_token_perplexity")) {
          if (!scores) toArray(undefined, "scores", type);
          if (!vocab) {
            throw new TypeError(`Cannot update ${type} metrics: vocabSize is required with scores`);
          }
          checkLength(scores!, t.length * vocab, "scores", type);
          let shifted = 0, shiftedCount = 0;
          for (let r = 0; r < rows; r++) {
            for (let j = 0; j < length; j++) {
              const at = r * length + j;
              nll -= logSoftmaxAt(scores!, at * vocab, vocab, t[at]);
              tokens++;
              if (j + 1 < length) {
                shifted -= logSoftmaxAt(scores!, at * vocab, vocab, t[at + 1]);
                shiftedCount++;
              }
            }
          }
          nextToken.add(Math.exp(shifted / shiftedCount));
        }
      },
      compute(out) {
        if (names.has("token_accuracy")) out.token_accuracy = tokenAccuracy.value;
        if (names.has("sequence_accuracy")) out.sequence_accuracy = sequenceAccuracy.value;
        if (names.has("perplexity")) out.perplexity = Math.exp(nll / tokens);
        if (names.has("next_token_perplexity")) out.next_token_perplexity = nextToken.value;
      },
    };
  };
}

/** What `testStatistics` reads: every row of the evaluated split. */
export interface TestStatisticsInput {
  /** Target classes (binary: 0/1; category: class index). */
  targets: Values;
  /** Predicted classes (binary: 0/1; category: class index). */
  predictions: Values;
  /** binary: probability of true (for the curves). */
  probabilities?: Values;
}

/** The extra entries Ludwig writes for a binary or category feature in test_statistics.json. */
export interface ClassificationStatistics {
  confusion_matrix: number[][];
  overall_stats: OverallStats;
  per_class_stats: Record<string, ClassStats>;
  roc_curve?: { false_positive_rate: number[]; true_positive_rate: number[] };
  roc_auc_macro?: number | null;
  roc_auc_micro?: number | null;
  precision_recall_curve?: { precisions: number[]; recalls: number[] };
  average_precision_macro?: number;
  average_precision_micro?: number;
  average_precision_samples?: number;
}

/** Ludwig's `calculate_overall_stats` of one output type. */
export type OverallBuilder = (
  input: TestStatisticsInput,
  labels?: readonly string[],
) => ClassificationStatistics;

function classification(input: TestStatisticsInput, labels: readonly string[]) {
  const t = toArray(input.targets, "targets", "classification");
  const p = toArray(input.predictions, "predictions", "classification");
  const n = Math.min(t.length, p.length);
  const tt = t.subarray(0, n);
  const pp = p.subarray(0, n);
  const cm = confusionMatrix(tt, pp, labels.length);
  return {
    confusion_matrix: cm,
    overall_stats: overallStats(tt, pp),
    per_class_stats: perClassStats(cm, labels),
  };
}

/** Binary overall statistics: classification stats, ROC and precision-recall curves. */
export const binaryOverallStats: OverallBuilder = (input, labels) => {
  const t = toArray(input.targets, "targets", "binary").map((v) => (v ? 1 : 0));
  const p = toArray(input.predictions, "predictions", "binary").map((v) => (v ? 1 : 0));
  const base = classification({ targets: t, predictions: p }, labels ?? ["False", "True"]);
  const probs = toArray(input.probabilities, "probabilities", "binary");
  const roc = rocCurve(t, probs);
  const pr = precisionRecallCurve(t, probs);
  const auc = rocAucScore(t, probs);
  const ap = averagePrecisionScore(t, probs);
  return {
    ...base,
    roc_curve: {
      false_positive_rate: roc.false_positive_rate,
      true_positive_rate: roc.true_positive_rate,
    },
    roc_auc_macro: auc,
    roc_auc_micro: auc,
    precision_recall_curve: { precisions: pr.precisions, recalls: pr.recalls },
    average_precision_macro: ap,
    average_precision_micro: ap,
    average_precision_samples: ap,
  };
};

/** Category overall statistics (labels are required). */
export const categoryOverallStats: OverallBuilder = (input, labels) => {
  if (!labels) {
    throw new TypeError("Cannot compute category test statistics: labels (idx2str) are required");
  }
  return classification(input, labels);
};
