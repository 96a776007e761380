/**
 * The training loop's callback contract (Keras' `Callback`): every policy of the loop — best
 * weights, early stopping, learning-rate reduction and batch-size growth on plateaus, progress,
 * checkpoint saving — is a {@linkcode TrainingCallback}, and so is a user's (a hyperopt
 * scheduler prunes a trial by stopping it from `onEpochEnd`).
 *
 * Callbacks run in list order at each event. The loop evaluates at every checkpoint (several
 * per epoch with `checkpoints_per_epoch` / `steps_per_checkpoint`); `onCheckpoint` follows each
 * evaluation and `onEpochEnd` follows the checkpoint that closes an epoch. A callback stops
 * training by setting `ctx.stopTraining = true` (with `ctx.stopReason`) or by returning
 * `"stop"`; the loop finishes the current event, then ends as after an early stop, keeping the
 * best weights.
 *
 * @module
 */
import type { tf } from "../compute/mod.ts";
import type { EcdModel } from "../model/ecd.ts";
import type { LearningRateSchedule, ScheduleState } from "./schedule.ts";

/** Per split, per feature (and `combined`), per metric: one value per checkpoint. */
export type TrainingStatistics = Record<
  "training" | "validation" | "test",
  Record<string, Record<string, number[]>>
>;

/** Metrics of one evaluation: per feature (and `combined`), per metric. */
export type SplitMetrics = Record<string, Record<string, number>>;

/** A resumable snapshot of training. */
export interface TrainerState {
  /** Optimizer steps done. */
  step: number;
  /** Epochs done. */
  epoch: number;
  /** Batches done in the current epoch. */
  batchInEpoch: number;
  /** The current batch size (grows on plateaus with `increase_batch_size_on_plateau`). */
  batchSize: number;
  /** The best value of the validation metric so far (null before any evaluation). */
  bestMetric: number | null;
  /** The selection split's combined loss at the best step (breaks ties of `bestMetric`). */
  bestLoss?: number | null;
  /** The step of the best evaluation. */
  bestStep: number;
  /** Evaluations since the best one (early stop counts these). */
  roundsWithoutImprovement: number;
  /** Batch-size increases made so far. */
  batchSizeIncreases: number;
  /** Evaluations since the batch-growth metric last improved. */
  plateauRounds: number;
  /** The batch-growth metric's best value so far. */
  lastIncreaseMetric: number | null;
  /** Steps since the last checkpoint (checkpoints also fall at each epoch's end). */
  stepsSinceCheckpoint: number;
  /** Every evaluation's metrics so far. */
  statistics: TrainingStatistics;
  /** The learning-rate schedule's plateau state. */
  scheduleState?: ScheduleState;
}

/** Progress after a step (also the base of the other logs). */
export interface StepInfo {
  /** Optimizer steps done. */
  readonly step: number;
  /** Steps of the whole run. */
  readonly totalSteps: number;
  /** Epochs done. */
  readonly epoch: number;
  /** Epochs of the whole run. */
  readonly epochs: number;
  /** The last step's total loss. */
  readonly loss: number;
  /** The last step's learning rate. */
  readonly learningRate: number;
  /** The current batch size. */
  readonly batchSize: number;
  /** Seconds since training started (this call). */
  readonly elapsedSeconds: number;
}

/** What `onCheckpoint` and `onEpochEnd` receive: the evaluation just made. */
export interface CheckpointLogs extends StepInfo {
  /** All statistics so far (this evaluation is the last value of each list). */
  readonly statistics: TrainingStatistics;
  /** This evaluation's training metrics (running metrics unless `evaluate_training_set`). */
  readonly training: SplitMetrics;
  /** This evaluation's validation metrics, when there is a validation split. */
  readonly validation?: SplitMetrics;
  /** This evaluation's test metrics, when there is a test split. */
  readonly test?: SplitMetrics;
  /** Whether these weights are the best so far (set by the best-weights policy). */
  improved: boolean;
}

/** What training produced. */
export interface TrainResult {
  /** Every evaluation's metrics. */
  readonly statistics: TrainingStatistics;
  /** The final batch size (after `batch_size: auto` and growth on plateaus). */
  readonly batchSize: number;
  /** The base learning rate (after `learning_rate: auto`). */
  readonly learningRate: number;
  /** Optimizer steps done. */
  readonly steps: number;
  /** Epochs done. */
  readonly epochs: number;
  /** The step whose weights the model holds (the best evaluation). */
  readonly bestStep: number;
  /** The validation metric's best value (null without evaluation). */
  readonly bestMetric: number | null;
  /** Whether training ended before its budget (early stop or a callback's stop). */
  readonly stoppedEarly: boolean;
  /** Why it stopped early ("early_stop", or the reason a callback gave). */
  readonly stopReason?: string;
  /** Whether `stopAfterSteps` interrupted it (a resumable checkpoint remains). */
  readonly interrupted: boolean;
}

/** The loop's state as callbacks see it; policies change it. */
export interface TrainingContext {
  /** The model being trained. */
  readonly model: EcdModel;
  /** The resumable state (step, epoch, best metric, statistics …), updated in place. */
  readonly state: TrainerState;
  /** The optimizer (its weights are checkpointed). */
  readonly optimizer: tf.Optimizer;
  /** The learning-rate schedule. */
  readonly schedule: LearningRateSchedule;
  /** Steps of the whole run. */
  readonly totalSteps: number;
  /** Epochs of the whole run. */
  readonly epochs: number;
  /** The current batch size; a policy may grow it (it applies from the next epoch). */
  batchSize: number;
  /** Set to true to stop training after the current event. */
  stopTraining: boolean;
  /** Why training was stopped (reported in the result). */
  stopReason?: string;
  /** Whether the loop was interrupted by `stopAfterSteps` (set before `onTrainEnd`). */
  readonly interrupted: boolean;
}

/** What a callback method may return: `"stop"` stops training like `ctx.stopTraining`. */
export type CallbackResult = void | "stop" | Promise<void | "stop">;

/** One training callback (every method optional). */
export interface TrainingCallback {
  /** Before the first step (after a resume: before the first resumed step). */
  onTrainBegin?(ctx: TrainingContext): CallbackResult;
  /** Before the first step of an epoch (0-based). */
  onEpochBegin?(ctx: TrainingContext, epoch: number): CallbackResult;
  /** After each optimizer step. */
  onBatchEnd?(ctx: TrainingContext, logs: StepInfo): CallbackResult;
  /** After each evaluation (checkpoint). */
  onCheckpoint?(ctx: TrainingContext, logs: CheckpointLogs): CallbackResult;
  /** After the checkpoint that closes an epoch; `logs.epoch` counts epochs done. */
  onEpochEnd?(ctx: TrainingContext, logs: CheckpointLogs): CallbackResult;
  /** After the last step; the best weights are already restored unless interrupted. */
  onTrainEnd?(ctx: TrainingContext, result: TrainResult): void | Promise<void>;
}

/** Runs one event on every callback in order; returns whether training must stop. */
export async function dispatch(
  callbacks: readonly TrainingCallback[],
  ctx: TrainingContext,
  call: (c: TrainingCallback) => CallbackResult,
): Promise<boolean> {
  for (const c of callbacks) {
    if ((await call(c)) === "stop") ctx.stopTraining = true;
  }
  return ctx.stopTraining;
}

/** Progress callbacks in the older shape (what `terminalProgress` and notebooks return). */
export interface TrainCallbacks {
  /** Before the first step. */
  onTrainStart?(
    info: {
      totalSteps: number;
      stepsPerEpoch: number;
      batchSize: number;
      learningRate: number;
      /** How `batch_size: auto` picked the batch size, when it did. */
      batchSizeReason?: string;
    },
  ): void;
  /** After each step. */
  onStep?(info: StepInfo): void;
  /** After each evaluation; `improved` says these weights are the best so far. */
  onCheckpoint?(
    info: StepInfo & { statistics: TrainingStatistics; improved: boolean },
  ): void | Promise<void>;
  /** After the last step. */
  onTrainEnd?(result: TrainResult): void;
}

/** A {@linkcode TrainingCallback} that drives progress callbacks of the older shape. */
export function progressCallback(
  progress: TrainCallbacks,
  stepsPerEpoch: () => number,
  learningRate: number,
  batchSizeReason?: string,
): TrainingCallback {
  return {
    onTrainBegin(ctx) {
      progress.onTrainStart?.({
        totalSteps: ctx.totalSteps,
        stepsPerEpoch: stepsPerEpoch(),
        batchSize: ctx.batchSize,
        learningRate,
        ...(batchSizeReason ? { batchSizeReason } : {}),
      });
    },
    onBatchEnd(_ctx, logs) {
      progress.onStep?.(logs);
    },
    async onCheckpoint(_ctx, logs) {
      const { training: _t, validation: _v, test: _s, ...info } = logs;
      await progress.onCheckpoint?.(info);
    },
    onTrainEnd(_ctx, result) {
      progress.onTrainEnd?.(result);
    },
  };
}
