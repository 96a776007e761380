/**
 * sequence and text features (Ludwig `sequence_feature.py`, `text_feature.py`): int32 `[L]`
 * rows of token indices, `<SOS> tokens… <EOS>` padded with `<PAD>` (lib/data's
 * `encodeSequences`), where `L` is the metadata's `max_sequence_length` (`sequence_length`
 * when set, else the longest training example + 2, capped at `max_sequence_length`).
 * Metadata: lib/data's `toSequenceMetadata` / `toTextMetadata` (idx2str, str2idx, str2freq,
 * vocab_size, max_sequence_length; text adds str2idf, max_sequence_length_99ptile, pad_idx,
 * padding_symbol, unknown_symbol).
 *
 * @module
 */
import { buildVocabulary, encodeSequences, Vocabulary } from "../data/vocabulary.ts";
import { parseStringFill, parseText } from "./_category.ts";
import { sequencePart } from "../train/_metric_parts.ts";
import {
  type EncodedColumn,
  type FeatureContext,
  type FeatureImpl,
  type FeatureMetadata,
  outputData,
  type OutputImpl,
  type Parsed,
  type RawOutput,
  softmaxRows,
} from "./_common.ts";
import { texts, tokenizeOptions } from "./_set.ts";

function lengthOptions(ctx: FeatureContext) {
  const p = ctx.preprocessing;
  return {
    sequenceLength: (p.sequence_length as number | null | undefined) ?? null,
    maxSequenceLength: (p.max_sequence_length as number | undefined) ?? 256,
  };
}

function symbols(ctx: FeatureContext) {
  const p = ctx.preprocessing;
  return {
    paddingSymbol: (p.padding_symbol as string | undefined) ?? "<PAD>",
    unknownSymbol: (p.unknown_symbol as string | undefined) ?? "<UNK>",
  };
}

function sequenceLike(text: boolean): FeatureImpl {
  return {
    parse: parseText,
    parseFill: parseStringFill,
    fillToJson: (value) => value,
    fit(parsed: Parsed, ctx: FeatureContext): FeatureMetadata {
      const vocab = buildVocabulary(texts(parsed), {
        ...tokenizeOptions(ctx),
        ...symbols(ctx),
        mostCommon: Number(ctx.preprocessing.most_common ?? 20000),
        vocab: ctx.vocabFile ?? null,
        computeIdf: text && ctx.preprocessing.compute_idf === true,
      });
      const meta = text
        ? vocab.toTextMetadata(lengthOptions(ctx))
        : vocab.toSequenceMetadata(lengthOptions(ctx));
      return meta as unknown as FeatureMetadata;
    },
    encode(parsed: Parsed, metadata: FeatureMetadata, ctx: FeatureContext): EncodedColumn {
      const vocab = new Vocabulary({
        idx2str: metadata.idx2str as string[],
        str2freq: metadata.str2freq as Record<string, number>,
        ...symbols(ctx),
      });
      const length = metadata.max_sequence_length as number;
      const encoded = encodeSequences(texts(parsed), vocab, {
        ...tokenizeOptions(ctx),
        length,
        padding: (ctx.preprocessing.padding as "left" | "right" | undefined) ?? "right",
      });
      return { data: encoded.data, dtype: "int32", shape: [length] };
    },
    output: sequenceOutput(text ? "text" : "sequence"),
  };
}

function sequenceOutput(kind: "sequence" | "text"): OutputImpl {
  return {
    postprocess(out: RawOutput, { name, metadata }) {
      const src = outputData(name, out, ["probabilities", "logits"]);
      const n = out.shape[0];
      const vocab = out.shape[out.shape.length - 1];
      const length = n === 0 || vocab === 0 ? 0 : src.data.length / (n * vocab);
      if (!Number.isInteger(length)) {
        throw new RangeError(
          `Cannot postprocess output "${name}": shape ${
            JSON.stringify(out.shape)
          } does not match ${src.data.length} values`,
        );
      }
      const p = src.kind === "logits" ? softmaxRows(src.data, n * length, vocab) : src.data;
      const idx2str = (metadata.idx2str as string[] | undefined) ?? [];
      const preds: string[][] = [];
      const probs: number[][] = [];
      const prob: number[] = [];
      for (let i = 0; i < n; i++) {
        const tokens: string[] = [];
        const ps: number[] = [];
        let logSum = 0;
        for (let t = 0; t < length; t++) {
          const base = (i * length + t) * vocab;
          let best = 0;
          for (let j = 1; j < vocab; j++) if (p[base + j] > p[base + best]) best = j;
          tokens.push(idx2str[best] ?? "<UNK>");
          ps.push(p[base + best]);
          logSum += Math.log(p[base + best]);
        }
        preds.push(tokens);
        probs.push(ps);
        prob.push(logSum);
      }
      return {
        [`${name}_predictions`]: preds,
        [`${name}_probabilities`]: probs,
        [`${name}_probability`]: prob,
      };
    },
    metrics: sequencePart(kind),
  };
}

/** The sequence implementation. */
export const sequence: FeatureImpl = sequenceLike(false);
/** The text implementation. */
export const text: FeatureImpl = sequenceLike(true);
