/**
 * The training loop (reference §3): batches, learning rate schedule, optimizer, gradient
 * clipping, regularization, evaluation at checkpoints and `batch_size: auto`. One optimizer
 * update is {@linkcode createTrainStep}'s `trainStep(batch)` (the seam where distributed
 * training all-reduces gradients); every policy — best weights, early stop, learning-rate
 * reduction and batch growth on plateaus, checkpoint saving, progress — is a
 * {@linkcode TrainingCallback} (`./callbacks.ts`, `./policies.ts`), and so are a user's.
 *
 * @module
 */
import { engineInfo, readAll, tf } from "../compute/mod.ts";
import type { ModelConfig } from "../config/model.ts";
import { randomPermutation } from "../_util/random.ts";
import type { EcdModel } from "../model/ecd.ts";
import { resetDropoutSeeds } from "../model/layers.ts";
import { forwardOf } from "../model/_fast_forward.ts";
import { withTeacherTargets } from "../model/teacher.ts";
import { batchTensor, type Columns, gatherRows } from "./batches.ts";
import {
  ImageBatchPrefetcher,
  type PrefetchImageColumn,
  type PreparedImageBatch,
} from "./prefetch.ts";
import {
  type CheckpointLogs,
  dispatch,
  progressCallback,
  type SplitMetrics,
  type StepInfo,
  type TrainCallbacks,
  type TrainerState,
  type TrainingCallback,
  type TrainingContext,
  type TrainingStatistics,
  type TrainResult,
} from "./callbacks.ts";
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
import {
  clipGradients,
  createOptimizer,
  type GradientClippingConfig,
  type Optimizer,
} from "./optimizers.ts";
import {
  batchGrowthPolicy,
  bestWeightsPolicy,
  checkpointPolicy,
  earlyStoppingPolicy,
  reduceLearningRatePolicy,
  type SaveCheckpoint,
} from "./policies.ts";
import { autoLearningRate, createSchedule } from "./schedule.ts";
import type { TrainDistribution } from "../distributed/training.ts";

type Obj = Record<string, unknown>;

export type {
  CheckpointLogs,
  StepInfo,
  TrainCallbacks,
  TrainerState,
  TrainingCallback,
  TrainingContext,
  TrainingStatistics,
  TrainResult,
};

/** Options of {@linkcode trainEcd}. */
export interface TrainOptions {
  readonly seed: number;
  /** Progress callbacks (terminal, notebook) in the older shape. */
  readonly progress?: TrainCallbacks;
  /** Callbacks run after the built-in policies, in order (a hyperopt scheduler prunes here). */
  readonly callbacks?: readonly TrainingCallback[];
  /** Persists each checkpoint; `improved` says the current weights are the best so far. */
  readonly saveCheckpoint?: SaveCheckpoint;
  /** Resume from this state (its weights must already be in the model). */
  readonly resume?: {
    state: TrainerState;
    optimizerWeights?: { name: string; tensor: tf.Tensor }[];
    /** The best weights saved before the interruption. */
    bestWeights?: tf.Tensor[];
  };
  /** Stop after this many steps of this call (tests of interruption). */
  readonly stopAfterSteps?: number;
  /** All-reduces gradients before clipping and the update (distributed training). */
  readonly reduceGradients?: GradientReducer;
  /** Distributed training (MPI): batch sharding, gradient reduction, LR scaling, agreement. */
  readonly distributed?: TrainDistribution;
}

/** Rows of a split to train one step on. */
export interface TrainBatch {
  readonly columns: Columns;
  readonly rows: ArrayLike<number>;
  /**
   * Prepared input values by feature name, used instead of gathering those columns' rows:
   * augmented image batches (NHWC float32 in the columns' 0–255 range) from the prefetcher.
   */
  readonly prepared?: Readonly<Record<string, Float32Array>>;
}

/** The input tensors of a batch: prepared values where given, else the gathered rows. */
function batchInputs(ecd: EcdModel, batch: TrainBatch): tf.Tensor[] {
  const prepared = batch.prepared;
  if (prepared === undefined) return inputTensors(ecd, batch.columns, batch.rows);
  return ecd.inputNames.map((name) => {
    const column = batch.columns.columns[name];
    if (!column) throw new TypeError(`Missing preprocessed input column "${name}"`);
    const values = Object.hasOwn(prepared, name) ? prepared[name] : undefined; // `constructor`…
    if (values === undefined) return batchTensor(column, batch.rows);
    return tf.tensor(values, [batch.rows.length, ...column.shape], "float32");
  });
}

/**
 * The uint8 input columns whose training batches the prefetcher prepares, as its columns:
 * features with a training-time `augmentation` (image features), and streamed columns
 * (`in_memory: false`: their rows are read from the cache file ahead of each step); undefined
 * when there is none.
 */
function augmentedColumns(
  config: ModelConfig,
  train: Columns,
): Record<string, PrefetchImageColumn> | undefined {
  const out: Record<string, PrefetchImageColumn> = {};
  for (const f of config.input_features) {
    const ops = f.augmentation ?? [];
    const column = train.columns[f.name];
    if (column?.dtype !== "uint8" || (ops.length === 0 && column.source === undefined)) continue;
    const [height, width, channels] = column.shape;
    out[f.name] = {
      ...(column.source !== undefined
        ? { source: column.source }
        : { data: column.data as Uint8Array }),
      height,
      width,
      channels,
      augmentation: ops as PrefetchImageColumn["augmentation"],
      standardize: null,
      // The encoder's first layer normalizes: hand it the 0-255 range it expects.
      scale: 255,
    };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Workers preparing augmented batches: the cores left beside the training thread (1 to 4). */
/** The rows one rank trains in an epoch, global batch after global batch. */
function rankOrder(
  perm: Int32Array,
  batchSize: number,
  workers: number,
  dist: { shard(rows: Int32Array): Int32Array },
): Int32Array {
  const global = batchSize * workers;
  const parts: Int32Array[] = [];
  for (let start = 0; start < perm.length; start += global) {
    parts.push(dist.shard(perm.subarray(start, Math.min(perm.length, start + global))));
  }
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function prefetchWorkers(): number {
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 2 : 2;
  return Math.max(1, Math.min(4, cores - 1));
}

/** One output feature's tensors of a step, kept until {@linkcode StepOutput.dispose}. */
export interface StepFeatureOutput {
  /** The network output (logits, or values for regression). */
  readonly logits: tf.Tensor;
  /** The feature's loss (a scalar). */
  readonly loss: tf.Tensor;
  /** The batch's targets. */
  readonly target: tf.Tensor;
}

/** One output feature's host values of a step, read together with the loss. */
export interface StepFeatureValues {
  /** The feature's loss. */
  readonly loss: number;
  /** The network output, row-major (only when the step reads `"metrics"`). */
  readonly logits?: Float32Array;
  /** Probabilities of classification outputs (only when the step reads `"metrics"`). */
  readonly probabilities?: Float32Array;
  /** The batch's targets, gathered on the host (only when the step reads `"metrics"`). */
  readonly targets?: Float32Array | Int32Array;
}

/** What one {@linkcode TrainStep} did. */
export interface StepOutput {
  /** The total loss (weighted feature losses + regularization + auxiliary losses). */
  readonly loss: number;
  /** Per output feature, by name (empty when the step was created with `keepOutputs: false`). */
  readonly outputs: Readonly<Record<string, StepFeatureOutput>>;
  /**
   * Per output feature, by name: the host values the step was asked to read
   * ({@linkcode TrainStepOptions.read}), in the same device-to-host transfer as the loss.
   */
  readonly values: Readonly<Record<string, StepFeatureValues>>;
  /** Releases the kept tensors. */
  dispose(): void;
}

/** Reduces (e.g. all-reduces across workers) the gradients of a step, by variable name. */
export type GradientReducer = (grads: tf.NamedTensorMap) => Promise<tf.NamedTensorMap>;

/** Options of {@linkcode createTrainStep}. */
export interface TrainStepOptions {
  readonly gradientClipping?: Partial<GradientClippingConfig>;
  readonly reduceGradients?: GradientReducer;
  /** Keep each feature's logits, loss and targets for running metrics (default true). */
  readonly keepOutputs?: boolean;
  /**
   * Host values to read with the total loss, in one transfer (needs `keepOutputs`): `"losses"`
   * each feature's loss, `"metrics"` also its logits, probabilities and targets (default none).
   */
  readonly read?: "losses" | "metrics";
}

/** One optimizer update on a batch. */
export type TrainStep = (batch: TrainBatch) => Promise<StepOutput>;

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

function permutation(n: number, seed: number, epoch: number, shuffleRows: boolean): Int32Array {
  return shuffleRows
    ? randomPermutation(n, (seed * 1_000_003 + epoch) % 4_294_967_296)
    : Int32Array.from({ length: n }, (_, i) => i);
}

/** Loss of a batch: Σ weight × feature loss + regularization + auxiliary model losses. */
function batchLoss(
  ecd: EcdModel,
  heads: readonly OutputHead[],
  config: ModelConfig,
  inputs: tf.Tensor[],
  targets: Readonly<Record<string, tf.Tensor>>,
  keep: Record<string, StepFeatureOutput> | undefined,
): tf.Scalar {
  // Targets travel beside the forward pass for decoders that teacher-force (generator).
  // The compiled forward pass: model.apply's kernels without tf.layers' per-layer bookkeeping.
  // A built model has its own channel; a model loaded from a file reads the model-less scope.
  const forward = () => forwardOf(ecd.model)(inputs, true);
  const list = ecd.teacher
    ? ecd.teacher.run(targets, forward)
    : withTeacherTargets(targets, forward);
  const byName: Record<string, tf.Tensor> = {};
  ecd.outputNames.forEach((name, i) => byName[name] = list[i]);
  // 0 + 1 × loss is the loss itself: a single head of weight 1 records no extra kernels.
  let total: tf.Tensor | undefined;
  for (const h of heads) {
    const name = h.feature.name;
    const logits = byName[name];
    const target = targets[name];
    const loss = h.loss(logits, target);
    if (keep) {
      keep[name] = { logits: tf.keep(logits), loss: tf.keep(loss), target: tf.keep(target) };
    }
    const weight = h.feature.loss.weight;
    const term = weight === 1 ? loss : tf.mul(loss, weight);
    total = total === undefined ? term : tf.add(total, term);
  }
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

/**
 * The training step: forward pass, loss, gradients, `reduceGradients` (the all-reduce seam of
 * distributed training), clipping, optimizer update. The optimizer's learning rate is the
 * caller's to set before each step.
 */
export function createTrainStep(
  ecd: EcdModel,
  heads: readonly OutputHead[],
  config: ModelConfig,
  optimizer: tf.Optimizer,
  options: TrainStepOptions = {},
): TrainStep {
  const keepOutputs = options.keepOutputs ?? true;
  return async function trainStep(batch: TrainBatch): Promise<StepOutput> {
    const outputs: Record<string, StepFeatureOutput> = {};
    const { value, grads } = tf.tidy(() => {
      const inputs = batchInputs(ecd, batch);
      const targets: Record<string, tf.Tensor> = {};
      for (const h of heads) {
        const column = batch.columns.columns[h.feature.name];
        if (!column) throw new TypeError(`Missing preprocessed output column "${h.feature.name}"`);
        const target = batchTensor(column, batch.rows);
        targets[h.feature.name] = keepOutputs ? tf.keep(target) : target;
      }
      return tf.variableGrads(() =>
        batchLoss(ecd, heads, config, inputs, targets, keepOutputs ? outputs : undefined)
      );
    });
    let reduced = grads;
    if (options.reduceGradients) {
      reduced = await options.reduceGradients(grads);
      for (const [name, g] of Object.entries(grads)) if (reduced[name] !== g) g.dispose();
    }
    tf.tidy(() => {
      optimizer.applyGradients(
        options.gradientClipping ? clipGradients(reduced, options.gradientClipping) : reduced,
      );
    });
    tf.dispose(Object.values(reduced));
    // One read per step: the total loss and, when asked, each feature's values for metrics.
    const read = keepOutputs ? options.read : undefined;
    const probs = read === "metrics"
      ? heads.map((h) => {
        const logits = outputs[h.feature.name].logits;
        return tf.tidy(() =>
          probabilitiesFromLogits(h.feature.loss.type, h.feature.type, logits, h.classes)
        );
      })
      : [];
    const readList: tf.Tensor[] = [value];
    if (read) {
      heads.forEach((h, i) => {
        const o = outputs[h.feature.name];
        readList.push(o.loss);
        if (read === "metrics") readList.push(o.logits, ...(probs[i] ? [probs[i]!] : []));
      });
    }
    let host;
    try {
      host = await readAll(readList);
    } finally {
      probs.forEach((p, i) => {
        if (p !== outputs[heads[i].feature.name].logits) p?.dispose();
      });
    }
    const loss = host[0][0];
    const values: Record<string, StepFeatureValues> = {};
    if (read) {
      let at = 1;
      heads.forEach((h, i) => {
        const featureLoss = host[at++][0];
        if (read === "losses") {
          values[h.feature.name] = { loss: featureLoss };
          return;
        }
        const logits = host[at++] as Float32Array;
        const probabilities = probs[i] ? host[at++] as Float32Array : undefined;
        const gathered = gatherRows(batch.columns.columns[h.feature.name], batch.rows);
        // The values of the target tensor (uint8 columns are float32 tensors).
        const targets = gathered instanceof Uint8Array ? Float32Array.from(gathered) : gathered;
        values[h.feature.name] = { loss: featureLoss, logits, probabilities, targets };
      });
    }
    // A single head of weight 1: the total is that head's (kept) loss tensor itself.
    if (!Object.values(outputs).some((o) => o.loss === value)) value.dispose();
    return {
      loss,
      outputs,
      values,
      dispose: () => {
        for (const o of Object.values(outputs)) tf.dispose([o.logits, o.loss, o.target]);
      },
    };
  };
}

/** What `batch_size: auto` picked, and why (the limits it took the minimum of). */
export interface BatchSizeChoice {
  /** The batch size: the largest power of two within every limit. */
  readonly batchSize: number;
  /** One line for the log: the picked size and each limit. */
  readonly reason: string;
}

/** Engines that run on a GPU (the CPU cap does not apply to them). */
const GPU_ENGINES = new Set(["tensorflow-gpu", "webgpu"]);
/** Floating-point work per optimizer step the CPU engines should not exceed (about a second). */
const CPU_STEP_FLOPS = 2 ** 31;
/** Memory a CPU batch may use: an eighth of the machine's, at most 2 GiB. */
const CPU_MEMORY_CAP = 2 * 1024 ** 3;
/** Memory a GPU batch may use when the device's is unknown (TF.js cannot query it). */
const GPU_MEMORY_BUDGET = 4 * 1024 ** 3;

function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) n /= 1024, i++;
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * `batch_size: auto`, decided from an estimate rather than timing, so one seed and one dataset
 * always give one batch size: the largest power of two within max_batch_size, 20% of the
 * training rows, the memory a batch's activations need (every layer's output per row, kept for
 * the backward pass, against an eighth of the machine's memory up to 2 GiB on CPU engines or
 * 4 GiB on GPU engines, after the parameters, gradients and optimizer slots), and on CPU
 * engines 128 rows and about 2^31 floating-point operations per step (Ludwig's issues #2455 and
 * #3007: huge auto batches that fit at the start later run out of memory or stall).
 *
 * @example
 * ```ts ignore
 * const { batchSize, reason } = autoBatchSize(ecd, config, 1000, "native", 16 * 1024 ** 3);
 * ```
 */
export function autoBatchSize(
  ecd: EcdModel,
  config: ModelConfig,
  trainingRows: number,
  engine: string | undefined,
  totalMemory: number,
): BatchSizeChoice {
  const gpu = engine !== undefined && GPU_ENGINES.has(engine);
  let params = 0;
  for (const w of ecd.model.weights) params += w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
  let activations = 0;
  for (const layer of ecd.model.layers) {
    let shapes: unknown = layer.outputShape;
    if (!Array.isArray(shapes) || !Array.isArray(shapes[0])) shapes = [shapes];
    for (const shape of shapes as (number | null)[][]) {
      if (!Array.isArray(shape)) continue;
      activations += shape.slice(1).reduce((a: number, b) => a * (b ?? 1), 1);
    }
  }
  // Forward values, their gradients and temporaries: three float32 copies per activation.
  const bytesPerRow = Math.max(1, activations) * 4 * 3;
  // Weights, gradients and two optimizer slots.
  const paramBytes = params * 4 * 4;
  const budget = gpu ? GPU_MEMORY_BUDGET : Math.min(CPU_MEMORY_CAP, totalMemory / 8);
  const memoryRows = Math.max(1, Math.floor((budget - paramBytes) / bytesPerRow));
  const limits: [string, number][] = [
    [`max_batch_size ${config.trainer.max_batch_size}`, config.trainer.max_batch_size],
    [
      `20% of ${trainingRows} training rows`,
      Math.max(1, Math.floor(trainingRows * 0.2)),
    ],
    [
      `memory: ${humanBytes(bytesPerRow)} of activations per row in ${humanBytes(budget)} after ${
        humanBytes(paramBytes)
      } of parameters and optimizer state`,
      memoryRows,
    ],
  ];
  if (!gpu) {
    limits.push(["128 on CPU engines", 128]);
    // A dense layer does about 6 operations per parameter and row (forward and backward).
    const flopsPerRow = Math.max(1, 6 * params);
    limits.push([
      `work: ${(flopsPerRow / 1e6).toFixed(1)} MFLOP per row, 2^31 per step on CPU`,
      Math.max(1, Math.floor(CPU_STEP_FLOPS / flopsPerRow)),
    ]);
  }
  const limit = Math.max(1, Math.min(...limits.map(([, n]) => n)));
  const batchSize = 2 ** Math.floor(Math.log2(limit));
  const binding = limits.filter(([, n]) => n === Math.min(...limits.map(([, m]) => m)))
    .map(([why]) => why);
  return {
    batchSize,
    reason: `batch_size auto: ${batchSize} (largest power of two within ${
      limits.map(([why, n]) => `${why} -> ${n}`).join("; ")
    }; bound by ${binding.join(" and ")})`,
  };
}

/** {@linkcode autoBatchSize} for this machine's memory and the running engine. */
function tuneBatchSize(
  ecd: EcdModel,
  config: ModelConfig,
  train: Columns,
): BatchSizeChoice {
  let total = 8 * 1024 ** 3;
  try {
    total = Deno.systemMemoryInfo().total;
  } catch {
    // No --allow-sys: assume 8 GiB.
  }
  return autoBatchSize(ecd, config, train.numRows, engineInfo()?.engine, total);
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
  // Distributed: global batches of workers × batch_size rows, sharded over the ranks.
  const dist = options.distributed;
  const workers = dist?.workers ?? 1;
  const learningRate = (t.learning_rate === "auto" ? autoLearningRate(config) : t.learning_rate) *
    (dist?.learningRateScale ?? 1);
  const resumeState = options.resume?.state;
  const autoChoice = resumeState === undefined && t.batch_size === "auto"
    ? tuneBatchSize(ecd, config, train)
    : undefined;
  // Ranks see different shards: every rank takes rank 0's choice.
  const autoSize = autoChoice && dist
    ? await dist.agree(autoChoice.batchSize)
    : autoChoice?.batchSize;
  const initialBatchSize = resumeState?.batchSize ??
    (t.batch_size === "auto" ? autoSize! : t.batch_size);
  const evalBatchSize = typeof t.eval_batch_size === "number"
    ? t.eval_batch_size
    : Math.max(initialBatchSize, 1024);
  const epochStepsFor = (size: number) => Math.ceil(train.numRows / (size * workers));
  let stepsPerEpoch = epochStepsFor(initialBatchSize);
  const totalSteps = t.train_steps ?? t.epochs * stepsPerEpoch;
  const epochs = t.train_steps ? Math.ceil(t.train_steps / stepsPerEpoch) : t.epochs;
  const stepsPerCheckpoint = () =>
    t.steps_per_checkpoint > 0
      ? Math.min(t.steps_per_checkpoint, stepsPerEpoch)
      : t.checkpoints_per_epoch > 0
      ? Math.max(1, Math.floor(stepsPerEpoch / t.checkpoints_per_epoch))
      : stepsPerEpoch;
  const fieldType = config.output_features.find((f) => f.name === t.validation_field)?.type;
  const schedule = createSchedule(t.learning_rate_scheduler, {
    baseLearningRate: learningRate,
    totalSteps,
    stepsPerCheckpoint: stepsPerCheckpoint(),
    stepsPerEpoch,
    goal: metricGoal(t.learning_rate_scheduler.reduce_eval_metric, fieldType),
  });
  const optimizer = dist?.createOptimizer(t.optimizer, learningRate, ecd.model) ??
    createOptimizer(t.optimizer, learningRate);
  if (options.resume?.optimizerWeights) await optimizer.setWeights(options.resume.optimizerWeights);

  const state: TrainerState = resumeState ? structuredClone(resumeState) : {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    batchSize: initialBatchSize,
    bestMetric: null,
    bestLoss: null,
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
  const callbacks: TrainingCallback[] = [
    ...(dist?.callbacks ?? []),
    bestWeightsPolicy({
      split: selectionSplit,
      field: t.validation_field!,
      metric: t.validation_metric!,
      goal: metricGoal(t.validation_metric!, fieldType),
      initial: options.resume?.bestWeights,
    }),
    reduceLearningRatePolicy(config),
    batchGrowthPolicy(config),
    ...(options.progress
      ? [progressCallback(options.progress, () => stepsPerEpoch, learningRate, autoChoice?.reason)]
      : []),
    ...(options.saveCheckpoint ? [checkpointPolicy(options.saveCheckpoint)] : []),
    earlyStoppingPolicy(t.early_stop),
    ...(options.callbacks ?? []),
  ];
  const ctx: TrainingContext & { interrupted: boolean } = {
    model: ecd,
    state,
    optimizer,
    schedule,
    totalSteps,
    epochs,
    batchSize: initialBatchSize,
    stopTraining: false,
    interrupted: false,
  };
  // Training metrics without `evaluate_training_set` come from the steps' outputs.
  const keepOutputs = t.skip_all_evaluation || !t.evaluate_training_set;
  const trainStep = createTrainStep(ecd, heads, config, optimizer, {
    gradientClipping: t.gradient_clipping,
    reduceGradients: dist?.gradientReducer(optimizer) ?? options.reduceGradients,
    keepOutputs,
    read: t.skip_all_evaluation ? "losses" : !t.evaluate_training_set ? "metrics" : undefined,
  });
  const running = heads.map(accumulatorFor);
  const runningLosses = heads.map(() => 0);
  let runningCombined = 0;
  let runningBatches = 0;
  const started = performance.now();
  let stepsThisCall = 0;
  let lastLoss = NaN;

  const info = (): StepInfo => ({
    step: state.step,
    totalSteps,
    epoch: state.epoch,
    epochs,
    loss: lastLoss,
    learningRate: schedule.learningRate(Math.max(0, state.step - 1)),
    batchSize: ctx.batchSize,
    elapsedSeconds: (performance.now() - started) / 1000,
  });

  const accumulate = (out: StepOutput) => {
    if (t.skip_all_evaluation) {
      // skip_all_evaluation: no metrics and no evaluation at all, only the running losses.
      heads.forEach((h, i) => runningLosses[i] += out.values[h.feature.name].loss);
    } else if (!t.evaluate_training_set) {
      heads.forEach((h, i) => {
        const { logits, probabilities, targets, loss } = out.values[h.feature.name];
        running[i].update(metricBatch(logits!, probabilities, targets!, loss, h.shape));
      });
    } else return;
    runningCombined += out.loss;
    runningBatches++;
  };

  const trainingMetrics = async (): Promise<SplitMetrics> => {
    const combined = ["combined", { loss: runningCombined / Math.max(1, runningBatches) }] as const;
    const metrics: SplitMetrics = t.skip_all_evaluation
      ? Object.fromEntries([
        ...heads.map((h, i) =>
          [h.feature.name, { loss: runningLosses[i] / Math.max(1, runningBatches) }] as const
        ),
        combined,
      ])
      : t.evaluate_training_set
      ? (await evaluateSplit(ecd, heads, train, evalBatchSize)).metrics
      : Object.fromEntries([
        ...heads.map((h, i) => [h.feature.name, running[i].compute()] as const),
        combined,
      ]);
    running.forEach((r) => r.reset());
    runningLosses.fill(0);
    runningCombined = 0;
    runningBatches = 0;
    return metrics;
  };

  /** Evaluate, record, and run every callback's `onCheckpoint`. */
  const checkpoint = async (): Promise<CheckpointLogs> => {
    await dist?.gatherParameters(); // FSDP: the full parameters, for evaluation and saving
    const training = await trainingMetrics();
    record(state.statistics.training, training);
    let validation: SplitMetrics | undefined;
    if (!t.skip_all_evaluation && data.validation && data.validation.numRows > 0) {
      validation = (await evaluateSplit(ecd, heads, data.validation, evalBatchSize)).metrics;
      record(state.statistics.validation, validation);
    }
    let test: SplitMetrics | undefined;
    if (!t.skip_all_evaluation && data.test && data.test.numRows > 0) {
      test = (await evaluateSplit(ecd, heads, data.test, evalBatchSize)).metrics;
      record(state.statistics.test, test);
    }
    const logs: CheckpointLogs = {
      ...info(),
      statistics: state.statistics,
      training,
      validation,
      test,
      improved: false,
    };
    await dispatch(callbacks, ctx, (c) => c.onCheckpoint?.(ctx, logs));
    return logs;
  };

  let interrupted = false;
  // Features with augmentation, and streamed columns (in_memory: false), take their training
  // batches from workers that prepare the next batches (reading streamed rows from the cache
  // file) while the current step trains; every other input is gathered as before.
  const augmented = augmentedColumns(config, train);
  let prefetcher: ImageBatchPrefetcher | undefined;
  await dispatch(callbacks, ctx, (c) => c.onTrainBegin?.(ctx));
  try {
    while (state.step < totalSteps && !ctx.stopTraining) {
      const batchSize = ctx.batchSize;
      const perm = permutation(train.numRows, options.seed, state.epoch, t.should_shuffle);
      stepsPerEpoch = epochStepsFor(batchSize);
      if (state.batchInEpoch === 0) {
        await dispatch(callbacks, ctx, (c) => c.onEpochBegin?.(ctx, state.epoch));
        if (ctx.stopTraining) break;
      }
      let images: AsyncGenerator<PreparedImageBatch> | undefined;
      if (augmented !== undefined) {
        // One prefetcher per batch size (batch growth changes it between epochs).
        if (prefetcher === undefined || prefetcher.batchSize !== batchSize) {
          prefetcher?.close();
          prefetcher = new ImageBatchPrefetcher({
            columns: augmented,
            batchSize,
            seed: options.seed,
            // Streamed columns without augmentation only need their rows read ahead, which
            // the in-thread prefetcher does with async reads: no worker isolate for them.
            workers: Object.values(augmented).some((c) => c.augmentation.length > 0)
              ? prefetchWorkers()
              : 0,
          });
        }
        const offset = state.batchInEpoch * batchSize;
        // Distributed: this rank's rows, batch after batch, as the loop below takes them.
        const order = dist ? rankOrder(perm, batchSize, workers, dist) : perm;
        images = prefetcher.epoch(order.subarray(offset), {
          epoch: state.epoch,
          augment: true,
          offset,
        });
      }
      for (let b = state.batchInEpoch; b < stepsPerEpoch && state.step < totalSteps; b++) {
        const global = batchSize * workers;
        const batchRows = perm.subarray(b * global, Math.min(train.numRows, (b + 1) * global));
        const rows = dist ? dist.shard(batchRows) : batchRows;
        (optimizer as Optimizer).setLearningRate(schedule.learningRate(state.step));
        const prepared = images === undefined ? undefined : (await images.next()).value?.images;
        await dist?.gatherParameters(); // FSDP: all-gathered for this step only
        const out = await trainStep({ columns: train, rows, prepared });
        lastLoss = out.loss;
        try {
          accumulate(out);
        } finally {
          out.dispose();
        }
        if (!Number.isFinite(lastLoss)) {
          throw new RangeError(
            `Training diverged at step ${
              state.step + 1
            }: the loss is ${lastLoss}; lower the learning rate`,
          );
        }
        state.step++;
        state.batchInEpoch = b + 1;
        stepsThisCall++;
        state.stepsSinceCheckpoint++;
        const stepInfo = info();
        await dispatch(callbacks, ctx, (c) => c.onBatchEnd?.(ctx, stepInfo));
        if (
          state.stepsSinceCheckpoint >= stepsPerCheckpoint() || state.step === totalSteps ||
          state.batchInEpoch === stepsPerEpoch
        ) {
          const epochEnded = state.batchInEpoch === stepsPerEpoch;
          if (epochEnded) {
            state.epoch++;
            state.batchInEpoch = 0;
          }
          state.stepsSinceCheckpoint = 0;
          const logs = !t.skip_all_evaluation || state.step === totalSteps
            ? await checkpoint()
            : { ...info(), statistics: state.statistics, training: {}, improved: false };
          if (epochEnded) await dispatch(callbacks, ctx, (c) => c.onEpochEnd?.(ctx, logs));
        }
        if (ctx.stopTraining) break;
        if (options.stopAfterSteps !== undefined && stepsThisCall >= options.stopAfterSteps) {
          interrupted = true;
          break;
        }
        if (state.step % 32 === 0) await new Promise((r) => setTimeout(r, 0));
      }
      await images?.return(undefined);
      if (interrupted) break;
      if (state.batchInEpoch === 0) continue;
      state.epoch++;
      state.batchInEpoch = 0;
    }
  } finally {
    prefetcher?.close();
  }
  ctx.interrupted = interrupted;
  const result: TrainResult = {
    statistics: state.statistics,
    batchSize: ctx.batchSize,
    learningRate,
    steps: state.step,
    epochs: state.epoch,
    bestStep: state.bestStep,
    bestMetric: state.bestMetric,
    stoppedEarly: ctx.stopTraining,
    stopReason: ctx.stopTraining ? ctx.stopReason ?? "stopped by a callback" : undefined,
    interrupted,
  };
  // The best-weights policy (first in the list) restores the best weights here.
  for (const c of callbacks) await c.onTrainEnd?.(ctx, result);
  optimizer.dispose();
  return result;
}
