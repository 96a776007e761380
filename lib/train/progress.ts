/**
 * A terminal progress bar for training: one line redrawn in place on a terminal, as wide as the
 * terminal (step, epoch, loss, elapsed, ETA, rate), and Ludwig's metrics table after each
 * evaluation. Writes to stderr.
 *
 * @module
 */
import type { StepInfo, TrainCallbacks, TrainingStatistics } from "./trainer.ts";

const encoder = new TextEncoder();

function seconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Ludwig's logging levels, most to least verbose. */
export const LOGGING_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
/** One of {@linkcode LOGGING_LEVELS}. */
export type LoggingLevel = typeof LOGGING_LEVELS[number];

let loggingLevel: LoggingLevel = "info";

/**
 * Set how much the terminal progress prints (`--logging_level`): `debug` and `info` print the
 * bar, the per-epoch tables and the summary; `warning` and above print nothing.
 */
export function setLoggingLevel(level: LoggingLevel): void {
  loggingLevel = level;
}

/** The current logging level. */
export function getLoggingLevel(): LoggingLevel {
  return loggingLevel;
}

/** `n` per second as tqdm writes it: `12.3it/s`, or `4.56s/it` when slower than one a second. */
export function rate(count: number, seconds: number): string {
  if (!(seconds > 0) || count <= 0) return "?it/s";
  const perSecond = count / seconds;
  return perSecond >= 1
    ? `${perSecond.toFixed(perSecond >= 100 ? 0 : 2)}it/s`
    : `${(1 / perSecond).toFixed(2)}s/it`;
}

/**
 * One progress line that fits `columns`: `epoch 2/10 |████░░░░| 40/100 [00:12<00:18, 3.33it/s]
 * loss 0.1234`; the bar takes the room the text leaves (at least 10 cells; without room, no bar).
 */
export function progressLine(i: StepInfo, columns: number): string {
  const eta = i.step > 0 ? (i.elapsedSeconds / i.step) * (i.totalSteps - i.step) : NaN;
  const head = `epoch ${Math.min(i.epoch + 1, i.epochs)}/${i.epochs} `;
  const tail = ` ${i.step}/${i.totalSteps} [${seconds(i.elapsedSeconds)}<${seconds(eta)}, ${
    rate(i.step, i.elapsedSeconds)
  }] loss ${Number.isFinite(i.loss) ? i.loss.toFixed(4) : "?"}`;
  const room = columns - 1 - head.length - tail.length - 2;
  if (room < 10) return `${head.trimEnd()}${tail}`.slice(0, Math.max(20, columns - 1));
  const width = Math.min(room, 60);
  const frac = i.totalSteps > 0 ? Math.min(1, i.step / i.totalSteps) : 0;
  const filled = Math.round(frac * width);
  return `${head}|${"█".repeat(filled)}${"░".repeat(width - filled)}|${tail}`;
}

function lastOf(values: number[] | undefined): number | undefined {
  return values?.[values.length - 1];
}

/**
 * Ludwig's per-evaluation table: for each output feature (and `combined`), one row per metric
 * with its last train, validation and test values.
 */
export function metricsTable(stats: TrainingStatistics): string {
  const splits = (["training", "validation", "test"] as const).filter((s) =>
    Object.keys(stats[s] ?? {}).length > 0
  );
  const header = ["", ...splits.map((s) => (s === "training" ? "train" : s))];
  const features = [
    ...new Set(splits.flatMap((s) => Object.keys(stats[s]))),
  ].sort((a, b) => (a === "combined" ? 1 : b === "combined" ? -1 : 0));
  const blocks: string[] = [];
  for (const feature of features) {
    const metrics = [
      ...new Set(splits.flatMap((s) => Object.keys(stats[s][feature] ?? {}))),
    ];
    const rows = metrics.map((m) => [
      m,
      ...splits.map((s) => {
        const v = lastOf(stats[s][feature]?.[m]);
        return v === undefined ? "" : v.toFixed(4);
      }),
    ]).filter((r) => r.slice(1).some((c) => c !== ""));
    if (!rows.length) continue;
    const table = [[feature, ...header.slice(1)], ...rows];
    const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
    const line = (r: string[]) =>
      `│ ${r.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join(" │ ")} │`;
    const rule = (l: string, m: string, r: string) =>
      `${l}${widths.map((w) => "═".repeat(w + 2)).join(m)}${r}`;
    blocks.push(
      [
        rule("╒", "╤", "╕"),
        line(table[0]),
        rule("╞", "╪", "╡"),
        ...rows.map(line),
        rule("╘", "╧", "╛"),
      ]
        .join("\n"),
    );
  }
  return blocks.join("\n");
}

/** The terminal's width when stderr is one, else `fallback`. */
function terminalColumns(fallback = 100): number {
  try {
    return Deno.stderr.isTerminal() ? Deno.consoleSize().columns : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Callbacks that draw progress on stderr: on a terminal one line redrawn in place, as wide as the
 * terminal, with elapsed time, ETA and rate (tqdm's `it/s`); after each evaluation Ludwig's table
 * of train/validation/test metrics and how many epochs ago the validation metric last improved.
 */
export function terminalProgress(
  options: {
    validationField?: string;
    validationMetric?: string;
    /** Where lines go (default stderr). */
    write?: (text: string) => void;
    /** Redraw in place (default: stderr is a terminal). */
    tty?: boolean;
    /** Line width (default: the terminal's). */
    columns?: () => number;
    /** Print whatever `--logging_level` says (a log file's copy). */
    ignoreLoggingLevel?: boolean;
  } = {},
): TrainCallbacks {
  const tty = options.tty ?? Deno.stderr.isTerminal();
  const write = options.write ?? ((s: string) => Deno.stderr.writeSync(encoder.encode(s)));
  const columns = options.columns ?? (() => terminalColumns());
  const quiet = () =>
    !options.ignoreLoggingLevel && loggingLevel !== "debug" && loggingLevel !== "info";
  let lastDraw = 0;
  let lastImprovedEpoch: number | undefined;
  return {
    onTrainStart(info) {
      if (quiet()) return;
      write(
        `Training: ${info.totalSteps} steps, ${info.stepsPerEpoch} per epoch, batch size ${info.batchSize}, learning rate ${info.learningRate}\n`,
      );
      if (info.batchSizeReason) write(`${info.batchSizeReason}\n`);
    },
    onStep(info) {
      if (!tty || quiet()) return;
      const now = performance.now();
      if (now - lastDraw < 100 && info.step !== info.totalSteps) return;
      lastDraw = now;
      write(`\r\x1b[2K${progressLine(info, columns())}`);
    },
    onCheckpoint(info) {
      if (quiet()) return;
      const stats: TrainingStatistics = info.statistics;
      const field = options.validationField;
      const metric = options.validationMetric;
      if (info.improved) lastImprovedEpoch = info.epoch;
      const lines = [
        `${tty ? "\r\x1b[2K" : ""}epoch ${info.epoch} step ${info.step} [${
          seconds(info.elapsedSeconds)
        }, ${rate(info.step, info.elapsedSeconds)}]`,
        metricsTable(stats),
      ];
      if (field && metric) {
        const split = Object.keys(stats.validation).length ? "validation" : "training";
        const m = lastOf(stats[split][field]?.[metric]);
        if (m !== undefined) {
          const ago = lastImprovedEpoch === undefined ? undefined : info.epoch - lastImprovedEpoch;
          lines.push(
            info.improved
              ? `${split} ${metric} on ${field} improved to ${m.toFixed(4)}`
              : `Last improvement of ${split} ${metric} on ${field} happened ${ago ?? "?"} epoch${
                ago === 1 ? "" : "s"
              } ago`,
          );
        }
      }
      write(`${lines.filter((l) => l !== "").join("\n")}\n`);
    },
    onTrainEnd(result) {
      if (quiet()) return;
      write(
        `${tty ? "\r\x1b[2K" : ""}Finished after ${result.steps} steps${
          result.stoppedEarly ? " (early stop)" : ""
        }; best at step ${result.bestStep}\n`,
      );
    },
  };
}

/** Run several callback sets as one. */
export function combineCallbacks(...sets: (TrainCallbacks | undefined)[]): TrainCallbacks {
  const all = sets.filter((s): s is TrainCallbacks => s !== undefined);
  return {
    onTrainStart: (i) => all.forEach((s) => s.onTrainStart?.(i)),
    onStep: (i) => all.forEach((s) => s.onStep?.(i)),
    onCheckpoint: async (i) => {
      for (const s of all) await s.onCheckpoint?.(i);
    },
    onTrainEnd: (r) => all.forEach((s) => s.onTrainEnd?.(r)),
  };
}
