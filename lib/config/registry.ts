/**
 * Registry entries: each encoder, combiner, decoder, loss and feature type is one entry binding
 * its `type` name, the feature types it serves, its zod schema, declared capabilities and a lazy
 * `load()` of its implementation (the only path into TensorFlow.js). Shared code reads entries
 * and capabilities; it never compares `type` strings (STYLE B3).
 *
 * @module
 */

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

/**
 * What a zod schema carries in its `_zod` slot: the types it accepts and produces (what
 * `z.input` and `z.output` read).
 */
export interface SchemaTypes {
  /** What the schema accepts (defaults optional). */
  readonly input: unknown;
  /** What the schema produces (defaults filled). */
  readonly output: unknown;
}

/** What a component schema produces: the component's parameters, `type` among them. */
// deno-lint-ignore no-explicit-any
export type ComponentValues = Record<string, any>;

/**
 * A component's config schema: a zod object (`z.object`, built with the helpers of
 * lib/config/fields.ts) whose `type` key is a literal naming the component. Typed by what the
 * registry reads of it; the value is always a zod 4 `ZodObject`.
 */
export interface ComponentSchema {
  /** The object's keys and their schemas; `type` is the literal naming the component. */
  readonly shape: { readonly type: { readonly value: string } } & Readonly<Record<string, unknown>>;
  /** zod's internals: the accepted and produced types (it produces the component's block). */
  readonly _zod: SchemaTypes & { readonly output: ComponentValues };
  /** Validates a value and returns it with defaults filled (throws on an invalid value). */
  parse(value: unknown): unknown;
}

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
  /** The entry kind. */
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
  /** The entry kind. */
  readonly kind: "decoder";
  /** The `type` name in configs. */
  readonly type: S["shape"]["type"]["value"];
  /** The output feature types it decodes. */
  readonly featureTypes: readonly string[];
  /** Its config schema. */
  readonly schema: S;
  /**
   * Declared capabilities: whether the decoder needs a sequence-shaped (rank 3) combiner output,
   * and whether it forces `reduce_input: null` on its feature.
   */
  readonly capabilities: { needsSequenceInput?: boolean; forcesReduceInputNull?: boolean };
  /** Imports the implementation; absent while only the config is supported. */
  readonly load?: Loader;
}

/** A combiner entry. */
export interface CombinerEntry<S extends ComponentSchema = ComponentSchema> {
  /** The entry kind. */
  readonly kind: "combiner";
  /** The `type` name in configs. */
  readonly type: S["shape"]["type"]["value"];
  /** Its config schema. */
  readonly schema: S;
  /** Declared capabilities. */
  readonly capabilities: {
    /** Rank of the combiner output for a given config. */
    outputRank: (config: Record<string, unknown>) => 2 | 3;
    /** Whether the combiner needs sequence encoder outputs (rank 3) from its main feature. */
    needsSequenceInputs?: boolean;
  };
  /** Imports the implementation; absent while only the config is supported. */
  readonly load?: Loader;
}

/** A loss entry. */
export interface LossEntry<S extends ComponentSchema = ComponentSchema> {
  /** The entry kind. */
  readonly kind: "loss";
  /** The `type` name in configs. */
  readonly type: S["shape"]["type"]["value"];
  /** The output feature types it serves. */
  readonly featureTypes: readonly string[];
  /** Its config schema. */
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
  /** The entry kind. */
  readonly kind: "feature";
  /** The feature type name in configs. */
  readonly type: FeatureTypeName;
  /**
   * Present when the type can be an input feature: its input preprocessing schema and the
   * encoder used when a feature names none.
   */
  readonly input?: {
    readonly preprocessing: ComponentSchemaLike;
    readonly defaultEncoder: string;
    /** Extra input-level keys (image `augmentation`), as a zod shape. */
    readonly extra?: Readonly<Record<string, unknown>>;
  };
  /**
   * Present when the type can be an output feature: its output preprocessing schema, default
   * decoder and loss, metrics and output-level options.
   */
  readonly output?: {
    readonly preprocessing: ComponentSchemaLike;
    readonly defaultDecoder: string;
    readonly defaultLoss: string;
    /** Metrics reported for this output type, with their goal (`loss` is always reported). */
    readonly metrics: Readonly<Record<string, MetricGoal>>;
    /** The metric `validation_metric` defaults to. */
    readonly defaultValidationMetric: string;
    /** Extra output-level keys (threshold, top_k, clip ...), as a zod shape (key to zod schema). */
    readonly extra: Readonly<Record<string, unknown>>;
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

/**
 * A zod object schema without a `type` discriminator (preprocessing blocks). Typed by what the
 * registry reads of it; the value is always a zod 4 `ZodObject`.
 */
export interface ComponentSchemaLike {
  /** The object's keys and their schemas. */
  readonly shape: Readonly<Record<string, unknown>>;
  /** zod's internals: the accepted and produced types. */
  readonly _zod: SchemaTypes;
  /** Validates a value and returns it with defaults filled (throws on an invalid value). */
  parse(value: unknown): unknown;
}

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
