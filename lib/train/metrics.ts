/**
 * Evaluation metrics of output features, with Ludwig 0.8.6's definitions
 * (`ludwig/modules/metric_modules.py` on torchmetrics 0.11), computed in plain JavaScript over
 * typed arrays, and the `test_statistics.json` entry of each output feature
 * (`calculate_overall_stats` of the binary and category features, on scikit-learn).
 *
 * Metrics stream: {@linkcode createMetricAccumulator} returns an accumulator whose `update()`
 * takes one batch and whose `compute()` gives the metrics of everything seen since the last
 * `reset()`. As in Ludwig, some metrics are means of per-batch values (`loss`, `token_accuracy`,
 * `sequence_accuracy`, `next_token_perplexity`, `root_mean_squared_percentage_error`) and the
 * others are computed over all rows seen. ROC AUC keeps every score it is given.
 *
 * Which metrics an output type reports and their goals come from the feature registry
 * (`FEATURES[i].output.metrics`); `loss` is always reported.
 *
 * Ludwig quirks kept on purpose (so numbers match Ludwig's):
 * - binary `precision`, `recall`, `specificity` threshold the probabilities at 0.5 (torchmetrics'
 *   default), not at the feature's `threshold`; `accuracy` uses the predictions.
 * - category `accuracy` and `hits_at_k` are macro averages of per-class recall over all
 *   `numClasses` classes (a class absent from the targets counts as 0); `accuracy_micro` is the
 *   plain accuracy. Category `roc_auc` is the one-vs-rest macro average over all classes, a class
 *   without positives counting as 0.
 * - `perplexity` and `next_token_perplexity` apply a softmax to the scores they are given;
 *   Ludwig gives them the probabilities (so they are softmaxed twice). Give logits to get the
 *   textbook perplexity. Neither ignores padding.
 *
 * @example Accumulate two batches of a binary output
 * ```ts
 * import { createMetricAccumulator } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const acc = createMetricAccumulator("binary");
 * acc.update({ targets: [1, 0], probabilities: [0.9, 0.2], loss: 0.3 });
 * acc.update({ targets: [1, 0], probabilities: [0.4, 0.1], loss: 0.5 });
 * const m = acc.compute();
 * assert.equal(m.loss, 0.4);
 * assert.equal(m.accuracy, 0.75);
 * assert.equal(m.roc_auc, 1);
 * ```
 *
 * @module
 */
import { featureEntry } from "../config/components.ts";
import type { MetricGoal } from "../config/registry.ts";
export type { MetricGoal };
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

export {
  averagePrecisionScore,
  type ClassStats,
  cohenKappa,
  confusionMatrix,
  type OverallStats,
  overallStats,
  perClassStats,
  precisionRecallCurve,
  rocAucScore,
  rocCurve,
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
class Mean {
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

function toArray(values: Values | undefined, name: string, type: string): Float64Array {
  if (values == null) {
    throw new TypeError(`Cannot update ${type} metrics: the batch has no "${name}"`);
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = num(values[i]);
  return out;
}

function checkLength(a: ArrayLike<unknown>, expected: number, what: string, type: string): void {
  if (a.length !== expected) {
    throw new RangeError(
      `Cannot update ${type} metrics: expected ${expected} values in "${what}", received ${a.length}`,
    );
  }
}

type Part = {
  update(batch: MetricBatch): void;
  compute(out: Record<string, number>): void;
};

type PartFactory = (options: MetricOptions, names: Set<string>) => Part;

function lossPart(): Part {
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

function binaryPart(options: MetricOptions, names: Set<string>): Part {
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

function categoryPart(options: MetricOptions, names: Set<string>): Part {
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

function regressionPart(type: string) {
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

function setPart(options: MetricOptions, names: Set<string>): Part {
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

function sequencePart(type: string) {
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

/** How each output type computes its registered metrics. */
const METRIC_PARTS: Readonly<Record<string, PartFactory>> = {
  binary: binaryPart,
  category: categoryPart,
  number: regressionPart("number"),
  vector: regressionPart("vector"),
  set: setPart,
  sequence: sequencePart("sequence"),
  text: sequencePart("text"),
};

/**
 * The metrics an output type reports, `loss` first, then the registry's order
 * (`hits_at_k` only when `numClasses > topK`, as Ludwig's `can_report`).
 *
 * @param outputType the output feature type
 * @param options numClasses and topK, for hits_at_k
 * @returns metric names
 */
export function metricNames(outputType: string, options: MetricOptions = {}): string[] {
  const entry = featureEntry(outputType)?.output;
  if (!entry) {
    throw new TypeError(`Cannot list metrics: "${outputType}" is not an output feature type`);
  }
  return ["loss", ...Object.keys(entry.metrics)].filter((name) =>
    name !== "hits_at_k" || (options.numClasses ?? 0) > (options.topK ?? 3)
  );
}

/**
 * Whether a larger value of a metric is better, from the feature registry (`loss` and
 * unknown names minimize).
 *
 * @param metric the metric name
 * @returns `"maximize"` or `"minimize"`
 */
export function metricGoal(metric: string, outputType?: string): MetricGoal {
  if (outputType) {
    const goal = featureEntry(outputType)?.output?.metrics[metric];
    if (goal) return goal;
  }
  if (metric !== "loss") {
    for (const type of Object.keys(METRIC_PARTS)) {
      const goal = featureEntry(type)?.output?.metrics[metric];
      if (goal) return goal;
    }
  }
  return "minimize";
}

/**
 * Makes a streaming accumulator of an output feature's metrics.
 *
 * @param outputType the output feature type (binary, category, number, vector, set, sequence, text)
 * @param options sizes and thresholds of the feature
 * @returns the accumulator
 *
 * @example Category metrics
 * ```ts
 * import { createMetricAccumulator } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const acc = createMetricAccumulator("category", { numClasses: 2, topK: 3 });
 * acc.update({ targets: [0, 1], probabilities: [0.8, 0.2, 0.6, 0.4] });
 * const m = acc.compute();
 * assert.equal(m.accuracy_micro, 0.5);
 * assert.equal(m.accuracy, 0.5); // (1 + 0) / 2 classes
 * assert.equal("hits_at_k" in m, false); // numClasses <= topK
 * ```
 */
export function createMetricAccumulator(
  outputType: string,
  options: MetricOptions = {},
): MetricAccumulator {
  const factory = METRIC_PARTS[outputType];
  if (!factory) {
    throw new TypeError(
      `Cannot compute metrics of output type "${outputType}": expected one of ${
        Object.keys(METRIC_PARTS).map((t) => `"${t}"`).join(", ")
      }`,
    );
  }
  const all = metricNames(outputType, options);
  const names = options.metrics ? all.filter((n) => options.metrics!.includes(n)) : all;
  const nameSet = new Set(names);
  let parts: Part[] = [];
  const init = () => {
    parts = [lossPart(), factory(options, nameSet)];
  };
  init();
  return {
    metricNames: names,
    update(batch) {
      for (const part of parts) part.update(batch);
    },
    compute() {
      const out: Record<string, number> = {};
      for (const part of parts) part.compute(out);
      const ordered: Record<string, number> = {};
      for (const name of names) ordered[name] = out[name] ?? NaN;
      return ordered;
    },
    reset() {
      init();
    },
  };
}

/** What {@linkcode testStatistics} reads: every row of the evaluated split. */
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

/**
 * The `test_statistics.json` entry of one output feature: its metrics, plus for binary and
 * category features Ludwig's overall statistics (`confusion_matrix` with rows = targets and
 * columns = predictions in label order, `overall_stats`, `per_class_stats` keyed by label), and
 * for binary features `roc_curve`, `roc_auc_macro`, `roc_auc_micro`, `precision_recall_curve`,
 * `average_precision_macro`, `average_precision_micro`, `average_precision_samples`.
 * Other output types get their metrics only, as in Ludwig.
 *
 * @param outputType the output feature type
 * @param metrics the feature's metrics (from an accumulator's `compute()`)
 * @param input every row's targets, predictions and (binary) probabilities; omit for types without overall stats
 * @param labels class labels in index order (category: `idx2str`; binary default `["False", "True"]`)
 * @returns the entry
 *
 * @example A binary feature
 * ```ts
 * import { testStatistics } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const stats = testStatistics("binary", { loss: 0.2 }, {
 *   targets: [0, 1, 1, 0],
 *   predictions: [0, 1, 0, 0],
 *   probabilities: [0.1, 0.9, 0.4, 0.3],
 * });
 * assert.deepEqual(stats.confusion_matrix, [[2, 0], [1, 1]]);
 * assert.equal(stats.roc_auc_macro, 1);
 * assert.equal(stats.per_class_stats?.True.recall, 0.5);
 * ```
 */
export function testStatistics(
  outputType: string,
  metrics: Record<string, number>,
  input?: TestStatisticsInput,
  labels?: readonly string[],
): Record<string, unknown> & Partial<ClassificationStatistics> {
  const builder = OVERALL_STATS[outputType];
  if (!builder || !input) return { ...metrics };
  return { ...metrics, ...builder(input, labels) };
}

type OverallBuilder = (
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

/** Which output types get overall statistics, and how (Ludwig's `calculate_overall_stats`). */
const OVERALL_STATS: Readonly<Record<string, OverallBuilder>> = {
  binary(input, labels) {
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
  },
  category(input, labels) {
    if (!labels) {
      throw new TypeError("Cannot compute category test statistics: labels (idx2str) are required");
    }
    return classification(input, labels);
  },
};
