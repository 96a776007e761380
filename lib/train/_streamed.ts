/**
 * Column types of preprocessed splits and streamed columns (`in_memory: false`), without
 * TensorFlow.js, so the preprocessing cache can build them (`lib/train/batches.ts` re-exports
 * everything here).
 *
 * @module
 */

/** Element types of preprocessed columns. */
export type ColumnDtype = "float32" | "int32" | "uint8";

/** Row-major values of a column. */
export type ColumnValues = Float32Array | Int32Array | Uint8Array;

/** A preprocessed column in memory (the preprocessing layer's `EncodedColumn`). */
export interface Column {
  /**
   * Row-major values: `numRows × product(shape)` entries. A streamed column (`source` set) has
   * none: reading `data` throws a {@linkcode StreamedColumnError}.
   */
  readonly data: ColumnValues;
  readonly dtype: ColumnDtype;
  /** Shape of one row (`[]` for scalars). */
  readonly shape: readonly number[];
  /** Set on a streamed column (`in_memory: false`): where its rows are read from. */
  readonly source?: ColumnSource;
}

/** A column whose rows are read on demand. */
export interface ColumnSource {
  /** Element type of the rows read. */
  readonly dtype: ColumnDtype;
  /** Shape of one row. */
  readonly shape: readonly number[];
  /** How many rows the source holds. */
  readonly numRows: number;
  /** The rows `rows` (any order, repeats allowed), row-major, in the column's dtype. */
  read(rows: Int32Array): Promise<ColumnValues>;
}

/** Code that needs a whole column in memory met a streamed one (`in_memory: false`). */
export class StreamedColumnError extends TypeError {
  constructor(what: string) {
    super(
      `Cannot use ${what} as a whole: its rows are streamed from the preprocessing cache file ` +
        `("preprocessing.in_memory: false"), and this path needs them in memory; set ` +
        `"in_memory: true" for it`,
    );
    this.name = "StreamedColumnError";
  }
}

/**
 * A column whose rows are read from `source` (`in_memory: false`): `dtype`, `shape` and
 * `source` are set; `data` throws a {@linkcode StreamedColumnError} naming `what`.
 *
 * @param source Where the rows are read from.
 * @param what The column as error messages name it (e.g. `input feature "img"`).
 */
export function streamedColumn(source: ColumnSource, what: string): Column & {
  data: ColumnValues;
  dtype: ColumnDtype;
  shape: number[];
} {
  return {
    dtype: source.dtype,
    shape: [...source.shape],
    source,
    get data(): ColumnValues {
      throw new StreamedColumnError(what);
    },
  };
}

/** Whether a column is streamed (read on demand through its `source`). */
export function isStreamed(column: Column): column is Column & { source: ColumnSource } {
  return column.source !== undefined;
}
