/**
 * torchvision's DenseNet-121/161/169/201 (Huang et al. 2016) with `classifier` removed as
 * Ludwig does: the encoder outputs the globally pooled features after the final norm and ReLU.
 * Every dense layer sees the concatenation of all earlier feature maps of its block (built as
 * one running concatenation, the same channel order). Older
 * checkpoints (torchvision's own files) name `norm.1` what the modules call `norm1`:
 * {@linkcode DENSENET}'s `renameWeights` maps them as torchvision's loader does.
 *
 * @module
 */
import {
  adaptiveAvgPool2d,
  avgPool2d,
  batchNorm,
  type BuildOptions,
  concat,
  conv2d,
  type FamilyTable,
  flatten,
  imageInput,
  imagenetTransform,
  maxPool2d,
  relu,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";

/** The architecture of a DenseNet variant. */
export interface DensenetArch {
  /** Channels each dense layer adds. */
  growthRate: number;
  /** Dense layers per block. */
  blockConfig: readonly [number, number, number, number];
  /** Channels of the stem convolution. */
  numInitFeatures: number;
  /** Bottleneck width factor (× growth rate). */
  bnSize: number;
}

/** The DenseNet encoder of `arch`: `[batch, features]`. */
export function buildDensenet(
  input: Symbolic,
  arch: DensenetArch,
  opts: BuildOptions = {},
): Symbolic {
  imageInput(input, "densenet", 32);
  const p = `${opts.prefix ?? ""}features.`;
  let h = conv2d(input, {
    name: `${p}conv0`,
    outChannels: arch.numInitFeatures,
    kernel: 7,
    stride: 2,
    padding: 3,
    bias: false,
  });
  h = relu(batchNorm(h, { name: `${p}norm0` }), `${p}relu0`);
  h = maxPool2d(h, { name: `${p}pool0`, kernel: 3, stride: 2, padding: 1 });
  let channels = arch.numInitFeatures;
  arch.blockConfig.forEach((layers, b) => {
    const block = `${p}denseblock${b + 1}`;
    // layer l sees cat(init, x1 … x(l−1)) = cat(what layer l−1 saw, x(l−1)): one running concat
    for (let l = 1; l <= layers; l++) {
      const name = `${block}.denselayer${l}`;
      let x = relu(batchNorm(h, { name: `${name}.norm1` }), `${name}.relu1`);
      x = conv2d(x, {
        name: `${name}.conv1`,
        outChannels: arch.bnSize * arch.growthRate,
        kernel: 1,
        bias: false,
      });
      x = relu(batchNorm(x, { name: `${name}.norm2` }), `${name}.relu2`);
      x = conv2d(x, {
        name: `${name}.conv2`,
        outChannels: arch.growthRate,
        kernel: 3,
        padding: 1,
        bias: false,
      });
      h = concat([h, x], `${name}.cat`);
    }
    channels += layers * arch.growthRate;
    if (b < arch.blockConfig.length - 1) {
      const t = `${p}transition${b + 1}`;
      h = relu(batchNorm(h, { name: `${t}.norm` }), `${t}.relu`);
      h = conv2d(h, {
        name: `${t}.conv`,
        outChannels: Math.floor(channels / 2),
        kernel: 1,
        bias: false,
      });
      h = avgPool2d(h, { name: `${t}.pool`, kernel: 2, stride: 2 });
      channels = Math.floor(channels / 2);
    }
  });
  h = relu(batchNorm(h, { name: `${p}norm5` }), `${p}relu5`);
  const root = opts.prefix ?? "";
  return flatten(adaptiveAvgPool2d(h, 1, `${root}avgpool`), `${root}flatten`);
}

/** The feature count of `arch` (what the removed classifier took in). */
function featureSize(arch: DensenetArch): number {
  let c = arch.numInitFeatures;
  arch.blockConfig.forEach((layers, b) => {
    c += layers * arch.growthRate;
    if (b < 3) c = Math.floor(c / 2);
  });
  return c;
}

function entry(
  ludwigId: number,
  file: string,
  arch: DensenetArch,
): VariantEntry<DensenetArch> {
  return {
    ludwigId,
    arch,
    weights: { file, url: torchvisionUrl(file) },
    preprocessing: imagenetTransform(256, 224, "bilinear"),
    featureSize: featureSize(arch),
  };
}

const OLD_NAME =
  /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$/;

/** Ludwig's `densenet` (torchvision `densenet121` … `densenet201`). */
export const DENSENET: FamilyTable<DensenetArch> = {
  type: "densenet",
  variants: {
    "121": entry(121, "densenet121-a639ec97.pth", {
      growthRate: 32,
      blockConfig: [6, 12, 24, 16],
      numInitFeatures: 64,
      bnSize: 4,
    }),
    "161": entry(161, "densenet161-8d451a50.pth", {
      growthRate: 48,
      blockConfig: [6, 12, 36, 24],
      numInitFeatures: 96,
      bnSize: 4,
    }),
    "169": entry(169, "densenet169-b2777c0a.pth", {
      growthRate: 32,
      blockConfig: [6, 12, 32, 32],
      numInitFeatures: 64,
      bnSize: 4,
    }),
    "201": entry(201, "densenet201-c1103571.pth", {
      growthRate: 32,
      blockConfig: [6, 12, 48, 32],
      numInitFeatures: 64,
      bnSize: 4,
    }),
  },
  defaultVariant: "121",
  minInputSize: 32,
  ignoreWeights: [/^classifier\./],
  renameWeights: (name) => name.replace(OLD_NAME, "$1$2"),
  build: (input, variant, opts) => buildDensenet(input, variantEntry(DENSENET, variant).arch, opts),
};
