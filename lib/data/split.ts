/**
 * Training / validation / test splits, following Ludwig's `preprocessing.split` config:
 *
 * | `type` | rows go to training, validation, test … |
 * |---|---|
 * | `random` (default) | by a seeded shuffle, `floor(p·n)` rows to training and validation, the rest to test |
 * | `fixed` | by the `column` (default `"split"`) value 0, 1 or 2 (numbers or numeric strings) |
 * | `stratify` | by a seeded shuffle within each class of `column`, so each split keeps the class proportions |
 * | `hash` | by a hash of the `column` value (an id): stable across runs, machines, and row order or count |
 * | `datetime` | by time order of `column` (parsed with `datetime_format` or auto-detected): earliest to training |
 *
 * `probabilities` defaults to `[0.7, 0.1, 0.2]` and the seed to 42 (Ludwig's). Within each
 * split, rows keep their original order, except `datetime` splits, which are in time order.
 * Unlike Ludwig's fixed splitter the `split` column is kept (preprocessing reads only
 * configured columns). An empty validation or test split is allowed and listed in `empty`; an
 * empty training split is an error.
 *
 * @module
 */

import { seededRandom, shuffleInPlace } from "../_util/random.ts";
import type { Cell } from "./_columns.ts";
import { type Dataset, sourceFile } from "./dataset.ts";
import { tryParseDatetime } from "./datetime.ts";
import { DataError, quoteValue } from "./errors.ts";
import { type DataSource, readDataset, type ReadOptions } from "./read.ts";

/** Three probabilities for training, validation and test, summing to 1. */
export type SplitProbabilities = readonly [number, number, number];

/** Ludwig's default split probabilities. */
export const DEFAULT_SPLIT_PROBABILITIES: SplitProbabilities = Object.freeze([
  0.7,
  0.1,
  0.2,
]) as unknown as SplitProbabilities;

/** Ludwig's default random seed. */
export const DEFAULT_SEED = 42;

/** The split types, as in Ludwig. */
export const SPLIT_TYPES = ["random", "fixed", "stratify", "hash", "datetime"] as const;

/** A `preprocessing.split` config (snake_case keys as in Ludwig). */
export type SplitConfig =
  | { type?: "random"; probabilities?: SplitProbabilities | readonly number[] }
  | { type: "fixed"; column?: string }
  | { type: "stratify"; column: string; probabilities?: SplitProbabilities | readonly number[] }
  | { type: "hash"; column: string; probabilities?: SplitProbabilities | readonly number[] }
  | {
    type: "datetime";
    column: string;
    probabilities?: SplitProbabilities | readonly number[];
    datetime_format?: string | null;
  };

/** The names of the three splits. */
export type SplitName = "training" | "validation" | "test";

/** Row indices per split. */
export interface SplitIndices {
  /** Rows of the training split. */
  training: Int32Array;
  /** Rows of the validation split. */
  validation: Int32Array;
  /** Rows of the test split. */
  test: Int32Array;
}

/** The three splits as datasets, and which of them are empty. */
export interface SplitDatasets {
  /** The training split (never empty). */
  training: Dataset;
  /** The validation split (may be empty). */
  validation: Dataset;
  /** The test split (may be empty). */
  test: Dataset;
  /** The splits that have no rows, for reporting. */
  empty: SplitName[];
}

/** Options of {@linkcode splitDataset} and {@linkcode splitIndices}. */
export interface SplitOptions {
  /** The seed of the random, stratify splits; default 42. */
  seed?: number;
}

const SPLIT_NAMES: readonly SplitName[] = ["training", "validation", "test"];

function checkProbabilities(value: readonly number[] | undefined): SplitProbabilities {
  const p = value ?? DEFAULT_SPLIT_PROBABILITIES;
  const valid = p.length === 3 && p.every((x) => typeof x === "number" && x >= 0 && x <= 1) &&
    Math.abs(p[0] + p[1] + p[2] - 1) < 1e-6;
  if (!valid) {
    throw new RangeError(
      `Cannot split data: "probabilities" must be 3 numbers in [0, 1] that sum to 1, received ${
        JSON.stringify(p)
      }`,
    );
  }
  return p as SplitProbabilities;
}

/** Split sizes for n rows: floor for training and validation, the rest to test (as Ludwig). */
function sizes(n: number, p: SplitProbabilities): [number, number] {
  const train = Math.min(n, Math.floor(p[0] * n + 1e-9));
  const val = Math.min(n - train, Math.floor(p[1] * n + 1e-9));
  return [train, val];
}

function fromAssignment(assignment: Uint8Array): SplitIndices {
  const counts = [0, 0, 0];
  for (let i = 0; i < assignment.length; i++) counts[assignment[i]]++;
  const out = [new Int32Array(counts[0]), new Int32Array(counts[1]), new Int32Array(counts[2])];
  const pos = [0, 0, 0];
  for (let i = 0; i < assignment.length; i++) out[assignment[i]][pos[assignment[i]]++] = i;
  return { training: out[0], validation: out[1], test: out[2] };
}

/**
 * Computes which rows go to which split, without building datasets.
 *
 * @param dataset The data.
 * @param config The `preprocessing.split` config; default random 0.7/0.1/0.2.
 * @param options The seed.
 * @returns Row indices per split.
 * @throws {DataError} When the split column is absent or holds a bad value (naming the row).
 * @throws {RangeError} When the probabilities are not 3 numbers summing to 1.
 *
 * @example Fixed split
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { Dataset } from "./dataset.ts";
 * import { splitIndices } from "./split.ts";
 * const ds = Dataset.fromColumns({ split: ["0", "2", "1", "0"] });
 * const { training, validation, test } = splitIndices(ds, { type: "fixed" });
 * assertEquals([...training], [0, 3]);
 * assertEquals([...validation], [2]);
 * assertEquals([...test], [1]);
 * ```
 */
export function splitIndices(
  dataset: Dataset,
  config: SplitConfig = {},
  options: SplitOptions = {},
): SplitIndices {
  const seed = options.seed ?? DEFAULT_SEED;
  const n = dataset.numRows;
  const type = config.type ?? "random";
  switch (type) {
    case "random": {
      const p = checkProbabilities((config as { probabilities?: number[] }).probabilities);
      const order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      shuffleInPlace(order, seededRandom(seed));
      const [train, val] = sizes(n, p);
      const assignment = new Uint8Array(n);
      for (let k = 0; k < n; k++) assignment[order[k]] = k < train ? 0 : k < train + val ? 1 : 2;
      return fromAssignment(assignment);
    }
    case "fixed": {
      const column = (config as { column?: string }).column ?? "split";
      const cells = dataset.column(column);
      const assignment = new Uint8Array(n);
      for (let i = 0; i < n; i++) assignment[i] = fixedValue(cells[i], dataset, column, i);
      return fromAssignment(assignment);
    }
    case "stratify": {
      const { column } = config as { column: string };
      const p = checkProbabilities((config as { probabilities?: number[] }).probabilities);
      const cells = dataset.column(requireColumn(column, type));
      const classes = new Map<string, number[]>();
      for (let i = 0; i < n; i++) {
        const key = classKey(cells[i]);
        let rows = classes.get(key);
        if (rows === undefined) classes.set(key, rows = []);
        rows.push(i);
      }
      const random = seededRandom(seed);
      const assignment = new Uint8Array(n);
      for (const rows of classes.values()) {
        shuffleInPlace(rows, random);
        const m = rows.length;
        // Cumulative rounding keeps each class close to the proportions, small ones included.
        const train = Math.round(p[0] * m + 1e-9);
        const trainVal = Math.min(m, Math.round((p[0] + p[1]) * m + 1e-9));
        for (let k = 0; k < m; k++) assignment[rows[k]] = k < train ? 0 : k < trainVal ? 1 : 2;
      }
      return fromAssignment(assignment);
    }
    case "hash": {
      const { column } = config as { column: string };
      const p = checkProbabilities((config as { probabilities?: number[] }).probabilities);
      const cells = dataset.column(requireColumn(column, type));
      const assignment = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const cell = cells[i];
        if (cell === null) {
          throw new DataError("found a missing id: hash splits need an id in every row", {
            action: "Cannot split",
            file: sourceFile(dataset.source),
            column,
            row: i,
          });
        }
        const u = hashFraction(typeof cell === "string" ? cell : JSON.stringify(cell, bigintJson));
        assignment[i] = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
      }
      return fromAssignment(assignment);
    }
    case "datetime": {
      const { column, datetime_format } = config as { column: string; datetime_format?: string };
      const p = checkProbabilities((config as { probabilities?: number[] }).probabilities);
      const cells = dataset.column(requireColumn(column, type));
      const times = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const cell = cells[i];
        if (cell === null || cell === "") {
          times[i] = Infinity; // missing dates sort last, as pandas sorts NaT
          continue;
        }
        const date = tryParseDatetime(cell, datetime_format);
        if (date === undefined) {
          throw new DataError(
            `cannot parse ${quoteValue(cell)} as a date${
              datetime_format ? ` in the format "${datetime_format}"` : ""
            }`,
            {
              action: "Cannot split",
              file: sourceFile(dataset.source),
              column,
              row: i,
              featureType: "date",
            },
          );
        }
        times[i] = date.getTime();
      }
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
        times[a] - times[b] || a - b
      );
      const [train, val] = sizes(n, p);
      return {
        training: Int32Array.from(order.slice(0, train)),
        validation: Int32Array.from(order.slice(train, train + val)),
        test: Int32Array.from(order.slice(train + val)),
      };
    }
    default:
      throw new TypeError(
        `Cannot split data: unknown split type ${quoteValue(type)}: expected one of ${
          SPLIT_TYPES.map((t) => `"${t}"`).join(", ")
        }`,
      );
  }
}

function requireColumn(column: string | undefined, type: string): string {
  if (typeof column !== "string" || column === "") {
    throw new TypeError(`Cannot split data: split type "${type}" needs "column"`);
  }
  return column;
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? String(value) : value;
}

function classKey(cell: Cell): string {
  if (cell === null) return "null";
  if (typeof cell === "string") return `s${cell}`;
  return `v${JSON.stringify(cell, bigintJson)}`;
}

function fixedValue(cell: Cell, dataset: Dataset, column: string, row: number): number {
  let v: number | undefined;
  if (typeof cell === "number") v = cell;
  else if (typeof cell === "bigint") v = Number(cell);
  else if (typeof cell === "string" && /^\s*[+]?\d+(\.0*)?\s*$/.test(cell)) v = Number(cell);
  if (v === 0 || v === 1 || v === 2) return v;
  throw new DataError(
    `expected 0 (training), 1 (validation) or 2 (test), received ${quoteValue(cell)}`,
    { action: "Cannot split", file: sourceFile(dataset.source), column, row },
  );
}

/**
 * A stable hash of a string to [0, 1): cyrb53 over UTF-16 code units, 53 bits. Fixed forever:
 * changing it would move ids between splits.
 */
export function hashFraction(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const h = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return h / 9007199254740992;
}

function finish(
  training: Dataset,
  validation: Dataset,
  test: Dataset,
  file: string | undefined,
): SplitDatasets {
  if (training.numRows === 0) {
    throw new DataError(`the training split is empty: check "preprocessing.split"`, {
      action: "Cannot split",
      file,
    });
  }
  const empty = SPLIT_NAMES.filter((_, k) => [training, validation, test][k].numRows === 0);
  return { training, validation, test, empty };
}

/**
 * Splits a dataset into training, validation and test datasets.
 *
 * @param dataset The data.
 * @param config The `preprocessing.split` config; default random 0.7/0.1/0.2.
 * @param options The seed (default 42).
 * @returns The three datasets and the list of empty ones.
 * @throws {DataError} When the split column is absent or holds a bad value, or the training
 * split is empty.
 *
 * @example Random split, same seed same split
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { Dataset } from "./dataset.ts";
 * import { splitDataset } from "./split.ts";
 * const ds = Dataset.fromColumns({ x: Array.from({ length: 10 }, (_, i) => i) });
 * const a = splitDataset(ds, { type: "random", probabilities: [0.6, 0.2, 0.2] }, { seed: 1 });
 * const b = splitDataset(ds, { type: "random", probabilities: [0.6, 0.2, 0.2] }, { seed: 1 });
 * assertEquals([a.training.numRows, a.validation.numRows, a.test.numRows], [6, 2, 2]);
 * assertEquals(a.test.column("x"), b.test.column("x"));
 * ```
 */
export function splitDataset(
  dataset: Dataset,
  config: SplitConfig = {},
  options: SplitOptions = {},
): SplitDatasets {
  const { training, validation, test } = splitIndices(dataset, config, options);
  return finish(
    dataset.select(training),
    dataset.select(validation),
    dataset.select(test),
    sourceFile(dataset.source),
  );
}

/** Ludwig's separate inputs: `training_set` plus optional `validation_set` and `test_set`. */
export interface SplitSources {
  /** The training data. */
  training_set: DataSource;
  /** The validation data, if any. */
  validation_set?: DataSource | null;
  /** The test data, if any. */
  test_set?: DataSource | null;
}

/**
 * Reads already-split data (Ludwig's `training_set` / `validation_set` / `test_set`); a
 * missing split becomes an empty dataset with the training columns.
 *
 * @param sources The sources, each anything {@linkcode readDataset} accepts.
 * @param options Read options applied to each source.
 * @returns The three datasets and the list of empty ones.
 *
 * @example Separate sets
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readSplitDatasets } from "./split.ts";
 * const splits = await readSplitDatasets({
 *   training_set: [{ x: 1 }, { x: 2 }],
 *   test_set: [{ x: 3 }],
 * });
 * assertEquals(splits.test.column("x"), [3]);
 * assertEquals(splits.empty, ["validation"]);
 * ```
 */
export async function readSplitDatasets(
  sources: SplitSources,
  options: ReadOptions = {},
): Promise<SplitDatasets> {
  const training = await readDataset(sources.training_set, options);
  const read = async (source: DataSource | null | undefined): Promise<Dataset> =>
    source === null || source === undefined
      ? training.select([])
      : await readDataset(source, options);
  const validation = await read(sources.validation_set);
  const test = await read(sources.test_set);
  return finish(training, validation, test, sourceFile(training.source));
}
