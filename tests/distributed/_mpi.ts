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

/** The result of a bounded run. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command, killing it (and failing) after `seconds`. */
export async function run(
  command: string,
  args: string[],
  seconds = 240,
  env: Record<string, string> = {},
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
  if (elapsed >= seconds) throw new Error(`${command} ${args.join(" ")} ran past ${seconds} s`);
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
    seconds: elapsed,
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
