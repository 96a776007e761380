/**
 * Arrow IPC reader: the file format (`.arrow`, Feather v2 `.feather`) and the stream format
 * (`.arrows`, `.ipc`), told apart by their magic bytes. Cells keep Arrow's native types (see
 * {@linkcode Dataset} for how 64-bit integers, dates and nested types are represented).
 *
 * @module
 */

import { tableFromIPC } from "npm:apache-arrow@21.2.0";
import { pathString, readFileBytes } from "./_files.ts";
import { Dataset, missingColumnError } from "./dataset.ts";
import { DataError } from "./errors.ts";

/** Options of {@linkcode readArrow}. */
export interface ArrowOptions {
  /** Only keep these columns, in this order; an absent one is an error. */
  columns?: readonly string[];
  /** Keep only the first rows. */
  limit?: number;
}

/**
 * Reads an Arrow IPC file or stream.
 *
 * @param path The file.
 * @param options Column subset and row limit.
 * @returns The dataset; its checksum is the SHA-256 of the file bytes.
 * @throws {DataError} On a missing, empty or malformed file, no rows, or an absent column.
 *
 * @example Write and read an Arrow file
 * ```ts
 * import { tableFromArrays, tableToIPC } from "npm:apache-arrow@21.2.0";
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readArrow } from "./read_arrow.ts";
 * const path = await Deno.makeTempFile({ suffix: ".arrow" });
 * await Deno.writeFile(path, tableToIPC(tableFromArrays({ x: new Float64Array([1, 2]) }), "file"));
 * assertEquals((await readArrow(path)).column("x"), [1, 2]);
 * await Deno.remove(path);
 * ```
 */
export async function readArrow(path: string | URL, options: ArrowOptions = {}): Promise<Dataset> {
  const file = pathString(path);
  const { bytes, checksum } = await readFileBytes(file);
  if (bytes.length === 0) throw new DataError("the file is empty", { file });
  return fromArrowBytes(bytes, options, file, checksum);
}

/**
 * Reads Arrow IPC bytes already in memory (file or stream format).
 *
 * @param bytes The IPC bytes.
 * @param options Column subset and row limit, plus `source` to name the data in errors.
 * @returns The dataset.
 *
 * @example From bytes
 * ```ts
 * import { tableFromArrays, tableToIPC } from "npm:apache-arrow@21.2.0";
 * import { assertEquals } from "../_util/_assert.ts";
 * import { parseArrow } from "./read_arrow.ts";
 * const bytes = tableToIPC(tableFromArrays({ x: new Int32Array([7]) }), "stream");
 * assertEquals(parseArrow(bytes).column("x"), [7]);
 * ```
 */
export function parseArrow(
  bytes: Uint8Array,
  options: ArrowOptions & { source?: string } = {},
): Dataset {
  return fromArrowBytes(bytes, options, options.source, undefined);
}

function fromArrowBytes(
  bytes: Uint8Array,
  options: ArrowOptions,
  file: string | undefined,
  checksum: string | undefined,
): Dataset {
  let table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new DataError(`invalid Arrow IPC data: ${(error as Error).message}`, {
      file,
      cause: error,
    });
  }
  if (table.schema.fields.length === 0 && table.numRows === 0) {
    throw new DataError("invalid Arrow IPC data: found no schema", { file });
  }
  const names = table.schema.fields.map((f) => f.name);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new DataError("found a duplicate column name", { file, column: name });
    }
    seen.add(name);
  }
  if (table.numRows === 0) throw new DataError("found a schema but no rows", { file });
  if (options.columns !== undefined) {
    for (const name of options.columns) {
      if (!seen.has(name)) throw missingColumnError(name, names, file);
    }
    table = table.select(options.columns as string[]);
  }
  const whole = options.columns === undefined && options.limit === undefined;
  let ds = Dataset.fromTable(table, { source: file, checksum: whole ? checksum : undefined });
  if (options.limit !== undefined && options.limit < ds.numRows) ds = ds.head(options.limit);
  return ds;
}
