/**
 * Sonata's data layer: read a dataset from a file or memory, split it the way Ludwig's
 * `preprocessing.split` says, infer feature types, and parse raw cells for preprocessing.
 *
 * - {@linkcode readDataset} reads CSV/TSV (streamed), JSON, JSON Lines, Arrow IPC/Feather and
 *   Parquet files (optionally gzipped), arrays of records, objects of columns and Arrow tables.
 * - {@linkcode Dataset} is columnar and Arrow-backed, with raw cells per column
 *   (`column(name)`), Arrow vectors (`vector(name)`), row selection and a content checksum.
 * - {@linkcode splitDataset} / {@linkcode readSplitDatasets} produce training, validation
 *   and test datasets.
 * - {@linkcode inferTypes} implements Ludwig's auto-config type inference.
 * - {@linkcode parseNumberCell}, {@linkcode parseBooleanCell} and {@linkcode parseDateCell}
 *   type raw cells and raise a {@linkcode DataError} naming file, column and row.
 *
 * @example Read, split, infer
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { inferTypes, parseNumberCell, readDataset, splitDataset } from "./mod.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * const rows = Array.from({ length: 20 }, (_, i) => `${20 + i},${i % 2 ? "yes" : "no"}`);
 * await Deno.writeTextFile(path, ["age,smoker", ...rows].join("\n"));
 *
 * const dataset = await readDataset(path);
 * assertEquals(dataset.column("age")[0], "20"); // raw CSV cells are strings
 * assertEquals(parseNumberCell(dataset.column("age")[0]), 20);
 *
 * const types = inferTypes(dataset).map((c) => c.type);
 * assertEquals(types, ["number", "binary"]);
 *
 * const { training, validation, test } = splitDataset(dataset, { type: "random" }, { seed: 42 });
 * assertEquals([training.numRows, validation.numRows, test.numRows], [14, 2, 4]);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

export {
  type Cell,
  type ColumnDataType,
  type ColumnField,
  type ColumnVector,
  Dataset,
  type DatasetOptions,
  type DatasetSchema,
  missingColumnError,
} from "./dataset.ts";
export {
  DataError,
  type DataErrorLocation,
  type DataErrorOptions,
  renderDataError,
} from "./errors.ts";
export {
  DATA_FORMATS,
  type DataFormat,
  type DataSource,
  detectFormat,
  readDataset,
  type ReadOptions,
} from "./read.ts";
export { type CsvOptions, PANDAS_NA_VALUES, parseCsv, readCsv, readTsv } from "./read_csv.ts";
export { type JsonOptions, parseJson, readJson, readJsonl } from "./read_json.ts";
export { type ArrowOptions, parseArrow, readArrow } from "./read_arrow.ts";
export { type ParquetOptions, parseParquet, readParquet } from "./read_parquet.ts";
export { writeArrow, writeCsv, type WriteCsvOptions, writeParquet } from "./write.ts";
export {
  BOOL_FALSE_STRINGS,
  BOOL_TRUE_STRINGS,
  type CellLocation,
  parseBooleanCell,
  type ParseBooleanOptions,
  parseNumberCell,
  type ParseNumberOptions,
} from "./cells.ts";
export { parseDateCell, type ParseDateOptions, tryParseDatetime } from "./datetime.ts";
export {
  DEFAULT_SEED,
  DEFAULT_SPLIT_PROBABILITIES,
  readSplitDatasets,
  SPLIT_TYPES,
  type SplitConfig,
  splitDataset,
  type SplitDatasets,
  type SplitIndices,
  splitIndices,
  type SplitName,
  type SplitOptions,
  type SplitProbabilities,
  type SplitSources,
} from "./split.ts";
export {
  CATEGORY_DISTINCT_FRACTION,
  inferColumnType,
  type InferOptions,
  type InferredColumn,
  type InferredType,
  inferTypes,
  TEXT_AVG_WORDS_CUTOFF,
} from "./infer.ts";
