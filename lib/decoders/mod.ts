/**
 * The decoder registry (reference §1b). Every decoder shares an output-specific fully connected
 * stack (`num_fc_layers`, `fc_*`) applied to the combiner output before the decoder proper.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import {
  activation,
  dropout,
  fcLayers,
  initializer,
  layerCount,
  norm,
  normParams,
  obj,
  size,
} from "../config/fields.ts";
import { defineDecoder, type Loader } from "../config/registry.ts";

/** What a `load()` resolves to: the implementation module (`{ build }`). */
type Implementation = ReturnType<Loader>;

/** The FC stack keys every decoder has (Ludwig names them `fc_*`). */
const decoderFc = () => ({
  num_fc_layers: layerCount(0, "Number of fully connected layers before the decoder"),
  fc_layers: fcLayers(),
  fc_output_size: size(256, "Output size of each fully connected layer"),
  fc_use_bias: z.boolean().default(true).describe("Whether the layers have a bias"),
  fc_weights_initializer: initializer("xavier_uniform", "Initializer of the layer weights"),
  fc_bias_initializer: initializer("zeros", "Initializer of the layer biases"),
  fc_activation: activation("relu"),
  fc_dropout: dropout(0),
  fc_norm: norm(null),
  fc_norm_params: normParams(),
});

const projection = () => ({
  use_bias: z.boolean().default(true).describe("Whether the output projection has a bias"),
  weights_initializer: initializer("xavier_uniform", "Initializer of the projection weights"),
  bias_initializer: initializer("zeros", "Initializer of the projection bias"),
  input_size: z.int().min(1).nullable().optional().describe("Internal: size of the input"),
});

/** `regressor`: one linear unit (binary: a logit; number: the value). */
export const regressor = defineDecoder({
  schema: obj({ type: z.literal("regressor"), ...decoderFc(), ...projection() }, {
    id: "decoder.regressor",
    description: "A single linear output unit",
  }),
  featureTypes: ["binary", "number"],
  capabilities: {},
  load: (): Implementation => import("./_impl.ts").then((m) => ({ build: m.regressor })),
});

/** `classifier`: a linear layer to one logit per class (softmax for category, sigmoid for set). */
export const classifier = defineDecoder({
  schema: obj({
    type: z.literal("classifier"),
    ...decoderFc(),
    ...projection(),
    num_classes: z.int().min(1).nullable().optional().describe("Internal: from metadata"),
  }, { id: "decoder.classifier", description: "A linear layer to one logit per class" }),
  featureTypes: ["category", "set"],
  capabilities: {},
  load: (): Implementation => import("./_impl.ts").then((m) => ({ build: m.classifier })),
});

/** `projector`: a linear projection to `output_size` values (vector outputs). */
export const projector = defineDecoder({
  schema: obj({
    type: z.literal("projector"),
    ...decoderFc(),
    ...projection(),
    output_size: z.int().min(1).nullable().default(null).describe(
      "Size of the output vector (null: the vector size from metadata)",
    ),
    activation: activation(null),
    multiplier: z.number().default(1).describe("Scale applied after the activation"),
    clip: z.tuple([z.number(), z.number()]).nullable().default(null).describe(
      "Clip the output to [min, max]",
    ),
  }, { id: "decoder.projector", description: "A linear projection to a vector" }),
  featureTypes: ["vector"],
  capabilities: {},
  load: (): Implementation => import("./_impl.ts").then((m) => ({ build: m.projector })),
});

/** `tagger`: one classification per time step of a sequence-shaped combiner output. */
export const tagger = defineDecoder({
  schema: obj({
    type: z.literal("tagger"),
    ...decoderFc(),
    ...projection(),
    use_attention: z.boolean().default(false).describe("Self-attention before tagging"),
    attention_embedding_size: size(256, "Size of the attention representation"),
    attention_num_heads: size(8, "Number of attention heads"),
    vocab_size: z.int().min(1).nullable().optional().describe("Internal: from metadata"),
    max_sequence_length: z.int().min(1).nullable().optional().describe("Internal: from metadata"),
  }, { id: "decoder.tagger", description: "Classifies every time step of the sequence" }),
  featureTypes: ["sequence", "text"],
  capabilities: { needsSequenceInput: true, forcesReduceInputNull: true },
  load: (): Implementation => import("./_tagger_impl.ts"),
});

/** `generator`: a recurrent decoder generating a sequence greedily. */
export const generator = defineDecoder({
  schema: obj({
    type: z.literal("generator"),
    ...decoderFc(),
    ...projection(),
    cell_type: z.enum(["rnn", "lstm", "gru"]).default("gru").describe("Recurrent cell"),
    num_layers: size(1, "Number of recurrent layers"),
    max_sequence_length: z.int().min(1).nullable().default(null).describe(
      "Longest generated sequence (null: from metadata)",
    ),
    vocab_size: z.int().min(1).nullable().optional().describe("Internal: from metadata"),
  }, { id: "decoder.generator", description: "Generates a sequence with a recurrent decoder" }),
  featureTypes: ["sequence", "text"],
  capabilities: {},
  load: (): Implementation => import("./_generator_impl.ts"),
});

/** Every built-in decoder. */
export const DECODERS = [regressor, classifier, projector, tagger, generator] as const;
