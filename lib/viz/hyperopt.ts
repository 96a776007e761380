/**
 * Hyperopt visualizations (Ludwig's `hyperopt_report` and `hyperopt_hiplot`) and the notebook
 * display of a search: a table of trials, redrawn live while the search runs in Jupyter.
 *
 * Inputs are `hyperopt_statistics.json` (or the result of `hyperopt()`): `hyperopt_config`
 * (its `parameters`, `metric`, `goal`) and `hyperopt_results` (each trial's `parameters` and
 * `metric_score`).
 *
 * @module
 */
import { Chart, type VegaLiteSpec } from "./chart.ts";
import { type Cell, type DisplayTable, htmlTable, JUPYTER_DISPLAY } from "./display.ts";
import { publish } from "./_notebook.ts";
import { stem } from "./_spec.ts";

/** The parts of `hyperopt_statistics.json` the charts read. */
export interface HyperoptStatistics {
  /** The hyperopt section (parameters with their spaces, metric, goal …). */
  hyperopt_config: {
    parameters: Record<string, { space: string } & Record<string, unknown>>;
    metric?: string;
    goal?: string;
    output_feature?: string;
    split?: string;
  };
  /** Scored trials, best first. */
  hyperopt_results: readonly {
    parameters: Record<string, unknown>;
    metric_score: number | null;
    trial_id?: string;
    status?: string;
    epochs?: number;
    duration_s?: number;
  }[];
  /** Failed trials (Sonata's addition). */
  failed_trials?: readonly {
    parameters: Record<string, unknown>;
    trial_id?: string;
    error?: string;
  }[];
}

/** Options of {@linkcode hyperoptReport}. */
export interface HyperoptReportOptions {
  /** Also draw one chart per pair of parameters (default true). */
  pairwise?: boolean;
}

const isNumericSpace = (space: string) => space !== "choice" && space !== "grid_search";
const isLogSpace = (space: string) => /^q?log/.test(space);

/** A parameter value as an axis value: numbers stay, everything else becomes its JSON. */
function axisValue(v: unknown): number | string {
  return typeof v === "number" ? v : typeof v === "string" ? v : JSON.stringify(v);
}

function validate(stats: HyperoptStatistics, what: string): void {
  if (!stats?.hyperopt_config?.parameters || !Array.isArray(stats.hyperopt_results)) {
    throw new TypeError(
      `Cannot draw ${what}: expected hyperopt statistics with hyperopt_config.parameters and hyperopt_results`,
    );
  }
  if (stats.hyperopt_results.length === 0) {
    throw new RangeError(`Cannot draw ${what}: the hyperopt statistics hold no scored trial`);
  }
}

function metricTitle(stats: HyperoptStatistics): string {
  const c = stats.hyperopt_config;
  return [c.output_feature, c.split, c.metric ?? "metric_score"].filter(Boolean).join(" ");
}

/**
 * Ludwig's `hyperopt_report`: for each parameter, the metric of every trial against the
 * parameter's value (a scatter for numeric spaces, log-scaled for log spaces; a strip with the
 * mean for choice and grid spaces); then, for each pair of parameters, the trials placed by
 * both values and coloured by the metric.
 *
 * @param stats `hyperopt_statistics.json` or a `hyperopt()` result.
 * @param options Whether to add the pairwise charts.
 * @returns The chart (its parts are `hyperopt_<parameter>` and `hyperopt_pair_<a>_<b>`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { hyperoptReport } from "./hyperopt.ts";
 * const chart = hyperoptReport({
 *   hyperopt_config: { parameters: { "trainer.learning_rate": { space: "loguniform" } }, metric: "loss" },
 *   hyperopt_results: [{ parameters: { "trainer.learning_rate": 0.01 }, metric_score: 1.5 }],
 * });
 * assertEquals(chart.name, "hyperopt_trainer.learning_rate");
 * ```
 */
export function hyperoptReport(
  stats: HyperoptStatistics,
  options: HyperoptReportOptions = {},
): Chart {
  validate(stats, "the hyperopt report");
  const params = Object.entries(stats.hyperopt_config.parameters);
  const metric = metricTitle(stats);
  const rows = stats.hyperopt_results.filter((r) => typeof r.metric_score === "number");
  const charts: Chart[] = [];
  for (const [path, space] of params) {
    const values = rows.map((r) => ({
      value: axisValue(r.parameters[path]),
      metric: r.metric_score,
      trial: r.trial_id ?? "",
    }));
    const numeric = isNumericSpace(space.space) && values.every((v) => typeof v.value === "number");
    const spec: VegaLiteSpec = numeric
      ? {
        title: { text: `Hyperopt: ${path}`, subtitle: `${space.space} space` },
        data: { values },
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x: {
            field: "value",
            type: "quantitative",
            title: path,
            scale: isLogSpace(space.space) ? { type: "log" } : { zero: false },
          },
          y: { field: "metric", type: "quantitative", title: metric, scale: { zero: false } },
          tooltip: [{ field: "trial" }, { field: "value", title: path }, {
            field: "metric",
            title: metric,
          }],
        },
        width: 360,
        height: 240,
      }
      : {
        title: { text: `Hyperopt: ${path}`, subtitle: `${space.space} space` },
        data: { values },
        layer: [
          {
            mark: { type: "point", filled: true, size: 60, opacity: 0.7 },
            encoding: {
              x: { field: "value", type: "nominal", title: path, axis: { labelAngle: 0 } },
              y: { field: "metric", type: "quantitative", title: metric, scale: { zero: false } },
              tooltip: [{ field: "trial" }, { field: "value", title: path }, {
                field: "metric",
                title: metric,
              }],
            },
          },
          {
            mark: { type: "tick", thickness: 2, size: 30, color: "#e15759" },
            encoding: {
              x: { field: "value", type: "nominal" },
              y: { aggregate: "mean", field: "metric", type: "quantitative" },
            },
          },
        ],
        width: 360,
        height: 240,
      };
    charts.push(
      new Chart(spec, {
        name: stem("hyperopt", path),
        description: `${metric} of ${rows.length} trials against ${path}`,
      }),
    );
  }
  if (options.pairwise ?? true) {
    for (let i = 0; i < params.length; i++) {
      for (let j = i + 1; j < params.length; j++) {
        const [a, sa] = params[i];
        const [b, sb] = params[j];
        const values = rows.map((r) => ({
          a: axisValue(r.parameters[a]),
          b: axisValue(r.parameters[b]),
          metric: r.metric_score,
          trial: r.trial_id ?? "",
        }));
        const axis = (field: "a" | "b", path: string, s: { space: string }) => {
          const numeric = isNumericSpace(s.space) &&
            values.every((v) => typeof v[field] === "number");
          return numeric
            ? {
              field,
              type: "quantitative",
              title: path,
              scale: isLogSpace(s.space) ? { type: "log" } : { zero: false },
            }
            : { field, type: "nominal", title: path };
        };
        charts.push(
          new Chart({
            title: { text: `Hyperopt: ${a} × ${b}`, subtitle: `colour: ${metric}` },
            data: { values },
            mark: { type: "point", filled: true, size: 80 },
            encoding: {
              x: axis("a", a, sa),
              y: axis("b", b, sb),
              color: {
                field: "metric",
                type: "quantitative",
                title: metric,
                scale: {
                  scheme: "viridis",
                  reverse: stats.hyperopt_config.goal !== "maximize",
                },
              },
              tooltip: [{ field: "trial" }, { field: "a", title: a }, { field: "b", title: b }, {
                field: "metric",
                title: metric,
              }],
            },
            width: 320,
            height: 260,
          }, {
            name: stem("hyperopt_pair", a, b),
            description: `${rows.length} trials by ${a} and ${b}, coloured by ${metric}`,
          }),
        );
      }
    }
  }
  return Chart.concat(charts, {
    name: "hyperopt_report",
    title: "Hyperopt report",
    columns: Math.min(2, charts.length),
  });
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function viridis(t: number): string {
  // Five viridis stops, linearly interpolated.
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const fmt = (v: number) => String(Number(v.toPrecision(4)));

/**
 * Ludwig's `hyperopt_hiplot`: a self-contained HTML page (no network, nothing to install) with
 * a parallel-coordinates plot of the trials (one axis per parameter, then the metric; each
 * trial a line coloured by its metric, the best drawn on top), a hover highlight, and the
 * trials as a table.
 *
 * @param stats `hyperopt_statistics.json` or a `hyperopt()` result.
 * @returns The HTML document.
 *
 * @example
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { hyperoptHiplot } from "./hyperopt.ts";
 * const html = hyperoptHiplot({
 *   hyperopt_config: { parameters: { "combiner.output_size": { space: "choice" } }, metric: "loss" },
 *   hyperopt_results: [{ parameters: { "combiner.output_size": 8 }, metric_score: 2 }],
 * });
 * assert(html.startsWith("<!DOCTYPE html>") && !html.includes("<script src"));
 * ```
 */
export function hyperoptHiplot(stats: HyperoptStatistics): string {
  validate(stats, "the hyperopt parallel coordinates");
  const rows = stats.hyperopt_results.filter((r) => typeof r.metric_score === "number");
  const params = Object.entries(stats.hyperopt_config.parameters);
  const metric = metricTitle(stats);
  const maximize = stats.hyperopt_config.goal === "maximize";
  interface Axis {
    title: string;
    position: (v: unknown) => number; // 0 (bottom) .. 1 (top)
    ticks: { at: number; label: string }[];
    values: unknown[];
  }
  const axisFor = (title: string, values: unknown[], log: boolean, forceNumeric: boolean): Axis => {
    const numeric = forceNumeric || values.every((v) => typeof v === "number");
    if (numeric) {
      const nums = values as number[];
      const tf = (v: number) => (log && v > 0 ? Math.log10(v) : v);
      const lo = Math.min(...nums.map(tf));
      const hi = Math.max(...nums.map(tf));
      const span = hi - lo || 1;
      const position = (v: unknown) => (hi === lo ? 0.5 : (tf(v as number) - lo) / span);
      const distinct = [...new Set(nums)].sort((a, b) => a - b);
      // Few integer values (layers, units …): a tick at each; otherwise five even ticks.
      const ticks = distinct.length <= 10 && distinct.every(Number.isInteger)
        ? distinct.map((v) => ({ at: position(v), label: String(v) }))
        : Array.from({ length: 5 }, (_, k) => {
          const t = lo + (span * k) / 4;
          return { at: hi === lo ? 0.5 : k / 4, label: fmt(log ? 10 ** t : t) };
        });
      return { title, position, ticks: hi === lo ? [ticks[0]] : ticks, values };
    }
    const cats = [...new Set(values.map((v) => JSON.stringify(v)))].sort();
    const position = (v: unknown) =>
      cats.length === 1 ? 0.5 : cats.indexOf(JSON.stringify(v)) / (cats.length - 1);
    return {
      title,
      position,
      ticks: cats.map((c, k) => ({
        at: cats.length === 1 ? 0.5 : k / (cats.length - 1),
        label: typeof JSON.parse(c) === "string" ? JSON.parse(c) : c,
      })),
      values,
    };
  };
  const axes: Axis[] = params.map(([path, s]) =>
    axisFor(
      path,
      rows.map((r) => r.parameters[path]),
      isLogSpace(s.space),
      false,
    )
  );
  const scores = rows.map((r) => r.metric_score as number);
  axes.push(axisFor(metric, scores, false, true));
  const width = Math.max(640, 190 * axes.length);
  const height = 440;
  const top = 70;
  const bottom = 40;
  const left = 80;
  const right = 140;
  const xOf = (k: number) =>
    axes.length === 1 ? width / 2 : left + ((width - left - right) * k) / (axes.length - 1);
  const yOf = (p: number) => top + (height - top - bottom) * (1 - p);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const goodness = (
    s: number,
  ) => (hi === lo ? 1 : maximize ? (s - lo) / (hi - lo) : (hi - s) / (hi - lo));
  // Worst first, so the best lines are drawn on top.
  const order = rows.map((_, i) => i).sort((a, b) => goodness(scores[a]) - goodness(scores[b]));
  const lines = order.map((i) => {
    const r = rows[i];
    const pts = axes.map((axis, k) =>
      `${xOf(k).toFixed(1)},${yOf(axis.position(axis.values[i])).toFixed(1)}`
    ).join(" ");
    const label = `${r.trial_id ?? `#${i}`}: ${metric} ${fmt(scores[i])}`;
    return `<polyline class="trial" data-row="${i}" points="${pts}" stroke="${
      viridis(goodness(scores[i]))
    }"><title>${escapeHtml(label)}</title></polyline>`;
  }).join("\n");
  const axisSvg = axes.map((axis, k) => {
    const x = xOf(k).toFixed(1);
    const ticks = axis.ticks.map((t) =>
      `<line x1="${x}" x2="${(xOf(k) - 5).toFixed(1)}" y1="${yOf(t.at).toFixed(1)}" y2="${
        yOf(t.at).toFixed(1)
      }" stroke="#444"/><text x="${(xOf(k) - 8).toFixed(1)}" y="${
        (yOf(t.at) + 4).toFixed(1)
      }" text-anchor="end" class="tick">${escapeHtml(t.label)}</text>`
    ).join("");
    // Long titles alternate between two rows so that neighbours do not overlap.
    return `<g><line x1="${x}" x2="${x}" y1="${top}" y2="${
      height - bottom
    }" stroke="#444"/>${ticks}<text x="${x}" y="${
      k % 2 === 0 ? top - 14 : top - 34
    }" text-anchor="middle" class="axis-title">${escapeHtml(axis.title)}</text></g>`;
  }).join("\n");
  const columns = ["trial", ...params.map(([p]) => p), metric, "status", "epochs"];
  const tableRows = rows.map((r, i) =>
    `<tr data-row="${i}"><td>${escapeHtml(r.trial_id ?? `#${i}`)}</td>${
      params.map(([p]) => {
        const v = axisValue(r.parameters[p]);
        return `<td>${escapeHtml(typeof v === "number" ? fmt(v) : v)}</td>`;
      }).join("")
    }<td>${fmt(scores[i])}</td><td>${escapeHtml(r.status ?? "")}</td><td>${
      r.epochs ?? ""
    }</td></tr>`
  ).join("\n");
  const failed = (stats.failed_trials ?? []).map((f) =>
    `<li><b>${escapeHtml(f.trial_id ?? "")}</b>: ${escapeHtml((f.error ?? "").split("\n")[0])}</li>`
  ).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hyperopt: ${escapeHtml(metric)}</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; }
svg .trial { fill: none; stroke-width: 2; opacity: 0.8; }
svg .trial.dim { opacity: 0.12; }
svg .trial.hot { stroke-width: 4; opacity: 1; }
svg .tick { font-size: 11px; fill: #333; }
svg .axis-title { font-size: 13px; font-weight: bold; fill: #222; }
table { border-collapse: collapse; margin-top: 16px; font-size: 13px; }
td, th { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: right; }
tr.hot td { background: #fff3c4; }
</style>
</head>
<body>
<h2>Hyperopt: ${rows.length} trials, ${escapeHtml(metric)} (${
    maximize ? "maximize" : "minimize"
  })</h2>
<p>Each line is a trial, coloured from worst (purple) to best (yellow). Hover a line or a row to highlight it.</p>
<svg id="pc" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${lines}
${axisSvg}
</svg>
<table id="trials"><thead><tr>${
    columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")
  }</tr></thead>
<tbody>
${tableRows}
</tbody></table>
${failed ? `<h3>Failed trials</h3><ul>${failed}</ul>` : ""}
<script>
(() => {
  const lines = [...document.querySelectorAll("#pc .trial")];
  const rows = [...document.querySelectorAll("#trials tbody tr")];
  const set = (row) => {
    for (const l of lines) {
      l.classList.toggle("hot", row !== null && l.dataset.row === row);
      l.classList.toggle("dim", row !== null && l.dataset.row !== row);
    }
    for (const r of rows) r.classList.toggle("hot", r.dataset.row === row);
  };
  for (const el of [...lines, ...rows]) {
    el.addEventListener("mouseenter", () => set(el.dataset.row));
    el.addEventListener("mouseleave", () => set(null));
  }
})();
</script>
</body>
</html>
`;
}

/** A trial as the notebook table shows it (a `TrialRecord` is one). */
export interface TrialLike {
  /** The trial's id. */
  trial_id?: string;
  /** Its status (running, completed, failed ...). */
  status?: string;
  /** Its score on the search metric, or null while it has none. */
  metric_score: number | null;
  /** Epochs trained. */
  epochs?: number;
  /** Seconds it ran. */
  duration_s?: number;
  /** The sampled parameters (config path to value). */
  parameters: Record<string, unknown>;
  /** Why it failed. */
  error?: string;
  /** The metric after each epoch so far. */
  epoch_values?: number[];
}

function cell(v: unknown): Cell {
  if (v === null || v === undefined) return "";
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}

/**
 * The trials as a table (trial, status, metric, epochs, seconds, then each parameter).
 *
 * @param trials Trial records (`hyperopt_results`, or every trial of a running search).
 * @param options The metric's name for the column, and a caption.
 * @returns The table.
 */
export function hyperoptTable(
  trials: readonly TrialLike[],
  options: { metric?: string; caption?: string } = {},
): DisplayTable {
  const metric = options.metric ?? "metric_score";
  const params = [...new Set(trials.flatMap((t) => Object.keys(t.parameters)))];
  const rows = trials.map((t) => {
    const last = t.epoch_values?.at(-1);
    const row: Record<string, Cell> = {
      trial: t.trial_id ?? "",
      status: t.status ?? "",
      [metric]: t.metric_score ?? (t.status === "running" && last !== undefined ? last : null),
      epochs: t.epochs ?? null,
      seconds: t.duration_s ?? null,
    };
    for (const p of params) row[p] = cell(t.parameters[p]);
    if (t.error) row.error = t.error.split("\n")[0];
    return row;
  });
  return htmlTable(rows, { caption: options.caption, maxRows: 200 });
}

/** What {@linkcode withHyperoptDisplay} needs of a result. */
export interface HyperoptResultLike {
  /** The search's metric and goal. */
  hyperopt_config: { metric?: string; goal?: string };
  /** Scored trials, best first. */
  hyperopt_results: readonly TrialLike[];
  /** Trials that failed. */
  failed_trials?: readonly TrialLike[];
}

/**
 * Give a `hyperopt()` result a rich display: the trials, best first, then the failed ones.
 *
 * @param result The result.
 * @returns The same object.
 */
export function withHyperoptDisplay<T extends HyperoptResultLike>(result: T): T {
  Object.defineProperty(result, JUPYTER_DISPLAY, {
    value: () => {
      const trials = [...result.hyperopt_results, ...(result.failed_trials ?? [])];
      return hyperoptTable(trials, {
        metric: result.hyperopt_config.metric,
        caption: `Hyperopt: ${result.hyperopt_results.length} scored trial(s), ${
          result.failed_trials?.length ?? 0
        } failed (${result.hyperopt_config.goal ?? "minimize"} ${
          result.hyperopt_config.metric ?? "metric"
        })`,
      })[JUPYTER_DISPLAY]();
    },
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return result;
}

/**
 * A live table of a running search for notebooks: published on the first update and replaced
 * in place (Jupyter's `update_display_data`) at most every `minIntervalMs`, and once more at
 * the end. Outside the Deno kernel publishing does nothing.
 *
 * @param options Redraw interval (default 500 ms), publisher.
 * @returns The search callback and the final redraw.
 */
export function liveHyperoptTable(options: {
  minIntervalMs?: number;
  /** Where bundles go (default: the Deno kernel's IOPub channel; for tests). */
  publish?: (
    bundle: Record<string, unknown>,
    options: { displayId: string; update: boolean },
  ) => Promise<unknown>;
} = {}): {
  callback: { onUpdate(trials: readonly TrialLike[]): void };
  finish(result: HyperoptResultLike): void;
  done(): Promise<unknown>;
} {
  const id = `sonata-hyperopt-${crypto.randomUUID().slice(0, 8)}`;
  const minInterval = options.minIntervalMs ?? 500;
  let shown = false;
  let last = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const draw = (table: DisplayTable) => {
    const update = shown;
    shown = true;
    const bundle = table[JUPYTER_DISPLAY]();
    const send = options.publish ?? publish;
    queue = queue.then(() => send(bundle, { displayId: id, update })).catch(() => undefined);
  };
  return {
    callback: {
      onUpdate(trials) {
        const now = performance.now();
        if (shown && now - last < minInterval) return;
        last = now;
        const running = trials.filter((t) => t.status === "running").length;
        draw(hyperoptTable(trials, {
          caption: `Hyperopt running: ${trials.length - running} finished, ${running} running`,
        }));
      },
    },
    finish(result) {
      const trials = [...result.hyperopt_results, ...(result.failed_trials ?? [])];
      draw(hyperoptTable(trials, {
        metric: result.hyperopt_config.metric,
        caption: `Hyperopt finished: ${result.hyperopt_results.length} scored, ${
          result.failed_trials?.length ?? 0
        } failed`,
      }));
    },
    done: () => queue,
  };
}

/**
 * The hyperopt visualizations under Ludwig's names (`sonata visualize --visualization NAME
 * --hyperopt_stats_path hyperopt_statistics.json`); kept apart from `VISUALIZATIONS`, whose
 * charts all read experiment outputs.
 */
export const HYPEROPT_VISUALIZATIONS: {
  /** Ludwig's `hyperopt_report`: one chart per parameter, plus the pairwise charts. */
  readonly hyperopt_report: typeof hyperoptReport;
  /** Ludwig's `hyperopt_hiplot`: an offline HTML parallel-coordinates page. */
  readonly hyperopt_hiplot: typeof hyperoptHiplot;
} = Object.freeze({ hyperopt_report: hyperoptReport, hyperopt_hiplot: hyperoptHiplot });

/** The hyperopt visualization names. */
export const HYPEROPT_VISUALIZATION_NAMES: readonly string[] = Object.freeze(
  Object.keys(HYPEROPT_VISUALIZATIONS).sort(),
);
