/**
 * Batches of preprocessed columns: row gathers into fresh typed arrays and their tensors.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import type { ColumnSpec } from "../model/ecd.ts";
import { modelShape } from "../model/ecd.ts";

/** A preprocessed column (the preprocessing layer's `EncodedColumn`). */
export interface Column extends ColumnSpec {
  readonly data: Float32Array | Int32Array;
}

/** A split of preprocessed columns by feature name. */
export interface Columns {
  readonly numRows: number;
  readonly columns: Readonly<Record<string, Column>>;
}

function rowSize(c: ColumnSpec): number {
  return c.shape.reduce((a, b) => a * b, 1);
}

/** Rows `rows` of a column as a new typed array. */
export function gatherRows(column: Column, rows: ArrayLike<number>): Float32Array | Int32Array {
  const size = rowSize(column);
  const out = column.dtype === "int32"
    ? new Int32Array(rows.length * size)
    : new Float32Array(rows.length * size);
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

/** A tensor [rows, ...modelShape] of the given rows of a column. */
export function batchTensor(column: Column, rows: ArrayLike<number>): tf.Tensor {
  return tf.tensor(gatherRows(column, rows), [rows.length, ...modelShape(column)], column.dtype);
}

/** Consecutive row ranges [start, end) covering `n` rows in batches of `size`. */
export function* batchRanges(n: number, size: number): Generator<[number, number]> {
  for (let start = 0; start < n; start += size) yield [start, Math.min(n, start + size)];
}
