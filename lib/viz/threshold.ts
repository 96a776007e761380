/**
 * Confidence thresholding: what accuracy a classifier reaches on the rows where its top
 * probability passes a threshold, and how much data it keeps; for two output features at once;
 * and binary metrics against the decision threshold.
 *
 * @module
 */

import { Chart } from "./chart.ts";
import {
  classLabels,
  featureMetadata,
  modelNames,
  type RawLabels,
  toBinaryLabels,
  toLabelIndices,
  type TrainingSetMetadata,
} from "./inputs.ts";
import {
  argmax,
  BINARY_METRICS,
  type BinaryMetric,
  binaryThresholdMetric,
  CONFIDENCE_THRESHOLDS,
  confidenceThresholding as thresholdAccuracy,
  interpolate,
  limitLabels,
  type Probabilities,
  twoThresholdGrid,
} from "./metrics.ts";
import {
  type CommonOptions,
  type LabelOptions,
  type LinePoint,
  percent,
  prepareProbabilities,
  seriesLines,
  stem,
  type SubsetType,
  titled,
} from "./_spec.ts";
import { asModelList } from "./inputs.ts";

/**
 * Accuracy and data coverage as the confidence threshold rises from 0 to 1 (Ludwig's
 * `confidence_thresholding`): solid lines are accuracy, dashed lines coverage, one colour per
 * model.
 *
 * @param probabilities Class probabilities of one model, or a list per model.
 * @param groundTruth True labels.
 * @param options Metadata, labels limit, model names.
 * @returns The chart, named `confidence_thresholding`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { confidenceThresholding } from "./threshold.ts";
 * const chart = confidenceThresholding([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3]], [0, 0, 1]);
 * assertEquals(chart.name, "confidence_thresholding");
 * ```
 */
export function confidenceThresholding(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: LabelOptions = {},
): Chart {
  const p = prepareProbabilities(probabilities, groundTruth, options);
  const points: LinePoint[] = [];
  p.probabilities.forEach((probs, i) => {
    const r = thresholdAccuracy(probs, p.groundTruth);
    r.thresholds.forEach((t, j) => {
      points.push({
        series: p.names[i],
        measure: "accuracy",
        x: t,
        y: r.accuracies[j],
        line: `${i}a`,
      });
      points.push({
        series: p.names[i],
        measure: "data coverage",
        x: t,
        y: r.coverages[j],
        line: `${i}c`,
      });
    });
  });
  return seriesLines(points, {
    title: titled("Confidence thresholding", p.feature || undefined),
    name: "confidence_thresholding",
    xTitle: "confidence threshold",
    yTitle: "accuracy / data coverage",
    seriesTitle: "model",
    dashField: { field: "measure", title: "measure" },
    xDomain: [0, 1],
    yDomain: [0, 1],
  });
}

function dataVsAccPoints(
  probabilities: readonly Probabilities[],
  groundTruth: readonly number[],
  names: readonly string[],
  select: (probs: Probabilities, model: number) => boolean[] | undefined,
): LinePoint[] {
  const points: LinePoint[] = [];
  probabilities.forEach((probs, i) => {
    const keep = select(probs, i);
    const rows = keep ? probs.filter((_, r) => keep[r]) : probs;
    const gt = keep ? groundTruth.filter((_, r) => keep[r]) : groundTruth;
    const r = thresholdAccuracy(rows, gt, { total: groundTruth.length });
    r.thresholds.forEach((t, j) =>
      points.push({ series: names[i], x: r.coverages[j], y: r.accuracies[j], threshold: t })
    );
  });
  return points;
}

const DATA_VS_ACC = {
  xTitle: "data coverage",
  yTitle: "accuracy",
  seriesTitle: "model",
  orderField: "threshold",
  xDomain: [0, 1] as [number, number],
  tooltip: [{ field: "threshold", title: "threshold", format: ".2f" }],
};

/**
 * Accuracy against the fraction of data kept as the confidence threshold rises (Ludwig's
 * `confidence_thresholding_data_vs_acc`), one line per model.
 *
 * @returns The chart, named `confidence_thresholding_data_vs_acc`.
 */
export function confidenceThresholdingDataVsAcc(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: LabelOptions = {},
): Chart {
  const p = prepareProbabilities(probabilities, groundTruth, options);
  return seriesLines(dataVsAccPoints(p.probabilities, p.groundTruth, p.names, () => undefined), {
    ...DATA_VS_ACC,
    title: titled("Confidence thresholding: data vs accuracy", p.feature || undefined),
    name: "confidence_thresholding_data_vs_acc",
  });
}

/** Options of the thresholding charts on a subset of classes. */
export interface ThresholdSubsetOptions extends LabelOptions {
  /** The first `topNClasses` classes by index form the subset (per class: how many classes); default 1 for per-class charts, 3 otherwise. */
  topNClasses?: number;
  /** Select rows by true class ("ground_truth", default) or by predicted class ("predictions"). */
  subset?: SubsetType;
}

/**
 * As {@linkcode confidenceThresholdingDataVsAcc}, on the rows of the `topNClasses` most frequent
 * classes (Ludwig's `confidence_thresholding_data_vs_acc_subset`). Coverage stays relative to all
 * rows, as in Ludwig.
 *
 * @returns The chart, named `confidence_thresholding_data_vs_acc_subset`.
 */
export function confidenceThresholdingDataVsAccSubset(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: ThresholdSubsetOptions = {},
): Chart {
  const p = prepareProbabilities(probabilities, groundTruth, options);
  const n = options.topNClasses && options.topNClasses > 0 ? options.topNClasses : 3;
  const subset = options.subset ?? "ground_truth";
  const select = (probs: Probabilities) =>
    subset === "ground_truth"
      ? p.groundTruth.map((g) => g < n)
      : probs.map((row) => argmax(row) < n);
  const share = p.groundTruth.filter((g) => g < n).length / p.groundTruth.length;
  const what = subset === "ground_truth"
    ? `rows of the first ${n} classes (${percent(share)} of the data)`
    : `rows predicted as one of the first ${n} classes`;
  return seriesLines(dataVsAccPoints(p.probabilities, p.groundTruth, p.names, select), {
    ...DATA_VS_ACC,
    xDomain: undefined, // coverage is relative to all rows (as in Ludwig): let the axis fit the subset
    title: titled(
      "Confidence thresholding: data vs accuracy",
      p.feature ? `${p.feature}, ${what}` : what,
    ),
    name: "confidence_thresholding_data_vs_acc_subset",
  });
}

/**
 * Data vs accuracy separately for each of the first `topNClasses` classes (Ludwig's
 * `confidence_thresholding_data_vs_acc_subset_per_class`).
 *
 * @returns The chart; parts are named `confidence_thresholding_data_vs_acc_subset_per_class_<label>`.
 */
export function confidenceThresholdingDataVsAccSubsetPerClass(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: ThresholdSubsetOptions = {},
): Chart {
  const p = prepareProbabilities(probabilities, groundTruth, options);
  const numClasses = p.probabilities[0][0]?.length ?? 0;
  const labels = classLabels(p.meta, numClasses);
  const k = Math.min(
    options.topNClasses && options.topNClasses > 0 ? options.topNClasses : labels.length,
    labels.length,
  );
  const subset = options.subset ?? "ground_truth";
  const charts: Chart[] = [];
  for (let c = 0; c < k; c++) {
    const select = (probs: Probabilities) =>
      subset === "ground_truth"
        ? p.groundTruth.map((g) => g === c)
        : probs.map((row) => argmax(row) === c);
    charts.push(seriesLines(dataVsAccPoints(p.probabilities, p.groundTruth, p.names, select), {
      ...DATA_VS_ACC,
      xDomain: undefined,
      title: titled(`Data vs accuracy for class ${labels[c]}`, p.feature || undefined),
      name: stem("confidence_thresholding_data_vs_acc_subset_per_class", labels[c]),
      width: 320,
      height: 240,
    }));
  }
  if (charts.length === 0) {
    throw new RangeError("Cannot plot per-class thresholding: found no classes");
  }
  return Chart.concat(charts, {
    name: "confidence_thresholding_data_vs_acc_subset_per_class",
    title: "Confidence thresholding per class: data vs accuracy",
    columns: Math.min(3, charts.length),
  });
}

/** Options of {@linkcode confidenceThresholding2thresholds2d}. */
export interface TwoThresholdsOptions extends CommonOptions {
  /** The two output features, in the order of `probabilities` and `groundTruths`. */
  thresholdOutputFeatureNames: readonly [string, string] | readonly string[];
  /** `training_set_metadata.json`, to map raw labels of both features. */
  metadata?: TrainingSetMetadata;
  /** Labels above this index merge into a "rare" class (0: no limit). */
  labelsLimit?: number;
}

/**
 * Thresholds on the confidence of two output features at once (Ludwig's
 * `confidence_thresholding_2thresholds_2d`): a row counts when both features pass their
 * thresholds and is correct when both predictions are right. Three charts: coverage vs accuracy
 * for each first-feature threshold, the best accuracy reachable at each coverage, and the
 * thresholds that reach it.
 *
 * @param probabilities Probabilities of the two features (one model).
 * @param groundTruths True labels of the two features.
 * @param options Feature names, metadata, model name.
 * @returns The chart; parts are named
 *   `confidence_thresholding_2thresholds_2d_{multiline,maxline,maxline_with_thresholds}`.
 */
export function confidenceThresholding2thresholds2d(
  probabilities: readonly [Probabilities, Probabilities] | readonly Probabilities[],
  groundTruths: readonly [RawLabels, RawLabels] | readonly RawLabels[],
  options: TwoThresholdsOptions,
): Chart {
  const { names, cells } = twoThresholdCells(probabilities, groundTruths, options);
  const thresholds = CONFIDENCE_THRESHOLDS;
  const t1Name = `${names[0]} threshold`, t2Name = `${names[1]} threshold`;
  const model = options.modelNames?.[0] ?? "";

  // Coverage vs accuracy, one line per threshold on the first feature.
  const multiline: LinePoint[] = cells.map((c) => ({
    series: c.threshold1.toFixed(2),
    x: c.coverage,
    y: c.accuracy,
    threshold1: c.threshold1,
    threshold2: c.threshold2,
  }));
  const multilineChart = seriesLines(multiline, {
    title: titled("Coverage vs accuracy, two thresholds", `one line per ${t1Name}`),
    name: "confidence_thresholding_2thresholds_2d_multiline",
    xTitle: "data coverage",
    yTitle: "accuracy",
    seriesTitle: t1Name,
    orderField: "threshold2",
    xDomain: [0, 1],
    points: false,
    tooltip: [
      { field: "threshold1", title: t1Name, format: ".2f" },
      { field: "threshold2", title: t2Name, format: ".2f" },
    ],
  });
  const multiSpec = multilineChart.toSpec();
  const lineLayer = (multiSpec.layer as Record<string, unknown>[])[0];
  const encoding = lineLayer.encoding as Record<string, Record<string, unknown>>;
  encoding.color = {
    field: "threshold1",
    type: "quantitative",
    title: t1Name,
    scale: { scheme: "viridis" },
  };
  encoding.detail = { field: "series", type: "nominal" };
  (lineLayer.mark as Record<string, unknown>).strokeWidth = 1.5;

  // Best accuracy at each coverage: interpolate each row's (coverage, accuracy) on a fixed grid.
  const rows = thresholds.map((t1) => cells.filter((c) => c.threshold1 === t1));
  const interps = rows.map((row) => {
    const xs = [...row].reverse().map((c) => c.coverage);
    const ys = [...row].reverse().map((c) => c.accuracy);
    return thresholds.map((x) => interpolate(x, xs, ys, 1, 0));
  });
  const maxAccuracy = thresholds.map((_, j) =>
    Math.max(...interps.map((r) => r[j]).filter(Number.isFinite))
  );
  const maxline = seriesLines(
    thresholds.map((x, j) => ({ series: model || "best accuracy", x, y: maxAccuracy[j] })),
    {
      title: titled("Coverage vs accuracy, two thresholds", "best accuracy at each coverage"),
      name: "confidence_thresholding_2thresholds_2d_maxline",
      xTitle: "data coverage",
      yTitle: "accuracy",
      seriesTitle: "model",
      xDomain: [0, 1],
    },
  );

  // The thresholds reaching the best accuracy within each coverage bin.
  const withThresholds: LinePoint[] = [];
  const accuracyName = `${model ? `${model} ` : ""}accuracy`;
  thresholds.forEach((lower, j) => {
    withThresholds.push({ series: accuracyName, kind: "accuracy", x: lower, y: maxAccuracy[j] });
    if (j === 0) {
      withThresholds.push({ series: t1Name, kind: "threshold", x: lower, y: 1 }, {
        series: t2Name,
        kind: "threshold",
        x: lower,
        y: 1,
      });
      return;
    }
    const prev = thresholds[j - 1];
    const inBin = cells.filter((c) =>
      c.coverage >= prev && c.coverage < lower && c.accuracy !== null
    );
    if (inBin.length === 0) return;
    const best = inBin.reduce((a, b) => ((b.accuracy as number) > (a.accuracy as number) ? b : a));
    withThresholds.push(
      { series: t1Name, kind: "threshold", x: lower, y: best.threshold1 },
      { series: t2Name, kind: "threshold", x: lower, y: best.threshold2 },
    );
  });
  const maxlineThresholds = seriesLines(withThresholds, {
    title: "Coverage vs accuracy & thresholds",
    name: "confidence_thresholding_2thresholds_2d_maxline_with_thresholds",
    xTitle: "data coverage",
    yTitle: "accuracy / threshold",
    seriesTitle: "line",
    dashField: { field: "kind", title: "value" },
    xDomain: [0, 1],
    yDomain: [0, 1],
  });
  return Chart.concat([
    new Chart(multiSpec, { name: multilineChart.name }),
    maxline,
    maxlineThresholds,
  ], {
    name: "confidence_thresholding_2thresholds_2d",
    title: {
      text: "Confidence thresholding on two output features",
      subtitle: `${names[0]} and ${names[1]}`,
    },
    columns: 3,
  });
}

/** The grid of both thresholds, after checking the inputs and mapping labels. */
function twoThresholdCells(
  probabilities: readonly Probabilities[],
  groundTruths: readonly RawLabels[],
  options: TwoThresholdsOptions,
) {
  const names = options.thresholdOutputFeatureNames;
  if (probabilities.length !== 2 || groundTruths.length !== 2 || names.length !== 2) {
    throw new RangeError(
      `Cannot threshold two features: expected 2 probabilities, 2 ground truths and 2 feature names, received ${probabilities.length}, ${groundTruths.length} and ${names.length}`,
    );
  }
  const limit = options.labelsLimit ?? 0;
  const prepared = [0, 1].map((f) => {
    const meta = featureMetadata(options.metadata, names[f]);
    return limitLabels(probabilities[f], toLabelIndices(groundTruths[f], meta, names[f]), limit);
  });
  const cells = twoThresholdGrid(
    [prepared[0].probabilities, prepared[1].probabilities],
    [prepared[0].groundTruth, prepared[1].groundTruth],
  );
  return { names, cells };
}

/**
 * Accuracy and data coverage over both confidence thresholds at once (Ludwig's
 * `confidence_thresholding_2thresholds_3d`, which draws the two as 3-D surfaces): here two
 * heatmaps over the (threshold 1, threshold 2) grid, the exact values in tooltips. A cell where
 * no row passes both thresholds has no accuracy and stays blank.
 *
 * @param probabilities Probabilities of the two features (one model).
 * @param groundTruths True labels of the two features.
 * @param options Feature names, metadata, model name.
 * @returns The chart; parts are named `confidence_thresholding_2thresholds_3d_{accuracy,coverage}`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { confidenceThresholding2thresholds3d } from "./threshold.ts";
 * const chart = confidenceThresholding2thresholds3d(
 *   [[[0.9, 0.1], [0.3, 0.7]], [[0.6, 0.4], [0.2, 0.8]]],
 *   [[0, 1], [0, 0]],
 *   { thresholdOutputFeatureNames: ["a", "b"] },
 * );
 * assertEquals(chart.parts.map((p) => p.name), [
 *   "confidence_thresholding_2thresholds_3d_accuracy",
 *   "confidence_thresholding_2thresholds_3d_coverage",
 * ]);
 * ```
 */
export function confidenceThresholding2thresholds3d(
  probabilities: readonly [Probabilities, Probabilities] | readonly Probabilities[],
  groundTruths: readonly [RawLabels, RawLabels] | readonly RawLabels[],
  options: TwoThresholdsOptions,
): Chart {
  const { names, cells } = twoThresholdCells(probabilities, groundTruths, options);
  const t1Name = `${names[0]} threshold`, t2Name = `${names[1]} threshold`;
  const values = cells.map((c) => ({
    t1: c.threshold1.toFixed(2),
    t2: c.threshold2.toFixed(2),
    accuracy: c.accuracy,
    coverage: c.coverage,
  }));
  const model = options.modelNames?.[0];
  const heatmap = (measure: "accuracy" | "coverage", scheme: string) =>
    new Chart({
      title: titled(
        measure === "accuracy"
          ? "Accuracy over both thresholds"
          : "Data coverage over both thresholds",
        model ? `model ${model}` : `${names[0]} and ${names[1]}`,
      ),
      width: 300,
      height: 300,
      data: { values },
      mark: { type: "rect", tooltip: true },
      encoding: {
        x: {
          field: "t2",
          type: "ordinal",
          title: t2Name,
          axis: { labelAngle: -90, labelOverlap: "parity" },
        },
        y: {
          field: "t1",
          type: "ordinal",
          title: t1Name,
          sort: "descending",
          axis: { labelOverlap: "parity" },
        },
        color: {
          field: measure,
          type: "quantitative",
          title: measure === "accuracy" ? "accuracy" : "data coverage",
          scale: { scheme, domain: [0, 1] },
        },
        tooltip: [
          { field: "t1", type: "ordinal", title: t1Name },
          { field: "t2", type: "ordinal", title: t2Name },
          { field: "accuracy", type: "quantitative", format: ".3f" },
          { field: "coverage", type: "quantitative", title: "data coverage", format: ".3f" },
        ],
      },
    }, { name: `confidence_thresholding_2thresholds_3d_${measure}` });
  return Chart.concat([heatmap("accuracy", "viridis"), heatmap("coverage", "blues")], {
    name: "confidence_thresholding_2thresholds_3d",
    title: {
      text: "Confidence thresholding on two output features",
      subtitle: `accuracy and data coverage over the thresholds of ${names[0]} and ${names[1]}`,
    },
    columns: 2,
  });
}

/** Options of {@linkcode binaryThresholdVsMetric}. */
export interface BinaryThresholdOptions extends LabelOptions {
  /** Metrics to draw, any of f1, precision, recall, accuracy; default ["f1"]. */
  metrics?: readonly string[];
  /** Vocabulary index of the positive class of a category feature; default 1. */
  positiveLabel?: number;
}

/**
 * A binary metric against the decision threshold on the positive class's probability, one line
 * per model, one chart per metric (Ludwig's `binary_threshold_vs_metric`).
 *
 * @returns The chart; parts are named `binary_threshold_vs_metric_<metric>`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { binaryThresholdVsMetric } from "./threshold.ts";
 * const probs = [[0.2, 0.8], [0.6, 0.4], [0.3, 0.7]];
 * const chart = binaryThresholdVsMetric(probs, [true, false, false], { metrics: ["f1", "accuracy"] });
 * assertEquals(chart.parts.map((p) => p.name), ["binary_threshold_vs_metric_f1", "binary_threshold_vs_metric_accuracy"]);
 * ```
 */
export function binaryThresholdVsMetric(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: BinaryThresholdOptions = {},
): Chart {
  const { labels, positiveColumn, models, names } = binaryLabels(
    probabilities,
    groundTruth,
    options,
  );
  const metrics = options.metrics ?? ["f1"];
  const unknown = metrics.filter((m) => !BINARY_METRICS.includes(m as BinaryMetric));
  if (unknown.length > 0) {
    throw new TypeError(
      `Cannot plot binary threshold vs metric: unsupported metric "${
        unknown[0]
      }": expected one of ${BINARY_METRICS.map((m) => `"${m}"`).join(", ")}`,
    );
  }
  const scores = models.map((probs) => positiveScores(probs, positiveColumn));
  const charts = metrics.map((metric) => {
    const points: LinePoint[] = [];
    scores.forEach((s, i) => {
      for (const t of CONFIDENCE_THRESHOLDS) {
        points.push({
          series: names[i],
          x: t,
          y: binaryThresholdMetric(labels, s, t < 1 ? t : 0.99, metric as BinaryMetric),
        });
      }
    });
    return seriesLines(points, {
      title: titled(`Binary threshold vs ${metric}`, options.outputFeatureName),
      name: stem("binary_threshold_vs_metric", metric),
      xTitle: "confidence threshold",
      yTitle: metric,
      seriesTitle: "model",
      xDomain: [0, 1],
      yDomain: [0, 1],
    });
  });
  return Chart.concat(charts, {
    name: "binary_threshold_vs_metric",
    title: "Binary threshold vs metrics",
    columns: Math.min(2, charts.length),
  });
}

/**
 * The inputs of a binary chart: the feature's metadata, true/false labels and the positive
 * class's column (`positiveLabel`, default 1), the models' probabilities and their names.
 */
export function binaryLabels(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: LabelOptions & { positiveLabel?: number },
): {
  meta: ReturnType<typeof featureMetadata>;
  labels: boolean[];
  positiveColumn: number;
  models: Probabilities[];
  names: string[];
} {
  const meta = featureMetadata(options.metadata, options.outputFeatureName);
  const { labels, positiveColumn } = toBinaryLabels(
    groundTruth,
    meta,
    options.positiveLabel ?? 1,
    options.outputFeatureName,
  );
  const models = asModelList(probabilities);
  const names = modelNames(models.length, options.modelNames);
  return { meta, labels, positiveColumn, models, names };
}

/** The positive class's column of probabilities (a 1-column or flat input is the score itself). */
export function positiveScores(probs: Probabilities, positiveColumn: number): number[] {
  return probs.map((row) => {
    if (row.length === 1) return row[0];
    if (positiveColumn >= row.length) {
      throw new RangeError(
        `Cannot select the positive class: expected probabilities with a column ${positiveColumn}, received rows of ${row.length}`,
      );
    }
    return row[positiveColumn];
  });
}
