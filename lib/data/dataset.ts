/**
 * {@linkcode Dataset}: the columnar table every reader returns and every later stage
 * (splits, type inference, preprocessing) consumes.
 *
 * @module
 */

import * as arrow from "npm:apache-arrow@21.2.0";
import { createHash } from "node:crypto";
import { closestString } from "../_util/closest.ts";
import {
  buildVector,
  type Cell,
  decodeVector,
  inferColumn,
  isJsonField,
  stringifyJson,
  toCell,
} from "./_columns.ts";
import { DataError, quoteValue } from "./errors.ts";
import { parseNumberCell } from "./cells.ts";

export type { Cell } from "./_columns.ts";

/** Options shared by the {@linkcode Dataset} factories. */
export interface DatasetOptions {
  /** Where the data came from: a file path, or `"in-memory"` (the default). */
  source?: string;
  /**
   * A precomputed content checksum (readers pass the SHA-256 of the file bytes); when absent
   * {@linkcode Dataset.checksum} hashes a canonical serialization of the columns.
   */
  checksum?: string;
}

/**
 * A column's field, as {@linkcode Dataset.field} types it. The value is the column's Apache Arrow
 * `Field` (from `apache-arrow`); this interface names what Sonata promises of it.
 */
export interface ColumnField {
  /** The column name. */
  readonly name: string;
  /** The Arrow data type; `String(type)` names it (`Float64`, `Utf8`, `Timestamp<MILLISECOND>` …). */
  readonly type: ColumnDataType;
  /** Whether the column may hold nulls. */
  readonly nullable: boolean;
  /** The field's metadata (JSON-valued columns are marked here). */
  readonly metadata: ReadonlyMap<string, string>;
}

/** An Arrow data type (an `apache-arrow` `DataType`), as {@linkcode ColumnField} types it. */
export interface ColumnDataType {
  /** Arrow's numeric type id (`Type` of `apache-arrow`). */
  readonly typeId: number;
  /** The type's name, such as `Float64` or `Utf8`. */
  toString(): string;
}

/**
 * The dataset's schema, as {@linkcode Dataset.schema} types it. The value is an Apache Arrow
 * `Schema` (from `apache-arrow`).
 */
export interface DatasetSchema {
  /** One field per column, in column order. */
  readonly fields: readonly ColumnField[];
  /** The schema's metadata. */
  readonly metadata: ReadonlyMap<string, string>;
}

/**
 * A column as {@linkcode Dataset.vector} types it. The value is an Apache Arrow `Vector` (from
 * `apache-arrow`).
 */
export interface ColumnVector {
  /** The number of rows. */
  readonly length: number;
  /** The number of null rows. */
  readonly nullCount: number;
  /** The value at a row (null when missing). */
  get(index: number): unknown;
  /** The values as an array (a typed array for numeric columns). */
  toArray(): unknown;
  /** The values, row by row. */
  [Symbol.iterator](): IterableIterator<unknown>;
}

/** One column: its Arrow field plus a vector and/or decoded cells, each built on demand. */
interface Column {
  field: arrow.Field;
  vector?: arrow.Vector;
  cells?: Cell[];
}

const IN_MEMORY = "in-memory";

/**
 * A columnar table of raw cells backed by Apache Arrow.
 *
 * Every column has an Arrow field (name + type); its data lives either as an Arrow vector, as
 * decoded JS cells, or both: each form is built from the other on first use and cached, so a
 * CSV read never pays for Arrow encoding unless {@linkcode Dataset.table} is asked for, and a
 * Parquet read never pays for decoding columns nobody reads. Datasets are immutable: `select`,
 * `head` and `selectColumns` return new datasets.
 *
 * Cells are raw: CSV/TSV give strings (empty cell → `null`), JSON keeps JSON types, Arrow and
 * Parquet keep native types with 64-bit integers as `number` when safe (else `bigint`), dates
 * and timestamps as ISO 8601 strings (UTC), lists as arrays and structs as objects. Typing per
 * feature (numbers, booleans, dates) happens later, with {@linkcode parseNumberCell} and friends.
 *
 * @example Build, read and subset a dataset
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { Dataset } from "./dataset.ts";
 * const ds = Dataset.fromRecords([
 *   { age: 31, city: "Oslo" },
 *   { age: 45, city: null },
 *   { age: 27, city: "Lima" },
 * ]);
 * assertEquals(ds.numRows, 3);
 * assertEquals(ds.columnNames, ["age", "city"]);
 * assertEquals(ds.column("city"), ["Oslo", null, "Lima"]);
 * assertEquals(ds.select([2, 0]).column("age"), [27, 31]);
 * assertEquals(ds.source, "in-memory");
 * ```
 */
export class Dataset {
  #columns: Map<string, Column>;
  #names: readonly string[];
  #numRows: number;
  #source: string;
  #checksum?: string;
  #table?: arrow.Table;

  private constructor(
    columns: Column[],
    numRows: number,
    options: DatasetOptions,
    table?: arrow.Table,
  ) {
    this.#columns = new Map();
    for (const column of columns) {
      if (this.#columns.has(column.field.name)) {
        throw new DataError(`found duplicate column name "${column.field.name}"`, {
          file: sourceFile(options.source),
          column: column.field.name,
        });
      }
      this.#columns.set(column.field.name, column);
    }
    this.#names = Object.freeze(columns.map((c) => c.field.name));
    this.#numRows = numRows;
    this.#source = options.source ?? IN_MEMORY;
    this.#checksum = options.checksum;
    this.#table = table;
  }

  /**
   * A dataset from named columns of JS values; each column's Arrow type is inferred (strings →
   * Utf8, numbers → Float64, booleans → Bool, bigints → Int64, Dates → Timestamp, Uint8Array →
   * Binary, anything mixed or nested → JSON text).
   *
   * @param columns Column name → values; all columns must have the same length.
   * @param options Source name and precomputed checksum.
   * @returns The dataset.
   *
   * @example From columns
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const ds = Dataset.fromColumns({ x: [1, 2], label: ["a", "b"] });
   * assertEquals(ds.column("label"), ["a", "b"]);
   * ```
   */
  static fromColumns(
    columns: Record<string, ArrayLike<unknown>>,
    options: DatasetOptions = {},
  ): Dataset {
    const entries = Object.entries(columns);
    const numRows = entries.length > 0 ? entries[0][1].length : 0;
    const built: Column[] = [];
    for (const [name, values] of entries) {
      if (values.length !== numRows) {
        throw new DataError(
          `expected ${numRows} values as in column "${entries[0][0]}", found ${values.length}`,
          { file: sourceFile(options.source), column: name },
        );
      }
      built.push(inferColumn(name, values));
    }
    return new Dataset(built, numRows, options);
  }

  /**
   * A dataset from columns whose Arrow fields are already known (readers use this: a CSV
   * column is `Utf8` of strings and nulls). Cells must already follow the cell conventions.
   *
   * @param columns Fields with their cells, in column order.
   * @param numRows The number of rows (needed when there are no columns).
   * @param options Source name and precomputed checksum.
   * @returns The dataset.
   *
   * @example Typed columns
   * ```ts
   * import * as arrow from "npm:apache-arrow@21.2.0";
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const ds = Dataset.fromCells([{ field: new arrow.Field("s", new arrow.Utf8(), true), cells: ["a", null] }], 2);
   * assertEquals(ds.column("s"), ["a", null]);
   * ```
   */
  static fromCells(
    columns: readonly { field: arrow.Field; cells: Cell[] }[],
    numRows: number,
    options: DatasetOptions = {},
  ): Dataset {
    return new Dataset(columns.map((c) => ({ field: c.field, cells: c.cells })), numRows, options);
  }

  /**
   * A dataset from an array of records (objects); columns are the union of their keys in
   * first-seen order, and a missing key is `null`.
   *
   * @param records The rows.
   * @param options Source name and precomputed checksum.
   * @returns The dataset.
   *
   * @example From records
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const ds = Dataset.fromRecords([{ a: 1 }, { b: "x" }]);
   * assertEquals(ds.column("a"), [1, null]);
   * assertEquals(ds.column("b"), [null, "x"]);
   * ```
   */
  static fromRecords(
    records: readonly Record<string, unknown>[],
    options: DatasetOptions = {},
  ): Dataset {
    const n = records.length;
    const index = new Map<string, unknown[]>();
    for (let i = 0; i < n; i++) {
      const record = records[i];
      if (record === null || typeof record !== "object" || Array.isArray(record)) {
        throw new DataError(`expected a record (an object), received ${quoteValue(record)}`, {
          file: sourceFile(options.source),
          row: i,
        });
      }
      for (const key in record) {
        let column = index.get(key);
        if (column === undefined) {
          column = new Array<unknown>(n);
          index.set(key, column);
        }
        column[i] = record[key];
      }
    }
    const columns: Record<string, unknown[]> = {};
    for (const [key, column] of index) {
      for (let i = 0; i < n; i++) if (column[i] === undefined) column[i] = null;
      columns[key] = column;
    }
    const ds = Dataset.fromColumns(columns, options);
    return n > 0 || ds.columnNames.length > 0 ? ds : new Dataset([], 0, options);
  }

  /**
   * A dataset over an existing Arrow table (no copy; cells are decoded on first use).
   *
   * @param table The Arrow table.
   * @param options Source name and precomputed checksum.
   * @returns The dataset.
   *
   * @example From an Arrow table
   * ```ts
   * import { tableFromArrays } from "npm:apache-arrow@21.2.0";
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const ds = Dataset.fromTable(tableFromArrays({ x: new Float64Array([1.5, 2]) }));
   * assertEquals(ds.column("x"), [1.5, 2]);
   * ```
   */
  static fromTable(table: arrow.Table, options: DatasetOptions = {}): Dataset {
    const columns: Column[] = table.schema.fields.map((field, i) => ({
      field,
      vector: table.getChildAt(i) as arrow.Vector,
    }));
    return new Dataset(columns, table.numRows, options, table);
  }

  /** The number of rows. */
  get numRows(): number {
    return this.#numRows;
  }

  /** The column names, in order. */
  get columnNames(): readonly string[] {
    return this.#names;
  }

  /** The file this dataset was read from, or `"in-memory"`. */
  get source(): string {
    return this.#source;
  }

  /** The Arrow schema (one nullable field per column). */
  get schema(): DatasetSchema {
    return this.#arrowSchema();
  }

  #arrowSchema(): arrow.Schema {
    return new arrow.Schema(this.#names.map((n) => this.#columns.get(n)!.field));
  }

  /**
   * The data as an Arrow table (built on first use from the decoded cells, then cached).
   *
   * @example To Arrow
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const t = Dataset.fromRecords([{ a: "x" }, { a: "y" }]).table;
   * assertEquals(t.getChild("a")?.get(1), "y");
   * ```
   */
  get table(): arrow.Table {
    if (this.#table === undefined) {
      const schema = this.#arrowSchema();
      const children = this.#names.map((name) => {
        const vector = this.#vector(name);
        return vector.data.length === 1 ? vector.data[0] : buildVector(
          this.#columns.get(name)!.field,
          this.column(name) as Cell[],
        ).data[0];
      });
      const data = arrow.makeData({
        type: new arrow.Struct(schema.fields),
        length: this.#numRows,
        nullCount: 0,
        children,
      });
      this.#table = new arrow.Table(schema, new arrow.RecordBatch(schema, data));
    }
    return this.#table;
  }

  /**
   * Whether the dataset has a column of this name.
   *
   * @param name The column name.
   * @returns `true` when it exists.
   *
   * @example Check a column
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * assertEquals(Dataset.fromRecords([{ a: 1 }]).hasColumn("b"), false);
   * ```
   */
  hasColumn(name: string): boolean {
    return this.#columns.has(name);
  }

  /**
   * The Arrow field of a column (its type tells e.g. a Parquet timestamp from a string).
   *
   * @param name The column name.
   * @returns The field.
   * @throws {DataError} When the column does not exist (with a "did you mean" suggestion).
   *
   * @example Field type
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * assertEquals(String(Dataset.fromRecords([{ a: 1 }]).field("a").type), "Float64");
   * ```
   */
  field(name: string): ColumnField {
    return this.#get(name).field;
  }

  /**
   * The raw cells of a column, decoded once and cached (do not mutate the array).
   *
   * @param name The column name.
   * @returns One cell per row.
   * @throws {DataError} When the column does not exist (with a "did you mean" suggestion).
   *
   * @example Raw cells
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * assertEquals(Dataset.fromRecords([{ a: true }, { a: false }]).column("a"), [true, false]);
   * ```
   */
  column(name: string): readonly Cell[] {
    const column = this.#get(name);
    if (column.cells === undefined) column.cells = decodeVector(column.field, column.vector!);
    return column.cells;
  }

  /**
   * A column as an Arrow vector (built once from the cells when needed, then cached).
   *
   * @param name The column name.
   * @returns The vector.
   * @throws {DataError} When the column does not exist.
   *
   * @example Arrow vector
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * assertEquals(Dataset.fromRecords([{ a: 2 }]).vector("a").get(0), 2);
   * ```
   */
  vector(name: string): ColumnVector {
    return this.#vector(name);
  }

  #vector(name: string): arrow.Vector {
    const column = this.#get(name);
    if (column.vector === undefined) column.vector = buildVector(column.field, column.cells!);
    return column.vector;
  }

  /**
   * A column as a `Float64Array`: numbers as they are, booleans as 1/0, bigints converted,
   * strings parsed with {@linkcode parseNumberCell}; missing cells are `NaN`.
   *
   * @param name The column name.
   * @returns One number per row.
   * @throws {DataError} When a cell is not a number, naming column and row.
   *
   * @example Numeric view of CSV strings
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const ds = Dataset.fromColumns({ x: ["1.5", null, "2e3"] });
   * assertEquals(Array.from(ds.numbers("x")), [1.5, NaN, 2000]);
   * ```
   */
  numbers(name: string): Float64Array {
    const cells = this.column(name);
    const out = new Float64Array(cells.length);
    const file = sourceFile(this.#source);
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i];
      if (typeof c === "number") out[i] = c;
      else if (c === null) out[i] = NaN;
      else if (typeof c === "boolean") out[i] = c ? 1 : 0;
      else if (typeof c === "bigint") out[i] = Number(c);
      else {
        out[i] = parseNumberCell(c, { file, column: name, row: i, allowNonFinite: true }) ?? NaN;
      }
    }
    return out;
  }

  /**
   * The rows at the given indices, in that order (indices may repeat).
   *
   * @param rows 0-based row indices.
   * @returns A new dataset with the same columns.
   * @throws {RangeError} When an index is out of range.
   *
   * @example Select rows
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const ds = Dataset.fromColumns({ a: ["x", "y", "z"] });
   * assertEquals(ds.select(new Int32Array([2, 0])).column("a"), ["z", "x"]);
   * ```
   */
  select(rows: Int32Array | readonly number[]): Dataset {
    const n = rows.length;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (!Number.isInteger(r) || r < 0 || r >= this.#numRows) {
        throw new RangeError(
          `Cannot select rows: index ${r} at position ${i} is out of range [0, ${this.#numRows})`,
        );
      }
    }
    const columns = this.#names.map((name) => {
      const cells = this.column(name);
      const out = new Array<Cell>(n);
      for (let i = 0; i < n; i++) out[i] = cells[rows[i]];
      return { field: this.#columns.get(name)!.field, cells: out };
    });
    return new Dataset(columns, n, { source: this.#source });
  }

  /**
   * The first `n` rows (all rows when there are fewer).
   *
   * @param n How many rows; default 5.
   * @returns A new dataset.
   *
   * @example Head
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * assertEquals(Dataset.fromColumns({ a: [1, 2, 3] }).head(2).numRows, 2);
   * ```
   */
  head(n = 5): Dataset {
    const count = Math.max(0, Math.min(n, this.#numRows));
    const rows = new Int32Array(count);
    for (let i = 0; i < count; i++) rows[i] = i;
    return this.select(rows);
  }

  /**
   * Only the named columns, in the given order.
   *
   * @param names Column names.
   * @returns A new dataset sharing the column data.
   * @throws {DataError} When a column does not exist (with a "did you mean" suggestion).
   *
   * @example Project columns
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const ds = Dataset.fromRecords([{ a: 1, b: 2, c: 3 }]);
   * assertEquals(ds.selectColumns(["c", "a"]).columnNames, ["c", "a"]);
   * ```
   */
  selectColumns(names: readonly string[]): Dataset {
    const columns = names.map((name) => ({ ...this.#get(name) }));
    return new Dataset(columns, this.#numRows, { source: this.#source });
  }

  /**
   * The rows as records (objects keyed by column name).
   *
   * @returns One object per row.
   *
   * @example Records
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * assertEquals(Dataset.fromColumns({ a: [1], b: ["x"] }).toRecords(), [{ a: 1, b: "x" }]);
   * ```
   */
  toRecords(): Record<string, Cell>[] {
    const columns = this.#names.map((name) => this.column(name));
    const out: Record<string, Cell>[] = new Array(this.#numRows);
    for (let i = 0; i < this.#numRows; i++) {
      const record: Record<string, Cell> = {};
      for (let j = 0; j < columns.length; j++) record[this.#names[j]] = columns[j][i];
      out[i] = record;
    }
    return out;
  }

  /**
   * A SHA-256 hex digest of the content, for cache keys. A dataset read from a whole file
   * hashes the file's bytes; any other dataset (in-memory, a selection, a projection) hashes a
   * canonical serialization of its column names, Arrow types and cells, so equal in-memory data
   * gives equal checksums and in-memory data can be cached too (Ludwig's cannot).
   *
   * @returns The lowercase hex digest.
   *
   * @example Equal content, equal checksum
   * ```ts
   * import { assertEquals, assert } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const a = await Dataset.fromRecords([{ x: 1, y: "a" }]).checksum();
   * const b = await Dataset.fromColumns({ x: [1], y: ["a"] }).checksum();
   * const c = await Dataset.fromColumns({ x: [2], y: ["a"] }).checksum();
   * assertEquals(a, b);
   * assert(a !== c);
   * ```
   */
  checksum(): Promise<string> {
    if (this.#checksum === undefined) this.#checksum = this.#contentChecksum();
    return Promise.resolve(this.#checksum);
  }

  /** A short text rendering: source, shape and the first rows. */
  toString(): string {
    const rows = this.head(5).toRecords().map((r) => JSON.stringify(r, bigintReplacer));
    const more = this.#numRows > 5 ? [`… ${this.#numRows - 5} more rows`] : [];
    return [
      `Dataset "${this.#source}": ${this.#numRows} rows × ${this.#names.length} columns`,
      ...rows,
      ...more,
    ].join("\n");
  }

  /**
   * Jupyter rich display: an HTML table of the first 10 rows plus the text summary, so a
   * dataset renders itself in a Deno notebook.
   *
   * @returns The MIME bundle.
   *
   * @example Display bundle
   * ```ts
   * import { assert } from "../_util/_assert.ts";
   * import { Dataset } from "./dataset.ts";
   * const ds = Dataset.fromRecords([{ a: "<b>" }]);
   * const display = (ds as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")];
   * const bundle = display.call(ds);
   * assert(bundle["text/html"].includes("&lt;b&gt;"));
   * ```
   */
  [Symbol.for("Jupyter.display")](): { "text/html": string; "text/plain": string } {
    const escape = (value: unknown) =>
      String(value).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
    const shown = this.head(10);
    const header = this.#names.map((n) => `<th>${escape(n)}</th>`).join("");
    const body = shown.toRecords().map((record) =>
      `<tr>${
        this.#names.map((n) => {
          const cell = record[n];
          const text = cell === null
            ? "<i>null</i>"
            : escape(typeof cell === "string" ? cell : JSON.stringify(cell, bigintReplacer));
          return `<td>${text}</td>`;
        }).join("")
      }</tr>`
    ).join("");
    const caption = `${
      escape(this.#source)
    }: ${this.#numRows} rows × ${this.#names.length} columns`;
    return {
      "text/html": `<table><caption>${caption}</caption><thead><tr>${header}</tr></thead>` +
        `<tbody>${body}</tbody></table>`,
      "text/plain": this.toString(),
    };
  }

  #get(name: string): Column {
    const column = this.#columns.get(name);
    if (column === undefined) {
      throw missingColumnError(name, this.#names, sourceFile(this.#source));
    }
    return column;
  }

  #contentChecksum(): string {
    const hash = createHash("sha256");
    hash.update(`sonata-dataset-v1\n${this.#numRows}\n`);
    for (const name of this.#names) {
      const field = this.#columns.get(name)!.field;
      hash.update(
        `${JSON.stringify(name)}\n${String(field.type)}${isJsonField(field) ? "+json" : ""}\n`,
      );
      const cells = this.column(name);
      const type = field.type as arrow.DataType;
      if (type.typeId === arrow.Type.Float || type.typeId === arrow.Type.Int) {
        // Numbers (and safe 64-bit integers): raw float64 bytes plus a validity byte per row.
        const chunk = 8192;
        for (let start = 0; start < cells.length; start += chunk) {
          const end = Math.min(cells.length, start + chunk);
          const values = new Float64Array(end - start);
          const valid = new Uint8Array(end - start);
          for (let i = start; i < end; i++) {
            const c = cells[i];
            if (c !== null) {
              values[i - start] = typeof c === "bigint" ? NaN : (c as number);
              valid[i - start] = typeof c === "bigint" ? 2 : 1;
            }
          }
          hash.update(new Uint8Array(values.buffer));
          hash.update(valid);
          for (let i = start; i < end; i++) {
            if (typeof cells[i] === "bigint") hash.update(`${i}:${cells[i]}\n`);
          }
        }
      } else {
        // Strings, booleans, JSON values: JSON text of 8192-cell chunks (canonical for them).
        const chunk = 8192;
        for (let start = 0; start < cells.length; start += chunk) {
          const part = cells.slice(start, start + chunk);
          hash.update(
            arrow.DataType.isUtf8(type) && !isJsonField(field)
              ? JSON.stringify(part)
              : stringifyJson(part.map((c) => (c instanceof Uint8Array ? Array.from(c) : c))),
          );
        }
      }
      hash.update("\n");
    }
    return hash.digest("hex");
  }
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? String(value) : value;
}

/** The file part of a source, or `undefined` for in-memory data. */
export function sourceFile(source: string | undefined): string | undefined {
  return source === undefined || source === IN_MEMORY ? undefined : source;
}

/**
 * The error for a column that is absent: suggests the closest name within 2 edits, or lists
 * the columns when there are 12 or fewer.
 *
 * @param name The column asked for.
 * @param available The columns that exist.
 * @param file The file, if any.
 * @returns The error to throw.
 *
 * @example Did you mean
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { missingColumnError } from "./dataset.ts";
 * assertEquals(
 *   missingColumnError("agee", ["age", "city"], "d.csv").message,
 *   'Cannot read "d.csv": column "agee": not found: did you mean "age"?',
 * );
 * ```
 */
export function missingColumnError(
  name: string,
  available: readonly string[],
  file?: string,
): DataError {
  const suggestion = closestString(name, available);
  let detail = "not found";
  if (suggestion !== undefined) detail += `: did you mean "${suggestion}"?`;
  else if (available.length <= 12) {
    detail += `: the columns are ${available.map((c) => `"${c}"`).join(", ") || "none"}`;
  }
  return new DataError(detail, { file, column: name });
}

/** Converts any native JS value to a cell (exported for readers of nested data). */
export { toCell };
