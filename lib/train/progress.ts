/**
 * A terminal progress bar for training: one line redrawn in place on a terminal (step, epoch,
 * loss, ETA), one line per checkpoint otherwise. Writes to stderr.
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

function last(
  stats: Record<string, Record<string, number[]>>,
  feature: string,
  metric: string,
): number | undefined {
  const values = stats[feature]?.[metric];
  return values?.[values.length - 1];
}

/** Callbacks that draw progress on stderr. */
export function terminalProgress(
  options: { validationField?: string; validationMetric?: string } = {},
): TrainCallbacks {
  const tty = Deno.stderr.isTerminal();
  const write = (s: string) => Deno.stderr.writeSync(encoder.encode(s));
  let lastDraw = 0;
  const line = (i: StepInfo) => {
    const frac = i.step / i.totalSteps;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const eta = i.step > 0 ? (i.elapsedSeconds / i.step) * (i.totalSteps - i.step) : NaN;
    return `epoch ${
      Math.min(i.epoch + 1, i.epochs)
    }/${i.epochs} ${bar} step ${i.step}/${i.totalSteps} loss ${i.loss.toFixed(4)} ETA ${
      seconds(eta)
    }`;
  };
  return {
    onTrainStart(info) {
      write(
        `Training: ${info.totalSteps} steps, ${info.stepsPerEpoch} per epoch, batch size ${info.batchSize}, learning rate ${info.learningRate}\n`,
      );
    },
    onStep(info) {
      if (!tty) return;
      const now = performance.now();
      if (now - lastDraw < 100 && info.step !== info.totalSteps) return;
      lastDraw = now;
      write(`\r\x1b[2K${line(info)}`);
    },
    onCheckpoint(info) {
      const stats: TrainingStatistics = info.statistics;
      const field = options.validationField;
      const metric = options.validationMetric;
      const parts = [`train loss ${last(stats.training, "combined", "loss")?.toFixed(4) ?? "?"}`];
      const v = last(stats.validation, "combined", "loss");
      if (v !== undefined) parts.push(`validation loss ${v.toFixed(4)}`);
      if (field && metric) {
        const split = Object.keys(stats.validation).length ? stats.validation : stats.training;
        const m = last(split, field, metric);
        if (m !== undefined) {
          parts.push(`${field}.${metric} ${m.toFixed(4)}${info.improved ? " (best)" : ""}`);
        }
      }
      write(
        `${tty ? "\r\x1b[2K" : ""}epoch ${info.epoch} step ${info.step}: ${parts.join(", ")}\n`,
      );
    },
    onTrainEnd(result) {
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
