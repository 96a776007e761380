/**
 * Parsing single raw cells into typed values, for per-feature preprocessing. Each parser
 * returns `null` for a missing cell (`null`, `undefined` or an empty/blank string) so the
 * caller applies the feature's `missing_value_strategy`, and throws a {@linkcode DataError}
 * naming file, column and row for a cell it cannot parse.
 *
 * @module
 */

import { DataError, quoteValue } from "./errors.ts";

/** Where a cell sits, for error messages; all optional. */
export interface CellLocation {
  /** The file the dataset came from. */
  file?: string;
  /** The column of the cell. */
  column?: string;
  /** The 0-based row of the cell. */
  row?: number;
}

/** Options of {@linkcode parseNumberCell}. */
export interface ParseNumberOptions extends CellLocation {
  /**
   * Accept `NaN`, `Infinity` and `-Infinity` (numbers, or strings such as `"nan"`, `"inf"`,
   * `"-Infinity"`); by default they are errors, because they poison normalization statistics.
   */
  allowNonFinite?: boolean;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE: Record<string, number> = {
  nan: NaN,
  "+nan": NaN,
  "-nan": NaN,
  inf: Infinity,
  "+inf": Infinity,
  "-inf": -Infinity,
  infinity: Infinity,
  "+infinity": Infinity,
  "-infinity": -Infinity,
};

/**
 * Parses a cell as a number: numbers pass through, booleans give 1/0, bigints are converted,
 * strings are trimmed and parsed as decimal or scientific notation (`"1e-3"`, `" 42 "`,
 * `"-.5"`; not hex, not `"1,000"`).
 *
 * @param value The raw cell.
 * @param options Where the cell is (for the error) and whether non-finite values are allowed.
 * @returns The number, or `null` when the cell is missing.
 * @throws {DataError} When the cell is not a number, or not finite and that is not allowed.
 *
 * @example Parse cells
 * ```ts
 * import { assertEquals, assert } from "../_util/_assert.ts";
 * import { parseNumberCell } from "./cells.ts";
 * assertEquals(parseNumberCell(" 2.5e1 "), 25);
 * assertEquals(parseNumberCell(""), null);
 * try {
 *   parseNumberCell("abc", { file: "data.csv", column: "age", row: 17 });
 *   assert(false);
 * } catch (error) {
 *   assertEquals(
 *     (error as Error).message,
 *     'Cannot read "data.csv": column "age" row 17: cannot parse "abc" as a number',
 *   );
 * }
 * ```
 */
export function parseNumberCell(value: unknown, options: ParseNumberOptions = {}): number | null {
  let result: number;
  switch (typeof value) {
    case "number":
      result = value;
      break;
    case "boolean":
      return value ? 1 : 0;
    case "bigint":
      return Number(value);
    case "string": {
      const s = value.trim();
      if (s === "") return null;
      if (NUMBER_RE.test(s)) return Number(s);
      const special = NON_FINITE[s.toLowerCase()];
      if (special === undefined) throw cellError(value, "a number", "number", options);
      result = special;
      break;
    }
    default:
      if (value === null || value === undefined) return null;
      throw cellError(value, "a number", "number", options);
  }
  if (!Number.isFinite(result) && !options.allowNonFinite) {
    throw new DataError(
      `found ${
        quoteValue(value)
      }, which is not a finite number: use an empty cell for a missing value`,
      { ...location(options), featureType: "number" },
    );
  }
  return result;
}

/** The strings that mean true (compared lowercased and trimmed): Ludwig's list plus on/off. */
export const BOOL_TRUE_STRINGS: ReadonlySet<string> = new Set([
  "true",
  "t",
  "yes",
  "y",
  "1",
  "1.0",
  "on",
]);

/** The strings that mean false (compared lowercased and trimmed). */
export const BOOL_FALSE_STRINGS: ReadonlySet<string> = new Set([
  "false",
  "f",
  "no",
  "n",
  "0",
  "0.0",
  "off",
]);

/** Options of {@linkcode parseBooleanCell}. */
export interface ParseBooleanOptions extends CellLocation {
  /**
   * Ludwig's `fallback_true_label`: when a cell is not a conventional boolean string, it is
   * `true` if it equals this label and `false` otherwise (so a binary column with the labels
   * `"spam"`/`"ham"` works with `fallback_true_label: "spam"`). Without it such cells are errors.
   */
  fallbackTrueLabel?: string | number | boolean | null;
}

/**
 * Parses a cell as a boolean, the way Ludwig's `str2bool` does: booleans pass through,
 * numbers 1/0 map to true/false, strings match {@linkcode BOOL_TRUE_STRINGS} or
 * {@linkcode BOOL_FALSE_STRINGS} case-insensitively, and anything else is compared with
 * `fallbackTrueLabel` when one is given.
 *
 * @param value The raw cell.
 * @param options Where the cell is, and the fallback true label.
 * @returns The boolean, or `null` when the cell is missing.
 * @throws {DataError} When the cell is not a conventional boolean and no fallback is set.
 *
 * @example Parse booleans
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { parseBooleanCell } from "./cells.ts";
 * assertEquals(parseBooleanCell("Yes"), true);
 * assertEquals(parseBooleanCell("off"), false);
 * assertEquals(parseBooleanCell("spam", { fallbackTrueLabel: "spam" }), true);
 * assertEquals(parseBooleanCell("ham", { fallbackTrueLabel: "spam" }), false);
 * assertEquals(parseBooleanCell(null), null);
 * ```
 */
export function parseBooleanCell(
  value: unknown,
  options: ParseBooleanOptions = {},
): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value;
  const fallback = options.fallbackTrueLabel;
  if (typeof value === "number" || typeof value === "bigint") {
    if (value == 1) return true;
    if (value == 0) return false;
  } else if (typeof value === "string") {
    const s = value.trim();
    if (s === "") return null;
    const lower = s.toLowerCase();
    if (BOOL_TRUE_STRINGS.has(lower)) return true;
    if (BOOL_FALSE_STRINGS.has(lower)) return false;
  }
  if (fallback !== undefined && fallback !== null) {
    return value === fallback || String(value) === String(fallback);
  }
  throw new DataError(
    `cannot parse ${quoteValue(value)} as a boolean: expected true/false, yes/no, y/n, t/f, ` +
      `on/off or 1/0, or set "fallback_true_label"`,
    { ...location(options), featureType: "binary" },
  );
}

function location(options: CellLocation): CellLocation {
  const out: CellLocation = {};
  if (options.file !== undefined) out.file = options.file;
  if (options.column !== undefined) out.column = options.column;
  if (options.row !== undefined) out.row = options.row;
  return out;
}

function cellError(
  value: unknown,
  what: string,
  featureType: string,
  options: CellLocation,
): DataError {
  return new DataError(`cannot parse ${quoteValue(value)} as ${what}`, {
    ...location(options),
    featureType,
  });
}
