/**
 * Data-parallel (DDP, Horovod) and fully sharded (FSDP) training over an {@linkcode Mpi} world:
 * the {@linkcode TrainDistribution} the trainer consults for its batch rows, gradient reduction,
 * learning-rate scaling and metric agreement.
 *
 * - Sharding: the trainer takes global batches of `workers × batch_size` rows from the (seeded,
 *   identical) permutation; rank r trains rows r, r + N, … of each global batch.
 * - Gradients are weighted by each rank's share of the global batch and summed, so the update
 *   equals one process's on the whole global batch (also for a short last batch).
 * - DDP: gradients are fused into ~25 MB float32 buckets and all-reduced; every rank applies the
 *   same update with its own optimizer.
 * - FSDP (`fsdp.ts`): every bucket (a flattened parameter group) is split into N equal shards;
 *   each rank persistently holds only its shard of the parameters and their optimizer state.
 *   The full parameters are all-gathered before each forward pass (and before evaluation,
 *   checkpoints and the end of training) and freed once the gradients are copied out; gradients
 *   are reduce-scattered, clipped with globally all-reduced norms, and each rank's optimizer
 *   updates only its shard. Checkpoints gather the state on rank 0 in one process's format.
 * - Evaluation: every rank evaluates the full validation and test splits (identical weights); the
 *   metrics of each checkpoint are then averaged over ranks (training metrics differ per shard)
 *   so the policies (best weights, early stop, plateaus) decide identically everywhere.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import type { ModelConfig } from "../config/model.ts";
import type { TrainingCallback } from "../train/callbacks.ts";
import { createOptimizer, type Optimizer, type OptimizerConfig } from "../train/optimizers.ts";
import type { GradientReducer } from "../train/trainer.ts";
import { ShardedOptimizer } from "./fsdp.ts";
import { type Mpi, MpiError } from "./mpi.ts";

/** PyTorch DDP's default bucket size. */
export const BUCKET_BYTES = 25 * 1024 * 1024;

/** A distributed strategy as Sonata runs it (`horovod` is `ddp`). */
export type Strategy = "ddp" | "fsdp";

/** What the trainer needs from a distributed run. */
export interface TrainDistribution {
  readonly rank: number;
  readonly workers: number;
  readonly strategy: Strategy;
  /** Multiplies the configured learning rate (`learning_rate_scaling`). */
  readonly learningRateScale: number;
  /** This rank's rows of a global batch (remembers its share for the next reduction). */
  shard(globalRows: Int32Array): Int32Array;
  /**
   * The optimizer of a run training `model`: the configured one (DDP), or a
   * {@linkcode ShardedOptimizer} owning the parameter shards (FSDP).
   */
  createOptimizer(config: OptimizerConfig, learningRate: number, model: tf.LayersModel): Optimizer;
  /**
   * Makes the full parameters available (FSDP all-gathers them; a no-op for DDP and when they
   * are already whole): before every forward pass and evaluation.
   */
  gatherParameters(): Promise<void>;
  /** The gradient reducer of the trainer's step (FSDP also applies the update itself). */
  gradientReducer(optimizer: tf.Optimizer): GradientReducer;
  /** Rank 0's value on every rank (e.g. a tuned batch size). */
  agree(value: number): Promise<number>;
  /** Callbacks to run before every other one (metric agreement). */
  readonly callbacks: readonly TrainingCallback[];
  /** Copies rank 0's weights into every rank's model. */
  broadcastWeights(model: tf.LayersModel): Promise<void>;
  /** Elements of optimizer state this rank holds (the step optimizer's, or the shard's). */
  optimizerStateElements(optimizer: tf.Optimizer): Promise<number>;
  /**
   * Bytes of parameters (the model's trainable weights that are materialized now, plus FSDP's
   * shards) and of optimizer state this rank holds now.
   */
  memory(
    optimizer: tf.Optimizer,
    model: tf.LayersModel,
  ): Promise<{ parameterBytes: number; optimizerBytes: number }>;
  /** Seconds this rank spent in collectives so far (waiting included). */
  readonly communicationSeconds: number;
  /** Ends every rank after a failure on this one (prints the reason first). */
  fail(error: unknown): never;
  readonly mpi: Mpi;
}

/** Learning-rate factor of Ludwig's `learning_rate_scaling` for `workers` ranks. */
export function learningRateScale(scaling: string, workers: number): number {
  return scaling === "linear" ? workers : scaling === "sqrt" ? Math.sqrt(workers) : 1;
}

/** Rows of `globalRows` that `rank` of `workers` trains: rank, rank + N, … */
export function shardRows(
  globalRows: ArrayLike<number>,
  rank: number,
  workers: number,
): Int32Array {
  const n = Math.max(0, Math.ceil((globalRows.length - rank) / workers));
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = globalRows[rank + i * workers];
  return out;
}

interface Slot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

interface Bucket {
  slots: Slot[];
  /** Elements (unpadded). */
  length: number;
}

function planBuckets(grads: tf.NamedTensorMap, bucketBytes: number): Bucket[] {
  const names = Object.keys(grads).sort();
  const buckets: Bucket[] = [];
  let current: Bucket = { slots: [], length: 0 };
  for (const name of names) {
    const size = grads[name].size;
    if (current.length > 0 && (current.length + size) * 4 > bucketBytes) {
      buckets.push(current);
      current = { slots: [], length: 0 };
    }
    current.slots.push({ name, shape: grads[name].shape, offset: current.length, size });
    current.length += size;
  }
  if (current.length > 0) buckets.push(current);
  return buckets;
}

function fill(target: Float32Array, bucket: Bucket, grads: tf.NamedTensorMap, weight: number) {
  for (const s of bucket.slots) {
    const values = grads[s.name].dataSync() as Float32Array;
    if (weight === 1) target.set(values, s.offset);
    else for (let i = 0; i < s.size; i++) target[s.offset + i] = values[i] * weight;
  }
}

/** Options of {@linkcode createDistribution}. */
export interface DistributionOptions {
  readonly strategy: Strategy;
  /** Bucket size in bytes (default 25 MB). */
  readonly bucketBytes?: number;
  /** Seconds a collective may wait for the other ranks before the run is aborted. */
  readonly timeoutSeconds?: number;
}

/** The distribution of a training run over `mpi`'s ranks. */
export function createDistribution(
  mpi: Mpi,
  config: ModelConfig,
  options: DistributionOptions,
): TrainDistribution {
  const workers = mpi.size;
  const rank = mpi.rank;
  const bucketBytes = options.bucketBytes ?? BUCKET_BYTES;
  const timeout = (options.timeoutSeconds ?? 600) * 1000;
  let weight = 1;
  let communication = 0;
  /** Non-trainable weights (batch-norm statistics), set by broadcastWeights. */
  let buffers: tf.LayerVariable[] = [];

  const fail = (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    Deno.stderr.writeSync(
      new TextEncoder().encode(`sonata: rank ${rank} of ${workers} failed: ${message}\n`),
    );
    return mpi.abort(1);
  };

  /** A collective that aborts the job when the other ranks do not answer in time. */
  const guarded = async (what: string, run: () => Promise<void>): Promise<void> => {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new MpiError(
              `${what} got no answer from the other ranks within ${
                timeout / 1000
              } s (did a rank die?)`,
            ),
          ),
        timeout,
      );
    });
    try {
      await Promise.race([run(), watchdog]);
    } catch (error) {
      fail(error);
    } finally {
      clearTimeout(timer);
      communication += performance.now() - started;
    }
  };

  const broadcastTensors = async (variables: tf.LayerVariable[]) => {
    for (const v of variables) {
      const value = v.read();
      if (value.dtype !== "float32" && value.dtype !== "int32") continue;
      const data = value.dataSync().slice() as Float32Array | Int32Array;
      await guarded("MPI_Bcast", () => mpi.broadcast(data, 0));
      if (rank !== 0) {
        tf.tidy(() => {
          v.write(tf.tensor(data, value.shape, value.dtype));
        });
      }
    }
  };

  const metricAgreement: TrainingCallback = {
    // FSDP: the trained model is whole again for the policies (best weights) and prediction.
    async onTrainEnd() {
      if (!sharded) return;
      try {
        await sharded.gather();
      } catch (error) {
        fail(error);
      }
    },
    async onCheckpoint(ctx, logs) {
      const parts: Array<[Record<string, number>, string]> = [];
      for (const split of ["training", "validation", "test"] as const) {
        const metrics = logs[split];
        if (!metrics) continue;
        for (const feature of Object.keys(metrics).sort()) {
          const values = metrics[feature] as Record<string, number>;
          for (const m of Object.keys(values).sort()) {
            if (typeof values[m] === "number") parts.push([values, m]);
          }
        }
      }
      const buffer = Float64Array.from(parts, ([o, m]) => o[m]);
      await guarded("MPI_Allreduce of metrics", () => mpi.allreduce(buffer, "sum"));
      parts.forEach(([o, m], i) => o[m] = buffer[i] / workers);
      // FSDP: rank 0 gets the optimizer state in one process's format, for the checkpoint.
      if (sharded) {
        try {
          await sharded.gatherState();
        } catch (error) {
          fail(error);
        }
      }
      // The statistics recorded this checkpoint take the agreed values too.
      for (const split of ["training", "validation", "test"] as const) {
        const metrics = logs[split];
        const stats = ctx.state.statistics[split];
        if (!metrics) continue;
        for (const [feature, values] of Object.entries(metrics)) {
          for (const [m, v] of Object.entries(values as Record<string, number>)) {
            const series = stats[feature]?.[m];
            if (series && series.length > 0) series[series.length - 1] = v;
          }
        }
      }
    },
  };

  /** The optimizer of the FSDP run in progress (the shards' owner). */
  let sharded: ShardedOptimizer | undefined;

  const ddpReducer = (): GradientReducer => {
    let buckets: Bucket[] | undefined;
    return async (grads) => {
      buckets ??= await checkedPlan(grads);
      const out: tf.NamedTensorMap = {};
      const unpack = (bucket: Bucket, flat: Float32Array) => {
        for (const s of bucket.slots) {
          out[s.name] = tf.tensor(flat.subarray(s.offset, s.offset + s.size), s.shape);
        }
      };
      // One all-reduce in flight (MPI orders collectives per communicator) while the next
      // bucket is copied out of its gradients: communication overlaps the host-side copies.
      let inFlight: { bucket: Bucket; flat: Float32Array; done: Promise<void> } | undefined;
      for (const bucket of buckets) {
        const flat = new Float32Array(bucket.length);
        fill(flat, bucket, grads, weight);
        if (inFlight) {
          await inFlight.done;
          unpack(inFlight.bucket, inFlight.flat);
        }
        inFlight = { bucket, flat, done: guarded("MPI_Allreduce", () => mpi.allreduce(flat)) };
      }
      if (inFlight) {
        await inFlight.done;
        unpack(inFlight.bucket, inFlight.flat);
      }
      // The gradients' own order (the engine's registration order, as one process applies
      // them): tfjs's Adam keeps its moments by position, so checkpoints stay interchangeable.
      return Object.fromEntries(Object.keys(grads).map((name) => [name, out[name]]));
    };
  };

  /** Buckets, after checking every rank has the same gradient layout. */
  const checkedPlan = async (grads: tf.NamedTensorMap): Promise<Bucket[]> => {
    const buckets = planBuckets(grads, bucketBytes);
    const total = buckets.reduce((n, b) => n + b.length, 0);
    const check = new Float64Array([total, -total, Object.keys(grads).length]);
    const mine = check.slice();
    await guarded("MPI_Allreduce", () => mpi.allreduce(check, "max"));
    if (check[0] !== mine[0] || check[1] !== mine[1] || check[2] !== mine[2]) {
      fail(
        new MpiError(
          `the ranks' models differ: this rank has ${total} trainable elements in ${mine[2]} ` +
            `variables, another has ${check[0] === total ? -check[1] : check[0]}`,
        ),
      );
    }
    return buckets;
  };

  const fsdpReducer = (optimizer: tf.Optimizer): GradientReducer => {
    if (!ShardedOptimizer.is(optimizer)) {
      throw new MpiError(
        "fsdp trains with the optimizer of TrainDistribution.createOptimizer (it owns the shards)",
      );
    }
    return async (grads) => {
      try {
        return await optimizer.reduce(grads, weight);
      } catch (error) {
        return fail(error);
      }
    };
  };

  return {
    mpi,
    rank,
    workers,
    strategy: options.strategy,
    learningRateScale: learningRateScale(config.trainer.learning_rate_scaling, workers),
    shard(globalRows) {
      const rows = shardRows(globalRows, rank, workers);
      if (rows.length > 0) {
        weight = rows.length / globalRows.length;
        return rows;
      }
      // Fewer rows than ranks: this rank runs one row with weight 0 to join the collective.
      weight = 0;
      return globalRows.subarray(0, 1);
    },
    createOptimizer(optimizerConfig, learningRate, model) {
      if (options.strategy !== "fsdp") return createOptimizer(optimizerConfig, learningRate);
      sharded = new ShardedOptimizer({
        mpi,
        collective: guarded,
        config: { ...config, trainer: { ...config.trainer, optimizer: optimizerConfig } },
        learningRate,
        model,
        bucketBytes,
      });
      return sharded;
    },
    async gatherParameters() {
      if (!sharded) return;
      try {
        await sharded.gather();
      } catch (error) {
        fail(error);
      }
    },
    gradientReducer(optimizer) {
      const reduce = options.strategy === "fsdp" ? fsdpReducer(optimizer) : ddpReducer();
      return async (grads) => {
        const out = await reduce(grads);
        // Buffers (batch-norm statistics) follow rank 0's, as PyTorch DDP's broadcast_buffers.
        if (buffers.length > 0) await broadcastTensors(buffers);
        return out;
      };
    },
    async agree(value) {
      const buffer = new Float64Array([value]);
      await guarded("MPI_Bcast", () => mpi.broadcast(buffer, 0));
      return buffer[0];
    },
    callbacks: [metricAgreement],
    async broadcastWeights(model) {
      buffers = model.nonTrainableWeights;
      await broadcastTensors([...model.trainableWeights, ...model.nonTrainableWeights]);
    },
    async optimizerStateElements(optimizer) {
      if (ShardedOptimizer.is(optimizer)) return await optimizer.stateElements();
      const weights = await optimizer.getWeights();
      return weights.reduce((sum, w) => sum + w.tensor.size, 0);
    },
    async memory(optimizer, model) {
      const optimizerBytes = 4 * await this.optimizerStateElements(optimizer);
      if (ShardedOptimizer.is(optimizer)) {
        return { parameterBytes: optimizer.parameterBytes(), optimizerBytes };
      }
      const parameterBytes = model.trainableWeights.reduce(
        (n, w) => n + (w.read().isDisposed ? 0 : 4 * w.read().size),
        0,
      );
      return { parameterBytes, optimizerBytes };
    },
    get communicationSeconds() {
      return communication / 1000;
    },
    fail,
  };
}
