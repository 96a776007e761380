/**
 * number features (Ludwig `number_feature.py`): float32 `[]` after missing values, outliers and
 * normalization. Metadata: `mean`/`std` (zscore, and whenever `outlier_strategy` is set),
 * `min`/`max` (minmax), `q1`/`q2`/`q3` (iq); log1p and null keep no statistics.
 *
 * Definitions (Ludwig's): zscore `(x - mean) / std` with the population std (ddof 0); minmax
 * `(x - min) / (max - min)`; iq `(x - q2) / (q3 - q1)` with numpy's linear percentiles;
 * log1p `ln(1 + x)`. Ludwig rejects log1p for x ≤ 0; Sonata only where it is undefined
 * (x ≤ -1), since ln(1 + 0) = 0 is fine.
 *
 * @module
 */
import type { Cell } from "../data/dataset.ts";
import { parseNumberCell } from "../data/cells.ts";
import {
  cellError,
  columnError,
  type EncodedColumn,
  type FeatureContext,
  type FeatureImpl,
  type FeatureMetadata,
  type OutputContext,
  outputData,
  type Parsed,
  quoteValue,
  type RawOutput,
  rethrowCell,
  settle,
} from "./_common.ts";
import { regressionPart } from "../train/_metric_parts.ts";

/** numpy `percentile(x, q)` (linear) of sorted values. */
export function percentile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * (q / 100);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function present(parsed: Parsed): Float64Array {
  const { values, missing } = parsed;
  let count = 0;
  for (let i = 0; i < missing.length; i++) if (!missing[i]) count++;
  const out = new Float64Array(count);
  const v = values as Float64Array;
  for (let i = 0, j = 0; i < missing.length; i++) if (!missing[i]) out[j++] = v[i];
  return out;
}

function meanStd(x: Float64Array): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = sum / x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] - mean) * (x[i] - mean);
  return { mean, std: Math.sqrt(ss / x.length) };
}

function num(metadata: FeatureMetadata, key: string, ctx: FeatureContext): number {
  const v = metadata[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TypeError(
      `Cannot preprocess feature "${ctx.name}": metadata "${key}" must be a finite number, received ${
        quoteValue(v)
      }`,
    );
  }
  return v;
}

/** The forward and inverse transforms of a feature's `normalization`. */
export function numberTransform(
  metadata: FeatureMetadata,
  ctx: FeatureContext,
): { forward: (x: number) => number; inverse: (y: number) => number } {
  const normalization = ctx.preprocessing.normalization ?? null;
  switch (normalization) {
    case null:
      return { forward: (x) => x, inverse: (y) => y };
    case "zscore": {
      const mean = num(metadata, "mean", ctx);
      const std = num(metadata, "std", ctx);
      return { forward: (x) => (x - mean) / std, inverse: (y) => y * std + mean };
    }
    case "minmax": {
      const min = num(metadata, "min", ctx);
      const range = num(metadata, "max", ctx) - min;
      return { forward: (x) => (x - min) / range, inverse: (y) => y * range + min };
    }
    case "iq": {
      const q2 = num(metadata, "q2", ctx);
      const range = num(metadata, "q3", ctx) - num(metadata, "q1", ctx);
      return { forward: (x) => (x - q2) / range, inverse: (y) => y * range + q2 };
    }
    case "log1p":
      return { forward: Math.log1p, inverse: Math.expm1 };
    default:
      throw new TypeError(
        `Cannot preprocess feature "${ctx.name}": unknown normalization ${
          quoteValue(normalization)
        }`,
      );
  }
}

/** The number handler. */
export const number: FeatureImpl = {
  parse(cells: readonly Cell[], rows: Int32Array, ctx: FeatureContext): Promise<Parsed> {
    return settle(() => {
      const n = rows.length;
      const values = new Float64Array(n);
      const missing = new Uint8Array(n);
      let i = 0;
      try {
        for (; i < n; i++) {
          const c = cells[rows[i]];
          let v: number | null;
          if (typeof c === "number") {
            if (!Number.isFinite(c)) v = parseNumberCell(c);
            else v = c;
          } else v = parseNumberCell(c);
          if (v === null) {
            values[i] = NaN;
            missing[i] = 1;
          } else values[i] = v;
        }
      } catch (error) {
        rethrowCell(error, ctx, rows[i]);
      }
      return { values, missing, rows: rows.slice() };
    });
  },

  parseFill(value: unknown, ctx: FeatureContext): number {
    let v: number | null = null;
    try {
      v = parseNumberCell(value);
    } catch { /* reported below */ }
    if (v === null) {
      throw new TypeError(
        `Cannot preprocess feature "${ctx.name}": "fill_value" must be a finite number, received ${
          quoteValue(value)
        }`,
      );
    }
    return v;
  },

  fillToJson: (value) => value,

  mean(parsed: Parsed): number {
    const x = present(parsed);
    return x.length === 0 ? NaN : meanStd(x).mean;
  },

  fit(parsed: Parsed, ctx: FeatureContext): FeatureMetadata {
    const x = present(parsed);
    const prep = ctx.preprocessing;
    const normalization = prep.normalization ?? null;
    const meta: FeatureMetadata = {};
    if (x.length === 0) {
      if (normalization === null || normalization === "log1p") return meta;
      throw columnError(ctx, `found no values to compute "${normalization}" statistics from`);
    }
    if (normalization === "zscore" || prep.outlier_strategy) {
      const { mean, std } = meanStd(x);
      meta.mean = mean;
      meta.std = std;
      if (normalization === "zscore" && std === 0) {
        throw columnError(
          ctx,
          `cannot apply zscore normalization: the standard deviation is 0 (every value is ${mean}): ` +
            `remove the feature or set "normalization: null"`,
        );
      }
    }
    if (normalization === "minmax") {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < x.length; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
      }
      if (min === max) {
        throw columnError(
          ctx,
          `cannot apply minmax normalization: every value is ${min}: remove the feature or set "normalization: null"`,
        );
      }
      meta.min = min;
      meta.max = max;
    } else if (normalization === "iq") {
      const sorted = x.slice().sort();
      const q1 = percentile(sorted, 25);
      const q2 = percentile(sorted, 50);
      const q3 = percentile(sorted, 75);
      if (q3 === q1) {
        throw columnError(
          ctx,
          `cannot apply iq normalization: the interquartile range is 0 (q1 = q3 = ${q1}): ` +
            `use another normalization`,
        );
      }
      Object.assign(meta, { q1, q2, q3 });
    }
    return meta;
  },

  outliers(parsed: Parsed, metadata: FeatureMetadata, ctx: FeatureContext): Uint8Array {
    const values = parsed.values as Float64Array;
    const out = new Uint8Array(values.length);
    const mean = num(metadata, "mean", ctx);
    const std = num(metadata, "std", ctx);
    const threshold = Number(ctx.preprocessing.outlier_threshold ?? 3);
    if (std === 0) return out;
    for (let i = 0; i < values.length; i++) {
      if (!parsed.missing[i] && Math.abs((values[i] - mean) / std) > threshold) out[i] = 1;
    }
    return out;
  },

  encode(parsed: Parsed, metadata: FeatureMetadata, ctx: FeatureContext): EncodedColumn {
    const values = parsed.values as Float64Array;
    const n = values.length;
    const data = new Float32Array(n);
    const normalization = ctx.preprocessing.normalization ?? null;
    if (normalization === "log1p") {
      for (let i = 0; i < n; i++) {
        if (values[i] <= -1) {
          throw cellError(
            ctx,
            parsed.rows[i],
            `cannot apply log1p normalization to ${values[i]}: it needs values greater than -1`,
          );
        }
        data[i] = Math.log1p(values[i]);
      }
    } else if (normalization === null) {
      data.set(values);
    } else {
      const { forward } = numberTransform(metadata, ctx);
      for (let i = 0; i < n; i++) data[i] = forward(values[i]);
    }
    return { data, dtype: "float32", shape: [] };
  },

  output: {
    postprocess(out: RawOutput, { name, config, metadata }: OutputContext) {
      const src = outputData(name, out, ["values", "logits"]);
      const clip = config.clip as [number, number] | null | undefined;
      const prep = (metadata.preprocessing ?? config.preprocessing) as Record<string, unknown>;
      const { inverse } = numberTransform(metadata, {
        name,
        column: (config.column as string | undefined) ?? name,
        type: String(config.type),
        output: true,
        preprocessing: prep,
        config,
      });
      return {
        [`${name}_predictions`]: Array.from(src.data, (v) => {
          // Clipped in the model's output space, as Ludwig, then denormalized.
          const c = clip ? Math.min(Math.max(v, clip[0]), clip[1]) : v;
          return inverse(c);
        }),
      };
    },
    metrics: regressionPart("number"),
  },
};
