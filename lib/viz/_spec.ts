/**
 * Building blocks shared by the chart functions: option types, input normalization, file-stem
 * naming and the recurring Vega-Lite specs (grouped bars, model-coloured lines).
 *
 * @module
 */

import { Chart, type VegaLiteSpec } from "./chart.ts";
import {
  asModelList,
  type FeatureMetadata,
  featureMetadata,
  modelNames,
  type RawLabels,
  toLabelIndices,
  type TrainingSetMetadata,
} from "./inputs.ts";
import { limitLabels, type Probabilities } from "./metrics.ts";

/** Options every chart function accepts. */
export interface CommonOptions {
  /** Model names used as labels, aligned with the per-model inputs. */
  modelNames?: readonly string[];
}

/** Options of the charts computed from probabilities or predictions and ground truth. */
export interface LabelOptions extends CommonOptions {
  /** `training_set_metadata.json` (or one feature's entry) to map labels to indices and names. */
  metadata?: TrainingSetMetadata | FeatureMetadata;
  /** The output feature the inputs belong to (looks up its metadata; named in titles). */
  outputFeatureName?: string;
  /** Labels with an index above this are merged into one "rare" class (0: no limit). */
  labelsLimit?: number;
}

/** Ludwig's subset filters: by true class or by predicted class. */
export type SubsetType = "ground_truth" | "predictions";

/** Sanitized file stem from name parts (empty parts are skipped). */
export function stem(...parts: (string | number | undefined)[]): string {
  return parts.filter((p) => p !== undefined && p !== "").map(String).join("_")
    .replace(/[^A-Za-z0-9_.@+-]+/g, "-");
}

/** Rounds for display in data rows (keeps specs small and tooltips readable). */
export function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Prepared probability inputs: per-model matrices, ground-truth indices, names. */
export interface PreparedProbabilities {
  probabilities: number[][][];
  groundTruth: number[];
  names: string[];
  meta?: FeatureMetadata;
  feature: string;
}

/** Normalize probability inputs: model list, label indices, `labelsLimit`, names. */
export function prepareProbabilities(
  probabilities: Probabilities | readonly Probabilities[],
  groundTruth: RawLabels,
  options: LabelOptions,
): PreparedProbabilities {
  const feature = options.outputFeatureName ?? "";
  const meta = featureMetadata(options.metadata, options.outputFeatureName);
  const models = asModelList(probabilities);
  if (models.length === 0) throw new RangeError("Cannot build chart: received no probabilities");
  const indices = toLabelIndices(groundTruth, meta, feature || undefined);
  const limit = options.labelsLimit ?? 0;
  let gt = indices;
  const probs = models.map((p, m) => {
    if (p.length !== indices.length) {
      throw new RangeError(
        `Cannot build chart: expected ${indices.length} rows of probabilities (one per ground-truth label), received ${p.length} for model ${
          m + 1
        }`,
      );
    }
    const limited = limitLabels(p, indices, limit);
    gt = limited.groundTruth;
    return limited.probabilities;
  });
  return {
    probabilities: probs,
    groundTruth: gt,
    names: modelNames(models.length, options.modelNames),
    meta,
    feature,
  };
}

/** One bar of a grouped bar chart. */
export interface BarDatum {
  /** The group on the x axis (a metric or a class). */
  group: string;
  /** The bar within the group (a model or a metric), coloured. */
  series: string;
  /** Bar height. */
  value: number;
}

/** Options of {@linkcode groupedBars}. */
export interface GroupedBarsOptions {
  title: string | VegaLiteSpec;
  name: string;
  groupTitle: string;
  seriesTitle: string;
  valueTitle: string;
  /** Keep the value axis on [0, 1] (metrics); otherwise it adapts to the data. */
  unitInterval?: boolean;
  /** d3 format of bar labels; default ".3f". */
  format?: string;
  /** Group order; default order of first appearance. */
  groupOrder?: string[];
  /** Series order; default order of first appearance. */
  seriesOrder?: string[];
  description?: string;
  /** Label bars with their values (default when there are at most 40 bars). */
  labels?: boolean;
}

/** Bars grouped along x (metric or class), one coloured bar per series (model or metric). */
export function groupedBars(data: readonly BarDatum[], options: GroupedBarsOptions): Chart {
  const rows = data.filter((d) => Number.isFinite(d.value)).map((d) => ({
    ...d,
    value: round(d.value, 6),
  }));
  const groups = options.groupOrder ?? [...new Set(rows.map((d) => d.group))];
  const series = options.seriesOrder ?? [...new Set(rows.map((d) => d.series))];
  const format = options.format ?? ".3f";
  const step = Math.max(18, Math.min(40, 120 / Math.max(1, series.length)));
  const width = Math.min(1400, Math.max(260, groups.length * (series.length * step + 16)));
  const labels = options.labels ?? rows.length <= 40;
  const valueScale = options.unitInterval
    ? { domain: [0, 1] }
    : rows.some((r) => r.value < 0)
    ? { zero: true, nice: true }
    : { zero: true };
  const x = {
    field: "group",
    type: "nominal",
    title: options.groupTitle,
    sort: groups,
    axis: { labelAngle: groups.some((g) => g.length * 7 > series.length * step + 16) ? -40 : 0 },
  };
  const spec: VegaLiteSpec = {
    title: options.title,
    width,
    height: 300,
    data: { values: rows },
    encoding: {
      x,
      xOffset: { field: "series", type: "nominal", sort: series },
      y: { field: "value", type: "quantitative", title: options.valueTitle, scale: valueScale },
      color: {
        field: "series",
        type: "nominal",
        title: options.seriesTitle,
        sort: series,
        legend: { orient: "right" },
      },
      tooltip: [
        { field: "group", type: "nominal", title: options.groupTitle },
        { field: "series", type: "nominal", title: options.seriesTitle },
        { field: "value", type: "quantitative", title: options.valueTitle, format },
      ],
    },
    layer: [
      { mark: { type: "bar" } },
      ...(labels
        ? [{
          mark: { type: "text", dy: -6, fontSize: 9, baseline: "bottom" },
          encoding: {
            text: { field: "value", type: "quantitative", format },
            color: { value: "#333333" },
          },
        }]
        : []),
    ],
  };
  return new Chart(spec, { name: options.name, description: options.description });
}

/** A point of a model-coloured line chart. */
export interface LinePoint {
  series: string;
  x: number;
  y: number | null;
  [extra: string]: unknown;
}

/** Options of {@linkcode seriesLines}. */
export interface SeriesLinesOptions {
  title: string | VegaLiteSpec;
  name: string;
  xTitle: string;
  yTitle: string;
  seriesTitle: string;
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** A second nominal field drawn as the dash style. */
  dashField?: { field: string; title: string };
  /** Draw points on the lines (default when there are at most 40 points per series). */
  points?: boolean;
  /** Extra tooltip fields. */
  tooltip?: { field: string; title: string; type?: string; format?: string }[];
  /** Field giving the drawing order of each line (default x). */
  orderField?: string;
  width?: number;
  height?: number;
  description?: string;
  /** Layers drawn below the lines (e.g. a diagonal). */
  underlay?: VegaLiteSpec[];
  xFormat?: string;
  yFormat?: string;
  /** The x values are integers (epochs, k): label ticks without decimals. */
  integerX?: boolean;
}

/** Lines of y over x, one colour per series. */
export function seriesLines(points: readonly LinePoint[], options: SeriesLinesOptions): Chart {
  const rows = points.filter((p) => p.y !== null && Number.isFinite(p.y) && Number.isFinite(p.x))
    .map((p) => ({ ...p, x: round(p.x, 6), y: round(p.y as number, 6) }));
  const series = [...new Set(rows.map((r) => r.series))];
  const perSeries = rows.length / Math.max(1, series.length);
  const showPoints = options.points ?? perSeries <= 40;
  const dash = options.dashField;
  const tooltip = [
    { field: "series", type: "nominal", title: options.seriesTitle },
    ...(dash ? [{ field: dash.field, type: "nominal", title: dash.title }] : []),
    { field: "x", type: "quantitative", title: options.xTitle, format: options.xFormat ?? ".3~f" },
    { field: "y", type: "quantitative", title: options.yTitle, format: options.yFormat ?? ".4~f" },
    ...(options.tooltip ?? []).map((t) => ({ type: "quantitative", ...t })),
  ];
  const encoding: Record<string, unknown> = {
    x: {
      field: "x",
      type: "quantitative",
      title: options.xTitle,
      ...(options.xDomain ? { scale: { domain: options.xDomain } } : {}),
    },
    y: {
      field: "y",
      type: "quantitative",
      title: options.yTitle,
      ...(options.yDomain ? { scale: { domain: options.yDomain } } : { scale: { zero: false } }),
    },
    color: { field: "series", type: "nominal", title: options.seriesTitle, sort: series },
    order: { field: options.orderField ?? "x", type: "quantitative" },
    tooltip,
  };
  if (dash) {
    encoding.strokeDash = {
      field: dash.field,
      type: "nominal",
      title: dash.title,
      legend: { symbolType: "stroke", symbolStrokeWidth: 2.5, symbolSize: 300 },
    };
  }
  if (options.integerX) {
    (encoding.x as Record<string, unknown>).axis = { format: "d", tickMinStep: 1 };
  }
  const lineLayer: VegaLiteSpec = {
    mark: { type: "line", point: showPoints ? { filled: true, size: 36 } : false },
    encoding,
  };
  const spec: VegaLiteSpec = {
    title: options.title,
    width: options.width ?? 420,
    height: options.height ?? 300,
    layer: [
      ...(options.underlay ?? []),
      { data: { values: rows }, ...lineLayer },
    ],
  };
  return new Chart(spec, { name: options.name, description: options.description });
}

/** A dashed diagonal from (0, 0) to (1, 1) for ROC and calibration charts. */
export function diagonal(label: string): VegaLiteSpec {
  return {
    data: { values: [{ x: 0, y: 0, x2: 1, y2: 1, what: label }] },
    mark: { type: "rule", strokeDash: [5, 4], color: "#888888", strokeWidth: 1.5 },
    encoding: {
      x: { field: "x", type: "quantitative" },
      y: { field: "y", type: "quantitative" },
      x2: { field: "x2" },
      y2: { field: "y2" },
      tooltip: { field: "what", type: "nominal", title: "reference" },
    },
  };
}

/** A title with a subtitle (Vega-Lite title object). */
export function titled(text: string, subtitle?: string): string | VegaLiteSpec {
  return subtitle ? { text, subtitle } : text;
}

/** Human-readable percentage. */
export function percent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}
