// Scaffolding of the CLI tests: captured output, runs of `main` that must end with an exit code,
// temporary folders holding a dataset and a config, and `sonata predict` in a fresh process.
import { equal } from "node:assert/strict";
import { main } from "../../lib/cli/main.ts";

/** The lines `main` wrote to stdout and stderr, and the io that collects them. */
export interface Captured {
  io: { out: (s: string) => void; err: (s: string) => void };
  out: string[];
  err: string[];
}

/** A fresh capture of `main`'s output. */
export function capture(): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) },
    out,
    err,
  };
}

/** Runs `main(args)` and asserts its exit code (default 0), with its stderr as the message. */
export async function cli(args: string[], code = 0): Promise<Captured> {
  const c = capture();
  equal(await main(args, c.io), code, c.err.join("\n"));
  return c;
}

/** Whether a path exists. */
export const exists = (path: string): Promise<boolean> =>
  Deno.stat(path).then(() => true, () => false);

/** A new temporary folder holding `files` (name → text). */
export async function tempFiles(prefix: string, files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

/** `sonata predict` in a new Deno process (no module state shared with training); asserts exit 0. */
export async function predictInFreshProcess(
  modelPath: string,
  dataset: string,
  outputDirectory: string,
): Promise<void> {
  const entry = new URL("../../lib/cli/main.ts", import.meta.url).pathname;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      entry,
      "predict",
      "-m",
      modelPath,
      "--dataset",
      dataset,
      "--output_directory",
      outputDirectory,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  equal(code, 0, new TextDecoder().decode(stderr));
}
