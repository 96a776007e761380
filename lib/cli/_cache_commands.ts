/**
 * `sonata cache list | clean`: the preprocessing cache (`<dataset dir>/.sonata_cache/`, or
 * `backend.cache_dir`, or `.cache/sonata` for in-memory data).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { FlagError, parseFlags } from "./_args.ts";
import type { Io } from "./main.ts";

const USAGE = `Usage: sonata cache list|clean [--dataset PATH | --all] [--cache_dir DIR]

The preprocessing cache: encoded splits kept in <dataset dir>/.sonata_cache/ (one entry per
dataset file name, at most SONATA_CACHE_MAX_BYTES, default 4 GiB, in each folder), or in
backend.cache_dir, or .cache/sonata for in-memory data.

  list                 the entries (key, dataset, size)
  clean --dataset D    remove D's entries (in D's .sonata_cache/ and the <64 hex>.* files
                       older versions wrote beside D)
  clean --all          remove every entry of the folder (--cache_dir DIR, or beside --dataset D,
                       or ./.sonata_cache and ./.cache/sonata)

Options:
  --dataset PATH    the dataset whose cache to use
  --all             every entry
  --cache_dir DIR   the cache folder (a config's backend.cache_dir)
  -h, --help`;

function bytes(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1024 ** 2
    ? `${(n / 1024).toFixed(1)} KiB`
    : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

async function run(argv: string[], io: Io): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === "-h" || action === "--help") {
    io.out(USAGE);
    return action === undefined ? 2 : 0;
  }
  if (action !== "list" && action !== "clean") {
    io.err(
      `Unknown cache action ${JSON.stringify(action)}: expected "list" or "clean"\n\n${USAGE}`,
    );
    return 2;
  }
  let values;
  try {
    values = parseFlags(rest, {
      dataset: { type: "string" },
      all: { type: "boolean" },
      cache_dir: { type: "string" },
    });
  } catch (error) {
    if (error instanceof FlagError) return io.err(`${error.message}\n\n${USAGE}`), 2;
    throw error;
  }
  if (values.help) return io.out(USAGE), 0;
  const { CACHE_FOLDER, cleanCache, listCache } = await import("../features/cache.ts");
  const dataset = values.dataset as string | undefined;
  const dirs = typeof values.cache_dir === "string"
    ? [values.cache_dir]
    : dataset !== undefined
    ? [join(dirname(dataset), CACHE_FOLDER), dirname(dataset)]
    : [CACHE_FOLDER, join(".cache", "sonata")];
  if (action === "list") {
    let count = 0;
    for (const dir of dirs) {
      for (const e of await listCache(dir)) {
        if (
          dataset !== undefined && !values.all && e.dataset !== undefined &&
          e.dataset !== dataset.split("/").pop()
        ) continue;
        count++;
        io.out(
          `${join(dir, e.key.slice(0, 12))}…  ${e.dataset ?? "(in-memory or older)"}  ${
            bytes(e.bytes)
          }`,
        );
      }
    }
    if (count === 0) io.out(`No cache entries in ${dirs.join(", ")}`);
    return 0;
  }
  if (!values.all && dataset === undefined) {
    return io.err(`Missing --dataset or --all: say which entries to remove\n\n${USAGE}`), 2;
  }
  let removed = 0;
  let freed = 0;
  for (const [i, dir] of dirs.entries()) {
    // Beside the dataset itself only the older layout's files of that dataset go (they record
    // no name, so with --dataset only --all removes them).
    const byName = values.all ? undefined : dataset;
    if (i === 1 && dataset !== undefined && typeof values.cache_dir !== "string" && !values.all) {
      continue;
    }
    for (const e of await cleanCache(dir, byName)) removed++, freed += e.bytes;
  }
  io.out(`Removed ${removed} cache entr${removed === 1 ? "y" : "ies"} (${bytes(freed)})`);
  return 0;
}

/** `sonata cache`. */
export const CACHE_COMMAND = {
  summary: "List or clean the preprocessing cache",
  usage: USAGE,
  run,
};
