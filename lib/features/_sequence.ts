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
  columnError,
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
import { HfTokenizer, loadHfTokenizer } from "../pretrained/tokenizer.ts";
import { resolveHuggingFaceModel } from "../pretrained/cache.ts";

/**
 * `tokenizer: hf_tokenizer` (forced by the Hugging Face encoders): the vocabulary and the
 * special tokens are the model folder's (`pretrained_model_name_or_path`), never fitted on the
 * data. `parse` reads the folder's tokenizer and config.json; `fit` stores both in the metadata
 * (`hf_tokenizer`, `hf_config`), so encoding for prediction and the encoder of a saved model
 * need no folder; rows are the tokenizer's ids (special tokens included) right-padded with its
 * pad id to `max_sequence_length` (the longest training row, capped by the preprocessing's
 * `max_sequence_length` and the tokenizer's `model_max_length`; `sequence_length` when set).
 */
const HF = "hf_tokenizer";

type HfRead = { tokenizer: HfTokenizer; config: Record<string, unknown>; folder: string } | {
  error: unknown;
};
/** What `parse` read, by feature context (parse and fit share one context per run). */
const readByContext = new WeakMap<FeatureContext, HfRead>();

function isHf(ctx: FeatureContext): boolean {
  return ctx.preprocessing.tokenizer === HF;
}

async function readHf(ctx: FeatureContext): Promise<HfRead> {
  const name = ctx.preprocessing.pretrained_model_name_or_path;
  try {
    if (typeof name !== "string" || name === "") {
      throw columnError(
        ctx,
        "the tokenizer is hf_tokenizer (forced by the Hugging Face encoders) but no " +
          "pretrained_model_name_or_path is set (auto_transformer needs one)",
      );
    }
    const folder = await resolveHuggingFaceModel(name);
    const tokenizer = await loadHfTokenizer(folder);
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(await Deno.readTextFile(`${folder}/config.json`));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return { tokenizer, config, folder };
  } catch (error) {
    // Prediction encodes with the saved tokenizer: a folder gone since training is no error.
    return { error };
  }
}

const savedTokenizers = new WeakMap<object, HfTokenizer>();

function savedTokenizer(metadata: FeatureMetadata): HfTokenizer {
  let t = savedTokenizers.get(metadata);
  if (!t) {
    const source = metadata.hf_tokenizer as ConstructorParameters<typeof HfTokenizer>[0] & {
      config: Record<string, unknown>;
    };
    t = HfTokenizer.fromSource(source as never);
    savedTokenizers.set(metadata, t);
  }
  return t;
}

function hfFit(parsed: Parsed, ctx: FeatureContext): FeatureMetadata {
  const hf = readByContext.get(ctx);
  if (!hf || "error" in hf) throw hf?.error ?? columnError(ctx, "no tokenizer was read");
  const { tokenizer } = hf;
  const p = ctx.preprocessing;
  let length = typeof p.sequence_length === "number" ? p.sequence_length : 0;
  const cap = Math.min(
    (p.max_sequence_length as number | undefined) ?? 256,
    tokenizer.modelMaxLength ?? Infinity,
  );
  if (length === 0) {
    for (const t of texts(parsed)) length = Math.max(length, tokenizer.tokenize(t).length);
    length = Math.max(1, Math.min(length, cap));
  }
  const idx2str: string[] = [];
  for (let i = 0; i < tokenizer.vocabSize; i++) idx2str.push(tokenizer.idToToken(i) ?? "");
  return {
    tokenizer: HF,
    idx2str,
    str2idx: Object.fromEntries(idx2str.map((s, i) => [s, i])),
    vocab_size: tokenizer.vocabSize,
    max_sequence_length: length,
    pad_idx: tokenizer.padId,
    padding_symbol: tokenizer.padToken,
    unknown_symbol: tokenizer.padToken,
    hf_tokenizer: tokenizer.source,
    hf_config: hf.config,
    hf_folder: hf.folder,
  } as unknown as FeatureMetadata;
}

function hfEncode(parsed: Parsed, metadata: FeatureMetadata): EncodedColumn {
  const length = metadata.max_sequence_length as number;
  const batch = savedTokenizer(metadata).encode(texts(parsed), { maxLength: length });
  return { data: batch.ids, dtype: "int32", shape: [length] };
}

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
    parse: async (cells, rows, ctx) => {
      const parsed = await parseText(cells, rows);
      if (text && isHf(ctx)) readByContext.set(ctx, await readHf(ctx));
      return parsed;
    },
    parseFill: parseStringFill,
    fillToJson: (value) => value,
    fit(parsed: Parsed, ctx: FeatureContext): FeatureMetadata {
      if (text && isHf(ctx)) return hfFit(parsed, ctx);
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
      if (text && metadata.tokenizer === HF) return hfEncode(parsed, metadata);
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
