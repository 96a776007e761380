/**
 * FSDP's sharded parameters and optimizer: the {@linkcode ShardedOptimizer} a distributed
 * trainer uses as its optimizer with `strategy: fsdp`.
 *
 * What each rank holds persistently, and what only transiently:
 *
 * - Persistent: for every bucket (the model's trainable weights, sorted by name, flattened and
 *   padded to `shard × N` elements) this rank's `shard` elements as one 1-D variable, and the
 *   optimizer state of those elements only (an inner optimizer of the configured type, whose
 *   variables are the shards).
 * - Transient: the full parameters. {@linkcode ShardedOptimizer.gather} all-gathers the shards
 *   and re-creates every trainable weight's `tf.Variable` (the layers' `LayerVariable`s keep
 *   their objects, only the tensor behind them is new); {@linkcode ShardedOptimizer.reduce}
 *   copies the step's gradients into reduce-scatter buffers and then disposes those variables
 *   (their memory is freed) before reducing, so between steps a rank holds 1/N of the
 *   parameters. Evaluation, checkpoints and the end of training gather them again first.
 * - Checkpoints stay in the single-process format: {@linkcode ShardedOptimizer.gatherState}
 *   gathers the optimizer state on rank 0 as `<weight>/<slot>` tensors of the weights' shapes
 *   (the names and order one process's optimizer has), which `getWeights` then returns there;
 *   `setWeights` takes that format (a resumed run, of any worker count) and keeps this rank's
 *   shard of it.
 *
 * Not sharded: non-trainable weights (batch-norm statistics, frozen layers), which every rank
 * keeps whole, and the trainer's copy of the best weights so far.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import type { ModelConfig } from "../config/model.ts";
import { createOptimizer, type Optimizer } from "../train/optimizers.ts";
import { type Mpi, MpiError } from "./mpi.ts";

type NamedTensor = { name: string; tensor: tf.Tensor };

/** A collective run under the distribution's watchdog. */
export type Collective = (what: string, run: () => Promise<void>) => Promise<void>;

interface Param {
  name: string;
  shape: number[];
  size: number;
  /** Offset in the bucket's flattened elements. */
  offset: number;
  layer: tf.LayerVariable;
}

interface Bucket {
  params: Param[];
  /** Elements (unpadded). */
  length: number;
  /** Elements per rank (the padded bucket is shard × workers). */
  shard: number;
  /** This rank's shard of the flattened parameters. */
  variable: tf.Variable;
}

/** Options of {@linkcode ShardedOptimizer}. */
export interface ShardOptions {
  readonly mpi: Mpi;
  readonly collective: Collective;
  readonly config: ModelConfig;
  readonly learningRate: number;
  readonly model: tf.LayersModel;
  readonly bucketBytes: number;
}

/** The tf.Variable behind a LayerVariable (tfjs-layers keeps it in `val`). */
function holder(layer: tf.LayerVariable): { val: tf.Variable } {
  return layer as unknown as { val: tf.Variable };
}

let shardCounter = 0;

/** FSDP's optimizer: owns the parameter shards, their optimizer state and the full weights. */
export class ShardedOptimizer extends tf.Optimizer {
  /** The class name used by tfjs serialization. */
  static get className(): string {
    return "SonataShardedOptimizer";
  }

  readonly #o: ShardOptions;
  #lr: number;
  #buckets?: Bucket[];
  /** Trainable weight names in the engine's registration order (one process's order). */
  #order: string[] = [];
  #inner?: Optimizer;
  #materialized = true;
  #disposed = false;
  /** Full-format optimizer state to shard once the buckets exist (a resumed run). */
  #pending?: NamedTensor[];
  /** Rank 0: the full-format state of the last {@linkcode gatherState}, until the next step. */
  #gathered?: NamedTensor[];

  /** Shards `options.model`'s trainable weights over `options.mpi`'s ranks. */
  constructor(options: ShardOptions) {
    super();
    this.#o = options;
    this.#lr = options.learningRate;
  }

  /** Whether `x` is one (tfjs's Optimizer answers `instanceof` by duck typing). */
  static is(x: unknown): x is ShardedOptimizer {
    return typeof x === "object" && x !== null && #lr in x;
  }

  /** Sets the learning rate of the next steps. */
  setLearningRate(learningRate: number): void {
    this.#lr = learningRate;
  }

  /** The learning rate of the next step. */
  getLearningRate(): number {
    return this.#lr;
  }

  /** Whether the full parameters are materialized now. */
  get materialized(): boolean {
    return this.#materialized;
  }

  /** The buckets: planned, and checked against the other ranks, on first use. */
  async #init(): Promise<Bucket[]> {
    if (this.#buckets) return this.#buckets;
    const { mpi, model, bucketBytes } = this.#o;
    const seen = new Set<string>();
    const layers = model.trainableWeights.filter((w) => !seen.has(w.name) && seen.add(w.name));
    layers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const planned: Array<{ params: Param[]; length: number }> = [];
    let current: { params: Param[]; length: number } = { params: [], length: 0 };
    for (const layer of layers) {
      if (layer.dtype !== "float32") continue;
      const size = layer.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      if (current.length > 0 && (current.length + size) * 4 > bucketBytes) {
        planned.push(current);
        current = { params: [], length: 0 };
      }
      current.params.push({
        name: layer.name,
        shape: layer.shape as number[],
        size,
        offset: current.length,
        layer,
      });
      current.length += size;
    }
    if (current.length > 0) planned.push(current);
    const total = planned.reduce((n, b) => n + b.length, 0);
    const count = planned.reduce((n, b) => n + b.params.length, 0);
    const check = new Float64Array([total, -total, count, -count]);
    await this.#o.collective("MPI_Allreduce", () => mpi.allreduce(check, "max"));
    if (check[0] !== -check[1] || check[2] !== -check[3]) {
      throw new MpiError(
        `the ranks' models differ: this rank has ${total} trainable elements in ${count} ` +
          `weights, another has ${check[0] === total ? -check[1] : check[0]}`,
      );
    }
    const names = new Set(planned.flatMap((b) => b.params.map((p) => p.name)));
    this.#order = Object.keys(tf.engine().registeredVariables).filter((n) => names.has(n));
    const { rank, size: workers } = mpi;
    this.#buckets = planned.map(({ params, length }) => {
      const shard = Math.ceil(length / workers);
      const values = new Float32Array(shard);
      const start = rank * shard;
      for (const p of params) {
        const lo = Math.max(start, p.offset);
        const hi = Math.min(start + shard, p.offset + p.size);
        if (lo >= hi) continue;
        const data = p.layer.read().dataSync() as Float32Array;
        values.set(data.subarray(lo - p.offset, hi - p.offset), lo - start);
      }
      const initial = tf.tensor1d(values);
      const variable = tf.variable(initial, false, `fsdp_shard_${shardCounter++}_rank${rank}`);
      initial.dispose();
      return { params, length, shard, variable };
    });
    this.#inner = createOptimizer(this.#o.config.trainer.optimizer, this.#lr);
    if (this.#pending) {
      const shards = this.#toShards(this.#buckets, this.#pending);
      try {
        await this.#inner.setWeights(shards);
      } finally {
        tf.dispose(shards.map((w) => w.tensor));
        tf.dispose(this.#pending.map((w) => w.tensor));
        this.#pending = undefined;
      }
    }
    return this.#buckets;
  }

  /** All-gathers the shards into the model's trainable weights (a no-op when they are whole). */
  async gather(): Promise<void> {
    if (this.#disposed) return;
    const buckets = await this.#init();
    this.#dropGathered();
    if (this.#materialized) return;
    const { mpi, collective } = this.#o;
    for (const b of buckets) {
      const full = new Float32Array(b.shard * mpi.size);
      const mine = b.variable.dataSync() as Float32Array;
      await collective("MPI_Allgather", () => mpi.allgather(mine, full));
      for (const p of b.params) {
        const value = tf.tensor(full.subarray(p.offset, p.offset + p.size), p.shape);
        holder(p.layer).val = tf.variable(value, p.layer.trainable, p.name, "float32");
        value.dispose();
      }
    }
    this.#materialized = true;
  }

  /** Frees the full parameters (their variables are disposed; the layers keep their objects). */
  #release(buckets: Bucket[]): void {
    for (const b of buckets) for (const p of b.params) holder(p.layer).val.dispose();
    this.#materialized = false;
  }

  /**
   * The step's reduction and update: copies the gradients (scaled by `weight`, this rank's share
   * of the global batch) into reduce-scatter buffers, frees the full parameters, reduce-scatters,
   * clips with globally reduced norms (Ludwig's clip_grads) and updates this rank's shards.
   * Returns no gradients: the update is done.
   */
  async reduce(grads: tf.NamedTensorMap, weight: number): Promise<tf.NamedTensorMap> {
    const buckets = await this.#init();
    if (!this.#materialized) {
      throw new MpiError("fsdp: the parameters were not gathered before the forward pass");
    }
    const known = new Set(buckets.flatMap((b) => b.params.map((p) => p.name)));
    const stray = Object.keys(grads).find((n) => !known.has(n));
    if (stray !== undefined) {
      throw new MpiError(
        `fsdp shards the trained model's float32 trainable weights; "${stray}" is not one of them`,
      );
    }
    const { mpi, collective, config } = this.#o;
    const sends = buckets.map((b) => {
      const send = new Float32Array(b.shard * mpi.size);
      for (const p of b.params) {
        const g = grads[p.name];
        if (!g) continue; // unused weight: a zero gradient
        const values = g.dataSync() as Float32Array;
        if (weight === 1) send.set(values, p.offset);
        else for (let i = 0; i < p.size; i++) send[p.offset + i] = values[i] * weight;
      }
      return send;
    });
    this.#release(buckets);
    const shardGrads: Float32Array[] = [];
    for (const [i, b] of buckets.entries()) {
      const receive = new Float32Array(b.shard);
      await collective("MPI_Reduce_scatter_block", () => mpi.reduceScatterBlock(sends[i], receive));
      shardGrads.push(receive);
    }
    const clipping = config.trainer.gradient_clipping;
    for (const max of [clipping.clipglobalnorm, clipping.clipnorm]) {
      if (!max) continue;
      let ss = 0;
      for (const g of shardGrads) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
      const total = new Float64Array([ss]);
      await collective("MPI_Allreduce", () => mpi.allreduce(total, "sum"));
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
    const inner = this.#inner!;
    inner.setLearningRate(this.#lr);
    const update: tf.NamedTensorMap = {};
    buckets.forEach((b, i) => update[b.variable.name] = tf.tensor1d(shardGrads[i]));
    inner.applyGradients(update);
    tf.dispose(Object.values(update));
    this.incrementIterations();
    return {};
  }

  /** The trainer's update: FSDP's reduction already applied it, so only `{}` is accepted. */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const n = Array.isArray(variableGradients)
      ? variableGradients.length
      : Object.keys(variableGradients).length;
    if (n > 0) {
      throw new TypeError(
        "Cannot apply gradients: fsdp updates the shards in its reduction (ShardedOptimizer.reduce)",
      );
    }
  }

  /**
   * Gathers the optimizer state on rank 0 in one process's format (a collective: every rank
   * calls it). Rank 0's {@linkcode getWeights} returns it until the next step.
   */
  async gatherState(): Promise<void> {
    if (this.#disposed) return;
    const buckets = await this.#init();
    this.#dropGathered();
    const { mpi, collective } = this.#o;
    const byShard = new Map(buckets.map((b) => [b.variable.name, b]));
    const weights = await this.#inner!.getWeights();
    const root = mpi.rank === 0;
    const passed: NamedTensor[] = [];
    const suffixes: string[] = [];
    const values = new Map<string, tf.Tensor>();
    for (const w of weights) {
      const cut = w.name.lastIndexOf("/");
      const bucket = cut > 0 ? byShard.get(w.name.slice(0, cut)) : undefined;
      if (!bucket) {
        if (root) passed.push({ name: w.name, tensor: w.tensor.clone() });
        continue;
      }
      const suffix = w.name.slice(cut + 1);
      if (!suffixes.includes(suffix)) suffixes.push(suffix);
      if (w.tensor.rank === 0) {
        if (root) {
          for (const p of bucket.params) values.set(`${p.name}/${suffix}`, w.tensor.clone());
        }
        continue;
      }
      const send = w.tensor.dataSync() as Float32Array;
      const full = new Float32Array(root ? bucket.shard * mpi.size : 0);
      await collective("MPI_Gather", () => mpi.gather(send, full, 0));
      if (!root) continue;
      for (const p of bucket.params) {
        values.set(
          `${p.name}/${suffix}`,
          tf.tensor(full.subarray(p.offset, p.offset + p.size), p.shape),
        );
      }
    }
    if (!root) return;
    // One process's layout: pass-through entries (the iteration count), then per slot every
    // weight in registration order (tfjs's Adam restores its moments by position).
    const out = [...passed];
    for (const suffix of suffixes) {
      for (const name of this.#order) {
        const tensor = values.get(`${name}/${suffix}`);
        if (tensor) out.push({ name: `${name}/${suffix}`, tensor });
      }
    }
    this.#gathered = out;
  }

  #dropGathered(): void {
    if (this.#gathered) tf.dispose(this.#gathered.map((w) => w.tensor));
    this.#gathered = undefined;
  }

  /** This rank's shard of a one-process state (`<weight>/<slot>` tensors, the iteration count). */
  #toShards(buckets: Bucket[], full: NamedTensor[]): NamedTensor[] {
    const { rank } = this.#o.mpi;
    const byName = new Map(full.map((w) => [w.name, w.tensor]));
    const owner = new Map<string, Bucket>();
    for (const b of buckets) for (const p of b.params) owner.set(p.name, b);
    const passed: NamedTensor[] = [];
    const suffixes: string[] = [];
    for (const w of full) {
      const cut = w.name.lastIndexOf("/");
      if (cut > 0 && owner.has(w.name.slice(0, cut))) {
        const suffix = w.name.slice(cut + 1);
        if (!suffixes.includes(suffix)) suffixes.push(suffix);
      } else passed.push({ name: w.name, tensor: w.tensor.clone() });
    }
    const out = [...passed];
    for (const suffix of suffixes) {
      for (const b of buckets) {
        const name = `${b.variable.name}/${suffix}`;
        const first = byName.get(`${b.params[0].name}/${suffix}`);
        if (first && first.rank === 0) {
          out.push({ name, tensor: first.clone() });
          continue;
        }
        const values = new Float32Array(b.shard);
        const start = rank * b.shard;
        for (const p of b.params) {
          const t = byName.get(`${p.name}/${suffix}`);
          if (!t || t.size !== p.size) {
            throw new TypeError(
              `Cannot restore optimizer state: missing "${p.name}/${suffix}" of shape [${p.shape}]`,
            );
          }
          const lo = Math.max(start, p.offset);
          const hi = Math.min(start + b.shard, p.offset + p.size);
          if (lo >= hi) continue;
          const data = t.dataSync() as Float32Array;
          values.set(data.subarray(lo - p.offset, hi - p.offset), lo - start);
        }
        out.push({ name, tensor: tf.tensor1d(values) });
      }
    }
    return out;
  }

  /**
   * Rank 0 after {@linkcode gatherState}: the optimizer state in one process's format (what a
   * checkpoint stores). Valid until the next step.
   */
  override getWeights(): Promise<NamedTensor[]> {
    if (this.#gathered) return Promise.resolve([...this.#gathered]);
    if (this.#pending && !this.#buckets) return Promise.resolve([...this.#pending]);
    throw new MpiError(
      "fsdp: the optimizer state is sharded; gather it on every rank first (gatherState)",
    );
  }

  /** Takes one process's optimizer state (a checkpoint of any worker count); kept sharded. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (this.#pending) tf.dispose(this.#pending.map((w) => w.tensor));
    this.#pending = weightValues.map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
    if (this.#buckets) {
      const shards = this.#toShards(this.#buckets, this.#pending);
      try {
        await this.#inner!.setWeights(shards);
      } finally {
        tf.dispose(shards.map((w) => w.tensor));
        tf.dispose(this.#pending.map((w) => w.tensor));
        this.#pending = undefined;
      }
    }
  }

  /** Elements of optimizer state this rank holds (its shards'). */
  async stateElements(): Promise<number> {
    if (!this.#inner) return 0;
    const weights = await this.#inner.getWeights();
    return weights.reduce((n, w) => n + w.tensor.size, 0);
  }

  /** Bytes of parameters this rank holds now: its shards, plus the full weights when gathered. */
  parameterBytes(): number {
    const buckets = this.#buckets ?? [];
    let bytes = 0;
    for (const b of buckets) {
      bytes += b.variable.size * 4;
      for (const p of b.params) if (!holder(p.layer).val.isDisposed) bytes += p.size * 4;
    }
    return bytes;
  }

  /** Frees the shards and their optimizer state (the model keeps its gathered weights). */
  override dispose(): void {
    this.#disposed = true;
    this.#dropGathered();
    if (this.#pending) tf.dispose(this.#pending.map((w) => w.tensor));
    this.#pending = undefined;
    this.#inner?.dispose();
    for (const b of this.#buckets ?? []) b.variable.dispose();
    this.#buckets = undefined;
    super.dispose();
  }

  /** The config of the optimizer the shards run. */
  getConfig(): tf.serialization.ConfigDict {
    return { ...this.#o.config.trainer.optimizer, learningRate: this.#lr } as never;
  }
}
