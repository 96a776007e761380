/**
 * Shared zod field helpers: plain functions that return zod schemas (STYLE B4). Component schemas
 * import only zod and this file.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";

/** Prefix that marks a structured issue payload inside a zod message (decoded in `validate.ts`). */
export const ISSUE_MARKER = "\u0000sonata:";

/** Encode a structured payload into a zod message. */
export function encodeIssue(payload: Record<string, unknown>): string {
  return ISSUE_MARKER + JSON.stringify(payload);
}

/** Metadata every documented field carries. */
export interface FieldMeta {
  /** What the field means, shown in editors and the generated reference. */
  description: string;
  /** Example values. */
  examples?: unknown[];
}

/**
 * A strict object: unknown keys are errors whose messages carry the known keys so that a
 * "did you mean" suggestion can be made.
 */
export function obj<Shape extends z.ZodRawShape>(
  shape: Shape,
  meta?: { id?: string; title?: string; description?: string },
): z.ZodObject<Shape, z.core.$strict> {
  const known = Object.keys(shape);
  const schema = z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? encodeIssue({ code: "unknown_key", known }) : undefined,
  });
  return meta ? schema.meta(meta) : schema;
}

/** Options of {@linkcode typeUnion}. */
export interface TypeUnionOptions {
  /** What the union selects, for messages: "encoder", "combiner", "loss". */
  kind: string;
  /** Names that exist in Ludwig but are not available here yet. */
  ludwigOnly?: readonly string[];
  /** Accept a bare string as shorthand for `{type: name}`. */
  shorthand?: boolean;
  /** The type of an object written without `type` (Ludwig fills the default component). */
  defaultType?: string;
}

type TypedObject = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape, z.core.$strict>;

/**
 * A union of component schemas discriminated by `type`, with the registry's options and Ludwig's
 * not-yet-available names carried into the error. A missing `type` takes `defaultType`; with
 * `shorthand`, a bare string means `{type: name}`.
 */
export function typeUnion<const Options extends readonly [TypedObject, ...TypedObject[]]>(
  options: Options,
  { kind, ludwigOnly = [], shorthand = false, defaultType }: TypeUnionOptions,
) {
  const names = options.map((o) => o.shape.type.value as string);
  const union = z.discriminatedUnion("type", options as unknown as Options, {
    error: (issue) =>
      issue.code === "invalid_union"
        ? encodeIssue({ code: "unknown_type", kind, options: names, ludwigOnly })
        : undefined,
  });
  const schema = z.preprocess((value) => {
    if (shorthand && typeof value === "string") return { type: value };
    if (
      defaultType !== undefined && typeof value === "object" && value !== null &&
      !Array.isArray(value) && !("type" in value)
    ) return { type: defaultType, ...value };
    return value;
  }, union);
  const withDefault = defaultType === undefined
    ? schema
    : schema.prefault({ type: defaultType } as never);
  const result = shorthand ? withDefault.meta({ shorthandTypes: names }) : withDefault;
  // Typed as the union (with an optional input when defaulted): the preprocessing step only
  // widens what is accepted (shorthand strings, a missing type).
  return result as unknown as z.ZodPrefault<typeof union>;
}

/** A number in [0, 1]. */
export function probability(def: number, description: string) {
  return z.number().min(0).max(1).default(def).describe(description);
}

/** Dropout rate in [0, 1). */
export function dropout(def = 0, description = "Dropout rate applied after each layer") {
  return z.number().min(0).lt(1).default(def).describe(description);
}

/** Ludwig's activation names. */
export const ACTIVATIONS = [
  "relu",
  "elu",
  "leakyRelu",
  "logSigmoid",
  "sigmoid",
  "tanh",
  "softmax",
  "gelu",
  "linear",
] as const;

/** An activation function name, or null for none. */
export function activation(def: (typeof ACTIVATIONS)[number] | null = "relu") {
  return z.enum(ACTIVATIONS).nullable().default(def).describe("Activation function");
}

/** Ludwig's initializer names. */
export const INITIALIZERS = [
  "uniform",
  "normal",
  "constant",
  "ones",
  "zeros",
  "eye",
  "dirac",
  "xavier_uniform",
  "xavier_normal",
  "kaiming_uniform",
  "kaiming_normal",
  "orthogonal",
  "sparse",
  "identity",
] as const;

/** An initializer: a name, or `{type, ...params}` (Ludwig's dict form). */
export function initializer(def: (typeof INITIALIZERS)[number], description: string) {
  return z.union([
    z.enum(INITIALIZERS),
    z.looseObject({ type: z.enum(INITIALIZERS) }),
  ]).default(def).describe(description);
}

/** Normalization layer: batch, layer or ghost batch norm, or null. */
export function norm(def: "batch" | "layer" | "ghost" | null = null) {
  return z.enum(["batch", "layer", "ghost"]).nullable().default(def).describe(
    "Normalization applied after each fully connected layer: batch, layer or ghost (virtual batch) norm",
  );
}

/** Parameters passed to the normalization layer (momentum, epsilon, virtual_batch_size). */
export function normParams() {
  return obj({
    momentum: z.number().min(0).max(1).optional().describe("Running-statistics momentum"),
    epsilon: z.number().positive().optional().describe("Added to the variance"),
    eps: z.number().positive().optional().describe("Alias of epsilon (PyTorch spelling)"),
    virtual_batch_size: z.int().min(1).optional().describe("Ghost batch norm chunk size"),
    elementwise_affine: z.boolean().optional().describe("Layer norm learns scale and offset"),
  }).nullable().default(null).describe("Parameters of the normalization layer");
}

/** Ways of reducing a sequence of vectors to one vector. */
export const REDUCE_MODES = [
  "sum",
  "mean",
  "avg",
  "max",
  "concat",
  "last",
  "attention",
  "none",
] as const;

/** A reduction mode or null (keep the sequence). */
export function reduce(def: (typeof REDUCE_MODES)[number] | null, description: string) {
  return z.enum(REDUCE_MODES).nullable().default(def).describe(description);
}

/** One layer of a fully connected stack: overrides of the stack-level defaults. */
export const FcLayerSchema = obj({
  output_size: z.int().min(1).optional().describe("Output size of this layer"),
  use_bias: z.boolean().optional().describe("Whether this layer has a bias"),
  weights_initializer: z.union([
    z.enum(INITIALIZERS),
    z.looseObject({ type: z.enum(INITIALIZERS) }),
  ])
    .optional().describe("Initializer of this layer's weights"),
  bias_initializer: z.union([z.enum(INITIALIZERS), z.looseObject({ type: z.enum(INITIALIZERS) })])
    .optional().describe("Initializer of this layer's bias"),
  norm: z.enum(["batch", "layer", "ghost"]).nullable().optional().describe("This layer's norm"),
  norm_params: z.record(z.string(), z.unknown()).nullable().optional().describe(
    "This layer's norm parameters",
  ),
  activation: z.enum(ACTIVATIONS).nullable().optional().describe("This layer's activation"),
  dropout: z.number().min(0).lt(1).optional().describe("This layer's dropout"),
}, { id: "fc_layer", description: "Per-layer overrides of a fully connected stack" });

/** A list of per-layer overrides, or null to use `num_fc_layers` copies of the defaults. */
export function fcLayers() {
  return z.array(FcLayerSchema).nullable().default(null).describe(
    "Per-layer settings of the fully connected stack; overrides num_fc_layers",
  );
}

/** A non-negative integer count of layers. */
export function layerCount(def: number, description: string) {
  return z.int().min(0).default(def).describe(description);
}

/** A positive integer size. */
export function size(def: number, description: string) {
  return z.int().min(1).default(def).describe(description);
}

/** Nullable positive integer size. */
export function optionalSize(description: string) {
  return z.int().min(1).nullable().default(null).describe(description);
}

/** The common fully connected stack parameters of encoders and combiners (Ludwig's names). */
export function fcStack(defaults: {
  num_fc_layers: number;
  output_size: number;
  activation?: (typeof ACTIVATIONS)[number] | null;
  norm?: "batch" | "layer" | "ghost" | null;
  dropout?: number;
}) {
  return {
    fc_layers: fcLayers(),
    num_fc_layers: layerCount(defaults.num_fc_layers, "Number of fully connected layers"),
    output_size: size(defaults.output_size, "Output size of each fully connected layer"),
    use_bias: z.boolean().default(true).describe("Whether layers have a bias"),
    weights_initializer: initializer("xavier_uniform", "Initializer of the layer weights"),
    bias_initializer: initializer("zeros", "Initializer of the layer biases"),
    norm: norm(defaults.norm ?? null),
    norm_params: normParams(),
    activation: activation(defaults.activation === undefined ? "relu" : defaults.activation),
    dropout: dropout(defaults.dropout ?? 0),
  };
}

/**
 * A choice among names, with Ludwig's not-yet-available names carried into the error so the
 * message can say so.
 */
export function choice<const T extends readonly [string, ...string[]]>(
  values: T,
  { kind, ludwigOnly = [] }: { kind: string; ludwigOnly?: readonly string[] },
) {
  return z.enum(values, {
    error: (issue) =>
      issue.code === "invalid_value"
        ? encodeIssue({ code: "unknown_type", kind, options: values, ludwigOnly })
        : undefined,
  });
}
