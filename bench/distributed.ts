/**
 * Distributed training benchmark: `deno run -A bench/distributed.ts [w1] [w4] [allreduce] [memory]`
 * `[--rows 100000] [--w4-rows 64] [--epochs 1] [--hidden 768] [--layers 12]`.
 *
 * - `w1`: W1 (bench/workloads.ts) through the API at 1 rank (batch 256) and at 2 ranks under
 *   `mpirun -np 2` (DDP, batch 128 per worker: the same global batch, so the same steps);
 *   seconds per epoch, global steps/s and the scaling efficiency (ideal 2×).
 * - `w4`: W4 (bench/w4.ts: MobileNetV2 fine-tuned on 224×224 images) at 1 rank (batch 32) and
 *   2 ranks (DDP, batch 16 per worker), on `--w4-rows` images (64 by default: W4 is slow on CPU).
 * - `allreduce`: 16 MB float32 `MPI_Allreduce` between 2 ranks (median of 10), algorithm
 *   bandwidth in GB/s.
 * - `memory`: a BERT-shaped tf.layers model (embeddings 30522 × H, L layers of attention and
 *   feed-forward projections, layer norms; BERT-base with the defaults), three DDP and three
 *   FSDP steps with Adam through the real distribution (gather, reduce, update): per-rank bytes
 *   of parameters and optimizer state held between steps, and every live tensor's bytes.
 *
 * Prints one JSON line per measurement. The machine this runs on is shared: timings taken
 * while other work runs are indicative only.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    role: { type: "string" },
    workers: { type: "string", default: "1" },
    strategy: { type: "string", default: "ddp" },
    rows: { type: "string", default: "100000" },
    "w4-rows": { type: "string", default: "64" },
    epochs: { type: "string", default: "1" },
    hidden: { type: "string", default: "768" },
    layers: { type: "string", default: "12" },
  },
});

const SCRIPT = fileURLToPath(import.meta.url);
const CONFIG = fileURLToPath(new URL("../deno.json", import.meta.url));
const decoder = new TextDecoder();

function print(line: Record<string, unknown>) {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(line) + "\n"));
}

async function child(ranks: number, args: string[]): Promise<Record<string, unknown>[]> {
  const deno = [Deno.execPath(), "run", "-A", "--config", CONFIG, SCRIPT, ...args];
  const [cmd, ...rest] = ranks > 1 ? ["mpirun", "-np", String(ranks), ...deno] : deno;
  const out = await new Deno.Command(cmd, {
    args: rest,
    env: {
      OMPI_ALLOW_RUN_AS_ROOT: "1",
      OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1",
      // Ranks share the cores, as `sonata train` sets it.
      SONATA_BLAS_THREADS: Deno.env.get("SONATA_BLAS_THREADS") ??
        String(Math.max(1, Math.floor((navigator.hardwareConcurrency ?? 1) / ranks))),
    },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(1800_000),
  }).output();
  if (!out.success) throw new Error(`${cmd} failed: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout).trim().split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l)
  );
}

async function w1Rank() {
  const { Model } = await import("../lib/api.ts");
  const { Dataset } = await import("../lib/data/dataset.ts");
  const { distributionFor, processRank } = await import("../lib/distributed/mod.ts");
  const { w1Columns, w1Config } = await import("./workloads.ts");
  const workers = Number(values.workers);
  const epochs = Number(values.epochs);
  const config = w1Config(epochs) as Record<string, Record<string, unknown>>;
  config.trainer.batch_size = 256 / workers;
  config.backend = workers > 1 ? { type: "mpi", trainer: { num_workers: workers } } : {};
  const model = await Model.create(config as never);
  const { steps, seconds } = await timedTrain(
    model,
    Dataset.fromColumns(w1Columns(Number(values.rows))),
  );
  if (processRank() === 0) {
    print({
      workers,
      steps,
      seconds_per_epoch: seconds / epochs,
      steps_per_second: steps / seconds,
      // Time in collectives, waiting for the other rank included.
      communication_seconds: distributionFor(model.config)?.communicationSeconds ?? 0,
    });
  }
}

/** Trains `model` on `dataset`, timing from the first step's start to the last step's end. */
async function timedTrain(
  model: { train(options: Record<string, unknown>): Promise<unknown> },
  dataset: unknown,
): Promise<{ steps: number; seconds: number }> {
  let start = 0;
  let last = 0;
  let steps = 0;
  await model.train({
    dataset,
    skip_save_all: true,
    progress: false,
    callbacks: [{
      onTrainBegin: () => {
        start = performance.now();
      },
      onBatchEnd: () => {
        last = performance.now();
        steps++;
      },
    }],
  });
  return { steps, seconds: (last - start) / 1000 };
}

async function w4Rank() {
  const { Model } = await import("../lib/api.ts");
  const { Dataset } = await import("../lib/data/dataset.ts");
  const { distributionFor, processRank } = await import("../lib/distributed/mod.ts");
  const { w4Columns } = await import("./w4.ts");
  const workers = Number(values.workers);
  const model = await Model.create({
    input_features: [{
      name: "image",
      type: "image",
      encoder: { type: "mobilenetv2", use_pretrained: false, trainable: true },
    }],
    output_features: [{ name: "label", type: "category" }],
    trainer: {
      epochs: 1,
      batch_size: 32 / workers,
      learning_rate: 0.0001,
      optimizer: { type: "adam" },
    },
    backend: workers > 1 ? { type: "mpi", trainer: { num_workers: workers } } : {},
  } as never);
  const { steps, seconds } = await timedTrain(
    model,
    Dataset.fromColumns(await w4Columns(Number(values["w4-rows"]))),
  );
  if (processRank() === 0) {
    print({
      workers,
      steps,
      seconds_per_epoch: seconds,
      communication_seconds: distributionFor(model.config)?.communicationSeconds ?? 0,
    });
  }
}

async function allreduceRank() {
  const { openMpi } = await import("../lib/distributed/mpi.ts");
  const mpi = openMpi();
  const buffer = new Float32Array(4 * 1024 * 1024);
  buffer.fill(mpi.rank + 1);
  await mpi.allreduce(buffer); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    await mpi.barrier();
    const t = performance.now();
    await mpi.allreduce(buffer);
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  const median = times[5];
  if (mpi.rank === 0) {
    print({
      measure: "allreduce_16MB",
      ranks: mpi.size,
      flavor: mpi.flavor,
      median_seconds: median,
      algorithm_gb_per_second: buffer.byteLength / median / 1e9,
    });
  }
  mpi.finalize();
}

/**
 * A BERT-shaped tf.layers model: word (30522 × H), position (512 × H) and token-type (2 × H)
 * embeddings and their layer norm, L layers of query/key/value/output projections (H × H), a
 * layer norm, the feed-forward pair (H × 4H, 4H × H) and a layer norm, then the pooler (H × H)
 * and a one-unit head. The attention itself is simplified (the projections are summed): the
 * parameters, their gradients and the optimizer state have BERT's shapes, which is what the
 * memory measurement is about.
 */
// deno-lint-ignore no-explicit-any
function bertShaped(tf: any, hidden: number, layers: number, seq: number) {
  const h = hidden;
  const ids = tf.input({ shape: [seq], dtype: "int32", name: "ids" });
  const positions = tf.input({ shape: [seq], dtype: "int32", name: "positions" });
  const types = tf.input({ shape: [seq], dtype: "int32", name: "types" });
  const embed = (n: number, name: string, x: unknown) =>
    tf.layers.embedding({ inputDim: n, outputDim: h, name }).apply(x);
  let x = tf.layers.add().apply([
    embed(30522, "word", ids),
    embed(512, "position", positions),
    embed(2, "token_type", types),
  ]);
  x = tf.layers.layerNormalization({ name: "embeddings_norm" }).apply(x);
  const dense = (units: number, name: string, input: unknown, activation?: string) =>
    tf.layers.dense({ units, name, activation }).apply(input);
  for (let l = 0; l < layers; l++) {
    const qkv = ["query", "key", "value"].map((p) => dense(h, `layer${l}_${p}`, x));
    const attention = dense(h, `layer${l}_attention_output`, tf.layers.add().apply(qkv));
    x = tf.layers.layerNormalization({ name: `layer${l}_attention_norm` })
      .apply(tf.layers.add().apply([x, attention]));
    const ff = dense(h, `layer${l}_output`, dense(4 * h, `layer${l}_intermediate`, x, "relu"));
    x = tf.layers.layerNormalization({ name: `layer${l}_output_norm` })
      .apply(tf.layers.add().apply([x, ff]));
  }
  const pooled = dense(h, "pooler", tf.layers.globalAveragePooling1d().apply(x), "tanh");
  const out = dense(1, "head", pooled);
  return tf.model({ inputs: [ids, positions, types], outputs: out });
}

async function memoryRank() {
  const { tf, ready } = await import("../lib/compute/mod.ts");
  const { resolveConfigValue } = await import("../lib/config/load.ts");
  const { createDistribution, openMpi } = await import("../lib/distributed/mod.ts");
  await ready({ compute: "auto", quiet: true });
  const mpi = openMpi();
  const strategy = values.strategy === "fsdp" ? "fsdp" : "ddp";
  const config = resolveConfigValue({
    input_features: [{ name: "x", type: "number" }],
    output_features: [{ name: "y", type: "number" }],
    backend: { type: "mpi", trainer: { strategy, num_workers: mpi.size } },
  }).config;
  const seq = 16;
  const batch = 2 * mpi.size;
  const model = bertShaped(tf, Number(values.hidden), Number(values.layers), seq);
  const parameters = model.countParams();
  const dist = createDistribution(mpi, config, { strategy });
  await dist.broadcastWeights(model);
  const optimizer = dist.createOptimizer(config.trainer.optimizer, 1e-4, model);
  const reduce = dist.gradientReducer(optimizer);
  const inputs = [
    tf.tensor2d(
      Array.from({ length: batch * seq }, (_, i) => (i * 7919) % 30522),
      [batch, seq],
      "int32",
    ),
    tf.tensor2d(Array.from({ length: batch * seq }, (_, i) => i % seq), [batch, seq], "int32"),
    tf.tensor2d(Array.from({ length: batch * seq }, (_, i) => i % 2), [batch, seq], "int32"),
  ];
  const steps = 3;
  const seconds: number[] = [];
  let peak = 0;
  for (let s = 0; s < steps; s++) {
    const t = performance.now();
    await dist.gatherParameters();
    dist.shard(Int32Array.from({ length: batch }, (_, i) => i));
    const { value, grads } = tf.variableGrads(() =>
      tf.tidy(() => (model.apply(inputs) as ReturnType<typeof tf.zeros>).square().mean())
    );
    peak = Math.max(peak, tf.memory().numBytes);
    value.dispose();
    const reduced = await reduce(grads);
    for (const [name, g] of Object.entries(grads)) if (reduced[name] !== g) g.dispose();
    optimizer.applyGradients(reduced);
    tf.dispose(Object.values(reduced));
    seconds.push((performance.now() - t) / 1000);
  }
  // Between two steps: what this rank keeps.
  const held = await dist.memory(optimizer, model);
  const lines = new Float64Array([
    parameters,
    held.parameterBytes,
    held.optimizerBytes,
    tf.memory().numBytes,
    peak,
    seconds[steps - 1],
  ]);
  const all = new Float64Array(lines.length * mpi.size);
  await mpi.allgather(lines, all);
  if (mpi.rank === 0) {
    for (let r = 0; r < mpi.size; r++) {
      const [p, pb, ob, total, top, secs] = all.subarray(r * lines.length, (r + 1) * lines.length);
      print({
        measure: "memory",
        model: `bert-shaped tf.layers H=${values.hidden} L=${values.layers} (Adam)`,
        strategy,
        rank: r,
        ranks: mpi.size,
        parameters: p,
        // Held between steps (FSDP: the shard; the full weights exist only within a step).
        parameters_mb: pb / 1e6,
        optimizer_state_mb: ob / 1e6,
        parameters_and_optimizer_mb: (pb + ob) / 1e6,
        // Every live tensor of the rank between steps (includes the batch's inputs).
        all_tensors_mb: total / 1e6,
        // Live tensors right after a backward pass (full parameters and gradients).
        step_peak_tensors_mb: top / 1e6,
        step_seconds: secs,
      });
    }
  }
  mpi.finalize();
}

if (values.role === "w1") await w1Rank();
else if (values.role === "w4") await w4Rank();
else if (values.role === "allreduce") await allreduceRank();
else if (values.role === "memory") await memoryRank();
else {
  const which = positionals.length ? positionals : ["w1", "w4", "allreduce", "memory"];
  const common = ["--rows", values.rows, "--epochs", values.epochs];
  if (which.includes("w1")) {
    const [one] = await child(1, ["--role", "w1", "--workers", "1", ...common]);
    const [two] = await child(2, ["--role", "w1", "--workers", "2", ...common]);
    const speedup = (one.seconds_per_epoch as number) / (two.seconds_per_epoch as number);
    print({
      workload: "W1 DDP scaling (shared 2-core machine: indicative)",
      rows: Number(values.rows),
      one_rank: one,
      two_ranks: two,
      speedup,
      efficiency: speedup / 2,
    });
  }
  if (which.includes("w4")) {
    const rows = ["--w4-rows", values["w4-rows"]];
    const [one] = await child(1, ["--role", "w4", "--workers", "1", ...rows]);
    const [two] = await child(2, ["--role", "w4", "--workers", "2", ...rows]);
    const speedup = (one.seconds_per_epoch as number) / (two.seconds_per_epoch as number);
    print({
      workload: "W4 DDP scaling (shared 2-core machine: indicative)",
      rows: Number(values["w4-rows"]),
      one_rank: one,
      two_ranks: two,
      speedup,
      efficiency: speedup / 2,
    });
  }
  if (which.includes("allreduce")) {
    for (const l of await child(2, ["--role", "allreduce"])) print(l);
  }
  if (which.includes("memory")) {
    const shape = ["--hidden", values.hidden, "--layers", values.layers];
    for (const strategy of ["ddp", "fsdp"]) {
      for (const l of await child(2, ["--role", "memory", "--strategy", strategy, ...shape])) {
        print(l);
      }
    }
  }
}
