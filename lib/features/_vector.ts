/**
 * vector features (Ludwig `vector_feature.py`): float32 `[D]` rows. A cell is a string of
 * whitespace-separated numbers, or an array/typed array of numbers (JSON, Parquet lists). `D`
 * is `vector_size` when set, else inferred from the first training row; every row must have
 * `D` values. Metadata: `vector_size`.
 *
 * Missing values: `fill_value` is parsed as a vector; the default `""` stands for a zero
 * vector of size `D` (Ludwig would fail on an empty vector).
 *
 * @module
 */
import type { Cell } from "../data/dataset.ts";
import {
  cellError,
  columnError,
  type EncodedColumn,
  type FeatureContext,
  type FeatureImpl,
  type FeatureMetadata,
  isMissingCell,
  type OutputContext,
  outputData,
  outputRows,
  type Parsed,
  quoteValue,
  type RawOutput,
  settle,
  softmaxRows,
} from "./_common.ts";
import { regressionPart } from "../train/_metric_parts.ts";

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** A zero-length vector stands for "zeros of the feature's size". */
const ZEROS = new Float32Array(0);

/** Parses one vector; returns a message on failure. */
function parseVector(cell: unknown): Float32Array | string {
  if (typeof cell === "string") {
    const parts = cell.trim().split(/\s+/);
    const out = new Float32Array(parts.length);
    for (let j = 0; j < parts.length; j++) {
      const p = parts[j];
      if (!NUMBER_RE.test(p)) {
        return `cannot parse ${quoteValue(p)} (value ${j + 1} of ${quoteValue(cell)}) as a number`;
      }
      out[j] = Number(p);
      if (!Number.isFinite(out[j])) {
        return `value ${j + 1} ${quoteValue(p)} is not finite in float32`;
      }
    }
    return out;
  }
  if (Array.isArray(cell) || ArrayBuffer.isView(cell)) {
    const arr = cell as ArrayLike<unknown>;
    const out = new Float32Array(arr.length);
    for (let j = 0; j < arr.length; j++) {
      const v = arr[j];
      const x = typeof v === "number"
        ? v
        : typeof v === "string" && NUMBER_RE.test(v.trim())
        ? Number(v)
        : NaN;
      if (!Number.isFinite(x)) {
        return `expected finite numbers, found ${quoteValue(v)} at position ${j + 1}`;
      }
      out[j] = x;
    }
    return out;
  }
  return `cannot parse ${quoteValue(cell)} as a vector: expected space-separated numbers`;
}

/** The vector handler. */
export const vector: FeatureImpl = {
  parse(cells: readonly Cell[], rows: Int32Array, ctx: FeatureContext): Promise<Parsed> {
    return settle(() => {
      const n = rows.length;
      const values = new Array<unknown>(n);
      const missing = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const c = cells[rows[i]];
        if (isMissingCell(c) || (Array.isArray(c) && c.length === 0)) {
          values[i] = null;
          missing[i] = 1;
          continue;
        }
        const v = parseVector(c);
        if (typeof v === "string") throw cellError(ctx, rows[i], v);
        values[i] = v;
      }
      return { values, missing, rows: rows.slice() };
    });
  },

  parseFill(value: unknown, ctx: FeatureContext): Float32Array {
    if (
      value === null || value === undefined || (typeof value === "string" && value.trim() === "")
    ) {
      return ZEROS;
    }
    const v = parseVector(value);
    if (typeof v === "string") {
      throw new TypeError(`Cannot preprocess feature "${ctx.name}": "fill_value": ${v}`);
    }
    return v;
  },

  fillToJson: (value) => Array.from(value as Float32Array).join(" "),

  fit(parsed: Parsed, ctx: FeatureContext): FeatureMetadata {
    const configured = ctx.preprocessing.vector_size as number | null | undefined;
    let size = configured ?? undefined;
    for (let i = 0; size === undefined && i < parsed.values.length; i++) {
      const v = parsed.values[i] as Float32Array | null;
      if (!parsed.missing[i] && v !== null && v.length > 0) size = v.length;
    }
    if (size === undefined) {
      throw columnError(ctx, "found no vectors to infer the vector size from");
    }
    return { vector_size: size };
  },

  encode(parsed: Parsed, metadata: FeatureMetadata, ctx: FeatureContext): EncodedColumn {
    const size = metadata.vector_size as number;
    const n = parsed.values.length;
    const data = new Float32Array(n * size);
    for (let i = 0; i < n; i++) {
      const v = parsed.values[i] as Float32Array;
      if (v.length === 0) continue; // the zero fill
      if (v.length !== size) {
        throw cellError(
          ctx,
          parsed.rows[i],
          `expected a vector of ${size} values (vector_size), found ${v.length}`,
        );
      }
      data.set(v, i * size);
    }
    return { data, dtype: "float32", shape: [size] };
  },

  output: {
    postprocess(out: RawOutput, { name, config }: OutputContext) {
      const src = outputData(name, out, ["values", "logits"]);
      const { n, width } = outputRows(name, out, src.data);
      const v = config.softmax === true ? softmaxRows(src.data, n, width) : src.data;
      return {
        [`${name}_predictions`]: Array.from(
          { length: n },
          (_, i) => Array.from(v.subarray(i * width, (i + 1) * width)),
        ),
      };
    },
    metrics: regressionPart("vector"),
  },
};
