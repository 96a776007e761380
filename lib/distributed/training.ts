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
 * - FSDP: every bucket (a flattened parameter group) is split into N equal shards; gradients are
 *   reduce-scattered, clipped with globally all-reduced norms, and each rank's optimizer updates
 *   only its shard (so its optimizer state holds 1/N of the elements); the updated shards are
 *   all-gathered back into the model's variables for the next forward pass.
 * - Evaluation: every rank evaluates the full validation and test splits (identical weights); the
 *   metrics of each checkpoint are then averaged over ranks (training metrics differ per shard)
 *   so the policies (best weights, early stop, plateaus) decide identically everywhere.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import type { ModelConfig } from "../config/model.ts";
import type { TrainingCallback } from "../train/callbacks.ts";
import { createOptimizer, type Optimizer } from "../train/optimizers.ts";
import type { GradientReducer } from "../train/trainer.ts";
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

  let fsdpState: FsdpState | undefined;

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
      return out;
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

  const fsdpReducer = (stepOptimizer: tf.Optimizer): GradientReducer => {
    return async (grads) => {
      if (!fsdpState) {
        const buckets = await checkedPlan(grads);
        fsdpState = createFsdpState(buckets, workers, rank, config);
      }
      const st = fsdpState;
      // Reduce-scatter: each rank receives the summed gradient of its shard of every bucket.
      const shardGrads: Float32Array[] = [];
      for (const b of st.buckets) {
        const send = new Float32Array(b.shard * workers);
        fill(send, b.bucket, grads, weight);
        const receive = new Float32Array(b.shard);
        await guarded("MPI_Reduce_scatter_block", () => mpi.reduceScatterBlock(send, receive));
        shardGrads.push(receive);
      }
      // Clipping as Ludwig's clip_grads, with norms over every rank's shards.
      const clipping = config.trainer.gradient_clipping;
      for (const max of [clipping.clipglobalnorm, clipping.clipnorm]) {
        if (!max) continue;
        let ss = 0;
        for (const g of shardGrads) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
        const total = new Float64Array([ss]);
        await guarded("MPI_Allreduce", () => mpi.allreduce(total, "sum"));
        const coef = Math.min(max / (Math.sqrt(total[0]) + 1e-6), 1);
        if (coef >= 1) continue;
        for (const g of shardGrads) for (let i = 0; i < g.length; i++) g[i] = g[i] * coef;
      }
      if (clipping.clipvalue) {
        const v = clipping.clipvalue;
        for (const g of shardGrads) {
          for (let i = 0; i < g.length; i++) g[i] = Math.min(v, Math.max(-v, g[i]));
        }
      }
      // Each rank updates its shard with its own optimizer (1/N of the state).
      st.optimizer.setLearningRate((stepOptimizer as Optimizer).getLearningRate());
      const update: tf.NamedTensorMap = {};
      st.buckets.forEach((b, i) => update[b.variable.name] = tf.tensor1d(shardGrads[i]));
      st.optimizer.applyGradients(update);
      tf.dispose(Object.values(update));
      // All-gather the updated shards into the model's variables.
      for (const b of st.buckets) {
        const mine = b.variable.dataSync() as Float32Array;
        const full = new Float32Array(b.shard * workers);
        await guarded("MPI_Allgather", () => mpi.allgather(mine, full));
        for (const s of b.bucket.slots) {
          const variable = tf.engine().registeredVariables[s.name];
          tf.tidy(() => {
            variable.assign(tf.tensor(full.subarray(s.offset, s.offset + s.size), s.shape));
          });
        }
      }
      // The step's own optimizer gets nothing to apply: FSDP did the update.
      return {};
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
      const source = options.strategy === "fsdp" && fsdpState ? fsdpState.optimizer : optimizer;
      const weights = await source.getWeights();
      const n = weights.reduce((sum, w) => sum + w.tensor.size, 0);
      tf.dispose(weights.map((w) => w.tensor));
      return n;
    },
    get communicationSeconds() {
      return communication / 1000;
    },
    fail,
  };
}

interface FsdpBucket {
  bucket: Bucket;
  /** Elements per rank (the padded bucket is shard × workers). */
  shard: number;
  /** This rank's shard of the flattened parameters. */
  variable: tf.Variable;
}

interface FsdpState {
  buckets: FsdpBucket[];
  optimizer: Optimizer;
}

let shardCounter = 0;

function createFsdpState(
  buckets: Bucket[],
  workers: number,
  rank: number,
  config: ModelConfig,
): FsdpState {
  const out = buckets.map((bucket) => {
    const shard = Math.ceil(bucket.length / workers);
    const values = new Float32Array(shard);
    const start = rank * shard;
    for (const s of bucket.slots) {
      const lo = Math.max(start, s.offset);
      const hi = Math.min(start + shard, s.offset + s.size);
      if (lo >= hi) continue;
      const data = tf.engine().registeredVariables[s.name].dataSync() as Float32Array;
      values.set(data.subarray(lo - s.offset, hi - s.offset), lo - start);
    }
    const initial = tf.tensor1d(values);
    const variable = tf.variable(initial, false, `fsdp_shard_${shardCounter++}_rank${rank}`);
    initial.dispose();
    return { bucket, shard, variable };
  });
  return { buckets: out, optimizer: createOptimizer(config.trainer.optimizer, 0) };
}
