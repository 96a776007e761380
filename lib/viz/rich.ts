/**
 * Rich display in Jupyter notebooks on the Deno kernel: configs as highlighted YAML, datasets
 * as column summaries plus their first rows, training runs as a metrics table plus learning
 * curves, evaluations as a metrics table plus confusion matrices and ROC curves, predictions
 * as tables, and a live progress bar with a loss chart that updates in place while training.
 *
 * Every view has a `[Symbol.for("Jupyter.display")]()` method, so returning it from a cell (or
 * passing it to {@linkcode display}) renders it; `toString()` gives the same as text for
 * scripts. Nothing here reads `Deno.jupyter` at import time.
 *
 * @example Views render as HTML and text
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { JUPYTER_DISPLAY } from "./display.ts";
 * import { displayConfig } from "./rich.ts";
 * const view = displayConfig({ input_features: [{ name: "x", type: "number" }] });
 * const bundle = view[JUPYTER_DISPLAY]();
 * assert(bundle["text/html"].includes("input_features"));
 * assert(bundle["text/plain"].startsWith("input_features:"));
 * ```
 *
 * @module
 */
import { ModelBuilder } from "../builders/model.ts";
import { toYAML } from "../config/parse.ts";
import { type Dataset, sourceFile } from "../data/dataset.ts";
import { inferTypes } from "../data/infer.ts";
import { registerResultDisplay } from "../_util/result_display.ts";
import type { StepInfo, TrainCallbacks, TrainResult } from "../train/callbacks.ts";
import { Chart } from "./chart.ts";
import { confusionMatrix } from "./confusion.ts";
import { rocCurvesFromTestStatistics } from "./curves.ts";
import { type Cell, type DisplayTable, htmlTable, JUPYTER_DISPLAY } from "./display.ts";
import type { TestStatistics, TrainingSetMetadata, TrainingStatistics } from "./inputs.ts";
import { inJupyter, publish } from "./_notebook.ts";
import { learningCurves } from "./training.ts";

export { inJupyter };

type Obj = Record<string, unknown>;

/** The bundle of an HTML view: `text/html` and `text/plain`. */
export interface HtmlBundle {
  /** The rendering for notebooks. */
  "text/html": string;
  /** The rendering for consoles and `toString()`. */
  "text/plain": string;
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

const encoder = new TextEncoder();

/**
 * Display an object now, like IPython's `display()`: inside the Deno kernel it is published as
 * a `display_data` output of the running cell; elsewhere its `text/plain` form is written to
 * stdout. Prefer it to leaving a view as a cell's last expression in notebooks that run
 * headlessly: Deno 2.9's kernel can publish a cell's result after the cell reports idle, and
 * `nbconvert --execute` then drops it, while `display()` outputs always arrive in order.
 *
 * @param obj A view, chart, dataset, MIME bundle or any value.
 * @returns Resolves once published (or written).
 *
 * @example Outside a notebook it prints text
 * ```ts
 * import { display, displayConfig } from "./rich.ts";
 * await display(displayConfig({ trainer: { epochs: 1 } }));
 * ```
 */
export async function display(obj: unknown): Promise<void> {
  if (await publish(obj)) return;
  const method = typeof obj === "object" && obj !== null
    ? (obj as Record<symbol, unknown>)[JUPYTER_DISPLAY]
    : undefined;
  let text: string;
  if (typeof method === "function") {
    const bundle = await method.call(obj) as Obj;
    text = String(bundle["text/plain"] ?? "");
  } else text = typeof obj === "string" ? obj : Deno.inspect(obj);
  Deno.stdout.writeSync(encoder.encode(`${text}\n`));
}

// ---------------------------------------------------------------------------------------------
// Configs

const YAML_COLORS = {
  key: "#0451a5",
  string: "#a31515",
  number: "#098658",
  literal: "#0000ff",
  comment: "#6a9955",
  punct: "#777777",
} as const;

function span(kind: keyof typeof YAML_COLORS, text: string): string {
  return text ? `<span style="color: ${YAML_COLORS[kind]}">${escapeHtml(text)}</span>` : "";
}

function highlightScalar(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return escapeHtml(text);
  const lead = text.slice(0, text.indexOf(trimmed));
  const tail = text.slice(lead.length + trimmed.length);
  let kind: keyof typeof YAML_COLORS = "string";
  if (/^(true|false|null|~)$/.test(trimmed)) kind = "literal";
  else if (/^[-+]?(\d[\d_]*(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) kind = "number";
  else if (/^[[\]{}|>]+$/.test(trimmed)) kind = "punct";
  return escapeHtml(lead) + span(kind, trimmed) + escapeHtml(tail);
}

/** Colour one line of block-style YAML (as `toYAML` writes it) with inline styles. */
function highlightYamlLine(line: string): string {
  const comment = /^(\s*)(#.*)$/.exec(line);
  if (comment) return escapeHtml(comment[1]) + span("comment", comment[2]);
  const m = /^(\s*)((?:- )*)(?:("[^"]*"|'[^']*'|[^\s#'"][^:#]*?)(:)(?=\s|$))?(.*)$/.exec(line);
  if (!m) return escapeHtml(line);
  const [, indent, dashes, key, colon, rest] = m;
  return escapeHtml(indent) + span("punct", dashes) + (key ? span("key", key) : "") +
    (colon ? span("punct", colon) : "") + highlightScalar(rest);
}

/** A config shown as highlighted YAML. */
export interface ConfigView {
  /** The YAML text. */
  readonly yaml: string;
  /** The YAML text. */
  toString(): string;
  /** `text/html` (highlighted YAML) and `text/plain` (the YAML). */
  [JUPYTER_DISPLAY](): HtmlBundle;
}

/**
 * A config as highlighted YAML for notebooks: a resolved `ModelConfig` (all defaults filled),
 * a builder (the config as written), a plain object, or YAML text.
 *
 * @param config The config to show.
 * @param options A caption above the YAML.
 * @returns A displayable view.
 *
 * @example A builder's config
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { feature, model } from "../builders/mod.ts";
 * import { JUPYTER_DISPLAY } from "./display.ts";
 * import { displayConfig } from "./rich.ts";
 * const view = displayConfig(model().input(feature.number("x")).output(feature.binary("y")));
 * assert(view.yaml.includes("type: binary"));
 * assert(view[JUPYTER_DISPLAY]()["text/html"].includes("<pre"));
 * ```
 */
export function displayConfig(
  config: ModelBuilder | Readonly<Obj> | string,
  options: { caption?: string } = {},
): ConfigView {
  const yaml = typeof config === "string"
    ? config
    : config instanceof ModelBuilder
    ? config.toYAML()
    : toYAML(config);
  const text = yaml.endsWith("\n") ? yaml.slice(0, -1) : yaml;
  const html = () => {
    const body = text.split("\n").map(highlightYamlLine).join("\n");
    const caption = options.caption
      ? `<div style="font-weight: bold; margin-bottom: 4px">${escapeHtml(options.caption)}</div>`
      : "";
    return `<div class="sonata-config">${caption}<pre style="line-height: 1.35; padding: 8px; ` +
      `background: #f8f8f8; border: 1px solid #e3e3e3; border-radius: 4px; overflow: auto">` +
      `${body}</pre></div>`;
  };
  return {
    yaml: text,
    toString: () => text,
    [JUPYTER_DISPLAY]: () => ({
      "text/html": html(),
      "text/plain": (options.caption ? `${options.caption}\n` : "") + text,
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Reports: tables and charts in one HTML output

/**
 * Thumbnails of an image column's first rows (PNG data URIs made with sharp at render time;
 * relative paths resolve against the dataset file's folder, as in preprocessing).
 */
export class ImageThumbnails {
  /** The column. */
  readonly column: string;
  /** The cells shown. */
  readonly cells: readonly unknown[];
  /** The dataset file, if any. */
  readonly file?: string;
  /** Thumbnail side in pixels (the longer side). */
  readonly size: number;

  /**
   * @param column The column's name.
   * @param cells Its first cells.
   * @param options The dataset file and the thumbnail size (default 48 pixels).
   */
  constructor(
    column: string,
    cells: readonly unknown[],
    options: { file?: string; size?: number } = {},
  ) {
    this.column = column;
    this.cells = cells;
    this.file = options.file;
    this.size = options.size ?? 48;
  }

  /** `<figure>`s of the thumbnails; an unreadable cell shows its reason instead. */
  async toHTML(): Promise<string> {
    const { decodeImage, imageBaseDir, isMissingImageCell, readImageSource, resolveImageCell } =
      await import("../data/images/mod.ts");
    const { default: sharp } = await import("sharp");
    const baseDir = imageBaseDir(this.file);
    const figures = await Promise.all(this.cells.map(async (cell, row) => {
      let body: string;
      if (isMissingImageCell(cell)) body = "<i>missing</i>";
      else {
        try {
          const image = await decodeImage(
            await readImageSource(await resolveImageCell(cell, { baseDir })),
          );
          const png = await sharp(image.data, {
            raw: {
              width: image.width,
              height: image.height,
              channels: image.channels as 1 | 2 | 3 | 4,
            },
          }).resize(this.size, this.size, { fit: "inside", kernel: "nearest" }).png().toBuffer();
          body = `<img alt="row ${row + 1}" src="data:image/png;base64,${
            png.toString("base64")
          }" style="image-rendering: pixelated; display: block">`;
        } catch (error) {
          body = `<i>${escapeHtml((error as Error).message)}</i>`;
        }
      }
      return `<figure style="display: inline-block; margin: 2px; text-align: center">${body}<figcaption>${
        row + 1
      }</figcaption></figure>`;
    }));
    return `<div class="sonata-thumbnails"><div>${escapeHtml(this.column)}</div>${
      figures.join("")
    }</div>`;
  }

  /** One line: the column and how many thumbnails. */
  toString(): string {
    return `[images] ${this.column}: ${this.cells.length} thumbnails`;
  }
}

/** One part of a {@linkcode Report}: a table, a chart or image thumbnails. */
export type ReportSection = DisplayTable | Chart | ImageThumbnails;

/**
 * Tables and charts shown together as one HTML output (charts as static SVG), with a text form.
 * Each part is also available on its own (`tables`, `charts`) to display interactively.
 */
export class Report {
  /** The title shown above the sections. */
  readonly title: string;
  /** The sections in order. */
  readonly sections: readonly ReportSection[];

  /**
   * @param title The heading.
   * @param sections Tables and charts, in display order.
   */
  constructor(title: string, sections: readonly ReportSection[]) {
    this.title = title;
    this.sections = sections;
  }

  /** The tables of this report. */
  get tables(): DisplayTable[] {
    return this.sections.filter((s): s is DisplayTable =>
      !(s instanceof Chart) && !(s instanceof ImageThumbnails)
    );
  }

  /** The charts of this report (Vega-Lite; display one to interact with it). */
  get charts(): Chart[] {
    return this.sections.filter((s): s is Chart => s instanceof Chart);
  }

  /** The HTML: title, tables, and charts rendered to SVG. */
  async toHTML(): Promise<string> {
    const parts = await Promise.all(
      this.sections.map(async (s) =>
        s instanceof Chart
          ? `<div class="sonata-chart" style="margin: 8px 0">${await s.toSVG()}</div>`
          : s instanceof ImageThumbnails
          ? `<div style="margin: 8px 0">${await s.toHTML()}</div>`
          : `<div class="sonata-table" style="margin: 8px 0">${s.toHTML()}</div>`
      ),
    );
    return `<div class="sonata-report"><h4 style="margin: 4px 0">${escapeHtml(this.title)}</h4>\n${
      parts.join("\n")
    }</div>`;
  }

  /** The text: title, tables as aligned text, one line per chart. */
  toString(): string {
    return [
      this.title,
      ...this.sections.map((s) => (s instanceof Chart ? `[chart] ${s.description}` : s.toString())),
    ].join("\n\n");
  }

  /**
   * The bundle the kernel displays: `text/html` and `text/plain`.
   *
   * @returns The bundle.
   */
  async [JUPYTER_DISPLAY](): Promise<HtmlBundle> {
    return { "text/html": await this.toHTML(), "text/plain": this.toString() };
  }
}

// ---------------------------------------------------------------------------------------------
// Datasets

function numberStats(values: number[]) {
  const n = values.length;
  if (n === 0) return {};
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, n - 1);
  return { mean, std: Math.sqrt(variance), min, max };
}

function cellText(value: Cell | unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "object") {
    return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
  }
  return String(value);
}

/**
 * A dataset's summary for notebooks: one row per column (storage type, the feature type Sonata
 * would infer, missing values, distinct values, mean/std/min/max of numbers or the most common
 * value otherwise), then its first rows, and thumbnails of the first rows of each column
 * inferred as `image` (rendered in the HTML only).
 *
 * @param dataset The dataset.
 * @param options How many first rows to show (default 10).
 * @returns A report with the column summary and the first rows.
 *
 * @example Column types and statistics
 * ```ts
 * import { assert, assertEquals } from "../_util/_assert.ts";
 * import { Dataset } from "../data/dataset.ts";
 * import { describeDataset } from "./rich.ts";
 * const ds = Dataset.fromRecords([{ x: 1, c: "a" }, { x: 3, c: "b" }, { x: 5, c: "a" }]);
 * const report = describeDataset(ds);
 * assertEquals(report.tables[0].rows[0].mean, 3);
 * assert(report.toString().includes("most common"));
 * ```
 */
export function describeDataset(dataset: Dataset, options: { rows?: number } = {}): Report {
  const inferred = new Map(
    (() => {
      try {
        return inferTypes(dataset).map((c) => [c.name, c.type] as const);
      } catch {
        return [];
      }
    })(),
  );
  const summary = dataset.columnNames.map((name) => {
    const cells = dataset.column(name);
    const present = cells.filter((c) => c !== null && c !== undefined);
    const numeric = present.length > 0 && present.every((c) => typeof c === "number");
    const counts = new Map<string, number>();
    for (const c of present) {
      const key = cellText(c);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let top = "";
    if (!numeric && counts.size > 0) {
      const [value, count] = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a));
      top = `${value.length > 24 ? `${value.slice(0, 23)}…` : value} (${count})`;
    }
    const stats = numeric ? numberStats(present as number[]) : {};
    return {
      column: name,
      storage: String(dataset.field(name).type),
      "inferred type": inferred.get(name) ?? "",
      missing: cells.length - present.length,
      distinct: counts.size,
      ...stats,
      "most common": top,
    } as Record<string, Cell>;
  });
  const columns = ["column", "storage", "inferred type", "missing", "distinct", "mean", "std"]
    .concat(["min", "max", "most common"]);
  const n = options.rows ?? 10;
  const head = dataset.head(n).toRecords().map((r) =>
    Object.fromEntries(
      Object.entries(r).map((
        [k, v],
      ) => [k, typeof v === "number" || typeof v === "boolean" || v === null ? v : cellText(v)]),
    ) as Record<string, Cell>
  );
  const file = sourceFile(dataset.source);
  const thumbnails = dataset.columnNames.filter((name) => inferred.get(name) === "image").map(
    (name) => new ImageThumbnails(name, dataset.column(name).slice(0, n), { file }),
  );
  return new Report(
    `Dataset "${dataset.source}": ${dataset.numRows} rows × ${dataset.columnNames.length} columns`,
    [
      htmlTable(summary, { caption: "Columns", columns, maxRows: 500 }),
      htmlTable(head, {
        caption: `First ${Math.min(n, dataset.numRows)} rows`,
        columns: dataset.columnNames,
        maxRows: n,
      }),
      ...thumbnails,
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// Training, evaluation, predictions

type Split = "training" | "validation" | "test";

/** What {@linkcode trainingReport} reads: `Model.train()`'s result (or statistics alone). */
export interface TrainingResultLike {
  /** Per split, feature and metric: one value per checkpoint. */
  train_stats: Readonly<Record<Split, Record<string, Record<string, number[]>>>>;
  /** The trainer's summary (steps, best step, early stop). */
  result?: TrainResult;
}

function lastValues(stats: TrainingResultLike["train_stats"]): Record<string, Cell>[] {
  const rows: Record<string, Cell>[] = [];
  const features = new Set(Object.keys(stats.training ?? {}));
  for (const feature of features) {
    for (const metric of Object.keys(stats.training[feature] ?? {})) {
      const row: Record<string, Cell> = { feature, metric };
      for (const split of ["training", "validation", "test"] as const) {
        const values = stats[split]?.[feature]?.[metric];
        if (Array.isArray(values) && values.length) row[split] = values[values.length - 1];
      }
      rows.push(row);
    }
  }
  return rows;
}

/**
 * A training run for notebooks: the last value of every metric on each split, and learning
 * curves. `Model.train()`'s result displays as this report.
 *
 * @param training `Model.train()`'s result, or `{ train_stats }`.
 * @returns The report (its chart is `report.charts[0]`).
 *
 * @example From training statistics
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { trainingReport } from "./rich.ts";
 * const report = trainingReport({
 *   train_stats: {
 *     training: { y: { loss: [0.9, 0.5] } },
 *     validation: { y: { loss: [1.0, 0.7] } },
 *     test: {},
 *   },
 * });
 * assertEquals(report.tables[0].rows, [{ feature: "y", metric: "loss", training: 0.5, validation: 0.7 }]);
 * assertEquals(report.charts.length, 1);
 * ```
 */
export function trainingReport(training: TrainingResultLike): Report {
  const r = training.result;
  const title = r
    ? `Training: ${r.steps} steps, ${r.epochs} epochs, best at step ${r.bestStep}${
      r.stoppedEarly ? " (stopped early)" : ""
    }; batch size ${r.batchSize}, learning rate ${r.learningRate}`
    : "Training";
  const rows = lastValues(training.train_stats);
  const sections: ReportSection[] = [
    htmlTable(rows, {
      caption: "Metrics at the last checkpoint",
      columns: ["feature", "metric", "training", "validation", "test"].filter((c) =>
        rows.some((row) => c in row)
      ),
      maxRows: 200,
    }),
  ];
  try {
    sections.push(learningCurves(training.train_stats as unknown as TrainingStatistics));
  } catch {
    // No checkpoints yet, or none of the plotted metrics: the table alone.
  }
  return new Report(title, sections);
}

/** What {@linkcode evaluationReport} reads: `Model.evaluate()`'s result. */
export interface EvaluationResultLike {
  /** Per output feature (and `combined`): Ludwig's test statistics. */
  test_statistics: Readonly<Record<string, Obj>>;
}

/**
 * An evaluation for notebooks: every scalar metric per output feature, then a confusion matrix
 * for each classifier output and ROC curves for binary outputs. `Model.evaluate()`'s result
 * displays as this report.
 *
 * @param evaluation `Model.evaluate()`'s result, or `{ test_statistics }`.
 * @param options Training-set metadata, for class names in the charts.
 * @returns The report.
 *
 * @example A binary output
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { evaluationReport } from "./rich.ts";
 * const report = evaluationReport({
 *   test_statistics: {
 *     y: {
 *       accuracy: 0.75,
 *       confusion_matrix: [[2, 0], [1, 1]],
 *       roc_curve: { false_positive_rate: [0, 0, 1], true_positive_rate: [0, 0.5, 1] },
 *     },
 *     combined: { loss: 0.4 },
 *   },
 * });
 * assertEquals(report.tables[0].rows.length, 2);
 * assertEquals(report.charts.map((c) => c.name), ["confusion_matrix", "roc_curves_from_prediction_statistics"]);
 * ```
 */
export function evaluationReport(
  evaluation: EvaluationResultLike,
  options: { metadata?: Readonly<Obj> } = {},
): Report {
  const stats = evaluation.test_statistics;
  const rows: Record<string, Cell>[] = [];
  for (const [feature, values] of Object.entries(stats)) {
    for (const [metric, value] of Object.entries(values ?? {})) {
      if (typeof value === "number") rows.push({ feature, metric, value });
    }
  }
  const sections: ReportSection[] = [
    htmlTable(rows, { caption: "Test metrics", columns: ["feature", "metric", "value"] }),
  ];
  const testStats = stats as unknown as TestStatistics;
  const metadata = options.metadata as TrainingSetMetadata | undefined;
  for (const [feature, values] of Object.entries(stats)) {
    if (feature === "combined" || !values) continue;
    const attempt = (make: () => Chart) => {
      try {
        sections.push(make());
      } catch {
        // A chart this output cannot have (missing labels or curve points): skip it.
      }
    };
    if (Array.isArray(values.confusion_matrix)) {
      attempt(() =>
        confusionMatrix(testStats, { outputFeatureName: feature, metadata, normalize: false })
      );
    }
    if (values.roc_curve) {
      attempt(() => rocCurvesFromTestStatistics(testStats, { outputFeatureName: feature }));
    }
  }
  return new Report("Evaluation", sections);
}

function flatCell(value: unknown): Cell {
  if (
    value === null || value === undefined || typeof value === "number" ||
    typeof value === "string" || typeof value === "boolean"
  ) return value as Cell;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const list = Array.from(value as ArrayLike<unknown>).map((v) =>
      typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v
    );
    return JSON.stringify(list);
  }
  return cellText(value);
}

/**
 * Predictions as a table (arrays such as probabilities shown as JSON).
 *
 * @param predictions `Model.predict()`'s `predictions` (or anything with `rows`).
 * @param options Row limit (default 20) and caption.
 * @returns The table.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { predictionsTable } from "./rich.ts";
 * const table = predictionsTable({ rows: [{ y_predictions: "a", y_probabilities: [0.25, 0.75] }] });
 * assertEquals(table.rows[0].y_probabilities, "[0.25,0.75]");
 * ```
 */
export function predictionsTable(
  predictions: { rows: readonly Readonly<Obj>[] },
  options: { maxRows?: number; caption?: string } = {},
): DisplayTable {
  const rows = predictions.rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, flatCell(v)]))
  );
  return htmlTable(rows, {
    caption: options.caption ?? `Predictions (${rows.length} rows)`,
    maxRows: options.maxRows ?? 20,
  });
}

function attach<T extends object>(target: T, render: () => unknown): T {
  Object.defineProperty(target, JUPYTER_DISPLAY, {
    value: render,
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return target;
}

/**
 * Give `Model.train()`'s result a rich display ({@linkcode trainingReport}); the object is
 * returned unchanged otherwise (the display method is a non-enumerable symbol property).
 *
 * @typeParam T The result type.
 * @param result The training result.
 * @returns The same object.
 */
export function withTrainingDisplay<T extends TrainingResultLike>(result: T): T {
  return attach(result, () => trainingReport(result)[JUPYTER_DISPLAY]());
}

/**
 * Give `Model.evaluate()`'s result a rich display ({@linkcode evaluationReport}).
 *
 * @typeParam T The result type.
 * @param result The evaluation result.
 * @param metadata Training-set metadata, for class names.
 * @returns The same object.
 */
export function withEvaluationDisplay<T extends EvaluationResultLike>(
  result: T,
  metadata?: Readonly<Obj>,
): T {
  return attach(result, () => evaluationReport(result, { metadata })[JUPYTER_DISPLAY]());
}

/**
 * Give `Model.predict()`'s result a rich display ({@linkcode predictionsTable}).
 *
 * @typeParam T The result type.
 * @param result The prediction result.
 * @returns The same object.
 */
export function withPredictionsDisplay<T extends { predictions: { rows: readonly Obj[] } }>(
  result: T,
): T {
  return attach(result, () => predictionsTable(result.predictions)[JUPYTER_DISPLAY]());
}

// ---------------------------------------------------------------------------------------------
// Live progress

/** Options of {@linkcode notebookProgress}. */
export interface NotebookProgressOptions {
  /** Redraw the bar at most this often, in milliseconds (default 250). */
  minIntervalMs?: number;
  /** Draw a loss chart that updates at each checkpoint (default true). */
  chart?: boolean;
  /** Report this output feature's metric at checkpoints (the config's validation field). */
  validationField?: string;
  /** The metric of `validationField` to report (the config's validation metric). */
  validationMetric?: string;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

/** The progress bar as a bundle (exported for tests through {@linkcode notebookProgress}). */
function progressBundle(
  info: StepInfo | undefined,
  note: string,
  done: boolean,
): HtmlBundle {
  const frac = info ? Math.min(1, info.step / Math.max(1, info.totalSteps)) : 0;
  const eta = info && info.step > 0
    ? (info.elapsedSeconds / info.step) * (info.totalSteps - info.step)
    : NaN;
  const text = info
    ? `epoch ${
      Math.min(info.epoch + 1, info.epochs)
    }/${info.epochs} · step ${info.step}/${info.totalSteps} · loss ${info.loss.toFixed(4)} · ${
      done ? `${duration(info.elapsedSeconds)} elapsed` : `ETA ${duration(eta)}`
    }`
    : "starting";
  const color = done ? "#59a14f" : "#4e79a7";
  const html = `<div class="sonata-progress" style="font-family: sans-serif; font-size: 13px">` +
    `<div style="display: flex; align-items: center; gap: 8px">` +
    `<div style="width: 320px; height: 14px; background: #e6e6e6; border-radius: 3px; overflow: hidden">` +
    `<div style="width: ${
      (frac * 100).toFixed(1)
    }%; height: 100%; background: ${color}"></div></div>` +
    `<span>${(frac * 100).toFixed(0)}%</span><span>${escapeHtml(text)}</span></div>` +
    (note ? `<div style="color: #555; margin-top: 2px">${escapeHtml(note)}</div>` : "") +
    `</div>`;
  const width = 24;
  const filled = Math.round(frac * width);
  const plain = `${"█".repeat(filled)}${"░".repeat(width - filled)} ${text}${
    note ? `\n${note}` : ""
  }`;
  return { "text/html": html, "text/plain": plain };
}

/**
 * Training callbacks that draw live progress in a notebook: a progress bar (epoch, step, loss,
 * ETA) redrawn in place, the latest checkpoint's metrics under it, and a loss chart updated at
 * every checkpoint, all through Jupyter's `update_display_data`. `Model.train()` uses them by
 * itself inside the Deno kernel; outside it they do nothing, so passing them is always safe.
 *
 * @param options Redraw interval, chart on/off, the validation metric to report.
 * @returns The callbacks (empty outside the Deno kernel).
 *
 * @example Harmless outside a notebook
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { notebookProgress } from "./rich.ts";
 * assertEquals(Object.keys(notebookProgress()), []);
 * ```
 */
export function notebookProgress(options: NotebookProgressOptions = {}): TrainCallbacks {
  if (!inJupyter()) return {};
  const id = crypto.randomUUID().slice(0, 8);
  const barId = `sonata-progress-${id}`;
  const chartId = `sonata-curves-${id}`;
  const minInterval = options.minIntervalMs ?? 250;
  const withChart = options.chart ?? true;
  let queue: Promise<unknown> = Promise.resolve();
  let lastDraw = 0;
  let latest: StepInfo | undefined;
  let note = "";
  let chartShown = false;
  // Publish in order; a failed publish never interrupts training.
  const enqueue = (job: () => Promise<unknown>) => {
    queue = queue.then(job).catch(() => undefined);
    return queue;
  };
  const drawBar = (update: boolean, done = false) => {
    const bundle = progressBundle(latest, note, done);
    return enqueue(() => publish(bundle, { displayId: barId, update }));
  };
  return {
    onTrainStart(info) {
      note =
        `${info.totalSteps} steps, ${info.stepsPerEpoch} per epoch, batch size ${info.batchSize}, learning rate ${info.learningRate}`;
      drawBar(false);
    },
    onStep(info) {
      latest = info;
      const now = performance.now();
      if (now - lastDraw < minInterval) return;
      lastDraw = now;
      drawBar(true);
    },
    async onCheckpoint(info) {
      latest = info;
      const stats = info.statistics;
      const last = (split: Split, f: string, m: string) => stats[split]?.[f]?.[m]?.at(-1);
      const parts = [`checkpoint at step ${info.step}`];
      const train = last("training", "combined", "loss");
      if (train !== undefined) parts.push(`training loss ${train.toFixed(4)}`);
      const valid = last("validation", "combined", "loss");
      if (valid !== undefined) parts.push(`validation loss ${valid.toFixed(4)}`);
      const { validationField: field, validationMetric: metric } = options;
      if (field && metric && field !== "combined") {
        const split = Object.keys(stats.validation).length ? "validation" : "training";
        const v = last(split, field, metric);
        if (v !== undefined) parts.push(`${field} ${metric} ${v.toFixed(4)}`);
      }
      note = parts.join(", ") + (info.improved ? " (best so far)" : "");
      lastDraw = performance.now();
      drawBar(true);
      if (withChart) {
        const update = chartShown;
        chartShown = true;
        enqueue(() => {
          let chart: Chart;
          try {
            chart = learningCurves(stats as unknown as TrainingStatistics, {
              outputFeatureName: "combined",
              metrics: ["loss"],
            });
          } catch {
            return Promise.resolve();
          }
          return publish(chart, { displayId: chartId, update });
        });
      }
      await queue;
    },
    onTrainEnd(result) {
      note = `finished after ${result.steps} steps${
        result.stoppedEarly ? " (stopped early)" : ""
      }; best at step ${result.bestStep}`;
      drawBar(true, true);
    },
  };
}

// The Model facade (lib/api.ts) does not import this module: it displays through this hook,
// registered when this module is imported (mod.ts does).
registerResultDisplay({
  training: (result) => withTrainingDisplay(result as unknown as TrainingResultLike) as never,
  evaluation: (result, metadata) =>
    withEvaluationDisplay(result as unknown as EvaluationResultLike, metadata) as never,
  predictions: (result) =>
    withPredictionsDisplay(result as unknown as { predictions: { rows: readonly Obj[] } }) as never,
  progress: (options) => inJupyter() ? notebookProgress(options) : undefined,
});
