/**
 * binary features (Ludwig `binary_feature.py`): float32 `[]` of 0/1.
 *
 * Columns of booleans, numbers (non-zero is true) or the strings "true"/"false" (any case) are
 * conventional and keep no mapping. Any other string column is Ludwig's "object" case: it may
 * hold at most 2 distinct labels, mapped with the boolean strings (yes/no, y/n, t/f, on/off,
 * 1/0, …) or, when a label is not a boolean string, by `fallback_true_label` (default: the
 * first label in sorted order, as Ludwig). Metadata then holds `str2bool`, `bool2str`
 * (false label first) and `fallback_true_label`, so predictions come back as the original
 * labels. At prediction time an unseen label is mapped the same way (boolean string, else
 * equal to the true label).
 *
 * @module
 */
import type { Cell } from "../data/dataset.ts";
import { BOOL_FALSE_STRINGS, BOOL_TRUE_STRINGS } from "../data/cells.ts";
import { binaryOverallStats, binaryPart } from "../train/_metric_parts.ts";
import {
  cellError,
  columnError,
  type EncodedColumn,
  type FeatureContext,
  type FeatureImpl,
  type FeatureMetadata,
  isMissingCell,
  modeOf,
  type OutputContext,
  outputData,
  type Parsed,
  quoteValue,
  type RawOutput,
  settle,
  sigmoid,
} from "./_common.ts";

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Ludwig's extra false strings. */
const EXTRA_FALSE = new Set(["-1", "-1.0"]);

/** Ludwig `str2bool` without a fallback: `undefined` when `s` is not a boolean string. */
export function conventionalBool(s: string): boolean | undefined {
  const lower = s.trim().toLowerCase();
  if (BOOL_TRUE_STRINGS.has(lower)) return true;
  if (BOOL_FALSE_STRINGS.has(lower) || EXTRA_FALSE.has(lower)) return false;
  return undefined;
}

/** Whether a parsed value belongs to a conventional column (bool, number, numeric or true/false text). */
function isConventional(v: unknown): boolean {
  if (typeof v !== "string") return true;
  const s = v.trim().toLowerCase();
  return s === "true" || s === "false" || NUMBER_RE.test(s);
}

function conventionalValue(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "bigint") return v !== 0n;
  const s = String(v).trim().toLowerCase();
  if (s === "true") return true;
  if (s === "false") return false;
  return Number(s) !== 0;
}

function labelBool(label: string, fallback: string | null): boolean {
  const b = conventionalBool(label);
  if (b !== undefined) return b;
  return label === fallback;
}

/** A value that is neither of the two the training data had, nor a boolean string: refused. */
function thirdValue(
  ctx: FeatureContext,
  parsed: Parsed,
  i: number,
  value: string,
  metadata: FeatureMetadata,
): never {
  const known = Object.keys((metadata.str2bool as Record<string, boolean> | undefined) ?? {});
  throw cellError(
    ctx,
    parsed.rows[i],
    `found ${quoteValue(value)}, a value the training data did not have (${
      known.length ? `it had ${known.map((k) => quoteValue(k)).join(" and ")}` : "it had booleans"
    }): a binary column holds two values`,
  );
}

/** The binary handler. */
export const binary: FeatureImpl = {
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
        } else if (typeof c === "boolean" || typeof c === "string") values[i] = c;
        else if (typeof c === "number" || typeof c === "bigint") {
          if (typeof c === "number" && !Number.isFinite(c)) {
            throw cellError(ctx, rows[i], `found ${c}, which is not a boolean`);
          }
          values[i] = c;
        } else throw cellError(ctx, rows[i], `cannot parse ${quoteValue(c)} as a boolean`);
      }
      return { values, missing, rows: rows.slice() };
    });
  },

  parseFill(value: unknown, ctx: FeatureContext): unknown {
    if (typeof value === "boolean" || typeof value === "number" || typeof value === "string") {
      return value;
    }
    throw new TypeError(
      `Cannot preprocess feature "${ctx.name}": expected a boolean, number or label as fill value, received ${
        quoteValue(value)
      }`,
    );
  },

  fillToJson: (value) => value,

  strategyFill(strategy: string, parsed: Parsed, ctx: FeatureContext): unknown {
    if (strategy === "fill_with_mode") return modeOf(parsed);
    const want = strategy === "fill_with_true";
    // Ludwig: among the distinct labels (sorted in reverse), the first that maps to the wanted
    // boolean; a conventional column gets the boolean itself.
    const labels = new Set<string>();
    let conventional = true;
    for (let i = 0; i < parsed.missing.length; i++) {
      if (parsed.missing[i]) continue;
      const v = parsed.values[i];
      if (!isConventional(v)) conventional = false;
      if (typeof v === "string") labels.add(v.trim());
    }
    if (conventional) return want;
    const fallback = (ctx.preprocessing.fallback_true_label as string | null) ?? "true";
    for (const label of [...labels].sort().reverse()) {
      if (labelBool(label, fallback) === want) return label;
    }
    return want;
  },

  fit(parsed: Parsed, ctx: FeatureContext): FeatureMetadata {
    const labels = new Set<string>();
    let conventional = true;
    for (let i = 0; i < parsed.missing.length; i++) {
      if (parsed.missing[i]) continue;
      const v = parsed.values[i];
      if (typeof v === "string") {
        labels.add(v.trim());
        if (!isConventional(v)) conventional = false;
      }
    }
    if (conventional) return {};
    const distinct = [...labels].sort();
    if (distinct.length > 2) {
      throw columnError(
        ctx,
        `expected at most 2 distinct values, found ${distinct.length}: ${
          distinct.slice(0, 10).map((d) => quoteValue(d)).join(", ")
        }: use a category feature for more classes`,
      );
    }
    const configured = ctx.preprocessing.fallback_true_label;
    const fallback = configured !== null && configured !== undefined && configured !== ""
      ? String(configured)
      : distinct[0];
    ctx.preprocessing.fallback_true_label = fallback;
    const allConventional = distinct.every((d) => conventionalBool(d) !== undefined);
    const str2bool: Record<string, boolean> = {};
    for (const d of distinct) {
      str2bool[d] = allConventional ? conventionalBool(d)! : labelBool(d, fallback);
    }
    const falseLabel = distinct.find((d) => !str2bool[d]);
    const trueLabel = distinct.find((d) => str2bool[d]);
    const bool2str = [falseLabel ?? "False", trueLabel ?? "True"];
    return { str2bool, bool2str, fallback_true_label: fallback };
  },

  encode(parsed: Parsed, metadata: FeatureMetadata, ctx: FeatureContext): EncodedColumn {
    const n = parsed.values.length;
    const data = new Float32Array(n);
    const str2bool = metadata.str2bool as Record<string, boolean> | undefined;
    const fallback = (metadata.fallback_true_label as string | undefined) ?? null;
    for (let i = 0; i < n; i++) {
      const v = parsed.values[i];
      let b: boolean;
      if (typeof v === "string" && str2bool !== undefined) {
        const s = v.trim();
        b = Object.hasOwn(str2bool, s)
          ? str2bool[s]
          : isConventional(s)
          ? conventionalValue(s)
          : conventionalBool(s) ??
            (s === fallback ? true : thirdValue(ctx, parsed, i, v, metadata));
      } else if (typeof v === "string" && !isConventional(v)) {
        // A label in a column fitted as conventional: map it like Ludwig's str2bool.
        b = conventionalBool(v) ?? thirdValue(ctx, parsed, i, v, metadata);
      } else b = conventionalValue(v);
      data[i] = b ? 1 : 0;
    }
    return { data, dtype: "float32", shape: [] };
  },

  output: {
    postprocess(out: RawOutput, { name, config, metadata }: OutputContext) {
      const src = outputData(name, out, ["probabilities", "logits"]);
      const p = src.kind === "logits" ? src.data.map(sigmoid) : src.data;
      const threshold = thresholdOf(config);
      const bool2str = metadata.bool2str as string[] | undefined;
      const labels = bool2str ?? ["False", "True"];
      const probs = Array.from(p);
      return {
        [`${name}_predictions`]: probs.map((x) =>
          bool2str ? bool2str[x >= threshold ? 1 : 0] : x >= threshold
        ),
        [`${name}_probabilities`]: probs.map((x) => [1 - x, x]),
        [`${name}_probabilities_${labels[0]}`]: probs.map((x) => 1 - x),
        [`${name}_probabilities_${labels[1]}`]: probs,
        [`${name}_probability`]: probs.map((x) => (x > 0.5 ? x : 1 - x)),
      };
    },
    metrics: binaryPart,
    predictClasses(probabilities: Float32Array, rows: number, { config }: OutputContext) {
      const threshold = thresholdOf(config);
      return Int32Array.from({ length: rows }, (_, i) => probabilities[i] >= threshold ? 1 : 0);
    },
    overallStats: binaryOverallStats,
  },
};

function thresholdOf(config: Readonly<Record<string, unknown>>): number {
  return (config.threshold as number | undefined) ?? 0.5;
}
