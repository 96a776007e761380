/**
 * Shared pieces of the preprocessing layer: the encoded-column types, the per-type handler
 * contract, parsed-column helpers (take, fill, bfill/ffill, mode) and the data errors.
 *
 * A handler turns a column's raw cells into a parsed column (`values` plus a `missing` mask),
 * fits Ludwig's feature metadata on the training split and encodes parsed values into a typed
 * array. The pipeline in `preprocess.ts` owns missing values, drop_row and outliers, so each
 * handler stays small.
 *
 * @module
 */
import type { Cell } from "../data/dataset.ts";
import { DataError, quoteValue } from "../data/errors.ts";

/** One encoded feature column: row-major data with a per-row shape. */
export interface EncodedColumn {
  /** Row-major values: `numRows × product(shape)` entries. */
  data: Float32Array | Int32Array;
  /** The element type, as a tensor dtype. */
  dtype: "float32" | "int32";
  /** The shape of one row: `[]` for a scalar, `[k]` for a vector. */
  shape: number[];
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

/**
 * One feature type's preprocessing. `parse` must throw a {@linkcode DataError} (through
 * {@linkcode cellError}) for an unparseable non-missing cell.
 */
export interface TypeHandler {
  /** Parse the cells at `rows`. */
  parse(cells: readonly Cell[], rows: Int32Array, ctx: FeatureContext): Parsed;
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
