/**
 * category features (Ludwig `category_feature.py`): int32 `[]` indices into `idx2str`.
 *
 * The vocabulary is lib/data's `buildCategoryVocabulary` (values by count; `<UNK>` at index 0
 * only when `most_common` cuts values, or when missing values were filled with `<UNK>`). At
 * prediction time an unseen value maps to `<UNK>` when the vocabulary has it, otherwise to the
 * most frequent training value (Ludwig's fallback). Metadata: `idx2str`, `str2idx`,
 * `str2freq`, `vocab_size`. An output feature needs at least 2 classes.
 *
 * @module
 */
import type { Cell } from "../data/dataset.ts";
import {
  buildCategoryVocabulary,
  encodeCategories,
  Vocabulary,
  type VocabularyMetadata,
} from "../data/vocabulary.ts";
import { categoryOverallStats, categoryPart } from "../train/_metric_parts.ts";
import {
  argmaxRows,
  columnError,
  type EncodedColumn,
  type FeatureContext,
  type FeatureImpl,
  type FeatureMetadata,
  modeOf,
  type OutputContext,
  outputData,
  outputRows,
  type Parsed,
  parseStrings,
  quoteValue,
  type RawOutput,
  settle,
  softmaxRows,
} from "./_common.ts";

function present(parsed: Parsed): string[] {
  const out: string[] = [];
  for (let i = 0; i < parsed.missing.length; i++) {
    if (!parsed.missing[i]) out.push(parsed.values[i] as string);
  }
  return out;
}

/** Parses strings as they are (set, bag, sequence and text lower-case when tokenizing). */
export function parseText(cells: readonly Cell[], rows: Int32Array): Promise<Parsed> {
  return settle(() => parseStrings(cells, rows));
}

/** Fill values of string-valued types. */
export function parseStringFill(value: unknown, ctx: FeatureContext): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new TypeError(
    `Cannot preprocess feature "${ctx.name}": expected a string fill value, received ${
      quoteValue(value)
    }`,
  );
}

/** The category implementation. */
export const category: FeatureImpl = {
  parse(cells: readonly Cell[], rows: Int32Array, ctx: FeatureContext): Promise<Parsed> {
    // Categories are lower-cased at parse time (`lowercase`), before the vocabulary is built.
    const lower = ctx.preprocessing.lowercase === true;
    return settle(() => parseStrings(cells, rows, lower ? (s) => s.toLowerCase() : undefined));
  },
  parseFill: parseStringFill,
  fillToJson: (value) => value,

  fit(parsed: Parsed, ctx: FeatureContext): FeatureMetadata {
    const vocab = buildCategoryVocabulary(present(parsed), {
      mostCommon: Number(ctx.preprocessing.most_common ?? 10000),
    });
    const meta = vocab.toCategoryMetadata();
    if (ctx.output && meta.vocab_size <= 1) {
      throw columnError(
        ctx,
        `expected at least 2 distinct values for a category output feature, found ${
          meta.idx2str.map((s) => quoteValue(s)).join(", ") || "none"
        }`,
      );
    }
    return meta as unknown as FeatureMetadata;
  },

  encode(parsed: Parsed, metadata: FeatureMetadata): EncodedColumn {
    const vocab = Vocabulary.fromMetadata(metadata as unknown as VocabularyMetadata);
    const data = encodeCategories(parsed.values as string[], vocab);
    return { data, dtype: "int32", shape: [] };
  },

  output: {
    postprocess(out: RawOutput, { name, config, metadata }: OutputContext) {
      const result: Record<string, unknown[]> = {};
      const src = outputData(name, out, ["probabilities", "logits"]);
      const { n, width } = outputRows(name, out, src.data);
      const p = src.kind === "logits" ? softmaxRows(src.data, n, width) : src.data;
      const idx2str = (metadata.idx2str as string[] | undefined) ??
        Array.from({ length: width }, (_, i) => String(i));
      const topK = Math.min((config.top_k as number | undefined) ?? 3, width);
      const preds: string[] = [];
      const probsCol: number[][] = [];
      const prob: number[] = [];
      const top: string[][] = [];
      for (let i = 0; i < n; i++) {
        const row = Array.from(p.subarray(i * width, (i + 1) * width));
        const order = row.map((_, j) => j).sort((a, b) => row[b] - row[a] || a - b);
        preds.push(idx2str[order[0]] ?? "<UNK>");
        probsCol.push(row);
        prob.push(row[order[0]]);
        top.push(order.slice(0, topK).map((j) => idx2str[j] ?? "<UNK>"));
      }
      result[`${name}_predictions`] = preds;
      result[`${name}_probabilities`] = probsCol;
      result[`${name}_probability`] = prob;
      idx2str.forEach((label, j) => {
        if (j < width) result[`${name}_probabilities_${label}`] = probsCol.map((r) => r[j]);
      });
      result[`${name}_predictions_top_k`] = top;
      return result;
    },
    metrics: categoryPart,
    predictClasses(probabilities: Float32Array, rows: number): Int32Array {
      return argmaxRows(probabilities, rows, rows === 0 ? 0 : probabilities.length / rows);
    },
    overallStats: categoryOverallStats,
  },
};

/** `fill_with_mode` for string types. */
export const stringMode = (parsed: Parsed): unknown => modeOf(parsed);
