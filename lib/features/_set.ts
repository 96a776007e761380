/**
 * set and bag features (Ludwig `set_feature.py`, `bag_feature.py`): float32 `[V]` rows, a
 * multi-hot vector for set and item counts for bag (lib/data's `encodeSet`/`encodeBag`; unknown
 * items land in the `<UNK>` column). Set vocabularies have only `<UNK>` (at index 3, or last
 * when smaller) as special symbol; bag vocabularies have Ludwig's four. Metadata: `idx2str`,
 * `str2idx`, `str2freq`, `vocab_size`, `max_set_size`.
 *
 * @module
 */
import {
  buildVocabulary,
  encodeBag,
  encodeSet,
  type TokenizeOptions,
  Vocabulary,
  type VocabularyMetadata,
} from "../data/vocabulary.ts";
import { parseStringFill, parseText } from "./_category.ts";
import type {
  EncodedColumn,
  FeatureContext,
  FeatureMetadata,
  Parsed,
  TypeHandler,
} from "./_common.ts";

/** Tokenizer options of a set, bag, sequence or text feature. */
export function tokenizeOptions(ctx: FeatureContext): TokenizeOptions {
  const p = ctx.preprocessing;
  return {
    tokenizer: (p.tokenizer as string | undefined) ?? "space",
    lowercase: p.lowercase === true,
    ngramSize: (p.ngram_size as number | undefined) ?? null,
  };
}

/** Values as strings with missing entries as "" (only called on filled columns). */
export function texts(parsed: Parsed): string[] {
  const out = new Array<string>(parsed.values.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = parsed.missing[i] ? "" : (parsed.values[i] as string);
  }
  return out;
}

function setLike(bag: boolean): TypeHandler {
  return {
    parse: parseText,
    parseFill: parseStringFill,
    fillToJson: (value) => value,
    fit(parsed: Parsed, ctx: FeatureContext): FeatureMetadata {
      const vocab = buildVocabulary(texts(parsed), {
        ...tokenizeOptions(ctx),
        mostCommon: Number(ctx.preprocessing.most_common ?? 10000),
        addSpecialSymbols: bag,
      });
      return vocab.toSetMetadata() as unknown as FeatureMetadata;
    },
    encode(parsed: Parsed, metadata: FeatureMetadata, ctx: FeatureContext): EncodedColumn {
      const vocab = Vocabulary.fromMetadata(metadata as unknown as VocabularyMetadata);
      const values = texts(parsed);
      if (bag) {
        const m = encodeBag(values, vocab, tokenizeOptions(ctx));
        return { data: m.data, dtype: "float32", shape: [m.shape[1]] };
      }
      const m = encodeSet(values, vocab, tokenizeOptions(ctx));
      return { data: Float32Array.from(m.data), dtype: "float32", shape: [m.shape[1]] };
    },
  };
}

/** The set handler. */
export const setHandler: TypeHandler = setLike(false);
/** The bag handler. */
export const bagHandler: TypeHandler = setLike(true);
