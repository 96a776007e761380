/**
 * Schemas of the image encoders (Ludwig 0.7's names and defaults): `stacked_cnn`, Ludwig's own
 * ResNet `_resnet_legacy`, `mlp_mixer` and Ludwig's own ViT `_vit_legacy`. Each encodes an NHWC
 * image batch `[batch, height, width, channels]` into `[batch, output]`.
 *
 * Not registered yet: the image encoder entries of the registry plug them in. Settings TF.js
 * cannot honour are rejected here with the reason (grouped or dilated convolutions, pooling dilation,
 * `replicate`/`circular` padding modes, pretrained ViT weights, gradient checkpointing).
 *
 * @module
 */
import { z } from "zod";
import {
  activation,
  ACTIVATIONS,
  choice,
  dropout,
  fcLayers,
  initializer,
  layerCount,
  obj,
  size,
} from "../config/fields.ts";

const intOrPair = (min: number) =>
  z.union([z.int().min(min), z.tuple([z.int().min(min), z.int().min(min)])]);

const convNorm = () =>
  z.enum(["batch", "layer"]).nullable().default(null).describe(
    "Normalization after each convolution: batch or layer (over channels), or null",
  );

const normParamsDict = (what: string) =>
  z.record(z.string(), z.unknown()).nullable().default(null).describe(
    `Parameters of the ${what} normalization (momentum, epsilon/eps)`,
  );

const imageSize = (what: string) =>
  z.int().min(0).nullable().default(null).describe(
    `${what} of the input image (set from the feature's preprocessing)`,
  );

const padding = () =>
  z.union([z.enum(["valid", "same"]), intOrPair(0)]).default("valid").describe(
    "Convolution padding: valid, same, or pixels per side (an int or [h, w])",
  );

const paddingModeChoice = () =>
  choice(["zeros", "reflect"] as const, {
    kind: "padding mode",
    ludwigOnly: ["replicate", "circular"],
  }).describe("How numeric padding is filled: zeros or reflect");
const paddingMode = () => paddingModeChoice().default("zeros");

const poolFunctionChoice = () =>
  z.enum(["max", "average", "avg", "mean"]).describe("Pooling function");
const poolFunction = () => poolFunctionChoice().default("max");

const groups = () =>
  z.literal(1).default(1).describe(
    "Convolution groups (only 1: TF.js has no grouped convolution)",
  );

const ones = () => z.union([z.literal(1), z.tuple([z.literal(1), z.literal(1)])]);

const poolDilation = () =>
  ones().default(1).describe(
    "Pooling dilation (only 1: TF.js pooling has no dilation)",
  );

/** One layer of `conv_layers`: overrides of the stack-level conv defaults. */
export const Conv2dLayerSchema = obj({
  out_channels: z.int().min(1).optional().describe("Filters of this convolution"),
  kernel_size: intOrPair(1).optional().describe("Kernel size (int or [h, w])"),
  stride: intOrPair(1).optional().describe("Stride (int or [h, w])"),
  padding: z.union([z.enum(["valid", "same"]), intOrPair(0)]).optional().describe("Padding"),
  // Without defaults: an absent key takes the stack-level setting.
  padding_mode: paddingModeChoice().optional(),
  dilation: ones().optional().describe("Dilation (only 1)"),
  groups: z.literal(1).optional().describe("Groups (only 1)"),
  use_bias: z.boolean().optional().describe("Whether the convolution has a bias"),
  norm: z.enum(["batch", "layer"]).nullable().optional().describe("Normalization"),
  norm_params: z.record(z.string(), z.unknown()).nullable().optional().describe("Norm parameters"),
  activation: z.enum(ACTIVATIONS).nullable().optional().describe("Activation function"),
  dropout: z.number().min(0).lt(1).optional().describe("Dropout after the activation"),
  pool_function: poolFunctionChoice().optional(),
  pool_kernel_size: intOrPair(1).nullable().optional().describe(
    "Pooling size (null: no pooling after this layer)",
  ),
  pool_stride: intOrPair(1).nullable().optional().describe("Pooling stride (null: the pool size)"),
  pool_padding: intOrPair(0).optional().describe("Pooling padding per side"),
  pool_dilation: ones().optional()
    .describe("Pooling dilation (only 1)"),
}, { id: "conv2d_layer", description: "Per-layer overrides of a 2D convolution stack" });

/** `stacked_cnn`: Ludwig's `Stacked2DCNN` (conv → norm → activation → dropout → pool, then FC). */
export const StackedCnnSchema = obj({
  type: z.literal("stacked_cnn"),
  height: imageSize("Height"),
  width: imageSize("Width"),
  num_channels: imageSize("Channels"),
  conv_layers: z.array(Conv2dLayerSchema).nullable().default(null).describe(
    "Per-layer settings of the convolution stack; overrides num_conv_layers",
  ),
  num_conv_layers: z.int().min(0).nullable().default(null).describe(
    "Number of identical convolution layers (null and no conv_layers: two layers of 32 and 64 filters)",
  ),
  out_channels: size(32, "Default filters of each convolution"),
  kernel_size: intOrPair(1).default(3).describe("Default kernel size"),
  stride: intOrPair(1).default(1).describe("Default stride"),
  padding: padding(),
  padding_mode: paddingMode(),
  dilation: ones().default(1).describe(
    "Convolution dilation (only 1: TF.js has no gradient for dilated convolutions)",
  ),
  groups: groups(),
  conv_use_bias: z.boolean().default(true).describe("Default: convolutions have a bias"),
  conv_norm: convNorm(),
  conv_norm_params: normParamsDict("convolution"),
  conv_activation: activation("relu"),
  conv_dropout: dropout(0, "Default dropout after each convolution"),
  pool_function: poolFunction(),
  pool_kernel_size: intOrPair(1).nullable().default(2).describe(
    "Default pooling size (null: no pooling)",
  ),
  pool_stride: intOrPair(1).nullable().default(null).describe(
    "Default pooling stride (null: the pool size)",
  ),
  pool_padding: intOrPair(0).default(0).describe("Default pooling padding per side"),
  pool_dilation: poolDilation(),
  fc_layers: fcLayers(),
  num_fc_layers: layerCount(1, "Number of fully connected layers"),
  output_size: size(128, "Output size of each fully connected layer"),
  fc_use_bias: z.boolean().default(true).describe("Whether fully connected layers have a bias"),
  fc_weights_initializer: initializer("xavier_uniform", "Initializer of the FC weights"),
  fc_bias_initializer: initializer("zeros", "Initializer of the FC biases"),
  fc_norm: z.enum(["batch", "layer"]).nullable().default(null).describe("FC normalization"),
  fc_norm_params: normParamsDict("FC"),
  fc_activation: activation("relu"),
  fc_dropout: dropout(0, "Dropout after each fully connected layer"),
}, {
  id: "encoder.image.stacked_cnn",
  description:
    "Stack of 2D convolutions with normalization, dropout and pooling, then fully connected layers",
});

/** The ResNet sizes Ludwig's own ResNet knows. */
export const RESNET_SIZES = [8, 14, 18, 34, 50, 101, 152, 200] as const;

/** `_resnet_legacy`: Ludwig's own pre-activation ResNet (v2), then FC layers. */
export const ResnetLegacySchema = obj({
  type: z.literal("_resnet_legacy"),
  height: imageSize("Height"),
  width: imageSize("Width"),
  num_channels: imageSize("Channels"),
  resnet_size: z.union(RESNET_SIZES.map((s) => z.literal(s)) as unknown as [
    z.ZodLiteral<8>,
    ...z.ZodLiteral<number>[],
  ]).default(50).describe(
    "Depth: 8, 14 (basic blocks, one per stage), 18, 34 (basic blocks), 50, 101, 152, 200 (bottleneck blocks)",
  ),
  out_channels: size(32, "Filters of the first convolution (stage i has out_channels · 2^i)"),
  kernel_size: intOrPair(1).default(3).describe("Kernel size of the first convolution"),
  conv_stride: intOrPair(1).default(1).describe("Stride of the first convolution"),
  first_pool_kernel_size: intOrPair(1).nullable().default(null).describe(
    "Max-pooling size after the first convolution (null: none)",
  ),
  first_pool_stride: intOrPair(1).nullable().default(null).describe(
    "Stride of the first pooling (null: its size)",
  ),
  batch_norm_momentum: z.number().min(0).max(1).default(0.9).describe(
    "Batch norm momentum in PyTorch's convention (the weight of each batch in the running statistics), as Ludwig passes it",
  ),
  batch_norm_epsilon: z.number().positive().default(0.001).describe("Batch norm epsilon"),
  fc_layers: fcLayers(),
  num_fc_layers: layerCount(1, "Number of fully connected layers"),
  output_size: size(128, "Output size of each fully connected layer"),
  use_bias: z.boolean().default(true).describe("Whether fully connected layers have a bias"),
  weights_initializer: initializer("xavier_uniform", "Initializer of the FC weights"),
  bias_initializer: initializer("zeros", "Initializer of the FC biases"),
  norm: z.enum(["batch", "layer"]).nullable().default(null).describe("FC normalization"),
  norm_params: normParamsDict("FC"),
  activation: activation("relu"),
  dropout: dropout(0, "Dropout after each fully connected layer"),
}, {
  id: "encoder.image._resnet_legacy",
  description:
    "Ludwig's own pre-activation residual network, global average pooling, then FC layers",
});

/** `mlp_mixer`: MLP-Mixer (Tolstikhin et al. 2021). */
export const MlpMixerSchema = obj({
  type: z.literal("mlp_mixer"),
  height: imageSize("Height"),
  width: imageSize("Width"),
  num_channels: imageSize("Channels"),
  dropout: dropout(0, "Dropout inside the mixer MLPs"),
  patch_size: size(16, "Side of the square patches (must divide the image height and width)"),
  embed_size: size(512, "Patch embedding size (the output size when avg_pool is true)"),
  token_size: size(2048, "Hidden size of the token-mixing MLP"),
  channel_dim: size(256, "Hidden size of the channel-mixing MLP"),
  num_layers: size(8, "Number of mixer blocks"),
  avg_pool: z.boolean().default(true).describe(
    "Average over patches ([batch, embed_size]); false keeps [batch, patches, embed_size]",
  ),
}, {
  id: "encoder.image.mlp_mixer",
  description: "Patches mixed by token-mixing and channel-mixing MLPs",
});

/** `_vit_legacy`: Ludwig's own ViT (the Hugging Face ViT architecture), trained from scratch. */
export const VitLegacySchema = obj({
  type: z.literal("_vit_legacy"),
  height: imageSize("Height"),
  width: imageSize("Width"),
  num_channels: imageSize("Channels"),
  use_pretrained: z.boolean().default(false).refine((v) => v === false, {
    message:
      "pretrained ViT weights cannot be loaded (no model hub access): set use_pretrained to false",
  }).describe("Load pretrained weights (not available in Sonata: false, trained from scratch)"),
  pretrained_model: z.string().default("google/vit-base-patch16-224").describe(
    "Name of the pretrained model (used only with use_pretrained)",
  ),
  saved_weights_in_checkpoint: z.boolean().default(false).describe(
    "Internal: the weights are in the model's checkpoint",
  ),
  trainable: z.boolean().default(true).describe("Whether the encoder's weights are trained"),
  hidden_size: size(768, "Size of the patch embeddings and transformer layers"),
  num_hidden_layers: size(12, "Number of transformer layers"),
  num_attention_heads: size(12, "Attention heads (must divide hidden_size)"),
  intermediate_size: size(3072, "Size of each feed-forward layer"),
  hidden_act: z.enum(["relu", "gelu", "selu", "gelu_new"]).default("gelu").describe(
    "Feed-forward activation",
  ),
  hidden_dropout_prob: dropout(0.1, "Dropout of embeddings and transformer outputs"),
  attention_probs_dropout_prob: dropout(0.1, "Dropout of the attention probabilities"),
  initializer_range: z.number().min(0).default(0.02).describe(
    "Standard deviation of the truncated normal weight initializer",
  ),
  layer_norm_eps: z.number().positive().default(1e-12).describe("Layer norm epsilon"),
  gradient_checkpointing: z.literal(false).default(false).describe(
    "Recompute activations in the backward pass (not available: false)",
  ),
  patch_size: size(16, "Side of the square patches (must divide the image height and width)"),
}, {
  id: "encoder.image._vit_legacy",
  description:
    "Vision transformer: patch embeddings, a class token, pre-norm transformer layers, a tanh pooler",
});

/** The image encoder schemas, in registry order. */
export const IMAGE_ENCODER_SCHEMAS = [
  StackedCnnSchema,
  ResnetLegacySchema,
  MlpMixerSchema,
  VitLegacySchema,
] as const;

/** Resolved `stacked_cnn` config. */
export type StackedCnnConfig = z.output<typeof StackedCnnSchema>;
/** Resolved `_resnet_legacy` config. */
export type ResnetLegacyConfig = z.output<typeof ResnetLegacySchema>;
/** Resolved `mlp_mixer` config. */
export type MlpMixerConfig = z.output<typeof MlpMixerSchema>;
/** Resolved `_vit_legacy` config. */
export type VitLegacyConfig = z.output<typeof VitLegacySchema>;
/** One resolved `conv_layers` entry. */
export type Conv2dLayerConfig = z.output<typeof Conv2dLayerSchema>;
