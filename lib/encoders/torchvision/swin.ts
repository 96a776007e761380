/**
 * torchvision's Swin Transformer v1 (`swin_t`, `swin_s`, `swin_b`) without its head (Ludwig 0.7
 * replaces `head` with Identity): patch embedding (4×4/4 convolution + LayerNorm), four stages
 * of Swin blocks (LayerNorm → shifted-window attention → + input; LayerNorm → MLP with exact
 * GELU → + input), patch merging between stages, LayerNorm, global average: `[batch, 8·C]`.
 *
 * torchvision's details kept: LayerNorm eps 1e-5; windows of 7×7; odd blocks shift by 3;
 * the map is zero-padded at the bottom/right to window multiples AFTER norm1 (padded tokens
 * take part in attention) and the shift is switched off along an axis the window covers;
 * the shifted-window mask is −100 between tokens of different regions; the relative position
 * bias is a learned table indexed by `relative_position_index` (a buffer computed from the
 * window, not loaded); patch merging pads odd maps and concatenates `x0, x1, x2, x3`
 * (`[0::2, 0::2]`, `[1::2, 0::2]`, `[0::2, 1::2]`, `[1::2, 1::2]`) before its LayerNorm and
 * bias-free reduction.
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
import { SwinPatchGather, SwinWindows, TorchAttention } from "./_blocks_attention.ts";

/** Architecture of a Swin variant. */
export interface SwinArch {
  /** Channels of the first stage (doubled per stage). */
  embedDim: number;
  /** Blocks per stage. */
  depths: readonly [number, number, number, number];
  /** Attention heads per stage. */
  numHeads: readonly [number, number, number, number];
  /** Window side. */
  window: number;
}

const EPS = 1e-5;
const PATCH = 4;

function entry(name: string, file: string, resize: number, arch: SwinArch): VariantEntry<SwinArch> {
  return {
    ludwigId: name,
    arch,
    weights: { file, url: torchvisionUrl(file) },
    preprocessing: imagenetTransform(resize, 224, "bicubic"),
    featureSize: arch.embedDim * 8,
  };
}

/** The variants (torchvision 0.14's `Swin_*_Weights.DEFAULT` = IMAGENET1K_V1). */
export const SWIN_VARIANTS: Readonly<Record<string, VariantEntry<SwinArch>>> = {
  t: entry("t", "swin_t-704ceda3.pth", 232, {
    embedDim: 96,
    depths: [2, 2, 6, 2],
    numHeads: [3, 6, 12, 24],
    window: 7,
  }),
  s: entry("s", "swin_s-5e29d889.pth", 246, {
    embedDim: 96,
    depths: [2, 2, 18, 2],
    numHeads: [3, 6, 12, 24],
    window: 7,
  }),
  b: entry("b", "swin_b-68c6b09e.pth", 238, {
    embedDim: 128,
    depths: [2, 2, 18, 2],
    numHeads: [4, 8, 16, 32],
    window: 7,
  }),
};

/**
 * Builds Swin `variant` on `input` `[batch, h, w, 3]` (normalized; h, w ≥ 4; the weights were
 * trained at 224): `[batch, 8·embedDim]`. Layers are named `prefix + torch module path`.
 *
 * @throws {RangeError} An unknown variant or an image smaller than the 4×4 patch.
 */
export function buildSwin(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
  const { arch } = variantEntry(SWIN, variant);
  const p = opts.prefix ?? "";
  const [ih, iw] = [input.shape[1], input.shape[2]];
  if (typeof ih !== "number" || typeof iw !== "number" || ih < PATCH || iw < PATCH) {
    throw new RangeError(
      `Cannot build the swin_transformer encoder: the image must be at least ${PATCH}x${PATCH}, received ${ih}x${iw}`,
    );
  }
  let x = conv2d(input, {
    name: `${p}features.0.0`,
    outChannels: arch.embedDim,
    kernel: PATCH,
    stride: PATCH,
  });
  x = layerNorm(x, { name: `${p}features.0.2`, eps: EPS });
  let h = Math.floor((ih - PATCH) / PATCH) + 1;
  let w = Math.floor((iw - PATCH) / PATCH) + 1;
  const win = arch.window;
  for (let stage = 0; stage < 4; stage++) {
    const dim = arch.embedDim * 2 ** stage;
    const heads = arch.numHeads[stage];
    const padH = Math.ceil(h / win) * win;
    const padW = Math.ceil(w / win) * win;
    for (let j = 0; j < arch.depths[stage]; j++) {
      const path = `${p}features.${2 * stage + 1}.${j}`;
      const half = j % 2 === 0 ? 0 : Math.floor(win / 2);
      const shift: [number, number] = [win >= padH ? 0 : half, win >= padW ? 0 : half];
      const shifted = shift[0] + shift[1] > 0;
      let y = layerNorm(x, { name: `${path}.norm1`, eps: EPS });
      const geometry = {
        window: [win, win] as [number, number],
        shift,
        size: [h, w] as [number, number],
      };
      y = new SwinWindows({ ...geometry, inverse: false, name: `${path}.attn_windows` })
        .apply(y) as Symbolic;
      y = new TorchAttention({
        numHeads: heads,
        scale: 1 / Math.sqrt(dim / heads),
        naming: "swin",
        relativeWindow: [win, win],
        shiftMask: shifted ? { padH, padW, window: [win, win], shift } : null,
        name: `${path}.attn`,
      }).apply(y) as Symbolic;
      y = new SwinWindows({ ...geometry, inverse: true, name: `${path}.attn_merge` })
        .apply(y) as Symbolic;
      x = add([x, y], `${path}_attention_residual`);
      y = layerNorm(x, { name: `${path}.norm2`, eps: EPS });
      y = linear(y, { name: `${path}.mlp.0`, outFeatures: 4 * dim });
      y = activation(y, "gelu", `${path}.mlp.1`);
      y = linear(y, { name: `${path}.mlp.3`, outFeatures: dim });
      x = add([x, y], `${path}_mlp_residual`);
    }
    if (stage < 3) {
      const path = `${p}features.${2 * stage + 2}`;
      x = new SwinPatchGather({ name: `${path}_gather` }).apply(x) as Symbolic;
      x = layerNorm(x, { name: `${path}.norm`, eps: EPS });
      x = linear(x, { name: `${path}.reduction`, outFeatures: 2 * dim, bias: false });
      h = Math.ceil(h / 2);
      w = Math.ceil(w / 2);
    }
  }
  x = layerNorm(x, { name: `${p}norm`, eps: EPS });
  x = adaptiveAvgPool2d(x, 1, `${p}avgpool`);
  return flatten(x, `${p}flatten`);
}

/**
 * Ludwig's `swin_transformer` encoder family: the variants, their weights and preprocessing, the builder.
 *
 * @example The table
 * ```ts
 * import assert from "node:assert/strict";
 * import { SWIN } from "./swin.ts";
 * assert.equal(SWIN.variants["t"].featureSize, 768);
 * assert.ok(SWIN.variants[SWIN.defaultVariant].weights.url.startsWith("https://download.pytorch.org/models/"));
 * ```
 */
export const SWIN: FamilyTable<SwinArch> = {
  type: "swin_transformer",
  variants: SWIN_VARIANTS,
  defaultVariant: "t",
  minInputSize: PATCH,
  ignoreWeights: [/^head\./, /\.relative_position_index$/],
  build: buildSwin,
};
