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
import { setPart } from "../train/_metric_parts.ts";
import {
  type EncodedColumn,
  type FeatureContext,
  type FeatureImpl,
  type FeatureMetadata,
  type OutputContext,
  outputData,
  type OutputImpl,
  outputRows,
  type Parsed,
  type RawOutput,
  sigmoid,
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

function setLike(bag: boolean, output?: OutputImpl): FeatureImpl {
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
    ...(output ? { output } : {}),
  };
}

const setOutput: OutputImpl = {
  postprocess(out: RawOutput, { name, config, metadata }: OutputContext) {
    const src = outputData(name, out, ["probabilities", "logits"]);
    const { n, width } = outputRows(name, out, src.data);
    const p = src.kind === "logits" ? src.data.map(sigmoid) : src.data;
    const idx2str = (metadata.idx2str as string[] | undefined) ?? [];
    const threshold = (config.threshold as number | undefined) ?? 0.5;
    const preds: string[][] = [];
    const probs: number[][] = [];
    for (let i = 0; i < n; i++) {
      const labels: string[] = [];
      const ps: number[] = [];
      for (let j = 0; j < width; j++) {
        const x = p[i * width + j];
        if (x >= threshold) {
          labels.push(idx2str[j] ?? String(j));
          ps.push(x);
        }
      }
      preds.push(labels);
      probs.push(ps);
    }
    // The probabilities of the predicted labels only, as Ludwig.
    return { [`${name}_predictions`]: preds, [`${name}_probabilities`]: probs };
  },
  metrics: setPart,
};

/** The set implementation. */
export const set: FeatureImpl = setLike(false, setOutput);
/** The bag handler. */
export const bag: FeatureImpl = setLike(true);
