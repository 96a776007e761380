/**
 * Registry entries: each encoder, combiner, decoder, loss and feature type is one entry binding
 * its `type` name, the feature types it serves, its zod schema, declared capabilities and a lazy
 * `load()` of its implementation (the only path into TensorFlow.js). Shared code reads entries
 * and capabilities; it never compares `type` strings (STYLE B3).
 *
 * @module
 */
import type { z } from "zod";

/** Every feature type Ludwig knows. */
export const LUDWIG_FEATURE_TYPES = [
  "binary",
  "number",
  "category",
  "category_distribution",
  "set",
  "bag",
  "sequence",
  "text",
  "timeseries",
  "audio",
  "image",
  "date",
  "h3",
  "vector",
  "anomaly",
] as const;

/** A feature type name. */
export type FeatureTypeName = (typeof LUDWIG_FEATURE_TYPES)[number] | `${string}/${string}`;

/** The shape of a component schema: a strict object with a literal `type`. */
export type ComponentSchema = z.ZodObject<
  // deno-lint-ignore no-explicit-any
  { type: z.ZodLiteral<string> } & Record<string, any>,
  // deno-lint-ignore no-explicit-any
  any
>;

/** A lazily imported implementation module. */
export type Loader = () => Promise<Record<string, unknown>>;

/**
 * A lazily imported implementation object of a feature type (a `FeatureImpl`,
 * lib/features/_common.ts) or of a loss (a `LossImpl`, lib/train/losses/_common.ts). Typed
 * `unknown` here so the config side never reaches those modules, not even by type; the runtime
 * checks the shape when it loads one.
 */
export type ImplLoader = () => Promise<unknown>;

/** What an encoder declares about itself. */
export interface EncoderCapabilities {
  /** Rank of the encoder output for a given config: 2 = [batch, hidden], 3 = [batch, seq, hidden]. */
  outputRank: (config: Record<string, unknown>) => 2 | 3;
  /** Whether the encoder consumes a vocabulary built in preprocessing. */
  needsVocab?: boolean;
  /** Whether the encoder loads pretrained weights. */
  pretrained?: boolean;
  /** Preprocessing values the encoder imposes on its feature (tf_idf: `compute_idf: true`). */
  forcedPreprocessing?: Readonly<Record<string, unknown>>;
  /**
   * Preprocessing values derived from the encoder's own config (the Hugging Face encoders copy
   * `pretrained_model_name_or_path` so the feature tokenizes with the model's tokenizer).
   */
  preprocessingFrom?: (encoder: Readonly<Record<string, unknown>>) => Record<string, unknown>;
  /**
   * Whether `preprocessing.cache_encoder_embeddings` may run this encoder once over the dataset
   * when it is frozen (`trainable: false`); its build then marks its output with
   * `markCacheableOutput` (lib/encoders/_cacheable.ts).
   */
  cacheableWhenFrozen?: boolean;
}

/** An encoder entry. */
export interface EncoderEntry<S extends ComponentSchema = ComponentSchema> {
  readonly kind: "encoder";
  /** The `type` name in configs. */
  readonly type: S["shape"]["type"]["value"];
  /** The input feature types it encodes. */
  readonly featureTypes: readonly string[];
  /** Its config schema. */
  readonly schema: S;
  /** Declared capabilities. */
  readonly capabilities: EncoderCapabilities;
  /** Imports the implementation; absent while only the config is supported. */
  readonly load?: Loader;
}

/** A decoder entry. */
export interface DecoderEntry<S extends ComponentSchema = ComponentSchema> {
  readonly kind: "decoder";
  readonly type: S["shape"]["type"]["value"];
  readonly featureTypes: readonly string[];
  readonly schema: S;
  /** Whether the decoder needs a sequence-shaped (rank 3) combiner output. */
  readonly capabilities: { needsSequenceInput?: boolean; forcesReduceInputNull?: boolean };
  readonly load?: Loader;
}

/** A combiner entry. */
export interface CombinerEntry<S extends ComponentSchema = ComponentSchema> {
  readonly kind: "combiner";
  readonly type: S["shape"]["type"]["value"];
  readonly schema: S;
  readonly capabilities: {
    /** Rank of the combiner output for a given config. */
    outputRank: (config: Record<string, unknown>) => 2 | 3;
    /** Whether the combiner needs sequence encoder outputs (rank 3) from its main feature. */
    needsSequenceInputs?: boolean;
  };
  readonly load?: Loader;
}

/** A loss entry. */
export interface LossEntry<S extends ComponentSchema = ComponentSchema> {
  readonly kind: "loss";
  readonly type: S["shape"]["type"]["value"];
  readonly featureTypes: readonly string[];
  readonly schema: S;
  /**
   * Imports the implementation: a `LossImpl` (`create(config, ctx)`, and `probabilities` when
   * the loss's logits are not turned into probabilities by the output type's own rule).
   */
  readonly load?: ImplLoader;
}

/** Whether a metric is better when larger or smaller. */
export type MetricGoal = "maximize" | "minimize";

/** A feature type entry: its preprocessing schemas, default components and metrics. */
export interface FeatureEntry {
  readonly kind: "feature";
  readonly type: FeatureTypeName;
  /** Present when the type can be an input feature. */
  readonly input?: {
    readonly preprocessing: ComponentSchemaLike;
    readonly defaultEncoder: string;
    /** Extra input-level keys (image `augmentation`), as a zod shape. */
    readonly extra?: z.ZodRawShape;
  };
  /** Present when the type can be an output feature. */
  readonly output?: {
    readonly preprocessing: ComponentSchemaLike;
    readonly defaultDecoder: string;
    readonly defaultLoss: string;
    /** Metrics reported for this output type, with their goal (`loss` is always reported). */
    readonly metrics: Readonly<Record<string, MetricGoal>>;
    readonly defaultValidationMetric: string;
    /** Extra output-level keys (threshold, top_k, clip ...), as a zod shape. */
    readonly extra: z.ZodRawShape;
    /** Default of `reduce_input` and `reduce_dependencies` for this type. */
    readonly defaultReduce: "sum" | null;
    /** How logits become probabilities (classification outputs); absent for regression. */
    readonly probability?: "sigmoid" | "softmax";
    /** Whether targets are 0/1 scalars (what `oversample_minority` / `undersample_majority` need). */
    readonly twoClass?: boolean;
  };
  /** Whether values of this type form sequences (text, sequence). */
  readonly sequential?: boolean;
  /**
   * Imports the type's one implementation module and resolves to its `FeatureImpl`
   * (lib/features/_common.ts): parse, fills, fit, encode and, for outputs, postprocess, metrics
   * and the prediction rule. Absent while only the config is supported.
   */
  readonly load?: ImplLoader;
}

/** A zod object schema without a `type` discriminator (preprocessing blocks). */
// deno-lint-ignore no-explicit-any
export type ComponentSchemaLike = z.ZodObject<any, any>;

/** Define an encoder entry (the feature types are kept as literal types for the builders). */
export function defineEncoder<S extends ComponentSchema, const F extends readonly string[]>(
  entry: Omit<EncoderEntry<S>, "kind" | "type" | "featureTypes"> & { featureTypes: F },
): EncoderEntry<S> & { readonly featureTypes: F } {
  return Object.freeze({ kind: "encoder", type: entry.schema.shape.type.value, ...entry });
}

/** Define a decoder entry. */
export function defineDecoder<S extends ComponentSchema, const F extends readonly string[]>(
  entry: Omit<DecoderEntry<S>, "kind" | "type" | "featureTypes"> & { featureTypes: F },
): DecoderEntry<S> & { readonly featureTypes: F } {
  return Object.freeze({ kind: "decoder", type: entry.schema.shape.type.value, ...entry });
}

/** Define a combiner entry. */
export function defineCombiner<S extends ComponentSchema>(
  entry: Omit<CombinerEntry<S>, "kind" | "type">,
): CombinerEntry<S> {
  return Object.freeze({ kind: "combiner", type: entry.schema.shape.type.value, ...entry });
}

/** Define a loss entry. */
export function defineLoss<S extends ComponentSchema, const F extends readonly string[]>(
  entry: Omit<LossEntry<S>, "kind" | "type" | "featureTypes"> & { featureTypes: F },
): LossEntry<S> & { readonly featureTypes: F } {
  return Object.freeze({ kind: "loss", type: entry.schema.shape.type.value, ...entry });
}

/** Define a feature type entry (its literal type is kept for the builders). */
export function defineFeature<const E extends Omit<FeatureEntry, "kind">>(
  entry: E,
): E & { readonly kind: "feature" } {
  return Object.freeze({ kind: "feature" as const, ...entry });
}
