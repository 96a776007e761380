/**
 * Date parsing for date features, datetime splits and type inference: either a
 * `strftime`-style `datetime_format` (as Ludwig's `preprocessing.datetime_format`), or
 * automatic detection of the common layouts (ISO 8601, `2024/05/01`, `05/01/2024` read as
 * month/day like dateutil, `01.05.2024` as day.month, `May 1, 2024`, `1 May 2024`), each with an
 * optional time, AM/PM and time zone. Times without a zone are read as UTC, so results do not
 * depend on the machine's zone.
 *
 * @module
 */

import type { CellLocation } from "./cells.ts";
import { DataError, quoteValue } from "./errors.ts";

const MONTHS = [
  "jan",
  "feb",
  "mar",
  "apr",
  "may",
  "jun",
  "jul",
  "aug",
  "sep",
  "oct",
  "nov",
  "dec",
];
const MONTH_RE = "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" +
  "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const TIME = "(?:[T ]+(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?\\s*(am|pm)?)?" +
  "\\s*(z|utc|gmt|[+-]\\d{2}(?::?\\d{2})?)?";

interface Layout {
  re: RegExp;
  /** Indices of year, month, day groups; month may be a name. */
  ymd: [number, number, number];
}

const LAYOUTS: Layout[] = [
  { re: new RegExp(`^(\\d{4})-(\\d{1,2})-(\\d{1,2})${TIME}$`, "i"), ymd: [1, 2, 3] },
  { re: new RegExp(`^(\\d{4})/(\\d{1,2})/(\\d{1,2})${TIME}$`, "i"), ymd: [1, 2, 3] },
  { re: new RegExp(`^(\\d{4})(\\d{2})(\\d{2})$`), ymd: [1, 2, 3] },
  { re: new RegExp(`^(\\d{1,2})/(\\d{1,2})/(\\d{4})${TIME}$`, "i"), ymd: [3, 1, 2] },
  { re: new RegExp(`^(\\d{1,2})-(\\d{1,2})-(\\d{4})${TIME}$`, "i"), ymd: [3, 1, 2] },
  { re: new RegExp(`^(\\d{1,2})\\.(\\d{1,2})\\.(\\d{4})${TIME}$`, "i"), ymd: [3, 2, 1] },
  {
    re: new RegExp(`^${MONTH_RE}\\.? (\\d{1,2})(?:st|nd|rd|th)?,? (\\d{4})${TIME}$`, "i"),
    ymd: [3, 1, 2],
  },
  { re: new RegExp(`^(\\d{1,2}) ${MONTH_RE}\\.?,? (\\d{4})${TIME}$`, "i"), ymd: [3, 2, 1] },
];

function monthNumber(text: string): number {
  const n = Number(text);
  return Number.isNaN(n) ? MONTHS.indexOf(text.slice(0, 3).toLowerCase()) + 1 : n;
}

function zoneMinutes(zone: string | undefined): number {
  if (zone === undefined) return 0;
  const z = zone.toLowerCase();
  if (z === "z" || z === "utc" || z === "gmt") return 0;
  const sign = z[0] === "-" ? -1 : 1;
  const digits = z.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
}

function build(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  fraction = "",
  ampm?: string,
  zone?: string,
): Date | undefined {
  if (ampm !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    const pm = ampm.toLowerCase() === "pm";
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  const ms = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
  const time = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const date = new Date(time - zoneMinutes(zone) * 60_000);
  // Reject days past the month's end (Date.UTC rolls 31 April over to 1 May).
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  if (year < 100) date.setUTCFullYear(year);
  return date;
}

const DIRECTIVES: Record<string, string> = {
  Y: "(\\d{4})",
  y: "(\\d{2})",
  m: "(\\d{1,2})",
  d: "(\\d{1,2})",
  H: "(\\d{1,2})",
  I: "(\\d{1,2})",
  M: "(\\d{1,2})",
  S: "(\\d{1,2})",
  f: "(\\d{1,9})",
  p: "(am|pm)",
  b: MONTH_RE,
  B: MONTH_RE,
  z: "(z|[+-]\\d{2}:?\\d{2})",
  j: "(\\d{1,3})",
  a: "(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*",
  A: "(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*",
};

const compiled = new Map<string, { re: RegExp; keys: string[] }>();

function compile(format: string): { re: RegExp; keys: string[] } {
  let entry = compiled.get(format);
  if (entry !== undefined) return entry;
  const keys: string[] = [];
  let pattern = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c === "%" && i + 1 < format.length) {
      const d = format[++i];
      if (d === "%") {
        pattern += "%";
        continue;
      }
      const re = DIRECTIVES[d];
      if (re === undefined) {
        throw new DataError(`unsupported directive "%${d}" in datetime_format "${format}"`);
      }
      if (re.startsWith("(") && !re.startsWith("(?:")) keys.push(d);
      pattern += re;
    } else {
      pattern += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  entry = { re: new RegExp(`^${pattern}$`, "i"), keys };
  compiled.set(format, entry);
  return entry;
}

function parseWithFormat(text: string, format: string): Date | undefined {
  const { re, keys } = compile(format);
  const m = re.exec(text);
  if (m === null) return undefined;
  const v: Record<string, string> = {};
  keys.forEach((k, i) => (v[k] = m[i + 1]));
  let year = v.Y !== undefined ? Number(v.Y) : v.y !== undefined ? 2000 + Number(v.y) : 1900;
  if (v.Y === undefined && v.y !== undefined && Number(v.y) >= 69) year -= 100;
  let month = v.m !== undefined ? Number(v.m) : v.b ?? v.B ? monthNumber(v.b ?? v.B) : 1;
  let day = v.d !== undefined ? Number(v.d) : 1;
  if (v.j !== undefined) {
    const date = new Date(Date.UTC(year, 0, Number(v.j)));
    month = date.getUTCMonth() + 1;
    day = date.getUTCDate();
  }
  const hour = Number(v.H ?? v.I ?? 0);
  return build(
    year,
    month,
    day,
    hour,
    Number(v.M ?? 0),
    Number(v.S ?? 0),
    v.f ?? "",
    v.I !== undefined ? v.p ?? "am" : undefined,
    v.z,
  );
}

/**
 * Parses a date or datetime, returning `undefined` when the value is missing or unparseable.
 *
 * @param value A string (or a `Date`, returned as is).
 * @param format A `strftime`-style format (`%Y %y %m %d %H %I %p %M %S %f %b %B %j %z %a %A`);
 * when absent the common layouts are tried.
 * @returns The instant, or `undefined`.
 *
 * @example Parse dates
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { tryParseDatetime } from "./datetime.ts";
 * assertEquals(tryParseDatetime("2024-05-01 13:30")?.toISOString(), "2024-05-01T13:30:00.000Z");
 * assertEquals(tryParseDatetime("May 1, 2024")?.toISOString(), "2024-05-01T00:00:00.000Z");
 * assertEquals(tryParseDatetime("01/05/24", "%d/%m/%y")?.toISOString(), "2024-05-01T00:00:00.000Z");
 * assertEquals(tryParseDatetime("soon"), undefined);
 * ```
 */
export function tryParseDatetime(value: unknown, format?: string | null): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (format) return parseWithFormat(text, format);
  for (const layout of LAYOUTS) {
    const m = layout.re.exec(text);
    if (m === null) continue;
    const [yi, mi, di] = layout.ymd;
    const base = Math.max(yi, mi, di);
    return build(
      Number(m[yi]),
      monthNumber(m[mi]),
      Number(m[di]),
      m[base + 1] !== undefined ? Number(m[base + 1]) : 0,
      m[base + 2] !== undefined ? Number(m[base + 2]) : 0,
      m[base + 3] !== undefined ? Number(m[base + 3]) : 0,
      m[base + 4] ?? "",
      m[base + 5],
      m[base + 6],
    );
  }
  return undefined;
}

/** Options of {@linkcode parseDateCell}. */
export interface ParseDateOptions extends CellLocation {
  /** A `strftime`-style format; automatic detection when absent. */
  datetimeFormat?: string | null;
}

/**
 * Parses a cell as a date like {@linkcode tryParseDatetime}, for preprocessing: `null` for a
 * missing cell, a {@linkcode DataError} naming file, column and row for an unparseable one.
 *
 * @param value The raw cell.
 * @param options Location and format.
 * @returns The instant, or `null` when missing.
 * @throws {DataError} When the cell is not a date in the expected format.
 *
 * @example Parse a date cell
 * ```ts
 * import { assertEquals, assert } from "../_util/_assert.ts";
 * import { parseDateCell } from "./datetime.ts";
 * assertEquals(parseDateCell("2020-02-29")?.toISOString(), "2020-02-29T00:00:00.000Z");
 * assertEquals(parseDateCell(""), null);
 * try {
 *   parseDateCell("2021-02-29", { column: "day", row: 4 });
 *   assert(false);
 * } catch (error) {
 *   assertEquals((error as Error).message, 'Cannot read data: column "day" row 4: cannot parse "2021-02-29" as a date');
 * }
 * ```
 */
export function parseDateCell(value: unknown, options: ParseDateOptions = {}): Date | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" && value.trim() === "") return null;
  const date = tryParseDatetime(value, options.datetimeFormat);
  if (date !== undefined) return date;
  const detail = options.datetimeFormat
    ? `cannot parse ${quoteValue(value)} as a date in the format "${options.datetimeFormat}"`
    : `cannot parse ${quoteValue(value)} as a date`;
  throw new DataError(detail, {
    file: options.file,
    column: options.column,
    row: options.row,
    featureType: "date",
  });
}
