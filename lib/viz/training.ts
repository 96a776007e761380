/**
 * Learning curves: how each metric moved over training, on the training and validation sets.
 *
 * @module
 */

import { Chart } from "./chart.ts";
import { asList, modelNames, type TrainingStatistics } from "./inputs.ts";
import { type CommonOptions, type LinePoint, seriesLines, stem } from "./_spec.ts";

/** The metrics Ludwig draws learning curves for, in order. */
export const LEARNING_CURVE_METRICS: readonly string[] = [
  "loss",
  "accuracy",
  "hits_at_k",
  "edit_distance",
];

/** Options of {@linkcode learningCurves}. */
export interface LearningCurvesOptions extends CommonOptions {
  /** Only this output feature (default: every feature in the statistics, `combined` included). */
  outputFeatureName?: string;
  /** Metrics to draw (default: Ludwig's loss, accuracy, hits_at_k and edit_distance, when present). */
  metrics?: readonly string[];
}

/**
 * Learning curves (Ludwig's `learning_curves`): for each output feature and metric, one line per
 * model and split (training, validation) over epochs or steps. Several panels compose a grid
 * whose parts are named `learning_curves_<feature>_<metric>`.
 *
 * @param trainingStatistics `training_statistics.json` of one model, or of several to compare.
 * @param options Feature and metric selection, model names.
 * @returns The chart.
 *
 * @example One model's loss curves
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { learningCurves } from "./training.ts";
 * const stats = {
 *   training: { label: { loss: [1.2, 0.8, 0.6] } },
 *   validation: { label: { loss: [1.3, 0.9, 0.8] } },
 * };
 * const chart = learningCurves(stats, { outputFeatureName: "label" });
 * assertEquals(chart.name, "learning_curves_label_loss");
 * ```
 */
export function learningCurves(
  trainingStatistics: TrainingStatistics | readonly TrainingStatistics[],
  options: LearningCurvesOptions = {},
): Chart {
  const models = asList(trainingStatistics);
  if (models.length === 0) {
    throw new RangeError("Cannot plot learning curves: received no training statistics");
  }
  const names = modelNames(models.length, options.modelNames);
  const features = options.outputFeatureName !== undefined ? [options.outputFeatureName] : [
    ...new Set(models.flatMap((m) => [
      ...Object.keys(m.training ?? {}),
      ...Object.keys(m.validation ?? {}),
    ])),
  ];
  const wanted = options.metrics ?? LEARNING_CURVE_METRICS;
  const frequency = models[0].evaluation_frequency ?? { frequency: 1, period: "epoch" };
  const charts: Chart[] = [];
  for (const feature of features) {
    const first = models[0].training?.[feature];
    if (!first) {
      if (options.outputFeatureName !== undefined) {
        throw new TypeError(
          `Cannot plot learning curves: output feature "${feature}" not found in the training statistics: found ${
            Object.keys(models[0].training ?? {}).map((k) => `"${k}"`).join(", ")
          }`,
        );
      }
      continue;
    }
    for (const metric of wanted) {
      if (!(metric in first)) continue;
      const points: LinePoint[] = [];
      models.forEach((stats, m) => {
        for (const split of ["training", "validation"] as const) {
          const values = stats[split]?.[feature]?.[metric];
          if (!Array.isArray(values)) continue;
          values.forEach((value, i) => {
            points.push({
              series: models.length === 1 ? split : names[m],
              split,
              x: (i + 1) * frequency.frequency,
              y: value,
            });
          });
        }
      });
      const label = metric.replaceAll("_", " ");
      charts.push(seriesLines(points, {
        title: { text: `Learning curves: ${feature}`, subtitle: label },
        name: stem("learning_curves", feature, metric),
        xTitle: frequency.period,
        yTitle: label,
        seriesTitle: models.length === 1 ? "split" : "model",
        dashField: models.length === 1 ? undefined : { field: "split", title: "split" },
        integerX: true,
        description: `Learning curves of ${feature} ${label} over ${
          Math.max(...points.map((p) => p.x))
        } ${frequency.period}s for ${models.length} model(s)`,
      }));
    }
  }
  if (charts.length === 0) {
    throw new TypeError(
      `Cannot plot learning curves: none of the metrics ${
        wanted.map((m) => `"${m}"`).join(", ")
      } found in the training statistics`,
    );
  }
  return Chart.concat(charts, {
    name: "learning_curves",
    title: "Learning curves",
    columns: Math.min(2, charts.length),
  });
}
