/**
 * Encoders of sequence and text features (reference §1e). Each maps token ids [batch, seq] to
 * [batch, hidden] after `reduce_output`, or [batch, seq, hidden] when `reduce_output` is null.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import {
  activation,
  dropout,
  fcLayers,
  initializer,
  norm,
  normParams,
  obj,
  reduce,
  size,
} from "../config/fields.ts";
import { defineEncoder, type Loader } from "../config/registry.ts";

/** What a `load()` resolves to: the implementation module (`{ build }`). */
type Implementation = ReturnType<Loader>;

const SEQUENCE_TYPES = ["sequence", "text"] as const;
const byReduce = (c: Record<string, unknown>) => (c.reduce_output === null ? 3 : 2) as 2 | 3;

/** Embedding parameters shared by every sequence encoder that embeds tokens. */
const embedding = (embeddingSize: number) => ({
  representation: z.enum(["dense", "sparse"]).default("dense").describe(
    "dense: trainable embeddings; sparse: fixed one-hot embeddings",
  ),
  embedding_size: size(embeddingSize, "Size of each token's embedding"),
  embeddings_trainable: z.boolean().default(true).describe("Whether embeddings are trained"),
  pretrained_embeddings: z.string().nullable().default(null).describe(
    "Path to a GloVe-format text file whose vectors initialize the embeddings",
  ),
  embeddings_on_cpu: z.boolean().default(false).describe(
    "Keep embeddings in host memory (accepted for Ludwig compatibility)",
  ),
  vocab: z.array(z.string()).nullable().optional().describe("Internal: filled from metadata"),
  vocab_size: z.int().min(1).nullable().optional().describe("Internal: filled from metadata"),
  max_sequence_length: z.int().min(1).nullable().optional().describe(
    "Internal: filled from metadata",
  ),
});

/** FC stack keys of sequence encoders (`num_fc_layers` and `fc_layers` are exclusive). */
const sequenceFc = (numFc: number | null, outputSize: number) => ({
  fc_layers: fcLayers(),
  num_fc_layers: z.int().min(0).nullable().default(numFc).describe(
    "Number of fully connected layers after the reduction",
  ),
  output_size: size(outputSize, "Output size of each fully connected layer"),
  use_bias: z.boolean().default(true).describe("Whether layers have a bias"),
  weights_initializer: initializer("xavier_uniform", "Initializer of the layer weights"),
  bias_initializer: initializer("zeros", "Initializer of the layer biases"),
  norm: norm(null),
  norm_params: normParams(),
});

const convLayer = obj({
  filter_size: z.int().min(1).optional().describe("Width of the 1-D convolution"),
  num_filters: z.int().min(1).optional().describe("Number of filters"),
  strides: z.int().min(1).optional().describe("Stride"),
  padding: z.enum(["same", "valid"]).optional().describe("Padding"),
  dilation_rate: z.int().min(1).optional().describe("Dilation"),
  activation: z.enum(["relu", "elu", "leakyRelu", "sigmoid", "tanh", "gelu", "linear"]).nullable()
    .optional().describe("Activation"),
  dropout: z.number().min(0).lt(1).optional().describe("Dropout"),
  norm: z.enum(["batch", "layer", "ghost"]).nullable().optional().describe("Norm"),
  norm_params: z.record(z.string(), z.unknown()).nullable().optional().describe("Norm params"),
  pool_function: z.enum(["max", "average", "avg", "mean"]).optional().describe("Pooling"),
  pool_size: z.int().min(1).nullable().optional().describe("Pooling window"),
  pool_strides: z.int().min(1).nullable().optional().describe("Pooling stride"),
  pool_padding: z.enum(["same", "valid"]).optional().describe("Pooling padding"),
  use_bias: z.boolean().optional().describe("Bias"),
  weights_initializer: z.string().optional().describe("Weights initializer"),
  bias_initializer: z.string().optional().describe("Bias initializer"),
}, { id: "conv_layer", description: "Per-layer overrides of a convolution stack" });

const convDefaults = (filterSize: number) => ({
  filter_size: size(filterSize, "Width of each 1-D convolution"),
  num_filters: size(256, "Number of filters of each convolution"),
  pool_function: z.enum(["max", "average", "avg", "mean"]).default("max").describe(
    "Pooling function",
  ),
  pool_size: z.int().min(1).nullable().default(null).describe("Pooling window (null: none)"),
  activation: activation("relu"),
  dropout: dropout(0),
});

const recurrent = (stateSize: number) => ({
  state_size: size(stateSize, "Size of the recurrent state"),
  cell_type: z.enum(["rnn", "lstm", "gru"]).default("rnn").describe("Recurrent cell"),
  bidirectional: z.boolean().default(false).describe("Run the recurrence in both directions"),
  activation: z.enum(["tanh", "relu", "sigmoid", "elu", "linear"]).default("tanh").describe(
    "Activation of the cell",
  ),
  recurrent_activation: z.enum(["sigmoid", "tanh", "relu", "hard_sigmoid"]).default("sigmoid")
    .describe("Activation of the gates"),
  unit_forget_bias: z.boolean().default(true).describe("Add 1 to the forget gate bias (LSTM)"),
  recurrent_initializer: initializer("orthogonal", "Initializer of the recurrent weights"),
  dropout: dropout(0),
  recurrent_dropout: dropout(0, "Dropout on the recurrent state"),
  fc_activation: activation("relu"),
  fc_dropout: dropout(0, "Dropout of the fully connected layers"),
});

/** `embed`: token embeddings, reduced. */
export const sequenceEmbed = defineEncoder({
  schema: obj({
    type: z.literal("embed"),
    ...embedding(256),
    weights_initializer: initializer("uniform", "Initializer of the embeddings"),
    dropout: dropout(0),
    reduce_output: reduce("sum", "How token vectors are reduced to one vector"),
  }, { id: "encoder.sequence.embed", description: "Embeds each token, then reduces the sequence" }),
  featureTypes: SEQUENCE_TYPES,
  capabilities: { outputRank: byReduce, needsVocab: true },
  load: (): Implementation => import("./_sequence_impl.ts").then((m) => ({ build: m.embed })),
});

/** `parallel_cnn`: parallel 1-D convolutions (widths 2, 3, 4, 5) over embeddings, FC. */
export const parallelCnn = defineEncoder({
  schema: obj({
    type: z.literal("parallel_cnn"),
    should_embed: z.boolean().default(true).describe("Embed token ids (false: inputs are vectors)"),
    ...embedding(256),
    conv_layers: z.array(convLayer).nullable().default(null).describe(
      "Per-convolution settings (default: widths 2, 3, 4, 5)",
    ),
    num_conv_layers: z.int().min(1).nullable().default(null).describe("Number of convolutions"),
    ...convDefaults(3),
    ...sequenceFc(null, 256),
    reduce_output: reduce("sum", "How the outputs over time are reduced"),
  }, {
    id: "encoder.sequence.parallel_cnn",
    description: "Parallel 1-D convolutions over token embeddings",
  }),
  featureTypes: SEQUENCE_TYPES,
  capabilities: { outputRank: byReduce, needsVocab: true },
  load: (): Implementation => import("./_sequence_impl.ts").then((m) => ({ build: m.parallelCnn })),
});

/** `stacked_cnn`: stacked 1-D convolutions with pooling, FC. */
export const stackedCnn = defineEncoder({
  schema: obj({
    type: z.literal("stacked_cnn"),
    should_embed: z.boolean().default(true).describe("Embed token ids (false: inputs are vectors)"),
    ...embedding(256),
    conv_layers: z.array(convLayer).nullable().default(null).describe(
      "Per-layer settings (default: 6 layers, widths 7, 7, 3, 3, 3, 3 with pooling 3)",
    ),
    num_conv_layers: z.int().min(1).nullable().default(null).describe("Number of convolutions"),
    ...convDefaults(3),
    strides: size(1, "Convolution stride"),
    padding: z.enum(["same", "valid"]).default("same").describe("Convolution padding"),
    dilation_rate: size(1, "Convolution dilation"),
    pool_strides: z.int().min(1).nullable().default(null).describe("Pooling stride"),
    pool_padding: z.enum(["same", "valid"]).default("same").describe("Pooling padding"),
    ...sequenceFc(null, 256),
    reduce_output: reduce("sum", "How the outputs over time are reduced"),
  }, {
    id: "encoder.sequence.stacked_cnn",
    description: "Stacked 1-D convolutions over token embeddings",
  }),
  featureTypes: SEQUENCE_TYPES,
  capabilities: { outputRank: byReduce, needsVocab: true },
  load: (): Implementation => import("./_sequence_impl.ts").then((m) => ({ build: m.stackedCnn })),
});

/** `stacked_parallel_cnn`: stacked blocks of parallel convolutions, FC. */
export const stackedParallelCnn = defineEncoder({
  schema: obj({
    type: z.literal("stacked_parallel_cnn"),
    should_embed: z.boolean().default(true).describe("Embed token ids (false: inputs are vectors)"),
    ...embedding(256),
    stacked_layers: z.array(z.array(convLayer)).nullable().default(null).describe(
      "Per-block lists of parallel convolutions (default: 3 blocks of widths 2, 3, 4, 5)",
    ),
    num_stacked_layers: z.int().min(1).nullable().default(null).describe("Number of blocks"),
    ...convDefaults(3),
    ...sequenceFc(null, 256),
    reduce_output: reduce("sum", "How the outputs over time are reduced"),
  }, {
    id: "encoder.sequence.stacked_parallel_cnn",
    description: "Stacked blocks of parallel 1-D convolutions",
  }),
  featureTypes: SEQUENCE_TYPES,
  capabilities: { outputRank: byReduce, needsVocab: true },
  load: (): Implementation =>
    import("./_sequence_impl.ts").then((m) => ({ build: m.stackedParallelCnn })),
});

/** `rnn`: stacked recurrent layers (rnn, lstm, gru), optionally bidirectional. */
export const rnn = defineEncoder({
  schema: obj({
    type: z.literal("rnn"),
    should_embed: z.boolean().default(true).describe("Embed token ids (false: inputs are vectors)"),
    ...embedding(256),
    num_layers: size(1, "Number of stacked recurrent layers"),
    ...recurrent(256),
    ...sequenceFc(0, 256),
    reduce_output: reduce("last", "How the outputs over time are reduced"),
  }, { id: "encoder.sequence.rnn", description: "Recurrent layers over token embeddings" }),
  featureTypes: SEQUENCE_TYPES,
  capabilities: { outputRank: byReduce, needsVocab: true },
  load: (): Implementation => import("./_sequence_impl.ts").then((m) => ({ build: m.rnn })),
});

/** `cnnrnn`: convolutions followed by recurrent layers. */
export const cnnrnn = defineEncoder({
  schema: obj({
    type: z.literal("cnnrnn"),
    should_embed: z.boolean().default(true).describe("Embed token ids (false: inputs are vectors)"),
    ...embedding(256),
    conv_layers: z.array(convLayer).nullable().default(null).describe("Per-convolution settings"),
    num_conv_layers: z.int().min(1).default(1).describe("Number of convolutions"),
    num_filters: size(256, "Number of filters of each convolution"),
    filter_size: size(5, "Width of each convolution"),
    strides: size(1, "Convolution stride"),
    padding: z.enum(["same", "valid"]).default("same").describe("Convolution padding"),
    dilation_rate: size(1, "Convolution dilation"),
    conv_activation: activation("relu"),
    conv_dropout: dropout(0, "Dropout after each convolution"),
    pool_function: z.enum(["max", "average", "avg", "mean"]).default("max").describe("Pooling"),
    pool_size: size(2, "Pooling window"),
    pool_strides: z.int().min(1).nullable().default(null).describe("Pooling stride"),
    pool_padding: z.enum(["same", "valid"]).default("same").describe("Pooling padding"),
    num_rec_layers: size(1, "Number of recurrent layers"),
    ...recurrent(256),
    ...sequenceFc(0, 256),
    reduce_output: reduce("last", "How the outputs over time are reduced"),
  }, { id: "encoder.sequence.cnnrnn", description: "Convolutions followed by recurrent layers" }),
  featureTypes: SEQUENCE_TYPES,
  capabilities: { outputRank: byReduce, needsVocab: true },
  load: (): Implementation => import("./_sequence_impl.ts").then((m) => ({ build: m.cnnrnn })),
});

/** `transformer`: transformer blocks over token + position embeddings. */
export const transformer = defineEncoder({
  schema: obj({
    type: z.literal("transformer"),
    should_embed: z.boolean().default(true).describe("Embed token ids (false: inputs are vectors)"),
    ...embedding(256),
    num_layers: size(1, "Number of transformer blocks"),
    hidden_size: size(256, "Size of the attention representations"),
    num_heads: size(8, "Number of attention heads"),
    transformer_output_size: size(256, "Size of the feed-forward layer of each block"),
    dropout: dropout(0.1),
    fc_activation: activation("relu"),
    fc_dropout: dropout(0, "Dropout of the fully connected layers"),
    ...sequenceFc(0, 256),
    reduce_output: reduce("last", "How the outputs over time are reduced"),
  }, {
    id: "encoder.sequence.transformer",
    description: "Transformer blocks over token embeddings",
  }),
  featureTypes: SEQUENCE_TYPES,
  capabilities: { outputRank: byReduce, needsVocab: true },
  load: (): Implementation => import("./_sequence_impl.ts").then((m) => ({ build: m.transformer })),
});

/** `tf_idf`: the TF-IDF vector of the text (vocabulary and IDF fitted in preprocessing). */
export const tfIdf = defineEncoder({
  schema: obj({
    type: z.literal("tf_idf"),
    vocab: z.array(z.string()).nullable().optional().describe("Internal: filled from metadata"),
    vocab_size: z.int().min(1).nullable().optional().describe("Internal: filled from metadata"),
    str2idf: z.record(z.string(), z.number()).nullable().optional().describe(
      "Internal: IDF of each token, filled from metadata",
    ),
  }, { id: "encoder.text.tf_idf", description: "TF-IDF vector of the text" }),
  featureTypes: ["text"],
  capabilities: {
    outputRank: () => 2,
    needsVocab: true,
    forcedPreprocessing: { compute_idf: true },
  },
  load: (): Implementation => import("./_sequence_impl.ts").then((m) => ({ build: m.tfIdf })),
});
