/**
 * The learning rate of each training step, with Ludwig 0.8.6's `learning_rate_scheduler`
 * semantics (`ludwig/modules/lr_scheduler.py` on PyTorch's schedulers), and Ludwig's
 * `learning_rate: auto` heuristic.
 *
 * `learningRate(step)` is the rate of the optimizer update at 0-based `step` (the number of
 * updates already made; Ludwig steps its scheduler after every batch):
 *
 * - warmup: `W = max(warmup_fraction × totalSteps, warmup_evaluations × stepsPerCheckpoint)`;
 *   for `step < W` the rate is `base × step / max(1, W)` (so the first update has rate 0).
 * - then the decay runs on `s = step − ceil(W)`: none (`base`), `linear`
 *   (`base × max(0, (N − W − s) / max(1, N − W))`, reaching 0 at the last step), `exponential`
 *   (`base × rate^(1 + s / decay_steps)`, the exponent rounded up when `staircase`), `cosine`
 *   (PyTorch `CosineAnnealingWarmRestarts`: `eta_min + (base − eta_min)(1 + cos(π T_cur / T_i)) / 2`,
 *   periods `t_0` (default: steps per checkpoint), `t_0 × t_mult`, …).
 * - reduce on plateau: {@linkcode LearningRateSchedule.onEvaluation} counts evaluations without
 *   improvement (PyTorch `ReduceLROnPlateau`, relative threshold 1e-4); after more than
 *   `reduce_on_plateau_patience` of them the rate is multiplied by `reduce_on_plateau_rate`, at
 *   most `reduce_on_plateau` times; every later step gets `scheduled × rate^reductions`
 *   (unless that lowers it by 1e-8 or less). As in Ludwig, the one step right after a
 *   reduction gets the factor applied on top of the previous reductions
 *   (`rate^(2n − 1)` for the n-th reduction).
 *
 * @example Linear warmup then linear decay
 * ```ts
 * import { createSchedule } from "./schedule.ts";
 * import assert from "node:assert/strict";
 *
 * const schedule = createSchedule(
 *   { decay: "linear", warmup_fraction: 0.2 },
 *   { baseLearningRate: 1, totalSteps: 10, stepsPerCheckpoint: 5 },
 * );
 * assert.deepEqual(
 *   Array.from({ length: 10 }, (_, s) => schedule.learningRate(s)),
 *   [0, 0.5, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125],
 * );
 * ```
 *
 * @module
 */
import type { z } from "npm:zod@4.6.7";
import { encoderEntry, featureEntry } from "../config/components.ts";
import type { ModelConfig } from "../config/model.ts";
import type { MetricGoal } from "../config/registry.ts";
import type { LearningRateSchedulerSchema } from "../config/trainer.ts";
import { metricGoal } from "./metrics.ts";

/** The resolved `learning_rate_scheduler` block. */
export type LearningRateSchedulerConfig = z.output<typeof LearningRateSchedulerSchema>;

/** The training run a schedule is made for. */
export interface ScheduleContext {
  /** The learning rate before warmup, decay and reductions. */
  baseLearningRate: number;
  /** Optimizer steps of the whole run. */
  totalSteps: number;
  /** Steps between evaluations (cosine's default period, warmup_evaluations' unit). */
  stepsPerCheckpoint: number;
  /** Steps per epoch (informational; Ludwig's schedules do not use it). */
  stepsPerEpoch?: number;
  /** Whether the plateau metric is better larger or smaller (default: its registry goal). */
  goal?: MetricGoal;
}

/** What a schedule must remember across a checkpoint. */
export interface ScheduleState {
  /** Reductions made on plateaus. */
  numReductions: number;
  /** Best plateau metric so far. */
  best: number;
  /** Evaluations since the best one. */
  numBadEvaluations: number;
  /** The step that gets Ludwig's extra reduction, or -1. */
  extraReductionStep: number;
}

/** A learning rate schedule. */
export interface LearningRateSchedule {
  /** The number of warmup steps (may be fractional). */
  readonly warmupSteps: number;
  /** Reductions made on plateaus so far. */
  readonly numReductions: number;
  /** The learning rate of the update at 0-based `step`. */
  learningRate(step: number): number;
  /**
   * Reports the plateau metric of an evaluation made after `stepsDone` updates (default: one
   * past the last step asked for); returns whether the rate was reduced.
   */
  onEvaluation(metricValue: number, stepsDone?: number): boolean;
  /** The plateau state, for checkpoints. */
  getState(): ScheduleState;
  /** Restores a plateau state. */
  setState(state: ScheduleState): void;
}

/** A decay: the learning rate at decay step `s`, given the base rate. */
type Decay = (s: number, base: number) => number;

/** The decays of Ludwig's `decay_registry`. */
const DECAYS: Readonly<
  Record<string, (c: LearningRateSchedulerConfig, n: number, w: number, spc: number) => Decay>
> = {
  none: () => (_s, base) => base,
  linear: (_c, n, w) => (s, base) => base * Math.max(0, (n - w - s) / Math.max(1, n - w)),
  exponential: (c) => (s, base) => {
    let exponent = 1 + s / c.decay_steps;
    if (c.staircase) exponent = Math.ceil(exponent);
    return base * c.decay_rate ** exponent;
  },
  cosine: (c, _n, _w, spc) => {
    const t0 = c.t_0 || spc || 1;
    const mult = c.t_mult || 1;
    const etaMin = c.eta_min || 0;
    return (s, base) => {
      let tCur = s;
      let tI = t0;
      if (mult === 1) tCur = s % t0;
      else {
        while (tCur >= tI) {
          tCur -= tI;
          tI *= mult;
        }
      }
      return etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
    };
  },
};

/** PyTorch ReduceLROnPlateau's default relative threshold and eps. */
const THRESHOLD = 1e-4;
const EPS = 1e-8;

/**
 * Makes the schedule of a resolved `learning_rate_scheduler` block.
 *
 * @param config the resolved block (missing keys take the schema defaults)
 * @param context the run: base rate, total steps, steps per checkpoint
 * @returns the schedule
 *
 * @example Reduce on plateau
 * ```ts
 * import { createSchedule } from "./schedule.ts";
 * import assert from "node:assert/strict";
 *
 * const s = createSchedule(
 *   { reduce_on_plateau: 1, reduce_on_plateau_patience: 0, reduce_on_plateau_rate: 0.5 },
 *   { baseLearningRate: 1, totalSteps: 100, stepsPerCheckpoint: 10 },
 * );
 * s.onEvaluation(1.0, 10); // first value: an improvement
 * assert.equal(s.onEvaluation(1.0, 20), true); // no improvement, patience 0
 * assert.equal(s.learningRate(20), 0.5);
 * ```
 */
export function createSchedule(
  config: Partial<LearningRateSchedulerConfig>,
  context: ScheduleContext,
): LearningRateSchedule {
  const c: LearningRateSchedulerConfig = {
    decay: null,
    decay_rate: 0.96,
    decay_steps: 10000,
    staircase: false,
    reduce_on_plateau: 0,
    reduce_on_plateau_patience: 10,
    reduce_on_plateau_rate: 0.1,
    reduce_eval_metric: "loss",
    reduce_eval_split: "training",
    warmup_evaluations: 0,
    warmup_fraction: 0,
    t_0: null,
    t_mult: 1,
    eta_min: 0,
    ...config,
  };
  const base = context.baseLearningRate;
  const n = context.totalSteps;
  const spc = context.stepsPerCheckpoint;
  let w = 0;
  if (c.warmup_fraction > 0) w = Math.max(c.warmup_fraction * n, w);
  if (c.warmup_evaluations > 0) w = Math.max(c.warmup_evaluations * spc, w);
  const makeDecay = DECAYS[c.decay ?? "none"];
  if (!makeDecay) {
    throw new TypeError(
      `Cannot create learning rate schedule: expected decay null, "linear", "exponential" or "cosine", received "${c.decay}"`,
    );
  }
  const decay = makeDecay(c, n, w, spc);
  const decayStart = Math.ceil(w);
  const maximize = (context.goal ?? metricGoal(c.reduce_eval_metric)) === "maximize";

  const state: ScheduleState = {
    numReductions: 0,
    best: maximize ? -Infinity : Infinity,
    numBadEvaluations: 0,
    extraReductionStep: -1,
  };
  let lastAsked = -1;

  const scheduled = (step: number): number =>
    w > 0 && step < w
      ? (base * step) / Math.max(1, w)
      : decay(step - (w > 0 ? decayStart : 0), base);

  /** ReduceLROnPlateauCappedDecreases.apply_lr with k reductions. */
  const reduce = (lr: number, k: number): number => {
    if (k === 0) return lr;
    const next = Math.max(lr * c.reduce_on_plateau_rate ** k, 0);
    return lr - next > EPS ? next : lr;
  };

  const isBetter = (a: number, best: number): boolean =>
    maximize ? a > best * (1 + THRESHOLD) : a < best * (1 - THRESHOLD);

  return {
    warmupSteps: w,
    get numReductions() {
      return state.numReductions;
    },
    learningRate(step) {
      lastAsked = step;
      const k = state.numReductions;
      if (k > 0 && step === state.extraReductionStep) {
        return reduce(reduce(scheduled(step), k - 1), k);
      }
      return reduce(scheduled(step), k);
    },
    onEvaluation(metricValue, stepsDone = lastAsked + 1) {
      if (c.reduce_on_plateau <= 0 || state.numReductions >= c.reduce_on_plateau) return false;
      if (isBetter(metricValue, state.best)) {
        state.best = metricValue;
        state.numBadEvaluations = 0;
      } else {
        state.numBadEvaluations += 1;
      }
      if (state.numBadEvaluations > c.reduce_on_plateau_patience) {
        state.numReductions += 1;
        state.numBadEvaluations = 0;
        state.extraReductionStep = stepsDone;
        return true;
      }
      return false;
    },
    getState() {
      return { ...state };
    },
    setState(saved) {
      Object.assign(state, saved);
    },
  };
}

/** The input features of a config, as `learning_rate: auto` reads them. */
export type AutoLearningRateConfig = Pick<ModelConfig, "input_features">;

/**
 * Ludwig's `learning_rate: auto` (`utils/heuristics.py`): 1e-3 without unstructured inputs
 * (feature types the registry marks `sequential`: text, sequence; Ludwig also counts image
 * and timeseries, which Sonata lacks), else 1e-4 without a pretrained encoder (the encoder
 * entry's `capabilities.pretrained`), else 1e-5 when any encoder has `trainable: true`,
 * else 2e-5.
 *
 * @param config a resolved config (its input features)
 * @returns the learning rate
 *
 * @example Tabular inputs
 * ```ts
 * import { autoLearningRate } from "./schedule.ts";
 * import assert from "node:assert/strict";
 *
 * const input_features = [
 *   { name: "x", type: "number", encoder: { type: "passthrough" } },
 * ] as unknown as Parameters<typeof autoLearningRate>[0]["input_features"];
 * assert.equal(autoLearningRate({ input_features }), 0.001);
 * ```
 */
export function autoLearningRate(config: AutoLearningRateConfig): number {
  const inputs = config.input_features;
  if (!inputs.some((f) => featureEntry(f.type)?.sequential === true)) return 1e-3;
  const pretrained = inputs.some((f) =>
    f.encoder?.type !== undefined &&
    encoderEntry(f.type, f.encoder.type)?.capabilities.pretrained === true
  );
  if (!pretrained) return 1e-4;
  if (inputs.some((f) => f.encoder?.trainable === true)) return 1e-5;
  return 2e-5;
}
