/**
 * Encoders of the tabular feature types: binary, number, category, set, bag, vector, date, h3.
 *
 * Shapes (Keras style): every encoder here maps one feature's preprocessed tensor to
 * [batch, output_size] (h3 `embed`/`rnn` reduce over the 19 h3 components first).
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import {
  activation,
  dropout,
  fcLayers,
  fcStack,
  initializer,
  layerCount,
  norm,
  normParams,
  obj,
  reduce,
  size,
} from "../config/fields.ts";
import { defineEncoder, type Loader } from "../config/registry.ts";

/** What a `load()` resolves to: the implementation module (`{ build }`). */
type Implementation = ReturnType<Loader>;

const rank2 = () => 2 as const;

const pretrainedEmbeddings = () =>
  z.string().nullable().default(null).describe(
    "Path to a GloVe-format text file whose vectors initialize the embeddings",
  );
const embeddingsTrainable = (def = true) =>
  z.boolean().default(def).describe("Whether the embedding weights are updated in training");
const embeddingsOnCpu = () =>
  z.boolean().default(false).describe(
    "Keep embeddings in host memory (accepted for Ludwig compatibility; Sonata's CPU engines always do)",
  );
const vocabKeys = {
  vocab: z.array(z.string()).nullable().optional().describe(
    "Internal: the vocabulary, filled from training-set metadata",
  ),
  vocab_size: z.int().min(1).nullable().optional().describe(
    "Internal: vocabulary size, filled from training-set metadata",
  ),
};

/** `passthrough`: the preprocessed value itself, as [batch, 1] (or [batch, size] for vectors). */
export const passthrough = defineEncoder({
  schema: obj({
    type: z.literal("passthrough"),
  }, {
    id: "encoder.passthrough",
    description: "Feeds the preprocessed value to the combiner unchanged",
  }),
  featureTypes: ["binary", "number", "category", "vector"],
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_tabular_impl.ts").then((m) => ({ build: m.passthrough })),
});

/** `dense`: a fully connected stack over the numeric input (binary, number, vector). */
export const dense = defineEncoder({
  schema: obj({
    type: z.literal("dense"),
    output_size: size(256, "Output size of each fully connected layer"),
    num_layers: layerCount(1, "Number of fully connected layers"),
    fc_layers: fcLayers(),
    use_bias: z.boolean().default(true).describe("Whether layers have a bias"),
    weights_initializer: initializer("xavier_uniform", "Initializer of the layer weights"),
    bias_initializer: initializer("zeros", "Initializer of the layer biases"),
    norm: norm(null),
    norm_params: normParams(),
    activation: activation("relu"),
    dropout: dropout(0),
    input_size: z.int().min(1).nullable().optional().describe("Internal: size of the input vector"),
  }, {
    id: "encoder.dense",
    description: "A stack of fully connected layers over a numeric input",
  }),
  featureTypes: ["binary", "number", "vector"],
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_tabular_impl.ts").then((m) => ({ build: m.dense })),
});

/** Category `dense`: a trainable embedding lookup of size `embedding_size`. */
export const categoryDense = defineEncoder({
  schema: obj({
    type: z.literal("dense"),
    embedding_size: size(50, "Size of the embedding of each category"),
    embeddings_trainable: embeddingsTrainable(true),
    pretrained_embeddings: pretrainedEmbeddings(),
    embeddings_on_cpu: embeddingsOnCpu(),
    embedding_initializer: z.union([
      z.enum([
        "uniform",
        "normal",
        "xavier_uniform",
        "xavier_normal",
        "kaiming_uniform",
        "kaiming_normal",
        "orthogonal",
      ]),
      z.looseObject({ type: z.string() }),
    ]).nullable().default(null).describe("Initializer of the embedding matrix (null: uniform)"),
    dropout: dropout(0),
    ...vocabKeys,
  }, {
    id: "encoder.category.dense",
    description: "Embeds each category in a dense trainable vector",
  }),
  featureTypes: ["category"],
  capabilities: { outputRank: rank2, needsVocab: true },
  load: (): Implementation =>
    import("./_tabular_impl.ts").then((m) => ({ build: m.categoryDense })),
});

/** Category `sparse`: a frozen one-hot embedding matrix (identity), i.e. one-hot vectors. */
export const categorySparse = defineEncoder({
  schema: obj({
    type: z.literal("sparse"),
    embeddings_trainable: embeddingsTrainable(false),
    pretrained_embeddings: pretrainedEmbeddings(),
    embeddings_on_cpu: embeddingsOnCpu(),
    dropout: dropout(0),
    ...vocabKeys,
  }, {
    id: "encoder.category.sparse",
    description: "One-hot embeddings through a fixed identity matrix",
  }),
  featureTypes: ["category"],
  capabilities: { outputRank: rank2, needsVocab: true },
  load: (): Implementation =>
    import("./_tabular_impl.ts").then((m) => ({ build: m.categorySparse })),
});

/** Category `onehot`: the one-hot vector of the category. */
export const categoryOnehot = defineEncoder({
  schema: obj({
    type: z.literal("onehot"),
    ...vocabKeys,
  }, { id: "encoder.category.onehot", description: "The one-hot vector of the category" }),
  featureTypes: ["category"],
  capabilities: { outputRank: rank2, needsVocab: true },
  load: (): Implementation =>
    import("./_tabular_impl.ts").then((m) => ({ build: m.categoryOnehot })),
});

const setBagEmbedShape = {
  representation: z.enum(["dense", "sparse"]).default("dense").describe(
    "dense: trainable embeddings; sparse: fixed one-hot embeddings",
  ),
  embedding_size: size(50, "Size of each item's embedding"),
  embeddings_trainable: embeddingsTrainable(true),
  pretrained_embeddings: pretrainedEmbeddings(),
  embeddings_on_cpu: embeddingsOnCpu(),
  ...fcStack({ num_fc_layers: 0, output_size: 10 }),
  ...vocabKeys,
};

/** Set `embed`: the sum of the embeddings of the items present, then an optional FC stack. */
export const setEmbed = defineEncoder({
  schema: obj({ type: z.literal("embed"), ...setBagEmbedShape }, {
    id: "encoder.set.embed",
    description: "Sums the embeddings of the items in the set, then a fully connected stack",
  }),
  featureTypes: ["set"],
  capabilities: { outputRank: rank2, needsVocab: true },
  load: (): Implementation => import("./_tabular_impl.ts").then((m) => ({ build: m.setEmbed })),
});

/** Bag `embed`: the count-weighted sum of item embeddings, then an optional FC stack. */
export const bagEmbed = defineEncoder({
  schema: obj({
    type: z.literal("embed"),
    ...setBagEmbedShape,
    force_embedding_size: z.boolean().default(false).describe(
      "Use embedding_size even when it exceeds the vocabulary size",
    ),
  }, {
    id: "encoder.bag.embed",
    description: "Sums item embeddings weighted by their counts, then a fully connected stack",
  }),
  featureTypes: ["bag"],
  capabilities: { outputRank: rank2, needsVocab: true },
  load: (): Implementation => import("./_tabular_impl.ts").then((m) => ({ build: m.setEmbed })),
});

/** Date `embed`: one embedding per date component (year, month, day, weekday ...), then FC. */
export const dateEmbed = defineEncoder({
  schema: obj({
    type: z.literal("embed"),
    embedding_size: size(10, "Size of each date component's embedding"),
    embeddings_on_cpu: embeddingsOnCpu(),
    ...fcStack({ num_fc_layers: 0, output_size: 10 }),
  }, {
    id: "encoder.date.embed",
    description: "Embeds each date component, then a fully connected stack",
  }),
  featureTypes: ["date"],
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_tabular_impl.ts").then((m) => ({ build: m.dateEmbed })),
});

/** Date `wave`: periodic (sine) features of each date component, then FC. */
export const dateWave = defineEncoder({
  schema: obj({
    type: z.literal("wave"),
    ...fcStack({ num_fc_layers: 1, output_size: 10 }),
  }, {
    id: "encoder.date.wave",
    description: "Periodic features of the date components, then a fully connected stack",
  }),
  featureTypes: ["date"],
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_tabular_impl.ts").then((m) => ({ build: m.dateWave })),
});

/** H3 `embed`: embeddings of mode, edge, resolution, base cell and cells, reduced, then FC. */
export const h3Embed = defineEncoder({
  schema: obj({
    type: z.literal("embed"),
    embedding_size: size(10, "Size of each h3 component's embedding"),
    embeddings_on_cpu: embeddingsOnCpu(),
    reduce_output: reduce("sum", "How the component embeddings are reduced to one vector"),
    ...fcStack({ num_fc_layers: 0, output_size: 10 }),
  }, { id: "encoder.h3.embed", description: "Embeds the h3 components and reduces them" }),
  featureTypes: ["h3"],
  capabilities: { outputRank: (c) => (c.reduce_output === null ? 3 : 2) },
  load: (): Implementation => import("./_tabular_impl.ts").then((m) => ({ build: m.h3Embed })),
});

/** H3 `weighted_sum`: a learned weighted sum of the component embeddings, then FC. */
export const h3WeightedSum = defineEncoder({
  schema: obj({
    type: z.literal("weighted_sum"),
    embedding_size: size(10, "Size of each h3 component's embedding"),
    embeddings_on_cpu: embeddingsOnCpu(),
    should_softmax: z.boolean().default(false).describe("Softmax the learned weights"),
    ...fcStack({ num_fc_layers: 0, output_size: 10 }),
  }, {
    id: "encoder.h3.weighted_sum",
    description: "A learned weighted sum of the h3 component embeddings",
  }),
  featureTypes: ["h3"],
  capabilities: { outputRank: rank2 },
  load: (): Implementation =>
    import("./_tabular_impl.ts").then((m) => ({ build: m.h3WeightedSum })),
});

/** H3 `rnn`: a recurrent network over the component embeddings. */
export const h3Rnn = defineEncoder({
  schema: obj({
    type: z.literal("rnn"),
    embedding_size: size(10, "Size of each h3 component's embedding"),
    embeddings_on_cpu: embeddingsOnCpu(),
    num_layers: size(1, "Number of stacked recurrent layers"),
    hidden_size: size(10, "Size of the recurrent state"),
    cell_type: z.enum(["rnn", "lstm", "gru"]).default("rnn").describe("Recurrent cell"),
    bidirectional: z.boolean().default(false).describe("Run the recurrence in both directions"),
    activation: z.enum(["tanh", "relu", "sigmoid", "elu", "linear"]).default("tanh").describe(
      "Activation of the cell",
    ),
    recurrent_activation: z.enum(["sigmoid", "tanh", "relu", "hard_sigmoid"]).default("sigmoid")
      .describe("Activation of the gates"),
    use_bias: z.boolean().default(true).describe("Whether the cell has biases"),
    unit_forget_bias: z.boolean().default(true).describe("Add 1 to the forget gate bias (LSTM)"),
    weights_initializer: initializer("xavier_uniform", "Initializer of the input weights"),
    recurrent_initializer: initializer("orthogonal", "Initializer of the recurrent weights"),
    bias_initializer: initializer("zeros", "Initializer of the biases"),
    dropout: dropout(0),
    recurrent_dropout: dropout(0, "Dropout on the recurrent state"),
    reduce_output: reduce("last", "How the outputs over components are reduced"),
  }, { id: "encoder.h3.rnn", description: "A recurrent network over the h3 component embeddings" }),
  featureTypes: ["h3"],
  capabilities: { outputRank: (c) => (c.reduce_output === null ? 3 : 2) },
  load: (): Implementation => import("./_tabular_impl.ts").then((m) => ({ build: m.h3Rnn })),
});
