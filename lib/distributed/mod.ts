/**
 * Distributed training on MPI (`backend: {type: mpi | horovod, trainer: {strategy, num_workers}}`):
 * which rank this process is, the {@linkcode TrainDistribution} of a run, and the launcher that
 * re-runs a `sonata train` under `mpirun -np N`.
 *
 * ```yaml
 * backend:
 *   type: mpi
 *   trainer: {strategy: fsdp, num_workers: 2}
 * ```
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelConfig } from "../config/model.ts";
import { launchedByMpi, type Mpi, MpiError, openMpi } from "./mpi.ts";
import { createDistribution, type Strategy, type TrainDistribution } from "./training.ts";

export { launchedByMpi, type Mpi, MpiError, openMpi } from "./mpi.ts";
export {
  BUCKET_BYTES,
  createDistribution,
  learningRateScale,
  shardRows,
  type Strategy,
  type TrainDistribution,
} from "./training.ts";

type Backend = ModelConfig["backend"];

function isDistributedBackend(backend: Backend): boolean {
  return backend.type === "mpi" || backend.type === "horovod";
}

/** The strategy a backend trains with (`horovod`, and Ludwig's `type: horovod`, are DDP). */
export function strategyOf(backend: Backend): Strategy {
  return backend.trainer?.strategy === "fsdp" ? "fsdp" : "ddp";
}

/** This process's rank (0 outside MPI launchers). */
export function processRank(): number {
  return launchedByMpi()?.rank ?? 0;
}

let current: TrainDistribution | undefined;

/**
 * The distribution of a training run with this config: undefined for one process (a local
 * backend, or an MPI backend outside a launcher with at most one worker).
 *
 * @throws Error (`Cannot train: …`) when num_workers asks for more processes than were started
 */
export function distributionFor(config: ModelConfig): TrainDistribution | undefined {
  const backend = config.backend;
  if (!isDistributedBackend(backend)) return undefined;
  const wanted = backend.trainer?.num_workers ?? null;
  const launched = launchedByMpi();
  if (!launched) {
    if (wanted !== null && wanted > 1) {
      throw new Error(
        `Cannot train: backend.trainer.num_workers is ${wanted}, and this process was not started ` +
          `by mpirun or srun: run \`sonata train\` (it starts mpirun -np ${wanted}) or launch ` +
          `under \`mpirun -np ${wanted}\``,
      );
    }
    return undefined;
  }
  let mpi: Mpi;
  try {
    mpi = openMpi();
  } catch (error) {
    throw new Error(`Cannot train: ${(error as Error).message}`);
  }
  if (launched.size > 1 && mpi.size !== launched.size) {
    throw new Error(
      `Cannot train: the launcher started ${launched.size} tasks but MPI sees ${mpi.size} ` +
        `rank(s): with Slurm run \`srun --mpi=pmi2\` (MPICH) or \`srun --mpi=pmix\` (Open MPI), ` +
        `or \`mpirun\` inside the allocation`,
    );
  }
  if (wanted !== null && wanted !== mpi.size) {
    throw new Error(
      `Cannot train: backend.trainer.num_workers is ${wanted} but the launcher started ${mpi.size} ranks`,
    );
  }
  if (mpi.size === 1) return undefined;
  if (current && current.mpi === mpi) return current;
  const timeout = Number(Deno.env.get("SONATA_MPI_TIMEOUT") ?? 600);
  current = createDistribution(mpi, config, {
    strategy: strategyOf(backend),
    timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : 600,
  });
  // Every rank must finalize before exiting, or the launcher reports a failure.
  globalThis.addEventListener("unload", () => mpi.finalize());
  return current;
}

/** The config file (deno.json) of the running program, for re-running it under mpirun. */
function denoConfig(): string | undefined {
  if (!Deno.mainModule.startsWith("file:")) return undefined;
  let dir = dirname(fileURLToPath(Deno.mainModule));
  for (let i = 0; i < 20; i++) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      try {
        Deno.statSync(join(dir, name));
        return join(dir, name);
      } catch {
        // keep looking upwards
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** The command that runs this program again with the same arguments, as one MPI rank. */
export function rankCommand(args: readonly string[] = Deno.args): string[] {
  const exec = Deno.execPath();
  // A compiled sonata binary re-runs itself; `deno run` re-runs the main module.
  if (!/(^|\/)deno$/.test(exec)) return [exec, ...args];
  const config = denoConfig();
  return [
    exec,
    "run",
    "-A",
    ...(config ? ["--config", config] : []),
    fileURLToPath(Deno.mainModule),
    ...args,
  ];
}

/**
 * Starts `mpirun -np N` running this command as N ranks when the config asks for N > 1 workers
 * and this process is not already a rank; resolves to the launcher's exit code, or undefined
 * when this process trains itself.
 */
export async function launchWorkers(
  config: ModelConfig,
  args: readonly string[] = Deno.args,
): Promise<number | undefined> {
  const backend = config.backend;
  if (!isDistributedBackend(backend) || launchedByMpi()) return undefined;
  const n = backend.trainer?.num_workers ?? 1;
  if (n <= 1) return undefined;
  const launcher = Deno.env.get("SONATA_MPIRUN") ?? "mpirun";
  const command = new Deno.Command(launcher, {
    args: ["-np", String(n), ...rankCommand(args)],
    env: {
      // Open MPI refuses root without these; MPICH's hydra ignores them.
      OMPI_ALLOW_RUN_AS_ROOT: "1",
      OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1",
      // The ranks share this host's cores: BLAS threads per rank, unless the user chose.
      SONATA_BLAS_THREADS: Deno.env.get("SONATA_BLAS_THREADS") ??
        String(Math.max(1, Math.floor((navigator.hardwareConcurrency ?? 1) / n))),
    },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  });
  try {
    const { code } = await command.output();
    return code;
  } catch (error) {
    throw new MpiError(
      `Cannot train: backend.trainer.num_workers is ${n} but ${launcher} could not be started ` +
        `(${(error as Error).message}): install MPICH (apt-get install mpich) or Open MPI`,
    );
  }
}
