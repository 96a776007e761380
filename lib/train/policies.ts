/**
 * The training loop's built-in policies, each a {@linkcode TrainingCallback}: best-weights
 * selection (with a validation-loss tie-break), early stopping, learning-rate reduction on
 * plateau, batch-size growth on plateau, and checkpoint saving.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import type { ModelConfig } from "../config/model.ts";
import type { CheckpointLogs, SplitMetrics, TrainerState, TrainingCallback } from "./callbacks.ts";
import { metricGoal } from "./metrics.ts";

type Goal = "maximize" | "minimize";

function isBetter(goal: Goal, a: number, b: number | null): boolean {
  return b === null || (goal === "maximize" ? a > b : a < b);
}

/** Options of {@linkcode bestWeightsPolicy}. */
export interface BestWeightsOptions {
  /** The split whose metric selects the model. */
  readonly split: "training" | "validation";
  readonly field: string;
  readonly metric: string;
  readonly goal: Goal;
  /** The best weights saved before an interruption. */
  readonly initial?: readonly tf.Tensor[];
}

/**
 * Keeps the weights of the best evaluation and restores them when training ends (unless it was
 * interrupted). A tie of the selection metric with its best value counts as an improvement when
 * the selection split's combined loss is lower (DESIGN "Best model: ties").
 */
export function bestWeightsPolicy(options: BestWeightsOptions): TrainingCallback {
  let best: tf.Tensor[] | undefined = options.initial?.map((w) => w.clone());
  return {
    onCheckpoint(ctx, logs) {
      const state = ctx.state;
      const source: SplitMetrics | undefined = options.split === "validation"
        ? logs.validation
        : logs.training;
      const selected = source?.[options.field]?.[options.metric];
      // Without evaluation (skip_all_evaluation) nothing is selected: the final weights stay.
      const value = selected !== undefined && Number.isFinite(selected) ? selected : NaN;
      const loss = source?.combined?.loss;
      const lossValue = loss !== undefined && Number.isFinite(loss) ? loss : null;
      let improved = !Number.isNaN(value) && isBetter(options.goal, value, state.bestMetric);
      if (
        !improved && !Number.isNaN(value) && value === state.bestMetric &&
        options.metric !== "loss" && lossValue !== null &&
        (state.bestLoss === undefined || state.bestLoss === null || lossValue < state.bestLoss)
      ) improved = true;
      logs.improved = improved;
      if (improved) {
        state.bestMetric = value;
        state.bestLoss = lossValue;
        state.bestStep = state.step;
        state.roundsWithoutImprovement = 0;
        tf.dispose(best ?? []);
        best = ctx.model.model.getWeights().map((w) => w.clone());
      } else state.roundsWithoutImprovement++;
    },
    onTrainEnd(ctx) {
      if (best && !ctx.interrupted) ctx.model.model.setWeights(best);
      tf.dispose(best ?? []);
      best = undefined;
    },
  };
}

/** Ludwig's early stop: after `patience` evaluations without improvement (≤ 0: never). */
export function earlyStoppingPolicy(patience: number): TrainingCallback {
  return {
    onCheckpoint(ctx) {
      if (patience > 0 && ctx.state.roundsWithoutImprovement >= patience) {
        ctx.stopTraining = true;
        ctx.stopReason ??= "early_stop";
      }
    },
  };
}

function metricOf(
  logs: CheckpointLogs,
  split: string,
  field: string,
  metric: string,
): number | undefined {
  const source = split === "training"
    ? logs.training
    : split === "validation"
    ? logs.validation
    : undefined;
  return source?.[field]?.[metric] ?? source?.combined?.[metric];
}

/** Learning-rate reduction on plateau: feeds the schedule its split's metric at each checkpoint. */
export function reduceLearningRatePolicy(config: ModelConfig): TrainingCallback {
  const t = config.trainer;
  const s = t.learning_rate_scheduler;
  return {
    onCheckpoint(ctx, logs) {
      const value = metricOf(logs, s.reduce_eval_split, t.validation_field!, s.reduce_eval_metric);
      if (value !== undefined) ctx.schedule.onEvaluation(value, ctx.state.step);
      ctx.state.scheduleState = ctx.schedule.getState();
    },
  };
}

/** Ludwig's batch size growth on plateau (applies from the next epoch). */
export function batchGrowthPolicy(config: ModelConfig): TrainingCallback {
  const t = config.trainer;
  const fieldType = config.output_features.find((f) => f.name === t.validation_field)?.type;
  const goal = metricGoal(t.increase_batch_size_eval_metric, fieldType);
  return {
    onCheckpoint(ctx, logs) {
      const state: TrainerState = ctx.state;
      if (t.increase_batch_size_on_plateau <= state.batchSizeIncreases) return;
      const split = t.increase_batch_size_eval_split === "validation" ? "validation" : "training";
      const v = metricOf(logs, split, t.validation_field!, t.increase_batch_size_eval_metric);
      if (v === undefined) return;
      if (isBetter(goal, v, state.lastIncreaseMetric)) {
        state.lastIncreaseMetric = v;
        state.plateauRounds = 0;
      } else if (++state.plateauRounds >= t.increase_batch_size_on_plateau_patience) {
        const next = Math.min(
          t.max_batch_size,
          Math.round(ctx.batchSize * t.increase_batch_size_on_plateau_rate),
        );
        if (next > ctx.batchSize) {
          ctx.batchSize = next;
          state.batchSize = next;
          state.batchSizeIncreases++;
        }
        state.plateauRounds = 0;
      }
    },
  };
}

/** Persists a checkpoint: the state to resume from, the optimizer, and whether it is the best. */
export type SaveCheckpoint = (
  state: TrainerState,
  optimizer: tf.Optimizer,
  improved: boolean,
) => Promise<void>;

/** Saves a checkpoint after each evaluation (after the policies above updated the state). */
export function checkpointPolicy(save: SaveCheckpoint): TrainingCallback {
  return {
    async onCheckpoint(ctx, logs) {
      await save(structuredClone(ctx.state), ctx.optimizer, logs.improved);
    },
  };
}
