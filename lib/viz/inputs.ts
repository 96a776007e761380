/**
 * The inputs of the visualizations, in Ludwig's file formats: `training_statistics.json`,
 * `test_statistics.json`, `training_set_metadata.json`, probabilities, predictions and ground
 * truth; with readers for files (JSON, CSV, NumPy `.npy`) and conversions from raw labels to
 * vocabulary indices.
 *
 * @module
 */

import { parseCsv } from "./_csv.ts";
import type { Probabilities } from "./metrics.ts";

/** Per-feature, per-metric series of one split (`{ <feature>: { <metric>: number[] } }`). */
export type SplitStatistics = Record<string, Record<string, number[]>>;

/** `training_statistics.json`: metric series per split, feature and metric. */
export interface TrainingStatistics {
  /** Metrics on the training set, one value per evaluation. */
  training: SplitStatistics;
  /** Metrics on the validation set. */
  validation?: SplitStatistics;
  /** Metrics on the test set. */
  test?: SplitStatistics;
  /** How often metrics were recorded (Ludwig ≥ 0.7); default every 1 epoch. */
  evaluation_frequency?: { frequency: number; period: string };
}

/** ROC curve points stored in test statistics of binary features. */
export interface StoredRocCurve {
  /** False positive rates. */
  false_positive_rate: number[];
  /** True positive rates. */
  true_positive_rate: number[];
  /** Thresholds, when stored. */
  thresholds?: number[];
}

/** Precision-recall curve points stored in test statistics of binary features. */
export interface StoredPrecisionRecallCurve {
  /** Precisions. */
  precisions: number[];
  /** Recalls. */
  recalls: number[];
  /** Thresholds, when stored. */
  thresholds?: number[];
}

/** One output feature's entry in `test_statistics.json`. */
export interface FeatureTestStatistics {
  /** Confusion matrix: rows are true classes, columns predicted, in `idx2str` order. */
  confusion_matrix?: number[][];
  /** Whole-feature statistics (averages, kappa, ...). */
  overall_stats?: Record<string, unknown>;
  /** Per-class statistics keyed by class label. */
  per_class_stats?: Record<string, Record<string, number>>;
  /** ROC curve of a binary feature. */
  roc_curve?: StoredRocCurve;
  /** Precision-recall curve of a binary feature. */
  precision_recall_curve?: StoredPrecisionRecallCurve;
  /** Scalar metrics (`accuracy`, `loss`, `roc_auc`, ...). */
  [metric: string]: unknown;
}

/** `test_statistics.json`: statistics per output feature (plus `combined`). */
export type TestStatistics = Record<string, FeatureTestStatistics>;

/** One feature's entry in `training_set_metadata.json`. */
export interface FeatureMetadata {
  /** Vocabulary of a category feature, by index. */
  idx2str?: string[];
  /** Index of each label. */
  str2idx?: Record<string, number>;
  /** Training-set frequency of each label. */
  str2freq?: Record<string, number>;
  /** Vocabulary size. */
  vocab_size?: number;
  /** Labels of a binary feature with non-standard values: [false label, true label]. */
  bool2str?: string[];
  /** Truth value of each label of a binary feature. */
  str2bool?: Record<string, boolean>;
  /** Other metadata (preprocessing parameters, ...). */
  [key: string]: unknown;
}

/** `training_set_metadata.json`: metadata per feature. */
export type TrainingSetMetadata = Record<string, FeatureMetadata>;

/** Raw labels as read from a file or passed in: vocabulary indices, labels or booleans. */
export type RawLabels = readonly (number | string | boolean)[];

const TRUE_STRINGS = new Set(["true", "t", "yes", "y", "1", "1.0", "on", "positive", "pos"]);
const FALSE_STRINGS = new Set(["false", "f", "no", "n", "0", "0.0", "off", "negative", "neg"]);

/**
 * The metadata of one feature: `metadata[name]` of a whole `training_set_metadata.json`, or
 * `metadata` itself when it is already one feature's entry.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { featureMetadata } from "./inputs.ts";
 * const meta = { label: { idx2str: ["a", "b"] } };
 * assertEquals(featureMetadata(meta, "label")?.idx2str, ["a", "b"]);
 * assertEquals(featureMetadata(meta.label, "label")?.idx2str, ["a", "b"]);
 * ```
 */
export function featureMetadata(
  metadata: TrainingSetMetadata | FeatureMetadata | undefined,
  name: string | undefined,
): FeatureMetadata | undefined {
  if (!metadata) return undefined;
  if ("idx2str" in metadata || "str2idx" in metadata || "bool2str" in metadata) {
    return metadata as FeatureMetadata;
  }
  if (name !== undefined && name in metadata) return (metadata as TrainingSetMetadata)[name];
  return undefined;
}

/**
 * Class labels of a feature in index order: `idx2str`, or `bool2str` for a binary feature, else
 * the indices `0..n-1` as text ("False"/"True" for two classes of a binary feature).
 *
 * @param meta The feature's metadata, if known.
 * @param count How many classes there are when the metadata does not say.
 */
export function classLabels(meta: FeatureMetadata | undefined, count: number): string[] {
  if (meta?.idx2str) return meta.idx2str.map(String);
  if (meta?.bool2str) return meta.bool2str.map(String);
  if (meta && count === 2 && !meta.str2idx) return ["False", "True"];
  return Array.from({ length: count }, (_, i) => String(i));
}

/**
 * Convert raw labels to vocabulary indices: numbers pass through; strings map through
 * `str2idx` (category) or `str2bool` (binary), and conventional booleans ("true", "no", ...)
 * become 1/0; booleans become 1/0.
 *
 * @param labels The raw labels.
 * @param meta The feature's metadata.
 * @param featureName Named in error messages.
 * @returns Vocabulary indices.
 * @throws {TypeError} When a label is not in the vocabulary.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { toLabelIndices } from "./inputs.ts";
 * assertEquals(toLabelIndices(["b", "a", 1], { str2idx: { a: 0, b: 1 } }), [1, 0, 1]);
 * assertEquals(toLabelIndices(["yes", "no", true]), [1, 0, 1]);
 * ```
 */
export function toLabelIndices(
  labels: RawLabels,
  meta?: FeatureMetadata,
  featureName = "output feature",
): number[] {
  return labels.map((value) => {
    if (typeof value === "number") {
      if (!Number.isInteger(value) || value < 0) {
        throw new TypeError(
          `Cannot read labels of "${featureName}": expected non-negative integer class indices, received ${value}`,
        );
      }
      return value;
    }
    if (typeof value === "boolean") return value ? 1 : 0;
    const text = value.trim();
    if (meta?.str2idx && text in meta.str2idx) return meta.str2idx[text];
    if (meta?.str2bool && text in meta.str2bool) return meta.str2bool[text] ? 1 : 0;
    if (meta?.bool2str?.includes(text)) return meta.bool2str.indexOf(text);
    if (!meta?.str2idx) {
      if (/^\d+$/.test(text)) return Number(text);
      const lower = text.toLowerCase();
      if (TRUE_STRINGS.has(lower)) return 1;
      if (FALSE_STRINGS.has(lower)) return 0;
    }
    const known = meta?.idx2str ?? (meta?.str2idx ? Object.keys(meta.str2idx) : undefined);
    const options = known && known.length <= 12
      ? `: expected one of ${known.map((k) => `"${k}"`).join(", ")}`
      : "";
    throw new TypeError(
      `Cannot map label "${text}" of "${featureName}" to a class index${options}`,
    );
  });
}

/**
 * Binary ground truth for curves on one class: a binary feature's truth values, or, for a
 * category feature, whether the label is `positiveLabel` (Ludwig's `_convert_ground_truth`).
 *
 * @returns The labels as booleans and the probability column of the positive class.
 */
export function toBinaryLabels(
  labels: RawLabels,
  meta: FeatureMetadata | undefined,
  positiveLabel: number,
  featureName?: string,
): { labels: boolean[]; positiveColumn: number } {
  const isCategory = meta?.str2idx !== undefined || meta?.idx2str !== undefined;
  const indices = toLabelIndices(labels, meta, featureName);
  if (isCategory) {
    return { labels: indices.map((i) => i === positiveLabel), positiveColumn: positiveLabel };
  }
  return { labels: indices.map((i) => i === 1), positiveColumn: 1 };
}

/**
 * Normalize probabilities for one or several models into a list of matrices.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { asModelList } from "./inputs.ts";
 * assertEquals(asModelList([[0.2, 0.8]]).length, 1);
 * assertEquals(asModelList([[[0.2, 0.8]], [[0.4, 0.6]]]).length, 2);
 * ```
 */
export function asModelList(
  probabilities: Probabilities | readonly Probabilities[],
): Probabilities[] {
  const first = probabilities[0] as unknown;
  if (Array.isArray(first) && Array.isArray(first[0])) {
    return [...(probabilities as Probabilities[])];
  }
  return [probabilities as Probabilities];
}

/** Normalize predictions for one or several models into a list. */
export function asPredictionList(predictions: RawLabels | readonly RawLabels[]): RawLabels[] {
  return Array.isArray(predictions[0])
    ? [...(predictions as RawLabels[])]
    : [predictions as RawLabels];
}

/** Normalize statistics of one or several models into a list. */
export function asList<T extends object>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...value] : [value as T];
}

/**
 * Display names of `count` models: the given names, then "Model 1", "Model 2", ... ("Model"
 * for a single unnamed model).
 */
export function modelNames(count: number, names?: readonly string[]): string[] {
  return Array.from(
    { length: count },
    (_, i) => names?.[i] ?? (count === 1 ? "Model" : `Model ${i + 1}`),
  );
}

// ---------------------------------------------------------------------------------------------
// File readers

/**
 * Read and parse a JSON file.
 *
 * @throws {SyntaxError} Naming the file when the JSON is invalid.
 */
export async function readJson<T = unknown>(path: string): Promise<T> {
  const text = await Deno.readTextFile(path);
  try {
    return parseJsonWithNonFinite(text) as T;
  } catch (error) {
    throw new SyntaxError(`Cannot parse JSON file "${path}": ${(error as Error).message}`);
  }
}

/**
 * Parse JSON that may contain Python's `NaN`, `Infinity` and `-Infinity` tokens (Python's
 * `json.dump` writes them, e.g. for an undefined precision or a ROC curve's first threshold):
 * `NaN` becomes `null`, the infinities become `±Infinity`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { parseJsonWithNonFinite } from "./inputs.ts";
 * assertEquals(parseJsonWithNonFinite('{"a": [NaN, Infinity, -Infinity], "b": "NaN"}'), {
 *   a: [null, Infinity, -Infinity],
 *   b: "NaN",
 * });
 * ```
 */
export function parseJsonWithNonFinite(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  const replaced = text.replace(
    /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g,
    (token) =>
      token.startsWith('"')
        ? token
        : token === "NaN"
        ? "null"
        : token.startsWith("-")
        ? "-1e999"
        : "1e999",
  );
  return JSON.parse(replaced);
}

function extension(path: string): string {
  const lower = path.toLowerCase();
  for (const ext of [".csv", ".tsv", ".json", ".jsonl", ".npy"]) {
    if (lower.endsWith(ext)) return ext;
  }
  return lower.slice(lower.lastIndexOf("."));
}

async function readTable(path: string): Promise<{ header: string[]; rows: string[][] }> {
  const text = await Deno.readTextFile(path);
  return parseCsv(text, extension(path) === ".tsv" ? "\t" : ",");
}

async function readRecords(path: string): Promise<unknown> {
  if (extension(path) === ".jsonl") {
    const text = await Deno.readTextFile(path);
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  }
  return await readJson(path);
}

/** A column from records, a `{column: values}` object, or an array of values. */
function jsonColumn(data: unknown, column: string): unknown[] | undefined {
  if (Array.isArray(data)) {
    if (
      data.length > 0 && typeof data[0] === "object" && data[0] !== null && !Array.isArray(data[0])
    ) {
      if (!(column in (data[0] as Record<string, unknown>))) return undefined;
      return data.map((r) => (r as Record<string, unknown>)[column]);
    }
    return data;
  }
  if (data && typeof data === "object" && column in data) {
    const value = (data as Record<string, unknown>)[column];
    return Array.isArray(value) ? value : undefined;
  }
  return undefined;
}

/**
 * Parse a NumPy `.npy` file holding a 1-D or 2-D array of floats or integers (little endian,
 * C order).
 *
 * @returns Rows of numbers (a 1-D array becomes one value per row).
 */
export function parseNpy(bytes: Uint8Array): number[][] {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== "NUMPY") {
    throw new TypeError("Cannot read .npy: missing the NUMPY magic string");
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? "").split(",").map((s) => s.trim())
    .filter((s) => s !== "").map(Number);
  if (!descr || fortran || shape.length === 0 || shape.length > 2) {
    throw new TypeError(
      `Cannot read .npy: expected a 1-D or 2-D C-order array, found header ${header.trim()}`,
    );
  }
  const readers: Record<string, [number, (o: number) => number]> = {
    "<f8": [8, (o) => view.getFloat64(o, true)],
    "<f4": [4, (o) => view.getFloat32(o, true)],
    "<i8": [8, (o) => Number(view.getBigInt64(o, true))],
    "<i4": [4, (o) => view.getInt32(o, true)],
    "|b1": [1, (o) => view.getUint8(o)],
    "|u1": [1, (o) => view.getUint8(o)],
  };
  const reader = readers[descr];
  if (!reader) throw new TypeError(`Cannot read .npy: unsupported dtype "${descr}"`);
  const [size, read] = reader;
  const [rows, cols = 1] = shape;
  const base = headerStart + headerLength;
  return Array.from(
    { length: rows },
    (_, r) => Array.from({ length: cols }, (_, c) => read(base + (r * cols + c) * size)),
  );
}

/**
 * Read class probabilities of one output feature: a CSV of predictions with
 * `<feature>_probabilities_<label>` columns (Sonata's and Ludwig's `predictions.csv`; for a
 * binary feature `<feature>_probability` also works), a JSON matrix or `{ "<feature>_probabilities":
 * matrix }`, or a `.npy` matrix.
 *
 * @param path The file.
 * @param featureName The output feature.
 * @param meta The feature's metadata, used to order the columns by vocabulary index.
 * @returns One row per example, one column per class.
 */
export async function readProbabilities(
  path: string,
  featureName: string,
  meta?: FeatureMetadata,
): Promise<number[][]> {
  const ext = extension(path);
  if (ext === ".npy") return parseNpy(await Deno.readFile(path));
  if (ext === ".json" || ext === ".jsonl") {
    const data = await readRecords(path);
    const column = jsonColumn(data, `${featureName}_probabilities`) ??
      (Array.isArray(data) && Array.isArray(data[0]) ? data : undefined);
    if (!column || !column.every((r) => Array.isArray(r))) {
      throw new TypeError(
        `Cannot read probabilities of "${featureName}" from "${path}": expected a matrix or a "${featureName}_probabilities" field`,
      );
    }
    return column.map((r) => (r as unknown[]).map(Number));
  }
  const { header, rows } = await readTable(path);
  const prefix = `${featureName}_probabilities_`;
  const columns = header.map((name, i) => ({ name, i })).filter((c) => c.name.startsWith(prefix));
  if (columns.length > 0) {
    const labels = columns.map((c) => c.name.slice(prefix.length));
    let order: number[];
    const vocab = meta?.idx2str ?? meta?.bool2str ??
      (labels.every((l) => /^(true|false)$/i.test(l)) ? ["False", "True"] : undefined);
    if (vocab && labels.every((l) => vocab.some((v) => v.toLowerCase() === l.toLowerCase()))) {
      order = labels.map((l) => vocab.findIndex((v) => v.toLowerCase() === l.toLowerCase()));
    } else order = labels.map((_, i) => i);
    const width = Math.max(...order) + 1;
    return rows.map((row) => {
      const out = new Array<number>(width).fill(0);
      columns.forEach((c, j) => (out[order[j]] = Number(row[c.i])));
      return out;
    });
  }
  const single = header.indexOf(`${featureName}_probability`);
  const whole = header.indexOf(`${featureName}_probabilities`);
  if (whole >= 0) return rows.map((row) => (JSON.parse(row[whole]) as unknown[]).map(Number));
  if (single >= 0 && !meta?.idx2str) {
    return rows.map((row) => {
      const p = Number(row[single]);
      return [1 - p, p];
    });
  }
  throw new TypeError(
    `Cannot read probabilities of "${featureName}" from "${path}": found no "${prefix}<label>" columns`,
  );
}

/**
 * Read predicted labels of one output feature: the `<feature>_predictions` column of a CSV, a
 * JSON array, or a `{ "<feature>_predictions": [...] }` object / records.
 */
export async function readPredictions(path: string, featureName: string): Promise<RawLabels> {
  return await readLabelColumn(path, `${featureName}_predictions`, "predictions");
}

/**
 * Read ground-truth labels of one output feature from a dataset file (CSV/TSV with a column
 * named after the feature, JSON records or a JSON array). When the data has a `split` column,
 * only rows of `split` (0 train, 1 validation, 2 test; Ludwig's default 2) are kept; with
 * `splitFile` (the values of a split file, one per row) the rows it puts in `split` are kept.
 */
export async function readGroundTruth(
  path: string,
  featureName: string,
  split?: number,
  splitFile?: readonly number[],
): Promise<RawLabels> {
  const ext = extension(path);
  const bySplitFile = <T>(values: readonly T[]): T[] => {
    if (splitFile!.length !== values.length) {
      throw new TypeError(
        `Cannot read ground truth "${featureName}" from "${path}": the split file has ${
          splitFile!.length
        } rows and the data ${values.length}: pass the split file of this dataset`,
      );
    }
    return values.filter((_, i) => splitFile![i] === (split ?? 2));
  };
  if (ext === ".json" || ext === ".jsonl") {
    const data = await readRecords(path);
    const values = jsonColumn(data, featureName);
    if (!values) {
      throw new TypeError(
        `Cannot read ground truth "${featureName}" from "${path}": column not found`,
      );
    }
    if (splitFile) return bySplitFile(values) as RawLabels;
    const splits = jsonColumn(data, "split");
    const keep = split !== undefined && splits && splits !== values &&
      splits.length === values.length;
    return (keep ? values.filter((_, i) => Number(splits[i]) === split) : values) as RawLabels;
  }
  const { header, rows } = await readTable(path);
  const col = header.indexOf(featureName);
  if (col < 0) {
    throw new TypeError(
      `Cannot read ground truth "${featureName}" from "${path}": column not found: found ${
        header.map((h) => `"${h}"`).join(", ")
      }`,
    );
  }
  if (splitFile) return bySplitFile(rows).map((r) => r[col]);
  const splitCol = header.indexOf("split");
  const kept = split !== undefined && splitCol >= 0
    ? rows.filter((r) => Number(r[splitCol]) === split)
    : rows;
  return kept.map((r) => r[col]);
}

async function readLabelColumn(path: string, column: string, what: string): Promise<RawLabels> {
  const ext = extension(path);
  if (ext === ".npy") return parseNpy(await Deno.readFile(path)).map((r) => r[0]);
  if (ext === ".json" || ext === ".jsonl") {
    const values = jsonColumn(await readRecords(path), column);
    if (!values) {
      throw new TypeError(`Cannot read ${what} from "${path}": found no "${column}" column`);
    }
    return values as RawLabels;
  }
  const { header, rows } = await readTable(path);
  const col = header.indexOf(column);
  if (col < 0) {
    throw new TypeError(`Cannot read ${what} from "${path}": found no "${column}" column`);
  }
  return rows.map((r) => r[col]);
}
