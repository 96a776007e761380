/**
 * torchvision's Vision Transformer (`vit_b_16` … `vit_h_14`) without its classification head
 * (Ludwig 0.7 replaces `heads[-1]` with Identity): `conv_proj` (patch × patch convolution,
 * stride patch) → tokens in row-major order → class token prepended, `encoder.pos_embedding`
 * added → pre-norm encoder blocks (LayerNorm → `nn.MultiheadAttention` with its packed
 * `in_proj_weight`/`in_proj_bias` → + input; LayerNorm → MLP with exact GELU → + input) →
 * `encoder.ln` → the class token: `[batch, hidden]`. LayerNorms have eps 1e-6; dropout is the
 * identity in inference.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import { FirstToken } from "../_image_impl.ts";
import {
  activation,
  add,
  type BuildOptions,
  conv2d,
  type FamilyTable,
  imagenetTransform,
  layerNorm,
  linear,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";
import { ClassTokenPositions, TorchAttention } from "./_blocks_attention.ts";

/** Architecture of a ViT variant. */
export interface VitArch {
  /** Patch size (the `conv_proj` kernel and stride). */
  patchSize: number;
  /** Encoder blocks. */
  numLayers: number;
  /** Attention heads. */
  numHeads: number;
  /** Hidden size. */
  hiddenDim: number;
  /** MLP size. */
  mlpDim: number;
  /** The image size of the default weights (their position embeddings fix it). */
  imageSize: number;
}

const EPS = 1e-6;

function entry(
  name: string,
  file: string,
  arch: VitArch,
  resize: number,
  interpolation: "bilinear" | "bicubic",
): VariantEntry<VitArch> {
  return {
    ludwigId: name,
    arch,
    weights: { file, url: torchvisionUrl(file) },
    preprocessing: imagenetTransform(resize, arch.imageSize, interpolation),
    featureSize: arch.hiddenDim,
  };
}

const B = { numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072, imageSize: 224 };
const L = { numLayers: 24, numHeads: 16, hiddenDim: 1024, mlpDim: 4096, imageSize: 224 };

/**
 * The variants with torchvision 0.14's DEFAULT weights: IMAGENET1K_V1 for b/l, and for h_14
 * IMAGENET1K_SWAG_E2E_V1 (518×518 images, bicubic; an unweighted vit_h_14 uses 224).
 */
export const VIT_VARIANTS: Readonly<Record<string, VariantEntry<VitArch>>> = {
  b_16: entry("b_16", "vit_b_16-c867db91.pth", { ...B, patchSize: 16 }, 256, "bilinear"),
  b_32: entry("b_32", "vit_b_32-d86f8d99.pth", { ...B, patchSize: 32 }, 256, "bilinear"),
  l_16: entry("l_16", "vit_l_16-852ce7e3.pth", { ...L, patchSize: 16 }, 242, "bilinear"),
  l_32: entry("l_32", "vit_l_32-c7638314.pth", { ...L, patchSize: 32 }, 256, "bilinear"),
  h_14: entry(
    "h_14",
    "vit_h_14_swag-80465313.pth",
    { patchSize: 14, numLayers: 32, numHeads: 16, hiddenDim: 1280, mlpDim: 5120, imageSize: 518 },
    518,
    "bicubic",
  ),
};

/**
 * Builds ViT `variant` on `input` `[batch, s, s, 3]` (normalized; square, s a multiple of the
 * patch size — torchvision's `image_size`, 224 for the b/l weights, 518 for h_14's):
 * `[batch, hidden]`. Layers are named `prefix + torch module path`.
 *
 * @throws {RangeError} An unknown variant or an image that is not square or not a multiple of
 * the patch size.
 */
export function buildVit(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
  const { arch } = variantEntry(VIT, variant);
  const p = opts.prefix ?? "";
  const [h, w] = [input.shape[1], input.shape[2]];
  if (typeof h !== "number" || h !== w || h % arch.patchSize !== 0) {
    throw new RangeError(
      `Cannot build the vit encoder (${variant}): the image must be square with a side that is a multiple of ${arch.patchSize} (torchvision's image_size, ${arch.imageSize} for its weights), received ${h}x${w}`,
    );
  }
  const d = arch.hiddenDim;
  const n = (h / arch.patchSize) ** 2;
  let x = conv2d(input, {
    name: `${p}conv_proj`,
    outChannels: d,
    kernel: arch.patchSize,
    stride: arch.patchSize,
  });
  x = tf.layers.reshape({ targetShape: [n, d], name: `${p}conv_proj_tokens` }).apply(x) as Symbolic;
  x = new ClassTokenPositions({ name: `${p}class_token` }).apply(x) as Symbolic;
  for (let i = 0; i < arch.numLayers; i++) {
    const path = `${p}encoder.layers.encoder_layer_${i}`;
    let y = layerNorm(x, { name: `${path}.ln_1`, eps: EPS });
    y = new TorchAttention({
      numHeads: arch.numHeads,
      scale: 1 / Math.sqrt(d / arch.numHeads),
      naming: "mha",
      name: `${path}.self_attention`,
    }).apply(y) as Symbolic;
    x = add([y, x], `${path}_attention_residual`);
    y = layerNorm(x, { name: `${path}.ln_2`, eps: EPS });
    y = linear(y, { name: `${path}.mlp.0`, outFeatures: arch.mlpDim });
    y = activation(y, "gelu", `${path}.mlp.1`);
    y = linear(y, { name: `${path}.mlp.3`, outFeatures: d });
    x = add([x, y], `${path}_mlp_residual`);
  }
  x = layerNorm(x, { name: `${p}encoder.ln`, eps: EPS });
  return new FirstToken({ name: `${p}class_token_output` }).apply(x) as Symbolic;
}

/**
 * Ludwig's `vit` encoder family: the variants, their weights and preprocessing, the builder.
 *
 * @example The table
 * ```ts
 * import assert from "node:assert/strict";
 * import { VIT } from "./vit.ts";
 * assert.equal(VIT.variants["b_16"].featureSize, 768);
 * assert.ok(VIT.variants[VIT.defaultVariant].weights.url.startsWith("https://download.pytorch.org/models/"));
 * ```
 */
export const VIT: FamilyTable<VitArch> = {
  type: "vit",
  variants: VIT_VARIANTS,
  defaultVariant: "b_16",
  minInputSize: 224,
  ignoreWeights: [/^heads\.head\./],
  build: buildVit,
};
