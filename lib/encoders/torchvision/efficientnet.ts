/**
 * torchvision's EfficientNet (`b0`–`b7`) and EfficientNetV2 (`v2_s`, `v2_m`, `v2_l`) as
 * Ludwig 0.7's `efficientnet` encoder, without `classifier[-1]`: the output is the classifier's
 * dropout over the pooled features of the last 1×1 convolution.
 *
 * Traps kept: batch-norm eps is torch's 1e-5 for b0–b4, 1e-3 (momentum 0.01) for b5–b7 (the
 * lukemelas ports) and 1e-3 for v2; MBConv's squeeze-excitation has `max(1, in // 4)`
 * channels with SiLU and a sigmoid gate; channels round with `_make_divisible(c · width, 8)`
 * and depths with `ceil(n · depth)`; residual branches pass torchvision's stochastic depth
 * (`0.2 · block / blocks`, row mode; the identity in inference). The variants' transforms
 * differ (b1 resizes 255 bilinear, v2_l normalizes with mean = std = 0.5).
 *
 * @module
 */
import {
  adaptiveAvgPool2d,
  add,
  type BuildOptions,
  dropout,
  type FamilyTable,
  flatten,
  imageInput,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type Preprocessing,
  squeezeExcitation,
  stochasticDepth,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";
import { convNormAct, makeDivisible } from "./_blocks_mobile.ts";

/** One stage of EfficientNet (torchvision's `MBConvConfig` / `FusedMBConvConfig`). */
export interface EfficientNetStage {
  /** `mb` (MBConv: expand, depthwise, SE, project) or `fused` (FusedMBConv). */
  block: "mb" | "fused";
  /** Expansion ratio. */
  expand: number;
  /** Kernel size. */
  kernel: number;
  /** Stride of the first block. */
  stride: number;
  /** Input channels (after the width multiplier). */
  input: number;
  /** Output channels (after the width multiplier). */
  output: number;
  /** Blocks (after the depth multiplier). */
  layers: number;
}

/** The architecture parameters of an EfficientNet variant. */
export interface EfficientNetArch {
  /** The stages. */
  stages: readonly EfficientNetStage[];
  /** Output channels of the last 1×1 convolution (the encoder's output size). */
  lastChannel: number;
  /** The classifier's dropout. */
  dropout: number;
  /** Batch-norm epsilon. */
  eps: number;
  /** Batch-norm momentum (torch's sense). */
  momentum: number;
  /** The stochastic-depth probability of the last block. */
  stochasticDepth: number;
}

// [expand, kernel, stride, input, output, layers] of EfficientNet v1 at width = depth = 1
const V1_BASE = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
] as const;

function v1(
  width: number,
  depth: number,
  dropoutRate: number,
  eps: number,
  momentum: number,
): EfficientNetArch {
  const stages = V1_BASE.map(([expand, kernel, stride, input, output, layers]) => ({
    block: "mb" as const,
    expand,
    kernel,
    stride,
    input: makeDivisible(input * width, 8),
    output: makeDivisible(output * width, 8),
    layers: Math.ceil(layers * depth),
  }));
  return {
    stages,
    lastChannel: 4 * stages[stages.length - 1].output,
    dropout: dropoutRate,
    eps,
    momentum,
    stochasticDepth: 0.2,
  };
}

type V2Row = readonly ["mb" | "fused", number, number, number, number, number, number];

function v2(rows: readonly V2Row[], dropoutRate: number): EfficientNetArch {
  return {
    stages: rows.map(([block, expand, kernel, stride, input, output, layers]) => ({
      block,
      expand,
      kernel,
      stride,
      input,
      output,
      layers,
    })),
    lastChannel: 1280,
    dropout: dropoutRate,
    eps: 1e-3,
    momentum: 0.1,
    stochasticDepth: 0.2,
  };
}

const V2_S: readonly V2Row[] = [
  ["fused", 1, 3, 1, 24, 24, 2],
  ["fused", 4, 3, 2, 24, 48, 4],
  ["fused", 4, 3, 2, 48, 64, 4],
  ["mb", 4, 3, 2, 64, 128, 6],
  ["mb", 6, 3, 1, 128, 160, 9],
  ["mb", 6, 3, 2, 160, 256, 15],
];
const V2_M: readonly V2Row[] = [
  ["fused", 1, 3, 1, 24, 24, 3],
  ["fused", 4, 3, 2, 24, 48, 5],
  ["fused", 4, 3, 2, 48, 80, 5],
  ["mb", 4, 3, 2, 80, 160, 7],
  ["mb", 6, 3, 1, 160, 176, 14],
  ["mb", 6, 3, 2, 176, 304, 18],
  ["mb", 6, 3, 1, 304, 512, 5],
];
const V2_L: readonly V2Row[] = [
  ["fused", 1, 3, 1, 32, 32, 4],
  ["fused", 4, 3, 2, 32, 64, 7],
  ["fused", 4, 3, 2, 64, 96, 7],
  ["mb", 4, 3, 2, 96, 192, 10],
  ["mb", 6, 3, 1, 192, 224, 19],
  ["mb", 6, 3, 2, 224, 384, 25],
  ["mb", 6, 3, 1, 384, 640, 7],
];

function buildEfficientNet(input: Symbolic, arch: EfficientNetArch, prefix: string): Symbolic {
  const p = (s: string) => prefix + s;
  const bn = { eps: arch.eps, momentum: arch.momentum };
  let h = convNormAct(input, {
    name: p("features.0"),
    outChannels: arch.stages[0].input,
    kernel: 3,
    stride: 2,
    activation: "silu",
    ...bn,
  });
  const total = arch.stages.reduce((n, s) => n + s.layers, 0);
  let blockId = 0;
  arch.stages.forEach((stage, s) => {
    for (let i = 0; i < stage.layers; i++) {
      const inC = i === 0 ? stage.input : stage.output;
      const stride = i === 0 ? stage.stride : 1;
      const name = p(`features.${s + 1}.${i}`);
      const expanded = makeDivisible(inC * stage.expand, 8);
      let y = h;
      let j = 0;
      if (stage.block === "mb") {
        if (expanded !== inC) {
          y = convNormAct(y, {
            name: `${name}.block.${j++}`,
            outChannels: expanded,
            kernel: 1,
            activation: "silu",
            ...bn,
          });
        }
        y = convNormAct(y, {
          name: `${name}.block.${j++}`,
          outChannels: expanded,
          kernel: stage.kernel,
          stride,
          groups: expanded,
          activation: "silu",
          ...bn,
        });
        y = squeezeExcitation(y, {
          name: `${name}.block.${j++}`,
          squeezeChannels: Math.max(1, Math.floor(inC / 4)),
          activation: "silu",
          scaleActivation: "sigmoid",
        });
        y = convNormAct(y, {
          name: `${name}.block.${j++}`,
          outChannels: stage.output,
          kernel: 1,
          activation: null,
          ...bn,
        });
      } else if (expanded !== inC) {
        y = convNormAct(y, {
          name: `${name}.block.0`,
          outChannels: expanded,
          kernel: stage.kernel,
          stride,
          activation: "silu",
          ...bn,
        });
        y = convNormAct(y, {
          name: `${name}.block.1`,
          outChannels: stage.output,
          kernel: 1,
          activation: null,
          ...bn,
        });
      } else {
        y = convNormAct(y, {
          name: `${name}.block.0`,
          outChannels: stage.output,
          kernel: stage.kernel,
          stride,
          activation: "silu",
          ...bn,
        });
      }
      if (stride === 1 && inC === stage.output) {
        const rate = (arch.stochasticDepth * blockId) / total;
        y = stochasticDepth(y, rate, "row", `${name}.stochastic_depth`);
        h = add([y, h], `${name}.add`);
      } else {
        h = y;
      }
      blockId++;
    }
  });
  h = convNormAct(h, {
    name: p(`features.${arch.stages.length + 1}`),
    outChannels: arch.lastChannel,
    kernel: 1,
    activation: "silu",
    ...bn,
  });
  h = flatten(adaptiveAvgPool2d(h, 1, p("avgpool")), p("flatten"));
  return dropout(h, arch.dropout, p("classifier.0"));
}

function transform(
  resizeSize: number,
  cropSize: number,
  interpolation: Preprocessing["interpolation"],
  halfNormalization = false,
): Preprocessing {
  return {
    resizeSize,
    cropSize,
    interpolation,
    mean: halfNormalization ? [0.5, 0.5, 0.5] : IMAGENET_MEAN,
    std: halfNormalization ? [0.5, 0.5, 0.5] : IMAGENET_STD,
  };
}

function entry(
  id: string,
  arch: EfficientNetArch,
  file: string,
  preprocessing: Preprocessing,
): VariantEntry<EfficientNetArch> {
  return {
    ludwigId: id,
    arch,
    weights: { file, url: torchvisionUrl(file) },
    preprocessing,
    featureSize: arch.lastChannel,
  };
}

/** The variants of `efficientnet` (torchvision's default weights of each). */
export const EFFICIENTNET_VARIANTS: Readonly<Record<string, VariantEntry<EfficientNetArch>>> = {
  b0: entry(
    "b0",
    v1(1.0, 1.0, 0.2, 1e-5, 0.1),
    "efficientnet_b0_rwightman-3dd342df.pth",
    transform(256, 224, "bicubic"),
  ),
  b1: entry(
    "b1",
    v1(1.0, 1.1, 0.2, 1e-5, 0.1),
    "efficientnet_b1-c27df63c.pth",
    transform(255, 240, "bilinear"),
  ),
  b2: entry(
    "b2",
    v1(1.1, 1.2, 0.3, 1e-5, 0.1),
    "efficientnet_b2_rwightman-bcdf34b7.pth",
    transform(288, 288, "bicubic"),
  ),
  b3: entry(
    "b3",
    v1(1.2, 1.4, 0.3, 1e-5, 0.1),
    "efficientnet_b3_rwightman-cf984f9c.pth",
    transform(320, 300, "bicubic"),
  ),
  b4: entry(
    "b4",
    v1(1.4, 1.8, 0.4, 1e-5, 0.1),
    "efficientnet_b4_rwightman-7eb33cd5.pth",
    transform(384, 380, "bicubic"),
  ),
  b5: entry(
    "b5",
    v1(1.6, 2.2, 0.4, 1e-3, 0.01),
    "efficientnet_b5_lukemelas-b6417697.pth",
    transform(456, 456, "bicubic"),
  ),
  b6: entry(
    "b6",
    v1(1.8, 2.6, 0.5, 1e-3, 0.01),
    "efficientnet_b6_lukemelas-c76e70fd.pth",
    transform(528, 528, "bicubic"),
  ),
  b7: entry(
    "b7",
    v1(2.0, 3.1, 0.5, 1e-3, 0.01),
    "efficientnet_b7_lukemelas-dcc49843.pth",
    transform(600, 600, "bicubic"),
  ),
  v2_s: entry(
    "v2_s",
    v2(V2_S, 0.2),
    "efficientnet_v2_s-dd5fe13b.pth",
    transform(384, 384, "bilinear"),
  ),
  v2_m: entry(
    "v2_m",
    v2(V2_M, 0.3),
    "efficientnet_v2_m-dc08266a.pth",
    transform(480, 480, "bilinear"),
  ),
  v2_l: entry(
    "v2_l",
    v2(V2_L, 0.4),
    "efficientnet_v2_l-59c71312.pth",
    transform(480, 480, "bicubic", true),
  ),
};

/** Ludwig's `efficientnet` encoder: torchvision's `efficientnet_*` without `classifier[-1]`. */
export const EFFICIENTNET: FamilyTable<EfficientNetArch> = {
  type: "efficientnet",
  variants: EFFICIENTNET_VARIANTS,
  defaultVariant: "b0",
  minInputSize: 1,
  ignoreWeights: [/^classifier\.1\./],
  build(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
    imageInput(input, EFFICIENTNET.type, EFFICIENTNET.minInputSize);
    return buildEfficientNet(input, variantEntry(EFFICIENTNET, variant).arch, opts.prefix ?? "");
  },
};
