/**
 * torchvision's ConvNeXt (`convnext_tiny` … `convnext_large`) without its last classification
 * layer (Ludwig 0.7 replaces `classifier[-1]` with Identity): stem (4×4/4 convolution +
 * channels-last LayerNorm), four stages of CNBlocks (7×7 depthwise convolution → LayerNorm →
 * Linear 4C → exact GELU → Linear C → layer scale, plus the input; stochastic depth is the
 * identity in inference), LayerNorm + 2×2/2 convolution between stages, global average, the
 * classifier's LayerNorm and flatten: `[batch, C_last]`. Every LayerNorm has eps 1e-6.
 *
 * @module
 */
import {
  activation,
  adaptiveAvgPool2d,
  add,
  type BuildOptions,
  conv2d,
  type FamilyTable,
  flatten,
  imagenetTransform,
  layerNorm,
  linear,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";
import { LayerScale } from "./_blocks_attention.ts";

/** Architecture of a ConvNeXt variant: channels and blocks per stage. */
export interface ConvNextArch {
  /** Channels of the four stages. */
  channels: readonly [number, number, number, number];
  /** CNBlocks of the four stages. */
  depths: readonly [number, number, number, number];
}

const EPS = 1e-6;

function entry(
  name: string,
  file: string,
  resize: number,
  arch: ConvNextArch,
): VariantEntry<ConvNextArch> {
  return {
    ludwigId: name,
    arch,
    weights: { file, url: torchvisionUrl(file) },
    preprocessing: imagenetTransform(resize, 224, "bilinear"),
    featureSize: arch.channels[3],
  };
}

/** The variants (torchvision 0.14's `ConvNeXt_*_Weights.DEFAULT` = IMAGENET1K_V1). */
export const CONVNEXT_VARIANTS: Readonly<Record<string, VariantEntry<ConvNextArch>>> = {
  tiny: entry("tiny", "convnext_tiny-983f1562.pth", 236, {
    channels: [96, 192, 384, 768],
    depths: [3, 3, 9, 3],
  }),
  small: entry("small", "convnext_small-0c510722.pth", 230, {
    channels: [96, 192, 384, 768],
    depths: [3, 3, 27, 3],
  }),
  base: entry("base", "convnext_base-6075fbad.pth", 232, {
    channels: [128, 256, 512, 1024],
    depths: [3, 3, 27, 3],
  }),
  large: entry("large", "convnext_large-ea097f82.pth", 232, {
    channels: [192, 384, 768, 1536],
    depths: [3, 3, 27, 3],
  }),
};

/**
 * Builds ConvNeXt `variant` on `input` `[batch, h, w, 3]` (normalized; h, w ≥ 32):
 * `[batch, featureSize]`. Layers are named `prefix + torch module path`.
 *
 * @throws {RangeError} An unknown variant or an input smaller than 32×32.
 */
export function buildConvNext(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
  const { arch } = variantEntry(CONVNEXT, variant);
  const p = opts.prefix ?? "";
  const [h, w] = [input.shape[1], input.shape[2]];
  if (typeof h !== "number" || typeof w !== "number" || h < 32 || w < 32) {
    throw new RangeError(
      `Cannot build the convnext encoder: the image must be at least 32x32, received ${h}x${w}`,
    );
  }
  let x = conv2d(input, {
    name: `${p}features.0.0`,
    outChannels: arch.channels[0],
    kernel: 4,
    stride: 4,
  });
  x = layerNorm(x, { name: `${p}features.0.1`, eps: EPS });
  for (let stage = 0; stage < 4; stage++) {
    const dim = arch.channels[stage];
    const index = 2 * stage + 1;
    for (let j = 0; j < arch.depths[stage]; j++) {
      const path = `${p}features.${index}.${j}`;
      let y = conv2d(x, {
        name: `${path}.block.0`,
        outChannels: dim,
        kernel: 7,
        padding: 3,
        groups: dim,
      });
      y = layerNorm(y, { name: `${path}.block.2`, eps: EPS });
      y = linear(y, { name: `${path}.block.3`, outFeatures: 4 * dim });
      y = activation(y, "gelu", `${path}.block.4`);
      y = linear(y, { name: `${path}.block.5`, outFeatures: dim });
      y = new LayerScale({ name: path }).apply(y) as Symbolic;
      x = add([y, x], `${path}_residual`);
    }
    if (stage < 3) {
      const path = `${p}features.${index + 1}`;
      x = layerNorm(x, { name: `${path}.0`, eps: EPS });
      x = conv2d(x, {
        name: `${path}.1`,
        outChannels: arch.channels[stage + 1],
        kernel: 2,
        stride: 2,
      });
    }
  }
  x = adaptiveAvgPool2d(x, 1, `${p}avgpool`);
  x = layerNorm(x, { name: `${p}classifier.0`, eps: EPS });
  return flatten(x, `${p}classifier.1`);
}

/**
 * Ludwig's `convnext` encoder family: the variants, their weights and preprocessing, the builder.
 *
 * @example The table
 * ```ts
 * import assert from "node:assert/strict";
 * import { CONVNEXT } from "./convnext.ts";
 * assert.equal(CONVNEXT.variants["tiny"].featureSize, 768);
 * assert.ok(CONVNEXT.variants[CONVNEXT.defaultVariant].weights.url.startsWith("https://download.pytorch.org/models/"));
 * ```
 */
export const CONVNEXT: FamilyTable<ConvNextArch> = {
  type: "convnext",
  variants: CONVNEXT_VARIANTS,
  defaultVariant: "base",
  minInputSize: 32,
  ignoreWeights: [/^classifier\.2\./],
  build: buildConvNext,
};
