/**
 * The training loop (reference §3): batches, learning rate schedule, optimizer, gradient
 * clipping, regularization, evaluation at checkpoints, early stopping, best-model selection,
 * batch size growth on plateaus, `batch_size: auto`, resumable checkpoints and progress.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import type { ModelConfig } from "../config/model.ts";
import { randomPermutation } from "../_util/random.ts";
import type { EcdModel } from "../model/ecd.ts";
import { resetDropoutSeeds } from "../model/layers.ts";
import { forwardOf } from "../model/_fast_forward.ts";
import { withTeacherTargets } from "../model/teacher.ts";
import { batchTensor, type Columns } from "./batches.ts";
import {
  accumulatorFor,
  evaluateSplit,
  inputTensors,
  metricBatch,
  type OutputHead,
  outputHeads,
} from "./evaluate.ts";
import { probabilitiesFromLogits } from "./losses.ts";
import { metricGoal } from "./metrics.ts";
import { clipGradients, createOptimizer, type Optimizer } from "./optimizers.ts";
import { autoLearningRate, createSchedule, type ScheduleState } from "./schedule.ts";

type Obj = Record<string, unknown>;

/** Per split, per feature (and `combined`), per metric: one value per checkpoint. */
export type TrainingStatistics = Record<
  "training" | "validation" | "test",
  Record<string, Record<string, number[]>>
>;

/** Progress reported to callbacks. */
export interface StepInfo {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly epochs: number;
  readonly loss: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly elapsedSeconds: number;
}

/** Callbacks (notebooks update live displays from these). */
export interface TrainCallbacks {
  onTrainStart?(
    info: { totalSteps: number; stepsPerEpoch: number; batchSize: number; learningRate: number },
  ): void;
  onStep?(info: StepInfo): void;
  onCheckpoint?(
    info: StepInfo & { statistics: TrainingStatistics; improved: boolean },
  ): void | Promise<void>;
  onTrainEnd?(result: TrainResult): void;
}

/** A resumable snapshot of training. */
export interface TrainerState {
  step: number;
  epoch: number;
  batchInEpoch: number;
  batchSize: number;
  bestMetric: number | null;
  bestStep: number;
  roundsWithoutImprovement: number;
  batchSizeIncreases: number;
  plateauRounds: number;
  lastIncreaseMetric: number | null;
  /** Steps since the last checkpoint (checkpoints also fall at each epoch's end). */
  stepsSinceCheckpoint: number;
  statistics: TrainingStatistics;
  scheduleState?: ScheduleState;
}

/** Options of {@linkcode trainEcd}. */
export interface TrainOptions {
  readonly seed: number;
  readonly callbacks?: TrainCallbacks;
  /**
   * Called at each checkpoint with the state to persist for resuming; `improved` says the
   * model's current weights are the best so far (persist them too).
   */
  readonly saveCheckpoint?: (
    state: TrainerState,
    optimizer: tf.Optimizer,
    improved: boolean,
  ) => Promise<void>;
  /** Resume from this state (its weights must already be in the model). */
  readonly resume?: {
    state: TrainerState;
    optimizerWeights?: { name: string; tensor: tf.Tensor }[];
    /** The best weights saved before the interruption. */
    bestWeights?: tf.Tensor[];
  };
  /** Stop after this many steps of this call (tests of interruption). */
  readonly stopAfterSteps?: number;
}

/** What training produced. */
export interface TrainResult {
  readonly statistics: TrainingStatistics;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly steps: number;
  readonly epochs: number;
  readonly bestStep: number;
  readonly bestMetric: number | null;
  readonly stoppedEarly: boolean;
  readonly interrupted: boolean;
}

function emptyStats(): TrainingStatistics {
  return { training: {}, validation: {}, test: {} };
}

function record(
  stats: Record<string, Record<string, number[]>>,
  metrics: Record<string, Record<string, number>>,
) {
  for (const [feature, values] of Object.entries(metrics)) {
    const f = (stats[feature] ??= {});
    for (const [metric, value] of Object.entries(values)) (f[metric] ??= []).push(value);
  }
}

function regularization(
  model: tf.LayersModel,
  type: string,
  lambda: number,
): tf.Scalar | undefined {
  if (lambda <= 0) return undefined;
  const terms = model.trainableWeights.map((w) => {
    const v = w.read();
    const l1 = () => tf.sum(tf.abs(v));
    const l2 = () => tf.sum(tf.square(v));
    return type === "l1" ? l1() : type === "l2" ? l2() : tf.add(l1(), l2());
  });
  return tf.mul(lambda, tf.addN(terms)) as tf.Scalar;
}

/** Loss of a batch: Σ weight × feature loss + regularization + auxiliary model losses. */
function batchLoss(
  ecd: EcdModel,
  heads: readonly OutputHead[],
  config: ModelConfig,
  inputs: tf.Tensor[],
  targets: tf.Tensor[],
  keep: tf.Tensor[],
): tf.Scalar {
  // Targets travel beside the forward pass for decoders that teacher-force (generator).
  const teacher = Object.fromEntries(heads.map((h, i) => [h.feature.name, targets[i]]));
  // The compiled forward pass: model.apply's kernels without tf.layers' per-layer bookkeeping.
  const list = withTeacherTargets(teacher, () => forwardOf(ecd.model)(inputs, true));
  // 0 + 1 × loss is the loss itself: a single head of weight 1 records no extra kernels.
  let total: tf.Tensor | undefined;
  heads.forEach((h, i) => {
    const loss = h.loss(list[i], targets[i]);
    keep.push(tf.keep(list[i]), tf.keep(loss));
    const weight = h.feature.loss.weight;
    const term = weight === 1 ? loss : tf.mul(loss, weight);
    total = total === undefined ? term : tf.add(total, term);
  });
  total ??= tf.scalar(0);
  const reg = regularization(
    ecd.model,
    config.trainer.regularization_type,
    config.trainer.regularization_lambda,
  );
  if (reg) total = tf.add(total, reg);
  // Losses layers add in the forward pass (TabNet's sparsity regularizer).
  for (const aux of ecd.model.calculateLosses()) total = tf.add(total, aux);
  return total as tf.Scalar;
}

function permutation(n: number, seed: number, epoch: number, shuffleRows: boolean): Int32Array {
  return shuffleRows
    ? randomPermutation(n, (seed * 1_000_003 + epoch) % 4_294_967_296)
    : Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * Ludwig's batch size search (§11): from 1, double while throughput (rows/s over a few real
 * training steps) improves, up to min(max_batch_size, 128 on CPU engines, 20% of the training
 * set). Weights are restored afterwards.
 */
async function tuneBatchSize(
  ecd: EcdModel,
  heads: readonly OutputHead[],
  config: ModelConfig,
  train: Columns,
  learningRate: number,
): Promise<number> {
  const cap = Math.max(
    1,
    Math.min(config.trainer.max_batch_size, 128, Math.floor(train.numRows * 0.2)),
  );
  const snapshot = ecd.model.getWeights().map((w) => w.clone());
  const optimizer = createOptimizer(config.trainer.optimizer, learningRate);
  let best = 1;
  let bestThroughput = 0;
  for (let size = 1; size <= cap; size *= 2) {
    const rows = Int32Array.from({ length: size }, (_, i) => i % train.numRows);
    const times: number[] = [];
    for (let trial = 0; trial < 5; trial++) {
      const start = performance.now();
      tf.tidy(() => {
        const inputs = inputTensors(ecd, train, rows);
        const targets = heads.map((h) => batchTensor(train.columns[h.feature.name], rows));
        const keep: tf.Tensor[] = [];
        const { grads } = tf.variableGrads(() =>
          batchLoss(ecd, heads, config, inputs, targets, keep)
        );
        optimizer.applyGradients(grads);
        tf.dispose(keep);
      });
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const throughput = size / times[2];
    if (throughput <= bestThroughput) break;
    bestThroughput = throughput;
    best = size;
    await new Promise((r) => setTimeout(r, 0));
  }
  ecd.model.setWeights(snapshot);
  tf.dispose(snapshot);
  optimizer.dispose();
  return best;
}

/** Train an ECD model on preprocessed splits. */
export async function trainEcd(
  ecd: EcdModel,
  config: ModelConfig,
  metadata: Readonly<Record<string, Obj>>,
  data: { training: Columns; validation?: Columns; test?: Columns },
  options: TrainOptions,
): Promise<TrainResult> {
  const t = config.trainer;
  const heads = outputHeads(ecd, config, metadata);
  const train = data.training;
  if (train.numRows === 0) throw new RangeError("Cannot train: the training split has no rows");
  const learningRate = t.learning_rate === "auto" ? autoLearningRate(config) : t.learning_rate;
  const resumeState = options.resume?.state;
  let batchSize = resumeState?.batchSize ??
    (t.batch_size === "auto"
      ? await tuneBatchSize(ecd, heads, config, train, learningRate)
      : t.batch_size);
  const evalBatchSize = typeof t.eval_batch_size === "number"
    ? t.eval_batch_size
    : Math.max(batchSize, 1024);
  const epochStepsFor = (size: number) => Math.ceil(train.numRows / size);
  let stepsPerEpoch = epochStepsFor(batchSize);
  const totalSteps = t.train_steps ?? t.epochs * stepsPerEpoch;
  const epochs = t.train_steps ? Math.ceil(t.train_steps / stepsPerEpoch) : t.epochs;
  const stepsPerCheckpoint = () =>
    t.steps_per_checkpoint > 0
      ? Math.min(t.steps_per_checkpoint, stepsPerEpoch)
      : t.checkpoints_per_epoch > 0
      ? Math.max(1, Math.floor(stepsPerEpoch / t.checkpoints_per_epoch))
      : stepsPerEpoch;
  const schedule = createSchedule(t.learning_rate_scheduler, {
    baseLearningRate: learningRate,
    totalSteps,
    stepsPerCheckpoint: stepsPerCheckpoint(),
    stepsPerEpoch,
    goal: metricGoal(
      t.learning_rate_scheduler.reduce_eval_metric,
      config.output_features.find((f) => f.name === t.validation_field)?.type,
    ),
  });
  const optimizer = createOptimizer(t.optimizer, learningRate);
  if (options.resume?.optimizerWeights) await optimizer.setWeights(options.resume.optimizerWeights);

  const state: TrainerState = resumeState ? structuredClone(resumeState) : {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    batchSize,
    bestMetric: null,
    bestStep: 0,
    roundsWithoutImprovement: 0,
    batchSizeIncreases: 0,
    plateauRounds: 0,
    lastIncreaseMetric: null,
    stepsSinceCheckpoint: 0,
    statistics: emptyStats(),
  };
  if (resumeState?.scheduleState !== undefined) schedule.setState(resumeState.scheduleState);
  resetDropoutSeeds(options.seed + state.step);

  const selectionSplit = data.validation && data.validation.numRows > 0 ? "validation" : "training";
  const field = t.validation_field!;
  const metric = t.validation_metric!;
  const fieldType = config.output_features.find((f) => f.name === field)?.type;
  const goal = metricGoal(metric, fieldType);
  const better = (a: number, b: number | null) =>
    b === null || (goal === "maximize" ? a > b : a < b);
  let bestWeights: tf.Tensor[] | undefined = options.resume?.bestWeights?.map((w) => w.clone());
  const running = heads.map(accumulatorFor);
  let runningCombined = 0;
  let runningBatches = 0;
  const started = performance.now();
  let stoppedEarly = false;
  let interrupted = false;
  let stepsThisCall = 0;
  let lastLoss = NaN;

  options.callbacks?.onTrainStart?.({ totalSteps, stepsPerEpoch, batchSize, learningRate });
  const info = (): StepInfo => ({
    step: state.step,
    totalSteps,
    epoch: state.epoch,
    epochs,
    loss: lastLoss,
    learningRate: schedule.learningRate(Math.max(0, state.step - 1)),
    batchSize,
    elapsedSeconds: (performance.now() - started) / 1000,
  });

  // skip_all_evaluation: no metrics and no evaluation at all, only the running losses.
  const runningLosses = heads.map(() => 0);
  const checkpoint = async () => {
    const runningLossOnly = (): Record<string, Record<string, number>> =>
      Object.fromEntries([
        ...heads.map((h, i) =>
          [h.feature.name, { loss: runningLosses[i] / Math.max(1, runningBatches) }] as const
        ),
        ["combined", { loss: runningCombined / Math.max(1, runningBatches) }] as const,
      ]);
    const trainingMetrics: Record<string, Record<string, number>> = t.skip_all_evaluation
      ? runningLossOnly()
      : t.evaluate_training_set
      ? evaluateSplit(ecd, heads, train, evalBatchSize).metrics
      : Object.fromEntries([
        ...heads.map((h, i) => [h.feature.name, running[i].compute()] as const),
        ["combined", { loss: runningCombined / Math.max(1, runningBatches) }] as const,
      ]);
    running.forEach((r) => r.reset());
    runningLosses.fill(0);
    runningCombined = 0;
    runningBatches = 0;
    record(state.statistics.training, trainingMetrics);
    let validationMetrics: Record<string, Record<string, number>> | undefined;
    if (!t.skip_all_evaluation && data.validation && data.validation.numRows > 0) {
      validationMetrics = evaluateSplit(ecd, heads, data.validation, evalBatchSize).metrics;
      record(state.statistics.validation, validationMetrics);
    }
    if (!t.skip_all_evaluation && data.test && data.test.numRows > 0) {
      record(state.statistics.test, evaluateSplit(ecd, heads, data.test, evalBatchSize).metrics);
    }
    // Without evaluation (skip_all_evaluation) nothing is selected: the final weights stay.
    const selected = (selectionSplit === "validation" ? validationMetrics : trainingMetrics)
      ?.[field]?.[metric];
    const value = selected !== undefined && Number.isFinite(selected) ? selected : NaN;
    const improved = !Number.isNaN(value) && better(value, state.bestMetric);
    if (improved) {
      state.bestMetric = value;
      state.bestStep = state.step;
      state.roundsWithoutImprovement = 0;
      tf.dispose(bestWeights ?? []);
      bestWeights = ecd.model.getWeights().map((w) => w.clone());
    } else state.roundsWithoutImprovement++;
    // Learning-rate reduction on plateau watches its own split and metric.
    const s = t.learning_rate_scheduler;
    const plateauSource = s.reduce_eval_split === "training"
      ? trainingMetrics
      : s.reduce_eval_split === "validation"
      ? validationMetrics
      : undefined;
    const plateauValue = plateauSource?.[field]?.[s.reduce_eval_metric] ??
      plateauSource?.combined?.[s.reduce_eval_metric];
    if (plateauValue !== undefined) schedule.onEvaluation(plateauValue, state.step);
    // Batch size growth on plateau.
    if (t.increase_batch_size_on_plateau > state.batchSizeIncreases) {
      const source = t.increase_batch_size_eval_split === "validation"
        ? validationMetrics
        : trainingMetrics;
      const v = source?.[field]?.[t.increase_batch_size_eval_metric] ??
        source?.combined?.[t.increase_batch_size_eval_metric];
      if (v !== undefined) {
        const g = metricGoal(t.increase_batch_size_eval_metric, fieldType);
        const improvedHere = state.lastIncreaseMetric === null ||
          (g === "maximize" ? v > state.lastIncreaseMetric : v < state.lastIncreaseMetric);
        if (improvedHere) {
          state.lastIncreaseMetric = v;
          state.plateauRounds = 0;
        } else if (++state.plateauRounds >= t.increase_batch_size_on_plateau_patience) {
          const next = Math.min(
            t.max_batch_size,
            Math.round(batchSize * t.increase_batch_size_on_plateau_rate),
          );
          if (next > batchSize) {
            batchSize = next;
            state.batchSize = next;
            state.batchSizeIncreases++;
          }
          state.plateauRounds = 0;
        }
      }
    }
    state.scheduleState = schedule.getState();
    await options.callbacks?.onCheckpoint?.({ ...info(), statistics: state.statistics, improved });
    if (options.saveCheckpoint) {
      await options.saveCheckpoint(structuredClone(state), optimizer, improved);
    }
    // Ludwig: stop after `early_stop` evaluations without improvement (0 or -1: never).
    if (t.early_stop > 0 && state.roundsWithoutImprovement >= t.early_stop) stoppedEarly = true;
  };

  while (state.step < totalSteps && !stoppedEarly) {
    const perm = permutation(train.numRows, options.seed, state.epoch, t.should_shuffle);
    stepsPerEpoch = epochStepsFor(batchSize);
    for (let b = state.batchInEpoch; b < stepsPerEpoch && state.step < totalSteps; b++) {
      const rows = perm.subarray(b * batchSize, Math.min(train.numRows, (b + 1) * batchSize));
      optimizerLearningRate(optimizer, schedule.learningRate(state.step));
      const keep: tf.Tensor[] = [];
      const lossValue = tf.tidy(() => {
        const inputs = inputTensors(ecd, train, rows);
        const targets = heads.map((h) => batchTensor(train.columns[h.feature.name], rows));
        keep.push(...targets.map((x) => tf.keep(x)));
        const { value, grads } = tf.variableGrads(() =>
          batchLoss(ecd, heads, config, inputs, targets, keep)
        );
        optimizer.applyGradients(clipGradients(grads, t.gradient_clipping));
        return value.dataSync()[0];
      });
      lastLoss = lossValue;
      if (t.skip_all_evaluation) {
        heads.forEach((_, i) => runningLosses[i] += keep[heads.length + 2 * i + 1].dataSync()[0]);
        runningCombined += lossValue;
        runningBatches++;
      } else if (!t.evaluate_training_set) {
        const targets = keep.slice(0, heads.length);
        heads.forEach((h, i) => {
          const logits = keep[heads.length + 2 * i];
          const lossT = keep[heads.length + 2 * i + 1];
          const probs = tf.tidy(() =>
            probabilitiesFromLogits(h.feature.loss.type, h.feature.type, logits, h.classes)
          );
          running[i].update(metricBatch(
            logits.dataSync() as Float32Array,
            probs ? probs.dataSync() as Float32Array : undefined,
            targets[i].dataSync() as Float32Array | Int32Array,
            lossT.dataSync()[0],
            h.shape,
          ));
          probs?.dispose();
        });
        runningCombined += lossValue;
        runningBatches++;
      }
      tf.dispose(keep);
      if (!Number.isFinite(lossValue)) {
        throw new RangeError(
          `Training diverged at step ${
            state.step + 1
          }: the loss is ${lossValue}; lower the learning rate`,
        );
      }
      state.step++;
      state.batchInEpoch = b + 1;
      stepsThisCall++;
      state.stepsSinceCheckpoint++;
      options.callbacks?.onStep?.(info());
      if (
        state.stepsSinceCheckpoint >= stepsPerCheckpoint() || state.step === totalSteps ||
        state.batchInEpoch === stepsPerEpoch
      ) {
        if (state.batchInEpoch === stepsPerEpoch) {
          state.epoch++;
          state.batchInEpoch = 0;
        }
        state.stepsSinceCheckpoint = 0;
        if (!t.skip_all_evaluation || state.step === totalSteps) await checkpoint();
        if (stoppedEarly) break;
      }
      if (options.stopAfterSteps !== undefined && stepsThisCall >= options.stopAfterSteps) {
        interrupted = true;
        break;
      }
      if (state.step % 32 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    if (interrupted) break;
    if (state.batchInEpoch === 0) continue;
    state.epoch++;
    state.batchInEpoch = 0;
  }
  if (bestWeights && !interrupted) {
    ecd.model.setWeights(bestWeights);
  }
  tf.dispose(bestWeights ?? []);
  optimizer.dispose();
  const result: TrainResult = {
    statistics: state.statistics,
    batchSize,
    learningRate,
    steps: state.step,
    epochs: state.epoch,
    bestStep: state.bestStep,
    bestMetric: state.bestMetric,
    stoppedEarly,
    interrupted,
  };
  options.callbacks?.onTrainEnd?.(result);
  return result;
}

function optimizerLearningRate(optimizer: Optimizer, lr: number): void {
  optimizer.setLearningRate(lr);
}
