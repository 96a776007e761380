/**
 * Writers: CSV, Arrow IPC and Parquet. Each writes to a temporary file next to the target and
 * renames it over the target, so no reader ever sees a half-written file.
 *
 * @module
 */

import * as arrow from "npm:apache-arrow@21.2.0";
import { type BasicType, type ColumnSource, parquetWriteBuffer } from "npm:hyparquet-writer@0.17.0";
import { type Cell, isJsonField, stringifyJson } from "./_columns.ts";
import { writeFileAtomic as writeAtomic } from "../_util/files.ts";
import { fileError, pathString } from "./_files.ts";

/** The atomic write of `lib/_util/files.ts`, without creating folders, with data errors. */
async function writeFileAtomic(
  file: string,
  write: (handle: Deno.FsFile) => Promise<void>,
): Promise<void> {
  await writeAtomic(file, write, { createParents: false }).catch((error) => {
    throw fileError(error, file);
  });
}
import type { Dataset } from "./dataset.ts";

/** Options of {@linkcode writeCsv}. */
export interface WriteCsvOptions {
  /** The field delimiter; default `","`. */
  delimiter?: string;
}

function csvField(cell: Cell, delimiter: string): string {
  if (cell === null) return "";
  const text = typeof cell === "string"
    ? cell
    : typeof cell === "object" && !(cell instanceof Uint8Array)
    ? stringifyJson(cell)
    : cell instanceof Uint8Array
    ? stringifyJson(cell)
    : String(cell);
  if (
    text.includes(delimiter) || text.includes('"') || text.includes("\n") || text.includes("\r") ||
    text === ""
  ) {
    return `"${text.replaceAll('"', '""')}"`;
  }
  return text;
}

/**
 * Writes a dataset as CSV (header first; `null` as an empty cell; fields quoted only when
 * needed; non-string cells as text, arrays and objects as JSON), atomically.
 *
 * @param dataset The data.
 * @param path The target file.
 * @param options The delimiter.
 * @returns When the file is in place.
 *
 * @example Round trip
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { Dataset } from "./dataset.ts";
 * import { readCsv } from "./read_csv.ts";
 * import { writeCsv } from "./write.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await writeCsv(Dataset.fromColumns({ a: ['x, "y"', null] }), path);
 * assertEquals((await readCsv(path)).column("a"), ['x, "y"', null]);
 * await Deno.remove(path);
 * ```
 */
export async function writeCsv(
  dataset: Dataset,
  path: string | URL,
  options: WriteCsvOptions = {},
): Promise<void> {
  const delimiter = options.delimiter ?? ",";
  const names = dataset.columnNames;
  const columns = names.map((n) => dataset.column(n));
  const encoder = new TextEncoder();
  await writeFileAtomic(pathString(path), async (handle) => {
    const write = async (text: string) => {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) written += await handle.write(bytes.subarray(written));
    };
    await write(names.map((n) => csvField(n, delimiter)).join(delimiter) + "\n");
    const chunk = 4096;
    for (let start = 0; start < dataset.numRows; start += chunk) {
      const lines: string[] = [];
      const end = Math.min(dataset.numRows, start + chunk);
      for (let r = start; r < end; r++) {
        let line = "";
        if (columns.length === 1 && columns[0][r] === null) {
          // A lone empty field would be a blank line, which readers skip.
          lines.push('""');
          continue;
        }
        for (let c = 0; c < columns.length; c++) {
          if (c > 0) line += delimiter;
          line += csvField(columns[c][r], delimiter);
        }
        lines.push(line);
      }
      await write(lines.join("\n") + "\n");
    }
  });
}

/**
 * Writes a dataset as an Arrow IPC file (Feather v2), atomically; Arrow types and the JSON
 * column tags survive the round trip.
 *
 * @param dataset The data.
 * @param path The target file.
 * @returns When the file is in place.
 *
 * @example Round trip
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { Dataset } from "./dataset.ts";
 * import { readArrow } from "./read_arrow.ts";
 * import { writeArrow } from "./write.ts";
 * const path = await Deno.makeTempFile({ suffix: ".arrow" });
 * await writeArrow(Dataset.fromRecords([{ a: 1, b: [1, "x"] }]), path);
 * assertEquals((await readArrow(path)).toRecords(), [{ a: 1, b: [1, "x"] }]);
 * await Deno.remove(path);
 * ```
 */
export async function writeArrow(dataset: Dataset, path: string | URL): Promise<void> {
  const bytes = arrow.tableToIPC(dataset.table, "file");
  await writeFileAtomic(pathString(path), async (handle) => {
    let written = 0;
    while (written < bytes.length) written += await handle.write(bytes.subarray(written));
  });
}

/** The Parquet column for one dataset column. */
function parquetColumn(dataset: Dataset, name: string): ColumnSource {
  const field = dataset.field(name);
  const type = field.type as arrow.DataType;
  const cells = dataset.column(name);
  let basic: BasicType;
  let data: unknown[];
  if (isJsonField(field)) {
    basic = "JSON";
    data = cells as unknown[];
  } else if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) {
    basic = "STRING";
    data = cells as unknown[];
  } else if (arrow.DataType.isBool(type)) {
    basic = "BOOLEAN";
    data = cells as unknown[];
  } else if (arrow.DataType.isInt(type) && (type as arrow.Int).bitWidth === 64) {
    basic = "INT64";
    data = cells.map((c) => (c === null ? null : BigInt(c as number | bigint)));
  } else if (arrow.DataType.isInt(type) || arrow.DataType.isFloat(type)) {
    basic = "DOUBLE";
    data = cells as unknown[];
  } else if (arrow.DataType.isTimestamp(type) || arrow.DataType.isDate(type)) {
    basic = "TIMESTAMP";
    data = cells.map((c) => (c === null ? null : new Date(c as string)));
  } else if (arrow.DataType.isBinary(type)) {
    basic = "BYTE_ARRAY";
    data = cells as unknown[];
  } else {
    basic = "JSON";
    data = cells as unknown[];
  }
  return { name, data: data as ColumnSource["data"], type: basic, nullable: true };
}

/**
 * Writes a dataset as Parquet (snappy), atomically. Strings → STRING, numbers → DOUBLE,
 * 64-bit integers → INT64, booleans → BOOLEAN, dates and timestamps → TIMESTAMP (millis),
 * binary → BYTE_ARRAY, nested or mixed columns → JSON.
 *
 * @param dataset The data.
 * @param path The target file.
 * @returns When the file is in place.
 *
 * @example Round trip
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { Dataset } from "./dataset.ts";
 * import { readParquet } from "./read_parquet.ts";
 * import { writeParquet } from "./write.ts";
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await writeParquet(Dataset.fromRecords([{ a: 1.5, s: "x" }, { a: null, s: "y" }]), path);
 * assertEquals((await readParquet(path)).toRecords(), [{ a: 1.5, s: "x" }, { a: null, s: "y" }]);
 * await Deno.remove(path);
 * ```
 */
export async function writeParquet(dataset: Dataset, path: string | URL): Promise<void> {
  const buffer = parquetWriteBuffer({
    columnData: dataset.columnNames.map((name) => parquetColumn(dataset, name)),
  });
  const bytes = new Uint8Array(buffer);
  await writeFileAtomic(pathString(path), async (handle) => {
    let written = 0;
    while (written < bytes.length) written += await handle.write(bytes.subarray(written));
  });
}
