/**
 * Shared pieces of the preprocessing layer: the encoded-column types, the contract of a feature
 * type's implementation module ({@linkcode FeatureImpl}), parsed-column helpers (take, fill,
 * bfill/ffill, mode), postprocessing helpers and the data errors.
 *
 * An implementation turns a column's raw cells into a parsed column (`values` plus a `missing`
 * mask), fits Ludwig's feature metadata on the training split and encodes parsed values into a
 * typed array; an output type also turns raw network outputs into prediction columns and names
 * its metric part. The pipeline in `preprocess.ts` owns missing values, drop_row and outliers,
 * so each implementation stays small.
 *
 * @module
 */
import type { Cell } from "../data/dataset.ts";
import { DataError, quoteValue } from "../data/errors.ts";
import type { OverallBuilder, PartFactory } from "../train/_metric_parts.ts";
import type { ColumnDtype, ColumnSource } from "../train/_streamed.ts";

export type { ColumnDtype };

/** Row-major values of an encoded column, by its dtype. */
export type ColumnData = Float32Array | Int32Array | Uint8Array;

/** One encoded feature column: row-major data with a per-row shape. */
export interface EncodedColumn {
  /** Row-major values: `numRows × product(shape)` entries. */
  data: ColumnData;
  /**
   * The element type: a tensor dtype, or `uint8` (raw bytes such as image pixels, 4× smaller
   * than float32; batches turn them into float32 tensors of the same values).
   */
  dtype: ColumnDtype;
  /** The shape of one row: `[]` for a scalar, `[k]` for a vector. */
  shape: number[];
  /**
   * Set on a streamed column (`in_memory: false`, lib/train/batches.ts `streamedColumn`): its
   * rows are read from here, and reading `data` throws.
   */
  readonly source?: ColumnSource;
}

/** The encoded columns of one split, keyed by feature name. */
export interface EncodedSplit {
  /** Rows in every column. */
  numRows: number;
  /** Feature name → encoded column. */
  columns: Record<string, EncodedColumn>;
}

/** Ludwig's per-feature training-set metadata (idx2str, mean, std, … and `preprocessing`). */
export type FeatureMetadata = Record<string, unknown>;

/** Ludwig's training-set metadata: one entry per feature name. */
export type TrainingSetMetadata = Record<string, FeatureMetadata>;

/** Parsed values: numbers in a Float64Array (NaN = missing) or one JS value per row. */
export type Values = Float64Array | unknown[];

/** A column after parsing: one value per kept row, a missing mask and the source rows. */
export interface Parsed {
  /** Parsed values; a missing entry holds NaN (Float64Array) or `null`. */
  values: Values;
  /** 1 where the value is missing. */
  missing: Uint8Array;
  /** The 0-based row in the source dataset of each entry (for error messages). */
  rows: Int32Array;
}

/** What a handler knows about the feature it processes. */
export interface FeatureContext {
  /** Feature name. */
  name: string;
  /** Dataset column. */
  column: string;
  /** Feature type. */
  type: string;
  /** Output feature (else input). */
  output: boolean;
  /** The resolved preprocessing block (with computed values when known). */
  preprocessing: Record<string, unknown>;
  /** The source file, for errors. */
  file?: string;
  /** Extra resolved config keys of output features (threshold, clip, top_k, …). */
  config: Readonly<Record<string, unknown>>;
  /** Lines of a `vocab_file`, loaded before fitting. */
  vocabFile?: readonly string[];
}

/** One raw network output of an output feature (what `postprocessPredictions` reads). */
export interface RawOutput {
  /** Logits (binary, category, set, sequence, text). */
  logits?: Float32Array;
  /** Probabilities, instead of logits. */
  probabilities?: Float32Array;
  /** Values (number, vector). */
  values?: Float32Array;
  /** The full tensor shape, batch first: `[N]`, `[N, 1]`, `[N, C]`, `[N, L, V]`. */
  shape: number[];
}

/** What an output implementation knows when it postprocesses or predicts. */
export interface OutputContext {
  /** Output feature name (the prefix of its prediction columns). */
  name: string;
  /** The resolved output feature config (threshold, top_k, clip, preprocessing, …). */
  config: Readonly<Record<string, unknown>>;
  /** The feature's training-set metadata (`{}` when absent). */
  metadata: FeatureMetadata;
}

/**
 * The output half of a feature type's implementation: how raw outputs become Ludwig's
 * prediction columns, which metric part computes its metrics, and (classification types with
 * Ludwig's overall statistics) the class prediction rule.
 */
export interface OutputImpl {
  /** Raw logits/values of every row → prediction columns (`<name>_predictions`, …). */
  postprocess(out: RawOutput, ctx: OutputContext): Record<string, unknown[]>;
  /** The metric part of this type (lib/train/_metric_parts.ts). */
  readonly metrics: PartFactory;
  /**
   * The predicted class of each row from its probabilities (`rows × width` values; binary:
   * `p >= threshold`, category: argmax). Present exactly when the type has overall statistics.
   */
  predictClasses?(probabilities: Float32Array, rows: number, ctx: OutputContext): Int32Array;
  /** Ludwig's overall statistics of this type in test_statistics.json. */
  readonly overallStats?: OverallBuilder;
}

/**
 * One feature type's implementation module (`lib/features/_<type>.ts`), reached only through
 * its registry entry's `load()`. `parse` must reject with a {@linkcode DataError} (through
 * {@linkcode cellError}) for an unparseable non-missing cell; it is asynchronous so a type can
 * read files (images) or import heavy decoders lazily.
 */
export interface FeatureImpl {
  /** Parse the cells at `rows`. */
  parse(cells: readonly Cell[], rows: Int32Array, ctx: FeatureContext): Promise<Parsed>;
  /** Parse a fill value from the config or metadata (`fill_value`, `computed_fill_value`). */
  parseFill(value: unknown, ctx: FeatureContext): unknown;
  /** The JSON form of a parsed value, stored as `computed_fill_value`. */
  fillToJson(value: unknown): unknown;
  /** Fit metadata on the filled training column (without `preprocessing`). */
  fit(parsed: Parsed, ctx: FeatureContext): FeatureMetadata;
  /** Encode a filled column with fitted metadata. */
  encode(parsed: Parsed, metadata: FeatureMetadata, ctx: FeatureContext): EncodedColumn;
  /** The mean of the non-missing values (`fill_with_mean`), when the type has one. */
  mean?(parsed: Parsed): number;
  /** Values whose distance from the mean exceeds the outlier threshold (number only). */
  outliers?(parsed: Parsed, metadata: FeatureMetadata, ctx: FeatureContext): Uint8Array;
  /** Extra checks of a fill strategy (binary `fill_with_false`/`fill_with_true`). */
  strategyFill?(strategy: string, parsed: Parsed, ctx: FeatureContext): unknown;
  /** Present for types that can be output features. */
  readonly output?: OutputImpl;
}

/** The action verb of every preprocessing error. */
export const ACTION = "Cannot preprocess";

/**
 * A data error at one cell: `Cannot preprocess "<file>": column "<c>": data row <n>: <detail>`,
 * where `<n>` is 1-based and counts data rows (the header is not a row); the error's `row`
 * field keeps the 0-based index, as everywhere in lib/data.
 */
export function cellError(ctx: FeatureContext, row: number, detail: string): DataError {
  const error = new DataError(`data row ${row + 1}: ${detail}`, {
    action: ACTION,
    file: ctx.file,
    column: ctx.column,
    featureType: ctx.type,
  });
  Object.defineProperty(error, "row", { value: row, enumerable: true });
  return error;
}

/** A data error about a whole column. */
export function columnError(ctx: FeatureContext, detail: string): DataError {
  return new DataError(detail, {
    action: ACTION,
    file: ctx.file,
    column: ctx.column,
    featureType: ctx.type,
  });
}

/** Re-throws a lib/data cell error as a preprocessing {@linkcode cellError}. */
export function rethrowCell(error: unknown, ctx: FeatureContext, row: number): never {
  if (error instanceof DataError) throw cellError(ctx, row, error.detail);
  throw error;
}

/** `quoteValue` re-exported for handlers. */
export { quoteValue };

/** Whether a raw cell is missing: null, undefined or a blank string. */
export function isMissingCell(cell: unknown): boolean {
  return cell === null || cell === undefined || (typeof cell === "string" && cell.trim() === "");
}

/** A raw cell as a string (Python `str()`-like for booleans). */
export function cellString(cell: unknown): string {
  if (typeof cell === "string") return cell;
  if (typeof cell === "boolean") return cell ? "True" : "False";
  if (typeof cell === "number" || typeof cell === "bigint") return String(cell);
  return JSON.stringify(cell);
}

/** Entries `idx` of a parsed column, in that order. */
export function takeParsed(parsed: Parsed, idx: Int32Array): Parsed {
  const n = idx.length;
  const rows = new Int32Array(n);
  const missing = new Uint8Array(n);
  let values: Values;
  if (parsed.values instanceof Float64Array) {
    const src = parsed.values;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = src[idx[i]];
    values = out;
  } else {
    const src = parsed.values;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = src[idx[i]];
    values = out;
  }
  for (let i = 0; i < n; i++) {
    rows[i] = parsed.rows[idx[i]];
    missing[i] = parsed.missing[idx[i]];
  }
  return { values, missing, rows };
}

/** Indices of the entries where `keep` is 1. */
export function maskToIndices(keep: Uint8Array): Int32Array {
  let count = 0;
  for (let i = 0; i < keep.length; i++) count += keep[i];
  const out = new Int32Array(count);
  for (let i = 0, j = 0; i < keep.length; i++) if (keep[i]) out[j++] = i;
  return out;
}

/** Sets every missing entry to `value` (a parsed value) and clears the mask. */
export function fillConstant(parsed: Parsed, value: unknown): void {
  const { values, missing } = parsed;
  for (let i = 0; i < missing.length; i++) {
    if (missing[i]) {
      values[i] = value as never;
      missing[i] = 0;
    }
  }
}

/**
 * pandas `fillna(method=bfill|ffill)` followed by the other direction for the entries left at
 * the ends (as Ludwig does).
 *
 * @throws {DataError} When every value is missing.
 */
export function fillAdjacent(parsed: Parsed, strategy: "bfill" | "ffill", ctx: FeatureContext) {
  const { values, missing } = parsed;
  const n = missing.length;
  let any = false;
  for (let i = 0; i < n; i++) {
    if (!missing[i]) {
      any = true;
      break;
    }
  }
  if (!any) {
    if (n === 0) return;
    throw columnError(ctx, `found only missing values: "${strategy}" has nothing to fill from`);
  }
  const backward = () => {
    let next = -1;
    for (let i = n - 1; i >= 0; i--) {
      if (!missing[i]) next = i;
      else if (next >= 0) {
        values[i] = values[next] as never;
        missing[i] = 0;
      }
    }
  };
  const forward = () => {
    let prev = -1;
    for (let i = 0; i < n; i++) {
      if (!missing[i]) prev = i;
      else if (prev >= 0) {
        values[i] = values[prev] as never;
        missing[i] = 0;
      }
    }
  };
  if (strategy === "bfill") {
    backward();
    forward();
  } else {
    forward();
    backward();
  }
}

/**
 * The most frequent non-missing value (pandas `value_counts().index[0]`; ties go to the value
 * seen first). Values are compared by `key`.
 */
export function modeOf(parsed: Parsed, key: (v: unknown) => string = defaultKey): unknown {
  const counts = new Map<string, { value: unknown; count: number }>();
  const { values, missing } = parsed;
  for (let i = 0; i < missing.length; i++) {
    if (missing[i]) continue;
    const v = values[i];
    const k = key(v);
    const entry = counts.get(k);
    if (entry === undefined) counts.set(k, { value: v, count: 1 });
    else entry.count++;
  }
  let best: { value: unknown; count: number } | undefined;
  for (const entry of counts.values()) {
    if (best === undefined || entry.count > best.count) best = entry;
  }
  return best?.value;
}

function defaultKey(v: unknown): string {
  if (typeof v === "string") return `s${v}`;
  if (typeof v === "bigint") return `b${v}`;
  if (ArrayBuffer.isView(v)) return `a${Array.from(v as Float32Array).join(" ")}`;
  return `v${String(v)}`;
}

/** A new `Parsed` with string values (missing = null or blank). */
export function parseStrings(
  cells: readonly Cell[],
  rows: Int32Array,
  transform?: (s: string) => string,
): Parsed {
  const n = rows.length;
  const values = new Array<unknown>(n);
  const missing = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const cell = cells[rows[i]];
    if (isMissingCell(cell)) {
      values[i] = null;
      missing[i] = 1;
    } else {
      const s = cellString(cell);
      values[i] = transform ? transform(s) : s;
    }
  }
  return { values, missing, rows: rows.slice() };
}

/** `x` as a JSON-safe finite number (float32 statistics are stored as float64 numbers). */
export function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

/** The logistic function. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Row-wise softmax of `n` rows of `width` logits. */
export function softmaxRows(logits: Float32Array, n: number, width: number): Float32Array {
  const out = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < width; j++) max = Math.max(max, logits[i * width + j]);
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const e = Math.exp(logits[i * width + j] - max);
      out[i * width + j] = e;
      sum += e;
    }
    for (let j = 0; j < width; j++) out[i * width + j] /= sum;
  }
  return out;
}

/** Rows and values per row of a raw output, checked against its shape. */
export function outputRows(
  name: string,
  out: RawOutput,
  data: Float32Array,
): { n: number; width: number } {
  const n = out.shape[0];
  if (!Number.isInteger(n) || n < 0 || (n === 0 ? data.length !== 0 : data.length % n !== 0)) {
    throw new RangeError(
      `Cannot postprocess output "${name}": shape ${
        JSON.stringify(out.shape)
      } does not match ${data.length} values`,
    );
  }
  return { n, width: n === 0 ? 0 : data.length / n };
}

/** The first of `keys` present in a raw output. */
export function outputData(
  name: string,
  out: RawOutput,
  keys: ("logits" | "probabilities" | "values")[],
): { kind: "logits" | "probabilities" | "values"; data: Float32Array } {
  for (const k of keys) if (out[k] !== undefined) return { kind: k, data: out[k]! };
  throw new TypeError(
    `Cannot postprocess output "${name}": expected ${keys.map((k) => `"${k}"`).join(" or ")}`,
  );
}

/** Argmax of each of `rows` rows of `width` values (ties: the first). */
export function argmaxRows(values: Float32Array, rows: number, width: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < width; c++) {
      if (values[i * width + c] > values[i * width + best]) best = c;
    }
    out[i] = best;
  }
  return out;
}

/** The value of `fn()` as a promise: resolved, or rejected with what it throws. */
export function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
