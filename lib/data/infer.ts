/**
 * Feature-type inference for `init_config` / auto-config, following Ludwig's
 * `utils/automl/type_inference.py` rules, in order:
 *
 * 1. an Arrow date or timestamp column → `date`;
 * 2. at most 1 distinct value → `category`;
 * 3. exactly 2 distinct values, none missing, both conventional booleans → `binary`;
 * 4. at least 3 distinct values that are image / audio file paths → `image` / `audio`;
 * 5. an average of at least 5 words per value → `text`;
 * 6. every value a date string (and not all numbers) → `date`;
 * 7. distinct values fewer than 50% of the rows, and either not all numbers or a run of
 *    sequential integers → `category`;
 * 8. all numbers → `number`;
 * 9. otherwise → `text`.
 *
 * It also reports Ludwig's exclusion rule (`should_exclude`): single-valued columns, unique
 * ID-like columns, and short text columns in datasets of more than 3 columns are excluded
 * unless they are targets.
 *
 * @module
 */

import { BOOL_FALSE_STRINGS, BOOL_TRUE_STRINGS } from "./cells.ts";
import type { Cell } from "./_columns.ts";
import type { Dataset } from "./dataset.ts";
import { tryParseDatetime } from "./datetime.ts";
import * as arrow from "npm:apache-arrow@21.2.0";

/** The feature types inference can pick. */
export type InferredType = "binary" | "number" | "category" | "text" | "date" | "image" | "audio";

/** What inference found about one column. */
export interface InferredColumn {
  /** The column name. */
  name: string;
  /** The inferred feature type. */
  type: InferredType;
  /** The number of distinct non-missing values (in the rows looked at). */
  numDistinct: number;
  /** The fraction of rows whose value is missing. */
  missingFraction: number;
  /** The average number of whitespace-separated words, for string columns; else `null`. */
  avgWords: number | null;
  /** Whether auto-config should leave this column out (Ludwig's `should_exclude`). */
  excluded: boolean;
  /** Why it is excluded, when it is. */
  reason?: string;
}

/** Options of {@linkcode inferTypes}. */
export interface InferOptions {
  /** Output columns: never excluded. */
  targets?: readonly string[];
  /** Look at no more than this many rows, evenly spaced (default 100 000). */
  sampleSize?: number;
}

/** Ludwig's cutoff: distinct values below this fraction of rows may be a category. */
export const CATEGORY_DISTINCT_FRACTION = 0.5;
/** Ludwig's cutoff: at least this many words on average make a text column. */
export const TEXT_AVG_WORDS_CUTOFF = 5;

const IMAGE_EXT = /\.(png|jpe?g|gif|bmp|tiff?|webp)$/i;
const AUDIO_EXT = /\.(wav|mp3|flac|ogg|m4a|aac)$/i;
const NUMBER_RE =
  /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$|^\s*[+-]?(?:nan|inf|infinity)\s*$/i;

function isNumber(value: Cell): boolean {
  if (typeof value === "number" || typeof value === "bigint") return true;
  return typeof value === "string" && NUMBER_RE.test(value);
}

function isConventionalBool(value: Cell): boolean {
  const s = String(value).trim().toLowerCase();
  return BOOL_TRUE_STRINGS.has(s) || BOOL_FALSE_STRINGS.has(s);
}

function areSequentialIntegers(values: readonly Cell[]): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    const x = Number(v);
    if (!Number.isInteger(x)) return false;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return max - min + 1 === values.length;
}

function sampleRows(n: number, size: number): number[] {
  if (n <= size) return Array.from({ length: n }, (_, i) => i);
  const step = n / size;
  return Array.from({ length: size }, (_, i) => Math.floor(i * step));
}

function distinctKey(cell: Cell): string {
  if (typeof cell === "string") return cell;
  if (typeof cell === "object") {
    return JSON.stringify(cell, (_k, v) => (typeof v === "bigint" ? String(v) : v));
  }
  return String(cell);
}

/**
 * Infers one column's feature type (Ludwig's rules; see the module doc).
 *
 * @param dataset The data.
 * @param column The column name.
 * @param options Sample size.
 * @returns What was found, with `excluded: false` (exclusion needs the whole dataset: use
 * {@linkcode inferTypes}).
 *
 * @example Infer a column
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { Dataset } from "./dataset.ts";
 * import { inferColumnType } from "./infer.ts";
 * const ds = Dataset.fromColumns({ smoker: ["yes", "no", "no", "yes"] });
 * assertEquals(inferColumnType(ds, "smoker").type, "binary");
 * ```
 */
export function inferColumnType(
  dataset: Dataset,
  column: string,
  options: InferOptions = {},
): InferredColumn {
  const field = dataset.field(column);
  const cells = dataset.column(column);
  const rows = sampleRows(cells.length, options.sampleSize ?? 100_000);
  const rowCount = rows.length;
  const distinct = new Map<string, Cell>();
  let missing = 0;
  let words = 0;
  let strings = 0;
  for (const r of rows) {
    const cell = cells[r];
    if (cell === null || (typeof cell === "string" && cell.trim() === "")) {
      missing++;
      continue;
    }
    const key = distinctKey(cell);
    if (!distinct.has(key)) distinct.set(key, cell);
    if (typeof cell === "string") {
      strings++;
      const trimmed = cell.trim();
      words += trimmed === "" ? 0 : trimmed.split(/\s+/).length;
    }
  }
  const values = [...distinct.values()];
  const numDistinct = values.length;
  const missingFraction = rowCount === 0 ? 0 : missing / rowCount;
  const allNumbers = values.every(isNumber);
  const avgWords = strings > 0 && !allNumbers ? words / strings : null;
  const result = (type: InferredType): InferredColumn => ({
    name: column,
    type,
    numDistinct,
    missingFraction,
    avgWords,
    excluded: false,
  });
  const typeId = (field.type as arrow.DataType).typeId;
  if (typeId === arrow.Type.Date || typeId === arrow.Type.Timestamp) return result("date");
  if (numDistinct <= 1) return result("category");
  if (numDistinct === 2 && missing === 0 && values.every(isConventionalBool)) {
    return result("binary");
  }
  const strs = values.filter((v): v is string => typeof v === "string");
  if (strs.filter((s) => IMAGE_EXT.test(s.trim())).length >= 3) return result("image");
  if (strs.filter((s) => AUDIO_EXT.test(s.trim())).length >= 3) return result("audio");
  if (avgWords !== null && avgWords >= TEXT_AVG_WORDS_CUTOFF) return result("text");
  if (
    !allNumbers && strs.length === numDistinct &&
    strs.every((s) => tryParseDatetime(s) !== undefined)
  ) {
    return result("date");
  }
  if (
    numDistinct < rowCount * CATEGORY_DISTINCT_FRACTION &&
    (!allNumbers || areSequentialIntegers(values))
  ) {
    return result("category");
  }
  if (allNumbers) return result("number");
  return result("text");
}

/**
 * Infers every column's feature type and whether auto-config should exclude it.
 *
 * @param dataset The data.
 * @param options Targets (never excluded) and sample size.
 * @returns One entry per column, in column order.
 *
 * @example Infer a table
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { Dataset } from "./dataset.ts";
 * import { inferTypes } from "./infer.ts";
 * const ds = Dataset.fromColumns({
 *   user_id: ["u1", "u2", "u3", "u4"],
 *   price: ["1.5", "2.25", "3.0", "9.75"],
 *   churned: ["true", "false", "false", "true"],
 * });
 * const info = inferTypes(ds, { targets: ["churned"] });
 * assertEquals(info.map((c) => [c.name, c.type, c.excluded]), [
 *   ["user_id", "text", true],
 *   ["price", "number", false],
 *   ["churned", "binary", false],
 * ]);
 * ```
 */
export function inferTypes(dataset: Dataset, options: InferOptions = {}): InferredColumn[] {
  const targets = new Set(options.targets ?? []);
  const columnCount = dataset.columnNames.length;
  const rowCount = Math.min(dataset.numRows, options.sampleSize ?? 100_000);
  return dataset.columnNames.map((name, index) => {
    const info = inferColumnType(dataset, name, options);
    if (targets.has(name)) return info;
    const reason = exclusionReason(info, index, columnCount, rowCount);
    return reason === undefined ? info : { ...info, excluded: true, reason };
  });
}

function exclusionReason(
  info: InferredColumn,
  index: number,
  columnCount: number,
  rowCount: number,
): string | undefined {
  if (info.numDistinct <= 1) return "fewer than 2 distinct values";
  if (rowCount > 0 && info.numDistinct === rowCount) {
    const upper = info.name.toUpperCase();
    if (
      (index === 0 && upper.includes("INDEX") && info.type === "number") ||
      upper.endsWith("ID") || upper.startsWith("ID")
    ) {
      return "unique ID column";
    }
  }
  if (columnCount > 3 && info.type === "text" && (info.avgWords ?? 0) < TEXT_AVG_WORDS_CUTOFF) {
    return "too few average words for a text column";
  }
  return undefined;
}
