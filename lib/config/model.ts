/**
 * The whole ECD config schema, assembled from the registries (reference §0). It is rebuilt when a
 * component is registered at runtime, so validation and JSON Schema include runtime entries.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { BackendSchema } from "./backend.ts";
import {
  allCombiners,
  allFeatures,
  decodersFor,
  encodersFor,
  lossesFor,
  LUDWIG_ONLY_COMBINERS,
  LUDWIG_ONLY_FEATURE_TYPES,
  ludwigOnlyEncoders,
  registryVersion,
} from "./components.ts";
import { choice, obj, reduce, typeUnion } from "./fields.ts";
import { HyperoptSchema } from "./hyperopt.ts";
import { GlobalPreprocessingSchema } from "./preprocessing.ts";
import type { ComponentSchemaLike, FeatureEntry } from "./registry.ts";
import { TrainerSchema } from "./trainer.ts";
import type {
  ModelConfigOptions,
  ResolvedBackend,
  ResolvedHyperopt,
  ResolvedPreprocessing,
  ResolvedTrainer,
} from "./types_gen.ts";

type Tuple<T> = [T, ...T[]];

function nonEmpty<T>(items: T[], what: string): Tuple<T> {
  if (items.length === 0) throw new TypeError(`Cannot build the config schema: no ${what}`);
  return items as Tuple<T>;
}

const featureName = () =>
  z.string().min(1).describe("Name of the feature, unique among all features");
const column = () =>
  z.string().min(1).optional().describe("Dataset column of the feature (default: its name)");
/** A component schema as zod types it (the registry types it structurally). */
type ZodComponentSchema = z.ZodObject<
  // deno-lint-ignore no-explicit-any
  { type: z.ZodLiteral<string> } & Record<string, any>,
  // deno-lint-ignore no-explicit-any
  any
>;
/** A preprocessing block's schema as zod types it. */
// deno-lint-ignore no-explicit-any
const zodObject = (s: ComponentSchemaLike) => s as z.ZodObject<any, any>;

const procColumn = () => z.string().optional().describe("Internal: column of preprocessed data");
const active = () =>
  z.boolean().default(true).describe("Accepted for Ludwig compatibility; nothing reads it");

function encoderUnion(f: FeatureEntry) {
  const schemas = encodersFor(f.type).map((e) => e.schema as unknown as ZodComponentSchema);
  return typeUnion(nonEmpty(schemas, `encoder for ${f.type}`), {
    kind: `${f.type} encoder`,
    ludwigOnly: ludwigOnlyEncoders(f.type),
    shorthand: true,
    defaultType: f.input!.defaultEncoder,
  });
}

function decoderUnion(f: FeatureEntry) {
  const schemas = decodersFor(f.type).map((d) => d.schema as unknown as ZodComponentSchema);
  return typeUnion(nonEmpty(schemas, `decoder for ${f.type}`), {
    kind: `${f.type} decoder`,
    shorthand: true,
    defaultType: f.output!.defaultDecoder,
  });
}

function lossUnion(f: FeatureEntry) {
  const schemas = lossesFor(f.type).map((l) => l.schema as unknown as ZodComponentSchema);
  return typeUnion(nonEmpty(schemas, `loss for ${f.type}`), {
    kind: `${f.type} loss`,
    shorthand: true,
    defaultType: f.output!.defaultLoss,
  });
}

/** The schema of an input feature of type `f`. */
export function inputFeatureSchema(f: FeatureEntry) {
  const input = f.input!;
  return obj({
    name: featureName(),
    type: z.literal(f.type),
    column: column(),
    proc_column: procColumn(),
    active: active(),
    tied: z.string().nullable().default(null).describe(
      "Name of another input feature of the same type whose encoder weights are shared",
    ),
    preprocessing: zodObject(input.preprocessing).prefault({}),
    encoder: encoderUnion(f),
    ...input.extra,
  }, { id: `input_feature.${f.type}`, description: `An input feature of type ${f.type}` });
}

/** The schema of an output feature of type `f`. */
export function outputFeatureSchema(f: FeatureEntry) {
  const output = f.output!;
  return obj({
    name: featureName(),
    type: z.literal(f.type),
    column: column(),
    proc_column: procColumn(),
    active: active(),
    preprocessing: zodObject(output.preprocessing).prefault({}),
    decoder: decoderUnion(f),
    loss: lossUnion(f),
    reduce_input: reduce(output.defaultReduce, "How a sequence-shaped combiner output is reduced"),
    dependencies: z.array(z.string()).default([]).describe(
      "Output features whose hidden states feed this one",
    ),
    reduce_dependencies: reduce(
      output.defaultReduce,
      "How sequence-shaped dependency hidden states are reduced",
    ),
    ...(output.extra as z.ZodRawShape),
  }, { id: `output_feature.${f.type}`, description: `An output feature of type ${f.type}` });
}

/** The `defaults.<type>` block: type-level settings merged into every feature of that type. */
function defaultsBlock(f: FeatureEntry) {
  return obj({
    ...(f.input
      ? {
        preprocessing: zodObject(f.input.preprocessing).prefault({}),
        encoder: encoderUnion(f),
      }
      : {}),
    ...(f.output
      ? {
        decoder: decoderUnion(f),
        loss: lossUnion(f),
      }
      : {}),
  }, { id: `defaults.${f.type}`, description: `Defaults of every ${f.type} feature` });
}

function featureUnion(
  entries: readonly FeatureEntry[],
  build: (f: FeatureEntry) => ZodComponentSchema,
  kind: string,
  ludwigOnly: readonly string[],
) {
  const schemas = entries.map(build);
  return typeUnion(nonEmpty(schemas, kind), { kind, ludwigOnly });
}

/**
 * Builds the model config schema from the registry as it is now (built-in and runtime-registered
 * entries); `modelConfigSchema()` caches its result. Internal: the package exports it as a type
 * only, so that {@linkcode ModelConfigSchemaType} can name its return type.
 *
 * @ignore
 */
export function buildModelSchema() {
  const features = allFeatures();
  const inputs = features.filter((f) => f.input);
  const outputs = features.filter((f) => f.output);
  const combiners = allCombiners().map((c) => c.schema as unknown as ZodComponentSchema);
  const defaultsShape: Record<string, z.ZodType> = {};
  for (const f of features) defaultsShape[f.type] = defaultsBlock(f).prefault({});
  return obj({
    model_type: choice(["ecd"] as const, { kind: "model", ludwigOnly: ["gbm", "llm"] }).default(
      "ecd",
    ).describe("Model family: ecd (encoder, combiner, decoder)"),
    ludwig_version: z.string().optional().describe(
      "Ludwig version the config was written for; older layouts are upgraded",
    ),
    input_features: z.array(
      featureUnion(
        inputs,
        inputFeatureSchema,
        "input feature type",
        LUDWIG_ONLY_FEATURE_TYPES.input,
      ),
    ).min(1).describe("The model's inputs"),
    output_features: z.array(
      featureUnion(
        outputs,
        outputFeatureSchema,
        "output feature type",
        LUDWIG_ONLY_FEATURE_TYPES.output,
      ),
    ).min(1).describe("What the model predicts"),
    combiner: typeUnion(nonEmpty(combiners, "combiner"), {
      kind: "combiner",
      ludwigOnly: LUDWIG_ONLY_COMBINERS,
      shorthand: true,
      defaultType: "concat",
    }).describe("How encoder outputs are combined"),
    trainer: TrainerSchema.prefault({}),
    preprocessing: GlobalPreprocessingSchema.prefault({}),
    defaults: obj(defaultsShape).prefault({}).describe(
      "Per feature type: preprocessing, encoder, decoder and loss merged into every feature of that type",
    ),
    hyperopt: HyperoptSchema.nullable().default(null).describe("Hyperparameter search"),
    backend: BackendSchema.prefault({}),
  }, {
    id: "model_config",
    title: "Sonata model config",
    description: "A Sonata (Ludwig-compatible) ECD model config",
  });
}

/** The zod schema of a whole model config (what `modelConfigSchema()` returns). */
export type ModelConfigSchemaType = ReturnType<typeof buildModelSchema>;

let cached: { version: number; schema: ModelConfigSchemaType } | undefined;

/** The current model config schema (rebuilt after runtime registrations). */
export function modelConfigSchema(): ModelConfigSchemaType {
  if (cached === undefined || cached.version !== registryVersion()) {
    cached = { version: registryVersion(), schema: buildModelSchema() };
  }
  return cached.schema;
}

/** A resolved component block: its `type` and every parameter, defaults filled. */
export type ComponentConfig = { readonly type: string } & Readonly<Record<string, unknown>>;

/** A resolved input feature. The components' own fields are typed by their registry schemas. */
export interface InputFeatureConfig {
  /** The feature name (unique across the config). */
  readonly name: string;
  /** The feature type. */
  readonly type: string;
  /** The dataset column read (defaults to the name). */
  readonly column: string;
  /** The column of the preprocessed data, once preprocessing named it. */
  readonly proc_column?: string;
  /** Whether the feature takes part in the model. */
  readonly active: boolean;
  /** The input feature whose encoder weights this one shares, or null. */
  readonly tied: string | null;
  /** Preprocessing parameters, defaults filled. */
  readonly preprocessing: Readonly<Record<string, unknown>>;
  /** The encoder block. */
  readonly encoder: ComponentConfig;
  /** Image features: the resolved training-time augmentation operations (`[]`: none). */
  readonly augmentation?:
    readonly ({ readonly type: string } & Readonly<Record<string, unknown>>)[];
}

/** A resolved output feature. */
export interface OutputFeatureConfig {
  /** The feature name (unique across the config). */
  readonly name: string;
  /** The feature type. */
  readonly type: string;
  /** The dataset column read (defaults to the name). */
  readonly column: string;
  /** The column of the preprocessed data, once preprocessing named it. */
  readonly proc_column?: string;
  /** Whether the feature takes part in the model. */
  readonly active: boolean;
  /** Preprocessing parameters, defaults filled. */
  readonly preprocessing: Readonly<Record<string, unknown>>;
  /** The decoder block. */
  readonly decoder: ComponentConfig;
  /** The loss block, with its weight. */
  readonly loss: ComponentConfig & { readonly weight: number };
  /** How the combiner output is reduced before the decoder, or null. */
  readonly reduce_input: string | null;
  /** Output features whose outputs feed this one. */
  readonly dependencies: readonly string[];
  /** How dependency outputs are reduced, or null. */
  readonly reduce_dependencies: string | null;
  /** Output-level options of the feature type (threshold, top_k, ...). */
  readonly [extra: string]: unknown;
}

/** The `defaults.<type>` block, resolved. */
export interface DefaultsConfig {
  /** Preprocessing parameters, defaults filled. */
  readonly preprocessing?: Readonly<Record<string, unknown>>;
  /** The encoder block. */
  readonly encoder?: ComponentConfig;
  /** The decoder block. */
  readonly decoder?: ComponentConfig;
  /** The loss block, with its weight. */
  readonly loss?: ComponentConfig;
}

/** What the model config schema produces: a config with every default filled (zod's output type). */
export type ModelConfigSchemaOutput = ModelConfigSchemaType["_zod"]["output"];

/**
 * A fully resolved config: every default filled. Sections with a fixed shape (trainer,
 * preprocessing, hyperopt, backend) are typed by the interfaces generated from their schemas
 * (lib/config/types_gen.ts); features and combiners are registry-driven (runtime entries
 * included), so their blocks are typed structurally. A type alias (not an interface), so that a
 * config stays assignable to `Record<string, unknown>` as zod's object types are.
 */
export type ModelConfig = {
  /** Model family: ecd (encoder, combiner, decoder). */
  model_type: "ecd";
  /** Ludwig version the config was written for. */
  ludwig_version?: string;
  /** The model's inputs. */
  input_features: InputFeatureConfig[];
  /** What the model predicts. */
  output_features: OutputFeatureConfig[];
  /** How encoder outputs are combined. */
  combiner: ComponentConfig;
  /** How the model is trained. */
  trainer: ResolvedTrainer;
  /** Global preprocessing: splits, sampling, oversampling. */
  preprocessing: ResolvedPreprocessing;
  /** Per feature type: blocks merged into every feature of that type. */
  defaults: Readonly<Record<string, DefaultsConfig>>;
  /** Hyperparameter search, or null. */
  hyperopt: ResolvedHyperopt | null;
  /** Where and with which engine training runs. */
  backend: ResolvedBackend;
};
/** What a person may write: defaulted keys optional (generated from the schema). */
export type ModelConfigInput = ModelConfigOptions;
