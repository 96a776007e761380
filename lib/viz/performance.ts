/**
 * Performance comparisons: test metrics across models, accuracy / hits@k / MRR from
 * probabilities, scores from predictions, per-class precision/recall/F1, agreement between two
 * models, predicted class distributions, and class frequency against F1.
 *
 * @module
 */

import { Chart, type VegaLiteSpec } from "./chart.ts";
import {
  asList,
  asPredictionList,
  classLabels,
  type FeatureMetadata,
  featureMetadata,
  type FeatureTestStatistics,
  modelNames,
  type RawLabels,
  type TestStatistics,
  toLabelIndices,
  type TrainingSetMetadata,
} from "./inputs.ts";
import {
  argmax,
  classDistribution,
  classificationScores,
  hitsAtK,
  hitsAtKCurve,
  limitLabelIndices,
  meanReciprocalRank,
  predictionAgreement,
  type Probabilities,
} from "./metrics.ts";
import {
  type BarDatum,
  type CommonOptions,
  groupedBars,
  type LabelOptions,
  type LinePoint,
  percent,
  prepareProbabilities,
  round,
  seriesLines,
  stem,
  type SubsetType,
  titled,
} from "./_spec.ts";

/** Entries of a feature's test statistics that are not scalar metrics to compare. */
const NOT_COMPARED = new Set([
  "overall_stats",
  "confusion_matrix",
  "per_class_stats",
  "predictions",
  "probabilities",
  "roc_curve",
  "precision_recall_curve",
  "loss",
]);

/** Options of the charts drawn from test statistics. */
export interface TestStatisticsOptions extends CommonOptions {
  /** Only this output feature (default: every feature the chart applies to). */
  outputFeatureName?: string;
}

function featureNames(models: readonly TestStatistics[], only?: string): string[] {
  if (only !== undefined) {
    for (const m of models) {
      if (!(only in m)) {
        throw new TypeError(
          `Cannot find output feature "${only}" in the test statistics: found ${
            Object.keys(m).map((k) => `"${k}"`).join(", ")
          }`,
        );
      }
    }
    return [only];
  }
  return [...new Set(models.flatMap((m) => Object.keys(m)))];
}

function composite(charts: Chart[], name: string, what: string, title: string, columns = 1): Chart {
  if (charts.length === 0) {
    throw new TypeError(`Cannot plot ${what}: found nothing to plot in the inputs`);
  }
  return Chart.concat(charts, { name, title, columns: Math.min(columns, charts.length) });
}

/**
 * Compare test metrics across models (Ludwig's `compare_performance`): for each output feature,
 * one bar per model for every scalar metric all models report (loss excluded).
 *
 * @param testStatistics `test_statistics.json` of one model or several.
 * @param options Feature selection and model names.
 * @returns The chart; parts are named `compare_performance_<feature>`.
 *
 * @example Two models
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { comparePerformance } from "./performance.ts";
 * const a = { label: { accuracy: 0.8, hits_at_k: 0.95, loss: 0.5 } };
 * const b = { label: { accuracy: 0.85, hits_at_k: 0.97, loss: 0.4 } };
 * const chart = comparePerformance([a, b], { modelNames: ["a", "b"] });
 * assertEquals(chart.name, "compare_performance_label");
 * ```
 */
export function comparePerformance(
  testStatistics: TestStatistics | readonly TestStatistics[],
  options: TestStatisticsOptions = {},
): Chart {
  const models = asList(testStatistics);
  const names = modelNames(models.length, options.modelNames);
  const charts: Chart[] = [];
  for (const feature of featureNames(models, options.outputFeatureName)) {
    const perModel = models.map((m) => m[feature] ?? {});
    const metrics = Object.keys(perModel[0]).filter((k) =>
      !NOT_COMPARED.has(k) &&
      perModel.every((s) => typeof s[k] === "number" && Number.isFinite(s[k]))
    ).sort();
    if (metrics.length === 0) continue;
    const data: BarDatum[] = [];
    for (const metric of metrics) {
      perModel.forEach((s, i) =>
        data.push({ group: metric, series: names[i], value: s[metric] as number })
      );
    }
    const unit = data.every((d) => d.value >= 0 && d.value <= 1);
    charts.push(groupedBars(data, {
      title: `Performance comparison on ${feature}`,
      name: stem("compare_performance", feature),
      groupTitle: "metric",
      seriesTitle: "model",
      valueTitle: "value",
      unitInterval: unit,
      description: `Test metrics of ${feature} for ${models.length} model(s): ${
        metrics.join(", ")
      }`,
    }));
  }
  return composite(
    charts,
    "compare_performance",
    "performance comparison",
    "Performance comparison",
  );
}

/** Options of {@linkcode compareClassifiersPerformanceFromProb}. */
export interface FromProbOptions extends LabelOptions {
  /** k of hits@k (Ludwig's `top_n_classes[0]`); default 3. */
  topNClasses?: number;
}

/**
 * Accuracy, hits@k and mean reciprocal rank computed from probabilities, one bar per model
 * (Ludwig's `compare_classifiers_performance_from_prob`).
 *
 * @param probabilities Class probabilities (rows × classes) of one model, or a list per model.
 * @param groundTruth True labels (indices, or labels mapped through the metadata).
 * @param options Metadata, k, labels limit, model names.
 * @returns The chart, named `compare_classifiers_performance_from_prob`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { compareClassifiersPerformanceFromProb } from "./performance.ts";
 * const chart = compareClassifiersPerformanceFromProb([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], [0, 1], {
 *   topNClasses: 2,
 * });
 * assertEquals(chart.name, "compare_classifiers_performance_from_prob");
 * ```
 */
export function compareClassifiersPerformanceFromProb(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: FromProbOptions = {},
): Chart {
  const p = prepareProbabilities(probabilities, groundTruth, options);
  const k = options.topNClasses && options.topNClasses > 0 ? options.topNClasses : 3;
  const data: BarDatum[] = [];
  p.probabilities.forEach((probs, i) => {
    data.push({ group: "accuracy", series: p.names[i], value: hitsAtK(probs, p.groundTruth, 1) });
    data.push({ group: `hits@${k}`, series: p.names[i], value: hitsAtK(probs, p.groundTruth, k) });
    data.push({
      group: "mrr",
      series: p.names[i],
      value: meanReciprocalRank(probs, p.groundTruth),
    });
  });
  return groupedBars(data, {
    title: titled("Classifier performance from probabilities", p.feature || undefined),
    name: "compare_classifiers_performance_from_prob",
    groupTitle: "metric",
    seriesTitle: "model",
    valueTitle: "value",
    unitInterval: true,
  });
}

/**
 * Accuracy and macro precision, recall and F1 computed from predicted labels, one bar per model
 * (Ludwig's `compare_classifiers_performance_from_pred`).
 *
 * @param predictions Predicted labels of one model, or a list per model.
 * @param groundTruth True labels.
 * @param options Metadata (maps labels to indices), labels limit, model names.
 * @returns The chart, named `compare_classifiers_performance_from_pred`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { compareClassifiersPerformanceFromPred } from "./performance.ts";
 * const chart = compareClassifiersPerformanceFromPred([["a", "b", "b"]], ["a", "b", "a"], {
 *   metadata: { idx2str: ["a", "b"], str2idx: { a: 0, b: 1 } },
 * });
 * assertEquals(chart.name, "compare_classifiers_performance_from_pred");
 * ```
 */
export function compareClassifiersPerformanceFromPred(
  predictions: RawLabels | readonly RawLabels[],
  groundTruth: RawLabels,
  options: LabelOptions = {},
): Chart {
  const { preds, gt, names, feature } = preparePredictions(predictions, groundTruth, options);
  const data: BarDatum[] = [];
  preds.forEach((pred, i) => {
    const s = classificationScores(pred, gt);
    data.push({ group: "accuracy", series: names[i], value: s.accuracy });
    data.push({ group: "precision", series: names[i], value: s.precision });
    data.push({ group: "recall", series: names[i], value: s.recall });
    data.push({ group: "f1", series: names[i], value: s.f1 });
  });
  return groupedBars(data, {
    title: titled(
      "Classifier performance from predictions",
      feature ? `${feature} (macro averages)` : "macro averages",
    ),
    name: "compare_classifiers_performance_from_pred",
    groupTitle: "metric",
    seriesTitle: "model",
    valueTitle: "value",
    unitInterval: true,
  });
}

function preparePredictions(
  predictions: RawLabels | readonly RawLabels[],
  groundTruth: RawLabels,
  options: LabelOptions,
) {
  const feature = options.outputFeatureName ?? "";
  const meta = featureMetadata(options.metadata, options.outputFeatureName);
  const list = asPredictionList(predictions);
  const limit = options.labelsLimit ?? 0;
  const gt = limitLabelIndices(toLabelIndices(groundTruth, meta, feature || undefined), limit);
  const preds = list.map((p, m) => {
    if (p.length !== gt.length) {
      throw new RangeError(
        `Cannot build chart: expected ${gt.length} predictions (one per ground-truth label), received ${p.length} for model ${
          m + 1
        }`,
      );
    }
    return limitLabelIndices(toLabelIndices(p, meta, feature || undefined), limit);
  });
  return { preds, gt, names: modelNames(list.length, options.modelNames), meta, feature };
}

/** Options of the subset charts. */
export interface SubsetOptions extends LabelOptions {
  /** The subset holds the first `topNClasses` classes (by index, i.e. the most frequent); default 3. */
  topNClasses?: number;
  /** Select rows by true class ("ground_truth", default) or by predicted class ("predictions"). */
  subset?: SubsetType;
  /** k of hits@k; default 3 (Ludwig's fixed top 3). */
  topK?: number;
}

/**
 * Accuracy and hits@k on the rows of the `topNClasses` most frequent classes (Ludwig's
 * `compare_classifiers_performance_subset`). With `subset: "predictions"` the rows are chosen by
 * each model's predicted class, and the legend shows each model's share of the data.
 *
 * @param probabilities Class probabilities of one model, or a list per model.
 * @param groundTruth True labels.
 * @param options Subset definition, metadata, model names.
 * @returns The chart, named `compare_classifiers_performance_subset`.
 */
export function compareClassifiersPerformanceSubset(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: SubsetOptions = {},
): Chart {
  const p = prepareProbabilities(probabilities, groundTruth, options);
  const n = options.topNClasses && options.topNClasses > 0 ? options.topNClasses : 3;
  const k = options.topK ?? 3;
  const subset = options.subset ?? "ground_truth";
  const data: BarDatum[] = [];
  let share = 0;
  p.probabilities.forEach((probs, i) => {
    const keep = p.groundTruth.map((
      g,
      r,
    ) => (subset === "ground_truth" ? g < n : argmax(probs[r]) < n));
    const rows = probs.filter((_, r) => keep[r]);
    const gt = p.groundTruth.filter((_, r) => keep[r]);
    share = gt.length / p.groundTruth.length;
    const name = subset === "predictions" ? `${p.names[i]} (${percent(share, 2)})` : p.names[i];
    if (rows.length === 0) return;
    data.push({ group: "accuracy", series: name, value: hitsAtK(rows, gt, 1) });
    data.push({ group: `hits@${k}`, series: name, value: hitsAtK(rows, gt, k) });
  });
  const classes = `first ${n} class${n > 1 ? "es" : ""}`;
  const title = subset === "ground_truth"
    ? `Classifier performance on ${classes} (${percent(share, 2)} of the data)`
    : `Classifier performance on ${classes} (by prediction)`;
  return groupedBars(data, {
    title: titled(title, p.feature || undefined),
    name: "compare_classifiers_performance_subset",
    groupTitle: "metric",
    seriesTitle: "model",
    valueTitle: "value",
    unitInterval: true,
  });
}

/** Options of {@linkcode compareClassifiersPerformanceChangingK}. */
export interface ChangingKOptions extends LabelOptions {
  /** Largest k; default 3. */
  topK?: number;
}

/**
 * Hits@k as k grows from 1 to `topK`, one line per model (Ludwig's
 * `compare_classifiers_performance_changing_k`).
 *
 * @returns The chart, named `compare_classifiers_performance_changing_k`.
 */
export function compareClassifiersPerformanceChangingK(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: ChangingKOptions = {},
): Chart {
  const p = prepareProbabilities(probabilities, groundTruth, options);
  const topK = options.topK ?? 3;
  const points: LinePoint[] = [];
  p.probabilities.forEach((probs, i) => {
    hitsAtKCurve(probs, p.groundTruth, topK).forEach((v, k) =>
      points.push({ series: p.names[i], x: k + 1, y: v })
    );
  });
  return seriesLines(points, {
    title: titled("Classifier comparison (hits@k)", p.feature || undefined),
    name: "compare_classifiers_performance_changing_k",
    xTitle: "k",
    yTitle: "hits@k",
    seriesTitle: "model",
    points: true,
    integerX: true,
  });
}

/** Options of {@linkcode compareClassifiersMulticlassMultimetric}. */
export interface MulticlassMultimetricOptions extends TestStatisticsOptions {
  /** Metadata giving each class's vocabulary index (its order on the "top" chart). */
  metadata?: TrainingSetMetadata;
  /** Classes per chart (0: all); default 0. */
  topNClasses?: number;
}

/**
 * Per-class precision, recall and F1 (Ludwig's `compare_classifiers_multiclass_multimetric`):
 * for each model and output feature, four charts: the first `topNClasses` classes by vocabulary
 * index, the best and the worst `topNClasses` by F1, and all classes sorted by F1.
 *
 * @returns The chart; parts are named
 *   `compare_classifiers_multiclass_multimetric_<model>_<feature>_{top<k>,best<k>,worst<k>,sorted}`.
 */
export function compareClassifiersMulticlassMultimetric(
  testStatistics: TestStatistics | readonly TestStatistics[],
  options: MulticlassMultimetricOptions = {},
): Chart {
  const models = asList(testStatistics);
  const given = options.modelNames;
  const charts: Chart[] = [];
  models.forEach((stats, m) => {
    const modelName = given?.[m] ?? (models.length > 1 ? `Model ${m + 1}` : "");
    for (const feature of featureNames([stats], options.outputFeatureName)) {
      const perClass = stats[feature]?.per_class_stats;
      if (!perClass) continue;
      const meta = featureMetadata(options.metadata, feature);
      const index = (label: string) =>
        meta?.str2idx?.[label] ?? meta?.idx2str?.indexOf(label) ?? -1;
      const labels = Object.keys(perClass).sort((a, b) => {
        const ia = index(a), ib = index(b);
        return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || 0;
      });
      const value = (label: string, key: string) => {
        const v = perClass[label]?.[key];
        return typeof v === "number" && Number.isFinite(v) ? v : 0;
      };
      const k = options.topNClasses && options.topNClasses > 0
        ? Math.min(options.topNClasses, labels.length)
        : labels.length;
      const byF1 = [...labels].sort((a, b) => value(b, "f1_score") - value(a, "f1_score"));
      const worst = [...labels].sort((a, b) => value(a, "f1_score") - value(b, "f1_score")).slice(
        0,
        k,
      );
      const views: [string, string, string[]][] = [
        [`top${k}`, `top ${k}`, labels.slice(0, k)],
        [`best${k}`, `best ${k} classes`, byF1.slice(0, k)],
        [`worst${k}`, `worst ${k} classes`, worst],
        ["sorted", "sorted", byF1],
      ];
      const prefix = modelName ? `${modelName} ` : "";
      for (const [suffix, what, classes] of views) {
        const data: BarDatum[] = classes.flatMap((label) => [
          { group: label, series: "precision", value: value(label, "precision") },
          { group: label, series: "recall", value: value(label, "recall") },
          { group: label, series: "f1 score", value: value(label, "f1_score") },
        ]);
        charts.push(groupedBars(data, {
          title: titled(`${prefix}Multiclass precision / recall / F1 score: ${what}`, feature),
          name: stem("compare_classifiers_multiclass_multimetric", modelName, feature, suffix),
          groupTitle: "class",
          seriesTitle: "metric",
          valueTitle: "score",
          unitInterval: true,
          groupOrder: classes,
          seriesOrder: ["precision", "recall", "f1 score"],
          labels: false,
        }));
      }
    }
  });
  return composite(
    charts,
    "compare_classifiers_multiclass_multimetric",
    "per-class metrics (no per_class_stats found)",
    "Per-class precision, recall and F1 score",
  );
}

/**
 * How two models' predictions agree (Ludwig's `compare_classifiers_predictions`): a nested donut
 * with both right / one right / both wrong inside, and which model was right or whether the wrong
 * predictions matched outside.
 *
 * @param predictions Predicted labels of exactly two models.
 * @param groundTruth True labels.
 * @param options Metadata, labels limit, model names.
 * @returns The chart, named `compare_classifiers_predictions_<model1>_<model2>`.
 */
export function compareClassifiersPredictions(
  predictions: readonly [RawLabels, RawLabels] | readonly RawLabels[],
  groundTruth: RawLabels,
  options: LabelOptions = {},
): Chart {
  const { preds, gt } = preparePredictions(
    predictions as readonly RawLabels[],
    groundTruth,
    options,
  );
  if (preds.length !== 2) {
    throw new RangeError(
      `Cannot compare predictions: expected predictions of 2 models, received ${preds.length}`,
    );
  }
  const [n1, n2] = [options.modelNames?.[0] ?? "c1", options.modelNames?.[1] ?? "c2"];
  const a = predictionAgreement(gt, preds[0], preds[1]);
  const oneRight = a.firstRightSecondWrong + a.firstWrongSecondRight;
  const bothWrong = a.bothWrongSame + a.bothWrongDifferent;
  const inner = [
    { part: "both right", count: a.bothRight, order: 0 },
    { part: "one right", count: oneRight, order: 1 },
    { part: "both wrong", count: bothWrong, order: 2 },
  ];
  const outer = [
    { part: "both right", count: a.bothRight, order: 0 },
    { part: `${n1} right / ${n2} wrong`, count: a.firstRightSecondWrong, order: 1 },
    { part: `${n1} wrong / ${n2} right`, count: a.firstWrongSecondRight, order: 2 },
    { part: "both wrong, same prediction", count: a.bothWrongSame, order: 3 },
    { part: "both wrong, different predictions", count: a.bothWrongDifferent, order: 4 },
  ];
  const withShare = (rows: typeof inner) =>
    rows.map((r) => ({
      ...r,
      share: round(r.count / a.total, 4),
      label: r.count > 0 ? percent(r.count / a.total) : "",
    }));
  const domain = [
    "both right",
    "one right",
    `${n1} right / ${n2} wrong`,
    `${n1} wrong / ${n2} right`,
    "both wrong",
    "both wrong, same prediction",
    "both wrong, different predictions",
  ];
  const range = ["#59a14f", "#edc948", "#f28e2b", "#ffbe7d", "#e15759", "#b07aa1", "#ff9da7"];
  const ring = (
    rows: ReturnType<typeof withShare>,
    innerRadius: number,
    outerRadius: number,
  ): VegaLiteSpec => ({
    data: { values: rows },
    encoding: {
      theta: { field: "count", type: "quantitative", stack: true },
      order: { field: "order", type: "quantitative" },
      color: {
        field: "part",
        type: "nominal",
        title: "predictions",
        scale: { domain, range },
        sort: domain,
      },
      tooltip: [
        { field: "part", type: "nominal", title: "predictions" },
        { field: "count", type: "quantitative", title: "rows" },
        { field: "share", type: "quantitative", title: "share", format: ".1%" },
      ],
    },
    layer: [
      { mark: { type: "arc", innerRadius, outerRadius, stroke: "white", strokeWidth: 1.5 } },
      {
        mark: {
          type: "text",
          radius: (innerRadius + outerRadius) / 2,
          fontSize: 10,
          fill: "#222222",
        },
        encoding: { text: { field: "label", type: "nominal" } },
      },
    ],
  });
  const spec: VegaLiteSpec = {
    title: {
      text: `${n1} vs ${n2}`,
      subtitle: `${a.total} rows: ${percent(a.bothRight / a.total)} both right, ${
        percent(oneRight / a.total)
      } one right, ${percent(bothWrong / a.total)} both wrong`,
    },
    width: 340,
    height: 340,
    layer: [ring(withShare(inner), 55, 105), ring(withShare(outer), 110, 165)],
  };
  return new Chart(spec, {
    name: stem("compare_classifiers_predictions", n1, n2),
    description: `Agreement of ${n1} and ${n2} on ${a.total} rows`,
  });
}

/**
 * Distribution of predicted classes against the true class distribution, as a radar (Ludwig's
 * `compare_classifiers_predictions_distribution`): one closed line per model plus the ground
 * truth, one spoke per class.
 *
 * @returns The chart, named `compare_classifiers_predictions_distribution`.
 */
export function compareClassifiersPredictionsDistribution(
  predictions: RawLabels | readonly RawLabels[],
  groundTruth: RawLabels,
  options: LabelOptions = {},
): Chart {
  const { preds, gt, names, meta } = preparePredictions(predictions, groundTruth, options);
  const numClasses = Math.max(...gt, ...preds.flat()) + 1;
  const labels = classLabels(meta, numClasses).slice(0, numClasses);
  while (labels.length < numClasses) labels.push(String(labels.length));
  if (options.labelsLimit && options.labelsLimit > 0 && labels.length > options.labelsLimit) {
    labels[options.labelsLimit] = "rare";
  }
  const series = [
    { name: "ground truth", dist: classDistribution(gt, numClasses) },
    ...preds.map((p, i) => ({ name: names[i], dist: classDistribution(p, numClasses) })),
  ];
  return radarChart(series, labels, {
    title: titled("Predicted vs true class distribution", options.outputFeatureName),
    name: "compare_classifiers_predictions_distribution",
  });
}

/** A radar chart drawn in Cartesian coordinates (Vega-Lite has no polar lines). */
function radarChart(
  series: { name: string; dist: number[] }[],
  labels: string[],
  options: { title: string | VegaLiteSpec; name: string },
): Chart {
  const n = labels.length;
  const maxValue = Math.max(...series.flatMap((s) => s.dist), 1e-9);
  const step = niceStep(maxValue / 4);
  const rMax = Math.ceil(maxValue / step - 1e-9) * step;
  const angle = (i: number) => (2 * Math.PI * i) / n;
  const at = (i: number, r: number) => ({
    x: round(r * Math.sin(angle(i)), 5),
    y: round(r * Math.cos(angle(i)), 5),
  });
  const rings: Record<string, unknown>[] = [];
  const ringCount = Math.round(rMax / step);
  for (let j = 1; j <= ringCount; j++) {
    for (let i = 0; i <= n; i++) rings.push({ ring: j, order: i, ...at(i % n, j * step) });
  }
  const spokes = labels.map((_, i) => ({ ...at(i, rMax), x0: 0, y0: 0 }));
  const classText = labels.map((label, i) => ({
    label,
    ...at(i, rMax * 1.13),
    align: Math.abs(Math.sin(angle(i))) < 0.2
      ? "center"
      : Math.sin(angle(i)) > 0
      ? "left"
      : "right",
  }));
  const ringText = Array.from({ length: ringCount }, (_, j) => ({
    text: String(round((j + 1) * step, 4)),
    ...at(0, (j + 1) * step),
  }));
  const lines = series.flatMap((s) =>
    Array.from({ length: n + 1 }, (_, i) => ({
      series: s.name,
      class: labels[i % n],
      order: i,
      value: round(s.dist[i % n], 4),
      ...at(i % n, s.dist[i % n]),
    }))
  );
  const extent = rMax * 1.45;
  const xy = (field: string) => ({
    field,
    type: "quantitative",
    scale: { domain: [-extent, extent] },
    axis: null,
  });
  const spec: VegaLiteSpec = {
    title: options.title,
    width: 400,
    height: 400,
    layer: [
      {
        data: { values: rings },
        mark: { type: "line", color: "#dddddd", strokeWidth: 1 },
        encoding: {
          x: xy("x"),
          y: xy("y"),
          detail: { field: "ring", type: "nominal" },
          order: { field: "order", type: "quantitative" },
        },
      },
      {
        data: { values: spokes },
        mark: { type: "rule", color: "#dddddd", strokeWidth: 1 },
        encoding: { x: xy("x0"), y: xy("y0"), x2: { field: "x" }, y2: { field: "y" } },
      },
      {
        data: { values: ringText },
        mark: { type: "text", color: "#888888", fontSize: 9, align: "left", dx: 4, dy: 8 },
        encoding: { x: xy("x"), y: xy("y"), text: { field: "text", type: "nominal" } },
      },
      ...(["left", "center", "right"] as const).map((align) => ({
        data: { values: classText.filter((t) => t.align === align) },
        mark: { type: "text", fontSize: 11, align },
        encoding: { x: xy("x"), y: xy("y"), text: { field: "label", type: "nominal" } },
      })).filter((layer) => layer.data.values.length > 0),
      {
        data: { values: lines },
        mark: { type: "line", point: { filled: true, size: 30 }, strokeWidth: 2 },
        encoding: {
          x: xy("x"),
          y: xy("y"),
          order: { field: "order", type: "quantitative" },
          color: {
            field: "series",
            type: "nominal",
            title: "distribution",
            sort: series.map((s) => s.name),
          },
          tooltip: [
            { field: "series", type: "nominal", title: "distribution" },
            { field: "class", type: "nominal" },
            { field: "value", type: "quantitative", title: "probability", format: ".3f" },
          ],
        },
      },
    ],
  };
  return new Chart(spec, {
    name: options.name,
    description: `Radar of class distributions over ${n} classes`,
  });
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  const nice = unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 2.5 ? 2.5 : unit <= 5 ? 5 : 10;
  return nice * power;
}

/** Options of {@linkcode frequencyVsF1}. */
export interface FrequencyVsF1Options extends TestStatisticsOptions {
  /** `training_set_metadata.json`: class labels and their training frequencies. */
  metadata: TrainingSetMetadata;
  /** Only the first `topNClasses` classes by vocabulary index (0: all); default 0. */
  topNClasses?: number;
}

/**
 * Each class's F1 score against its training frequency (Ludwig's `frequency_vs_f1`): two
 * dual-axis charts per model and feature, classes sorted by F1 and by frequency.
 *
 * @returns The chart; parts are named `frequency_vs_f1_<model>_<feature>_sorted_by_{f1,frequency}`.
 */
export function frequencyVsF1(
  testStatistics: TestStatistics | readonly TestStatistics[],
  options: FrequencyVsF1Options,
): Chart {
  const models = asList(testStatistics);
  const charts: Chart[] = [];
  models.forEach((stats, m) => {
    const modelName = options.modelNames?.[m] ?? (models.length > 1 ? `Model ${m + 1}` : "");
    for (const feature of featureNames([stats], options.outputFeatureName)) {
      const fs: FeatureTestStatistics | undefined = stats[feature];
      const meta: FeatureMetadata | undefined = options.metadata?.[feature];
      if (!fs?.per_class_stats || !meta?.idx2str || !meta.str2freq) continue;
      let labels = [...meta.idx2str];
      const k = options.topNClasses ?? 0;
      if (k > 0) labels = labels.slice(0, k);
      const rows = labels.map((label) => {
        const f1 = fs.per_class_stats?.[label]?.f1_score;
        return {
          label,
          f1: typeof f1 === "number" && Number.isFinite(f1) ? f1 : 0,
          frequency: meta.str2freq?.[label] ?? 0,
        };
      });
      const prefix = modelName ? `${modelName} ` : "";
      for (const by of ["f1", "frequency"] as const) {
        const sorted = [...rows].sort((a, b) => b[by] - a[by]);
        charts.push(dualAxisChart(sorted, by, {
          title: titled(
            `${prefix}F1 score vs frequency: ${feature}`,
            `classes sorted by ${by === "f1" ? "F1 score" : "frequency"}`,
          ),
          name: stem("frequency_vs_f1", modelName, feature, `sorted_by_${by}`),
        }));
      }
    }
  });
  return composite(
    charts,
    "frequency_vs_f1",
    "frequency vs F1 (no per_class_stats with idx2str and str2freq metadata found)",
    "F1 score vs class frequency",
  );
}

function dualAxisChart(
  rows: { label: string; f1: number; frequency: number }[],
  primary: "f1" | "frequency",
  options: { title: string | VegaLiteSpec; name: string },
): Chart {
  const colors = { f1: "#4e79a7", frequency: "#f28e2b" };
  const titles = { f1: "F1 score", frequency: "frequency" };
  const secondary = primary === "f1" ? "frequency" : "f1";
  const x = {
    field: "label",
    type: "nominal",
    sort: rows.map((r) => r.label),
    title: `class (sorted by ${titles[primary]})`,
    axis: { labelAngle: -45, labelOverlap: rows.length > 40 ? "parity" : false },
  };
  const layerFor = (field: "f1" | "frequency", orient: "left" | "right") => ({
    mark: {
      type: "line",
      color: colors[field],
      point: rows.length <= 60 ? { filled: true, size: 30, color: colors[field] } : false,
    },
    encoding: {
      x,
      y: {
        field,
        type: "quantitative",
        title: titles[field],
        ...(field === "f1" ? { scale: { domain: [0, 1] } } : {}),
        axis: { orient, titleColor: colors[field], labelColor: colors[field] },
      },
      tooltip: [
        { field: "label", type: "nominal", title: "class" },
        { field: "f1", type: "quantitative", title: "F1 score", format: ".3f" },
        { field: "frequency", type: "quantitative", title: "frequency" },
      ],
    },
  });
  const spec: VegaLiteSpec = {
    title: options.title,
    width: Math.min(1200, Math.max(360, rows.length * 22)),
    height: 280,
    data: { values: rows.map((r) => ({ ...r, f1: round(r.f1, 4) })) },
    layer: [layerFor(primary, "left"), layerFor(secondary, "right")],
    resolve: { scale: { y: "independent" } },
  };
  return new Chart(spec, {
    name: options.name,
    description: `F1 score and frequency of ${rows.length} classes`,
  });
}
