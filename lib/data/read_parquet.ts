/**
 * Parquet reader (pure JS, through `hyparquet`; snappy built in). Cells keep native types:
 * INT64 as `number` when safe (else `bigint`), DATE as `"YYYY-MM-DD"`, TIMESTAMP as ISO 8601
 * strings in UTC, lists as arrays, structs as objects, byte arrays without a string annotation
 * as `Uint8Array`.
 *
 * @module
 */

import * as arrow from "npm:apache-arrow@21.2.0";
import { parquetMetadata, parquetRead, parquetSchema } from "npm:hyparquet@1.33.0";
import type { FileMetaData, SchemaTree } from "npm:hyparquet@1.33.0";
import { type Cell, inferColumn, makeField, toCell } from "./_columns.ts";
import { pathString, readFileBytes } from "./_files.ts";
import { Dataset, missingColumnError } from "./dataset.ts";
import { DataError } from "./errors.ts";

/** Options of {@linkcode readParquet}. */
export interface ParquetOptions {
  /** Only read these columns (the others are not decoded), in this order. */
  columns?: readonly string[];
  /** Only read the first rows. */
  limit?: number;
}

/**
 * Reads a Parquet file.
 *
 * @param path The file.
 * @param options Column subset and row limit.
 * @returns The dataset; its checksum is the SHA-256 of the file bytes.
 * @throws {DataError} On a missing, empty or malformed file, no rows, or an absent column.
 *
 * @example Write and read a Parquet file
 * ```ts
 * import { parquetWriteBuffer } from "npm:hyparquet-writer@0.17.0";
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readParquet } from "./read_parquet.ts";
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await Deno.writeFile(path, new Uint8Array(parquetWriteBuffer({
 *   columnData: [{ name: "x", data: [1.5, null], type: "DOUBLE" }],
 * })));
 * assertEquals((await readParquet(path)).column("x"), [1.5, null]);
 * await Deno.remove(path);
 * ```
 */
export async function readParquet(
  path: string | URL,
  options: ParquetOptions = {},
): Promise<Dataset> {
  const file = pathString(path);
  const { bytes, checksum } = await readFileBytes(file);
  if (bytes.length === 0) throw new DataError("the file is empty", { file });
  const whole = options.columns === undefined && options.limit === undefined;
  return await fromParquetBytes(bytes, options, file, whole ? checksum : undefined);
}

/**
 * Reads Parquet bytes already in memory.
 *
 * @param bytes The Parquet file's bytes.
 * @param options Column subset and row limit, plus `source` to name the data in errors.
 * @returns The dataset.
 *
 * @example From bytes
 * ```ts
 * import { parquetWriteBuffer } from "npm:hyparquet-writer@0.17.0";
 * import { assertEquals } from "../_util/_assert.ts";
 * import { parseParquet } from "./read_parquet.ts";
 * const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "s", data: ["a"], type: "STRING" }] }));
 * assertEquals((await parseParquet(bytes)).column("s"), ["a"]);
 * ```
 */
export function parseParquet(
  bytes: Uint8Array,
  options: ParquetOptions & { source?: string } = {},
): Promise<Dataset> {
  return fromParquetBytes(bytes, options, options.source, undefined);
}

async function fromParquetBytes(
  bytes: Uint8Array,
  options: ParquetOptions,
  file: string | undefined,
  checksum: string | undefined,
): Promise<Dataset> {
  const buffer = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buffer);
  } catch (error) {
    throw new DataError(`invalid Parquet data: ${(error as Error).message}`, {
      file,
      cause: error,
    });
  }
  const tree = parquetSchema(metadata);
  const names = tree.children.map((c: SchemaTree) => c.element.name);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new DataError("found a duplicate column name", { file, column: name });
    }
    seen.add(name);
  }
  const numRows = Math.min(Number(metadata.num_rows), options.limit ?? Infinity);
  if (Number(metadata.num_rows) === 0) throw new DataError("found a schema but no rows", { file });
  const wanted = options.columns ?? names;
  for (const name of wanted) {
    if (!seen.has(name)) throw missingColumnError(name, names, file);
  }
  const columns = new Map<string, unknown[]>();
  for (const name of wanted) columns.set(name, new Array<unknown>(numRows).fill(null));
  try {
    await parquetRead({
      file: buffer,
      metadata,
      columns: [...wanted],
      rowStart: 0,
      rowEnd: numRows,
      onChunk(chunk) {
        const target = columns.get(chunk.columnName);
        if (target === undefined) return;
        const data = chunk.columnData as ArrayLike<unknown>;
        const end = Math.min(chunk.rowEnd, numRows);
        for (let r = Math.max(chunk.rowStart, 0); r < end; r++) {
          target[r] = data[r - chunk.rowStart];
        }
      },
    });
  } catch (error) {
    throw new DataError(`invalid Parquet data: ${(error as Error).message}`, {
      file,
      cause: error,
    });
  }
  const built = wanted.map((name) => {
    const element = tree.children.find((c: SchemaTree) => c.element.name === name)!.element;
    return columnFor(name, columns.get(name)!, element);
  });
  return Dataset.fromCells(built, numRows, { source: file, checksum });
}

/** Picks the Arrow field from the Parquet logical type where it matters, else infers it. */
function columnFor(
  name: string,
  values: unknown[],
  element: SchemaTree["element"],
): { field: arrow.Field; cells: Cell[] } {
  const logical = element.logical_type?.type;
  const converted = element.converted_type;
  const isDate = logical === "DATE" || converted === "DATE";
  const isTimestamp = logical === "TIMESTAMP" || converted === "TIMESTAMP_MILLIS" ||
    converted === "TIMESTAMP_MICROS";
  if (isDate || isTimestamp) {
    const cells = values.map((v) => {
      if (v === null || v === undefined) return null;
      const iso = toCell(v instanceof Date ? v : new Date(Number(v))) as string;
      return isDate ? iso.slice(0, 10) : iso;
    });
    return {
      field: makeField(name, isDate ? new arrow.DateDay() : new arrow.TimestampMillisecond()),
      cells,
    };
  }
  const inferred = inferColumn(name, values);
  if (
    element.type === "INT64" && inferred.field.type.typeId === arrow.Type.Float
  ) {
    // Safe INT64 values arrive as bigint and become numbers; keep the Int64 type.
    return { field: makeField(name, new arrow.Int64()), cells: inferred.cells };
  }
  return inferred;
}
