/**
 * h3 features (Ludwig `h3_feature.py`, `h3_util.py`): int32 `[19]` rows of `[mode, edge,
 * resolution, base cell, cell 1 … cell 15]`, decomposed from the 64-bit H3 index:
 *
 * | bits (63 = most significant) | field |
 * |---|---|
 * | 59–62 | mode (4 bits) |
 * | 56–58 | edge / mode-dependent (3 bits) |
 * | 52–55 | resolution (4 bits) |
 * | 45–51 | base cell (7 bits) |
 * | 45 − 3i … 47 − 3i | cell digit i, for i = 1 … resolution (3 bits each) |
 *
 * Digits past the resolution are padded with 7, as Ludwig does. Ids may be bigints, safe
 * integers, decimal strings, or hexadecimal strings (`"8928308280fffff"`, `"0x…"`; a string is
 * read as hex when it has a letter a–f or the 0x prefix). A JS number above 2^53 has already
 * lost digits, so it is an error: store such ids as strings (or Arrow int64). Ludwig's default
 * fill value 576495936675512319 is above 2^53 too; the config's rounded number is mapped back
 * to that exact id.
 *
 * @module
 */
import type { Cell } from "../data/dataset.ts";
import {
  cellError,
  type EncodedColumn,
  type FeatureContext,
  type FeatureImpl,
  type FeatureMetadata,
  isMissingCell,
  type Parsed,
  quoteValue,
  settle,
} from "./_common.ts";

/** Length of the h3 vector. */
export const H3_VECTOR_LENGTH = 19;
/** Ludwig's default h3 fill value (a resolution-0 cell). */
export const H3_DEFAULT_FILL = 576495936675512319n;
const MAX_RESOLUTION = 15;
const PADDING = 7;

/** Parses one h3 id; returns a message on failure. */
export function parseH3(value: unknown): bigint | string {
  let id: bigint;
  if (typeof value === "bigint") id = value;
  else if (typeof value === "number") {
    if (value === Number(H3_DEFAULT_FILL)) return H3_DEFAULT_FILL;
    if (!Number.isSafeInteger(value)) {
      return Number.isInteger(value)
        ? `h3 id ${value} is above 2^53 and has lost precision as a number: store h3 ids as strings`
        : `cannot parse ${quoteValue(value)} as an h3 id`;
    }
    id = BigInt(value);
  } else if (typeof value === "string") {
    const s = value.trim();
    if (/^0x[0-9a-f]{1,16}$/i.test(s)) id = BigInt(s);
    else if (/^\d{1,20}$/.test(s)) id = BigInt(s);
    else if (/^[0-9a-f]{1,16}$/i.test(s)) id = BigInt(`0x${s}`);
    else if (/^\d+\.0*$/.test(s)) id = BigInt(s.slice(0, s.indexOf(".")));
    else return `cannot parse ${quoteValue(value)} as an h3 id`;
  } else return `cannot parse ${quoteValue(value)} as an h3 id`;
  if (id < 0n || id >= 1n << 64n) return `h3 id ${id} is outside the 64-bit range`;
  return id;
}

function bits(hi: number, lo: number, start: number, length: number): number {
  const mask = (1 << length) - 1;
  if (start >= 32) return (hi >>> (start - 32)) & mask;
  if (start + length <= 32) return (lo >>> start) & mask;
  return ((lo >>> start) | (hi << (32 - start))) & mask;
}

/**
 * Decomposes an h3 id into Ludwig's 19 components, written at `out[offset…]`.
 *
 * @param id The 64-bit index.
 * @param out Destination.
 * @param offset Where to write.
 */
export function h3Components(id: bigint, out: Int32Array, offset = 0): void {
  const hi = Number((id >> 32n) & 0xffffffffn);
  const lo = Number(id & 0xffffffffn);
  const resolution = bits(hi, lo, 52, 4);
  out[offset] = bits(hi, lo, 59, 4);
  out[offset + 1] = bits(hi, lo, 56, 3);
  out[offset + 2] = resolution;
  out[offset + 3] = bits(hi, lo, 45, 7);
  for (let i = 1; i <= MAX_RESOLUTION; i++) {
    out[offset + 3 + i] = i <= resolution ? bits(hi, lo, 45 - 3 * i, 3) : PADDING;
  }
}

/** The h3 handler. */
export const h3: FeatureImpl = {
  parse(cells: readonly Cell[], rows: Int32Array, ctx: FeatureContext): Promise<Parsed> {
    return settle(() => {
      const n = rows.length;
      const values = new Array<unknown>(n);
      const missing = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const c = cells[rows[i]];
        if (isMissingCell(c)) {
          values[i] = null;
          missing[i] = 1;
          continue;
        }
        const id = parseH3(c);
        if (typeof id === "string") throw cellError(ctx, rows[i], id);
        values[i] = id;
      }
      return { values, missing, rows: rows.slice() };
    });
  },

  parseFill(value: unknown, ctx: FeatureContext): bigint {
    const id = parseH3(value);
    if (typeof id === "string") {
      throw new TypeError(`Cannot preprocess feature "${ctx.name}": "fill_value": ${id}`);
    }
    return id;
  },

  fillToJson: (value) => String(value),

  fit: (): FeatureMetadata => ({}),

  encode(parsed: Parsed): EncodedColumn {
    const n = parsed.values.length;
    const data = new Int32Array(n * H3_VECTOR_LENGTH);
    for (let i = 0; i < n; i++) {
      h3Components(parsed.values[i] as bigint, data, i * H3_VECTOR_LENGTH);
    }
    return { data, dtype: "int32", shape: [H3_VECTOR_LENGTH] };
  },
};
