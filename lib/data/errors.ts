/**
 * The one error class of the data layer, {@linkcode DataError}, and the helpers that render its
 * message in one place (std style: sentence case, no final period, quoted names, a colon before
 * the detail).
 *
 * @module
 */

/** Where in the data a {@linkcode DataError} happened; every field is optional. */
export interface DataErrorLocation {
  /** The file being read, as the caller named it (not resolved). */
  file?: string;
  /** The column (not the feature name) whose value is at fault. */
  column?: string;
  /** The 0-based row index in the dataset (header excluded): `dataset.values(column)[row]`. */
  row?: number;
  /** The 1-based physical line in a text file (header = line 1), for structural errors. */
  line?: number;
  /** The feature type whose parsing failed, such as `"number"` or `"binary"`. */
  featureType?: string;
}

/** Options of {@linkcode DataError}: its location, the action verb and the cause. */
export interface DataErrorOptions extends DataErrorLocation, ErrorOptions {
  /** The action that failed, used as the message's first words; default `"Cannot read"`. */
  action?: string;
}

/**
 * An error in the data rather than in the config: a missing or malformed file, a missing column,
 * or a cell that cannot be parsed. Like Ludwig's `InputDataError` it names the column and the
 * feature type; it also names the file and the row (or line) so the user can find the cell.
 *
 * The message is `<action> "<file>": <location>: <detail>`, for instance
 * `Cannot read "data.csv": column "age" row 17: cannot parse "abc" as a number`. Without a file
 * the subject reads `data`; without a location that part is left out. `line` (1-based, in the
 * file) is shown instead of `row` (0-based, in the dataset) when both are known.
 *
 * @example Render a message
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { DataError } from "./errors.ts";
 * const error = new DataError('cannot parse "abc" as a number', {
 *   file: "data.csv",
 *   column: "age",
 *   row: 17,
 * });
 * assertEquals(error.message, 'Cannot read "data.csv": column "age" row 17: cannot parse "abc" as a number');
 * assertEquals(error instanceof TypeError, true);
 * ```
 */
export class DataError extends TypeError {
  /** The file being read, if any. */
  declare readonly file?: string;
  /** The column at fault, if any. */
  declare readonly column?: string;
  /** The 0-based dataset row at fault, if known. */
  declare readonly row?: number;
  /** The 1-based file line at fault, if known. */
  declare readonly line?: number;
  /** The feature type being parsed, if any. */
  declare readonly featureType?: string;
  /** The message without its action and location prefix. */
  readonly detail: string;

  /**
   * Creates a data error.
   *
   * @param detail What is wrong, in lower case (it follows a colon).
   * @param options Location, action verb and cause.
   */
  constructor(detail: string, options: DataErrorOptions = {}) {
    super(renderDataError(detail, options), options.cause ? { cause: options.cause } : undefined);
    this.name = "DataError";
    this.detail = detail;
    if (options.file !== undefined) this.file = options.file;
    if (options.column !== undefined) this.column = options.column;
    if (options.row !== undefined) this.row = options.row;
    if (options.line !== undefined) this.line = options.line;
    if (options.featureType !== undefined) this.featureType = options.featureType;
  }
}

/**
 * Renders the message of a {@linkcode DataError}; exported so tests and callers that build
 * their own errors produce the same text.
 *
 * @param detail What is wrong.
 * @param options Location and action verb.
 * @returns The full message.
 *
 * @example Without a file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { renderDataError } from "./errors.ts";
 * assertEquals(renderDataError("found no rows", {}), "Cannot read data: found no rows");
 * ```
 */
export function renderDataError(detail: string, options: DataErrorOptions): string {
  const action = options.action ?? "Cannot read";
  const subject = options.file !== undefined ? `"${options.file}"` : "data";
  const where: string[] = [];
  if (options.column !== undefined) where.push(`column "${options.column}"`);
  if (options.line !== undefined) where.push(`line ${options.line}`);
  else if (options.row !== undefined) where.push(`row ${options.row}`);
  const location = where.length > 0 ? `${where.join(" ")}: ` : "";
  return `${action} ${subject}: ${location}${detail}`;
}

/**
 * Quotes a received value for a message: strings in double quotes (JSON-escaped and cut at 40
 * characters), other values as JSON or `String()`.
 *
 * @param value The value to show.
 * @returns Its short, quoted rendering.
 *
 * @example Quote values
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { quoteValue } from "./errors.ts";
 * assertEquals(quoteValue("abc"), '"abc"');
 * assertEquals(quoteValue(NaN), "NaN");
 * ```
 */
export function quoteValue(value: unknown): string {
  if (typeof value === "string") {
    const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" || value === null || value === undefined) return String(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  try {
    const json = JSON.stringify(value);
    return json.length > 40 ? `${json.slice(0, 40)}…` : json;
  } catch {
    return String(value);
  }
}
