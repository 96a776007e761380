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
 * (`FEATURES[i].output.metrics`, config side); how they are computed comes from the type's
 * implementation module (`output.metrics`, a part of `_metric_parts.ts`). `loss` is always
 * reported. Nothing here names a feature type.
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
import { allFeatures, featureEntry } from "../config/components.ts";
import type { MetricGoal } from "../config/registry.ts";
import { featureImpl } from "../features/runtime.ts";
import {
  type ClassificationStatistics,
  lossPart,
  type MetricAccumulator,
  type MetricOptions,
  type Part,
  type TestStatisticsInput,
} from "./_metric_parts.ts";
export type { MetricGoal };
export type {
  ClassificationStatistics,
  MetricAccumulator,
  MetricBatch,
  MetricOptions,
  TestStatisticsInput,
  Values,
} from "./_metric_parts.ts";

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
    for (const entry of allFeatures()) {
      const goal = entry.output?.metrics[metric];
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
  const factory = featureEntry(outputType)?.output
    ? featureImpl(outputType).output?.metrics
    : undefined;
  if (!factory) {
    throw new TypeError(
      `Cannot compute metrics of output type "${outputType}": expected one of ${
        allFeatures().filter((e) => e.output).map((e) => `"${e.type}"`).join(", ")
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
  const builder = featureEntry(outputType)?.output
    ? featureImpl(outputType).output?.overallStats
    : undefined;
  if (!builder || !input) return { ...metrics };
  return { ...metrics, ...builder(input, labels) };
}
