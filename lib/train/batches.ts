/**
 * Batches of preprocessed columns: row gathers into fresh typed arrays and their tensors.
 *
 * A column is in memory ({@linkcode Column}: its typed array) or lazy ({@linkcode ColumnSource}:
 * rows read on demand, e.g. from the preprocessing cache file with `in_memory: false`).
 * {@linkcode readBatch} serves both; {@linkcode batchTensor} and {@linkcode gatherRows} are the
 * synchronous in-memory paths. `uint8` columns (raw bytes such as image pixels, 4× smaller than
 * float32) become float32 tensors of the same values: normalization is the model's job, per
 * batch.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";

/** Element types of preprocessed columns. */
export type ColumnDtype = "float32" | "int32" | "uint8";

/** Row-major values of a column. */
export type ColumnValues = Float32Array | Int32Array | Uint8Array;

/** A preprocessed column in memory (the preprocessing layer's `EncodedColumn`). */
export interface Column {
  /** Row-major values: `numRows × product(shape)` entries. */
  readonly data: ColumnValues;
  readonly dtype: ColumnDtype;
  /** Shape of one row (`[]` for scalars). */
  readonly shape: readonly number[];
}

/** A column whose rows are read on demand. */
export interface ColumnSource {
  readonly dtype: ColumnDtype;
  readonly shape: readonly number[];
  readonly numRows: number;
  /** The rows `rows` (any order, repeats allowed), row-major, in the column's dtype. */
  read(rows: Int32Array): Promise<ColumnValues>;
}

/** A split of preprocessed columns by feature name. */
export interface Columns {
  readonly numRows: number;
  readonly columns: Readonly<Record<string, Column>>;
}

/** The dtype of the tensors made from a column (`uint8` → float32). */
export function tensorDtype(dtype: ColumnDtype): "float32" | "int32" {
  return dtype === "int32" ? "int32" : "float32";
}

function rowSize(c: { readonly shape: readonly number[] }): number {
  return c.shape.reduce((a, b) => a * b, 1);
}

/** Row shape as the model sees it: scalars become [1]. */
function modelShape(c: { readonly shape: readonly number[] }): number[] {
  return c.shape.length === 0 ? [1] : [...c.shape];
}

function allocate(dtype: ColumnDtype, n: number): ColumnValues {
  if (dtype === "int32") return new Int32Array(n);
  if (dtype === "uint8") return new Uint8Array(n);
  return new Float32Array(n);
}

/** Rows `rows` of a column as a new typed array of the column's dtype. */
export function gatherRows(column: Column, rows: ArrayLike<number>): ColumnValues {
  const size = rowSize(column);
  const out = allocate(column.dtype, rows.length * size);
  if (size === 1) {
    for (let i = 0; i < rows.length; i++) out[i] = column.data[rows[i]];
  } else {
    for (let i = 0; i < rows.length; i++) {
      const start = rows[i] * size;
      out.set(column.data.subarray(start, start + size), i * size);
    }
  }
  return out;
}

function toTensor(
  values: ColumnValues,
  column: { readonly dtype: ColumnDtype; readonly shape: readonly number[] },
  n: number,
): tf.Tensor {
  const shape = [n, ...modelShape(column)];
  // uint8: float32 tensors of the raw values (TF.js has no uint8 tensors).
  const data = values instanceof Uint8Array ? Float32Array.from(values) : values;
  return tf.tensor(data, shape, tensorDtype(column.dtype));
}

/** A tensor [rows, ...modelShape] of the given rows of an in-memory column. */
export function batchTensor(column: Column, rows: ArrayLike<number>): tf.Tensor {
  return toTensor(gatherRows(column, rows), column, rows.length);
}

function isSource(column: Column | ColumnSource): column is ColumnSource {
  return typeof (column as ColumnSource).read === "function";
}

/**
 * A tensor [rows, ...modelShape] of the given rows of an in-memory or lazy column: identical
 * tensors either way.
 *
 * @throws {RangeError} When a lazy read returns the wrong number of values.
 */
export async function readBatch(
  column: Column | ColumnSource,
  rows: ArrayLike<number>,
): Promise<tf.Tensor> {
  if (!isSource(column)) return batchTensor(column, rows);
  const idx = rows instanceof Int32Array ? rows : Int32Array.from(rows);
  const values = await column.read(idx);
  if (values.length !== idx.length * rowSize(column)) {
    throw new RangeError(
      `Cannot read a batch: the column source returned ${values.length} values for ${idx.length} rows of shape [${
        column.shape.join(", ")
      }]`,
    );
  }
  return toTensor(values, column, idx.length);
}

/** An in-memory column as a {@linkcode ColumnSource} (for code written against sources). */
export function memorySource(column: Column): ColumnSource {
  return {
    dtype: column.dtype,
    shape: column.shape,
    numRows: column.data.length / Math.max(1, rowSize(column)),
    read: (rows) => Promise.resolve(gatherRows(column, rows)),
  };
}

/** Consecutive row ranges [start, end) covering `n` rows in batches of `size`. */
export function* batchRanges(n: number, size: number): Generator<[number, number]> {
  for (let start = 0; start < n; start += size) yield [start, Math.min(n, start + size)];
}
