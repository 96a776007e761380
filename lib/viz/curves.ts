/**
 * ROC and precision-recall curves (from probabilities or from stored test statistics), and
 * calibration: reliability diagrams, prediction histograms and Brier scores.
 *
 * @module
 */

import { Chart, type VegaLiteSpec } from "./chart.ts";
import { asList, classLabels, modelNames, type RawLabels, type TestStatistics } from "./inputs.ts";
import {
  averagePrecision,
  brierScore,
  calibrationCurve,
  precisionRecallCurve,
  type Probabilities,
  rocCurve,
  trapezoidArea,
} from "./metrics.ts";
import {
  type BarDatum,
  type CommonOptions,
  diagonal,
  groupedBars,
  type LabelOptions,
  type LinePoint,
  prepareProbabilities,
  round,
  seriesLines,
  type SeriesLinesOptions,
  stem,
  titled,
} from "./_spec.ts";
import { binaryLabels, positiveScores } from "./threshold.ts";

/** Options of the curves computed from probabilities. */
export interface CurveOptions extends LabelOptions {
  /** Vocabulary index of the positive class of a category feature; default 1. */
  positiveLabel?: number;
}

/** Options of the curves read from test statistics. */
export interface StoredCurveOptions extends CommonOptions {
  /** The binary output feature (default: the first feature that has the curve). */
  outputFeatureName?: string;
}

/** One line per model in the unit square (ROC, precision-recall), drawn in curve order. */
function unitSquareCurves(
  curves: { series: string; x: readonly number[]; y: readonly number[] }[],
  options: Pick<SeriesLinesOptions, "title" | "name" | "xTitle" | "yTitle" | "underlay">,
): Chart {
  const points: LinePoint[] = curves.flatMap((c) =>
    c.x.map((x, i) => ({ series: c.series, x, y: c.y[i], i }))
  );
  return seriesLines(points, {
    ...options,
    seriesTitle: "model",
    orderField: "i",
    xDomain: [0, 1],
    yDomain: [0, 1],
    points: false,
    width: 360,
    height: 360,
  });
}

function rocChart(
  curves: { name: string; fpr: number[]; tpr: number[] }[],
  subtitle?: string,
): Chart {
  return unitSquareCurves(
    curves.map((c) => ({
      series: `${c.name} (AUC ${trapezoidArea(c.fpr, c.tpr).toFixed(3)})`,
      x: c.fpr,
      y: c.tpr,
    })),
    {
      title: titled("ROC curves", subtitle),
      name: "roc_curves",
      xTitle: "false positive rate",
      yTitle: "true positive rate",
      underlay: [diagonal("chance")],
    },
  );
}

function prChart(
  curves: { name: string; precisions: number[]; recalls: number[] }[],
  subtitle?: string,
): Chart {
  return unitSquareCurves(
    curves.map((c) => {
      const ap = averagePrecision({ precisions: c.precisions, recalls: c.recalls, thresholds: [] });
      return { series: `${c.name} (AP ${ap.toFixed(3)})`, x: c.recalls, y: c.precisions };
    }),
    {
      title: titled("Precision-recall curves", subtitle),
      name: "precision_recall_curve",
      xTitle: "recall",
      yTitle: "precision",
    },
  );
}

function binaryInputs(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: CurveOptions,
) {
  const { meta, labels, positiveColumn, models, names } = binaryLabels(
    probabilities,
    groundTruth,
    options,
  );
  const scores = models.map((p) => positiveScores(p, positiveColumn));
  const positive = classLabels(meta, Math.max(2, models[0][0]?.length ?? 2))[positiveColumn];
  const subtitle = [
    options.outputFeatureName,
    positive !== undefined ? `positive class: ${positive}` : undefined,
  ]
    .filter(Boolean).join(", ");
  return { labels, scores, names, subtitle };
}

/**
 * ROC curves computed from probabilities, one per model, with each model's AUC in the legend
 * (Ludwig's `roc_curves`). For a category feature, `positiveLabel` picks the class that is
 * positive (one-vs-rest).
 *
 * @param probabilities Class probabilities of one model, or a list per model.
 * @param groundTruth True labels.
 * @param options Positive class, metadata, model names.
 * @returns The chart, named `roc_curves`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { rocCurves } from "./curves.ts";
 * const chart = rocCurves([[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]], [0, 0, 1, 1]);
 * assertEquals(chart.name, "roc_curves");
 * ```
 */
export function rocCurves(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: CurveOptions = {},
): Chart {
  const { labels, scores, names, subtitle } = binaryInputs(probabilities, groundTruth, options);
  return rocChart(
    scores.map((s, i) => {
      const roc = rocCurve(labels, s);
      return { name: names[i], fpr: roc.falsePositiveRate, tpr: roc.truePositiveRate };
    }),
    subtitle || undefined,
  );
}

function storedFeature(
  models: TestStatistics[],
  key: "roc_curve" | "precision_recall_curve",
  only?: string,
): string {
  if (only !== undefined) {
    if (!models.every((m) => m[only]?.[key])) {
      throw new TypeError(
        `Cannot find "${key}" for output feature "${only}" in the test statistics`,
      );
    }
    return only;
  }
  const found = Object.keys(models[0]).find((f) => models.every((m) => m[f]?.[key]));
  if (!found) {
    throw new TypeError(
      `Cannot find "${key}" in the test statistics: it is stored for binary output features`,
    );
  }
  return found;
}

/**
 * ROC curves stored in test statistics of a binary feature (Ludwig's
 * `roc_curves_from_test_statistics`).
 *
 * @returns The chart, named `roc_curves_from_prediction_statistics`.
 */
export function rocCurvesFromTestStatistics(
  testStatistics: TestStatistics | readonly TestStatistics[],
  options: StoredCurveOptions = {},
): Chart {
  const models = asList(testStatistics);
  const feature = storedFeature(models, "roc_curve", options.outputFeatureName);
  const names = modelNames(models.length, options.modelNames);
  const chart = rocChart(
    models.map((m, i) => {
      const c = m[feature].roc_curve!;
      return { name: names[i], fpr: c.false_positive_rate, tpr: c.true_positive_rate };
    }),
    feature,
  );
  return new Chart(chart.toSpec(), { name: "roc_curves_from_prediction_statistics" });
}

/**
 * Precision-recall curves computed from probabilities, one per model, with average precision in
 * the legend (Ludwig's `precision_recall_curves`).
 *
 * @returns The chart, named `precision_recall_curve`.
 */
export function precisionRecallCurves(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: CurveOptions = {},
): Chart {
  const { labels, scores, names, subtitle } = binaryInputs(probabilities, groundTruth, options);
  return prChart(
    scores.map((s, i) => {
      const pr = precisionRecallCurve(labels, s);
      return { name: names[i], precisions: pr.precisions, recalls: pr.recalls };
    }),
    subtitle || undefined,
  );
}

/**
 * Precision-recall curves stored in test statistics of a binary feature (Ludwig's
 * `precision_recall_curves_from_test_statistics`).
 *
 * @returns The chart, named `precision_recall_curves_from_prediction_statistics`.
 */
export function precisionRecallCurvesFromTestStatistics(
  testStatistics: TestStatistics | readonly TestStatistics[],
  options: StoredCurveOptions = {},
): Chart {
  const models = asList(testStatistics);
  const feature = storedFeature(models, "precision_recall_curve", options.outputFeatureName);
  const names = modelNames(models.length, options.modelNames);
  const chart = prChart(
    models.map((m, i) => {
      const c = m[feature].precision_recall_curve!;
      return { name: names[i], precisions: c.precisions, recalls: c.recalls };
    }),
    feature,
  );
  return new Chart(chart.toSpec(), { name: "precision_recall_curves_from_prediction_statistics" });
}

/** A reliability diagram: observed positive fraction per probability bin. */
function reliabilityChart(
  curves: { name: string; bins: ReturnType<typeof calibrationCurve> }[],
  title: string | VegaLiteSpec,
  name: string,
): Chart {
  const points: LinePoint[] = curves.flatMap((c) =>
    c.bins.map((b) => ({
      series: c.name,
      x: b.meanPredicted,
      y: b.fractionPositives,
      count: b.count,
    }))
  );
  const chart = seriesLines(points, {
    title,
    name,
    xTitle: "predicted probability",
    yTitle: "observed probability",
    seriesTitle: "model",
    xDomain: [0, 1],
    yDomain: [0, 1],
    points: false,
    width: 360,
    height: 360,
    tooltip: [{ field: "count", title: "rows in bin", format: "d" }],
    underlay: [diagonal("perfectly calibrated")],
  });
  // Points sized by how many rows fall in each bin: sparse bins are noisy, dense ones are not.
  const spec = chart.toSpec();
  const layers = spec.layer as VegaLiteSpec[];
  const lines = layers[layers.length - 1];
  (lines.mark as Record<string, unknown>).opacity = 0.75;
  const encoding = lines.encoding as Record<string, unknown>;
  layers.push({
    data: lines.data,
    mark: { type: "point", filled: true, opacity: 0.9 },
    encoding: {
      x: encoding.x,
      y: encoding.y,
      color: encoding.color,
      tooltip: encoding.tooltip,
      size: {
        field: "count",
        type: "quantitative",
        title: "rows in bin",
        scale: { range: [15, 260], zero: false },
      },
    },
  });
  return new Chart(spec, { name: chart.name, description: chart.description });
}

/** Histogram of predicted probabilities per model (41 bins on [0, 1], as Ludwig draws it). */
function distributionChart(
  probs: { name: string; values: number[] }[],
  title: string | VegaLiteSpec,
  name: string,
): Chart {
  const bins = 41;
  const rows = probs.flatMap((p) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of p.values) counts[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]++;
    return counts.map((count, b) => ({
      series: p.name,
      start: round(b / bins, 5),
      end: round((b + 1) / bins, 5),
      count,
    }));
  });
  const spec: VegaLiteSpec = {
    title,
    width: 360,
    height: 220,
    data: { values: rows },
    mark: { type: "rect", opacity: probs.length > 1 ? 0.55 : 0.85 },
    encoding: {
      x: {
        field: "start",
        type: "quantitative",
        title: "predicted probability",
        scale: { domain: [0, 1] },
      },
      x2: { field: "end" },
      y: { field: "count", type: "quantitative", title: "count" },
      y2: { datum: 0 },
      color: { field: "series", type: "nominal", title: "model" },
      tooltip: [
        { field: "series", type: "nominal", title: "model" },
        { field: "start", type: "quantitative", title: "from", format: ".3f" },
        { field: "end", type: "quantitative", title: "to", format: ".3f" },
        { field: "count", type: "quantitative" },
      ],
    },
  };
  return new Chart(spec, { name });
}

/** Options of the calibration charts. */
export interface CalibrationOptions extends LabelOptions {
  /** One-vs-all charts for the first `topNClasses` classes (0: all); default 0. */
  topNClasses?: number;
}

/**
 * One-vs-all calibration for each class (Ludwig's `calibration_1_vs_all`): a reliability diagram
 * (21 bins) and a histogram of the class's predicted probability per class, then the Brier
 * score of every class and model.
 *
 * @param probabilities Class probabilities of one model, or a list per model.
 * @param groundTruth True labels.
 * @param options Classes to draw, metadata, labels limit, model names.
 * @returns The chart; parts are named `calibration_1_vs_all_<class index>`,
 *   `calibration_1_vs_all_prediction_distribution_<class index>` and `calibration_1_vs_all_brier`.
 */
export function calibration1VsAll(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: CalibrationOptions = {},
): Chart {
  const p = prepareProbabilities(probabilities, groundTruth, options);
  const numClasses = p.probabilities[0][0]?.length ?? 0;
  const labels = classLabels(p.meta, numClasses);
  const k = options.topNClasses && options.topNClasses > 0
    ? Math.min(options.topNClasses, numClasses)
    : numClasses;
  const charts: Chart[] = [];
  const brier: BarDatum[] = [];
  for (let c = 0; c < k; c++) {
    const truth = p.groundTruth.map((g) => g === c);
    const columns = p.probabilities.map((probs) => probs.map((row) => row[c] ?? 0));
    charts.push(reliabilityChart(
      columns.map((col, i) => ({ name: p.names[i], bins: calibrationCurve(truth, col, 21) })),
      titled(`${labels[c] ?? c}: calibration (reliability curve)`, p.feature || undefined),
      stem("calibration_1_vs_all", c),
    ));
    charts.push(distributionChart(
      columns.map((col, i) => ({ name: p.names[i], values: col })),
      titled(`${labels[c] ?? c}: predicted probabilities`, p.feature || undefined),
      stem("calibration_1_vs_all_prediction_distribution", c),
    ));
    columns.forEach((col, i) =>
      brier.push({
        group: labels[c] ?? String(c),
        series: p.names[i],
        value: brierScore(truth, col),
      })
    );
  }
  charts.push(groupedBars(brier, {
    title: titled("Brier scores for each class", p.feature || undefined),
    name: "calibration_1_vs_all_brier",
    groupTitle: "class",
    seriesTitle: "model",
    valueTitle: "Brier score (lower is better)",
    format: ".3f",
    labels: brier.length <= 24,
  }));
  return Chart.concat(charts, {
    name: "calibration_1_vs_all",
    title: "One-vs-all calibration",
    columns: 2,
  });
}

/**
 * Calibration over all classes at once (Ludwig's `calibration_multiclass`): probabilities and
 * one-hot truths of every class are pooled into one reliability diagram, with each model's Brier
 * score beside it.
 *
 * @returns The chart; parts are named `calibration_multiclass` and `calibration_multiclass_brier`.
 */
export function calibrationMulticlass(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: LabelOptions = {},
): Chart {
  const p = prepareProbabilities(probabilities, groundTruth, options);
  const width = Math.max(
    ...p.probabilities.map((m) => m[0]?.length ?? 0),
    Math.max(...p.groundTruth) + 1,
  );
  const truth = p.groundTruth.flatMap((g) => Array.from({ length: width }, (_, c) => c === g));
  const flat = p.probabilities.map((probs) =>
    probs.flatMap((row) => Array.from({ length: width }, (_, c) => row[c] ?? 0))
  );
  const reliability = reliabilityChart(
    flat.map((values, i) => ({ name: p.names[i], bins: calibrationCurve(truth, values, 21) })),
    titled("Calibration (reliability curve), all classes", p.feature || undefined),
    "calibration_multiclass",
  );
  const brier = groupedBars(
    flat.map((values, i) => ({
      group: "brier",
      series: p.names[i],
      value: brierScore(truth, values),
    })),
    {
      title: titled("Brier score, all classes", p.feature || undefined),
      name: "calibration_multiclass_brier",
      groupTitle: "metric",
      seriesTitle: "model",
      valueTitle: "Brier score (lower is better)",
      format: ".5f",
    },
  );
  return Chart.concat([reliability, brier], {
    name: "calibration_multiclass",
    title: "Multiclass calibration",
    columns: 2,
  });
}
