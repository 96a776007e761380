/**
 * Helpers of the distributed tests: whether MPI is installed, and bounded subprocesses.
 *
 * @module
 */

/** Whether `mpirun` and an MPI library are present (the MPI tests skip otherwise). */
export const HAVE_MPI: boolean = (() => {
  try {
    const r = new Deno.Command("mpirun", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return r.success;
  } catch {
    return false;
  }
})();

/**
 * Runs `fn` while holding the machine-wide lock of the MPI tests. Two MPI jobs launched at once by
 * test modules of one `deno test --parallel` run interfere (a DDP run and the two-namespace run,
 * started together, hung or failed here while each passes alone), so every test that launches
 * MPI takes this lock: `run` takes it itself; a test that launches MPI some other way (hyperopt's
 * trials) wraps its body in it. The lock is an exclusive `flock` of one file in the temp folder,
 * so it also orders test processes, and it is released when its holder dies.
 */
export async function withMpiLock<T>(fn: () => Promise<T>): Promise<T> {
  const file = await Deno.open(`${tmpDir()}/sonata-tests-mpi.lock`, {
    create: true,
    write: true,
  });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close(); // closing releases the lock
  }
}

function tmpDir(): string {
  return Deno.env.get("TMPDIR") ?? "/tmp";
}

/** The result of a bounded run. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Killed at the time limit (only returned with `returnOnTimeout`; otherwise it throws). */
  timedOut: boolean;
}

/**
 * Runs a command, killing it after `seconds` (and failing, unless `returnOnTimeout`: then the
 * result says `timedOut`), holding {@linkcode withMpiLock}.
 */
export function run(
  command: string,
  args: string[],
  seconds = 240,
  env: Record<string, string> = {},
  options: { returnOnTimeout?: boolean } = {},
): Promise<Run> {
  return withMpiLock(() => runUnlocked(command, args, seconds, env, options));
}

async function runUnlocked(
  command: string,
  args: string[],
  seconds: number,
  env: Record<string, string>,
  options: { returnOnTimeout?: boolean },
): Promise<Run> {
  const started = performance.now();
  const child = new Deno.Command(command, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, seconds * 1000);
  const out = await child.output();
  clearTimeout(timer);
  const elapsed = (performance.now() - started) / 1000;
  const text = new TextDecoder();
  if (elapsed >= seconds && !options.returnOnTimeout) {
    // What the processes printed before they were killed: the evidence of where they hung.
    const printed = (text.decode(out.stdout) + text.decode(out.stderr)).slice(-4000);
    throw new Error(`${command} ${args.join(" ")} ran past ${seconds} s; its output:\n${printed}`);
  }
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
    seconds: elapsed,
    timedOut: elapsed >= seconds,
  };
}

/** `mpirun -np n deno run -A <script> ...args` (loopback only, as root where needed). */
export function mpirun(
  n: number,
  script: string,
  args: string[],
  seconds = 240,
  env: Record<string, string> = {},
): Promise<Run> {
  return run("mpirun", ["-np", String(n), Deno.execPath(), "run", "-A", script, ...args], seconds, {
    OMPI_ALLOW_RUN_AS_ROOT: "1",
    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1",
    SONATA_MPI_TIMEOUT: "60",
    ...env,
  });
}
