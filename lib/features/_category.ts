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
import {
  columnError,
  type EncodedColumn,
  type FeatureContext,
  type FeatureMetadata,
  modeOf,
  type Parsed,
  parseStrings,
  quoteValue,
  type TypeHandler,
} from "./_common.ts";

function present(parsed: Parsed): string[] {
  const out: string[] = [];
  for (let i = 0; i < parsed.missing.length; i++) {
    if (!parsed.missing[i]) out.push(parsed.values[i] as string);
  }
  return out;
}

/** Parses strings, lowercased when `lowercase` is set. */
export function parseText(cells: readonly Cell[], rows: Int32Array, ctx: FeatureContext): Parsed {
  return parseStrings(
    cells,
    rows,
    ctx.preprocessing.lowercase === true && ctx.type === "category"
      ? (s) => s.toLowerCase()
      : undefined,
  );
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

/** The category handler. */
export const categoryHandler: TypeHandler = {
  parse: parseText,
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
};

/** `fill_with_mode` for string types. */
export const stringMode = (parsed: Parsed): unknown => modeOf(parsed);
