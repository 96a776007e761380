/**
 * date features (Ludwig `date_feature.py`, `date_utils.create_vector_from_datetime_obj`):
 * int32 `[9]` rows of `[year, month (1–12), day, weekday (Monday = 0), yearday (1-based), hour,
 * minute, second, second of day]`.
 *
 * Strings are parsed with `datetime_format` (strftime-style) when set, falling back to
 * automatic detection as Ludwig does, or detected (lib/data's `tryParseDatetime`); numbers are
 * POSIX timestamps, rescaled from milli/micro/nanoseconds by their digit count like Ludwig.
 * Times without a zone are read as they are; a zone offset is converted to UTC. An
 * unparseable date is an error (Ludwig logs it and uses the fill value). The default fill value
 * `""` stands for 1970-01-01T00:00:00 (Ludwig uses the current time, which is not
 * reproducible). Metadata has only `preprocessing`.
 *
 * @module
 */
import type { Cell } from "../data/dataset.ts";
import { tryParseDatetime } from "../data/datetime.ts";
import {
  cellError,
  type EncodedColumn,
  type FeatureContext,
  type FeatureImpl,
  isMissingCell,
  type Parsed,
  quoteValue,
  settle,
} from "./_common.ts";

/** Length of the date vector. */
export const DATE_VECTOR_LENGTH = 9;

const NUMERIC_RE = /^[+-]?\d+(?:\.\d*)?$/;

/** Ludwig `convert_number_to_datetime`: seconds, or ms/µs/ns rescaled by magnitude. */
function timestampMs(x: number): number {
  if (x <= 0) return x * 1000;
  const scale = Math.floor(Math.log10(x));
  const seconds = scale > 9 ? x / 10 ** (scale - 9) : x;
  return seconds * 1000;
}

/** Parses one date cell to epoch milliseconds, or `undefined`. */
export function parseDateMs(value: unknown, format: string | null): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? timestampMs(value) : undefined;
  if (typeof value === "bigint") return timestampMs(Number(value));
  if (typeof value !== "string") return undefined;
  let date = format ? tryParseDatetime(value, format) : undefined;
  if (date === undefined) date = tryParseDatetime(value);
  if (date !== undefined) return date.getTime();
  const s = value.trim();
  if (NUMERIC_RE.test(s)) return timestampMs(Number(s));
  return undefined;
}

/** The date handler. */
export const date: FeatureImpl = {
  parse(cells: readonly Cell[], rows: Int32Array, ctx: FeatureContext): Promise<Parsed> {
    return settle(() => {
      const format = (ctx.preprocessing.datetime_format as string | null | undefined) ?? null;
      const n = rows.length;
      const values = new Float64Array(n);
      const missing = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const c = cells[rows[i]];
        if (isMissingCell(c)) {
          values[i] = NaN;
          missing[i] = 1;
          continue;
        }
        const ms = parseDateMs(c, format);
        if (ms === undefined) {
          throw cellError(
            ctx,
            rows[i],
            `cannot parse ${quoteValue(c)} as a date${format ? ` in the format "${format}"` : ""}`,
          );
        }
        values[i] = ms;
      }
      return { values, missing, rows: rows.slice() };
    });
  },

  parseFill(value: unknown, ctx: FeatureContext): number {
    if (value === null || value === undefined || value === "") return 0;
    const format = (ctx.preprocessing.datetime_format as string | null | undefined) ?? null;
    const ms = parseDateMs(value, format);
    if (ms === undefined) {
      throw new TypeError(
        `Cannot preprocess feature "${ctx.name}": cannot parse the fill value ${
          quoteValue(value)
        } as a date`,
      );
    }
    return ms;
  },

  fillToJson: (value) => new Date(value as number).toISOString(),

  fit: () => ({}),

  encode(parsed: Parsed): EncodedColumn {
    const values = parsed.values as Float64Array;
    const n = values.length;
    const data = new Int32Array(n * DATE_VECTOR_LENGTH);
    for (let i = 0; i < n; i++) {
      const d = new Date(values[i]);
      const year = d.getUTCFullYear();
      const startOfYear = Date.UTC(year, 0, 1);
      const midnight = Date.UTC(year, d.getUTCMonth(), d.getUTCDate());
      const o = i * DATE_VECTOR_LENGTH;
      data[o] = year;
      data[o + 1] = d.getUTCMonth() + 1;
      data[o + 2] = d.getUTCDate();
      data[o + 3] = (d.getUTCDay() + 6) % 7;
      data[o + 4] = Math.round((midnight - startOfYear) / 86_400_000) + 1;
      data[o + 5] = d.getUTCHours();
      data[o + 6] = d.getUTCMinutes();
      data[o + 7] = d.getUTCSeconds();
      data[o + 8] = Math.floor((values[i] - midnight) / 1000);
    }
    return { data, dtype: "int32", shape: [DATE_VECTOR_LENGTH] };
  },
};
