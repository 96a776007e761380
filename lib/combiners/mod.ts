/**
 * The combiner registry (reference §2): how the encoder outputs become one representation.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import {
  activation,
  dropout,
  fcStack,
  initializer,
  obj,
  reduce,
  size,
  typeUnion,
} from "../config/fields.ts";
import { defineCombiner, type Loader } from "../config/registry.ts";

/** What a `load()` resolves to: the implementation module (`{ build }`). */
type Implementation = ReturnType<Loader>;
import {
  cnnrnn,
  parallelCnn,
  rnn,
  sequenceEmbed,
  stackedCnn,
  stackedParallelCnn,
  transformer as transformerEncoder,
} from "../encoders/sequence.ts";

const rank2 = () => 2 as const;
const byReduce = (c: Record<string, unknown>) => (c.reduce_output === null ? 3 : 2) as 2 | 3;

/** `concat`: concatenate encoder outputs on the last axis, then an FC stack. */
export const concat = defineCombiner({
  schema: obj({
    type: z.literal("concat"),
    ...fcStack({ num_fc_layers: 0, output_size: 256 }),
    residual: z.boolean().default(false).describe("Skip connections where sizes match"),
    flatten_inputs: z.boolean().default(false).describe("Flatten rank-3 inputs before concat"),
  }, {
    id: "combiner.concat",
    description: "Concatenates encoder outputs, then a fully connected stack",
  }),
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_concat_impl.ts"),
});

const mainSequenceFeature = () =>
  z.string().nullable().default(null).describe(
    "Input feature whose time steps the others are concatenated onto (null: the first sequence feature)",
  );

/** `sequence_concat`: concatenate features along the hidden axis on a sequence's time steps. */
export const sequenceConcat = defineCombiner({
  schema: obj({
    type: z.literal("sequence_concat"),
    main_sequence_feature: mainSequenceFeature(),
    reduce_output: reduce(null, "How the combined sequence is reduced (null: kept)"),
  }, {
    id: "combiner.sequence_concat",
    description: "Concatenates features on a sequence's time steps",
  }),
  capabilities: { outputRank: byReduce, needsSequenceInputs: true },
  load: (): Implementation => import("./_sequence_concat_impl.ts"),
});

/** `sequence`: `sequence_concat` followed by a sequence encoder. */
export const sequence = defineCombiner({
  schema: obj({
    type: z.literal("sequence"),
    main_sequence_feature: mainSequenceFeature(),
    encoder: typeUnion([
      sequenceEmbed.schema,
      parallelCnn.schema,
      stackedCnn.schema,
      stackedParallelCnn.schema,
      rnn.schema,
      cnnrnn.schema,
      transformerEncoder.schema,
    ], { kind: "sequence encoder", shorthand: true, defaultType: "parallel_cnn" }).describe(
      "The sequence encoder run over the combined sequence",
    ),
    reduce_output: reduce(null, "How the encoded sequence is reduced (null: kept)"),
  }, { id: "combiner.sequence", description: "Concatenates on a sequence, then encodes it" }),
  capabilities: { outputRank: byReduce, needsSequenceInputs: true },
  load: (): Implementation => import("./_sequence_impl.ts"),
});

/** `tabnet`: TabNet attentive feature selection with ghost batch norm. */
export const tabnet = defineCombiner({
  schema: obj({
    type: z.literal("tabnet"),
    size: size(32, "Size of the hidden layers (N_a = N_d)"),
    output_size: size(128, "Size of the output of each step"),
    num_steps: size(3, "Number of decision steps"),
    num_total_blocks: size(4, "Feature transformer blocks per step"),
    num_shared_blocks: z.int().min(0).default(2).describe("Blocks shared across steps"),
    relaxation_factor: z.number().min(1).default(1.5).describe("How often a feature may be reused"),
    bn_epsilon: z.number().positive().default(1e-3).describe("Batch norm epsilon"),
    bn_momentum: z.number().min(0).max(1).default(0.05).describe("Batch norm momentum"),
    bn_virtual_bs: z.int().min(1).nullable().default(1024).describe(
      "Ghost batch norm virtual batch size (null: regular batch norm)",
    ),
    sparsity: z.number().min(0).default(1e-4).describe("Weight of the sparsity loss"),
    entmax_mode: z.enum(["entmax15", "sparsemax", "constant", "adaptive"]).default("sparsemax")
      .describe("Attention normalization"),
    entmax_alpha: z.number().min(1).max(2).default(1.5).describe("Alpha of entmax (constant mode)"),
    dropout: dropout(0.05),
  }, { id: "combiner.tabnet", description: "TabNet attentive feature selection" }),
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_tabnet_impl.ts"),
});

const transformerBlock = () => ({
  num_layers: size(1, "Number of transformer blocks"),
  hidden_size: size(256, "Size of the attention representations"),
  num_heads: size(8, "Number of attention heads"),
  transformer_output_size: size(256, "Size of the feed-forward layer of each block"),
  dropout: dropout(0.1),
  fc_layers: fcStack({ num_fc_layers: 0, output_size: 256 }).fc_layers,
  num_fc_layers: z.int().min(0).default(0).describe("Fully connected layers after the reduction"),
  output_size: size(256, "Output size of each fully connected layer"),
  use_bias: z.boolean().default(true).describe("Whether layers have a bias"),
  weights_initializer: initializer("xavier_uniform", "Initializer of the layer weights"),
  bias_initializer: initializer("zeros", "Initializer of the layer biases"),
  norm: fcStack({ num_fc_layers: 0, output_size: 1 }).norm,
  norm_params: fcStack({ num_fc_layers: 0, output_size: 1 }).norm_params,
  fc_activation: activation("relu"),
  fc_dropout: dropout(0, "Dropout of the fully connected layers"),
  fc_residual: z.boolean().default(false).describe("Skip connections in the FC stack"),
});

/** `transformer`: every feature projected to a token; transformer blocks; reduce; FC. */
export const transformer = defineCombiner({
  schema: obj({
    type: z.literal("transformer"),
    ...transformerBlock(),
    reduce_output: reduce("mean", "How the feature tokens are reduced"),
  }, { id: "combiner.transformer", description: "Transformer over features treated as tokens" }),
  capabilities: { outputRank: byReduce },
  load: (): Implementation => import("./_transformer_impl.ts"),
});

/** `tabtransformer`: transformer over categorical features; numbers layer-normed; concat; FC. */
export const tabtransformer = defineCombiner({
  schema: obj({
    type: z.literal("tabtransformer"),
    ...transformerBlock(),
    embed_input_feature_name: z.union([z.literal("add"), z.int().min(1)]).nullable().default(null)
      .describe("Learned feature-name embedding: null, add, or its width"),
    reduce_output: reduce("concat", "How the feature tokens are reduced"),
  }, {
    id: "combiner.tabtransformer",
    description: "TabTransformer: transformer over categorical features",
  }),
  capabilities: { outputRank: byReduce },
  load: (): Implementation => import("./_tabtransformer_impl.ts"),
});

/** `comparator`: two FC towers for two entities, compared. */
export const comparator = defineCombiner({
  schema: obj({
    type: z.literal("comparator"),
    entity_1: z.array(z.string()).min(1).describe("Input features of the first entity"),
    entity_2: z.array(z.string()).min(1).describe("Input features of the second entity"),
    ...fcStack({ num_fc_layers: 1, output_size: 256 }),
  }, { id: "combiner.comparator", description: "Compares two entities' representations" }),
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_comparator_impl.ts"),
});

/** `project_aggregate`: project each feature, average, then a residual FC stack. */
export const projectAggregate = defineCombiner({
  schema: obj({
    type: z.literal("project_aggregate"),
    projection_size: size(128, "Size each feature is projected to"),
    residual: z.boolean().default(true).describe("Skip connections in the FC stack"),
    ...fcStack({ num_fc_layers: 2, output_size: 128, norm: "layer" }),
  }, {
    id: "combiner.project_aggregate",
    description: "Projects features to one size and averages them",
  }),
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_project_aggregate_impl.ts"),
});

/** Every built-in combiner. */
export const COMBINERS = [
  concat,
  sequenceConcat,
  sequence,
  tabnet,
  transformer,
  tabtransformer,
  comparator,
  projectAggregate,
] as const;

/** Combiners of later Ludwig versions that Sonata does not provide yet. */
export const LUDWIG_ONLY_COMBINERS: readonly string[] = [
  "cross_attention",
  "ft_transformer",
  "gated_fusion",
  "perceiver",
  "hypernetwork",
  "tabpfn_v2",
];
