import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { Model } from "../../lib/api.ts";
import { learningRateScale, shardRows } from "../../lib/distributed/mod.ts";
import { HAVE_MPI, mpirun, run } from "./_mpi.ts";

const here = (path: string) => new URL(path, import.meta.url).pathname;
const WORKER = here("./_worker.ts");

Deno.test("shardRows: rank r of N takes rows r, r + N, … of a global batch", () => {
  const global = Int32Array.from([10, 11, 12, 13, 14]);
  deepEqual([...shardRows(global, 0, 2)], [10, 12, 14]);
  deepEqual([...shardRows(global, 1, 2)], [11, 13]);
  deepEqual([...shardRows(global, 2, 3)], [12]);
  deepEqual([...shardRows(Int32Array.from([7]), 1, 2)], []);
});

Deno.test("learning_rate_scaling: linear × N, sqrt × √N, constant × 1", () => {
  equal(learningRateScale("linear", 4), 4);
  equal(learningRateScale("sqrt", 4), 2);
  equal(learningRateScale("constant", 4), 1);
});

Deno.test("Model.train with num_workers 2 outside a launcher fails with the way to launch", async () => {
  const model = new Model({
    input_features: [{ name: "x", type: "number" }],
    output_features: [{ name: "y", type: "number" }],
    backend: { type: "mpi", trainer: { num_workers: 2 } },
  });
  await rejects(
    model.train({ dataset: [{ x: 1, y: 2 }, { x: 2, y: 3 }], skip_save_all: true }),
    /Cannot train: backend\.trainer\.num_workers is 2.*mpirun -np 2/,
  );
});

Deno.test({
  name: "MPI collectives through Deno FFI under mpirun -np 2",
  ignore: !HAVE_MPI,
  async fn() {
    const r = await mpirun(2, here("./_collectives.ts"), [], 60);
    equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    lines.sort((a, b) => a.rank - b.rank);
    equal(lines.length, 2);
    for (const l of lines) {
      equal(l.size, 2);
      deepEqual(l.sum, [3, 30]);
      equal(l.max, 1);
      deepEqual(l.gathered, [0, 0.5, 1, 1.5]);
      equal(l.root, 42);
    }
    // Rows [0 1 2 3] + [1 2 3 4] summed: rank 0 gets block [1 3], rank 1 [5 7].
    deepEqual(lines[0].block, [1, 3]);
    deepEqual(lines[1].block, [5, 7]);
  },
});

for (const [flavor, launcher] of [["mpich", "mpirun.mpich"], ["openmpi", "mpirun.openmpi"]]) {
  const present = (() => {
    try {
      return new Deno.Command(launcher, { args: ["--version"], stdout: "null", stderr: "null" })
        .outputSync().success;
    } catch {
      return false;
    }
  })();
  Deno.test({
    name: `MPI ABI: ${flavor}'s handles under ${launcher} (skipped when not installed)`,
    ignore: !present,
    async fn() {
      const script = here("./_collectives.ts");
      const r = await run(launcher, ["-np", "2", Deno.execPath(), "run", "-A", script], 60, {
        OMPI_ALLOW_RUN_AS_ROOT: "1",
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1",
      });
      equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      equal(lines.length, 2);
      for (const l of lines) {
        equal(l.flavor, flavor);
        deepEqual(l.sum, [3, 30]);
        deepEqual(l.gathered, [0, 0.5, 1, 1.5]);
      }
    },
  });
}

interface WorkerResult {
  between?: { parameterBytes: number; optimizerBytes: number };
  predictions: number[];
  steps: number;
  learningRate: number;
  batchSize: number;
  stateElements: number;
  parameters: number;
}

async function train(
  name: string,
  ranks: number,
  backend: Record<string, unknown>,
  batchSize: number,
  learningRate: number,
): Promise<WorkerResult[]> {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/${name}`;
  const args = [
    JSON.stringify({ out, backend, batch_size: batchSize, learning_rate: learningRate }),
  ];
  const r = ranks > 1
    ? await mpirun(ranks, WORKER, args)
    : await run(Deno.execPath(), ["run", "-A", WORKER, ...args]);
  equal(r.code, 0, r.stderr);
  const results: WorkerResult[] = [];
  for (let rank = 0; rank < ranks; rank++) {
    results.push(JSON.parse(await Deno.readTextFile(`${out}.rank${rank}.json`)));
  }
  await Deno.remove(dir, { recursive: true });
  return results;
}

function maxDifference(a: number[], b: number[]): number {
  equal(a.length, b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

let single: WorkerResult | undefined;
const reference = async () => single ??= (await train("single", 1, {}, 64, 0.002))[0];

Deno.test({
  name: "DDP: 2 ranks × batch 32 at lr 0.001 (linear) train the model of 1 process at 64 and 0.002",
  ignore: !HAVE_MPI,
  async fn() {
    const one = await reference();
    const ddp = await train(
      "ddp",
      2,
      {
        type: "mpi",
        trainer: { strategy: "ddp", num_workers: 2 },
      },
      32,
      0.001,
    );
    for (const r of ddp) {
      equal(r.learningRate, 0.002);
      equal(r.batchSize, 32);
      equal(r.steps, one.steps);
      ok(maxDifference(r.predictions, one.predictions) < 1e-4);
    }
    // Sanity: the model moved away from its initialization (predictions vary).
    ok(Math.max(...one.predictions) - Math.min(...one.predictions) > 0.1);
  },
});

Deno.test({
  name: "Ludwig's backend type horovod trains as DDP under the launcher's world size",
  ignore: !HAVE_MPI,
  async fn() {
    const one = await reference();
    const horovod = await train("horovod", 2, { type: "horovod" }, 32, 0.001);
    for (const r of horovod) ok(maxDifference(r.predictions, one.predictions) < 1e-4);
  },
});

Deno.test({
  name: "FSDP: 2 ranks give the same model, each holding half the parameters and optimizer state",
  ignore: !HAVE_MPI,
  async fn() {
    const one = await reference();
    const backend = (strategy: string) => ({ type: "mpi", trainer: { strategy, num_workers: 2 } });
    const fsdp = await train("fsdp", 2, backend("fsdp"), 32, 0.001);
    const ddp = await train("ddp_memory", 2, backend("ddp"), 32, 0.001);
    for (const [rank, r] of fsdp.entries()) {
      ok(maxDifference(r.predictions, one.predictions) < 1e-4);
      // Adam: 2 moments per owned element (+ a step counter) against 2 per parameter.
      const half = Math.ceil(r.parameters / 2);
      ok(r.stateElements <= 2 * half + 2, `${r.stateElements} elements of state`);
      ok(one.stateElements >= 2 * r.parameters);
      // Between steps a rank holds its shard of the parameters, not the full weights (DDP does).
      const trainable = ddp[rank].between!.parameterBytes;
      ok(trainable > 0 && trainable <= 4 * r.parameters);
      ok(r.between!.parameterBytes <= 4 * Math.ceil(trainable / 8), JSON.stringify(r.between));
      ok(r.between!.optimizerBytes <= ddp[rank].between!.optimizerBytes / 2 + 16);
    }
  },
});

/** A DDP run under mpirun -np 2 with a fault injected into the workers; it must fail. */
async function faultyRun(
  fault: { die_at_step: number } | { stall_at_step: number },
  seconds: number,
  env?: Record<string, string>,
) {
  const dir = await Deno.makeTempDir();
  const args = JSON.stringify({
    out: `${dir}/${"die_at_step" in fault ? "die" : "stall"}`,
    backend: { type: "mpi", trainer: { num_workers: 2 } },
    batch_size: 32,
    learning_rate: 0.001,
    ...fault,
  });
  const r = await mpirun(2, WORKER, [args], seconds, env);
  ok(r.code !== 0);
  await Deno.remove(dir, { recursive: true });
  return r;
}

Deno.test({
  name: "a rank that dies ends every rank, without a hang",
  ignore: !HAVE_MPI,
  async fn() {
    const r = await faultyRun({ die_at_step: 2 }, 90);
    match(r.stdout + r.stderr, /BAD TERMINATION|exited|killed|failed/i);
  },
});

Deno.test({
  name: "a rank that hangs ends the run after the collective timeout, with a clear message",
  ignore: !HAVE_MPI,
  async fn() {
    const r = await faultyRun({ stall_at_step: 2 }, 120, { SONATA_MPI_TIMEOUT: "15" });
    match(
      r.stderr,
      /rank 0 of 2 failed: MPI_\w+.* got no answer .* within 15 s \(did a rank die\?\)/,
    );
  },
});

/**
 * Trains under mpirun -np 2 with `trainer` (num_workers 2), stops after 5 steps, then resumes
 * the run folder under mpirun; each resumed rank must reach the uninterrupted model of 1
 * process. `check` sees the folder after the first run.
 */
async function interruptAndResume(
  trainer: Record<string, unknown>,
  check: (dir: string) => Promise<void> = async () => {},
) {
  const one = await reference();
  const dir = await Deno.makeTempDir();
  const backend = { type: "mpi", trainer: { ...trainer, num_workers: 2 } };
  const common = { backend, batch_size: 32, learning_rate: 0.001 };
  const first = await mpirun(2, WORKER, [
    JSON.stringify({ ...common, out: `${dir}/a`, output_directory: dir, stop_after_steps: 5 }),
  ]);
  equal(first.code, 0, first.stderr);
  await check(dir);
  const second = await mpirun(2, WORKER, [
    JSON.stringify({ ...common, out: `${dir}/b`, model_resume_path: `${dir}/api_experiment_run` }),
  ]);
  equal(second.code, 0, second.stderr);
  for (const rank of [0, 1]) {
    const r = JSON.parse(await Deno.readTextFile(`${dir}/b.rank${rank}.json`));
    equal(r.steps, one.steps);
    ok(maxDifference(r.predictions, one.predictions) < 1e-4);
  }
  await Deno.remove(dir, { recursive: true });
}

Deno.test({
  name: "a DDP run interrupted after 5 steps resumes under mpirun to the uninterrupted model",
  ignore: !HAVE_MPI,
  fn: () =>
    interruptAndResume({}, async (dir) => {
      equal(JSON.parse(await Deno.readTextFile(`${dir}/a.rank0.json`)).steps, 5);
      const runs = [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) => e.name);
      deepEqual(runs, ["api_experiment_run"]);
    }),
});

async function latestCheckpoint(runDir: string) {
  const { readCheckpoint } = await import("../../lib/train/checkpoint.ts");
  return await readCheckpoint(`${runDir}/training_checkpoints/latest`);
}

Deno.test({
  name: "an FSDP run interrupted after 5 steps resumes under mpirun to the uninterrupted model",
  ignore: !HAVE_MPI,
  fn: () => interruptAndResume({ strategy: "fsdp" }),
});

Deno.test({
  name:
    "an FSDP checkpoint holds one process's optimizer state (as DDP's) and resumes in 1 process",
  ignore: !HAVE_MPI,
  async fn() {
    const dir = await Deno.makeTempDir();
    const resumed: number[][] = [];
    const checkpoints = [];
    for (const strategy of ["ddp", "fsdp"]) {
      const out = `${dir}/${strategy}`;
      await Deno.mkdir(out);
      const first = await mpirun(2, WORKER, [
        JSON.stringify({
          backend: { type: "mpi", trainer: { strategy, num_workers: 2 } },
          batch_size: 32,
          learning_rate: 0.001,
          out: `${out}/a`,
          output_directory: out,
          stop_after_steps: 5,
        }),
      ]);
      equal(first.code, 0, first.stderr);
      checkpoints.push(await latestCheckpoint(`${out}/api_experiment_run`));
      // Another worker count: one process (lr 0.002 = 2 × 0.001, the batch size from the state).
      const second = await run(Deno.execPath(), [
        "run",
        "-A",
        WORKER,
        JSON.stringify({
          backend: {},
          batch_size: 32,
          learning_rate: 0.002,
          out: `${out}/b`,
          model_resume_path: `${out}/api_experiment_run`,
        }),
      ]);
      equal(second.code, 0, second.stderr);
      resumed.push(JSON.parse(await Deno.readTextFile(`${out}/b.rank0.json`)).predictions);
    }
    const [ddp, fsdp] = checkpoints;
    for (const group of ["model", "optimizer"]) {
      const a = ddp.groups[group];
      const b = fsdp.groups[group];
      deepEqual(b.map((w) => [w.name, w.tensor.shape]), a.map((w) => [w.name, w.tensor.shape]));
      a.forEach((w, i) => {
        const x = w.tensor.dataSync();
        const y = b[i].tensor.dataSync();
        ok(maxDifference([...x], [...y]) < 1e-5, `${group} ${w.name}`);
      });
    }
    ok(ddp.groups.optimizer.length > 2);
    ok(maxDifference(resumed[1], resumed[0]) < 1e-4);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "batch_size auto: the ranks train with rank 0's tuned batch size and stay identical",
  ignore: !HAVE_MPI,
  async fn() {
    const dir = await Deno.makeTempDir();
    const spec = {
      out: `${dir}/auto`,
      backend: { type: "mpi", trainer: { num_workers: 2 } },
      batch_size: "auto",
      learning_rate: 0.001,
      epochs: 1,
    };
    const r = await mpirun(2, WORKER, [JSON.stringify(spec)]);
    equal(r.code, 0, r.stderr);
    const [a, b] = await Promise.all(
      [0, 1].map(async (rank) =>
        JSON.parse(await Deno.readTextFile(`${dir}/auto.rank${rank}.json`)) as WorkerResult
      ),
    );
    equal(a.batchSize, b.batchSize);
    equal(a.steps, b.steps);
    ok(maxDifference(a.predictions, b.predictions) < 1e-6);
    await Deno.remove(dir, { recursive: true });
  },
});
