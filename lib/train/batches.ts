/**
 * Batches of preprocessed columns: row gathers into fresh typed arrays and their tensors.
 *
 * A column is in memory ({@linkcode Column}: its typed array) or lazy ({@linkcode ColumnSource}:
 * rows read on demand, e.g. from the preprocessing cache file with `in_memory: false`). A split
 * carries a lazy column as a *streamed column* ({@linkcode streamedColumn}): a `Column` whose
 * `source` is set and whose `data` throws a {@linkcode StreamedColumnError} naming the column,
 * so code that needs the whole column in memory fails loudly instead of reading nothing.
 * {@linkcode readBatch} serves every kind; {@linkcode batchTensor} and {@linkcode gatherRows}
 * are the synchronous in-memory paths; {@linkcode splitBatches} reads the streamed columns of a
 * split batch after batch with read-ahead (the next reads are in flight while the caller runs
 * the current batch). `uint8` columns (raw bytes such as image pixels, 4× smaller than float32)
 * become float32 tensors of the same values: normalization is the model's job, per batch.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { setOwn } from "../model/names.ts";
import type { Column, ColumnDtype, ColumnSource, ColumnValues } from "./_streamed.ts";

export {
  type Column,
  type ColumnDtype,
  type ColumnSource,
  type ColumnValues,
  isStreamed,
  streamedColumn,
  StreamedColumnError,
} from "./_streamed.ts";

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
  return tf.tensor(tensorValues(values), shape, tensorDtype(column.dtype));
}

/** A tensor [rows, ...modelShape] of the given rows of an in-memory column. */
export function batchTensor(column: Column, rows: ArrayLike<number>): tf.Tensor {
  return toTensor(gatherRows(column, rows), column, rows.length);
}

function isSource(column: Column | ColumnSource): column is ColumnSource {
  return typeof (column as ColumnSource).read === "function";
}

/** The values a batch's rows of a column have in their tensor (uint8 → float32 copies). */
function tensorValues(values: ColumnValues): Float32Array | Int32Array {
  return values instanceof Uint8Array ? Float32Array.from(values) : values;
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
  const source = isSource(column) ? column : column.source;
  if (source === undefined) return batchTensor(column as Column, rows);
  const idx = rows instanceof Int32Array ? rows : Int32Array.from(rows);
  return toTensor(await readRows(source, idx), source, idx.length);
}

/** The rows `rows` of a source, checked for size. */
async function readRows(source: ColumnSource, rows: Int32Array): Promise<ColumnValues> {
  const values = await source.read(rows);
  if (values.length !== rows.length * rowSize(source)) {
    throw new RangeError(
      `Cannot read a batch: the column source returned ${values.length} values for ${rows.length} rows of shape [${
        source.shape.join(", ")
      }]`,
    );
  }
  return values;
}

/** One batch of {@linkcode splitBatches}. */
export interface SplitBatch {
  /** The split's rows of the batch, in order. */
  readonly rows: Int32Array;
  /**
   * The batch's values of the streamed columns among the names asked for, by name, as their
   * tensors hold them (uint8 → float32); the other columns are gathered from memory.
   */
  readonly prepared: Readonly<Record<string, Float32Array | Int32Array>>;
}

/**
 * The batches of a split in row order, `batchSize` rows each, with the streamed columns among
 * `names` already read: the reads of the next `readAhead` batches (default 2) are in flight
 * while the caller uses the current one. A split without streamed columns yields batches with
 * nothing prepared and reads nothing.
 *
 * @param split The split.
 * @param names The columns the caller needs (e.g. the model's inputs).
 * @param batchSize Rows per batch.
 * @param options `readAhead`: batches read ahead of the one handed out.
 */
export async function* splitBatches(
  split: Columns,
  names: readonly string[],
  batchSize: number,
  options: { readAhead?: number } = {},
): AsyncGenerator<SplitBatch> {
  const streamed = names.filter((name) => split.columns[name]?.source !== undefined);
  const ranges = [...batchRanges(split.numRows, batchSize)];
  const rowsOf = ([start, end]: [number, number]) =>
    Int32Array.from({ length: end - start }, (_, i) => start + i);
  if (streamed.length === 0) {
    for (const range of ranges) yield { rows: rowsOf(range), prepared: {} };
    return;
  }
  const read = async (rows: Int32Array): Promise<SplitBatch> => {
    const prepared: Record<string, Float32Array | Int32Array> = {};
    const parts = await Promise.all(
      streamed.map((name) => readRows(split.columns[name].source!, rows)),
    );
    streamed.forEach((name, k) => setOwn(prepared, name, tensorValues(parts[k])));
    return { rows, prepared };
  };
  const depth = Math.max(1, options.readAhead ?? 2);
  const ahead: Promise<SplitBatch>[] = [];
  let next = 0;
  const fill = () => {
    while (next < ranges.length && ahead.length < depth) {
      const pending = read(rowsOf(ranges[next++]));
      pending.catch(() => {}); // awaited in order below; abandoned ones must not go unhandled
      ahead.push(pending);
    }
  };
  fill();
  while (ahead.length > 0) {
    const batch = await ahead.shift()!;
    fill();
    yield batch;
  }
}

/** An in-memory column as a {@linkcode ColumnSource} (for code written against sources). */
export function memorySource(column: Column): ColumnSource {
  if (column.source !== undefined) return column.source;
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
