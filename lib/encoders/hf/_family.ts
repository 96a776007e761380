/**
 * What each Hugging Face encoder family tells the common builder: how to read its
 * `config.json` into an {@linkcode HfArchitecture}, and the Hugging Face names of its
 * parameters ({@linkcode HfNames}).
 *
 * @module
 */
import type { tf } from "../../compute/mod.ts";
import type { PositionScheme } from "./_layers.ts";

/** Ludwig's `reduce_output` values for these encoders (`null` keeps the sequence). */
export type HfReduceOutput = "cls_pooled" | "sum" | "mean" | "avg" | "max" | "last" | null;

/** The activations of the feed-forward layers, as TF.js names them. */
export type HfActivation = "gelu" | "gelu_new" | "relu" | "tanh" | "swish";

/** The architecture read from `config.json`, in one shape for every family. */
export interface HfArchitecture {
  /** The family (`bert`, `roberta`, …). */
  family: string;
  /** `model_type` of config.json. */
  modelType: string;
  vocabSize: number;
  /** Embedding width (ALBERT, ELECTRA: may differ from hiddenSize). */
  embeddingSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  activation: HfActivation;
  layerNormEps: number;
  maxPositions: number;
  /** 0 when the model has no token type embeddings. */
  typeVocabSize: number;
  padTokenId: number;
  positions: PositionScheme;
  /** ALBERT: layer groups sharing weights, and layers per group. */
  numHiddenGroups: number;
  innerGroupNum: number;
  /** Dropout of embeddings and block outputs while training. */
  hiddenDropout: number;
  /** The longest input the position table allows. */
  maxSequenceLength: number;
  /** Width of each attention head (T5's `d_kv`); default hiddenSize / numHeads. */
  headSize?: number;
  /** T5: relative attention buckets and their largest distance. */
  relativeBuckets?: number;
  relativeMaxDistance?: number;
  /** T5 v1.1 / mT5: gated feed-forward (`wi_0`, `wi_1`). */
  gatedFfn?: boolean;
  /** FlauBERT's `pre_norm`: layer norms before attention and feed-forward. */
  preNorm?: boolean;
  /** DeBERTa v2/v3: the disentangled attention's settings (absent: no relative attention). */
  relativeAttention?: {
    c2p: boolean;
    p2c: boolean;
    shareAttKey: boolean;
    normRel: boolean;
    positionBuckets: number;
    maxRelativePositions: number;
  };
}

/** What {@linkcode HfFamily.body} receives to make and name layers. */
export interface HfBuildKit {
  /** A layer name in the encoder's scope. */
  layerName: (what: string) => string;
  /** The next initializer seed. */
  nextSeed: () => number;
  /** Record that `layer.weights[index]` is the Hugging Face tensor `hfName`. */
  bindWeight: (
    layer: tf.layers.Layer,
    index: number,
    hfName: string,
    transform?: "none" | "linear",
  ) => void;
  /** A LayerNorm bound to `path.weight`, `path.bias`. */
  norm: (path: string) => tf.layers.Layer;
  /** A Dense bound to `path.weight` ([out, in], transposed) and `path.bias`. */
  dense: (path: string, units: number, activation?: string) => tf.layers.Layer;
  /** Dropout at `hiddenDropout` while training (nothing when dropout is off). */
  drop: (x: tf.SymbolicTensor, what: string) => tf.SymbolicTensor;
}

/** Hugging Face module paths of one transformer block (each has `.weight` and `.bias`). */
export interface HfBlockNames {
  query: string;
  key: string;
  value: string;
  attentionOutput: string;
  attentionNorm: string;
  ffnIn: string;
  ffnOut: string;
  ffnNorm: string;
}

/** Hugging Face parameter names of a model (after the task-model prefix). */
export interface HfNames {
  word: string;
  position: string;
  tokenType?: string;
  embeddingNorm: string;
  /** A Linear from embeddingSize to hiddenSize after the embeddings (ALBERT, ELECTRA). */
  embeddingProjection?: string;
  /** Block `i` (ALBERT: the shared block of group `g`, inner layer `j`: see `blockOf`). */
  block: (i: number) => HfBlockNames;
  /** The pooler's Linear (tanh on the first token), when the family has one. */
  pooler?: string;
}

/** One encoder family. */
export interface HfFamily {
  /** Ludwig's encoder type. */
  name: string;
  /** `model_type` values of config.json it reads. */
  modelTypes: readonly string[];
  /** Task-model prefixes stripped from checkpoint names (`bert.`, …). */
  prefixes: readonly string[];
  /** Checkpoint names (after the prefix) of heads and buffers that the encoder does not use. */
  ignore: readonly RegExp[];
  /** Ludwig's default `reduce_output`. */
  defaultReduceOutput: HfReduceOutput;
  /** Whether the family's base model has a pooler (dense + tanh on the first token). */
  hasPooler: boolean;
  /** Read config.json. */
  architecture: (config: Record<string, unknown>, file: string) => HfArchitecture;
  /** The parameter names (of the BERT-style graph; a family with its own body may ignore them). */
  names: (arch: HfArchitecture) => HfNames;
  /**
   * A graph of its own (GPT-2, T5) instead of the BERT-style one: token ids and padding mask →
   * the sequence output (and the pooled output when the family has a pooler).
   */
  body?: (
    ids: tf.SymbolicTensor,
    mask: tf.SymbolicTensor,
    arch: HfArchitecture,
    kit: HfBuildKit,
  ) => { sequence: tf.SymbolicTensor; pooled?: tf.SymbolicTensor };
  /** The special tokens the tokenizer puts at each end (dropped by the reductions); default both. */
  specialTokens?: { first: boolean; last: boolean };
  /** Its tokenizer cannot be rebuilt from legacy vocabulary files: tokenizer.json is required. */
  needsTokenizerJson?: boolean;
  /** The pooled output without a pooler: the first token (default), the last real one, or the mean. */
  poolFallback?: "first" | "last" | "mean";
}

/** A configuration error naming the file and the key. */
export class HfConfigError extends TypeError {
  override name = "HfConfigError";
}

/** Read a positive integer key of config.json, or `fallback`. */
export function intKey(
  config: Record<string, unknown>,
  key: string,
  file: string,
  fallback?: number,
): number {
  const v = config[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new HfConfigError(`${file}: "${key}" is required`);
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new HfConfigError(
      `${file}: "${key}" must be a non-negative integer, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** Read a number key of config.json, or `fallback`. */
export function numKey(
  config: Record<string, unknown>,
  key: string,
  file: string,
  fallback: number,
): number {
  const v = config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new HfConfigError(`${file}: "${key}" must be a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

const ACTIVATIONS: Record<string, HfActivation> = {
  gelu: "gelu",
  gelu_new: "gelu_new",
  gelu_fast: "gelu_new",
  gelu_pytorch_tanh: "gelu_new",
  relu: "relu",
  tanh: "tanh",
  silu: "swish",
  swish: "swish",
};

/** Map a Hugging Face activation name to the TF.js one (`gelu` exact, `gelu_new` tanh). */
export function activationKey(
  config: Record<string, unknown>,
  key: string,
  file: string,
  fallback: string,
): HfActivation {
  const v = config[key] ?? fallback;
  const act = typeof v === "string" ? ACTIVATIONS[v] : undefined;
  if (act === undefined) {
    throw new HfConfigError(
      `${file}: "${key}" ${JSON.stringify(v)} is not supported; expected one of ${
        Object.keys(ACTIVATIONS).join(", ")
      }`,
    );
  }
  return act;
}

/**
 * What the BERT-like families' checkpoints hold besides the encoder: the sequence-classification
 * and question-answering heads and the position-id buffer (ignored when reading a checkpoint).
 */
export const TASK_HEADS: readonly RegExp[] = [
  /classifier\..*/,
  /qa_outputs\..*/,
  /embeddings\.position_ids/,
];

/**
 * The hidden size and the number of attention heads, read from the keys a family names them by
 * (with fallbacks where its config.json may omit them); the heads must divide the hidden size.
 */
export function hiddenAndHeads(
  config: Record<string, unknown>,
  file: string,
  keys: { hidden: string; heads: string },
  fallbacks: { hidden?: number; heads?: number } = {},
): { hiddenSize: number; numHeads: number } {
  const hiddenSize = intKey(config, keys.hidden, file, fallbacks.hidden);
  const numHeads = intKey(config, keys.heads, file, fallbacks.heads);
  if (numHeads === 0 || hiddenSize % numHeads !== 0) {
    throw new HfConfigError(
      `${file}: "${keys.hidden}" (${hiddenSize}) must be divisible by "${keys.heads}" (${numHeads})`,
    );
  }
  return { hiddenSize, numHeads };
}

/** The BERT-style keys shared by BERT, RoBERTa, ELECTRA and ALBERT. */
export function bertStyleArchitecture(
  family: string,
  config: Record<string, unknown>,
  file: string,
  defaults: { activation: string; positions: PositionScheme; layerNormEps?: number },
): HfArchitecture {
  const { hiddenSize, numHeads } = hiddenAndHeads(config, file, {
    hidden: "hidden_size",
    heads: "num_attention_heads",
  });
  const padTokenId = intKey(config, "pad_token_id", file, defaults.positions === "padded" ? 1 : 0);
  const maxPositions = intKey(config, "max_position_embeddings", file);
  const positions = defaults.positions;
  return {
    family,
    modelType: String(config.model_type ?? family),
    vocabSize: intKey(config, "vocab_size", file),
    embeddingSize: intKey(config, "embedding_size", file, hiddenSize),
    hiddenSize,
    numLayers: intKey(config, "num_hidden_layers", file),
    numHeads,
    intermediateSize: intKey(config, "intermediate_size", file),
    activation: activationKey(config, "hidden_act", file, defaults.activation),
    layerNormEps: numKey(config, "layer_norm_eps", file, defaults.layerNormEps ?? 1e-12),
    maxPositions,
    typeVocabSize: intKey(config, "type_vocab_size", file, 2),
    padTokenId,
    positions,
    numHiddenGroups: 1,
    innerGroupNum: 1,
    hiddenDropout: numKey(config, "hidden_dropout_prob", file, 0.1),
    maxSequenceLength: positions === "padded" ? maxPositions - padTokenId - 1 : maxPositions,
  };
}

/** The BERT block names under `encoder.layer.{i}`. */
export function bertBlock(i: number): HfBlockNames {
  const p = `encoder.layer.${i}.`;
  return {
    query: `${p}attention.self.query`,
    key: `${p}attention.self.key`,
    value: `${p}attention.self.value`,
    attentionOutput: `${p}attention.output.dense`,
    attentionNorm: `${p}attention.output.LayerNorm`,
    ffnIn: `${p}intermediate.dense`,
    ffnOut: `${p}output.dense`,
    ffnNorm: `${p}output.LayerNorm`,
  };
}

/** The embedding names shared by the BERT-style families. */
export const BERT_EMBEDDINGS = {
  word: "embeddings.word_embeddings",
  position: "embeddings.position_embeddings",
  tokenType: "embeddings.token_type_embeddings",
  embeddingNorm: "embeddings.LayerNorm",
} as const;
