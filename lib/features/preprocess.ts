/**
 * Preprocessing: raw datasets → model-ready typed arrays, following Ludwig's
 * `data/preprocessing.py` and `features/*_feature.py` (v0.8.6).
 *
 * Training (`preprocessForTraining`):
 * 1. read the data (`dataset`, or `training_set` / `validation_set` / `test_set`);
 * 2. look up the cache (see `cache.ts`; an entry whose checksums do not match is rebuilt, with a
 *    one-line warning);
 * 3. sample (`sample_ratio`, then `sample_size`; seeded; rows keep their order) and split
 *    (`preprocessing.split`, lib/data's `splitIndices`);
 * 4. per split: parse every feature's column (the type's implementation module, loaded through
 *    its registry entry; parsing is asynchronous) (an unparseable value is a {@linkcode DataError}
 *    naming file, column and 1-based data row), drop the rows where any feature with
 *    `drop_row` is missing (in every feature), fill the other missing values (`fill_with_const`,
 *    `fill_with_mode`, `fill_with_mean`, `fill_with_false`/`fill_with_true`, `bfill`, `ffill`),
 *    fit the metadata on the training split only, replace outliers (number features with
 *    `outlier_strategy`: values more than `outlier_threshold` training standard deviations from
 *    the training mean are treated as missing and handled by that strategy; `drop_row` drops the
 *    row everywhere), and encode;
 * 5. balance the training split for a binary first output (`oversample_minority`,
 *    `undersample_majority`);
 * 6. write the cache.
 *
 * `in_memory: false` (image features): the feature's column is streamed from the cache's split
 * files instead of being held in memory. On a cache hit those files are checked against their
 * SHA-256 streaming and the column is never read whole; on a miss the split is encoded, written,
 * and the in-memory column replaced by the streamed one, so training, evaluation and the
 * checkpoints read its rows batch by batch (lib/train/batches.ts `streamedColumn`). As in
 * Ludwig, without a cache file (`skip_save_processed_input` on a miss) the column stays in
 * memory. A feature with `cache_encoder_embeddings` is not streamed: its images are read once
 * to compute the embeddings, which replace them.
 *
 * Fill values computed from data (mode, mean) are stored as `computed_fill_value` (and
 * `computed_outlier_fill_value`) in the metadata's `preprocessing`, so prediction fills the same
 * way. Encodings per type are documented in the `_<type>.ts` files.
 *
 * @example Train-time preprocessing of in-memory data
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { validateConfig } from "../config/mod.ts";
 * import { Dataset } from "../data/mod.ts";
 * import { preprocessForTraining } from "./preprocess.ts";
 * const config = validateConfig({
 *   input_features: [{ name: "x", type: "number" }],
 *   output_features: [{ name: "y", type: "binary" }],
 *   preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
 * });
 * const dataset = Dataset.fromColumns({ x: [1, 2, 3, 4], y: [true, false, true, false] });
 * const result = await preprocessForTraining(config, { dataset }, { skipSaveProcessedInput: true });
 * assertEquals(result.training.numRows, 4);
 * assertEquals(result.metadata.x.mean, 2.5);
 * assertEquals(result.training.columns.x.shape, []);
 * ```
 *
 * @module
 */
import { resolve } from "node:path";
import { randomPermutation, seededRandom } from "../_util/random.ts";
import type { ModelConfig } from "../config/model.ts";
import { Dataset, sourceFile } from "../data/dataset.ts";
import { DataError } from "../data/errors.ts";
import { type DataSource, readDataset } from "../data/read.ts";
import { type SplitConfig, splitIndices } from "../data/split.ts";
import { readVocabFile } from "../data/vocabulary.ts";
import {
  ACTION,
  columnError,
  type EncodedColumn,
  type EncodedSplit,
  type FeatureContext,
  type FeatureImpl,
  fillAdjacent,
  fillConstant,
  maskToIndices,
  modeOf,
  type Parsed,
  type RawOutput,
  takeParsed,
  type TrainingSetMetadata,
} from "./_common.ts";
import { featureImpl, loadFeatureImpl } from "./runtime.ts";
import { featureEntry } from "../config/components.ts";
import {
  CACHE_FORMAT_VERSION,
  type CacheEntry,
  cacheKey,
  defaultCacheDir,
  lookupCache,
  openSplitColumns,
  splitFilePath,
  writeCache,
} from "./cache.ts";
import { streamedColumn } from "../train/_streamed.ts";
import { setOwn } from "../model/names.ts";

export type {
  ColumnData,
  ColumnDtype,
  EncodedColumn,
  EncodedSplit,
  FeatureMetadata,
  RawOutput,
  TrainingSetMetadata,
} from "./_common.ts";

/** What {@linkcode preprocessForTraining} returns. */
export interface PreprocessResult {
  /** The training-set metadata: one entry per feature. */
  metadata: TrainingSetMetadata;
  /** The encoded training split. */
  training: EncodedSplit;
  /** The encoded validation split, when it has rows. */
  validation?: EncodedSplit;
  /** The encoded test split, when it has rows. */
  test?: EncodedSplit;
  /** The raw rows kept in each split, aligned with the encoded rows (built on first access). */
  raw: { training: Dataset; validation?: Dataset; test?: Dataset };
  /** The cache key, whether it was a hit, and the cache entry's meta file. */
  cache: { key: string; hit: boolean; path?: string };
  /** When one `dataset` was split: its row count and the rows kept in each split (split files). */
  splitRows?: { rows: number } & Partial<Record<"training" | "validation" | "test", Int32Array>>;
}

/** The data of {@linkcode preprocessForTraining} (Ludwig's `dataset` / `*_set` arguments). */
export interface TrainingData {
  /** One dataset, split by `preprocessing.split`. */
  dataset?: DataSource | Dataset;
  /** The training set, when the data is already split. */
  training_set?: DataSource | Dataset;
  /** The validation set. */
  validation_set?: DataSource | Dataset;
  /** The test set. */
  test_set?: DataSource | Dataset;
  /** The file format (lib/data's names; default detected from the extension). */
  data_format?: string;
}

/** Options of {@linkcode preprocessForTraining}. */
export interface PreprocessOptions {
  /** Seed of sampling, splitting and balancing; default 42. */
  seed?: number;
  /** The cache folder (default: `backend.cache_dir`, else the dataset file's folder, else `.cache/sonata`). */
  cacheDir?: string;
  /** Do not write the cache (Ludwig's `skip_save_processed_input`); it is still read. */
  skipSaveProcessedInput?: boolean;
  /** Receives one-line warnings (a corrupt cache entry being rebuilt); default: stderr. */
  onWarning?: (message: string) => void;
  /** Training-set metadata to encode with instead of fitting it (Ludwig's `training_set_metadata`). */
  metadata?: TrainingSetMetadata;
}

function stderrLine(message: string): void {
  const bytes = new TextEncoder().encode(`${message}\n`);
  try {
    let written = 0;
    while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
  } catch {
    // A closed stderr: nothing useful to do.
  }
}

/** Options of {@linkcode preprocessForPrediction}. */
export interface PredictionOptions {
  /** Also encode the output features (for evaluation); default false. */
  includeOutputs?: boolean;
}

interface FeatureSpec {
  name: string;
  column: string;
  type: string;
  output: boolean;
  preprocessing: Record<string, unknown>;
  config: Readonly<Record<string, unknown>>;
  handler: FeatureImpl;
  vocabFile?: readonly string[];
}

async function featureSpecs(config: ModelConfig, outputs: boolean): Promise<FeatureSpec[]> {
  const specs: FeatureSpec[] = [];
  const add = async (f: { name: string; type: string; column?: string }, output: boolean) => {
    const feature = f as unknown as Record<string, unknown> & { name: string; type: string };
    specs.push({
      name: f.name,
      column: f.column ?? f.name,
      type: f.type,
      output,
      preprocessing: structuredClone(
        (feature.preprocessing ?? {}) as Record<string, unknown>,
      ),
      config: feature,
      handler: await loadFeatureImpl(f.type, `Cannot preprocess feature "${f.name}"`),
    });
  };
  for (const f of config.input_features) await add(f, false);
  if (outputs) { for (const f of config.output_features) await add(f, true); }
  return specs;
}

/**
 * The input features whose columns are streamed from the cache file (`preprocessing.in_memory:
 * false`, not `cache_encoder_embeddings`), name → the column as errors name it.
 */
function streamedFeatures(specs: readonly FeatureSpec[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const spec of specs) {
    const prep = spec.preprocessing;
    if (spec.output || prep.in_memory !== false || prep.cache_encoder_embeddings === true) continue;
    out.set(spec.name, `input feature "${spec.name}"`);
  }
  return out;
}

function contextOf(
  spec: FeatureSpec,
  file: string | undefined,
  preprocessing = spec.preprocessing,
) {
  const ctx: FeatureContext = {
    name: spec.name,
    column: spec.column,
    type: spec.type,
    output: spec.output,
    preprocessing,
    file,
    config: spec.config,
    vocabFile: spec.vocabFile,
  };
  return ctx;
}

const CONST_STRATEGIES = new Set([
  "fill_with_const",
  "fill_with_mode",
  "fill_with_mean",
  "fill_with_false",
  "fill_with_true",
]);

/** Computes the fill value of a strategy on training data (JSON form), or undefined. */
function computeFill(
  handler: FeatureImpl,
  strategy: string,
  parsed: Parsed,
  ctx: FeatureContext,
): unknown {
  switch (strategy) {
    case "fill_with_const": {
      const v = ctx.preprocessing.fill_value;
      if (v === null || v === undefined) {
        throw new TypeError(
          `Cannot preprocess feature "${ctx.name}": "missing_value_strategy" is "fill_with_const" but "fill_value" is null`,
        );
      }
      return handler.fillToJson(handler.parseFill(v, ctx));
    }
    case "fill_with_mean": {
      if (handler.mean === undefined) {
        throw new TypeError(
          `Cannot preprocess feature "${ctx.name}": "fill_with_mean" needs a number feature, not ${ctx.type}`,
        );
      }
      const mean = handler.mean(parsed);
      if (Number.isNaN(mean)) throw columnError(ctx, "found no values to compute the mean from");
      return mean;
    }
    case "fill_with_mode": {
      if (handler.strategyFill !== undefined) return handler.strategyFill(strategy, parsed, ctx);
      const mode = modeOf(parsed);
      if (mode === undefined) throw columnError(ctx, "found no values to compute the mode from");
      return handler.fillToJson(mode);
    }
    case "fill_with_false":
    case "fill_with_true":
      if (handler.strategyFill === undefined) {
        throw new TypeError(
          `Cannot preprocess feature "${ctx.name}": "${strategy}" needs a binary feature, not ${ctx.type}`,
        );
      }
      return handler.strategyFill(strategy, parsed, ctx);
    default:
      return undefined;
  }
}

/** Applies a missing-value strategy to the entries flagged in `parsed.missing`. */
function applyStrategy(
  handler: FeatureImpl,
  strategy: string,
  fill: unknown,
  parsed: Parsed,
  ctx: FeatureContext,
): void {
  if (CONST_STRATEGIES.has(strategy)) {
    if (fill === undefined || fill === null) {
      throw new TypeError(
        `Cannot preprocess feature "${ctx.name}": no computed fill value for "${strategy}"`,
      );
    }
    fillConstant(parsed, handler.parseFill(fill, ctx));
  } else if (strategy === "bfill" || strategy === "ffill") fillAdjacent(parsed, strategy, ctx);
  else if (strategy !== "drop_row") {
    throw new TypeError(
      `Cannot preprocess feature "${ctx.name}": unknown missing value strategy "${strategy}"`,
    );
  }
}

interface SplitOutcome {
  split: EncodedSplit;
  /** Source rows kept, aligned with the encoded rows. */
  rows: Int32Array;
}

/**
 * Preprocesses the rows `rows` of `dataset`. With `metadata` undefined it fits the metadata
 * (training split) and stores it in `fitted`.
 */
async function processSplit(
  specs: FeatureSpec[],
  dataset: Dataset,
  rows: Int32Array,
  metadata: TrainingSetMetadata | undefined,
  fitted: TrainingSetMetadata,
): Promise<SplitOutcome> {
  const file = sourceFile(dataset.source);
  const fitting = metadata === undefined;
  // 1. Parse.
  const contexts = specs.map((spec) =>
    contextOf(
      spec,
      file,
      fitting ? spec.preprocessing : metadataPreprocessing(metadata, spec),
    )
  );
  let parsed = await Promise.all(specs.map((spec, k) => {
    const cells = dataset.column(spec.column);
    return spec.handler.parse(cells, rows, contexts[k]);
  }));
  // 2. drop_row across every feature.
  const n = rows.length;
  let keep: Uint8Array | undefined;
  specs.forEach((_, k) => {
    if (contexts[k].preprocessing.missing_value_strategy !== "drop_row") return;
    const missing = parsed[k].missing;
    for (let i = 0; i < n; i++) {
      if (missing[i]) (keep ??= new Uint8Array(n).fill(1))[i] = 0;
    }
  });
  if (keep !== undefined) {
    const idx = maskToIndices(keep);
    parsed = parsed.map((p) => takeParsed(p, idx));
  }
  // 3. Fill, fit, outliers.
  let outlierKeep: Uint8Array | undefined;
  specs.forEach((spec, k) => {
    const ctx = contexts[k];
    const prep = ctx.preprocessing;
    const p = parsed[k];
    const strategy = prep.missing_value_strategy as string;
    const outlierStrategy = (prep.outlier_strategy as string | null | undefined) ?? null;
    if (fitting) {
      const fill = computeFill(spec.handler, strategy, p, ctx);
      if (fill !== undefined) prep.computed_fill_value = fill;
      if (outlierStrategy !== null && spec.handler.outliers !== undefined) {
        const outlierFill = outlierStrategy === strategy
          ? fill
          : computeFill(spec.handler, outlierStrategy, p, ctx);
        if (outlierFill !== undefined) prep.computed_outlier_fill_value = outlierFill;
      }
    }
    applyStrategy(spec.handler, strategy, prep.computed_fill_value, p, ctx);
    if (fitting) {
      const meta = spec.handler.fit(p, ctx);
      meta.preprocessing = prep;
      setOwn(fitted, spec.name, meta);
    }
    if (outlierStrategy !== null && spec.handler.outliers !== undefined) {
      const meta = fitting ? fitted[spec.name] : metadata![spec.name];
      const outliers = spec.handler.outliers(p, meta, ctx);
      for (let i = 0; i < outliers.length; i++) if (outliers[i]) p.missing[i] = 1;
      if (outlierStrategy === "drop_row") {
        for (let i = 0; i < outliers.length; i++) {
          if (outliers[i]) (outlierKeep ??= new Uint8Array(outliers.length).fill(1))[i] = 0;
        }
        for (let i = 0; i < outliers.length; i++) p.missing[i] = 0;
      } else {
        applyStrategy(spec.handler, outlierStrategy, prep.computed_outlier_fill_value, p, ctx);
      }
    }
  });
  if (outlierKeep !== undefined) {
    const idx = maskToIndices(outlierKeep);
    parsed = parsed.map((p) => takeParsed(p, idx));
  }
  // 4. Encode.
  const columns: Record<string, EncodedColumn> = {};
  specs.forEach((spec, k) => {
    const meta = fitting ? fitted[spec.name] : metadata![spec.name];
    setOwn(columns, spec.name, spec.handler.encode(parsed[k], meta, contexts[k]));
  });
  const kept = parsed.length > 0 ? parsed[0].rows : rowsAfter(rows, keep, outlierKeep);
  return { split: { numRows: kept.length, columns }, rows: kept };
}

function rowsAfter(rows: Int32Array, ...masks: (Uint8Array | undefined)[]): Int32Array {
  let out = rows;
  for (const mask of masks) {
    if (mask === undefined) continue;
    const idx = maskToIndices(mask);
    out = Int32Array.from(idx, (i) => out[i]);
  }
  return out;
}

function metadataPreprocessing(
  metadata: TrainingSetMetadata,
  spec: FeatureSpec,
): Record<string, unknown> {
  const entry = metadata[spec.name];
  if (entry === undefined) {
    throw new TypeError(
      `Cannot preprocess feature "${spec.name}": the training-set metadata has no entry for it`,
    );
  }
  const prep = entry.preprocessing;
  return typeof prep === "object" && prep !== null
    ? { ...(prep as Record<string, unknown>) }
    : spec.preprocessing;
}

/** Selected rows of every column of an encoded split (rows may repeat). */
export function takeRows(split: EncodedSplit, idx: Int32Array): EncodedSplit {
  const columns: Record<string, EncodedColumn> = {};
  for (const [name, c] of Object.entries(split.columns)) {
    const width = c.shape.reduce((a, b) => a * b, 1);
    const data = new (c.data.constructor as new (n: number) => typeof c.data)(idx.length * width);
    for (let i = 0; i < idx.length; i++) {
      data.set(c.data.subarray(idx[i] * width, (idx[i] + 1) * width), i * width);
    }
    setOwn(columns, name, { data, dtype: c.dtype, shape: [...c.shape] });
  }
  return { numRows: idx.length, columns };
}

/** Ludwig's sampling: `sample_ratio` then `sample_size`, seeded; kept rows stay in order. */
function sampleRows(n: number, ratio: number, size: number | null, seed: number, file?: string) {
  let count = n;
  if (ratio < 1) {
    if (n * ratio < 1) {
      throw new DataError(
        `sample_ratio ${ratio} keeps no row of ${n}: increase "preprocessing.sample_ratio"`,
        { action: ACTION, file },
      );
    }
    count = Math.round(n * ratio);
  }
  if (size !== null && size < count) count = size;
  if (count === n) return undefined;
  const rows = randomPermutation(n, seed).slice(0, count);
  return rows.sort();
}

/** Ludwig `balance_data` on the encoded training split (first output feature, binary). */
function balance(
  config: ModelConfig,
  training: { split: EncodedSplit; rows: Int32Array },
  seed: number,
): { split: EncodedSplit; rows: Int32Array } {
  const { oversample_minority: over, undersample_majority: under } = config.preprocessing;
  if (!over && !under) return training;
  const target = config.output_features[0];
  if (featureEntry(target.type)?.output?.twoClass !== true) {
    throw new TypeError(
      `Cannot balance data: "oversample_minority" and "undersample_majority" need a binary first output feature, "${target.name}" is ${target.type}`,
    );
  }
  const y = training.split.columns[target.name].data;
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < y.length; i++) (y[i] > 0.5 ? pos : neg).push(i);
  if (pos.length === 0 || neg.length === 0) return training;
  // value_counts().idxmax(): on a tie pandas keeps the first value seen as the majority.
  const firstIsPos = y[0] > 0.5;
  const posMajority = pos.length > neg.length || (pos.length === neg.length && firstIsPos);
  let minority = posMajority ? neg : pos;
  let majority = posMajority ? pos : neg;
  const random = seededRandom(seed);
  if (over) {
    const count = Math.round(majority.length * over);
    minority = Array.from(
      { length: count },
      () => minority[Math.floor(random() * minority.length)],
    );
  } else if (under) {
    const count = Math.min(majority.length, Math.trunc(minority.length / under));
    const perm = randomPermutation(majority.length, seed);
    majority = Array.from(perm.subarray(0, count), (i) => majority[i]);
  }
  const idx = Int32Array.from([...minority, ...majority]).sort();
  return {
    split: takeRows(training.split, idx),
    rows: Int32Array.from(idx, (i) => training.rows[i]),
  };
}

async function toDataset(source: DataSource | Dataset, format?: string): Promise<Dataset> {
  if (source instanceof Dataset) return source;
  return await readDataset(source, format ? { format } : {});
}

function lazyRaw(
  parts: Partial<
    Record<"training" | "validation" | "test", { dataset: Dataset; rows: Int32Array }>
  >,
): PreprocessResult["raw"] {
  const raw = {} as PreprocessResult["raw"];
  for (const [name, part] of Object.entries(parts)) {
    if (part === undefined) continue;
    let cached: Dataset | undefined;
    Object.defineProperty(raw, name, {
      enumerable: true,
      get: () => (cached ??= part.dataset.select(part.rows)),
    });
  }
  return raw;
}

/**
 * Preprocesses data for training: sample, split, fit the training-set metadata on the training
 * split, encode every split, balance, and cache the result.
 *
 * @param config A resolved config (`loadConfig` / `validateConfig`).
 * @param data `dataset` (split by the config), or `training_set` plus optional
 * `validation_set` / `test_set` (sampling then applies to the training set only).
 * @param options Seed (default 42), cache folder, and whether to skip writing the cache.
 * @returns Metadata, encoded splits (empty validation/test splits are left out), the raw rows
 * of each split and the cache outcome.
 * @throws {DataError} For absent columns, unparseable or non-finite values, an empty training
 * split, or statistics that cannot be computed.
 *
 * @example Missing values, metadata and the cache key
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { validateConfig } from "../config/mod.ts";
 * import { Dataset } from "../data/mod.ts";
 * import { preprocessForTraining } from "./preprocess.ts";
 * const config = validateConfig({
 *   input_features: [{ name: "color", type: "category" }],
 *   output_features: [{ name: "price", type: "number" }],
 *   preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
 * });
 * const dataset = Dataset.fromColumns({ color: ["red", null, "blue"], price: [1, 2, null] });
 * const result = await preprocessForTraining(config, { dataset }, { skipSaveProcessedInput: true });
 * // The output's drop_row drops the third row; the input's missing color becomes "<UNK>".
 * assertEquals(result.training.numRows, 2);
 * assertEquals(result.metadata.color.idx2str, ["red", "<UNK>"]);
 * assertEquals(result.cache.key.length, 64);
 * ```
 */
export async function preprocessForTraining(
  config: ModelConfig,
  data: TrainingData,
  options: PreprocessOptions = {},
): Promise<PreprocessResult> {
  const seed = options.seed ?? 42;
  const format = data.data_format;
  let sources: Partial<Record<"dataset" | "training" | "validation" | "test", Dataset>>;
  if (data.dataset !== undefined && data.dataset !== null) {
    sources = { dataset: await toDataset(data.dataset, format) };
  } else if (data.training_set !== undefined && data.training_set !== null) {
    sources = { training: await toDataset(data.training_set, format) };
    if (data.validation_set != null) {
      sources.validation = await toDataset(data.validation_set, format);
    }
    if (data.test_set != null) sources.test = await toDataset(data.test_set, format);
  } else {
    throw new TypeError(`Cannot preprocess data: pass "dataset" or "training_set"`);
  }
  const specs = await featureSpecs(config, true);
  const checksums: Record<string, string> = {};
  for (const [role, ds] of Object.entries(sources)) checksums[role] = await ds!.checksum();
  const key = await cacheKey({
    format: CACHE_FORMAT_VERSION,
    datasets: checksums,
    preprocessing: config.preprocessing,
    features: specs.map((s) => ({
      name: s.name,
      column: s.column,
      type: s.type,
      role: s.output ? "output" : "input",
      preprocessing: s.preprocessing,
    })),
    seed,
    given_metadata: options.metadata,
  });
  const main = sources.dataset ?? sources.training!;
  const file = sourceFile(main.source);
  const cacheDir = resolve(options.cacheDir ?? config.backend.cache_dir ?? defaultCacheDir(file));
  const datasetOf = (name: "training" | "validation" | "test") => sources.dataset ?? sources[name]!;
  const splitRowsOf = (splits: Partial<Record<string, { rows: Int32Array }>>) =>
    sources.dataset === undefined ? {} : {
      splitRows: {
        rows: sources.dataset.numRows,
        ...Object.fromEntries(Object.entries(splits).map(([name, s]) => [name, s!.rows])),
      },
    };

  const streamed = streamedFeatures(specs);
  const found = await lookupCache(cacheDir, key, streamed.size > 0 ? { streamed } : {});
  if (found.status === "corrupt") {
    (options.onWarning ?? stderrLine)(
      `Warning: the preprocessing cache is corrupt (${found.reason}): rebuilding it`,
    );
  }
  if (found.status === "hit") {
    const cached = found;
    const { entry } = cached;
    const raw = lazyRaw(
      Object.fromEntries(
        Object.entries(entry.splits).map(([name, s]) => [
          name,
          { dataset: datasetOf(name as "training"), rows: s!.rows },
        ]),
      ),
    );
    return {
      metadata: entry.metadata,
      training: entry.splits.training.split,
      ...(entry.splits.validation ? { validation: entry.splits.validation.split } : {}),
      ...(entry.splits.test ? { test: entry.splits.test.split } : {}),
      raw,
      cache: { key, hit: true, path: cached.path },
      ...splitRowsOf(entry.splits),
    };
  }

  // Vocabulary files are read before fitting.
  for (const spec of specs) {
    const vocabFile = spec.preprocessing.vocab_file;
    if (typeof vocabFile === "string" && vocabFile !== "") {
      spec.vocabFile = await readVocabFile(vocabFile);
    }
  }

  // Sample and split.
  const g = config.preprocessing;
  const parts: Partial<Record<"training" | "validation" | "test", Int32Array>> = {};
  if (sources.dataset !== undefined) {
    const ds = sources.dataset;
    const sampled = sampleRows(ds.numRows, g.sample_ratio, g.sample_size, seed, file);
    const view = sampled === undefined ? ds : ds.select(sampled);
    const split = splitIndices(view, g.split as SplitConfig, { seed });
    const back = (idx: Int32Array) =>
      sampled === undefined ? idx : Int32Array.from(idx, (i) => sampled[i]);
    parts.training = back(split.training);
    parts.validation = back(split.validation);
    parts.test = back(split.test);
  } else {
    const tr = sources.training!;
    parts.training = sampleRows(tr.numRows, g.sample_ratio, g.sample_size, seed, file) ??
      Int32Array.from({ length: tr.numRows }, (_, i) => i);
    for (const name of ["validation", "test"] as const) {
      const ds = sources[name];
      if (ds !== undefined) parts[name] = Int32Array.from({ length: ds.numRows }, (_, i) => i);
    }
  }
  if (parts.training!.length === 0) {
    throw new DataError(`the training split is empty: check "preprocessing.split"`, {
      action: ACTION,
      file,
    });
  }

  // Fit on training, encode every split.
  const metadata: TrainingSetMetadata = options.metadata ? structuredClone(options.metadata) : {};
  const trainingOut = await processSplit(
    specs,
    datasetOf("training"),
    parts.training!,
    options.metadata ? metadata : undefined,
    options.metadata ? {} : metadata,
  );
  if (trainingOut.split.numRows === 0) {
    throw new DataError("every training row was dropped by a drop_row strategy", {
      action: ACTION,
      file,
    });
  }
  const outcomes: Partial<Record<"training" | "validation" | "test", SplitOutcome>> = {
    training: balance(config, trainingOut, seed),
  };
  for (const name of ["validation", "test"] as const) {
    const rows = parts[name];
    if (rows === undefined || rows.length === 0) continue;
    const out = await processSplit(specs, datasetOf(name), rows, metadata, {});
    if (out.split.numRows > 0) outcomes[name] = out;
  }

  const entry: CacheEntry = {
    metadata,
    splits: {
      training: outcomes.training!,
      ...(outcomes.validation ? { validation: outcomes.validation } : {}),
      ...(outcomes.test ? { test: outcomes.test } : {}),
    },
  };
  let path: string | undefined;
  if (!options.skipSaveProcessedInput) {
    // Round-trip through JSON so the cached and returned metadata are identical.
    entry.metadata = JSON.parse(JSON.stringify(metadata));
    path = await writeCache(cacheDir, key, entry, { dataset: file });
    // in_memory: false: the columns just written are read back on demand from now on, and the
    // in-memory copies are released.
    if (streamed.size > 0) {
      for (const [name, outcome] of Object.entries(outcomes)) {
        const lazy = await openSplitColumns(splitFilePath(cacheDir, key, name as "training"));
        for (const [column, what] of streamed) {
          const source = lazy.columns[column];
          if (source !== undefined) outcome!.split.columns[column] = streamedColumn(source, what);
        }
      }
    }
  }
  const raw = lazyRaw(
    Object.fromEntries(
      Object.entries(outcomes).map(([name, s]) => [
        name,
        { dataset: datasetOf(name as "training"), rows: s!.rows },
      ]),
    ),
  );
  return {
    metadata: entry.metadata,
    training: outcomes.training!.split,
    ...(outcomes.validation ? { validation: outcomes.validation.split } : {}),
    ...(outcomes.test ? { test: outcomes.test.split } : {}),
    raw,
    cache: { key, hit: false, ...(path !== undefined ? { path } : {}) },
    ...splitRowsOf(outcomes),
  };
}

/**
 * Encodes data for prediction (or evaluation) with the training-set metadata: the same fills,
 * outlier handling and encodings as training, with the metadata's fitted values.
 *
 * @param config The resolved config.
 * @param metadata The training-set metadata.
 * @param dataset The rows to encode.
 * @param options `includeOutputs` to also encode targets (their columns must exist).
 * @returns The encoded split and the indices of the dataset rows kept (drop_row).
 * @throws {DataError} For absent columns, unparseable values or wrong vector sizes.
 *
 * @example Unseen categories map to the fallback
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { validateConfig } from "../config/mod.ts";
 * import { Dataset } from "../data/mod.ts";
 * import { preprocessForPrediction, preprocessForTraining } from "./preprocess.ts";
 * const config = validateConfig({
 *   input_features: [{ name: "c", type: "category", preprocessing: { most_common: 1 } }],
 *   output_features: [{ name: "y", type: "binary" }],
 *   preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
 * });
 * const train = Dataset.fromColumns({ c: ["a", "a", "b"], y: [1, 0, 1] });
 * const { metadata } = await preprocessForTraining(config, { dataset: train }, { skipSaveProcessedInput: true });
 * const { split } = await preprocessForPrediction(
 *   config,
 *   metadata,
 *   Dataset.fromColumns({ c: ["a", "zzz"] }),
 * );
 * assertEquals([...split.columns.c.data], [1, 0]); // "<UNK>" is index 0
 * ```
 */
export async function preprocessForPrediction(
  config: ModelConfig,
  metadata: TrainingSetMetadata,
  dataset: Dataset,
  options: PredictionOptions = {},
): Promise<{ split: EncodedSplit; keptRows: Int32Array }> {
  const specs = await featureSpecs(config, options.includeOutputs === true);
  const rows = Int32Array.from({ length: dataset.numRows }, (_, i) => i);
  const out = await processSplit(specs, dataset, rows, metadata, {});
  return { split: out.split, keptRows: out.rows };
}

/**
 * Turns raw network outputs into Ludwig's prediction columns:
 *
 * | type | columns |
 * |---|---|
 * | binary | `<name>_predictions` (probability ≥ `threshold`; the original labels when the metadata has `bool2str`, else booleans), `<name>_probabilities` (`[1 - p, p]`), `<name>_probabilities_<false label>`, `<name>_probabilities_<true label>` (labels `False`/`True` without `bool2str`), `<name>_probability` |
 * | category | `<name>_predictions` (label), `<name>_probabilities` (array), `<name>_probability` (max), `<name>_probabilities_<label>` per class, `<name>_predictions_top_k` (`top_k` labels) |
 * | number | `<name>_predictions`: clipped to `clip` (in the model's output space, as Ludwig), then denormalized |
 * | set | `<name>_predictions` (labels with probability ≥ `threshold`), `<name>_probabilities` (their probabilities, as Ludwig) |
 * | vector | `<name>_predictions` (arrays; softmax applied when `softmax` is set) |
 * | sequence, text | `<name>_predictions` (token per position), `<name>_probabilities` (max probability per position), `<name>_probability` (sum of their logs) |
 *
 * Logits go through a sigmoid (binary, set) or softmax (category, sequence, text) first;
 * `probabilities` may be given instead. Each row of the table is the `output.postprocess` of
 * that type's implementation module.
 *
 * @param config The resolved config.
 * @param metadata The training-set metadata.
 * @param outputs Output feature name → its raw output and full shape (batch first).
 * @returns Prediction column name → one value per row.
 *
 * @example Category predictions
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { validateConfig } from "../config/mod.ts";
 * import { postprocessPredictions } from "./preprocess.ts";
 * const config = validateConfig({
 *   input_features: [{ name: "x", type: "number" }],
 *   output_features: [{ name: "animal", type: "category", top_k: 2 }],
 * });
 * const metadata = { animal: { idx2str: ["cat", "dog", "owl"], preprocessing: {} } };
 * const columns = postprocessPredictions(config, metadata, {
 *   animal: { logits: new Float32Array([0, 3, 1]), shape: [1, 3] },
 * });
 * assertEquals(columns.animal_predictions, ["dog"]);
 * assertEquals(columns.animal_predictions_top_k, [["dog", "owl"]]);
 * ```
 */
export function postprocessPredictions(
  config: ModelConfig,
  metadata: TrainingSetMetadata,
  outputs: Record<string, RawOutput>,
): Record<string, unknown[]> {
  const result: Record<string, unknown[]> = {};
  for (const feature of config.output_features) {
    const out = outputs[feature.name];
    if (out === undefined) continue;
    const meta = metadata[feature.name] ?? {};
    const impl = featureImpl(feature.type, `Cannot postprocess output "${feature.name}"`).output;
    if (impl === undefined) {
      throw new TypeError(
        `Cannot postprocess output "${feature.name}": type "${feature.type}" is not an output type`,
      );
    }
    Object.assign(
      result,
      impl.postprocess(out, {
        name: feature.name,
        config: feature as unknown as Record<string, unknown>,
        metadata: meta,
      }),
    );
  }
  return result;
}
