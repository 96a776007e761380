/**
 * Distributed training benchmark: `deno run -A bench/distributed.ts [w1] [allreduce] [memory]`
 * `[--rows 100000] [--epochs 1] [--hidden 768] [--layers 12]`.
 *
 * - `w1`: W1 (bench/workloads.ts) through the API at 1 rank (batch 256) and at 2 ranks under
 *   `mpirun -np 2` (DDP, batch 128 per worker: the same global batch, so the same steps);
 *   seconds per epoch, global steps/s and the scaling efficiency (ideal 2×).
 * - `allreduce`: 16 MB float32 `MPI_Allreduce` between 2 ranks (median of 10), algorithm
 *   bandwidth in GB/s.
 * - `memory`: a BERT-shaped parameter set (embeddings 30522 × H, L layers of attention and
 *   feed-forward, layer norms; BERT-base with the defaults), one DDP and one FSDP step with
 *   Adam through the real reducers: per-rank elements of parameters and optimizer state.
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
  let start = 0;
  let last = 0;
  let steps = 0;
  await model.train({
    dataset: Dataset.fromColumns(w1Columns(Number(values.rows))),
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
  if (processRank() === 0) {
    const seconds = (last - start) / 1000;
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

/** BERT's parameter shapes: embeddings, L × (attention, feed-forward, 2 layer norms), pooler. */
function bertShapes(hidden: number, layers: number): Record<string, number[]> {
  const h = hidden;
  const shapes: Record<string, number[]> = {
    "embeddings/word": [30522, h],
    "embeddings/position": [512, h],
    "embeddings/token_type": [2, h],
    "embeddings/norm_gamma": [h],
    "embeddings/norm_beta": [h],
    "pooler/kernel": [h, h],
    "pooler/bias": [h],
  };
  for (let l = 0; l < layers; l++) {
    for (const p of ["query", "key", "value", "output"]) {
      shapes[`layer${l}/attention/${p}/kernel`] = [h, h];
      shapes[`layer${l}/attention/${p}/bias`] = [h];
    }
    shapes[`layer${l}/intermediate/kernel`] = [h, 4 * h];
    shapes[`layer${l}/intermediate/bias`] = [4 * h];
    shapes[`layer${l}/output/kernel`] = [4 * h, h];
    shapes[`layer${l}/output/bias`] = [h];
    for (const n of ["attention_norm", "output_norm"]) {
      shapes[`layer${l}/${n}/gamma`] = [h];
      shapes[`layer${l}/${n}/beta`] = [h];
    }
  }
  return shapes;
}

async function memoryRank() {
  const { tf, ready } = await import("../lib/compute/mod.ts");
  const { resolveConfigValue } = await import("../lib/config/load.ts");
  const { createDistribution, openMpi } = await import("../lib/distributed/mod.ts");
  const { createOptimizer } = await import("../lib/train/optimizers.ts");
  await ready({ compute: "auto", quiet: true });
  const mpi = openMpi();
  const strategy = values.strategy === "fsdp" ? "fsdp" : "ddp";
  const config = resolveConfigValue({
    input_features: [{ name: "x", type: "number" }],
    output_features: [{ name: "y", type: "number" }],
    backend: { type: "mpi", trainer: { strategy, num_workers: mpi.size } },
  }).config;
  const shapes = bertShapes(Number(values.hidden), Number(values.layers));
  const variables = Object.entries(shapes).map(([name, shape]) =>
    tf.variable(tf.randomNormal(shape, 0, 0.02, "float32", 1), true, `bert/${name}`)
  );
  const parameters = variables.reduce((n, v) => n + v.size, 0);
  const dist = createDistribution(mpi, config, { strategy });
  const optimizer = createOptimizer(config.trainer.optimizer, 1e-4);
  const reduce = dist.gradientReducer(optimizer);
  const t = performance.now();
  const grads: Record<string, ReturnType<typeof tf.zeros>> = {};
  for (const v of variables) grads[v.name] = tf.fill(v.shape, 1e-3);
  dist.shard(Int32Array.from({ length: 2 * mpi.size }, (_, i) => i));
  const reduced = await reduce(grads);
  tf.dispose(Object.values(grads));
  optimizer.applyGradients(reduced);
  tf.dispose(Object.values(reduced));
  const seconds = (performance.now() - t) / 1000;
  const state = await dist.optimizerStateElements(optimizer);
  const lines = new Float64Array([parameters, state, seconds]);
  const all = new Float64Array(lines.length * mpi.size);
  await mpi.allgather(lines, all);
  if (mpi.rank === 0) {
    for (let r = 0; r < mpi.size; r++) {
      const [p, s, secs] = all.subarray(r * lines.length, (r + 1) * lines.length);
      print({
        measure: "memory",
        model: `bert-shaped H=${values.hidden} L=${values.layers}`,
        strategy,
        rank: r,
        ranks: mpi.size,
        parameters: p,
        optimizer_state_elements: s,
        // The model's variables stay whole on every rank (TF.js layers read them); FSDP
        // shards the optimizer state and the gradients' reduction.
        parameters_mb: (4 * p) / 1e6,
        optimizer_state_mb: (4 * s) / 1e6,
        // FSDP's own copy of the rank's shard of the parameters.
        shard_mb: strategy === "fsdp" ? (4 * Math.ceil(p / mpi.size)) / 1e6 : 0,
        step_seconds: secs,
      });
    }
  }
  mpi.finalize();
}

if (values.role === "w1") await w1Rank();
else if (values.role === "allreduce") await allreduceRank();
else if (values.role === "memory") await memoryRank();
else {
  const which = positionals.length ? positionals : ["w1", "allreduce", "memory"];
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
