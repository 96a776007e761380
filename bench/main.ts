/**
 * `deno task bench [w1] [w2] [w3] [w4] [matmul] [sgemm] [serve] [distributed] [typecheck] [--engine native]
 * [--reference] [--stock-adam] [--w1-via api|layers] [--w3-via api|layers] [--distributed-w1-rows N]
 * [--distributed-w4-rows N]`
 *
 * Prints one JSON line per workload, with the keys of the PyTorch reference
 * (`../shared/bench/reference/workloads.py`) plus `engine` and `via`. W1 runs through the
 * public API (`Model.create(config)`, `model.train`, `predictSplit`; `"via": "api"`), and so
 * does W3 (an image feature with the `stacked_cnn` encoder; `--w3-via layers` builds it with
 * tf.layers instead). With `--reference`
 * it also runs the reference (needs `/usr/bin/python3` with torch: `apt-get install -y
 * python3-torch`) in the same run and prints one ratio line per workload. `sgemm` times the
 * native engine's matrix-product paths on one thread (WebAssembly SIMD, system BLAS, cpu).
 * `distributed` (when `mpirun` exists; one line saying it was skipped otherwise) prints the MPI
 * scaling line: W1 and W4 seconds per epoch at 1 and 2 ranks (DDP, the same global batch),
 * speedup and efficiency (ideal 2×), and the 16 MB all-reduce bandwidth (`bench/distributed.ts`
 * has the pieces, and the per-rank memory of DDP and FSDP).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type ComputeOption, ready } from "../lib/compute/mod.ts";
import { runMatMul, runSgemmPaths, runW1, runW1Api, runW3, runW3Api } from "./workloads.ts";

const ALL = ["w1", "w2", "w3", "w4", "matmul", "sgemm", "serve", "distributed", "typecheck"];

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    engine: { type: "string", default: "auto" },
    reference: { type: "boolean", default: false },
    "stock-adam": { type: "boolean", default: false },
    python: { type: "string", default: "/usr/bin/python3" },
    // Fewer rows or epochs for slow engines (cpu); the JSON line then says so.
    "w1-rows": { type: "string" },
    "w1-epochs": { type: "string" },
    "w3-rows": { type: "string" },
    "w4-rows": { type: "string" },
    // The distributed scaling line: W1's rows, and W4's (slow on CPU: few images).
    "distributed-w1-rows": { type: "string", default: "100000" },
    "distributed-w4-rows": { type: "string", default: "64" },
    // W1 through the public API (default) or built directly with tf.layers.
    "w1-via": { type: "string", default: "api" },
    // W3 through the public API (image feature, stacked_cnn; default) or built with tf.layers.
    "w3-via": { type: "string", default: "api" },
  },
});

/** The MPI scaling line from `bench/distributed.ts` (skipped without `mpirun`). */
async function distributedLine(w1Rows: string, w4Rows: string): Promise<Record<string, unknown>> {
  const workload = "distributed-scaling";
  try {
    await new Deno.Command("mpirun", { args: ["--version"], stdout: "null", stderr: "null" })
      .output();
  } catch {
    return { workload, skipped: "mpirun not found (apt-get install mpich)" };
  }
  const script = new URL("./distributed.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "w1", "w4", "allreduce", "--rows", w1Rows, "--w4-rows", w4Rows],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`Cannot run ${script}: exit code ${out.code}`);
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const scaling = (prefix: string) => {
    const l = lines.find((x) => String(x.workload ?? "").startsWith(prefix));
    if (!l) return undefined;
    const one = l.one_rank as Record<string, number>;
    const two = l.two_ranks as Record<string, number>;
    return {
      rows: l.rows,
      one_rank_seconds_per_epoch: one.seconds_per_epoch,
      two_ranks_seconds_per_epoch: two.seconds_per_epoch,
      speedup: l.speedup,
      efficiency: l.efficiency,
    };
  };
  const allreduce = lines.find((x) => x.measure === "allreduce_16MB");
  return {
    workload,
    note: "1 vs 2 MPI ranks (DDP, same global batch) on this machine's shared cores; W4 on few " +
      "images (slow on CPU): indicative",
    w1: scaling("W1"),
    w4: scaling("W4"),
    allreduce_16MB_gb_per_second: allreduce?.algorithm_gb_per_second,
    mpi: allreduce?.flavor,
  };
}

const which = positionals.length ? positionals : ALL;
for (const w of which) {
  if (!ALL.includes(w)) {
    throw new TypeError(
      `Cannot run workload "${w}": expected one of ${ALL.map((a) => `"${a}"`).join(", ")}`,
    );
  }
}

const info = await ready({ compute: values.engine as ComputeOption });
const stockAdam = values["stock-adam"];
const common = {
  engine: info.engine,
  ...(info.blas ? { blas_threads: info.blas.threads } : {}),
  optimizer: stockAdam ? "tf.train.adam" : "fusedAdam",
};
const ours: Record<string, Record<string, unknown>> = {};

function emit(line: Record<string, unknown>): void {
  // deno-lint-ignore no-console
  console.log(JSON.stringify(line));
}

for (const w of which) {
  if (w === "w1") {
    const rows = values["w1-rows"] ? Number(values["w1-rows"]) : undefined;
    const epochs = values["w1-epochs"] ? Number(values["w1-epochs"]) : undefined;
    const via = values["w1-via"];
    if (via !== "api" && via !== "layers") {
      throw new TypeError(`Cannot run W1 via "${via}": expected "api" or "layers"`);
    }
    const r = via === "api"
      ? await runW1Api({ rows, epochs })
      : await runW1({ stockAdam, rows, epochs });
    const scaled = rows !== undefined || epochs !== undefined;
    if (!scaled) ours["W1-tabular"] = r as unknown as Record<string, unknown>;
    emit({
      workload: "W1-tabular",
      ...r,
      ...common,
      ...(via === "api" ? { optimizer: "config adam (FusedAdamOptimizer)" } : {}),
      via,
      ...(scaled ? { rows, epochs } : {}),
    });
  } else if (w === "w2") {
    const { runW2 } = await import("./w2.ts");
    emit({ workload: "W2-text-frozen-encoder", ...(await runW2()), engine: info.engine });
  } else if (w === "w4") {
    const { runW4 } = await import("./w4.ts");
    const rows = values["w4-rows"] ? Number(values["w4-rows"]) : undefined;
    emit({ workload: "W4-image-mobilenet-v2", ...(await runW4({ rows })), engine: info.engine });
  } else if (w === "w3") {
    const rows = values["w3-rows"] ? Number(values["w3-rows"]) : undefined;
    const via = values["w3-via"];
    if (via !== "api" && via !== "layers") {
      throw new TypeError(`Cannot run W3 via "${via}": expected "api" or "layers"`);
    }
    const r = via === "api" ? await runW3Api({ rows }) : await runW3({ stockAdam, rows });
    if (rows === undefined) ours["W3-image-cnn"] = r as unknown as Record<string, unknown>;
    emit({
      workload: "W3-image-cnn",
      ...r,
      ...common,
      ...(via === "api" ? { optimizer: "config adam (FusedAdamOptimizer)" } : {}),
      via,
      ...(rows ? { rows } : {}),
    });
  } else if (w === "matmul") {
    const r = runMatMul(1024);
    emit({
      workload: "matmul",
      ...r,
      engine: info.engine,
      ...(info.matmul ? { matmul: info.matmul } : {}),
    });
  } else if (w === "sgemm") {
    emit({ workload: "sgemm-1thread", ...(await runSgemmPaths(1024)) });
  } else if (w === "distributed") {
    emit(await distributedLine(values["distributed-w1-rows"], values["distributed-w4-rows"]));
  } else if (w === "typecheck") {
    // Type-check cost of a user's script importing mod.js and mod.ts by path (bench/typecheck.ts).
    const { runTypecheckBench } = await import("./typecheck.ts");
    emit({ workload: "typecheck-outside-script", ...(await runTypecheckBench()) });
  } else if (w === "serve") {
    const { runServeBench } = await import("./serve.ts");
    emit({
      workload: "serve",
      ...(await runServeBench({ engine: info.engine })),
      engine: info.engine,
    });
  }
}

if (values.reference) {
  const refWorkloads = which.filter((w) => w === "w1" || w === "w3");
  if (refWorkloads.length) {
    const script = new URL("../../shared/bench/reference/workloads.py", import.meta.url).pathname;
    const result = await new Deno.Command(values.python, {
      args: [script, ...refWorkloads],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!result.success) {
      throw new Error(
        `Cannot run the PyTorch reference "${script}": exit code ${result.code} (install torch with "apt-get install -y python3-torch")`,
      );
    }
    for (const line of new TextDecoder().decode(result.stdout).split("\n")) {
      if (!line.trim()) continue;
      const ref = JSON.parse(line) as Record<string, unknown>;
      emit({ ...ref, engine: "pytorch" });
      const mine = ours[ref.workload as string];
      if (!mine) continue;
      const ratio: Record<string, number> = {};
      for (const [key, value] of Object.entries(ref)) {
        if (typeof value === "number" && typeof mine[key] === "number") {
          ratio[key] = (mine[key] as number) / value;
        }
      }
      emit({ workload: ref.workload, ratio_vs_pytorch: ratio, engine: info.engine });
    }
  }
}
