/**
 * The Hugging Face text encoders (Ludwig's names and defaults, reference §5b): each reads a model
 * folder (`pretrained_model_name_or_path`: a local folder or a hub name resolved in the Hugging
 * Face cache layout) through lib/encoders/hf. Choosing one rewrites the feature's preprocessing:
 * `tokenizer: hf_tokenizer` and the encoder's `pretrained_model_name_or_path`, so the rows are
 * the model tokenizer's ids and `max_sequence_length` counts the special tokens. A frozen one
 * (`trainable: false`, the default as in Ludwig 0.8) runs in inference mode and may be cached
 * (`preprocessing.cache_encoder_embeddings`).
 *
 * @module
 */
import { z } from "zod";
import { obj } from "../config/fields.ts";
import { defineEncoder, type Loader } from "../config/registry.ts";

type Implementation = ReturnType<Loader>;

/** `reduce_output` of the Hugging Face encoders (`cls_pooled`: the pooler output). */
export const HF_REDUCE_MODES = ["cls_pooled", "sum", "mean", "avg", "max", "last"] as const;

const keys = (
  type: string,
  defaultModel: string | null,
  reduceDefault: (typeof HF_REDUCE_MODES)[number],
) => ({
  pretrained_model_name_or_path: z.string().min(1).nullable().default(defaultModel).describe(
    defaultModel === null
      ? "A Hugging Face model folder, or a hub name in the local cache (required)"
      : "A Hugging Face model folder, or a hub name in the local cache",
  ),
  use_pretrained: z.boolean().default(true).describe(
    "Read the folder's weights (false: random initialization from config.json)",
  ),
  trainable: z.boolean().default(false).describe(
    "Fine-tune the encoder (false: frozen, in inference mode)",
  ),
  reduce_output: z.enum(HF_REDUCE_MODES).nullable().default(reduceDefault).describe(
    "How the token vectors are reduced (cls_pooled: the pooler output; null: the sequence)",
  ),
  max_sequence_length: z.int().min(1).nullable().default(null).describe(
    "Longest row, special tokens included (null: the preprocessing's)",
  ),
  pretrained_kwargs: obj({
    revision: z.string().min(1).optional().describe("Hub revision (branch, tag or commit)"),
  }, { id: `encoder.text.${type}.pretrained_kwargs`, description: "Options of the model lookup" })
    .nullable().default(null),
  saved_weights_in_checkpoint: z.boolean().default(false).describe(
    "The weights come from a saved Sonata model (model_load_path), not from the folder",
  ),
});

const capabilities = {
  outputRank: (c: Record<string, unknown>) => (c.reduce_output === null ? 3 : 2) as 2 | 3,
  pretrained: true,
  cacheableWhenFrozen: true,
  forcedPreprocessing: { tokenizer: "hf_tokenizer" },
  preprocessingFrom: (c: Readonly<Record<string, unknown>>) => ({
    pretrained_model_name_or_path: c.pretrained_model_name_or_path,
    ...(typeof c.max_sequence_length === "number"
      ? { max_sequence_length: c.max_sequence_length }
      : {}),
  }),
};

const load = (): Implementation =>
  import("./hf/_encoder_impl.ts").then((m) => ({
    build: m.build,
    cacheFingerprint: m.cacheFingerprint,
    activationBytesPerRow: m.activationBytesPerRow,
  }));

function hfEntry<const T extends string>(
  type: T,
  defaultModel: string | null,
  reduceDefault: (typeof HF_REDUCE_MODES)[number],
  what: string,
) {
  return defineEncoder({
    schema: obj({ type: z.literal(type), ...keys(type, defaultModel, reduceDefault) }, {
      id: `encoder.text.${type}`,
      description: what,
    }),
    featureTypes: ["text"],
    capabilities,
    load,
  });
}

/** `bert`. */
export const hfBert = hfEntry("bert", "bert-base-uncased", "cls_pooled", "BERT");
/** `distilbert`. */
export const hfDistilbert = hfEntry(
  "distilbert",
  "distilbert-base-uncased",
  "sum",
  "DistilBERT",
);
/** `roberta`. */
export const hfRoberta = hfEntry("roberta", "roberta-base", "cls_pooled", "RoBERTa");
/** `xlmroberta`. */
export const hfXlmRoberta = hfEntry(
  "xlmroberta",
  "xlm-roberta-base",
  "cls_pooled",
  "XLM-RoBERTa",
);
/** `camembert`. */
export const hfCamembert = hfEntry("camembert", "camembert-base", "sum", "CamemBERT");
/** `electra`. */
export const hfElectra = hfEntry(
  "electra",
  "google/electra-small-discriminator",
  "sum",
  "ELECTRA (the discriminator)",
);
/** `albert`. */
export const hfAlbert = hfEntry("albert", "albert-base-v2", "cls_pooled", "ALBERT");
/** `deberta`. */
export const hfDeberta = hfEntry(
  "deberta",
  "sileod/deberta-v3-base-tasksource-nli",
  "sum",
  "DeBERTa (v2/v3)",
);
/** `t5`. */
export const hfT5 = hfEntry("t5", "t5-small", "sum", "T5 (its encoder)");
/** `mt5`. */
export const hfMt5 = hfEntry("mt5", "google/mt5-base", "sum", "mT5 (its encoder)");
/** `gpt2`. */
export const hfGpt2 = hfEntry("gpt2", "gpt2", "sum", "GPT-2");
/** `gpt`. */
export const hfGpt = hfEntry("gpt", "openai-gpt", "sum", "OpenAI GPT");
/** `xlm`. */
export const hfXlm = hfEntry("xlm", "xlm-mlm-en-2048", "sum", "XLM");
/** `flaubert`. */
export const hfFlaubert = hfEntry("flaubert", "flaubert/flaubert_small_cased", "sum", "FlauBERT");
/** `longformer`. */
export const hfLongformer = hfEntry(
  "longformer",
  "allenai/longformer-base-4096",
  "cls_pooled",
  "Longformer (no global attention, sequences within half the window)",
);
/** `auto_transformer`: the family of config.json's `model_type`. */
export const hfAutoTransformer = hfEntry(
  "auto_transformer",
  null,
  "sum",
  "Any supported Hugging Face model, by config.json's model_type",
);

/** Every Hugging Face text encoder entry. */
export const HF_TEXT_ENCODERS = [
  hfBert,
  hfDistilbert,
  hfRoberta,
  hfXlmRoberta,
  hfCamembert,
  hfElectra,
  hfAlbert,
  hfDeberta,
  hfT5,
  hfMt5,
  hfGpt2,
  hfGpt,
  hfXlm,
  hfFlaubert,
  hfLongformer,
  hfAutoTransformer,
] as const;
