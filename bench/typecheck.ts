/**
 * Type-check cost of a user's script: a ~40-line script in a temp project (its own deno.json)
 * imports Sonata by path (builders, train, predict) and is checked with `deno check`, once
 * through the declaration entry `mod.js` (types from `types/mod.d.ts`) and once through the
 * source entry `mod.ts` (every Sonata module checked), each cold (a fresh DENO_DIR whose `npm/` links to the real cache, so nothing is downloaded but no
 * type-check cache is reused) then warm (the same DENO_DIR again). Reports wall seconds, CPU
 * seconds (user + sys: steadier than wall on a shared machine), peak RSS, and tsc's own counts
 * (files, types, instantiations, check time) from `--log-level=debug`.
 *
 * Run alone: `deno run -A bench/typecheck.ts`; or `deno task bench typecheck`.
 *
 * @module
 */
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The entries measured: the declaration entry and the source entry. */
export const ENTRIES = ["mod.js", "mod.ts"] as const;

/** The measured script (39 lines, what a newcomer writes first), importing `entry` by path. */
export function script(entry: (typeof ENTRIES)[number]): string {
  const path = fileURLToPath(new URL(`../${entry}`, import.meta.url));
  return `import { feature, model, type ModelConfig, predict, train } from ${JSON.stringify(path)};

// A small tabular model written with the typed builders.
const config: ModelConfig = model()
  .input(feature.number("age").preprocessing({ normalization: "zscore" }))
  .input(feature.category("city").encoder("dense", { embedding_size: 8 }))
  .input(feature.text("note").encoder("parallel_cnn", { num_filters: 16 }))
  .output(feature.binary("bought"))
  .combiner("concat", { num_fc_layers: 1, output_size: 32 })
  .trainer({ epochs: 3, batch_size: 16, learning_rate: 0.01 })
  .toConfig();

const cities = ["paris", "lyon", "nice"];
const rows = Array.from({ length: 96 }, (_, i) => ({
  age: 20 + (i % 40),
  city: cities[i % 3],
  note: i % 2 ? "likes it a lot" : "not interested",
  bought: i % 2 === 1,
}));

const { model: trained, train_stats } = await train(config, {
  dataset: rows,
  skip_save_processed_input: true,
  output_directory: "results",
});
console.log("evaluations", Object.keys(train_stats).length);

const { predictions } = await trained.predict(rows.slice(0, 5));
const again = await predict("results/api_experiment_run/model", rows.slice(0, 5));
console.log(Object.keys(again.predictions.columns));
for (const [name, column] of Object.entries(predictions.columns)) {
  console.log(name, column);
}

const yaml: string = model()
  .input(feature.number("x"))
  .output(feature.number("y").loss("mean_squared_error", { weight: 1 }))
  .toYAML();
console.log(yaml.length);
`;
}

/** One `deno check` run. */
export interface CheckRun {
  /** Exit status of `deno check` (0: no type errors). */
  code: number;
  /** Wall-clock seconds. */
  wall_s: number;
  /** CPU seconds, user + system. */
  cpu_s: number;
  /** Peak resident set size, MB. */
  rss_mb: number;
  /** tsc's statistics (absent on a warm run: nothing was checked). */
  tsc?: Record<string, number>;
}

function denoDir(): string {
  return Deno.env.get("DENO_DIR") ?? join(homedir(), ".cache", "deno");
}

async function check(dir: string, cacheDir: string): Promise<CheckRun> {
  // GNU time gives the child's peak RSS and CPU time (and exits with the child's status).
  const { code, stderr } = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "@@ %e %U %S %M",
      Deno.execPath(),
      "check",
      "--no-lock",
      "--log-level=debug",
      "train.ts",
    ],
    cwd: dir,
    env: { DENO_DIR: cacheDir, NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  const timing = text.match(/@@ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/);
  if (!timing) throw new Error(`No timing from /usr/bin/time:\n${text.slice(-2000)}`);
  const [, wall, user, sys, rssKb] = timing;
  const stats = text.match(/Compilation statistics:\n((?:\s+\w[\w ]*: \d+\n)+)/);
  const tsc = stats
    ? Object.fromEntries(
      [...stats[1].matchAll(/(\w[\w ]*): (\d+)/g)].map((
        [, k, v],
      ) => [k.trim().toLowerCase().replaceAll(" ", "_"), Number(v)]),
    )
    : undefined;
  return {
    code,
    wall_s: Number(wall),
    cpu_s: Math.round((Number(user) + Number(sys)) * 100) / 100,
    rss_mb: Math.round(Number(rssKb) / 1024),
    ...(tsc ? { tsc } : {}),
  };
}

/** Cold then warm `deno check` of {@linkcode script} in a temp project, per entry. */
export async function runTypecheckBench(): Promise<
  { entries: Record<string, { cold: CheckRun; warm: CheckRun }> }
> {
  const entries: Record<string, { cold: CheckRun; warm: CheckRun }> = {};
  for (const entry of ENTRIES) {
    const dir = await mkdtemp(join(tmpdir(), "sonata-typecheck-"));
    try {
      await writeFile(
        join(dir, "deno.json"),
        JSON.stringify({ tasks: { train: "deno run -A train.ts" } }),
      );
      await writeFile(join(dir, "train.ts"), script(entry));
      const cache = join(dir, ".deno");
      await Deno.mkdir(cache);
      await symlink(join(denoDir(), "npm"), join(cache, "npm"));
      const cold = await check(dir, cache);
      const warm = await check(dir, cache);
      entries[entry] = { cold, warm };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { entries };
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  console.log(
    JSON.stringify({ workload: "typecheck-outside-script", ...(await runTypecheckBench()) }),
  );
}
