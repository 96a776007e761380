/**
 * Confusion matrices from test statistics, raw or row-normalized, with the classes ranked by the
 * entropy of their row (how spread out the model's mistakes on that class are).
 *
 * @module
 */

import { Chart, type VegaLiteSpec } from "./chart.ts";
import { asList, classLabels, type TestStatistics, type TrainingSetMetadata } from "./inputs.ts";
import { entropy, normalizeRows } from "./metrics.ts";
import { round, stem, titled } from "./_spec.ts";

/** Options of {@linkcode confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** `training_set_metadata.json`: class labels (`idx2str`, or `bool2str` for binary features). */
  metadata?: TrainingSetMetadata;
  /** Only this output feature (default: every feature with a confusion matrix). */
  outputFeatureName?: string;
  /** Limit to the first n classes (the most frequent); several values give several charts; 0 = all. */
  topNClasses?: number | readonly number[];
  /** Divide each row by its total, so cells read as recall per true class. */
  normalize?: boolean;
  /** Model names, aligned with the statistics. */
  modelNames?: readonly string[];
}

/**
 * Confusion matrix heatmaps and per-class entropy bars (Ludwig's `confusion_matrix`): for each
 * model, output feature and `topNClasses` value, a heatmap with true classes as rows and
 * predicted classes as columns, and the classes ranked by the entropy of their row.
 *
 * @param testStatistics `test_statistics.json` of one model or several.
 * @param options Metadata for labels, feature, class limit, normalization, model names.
 * @returns The chart; parts are named `confusion_matrix_<model>_<feature>_top<k>` and
 *   `confusion_matrix_entropy_<model>_<feature>_top<k>`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { confusionMatrix } from "./confusion.ts";
 * const stats = { label: { confusion_matrix: [[8, 2], [1, 9]] } };
 * const chart = confusionMatrix(stats, { metadata: { label: { idx2str: ["cat", "dog"] } } });
 * assertEquals(chart.parts.map((p) => p.name), ["confusion_matrix_label_top2", "confusion_matrix_entropy_label_top2"]);
 * ```
 */
export function confusionMatrix(
  testStatistics: TestStatistics | readonly TestStatistics[],
  options: ConfusionMatrixOptions = {},
): Chart {
  const models = asList(testStatistics);
  const tops = options.topNClasses === undefined
    ? [0]
    : typeof options.topNClasses === "number"
    ? [options.topNClasses]
    : [...options.topNClasses];
  const charts: Chart[] = [];
  models.forEach((stats, m) => {
    const modelName = options.modelNames?.[m] ?? (models.length > 1 ? `Model ${m + 1}` : "");
    const features = options.outputFeatureName !== undefined
      ? [options.outputFeatureName]
      : Object.keys(stats);
    for (const feature of features) {
      const matrix = stats[feature]?.confusion_matrix;
      if (!Array.isArray(matrix)) {
        if (options.outputFeatureName !== undefined) {
          throw new TypeError(
            `Cannot find "confusion_matrix" for output feature "${feature}" in the test statistics`,
          );
        }
        continue;
      }
      const labels = classLabels(options.metadata?.[feature], matrix.length);
      const ks = [
        ...new Set(tops.map((top) => (top > 0 ? Math.min(top, matrix.length) : matrix.length))),
      ];
      for (const k of ks) {
        let cm = matrix.slice(0, k).map((row) => row.slice(0, k));
        if (options.normalize) cm = normalizeRows(cm);
        const shown = labels.slice(0, k).map((l, i) => l ?? String(i));
        charts.push(heatmap(cm, shown, {
          title: titled(
            `${modelName ? `${modelName} ` : ""}Confusion matrix${
              options.normalize ? " (normalized)" : ""
            }`,
            `${feature}${k < matrix.length ? `, ${k} most frequent classes` : ""}`,
          ),
          name: stem("confusion_matrix", modelName, feature, `top${k}`),
          feature,
          normalized: options.normalize ?? false,
        }));
        charts.push(entropyBars(cm, shown, {
          title: titled("Classes ranked by entropy of their confusion matrix row", feature),
          name: stem("confusion_matrix_entropy", modelName, feature, `top${k}`),
        }));
      }
    }
  });
  if (charts.length === 0) {
    throw new TypeError("Cannot find confusion_matrix in the test statistics");
  }
  return Chart.concat(charts, {
    name: "confusion_matrix",
    title: "Confusion matrices",
    columns: 2,
  });
}

function heatmap(
  cm: number[][],
  labels: string[],
  options: { title: string | VegaLiteSpec; name: string; feature: string; normalized: boolean },
): Chart {
  const n = labels.length;
  const rowTotals = cm.map((row) => row.reduce((a, b) => a + b, 0));
  const values = cm.flatMap((row, i) =>
    row.map((v, j) => ({
      actual: labels[i],
      predicted: labels[j],
      value: round(v, 6),
      share: rowTotals[i] > 0 ? round(v / rowTotals[i], 4) : 0,
    }))
  );
  const max = Math.max(...values.map((v) => v.value), 0);
  const cell = Math.max(16, Math.min(48, Math.floor(480 / Math.max(1, n))));
  const format = options.normalized ? ".2f" : "d";
  const axis = { labelAngle: n > 6 ? -45 : 0, labelLimit: 120 };
  const spec: VegaLiteSpec = {
    title: options.title,
    width: cell * n,
    height: cell * n,
    data: { values },
    encoding: {
      x: {
        field: "predicted",
        type: "nominal",
        sort: labels,
        title: `predicted ${options.feature}`,
        axis: { ...axis, orient: "bottom" },
      },
      y: {
        field: "actual",
        type: "nominal",
        sort: labels,
        title: `actual ${options.feature}`,
        axis: { labelLimit: 120 },
      },
    },
    layer: [
      {
        mark: { type: "rect", stroke: "white", strokeWidth: 0.5 },
        encoding: {
          color: {
            field: "value",
            type: "quantitative",
            title: options.normalized ? "row share" : "count",
            scale: {
              domain: [0, max > 0 ? max : 1],
              range: ["#f7fbff", "#08306b"],
              interpolate: "hcl",
            },
          },
          tooltip: [
            { field: "actual", type: "nominal" },
            { field: "predicted", type: "nominal" },
            {
              field: "value",
              type: "quantitative",
              title: options.normalized ? "row share" : "count",
              format: options.normalized ? ".3f" : "d",
            },
            { field: "share", type: "quantitative", title: "share of actual", format: ".1%" },
          ],
        },
      },
      ...(n <= 25
        ? [{
          mark: { type: "text", fontSize: n > 12 ? 8 : 10 },
          encoding: {
            text: { field: "value", type: "quantitative", format },
            color: {
              condition: { test: `datum.value > ${max / 2}`, value: "white" },
              value: "#222222",
            },
          },
        }]
        : []),
    ],
  };
  return new Chart(spec, { name: options.name, description: `Confusion matrix of ${n} classes` });
}

function entropyBars(
  cm: number[][],
  labels: string[],
  options: { title: string | VegaLiteSpec; name: string },
): Chart {
  const rows = cm.map((row, i) => ({ class: labels[i], entropy: round(entropy(row), 5) }))
    .sort((a, b) => b.entropy - a.entropy);
  const spec: VegaLiteSpec = {
    title: options.title,
    width: Math.min(1200, Math.max(240, rows.length * 26)),
    height: 240,
    data: { values: rows },
    mark: { type: "bar", color: "#4e79a7" },
    encoding: {
      x: {
        field: "class",
        type: "nominal",
        sort: rows.map((r) => r.class),
        title: "class",
        axis: { labelAngle: rows.length > 6 ? -45 : 0 },
      },
      y: { field: "entropy", type: "quantitative", title: "entropy (nats)" },
      tooltip: [{ field: "class", type: "nominal" }, {
        field: "entropy",
        type: "quantitative",
        format: ".3f",
      }],
    },
  };
  return new Chart(spec, {
    name: options.name,
    description: `Entropy of ${rows.length} confusion-matrix rows`,
  });
}
