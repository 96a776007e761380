/**
 * torchvision's MaxViT (`maxvit_t`) without its last classification layer (Ludwig 0.7 replaces
 * `classifier[-1]` with Identity): the output is the classifier's pre-logits, tanh(Linear(
 * LayerNorm(global average))): `[batch, 512]`.
 *
 * torchvision's details kept: BatchNorm eps 1e-3 (stem and MBConv); the stem is a 3×3/2
 * convolution without bias + BN + GELU, then a 3×3 convolution with bias; each MaxViT layer is
 * an MBConv (pre-norm BN → 1×1 conv + BN + GELU → 3×3 depthwise conv (stride 2 in a block's
 * first layer) + BN + GELU → squeeze-excitation (SiLU, ¼ of the output channels) → 1×1 conv;
 * the residual path is a 3×3/2 average pool counting the padding + 1×1 conv where the shape
 * changes), then window attention (7×7 windows) and grid attention (a 7×7 grid strided over
 * the map), each LayerNorm (eps 1e-5) → relative-position multi-head attention (head dim 32,
 * scores scaled by C^-0.5 — the feature size, not the head dim) → + input, LayerNorm → MLP 4C
 * with exact GELU → + input. Every block input must divide by 7: torchvision's MaxViT accepts
 * 223×223 and 224×224 images only (near its default size).
 *
 * @module
 */
import {
  activation,
  adaptiveAvgPool2d,
  add,
  avgPool2d,
  batchNorm,
  type BuildOptions,
  conv2d,
  type FamilyTable,
  flatten,
  layerNorm,
  linear,
  squeezeExcitation,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "./_core.ts";
import { MaxVitPartition, TorchAttention } from "./_blocks_attention.ts";

/** Architecture of a MaxViT variant. */
export interface MaxVitArch {
  /** Stem channels. */
  stemChannels: number;
  /** Channels of the four blocks. */
  blockChannels: readonly [number, number, number, number];
  /** Layers of the four blocks. */
  blockLayers: readonly [number, number, number, number];
  /** Attention head size. */
  headDim: number;
  /** Window / grid partition size. */
  partitionSize: number;
}

const BN_EPS = 1e-3;
const LN_EPS = 1e-5;

/** The variants (torchvision 0.14's `MaxVit_T_Weights.DEFAULT` = IMAGENET1K_V1). */
export const MAXVIT_VARIANTS: Readonly<Record<string, VariantEntry<MaxVitArch>>> = {
  t: {
    ludwigId: "t",
    arch: {
      stemChannels: 64,
      blockChannels: [64, 128, 256, 512],
      blockLayers: [2, 2, 5, 2],
      headDim: 32,
      partitionSize: 7,
    },
    weights: { file: "maxvit_t-bc5ab103.pth", url: torchvisionUrl("maxvit_t-bc5ab103.pth") },
    preprocessing: {
      resizeSize: 224,
      cropSize: 224,
      interpolation: "bicubic",
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    },
    featureSize: 512,
  },
};

/** torch's output size of a 3×3/2 convolution with padding 1. */
const halve = (n: number) => Math.floor((n - 1) / 2) + 1;

function partitionAttention(
  x: Symbolic,
  path: string,
  o: { channels: number; headDim: number; partition: number; size: number; grid: boolean },
): Symbolic {
  const c = o.channels;
  const p = o.grid ? o.size / o.partition : o.partition;
  const geometry = { p, grid: o.grid, size: [o.size, o.size] as [number, number] };
  let h = new MaxVitPartition({ ...geometry, inverse: false, name: `${path}_partition` })
    .apply(x) as Symbolic;
  let y = layerNorm(h, { name: `${path}.attn_layer.0`, eps: LN_EPS });
  y = new TorchAttention({
    numHeads: c / o.headDim,
    scale: 1 / Math.sqrt(c),
    naming: "maxvit",
    relativeWindow: [o.partition, o.partition],
    name: `${path}.attn_layer.1`,
  }).apply(y) as Symbolic;
  h = add([h, y], `${path}_attention_residual`);
  y = layerNorm(h, { name: `${path}.mlp_layer.0`, eps: LN_EPS });
  y = linear(y, { name: `${path}.mlp_layer.1`, outFeatures: 4 * c });
  y = activation(y, "gelu", `${path}.mlp_layer.2`);
  y = linear(y, { name: `${path}.mlp_layer.3`, outFeatures: c });
  h = add([h, y], `${path}_mlp_residual`);
  return new MaxVitPartition({ ...geometry, inverse: true, name: `${path}_departition` })
    .apply(h) as Symbolic;
}

function mbConv(
  x: Symbolic,
  path: string,
  o: { inChannels: number; outChannels: number; stride: number },
): Symbolic {
  const mid = o.outChannels * 4;
  let res = x;
  if (o.stride !== 1 || o.inChannels !== o.outChannels) {
    let proj = 0;
    if (o.stride === 2) {
      res = avgPool2d(res, { name: `${path}.proj.0`, kernel: 3, stride: 2, padding: 1 });
      proj = 1;
    }
    res = conv2d(res, { name: `${path}.proj.${proj}`, outChannels: o.outChannels, kernel: 1 });
  }
  const l = `${path}.layers`;
  let y = batchNorm(x, { name: `${l}.pre_norm`, eps: BN_EPS });
  y = conv2d(y, { name: `${l}.conv_a.0`, outChannels: mid, kernel: 1, bias: false });
  y = batchNorm(y, { name: `${l}.conv_a.1`, eps: BN_EPS });
  y = activation(y, "gelu", `${l}.conv_a.2`);
  y = conv2d(y, {
    name: `${l}.conv_b.0`,
    outChannels: mid,
    kernel: 3,
    stride: o.stride,
    padding: 1,
    groups: mid,
    bias: false,
  });
  y = batchNorm(y, { name: `${l}.conv_b.1`, eps: BN_EPS });
  y = activation(y, "gelu", `${l}.conv_b.2`);
  y = squeezeExcitation(y, {
    name: `${l}.squeeze_excitation`,
    squeezeChannels: Math.floor(o.outChannels * 0.25),
    activation: "silu",
  });
  y = conv2d(y, { name: `${l}.conv_c`, outChannels: o.outChannels, kernel: 1 });
  return add([res, y], `${path}_residual`);
}

/**
 * Builds MaxViT `variant` on `input` `[batch, s, s, 3]` (normalized; s = 223 or 224, where
 * every block input divides by the partition size 7): `[batch, 512]`. Layers are named
 * `prefix + torch module path`.
 *
 * @throws {RangeError} An unknown variant or an image size whose block inputs do not divide by 7.
 */
export function buildMaxVit(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
  const { arch } = variantEntry(MAXVIT, variant);
  const pre = opts.prefix ?? "";
  const [ih, iw] = [input.shape[1], input.shape[2]];
  const k = arch.partitionSize;
  const sizes: number[] = [];
  if (typeof ih === "number" && ih === iw) {
    let s = halve(ih);
    for (let i = 0; i < 4; i++) sizes.push(s = halve(s));
  }
  if (sizes.length === 0 || sizes.some((s) => s % k !== 0)) {
    throw new RangeError(
      `Cannot build the maxvit encoder: the image must be square with every block input divisible by the partition size ${k} (224x224 or 223x223), received ${ih}x${iw}`,
    );
  }
  let x = conv2d(input, {
    name: `${pre}stem.0.0`,
    outChannels: arch.stemChannels,
    kernel: 3,
    stride: 2,
    padding: 1,
    bias: false,
  });
  x = batchNorm(x, { name: `${pre}stem.0.1`, eps: BN_EPS });
  x = activation(x, "gelu", `${pre}stem.0.2`);
  x = conv2d(x, {
    name: `${pre}stem.1.0`,
    outChannels: arch.stemChannels,
    kernel: 3,
    padding: 1,
  });
  let channels = arch.stemChannels;
  for (let b = 0; b < 4; b++) {
    const out = arch.blockChannels[b];
    for (let j = 0; j < arch.blockLayers[b]; j++) {
      const path = `${pre}blocks.${b}.layers.${j}.layers`;
      x = mbConv(x, `${path}.MBconv`, {
        inChannels: j === 0 ? channels : out,
        outChannels: out,
        stride: j === 0 ? 2 : 1,
      });
      const common = { channels: out, headDim: arch.headDim, partition: k, size: sizes[b] };
      x = partitionAttention(x, `${path}.window_attention`, { ...common, grid: false });
      x = partitionAttention(x, `${path}.grid_attention`, { ...common, grid: true });
    }
    channels = out;
  }
  x = adaptiveAvgPool2d(x, 1, `${pre}classifier.0`);
  x = flatten(x, `${pre}classifier.1`);
  x = layerNorm(x, { name: `${pre}classifier.2`, eps: LN_EPS });
  x = linear(x, { name: `${pre}classifier.3`, outFeatures: channels });
  return activation(x, "tanh", `${pre}classifier.4`);
}

/**
 * Ludwig's `maxvit` encoder family: the variants, their weights and preprocessing, the builder.
 *
 * @example The table
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAXVIT } from "./maxvit.ts";
 * assert.equal(MAXVIT.variants["t"].featureSize, 512);
 * assert.ok(MAXVIT.variants[MAXVIT.defaultVariant].weights.url.startsWith("https://download.pytorch.org/models/"));
 * ```
 */
export const MAXVIT: FamilyTable<MaxVitArch> = {
  type: "maxvit",
  variants: MAXVIT_VARIANTS,
  defaultVariant: "t",
  minInputSize: 223,
  ignoreWeights: [/^classifier\.5\./, /\.relative_position_index$/],
  build: buildMaxVit,
};
