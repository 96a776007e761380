/**
 * {@linkcode readDataset}: one entry point for every data source, with the format taken from
 * the file extension or from Ludwig's `data_format` names.
 *
 * @module
 */

import { Table } from "npm:apache-arrow@21.2.0";
import { pathString } from "./_files.ts";
import { Dataset, missingColumnError } from "./dataset.ts";
import { DataError } from "./errors.ts";
import { readArrow } from "./read_arrow.ts";
import { readCsv, readTsv } from "./read_csv.ts";
import { readJson, readJsonl } from "./read_json.ts";
import { readParquet } from "./read_parquet.ts";

/** The file formats Sonata reads (Ludwig's `data_format` names where they exist). */
export const DATA_FORMATS = [
  "csv",
  "tsv",
  "json",
  "jsonl",
  "arrow",
  "feather",
  "parquet",
] as const;

/** A file format from {@linkcode DATA_FORMATS}. */
export type DataFormat = (typeof DATA_FORMATS)[number];

/** Ludwig format names accepted as aliases, and the in-memory ones (ignored for data). */
const ALIASES: Record<string, DataFormat | "in-memory"> = {
  ndjson: "jsonl",
  ipc: "arrow",
  arrows: "arrow",
  df: "in-memory",
  dataframe: "in-memory",
  dict: "in-memory",
  records: "in-memory",
};

/** Ludwig formats that Sonata does not read, for a clear error. */
const UNSUPPORTED = [
  "excel",
  "xls",
  "xlsx",
  "pickle",
  "fwf",
  "html",
  "orc",
  "sas",
  "spss",
  "stata",
  "hdf5",
  "tfrecords",
];

/** Anything {@linkcode readDataset} accepts. */
export type DataSource =
  | string
  | URL
  | Dataset
  | Table
  | readonly Record<string, unknown>[]
  | Record<string, ArrayLike<unknown>>;

/** Options of {@linkcode readDataset}. */
export interface ReadOptions {
  /** The format; `"auto"` (default) picks it from the extension (a `.gz` suffix is looked through). */
  format?: DataFormat | "auto" | string;
  /** Only keep these columns, in this order; an absent one is an error with a suggestion. */
  columns?: readonly string[];
  /** Keep only the first rows (readers stop early where the format allows). */
  limit?: number;
  /** CSV/TSV: cell texts read as missing besides `""` (see `PANDAS_NA_VALUES`). */
  nullValues?: readonly string[];
  /** CSV: the field delimiter (default `","`, `"\t"` for TSV). */
  delimiter?: string;
  /** JSON/JSONL: accept `NaN`/`Infinity` tokens. */
  allowNonFinite?: boolean;
}

const EXTENSIONS: Record<string, DataFormat> = {
  csv: "csv",
  tsv: "tsv",
  tab: "tsv",
  json: "json",
  jsonl: "jsonl",
  ndjson: "jsonl",
  arrow: "arrow",
  arrows: "arrow",
  ipc: "arrow",
  feather: "feather",
  parquet: "parquet",
  pq: "parquet",
};

/**
 * The format of a file from its extension (`.gz` is looked through), or `undefined`.
 *
 * @param path The file path.
 * @returns The format, if the extension is known.
 *
 * @example Detect formats
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { detectFormat } from "./read.ts";
 * assertEquals(detectFormat("data/train.csv.gz"), "csv");
 * assertEquals(detectFormat("x.ndjson"), "jsonl");
 * assertEquals(detectFormat("x.bin"), undefined);
 * ```
 */
export function detectFormat(path: string): DataFormat | undefined {
  let name = path.toLowerCase();
  const slash = Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\"));
  name = name.slice(slash + 1);
  if (name.endsWith(".gz")) name = name.slice(0, -3);
  const dot = name.lastIndexOf(".");
  return dot >= 0 ? EXTENSIONS[name.slice(dot + 1)] : undefined;
}

function resolveFormat(format: string | undefined, file: string): DataFormat {
  const name = (format ?? "auto").toLowerCase();
  if (name === "auto") {
    const detected = detectFormat(file);
    if (detected === undefined) {
      throw new DataError(
        `cannot tell the format from the extension: pass "format", one of ${
          DATA_FORMATS.map((f) => `"${f}"`).join(", ")
        }`,
        { file },
      );
    }
    return detected;
  }
  if ((DATA_FORMATS as readonly string[]).includes(name)) return name as DataFormat;
  const alias = ALIASES[name];
  if (alias !== undefined && alias !== "in-memory") return alias;
  const why = UNSUPPORTED.includes(name) || alias === "in-memory"
    ? `format "${format}" is not supported for files`
    : `unknown format "${format}"`;
  throw new DataError(`${why}: expected one of ${DATA_FORMATS.map((f) => `"${f}"`).join(", ")}`, {
    file,
  });
}

/**
 * Reads any data source into a {@linkcode Dataset}: a file path or URL (CSV, TSV, JSON, JSON
 * Lines, Arrow IPC/Feather, Parquet, optionally gzipped), a `Dataset` (returned as is, or
 * projected), an Arrow `Table`, an array of records, or an object of columns.
 *
 * @param source The data.
 * @param options Format, column subset, row limit and format-specific options.
 * @returns The dataset.
 * @throws {DataError} For any problem with the data, naming file, column and row or line.
 *
 * @example Read records and a CSV file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readDataset } from "./read.ts";
 * const inMemory = await readDataset([{ a: 1, b: "x" }, { a: 2, b: "y" }], { columns: ["b"] });
 * assertEquals(inMemory.columnNames, ["b"]);
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "a;b\n1;2\n");
 * const ds = await readDataset(path, { format: "csv", delimiter: ";" });
 * assertEquals(ds.column("b"), ["2"]);
 * await Deno.remove(path);
 * ```
 */
export async function readDataset(source: DataSource, options: ReadOptions = {}): Promise<Dataset> {
  if (typeof source === "string" || source instanceof URL) {
    const file = pathString(source);
    const format = resolveFormat(options.format, file);
    const common = { columns: options.columns, limit: options.limit };
    switch (format) {
      case "csv":
        return await readCsv(file, {
          ...common,
          delimiter: options.delimiter,
          nullValues: options.nullValues,
        });
      case "tsv":
        return await readTsv(file, {
          ...common,
          delimiter: options.delimiter ?? "\t",
          nullValues: options.nullValues,
        });
      case "json":
        return await readJson(file, { ...common, allowNonFinite: options.allowNonFinite });
      case "jsonl":
        return await readJsonl(file, { ...common, allowNonFinite: options.allowNonFinite });
      case "arrow":
      case "feather":
        return await readArrow(file, common);
      case "parquet":
        return await readParquet(file, common);
    }
  }
  let ds: Dataset;
  if (source instanceof Dataset) ds = source;
  else if (source instanceof Table) ds = Dataset.fromTable(source);
  else if (Array.isArray(source)) ds = Dataset.fromRecords(source);
  else if (source !== null && typeof source === "object") {
    ds = Dataset.fromColumns(source as Record<string, ArrayLike<unknown>>);
  } else {
    throw new DataError(
      "expected a file path, a URL, a Dataset, an Arrow Table, an array of records or an object of columns",
    );
  }
  if (options.columns !== undefined) {
    for (const name of options.columns) {
      if (!ds.hasColumn(name)) throw missingColumnError(name, ds.columnNames);
    }
    ds = ds.selectColumns(options.columns);
  }
  if (options.limit !== undefined && options.limit < ds.numRows) ds = ds.head(options.limit);
  return ds;
}
