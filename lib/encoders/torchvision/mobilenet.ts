/**
 * torchvision's MobileNet V2 (`mobilenetv2`) and MobileNet V3 (`mobilenetv3`: `small`,
 * `large`), without their last classification layer as Ludwig 0.7 removes it
 * (`classifier[-1]`): v2 ends in the classifier's dropout over the 1280 pooled features, v3 in
 * the classifier's Linear → hardswish → dropout (1024 features for `small`, 1280 for `large`).
 *
 * `mobilenetv2` also takes a Keras MobileNetV2's weights (`_keras.ts`): it is then built with
 * Keras' TF "same" padding and batch-norm settings, so it computes what the Keras model does.
 *
 * Traps kept: v3's batch norms use eps 1e-3 and momentum 0.01, v2's torch defaults; hardswish
 * and hardsigmoid are torch's `relu6(x + 3) / 6` forms; v3's squeeze-excitation has
 * `_make_divisible(expanded // 4, 8)` channels, ReLU and a hardsigmoid gate.
 *
 * @module
 */
import {
  activation,
  adaptiveAvgPool2d,
  add,
  batchNorm,
  type BuildOptions,
  conv2d,
  dropout,
  type FamilyTable,
  flatten,
  imageInput,
  imagenetTransform,
  linear,
  squeezeExcitation,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";
import { convNormAct, makeDivisible, pyRound } from "./_blocks_mobile.ts";
import { kerasMobileNetV2Weights } from "./_keras.ts";

// ---------------------------------------------------------------------------------------------
// MobileNet V2

/** The architecture parameters of MobileNet V2. */
export interface MobileNetV2Arch {
  /** Width multiplier (1 for torchvision's model). */
  widthMult: number;
  /** `[expand ratio t, channels c, repeats n, stride s]` per stage. */
  setting: readonly (readonly [number, number, number, number])[];
  /** The classifier's dropout. */
  dropout: number;
}

const MOBILENET_V2_SETTING = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
] as const;

/** Keras' batch-norm settings, when the weights come from a Keras MobileNetV2. */
type KerasOptions = BuildOptions["keras"];

function buildMobileNetV2(
  input: Symbolic,
  arch: MobileNetV2Arch,
  prefix: string,
  keras?: KerasOptions,
): Symbolic {
  const p = (s: string) => prefix + s;
  // Keras: TF "same" padding of the 3x3 convolutions (asymmetric at stride 2 on even sizes) and
  // its batch-norm epsilon/momentum; torchvision: symmetric padding 1, eps 1e-5, momentum 0.1.
  const bn = keras ? { eps: keras.epsilon, momentum: 1 - keras.momentum } : {};
  const pad3 = keras ? "same" as const : undefined;
  let inC = makeDivisible(32 * arch.widthMult, 8);
  const last = makeDivisible(1280 * Math.max(1, arch.widthMult), 8);
  let h = convNormAct(input, {
    name: p("features.0"),
    outChannels: inC,
    kernel: 3,
    stride: 2,
    padding: pad3,
    activation: "relu6",
    ...bn,
  });
  let index = 1;
  for (const [t, c, n, s] of arch.setting) {
    const outC = makeDivisible(c * arch.widthMult, 8);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = pyRound(inC * t);
      const name = p(`features.${index}.conv`);
      let y = h;
      let j = 0;
      if (t !== 1) {
        y = convNormAct(y, {
          name: `${name}.${j++}`,
          outChannels: hidden,
          kernel: 1,
          activation: "relu6",
          ...bn,
        });
      }
      y = convNormAct(y, {
        name: `${name}.${j++}`,
        outChannels: hidden,
        kernel: 3,
        stride,
        padding: pad3,
        groups: hidden,
        activation: "relu6",
        ...bn,
      });
      y = conv2d(y, { name: `${name}.${j++}`, outChannels: outC, kernel: 1, bias: false });
      y = batchNorm(y, { name: `${name}.${j++}`, ...bn });
      h = stride === 1 && inC === outC ? add([h, y], p(`features.${index}.add`)) : y;
      inC = outC;
      index++;
    }
  }
  h = convNormAct(h, {
    name: p(`features.${index}`),
    outChannels: last,
    kernel: 1,
    activation: "relu6",
    ...bn,
  });
  h = flatten(adaptiveAvgPool2d(h, 1, p("avgpool")), p("flatten"));
  return dropout(h, arch.dropout, p("classifier.0"));
}

/** The variants of `mobilenetv2` (Ludwig has one, `base`). */
export const MOBILENET_V2_VARIANTS: Readonly<Record<string, VariantEntry<MobileNetV2Arch>>> = {
  base: {
    ludwigId: "base",
    arch: { widthMult: 1, setting: MOBILENET_V2_SETTING, dropout: 0.2 },
    weights: {
      file: "mobilenet_v2-7ebf99e0.pth",
      url: torchvisionUrl("mobilenet_v2-7ebf99e0.pth"),
    },
    preprocessing: imagenetTransform(232, 224),
    featureSize: 1280,
  },
};

/** Ludwig's `mobilenetv2` encoder: torchvision's `mobilenet_v2` without `classifier[-1]`. */
export const MOBILENET_V2: FamilyTable<MobileNetV2Arch> = {
  type: "mobilenetv2",
  variants: MOBILENET_V2_VARIANTS,
  defaultVariant: "base",
  minInputSize: 1,
  ignoreWeights: [/^classifier\.1\./],
  fromKeras: kerasMobileNetV2Weights,
  build(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
    imageInput(input, MOBILENET_V2.type, MOBILENET_V2.minInputSize);
    const entry = variantEntry(MOBILENET_V2, variant);
    return buildMobileNetV2(input, entry.arch, opts.prefix ?? "", opts.keras);
  },
};

// ---------------------------------------------------------------------------------------------
// MobileNet V3

/** One inverted-residual block of MobileNet V3 (torchvision's `InvertedResidualConfig`). */
export interface MobileNetV3Block {
  /** Input channels. */
  input: number;
  /** Depthwise kernel size. */
  kernel: number;
  /** Expanded channels. */
  expanded: number;
  /** Output channels. */
  output: number;
  /** Whether a squeeze-excitation follows the depthwise convolution. */
  se: boolean;
  /** `HS` (hardswish) or `RE` (ReLU). */
  act: "HS" | "RE";
  /** Stride. */
  stride: number;
}

/** The architecture parameters of MobileNet V3. */
export interface MobileNetV3Arch {
  /** The inverted-residual blocks (width multiplier 1). */
  blocks: readonly MobileNetV3Block[];
  /** The classifier's hidden width (the encoder's output size). */
  lastChannel: number;
  /** The classifier's dropout. */
  dropout: number;
}

type V3Row = readonly [number, number, number, number, boolean, "HS" | "RE", number];

function v3Blocks(rows: readonly V3Row[]): MobileNetV3Block[] {
  return rows.map(([input, kernel, expanded, output, se, act, stride]) => ({
    input: makeDivisible(input, 8),
    kernel,
    expanded: makeDivisible(expanded, 8),
    output: makeDivisible(output, 8),
    se,
    act,
    stride,
  }));
}

const V3_LARGE: readonly V3Row[] = [
  [16, 3, 16, 16, false, "RE", 1],
  [16, 3, 64, 24, false, "RE", 2],
  [24, 3, 72, 24, false, "RE", 1],
  [24, 5, 72, 40, true, "RE", 2],
  [40, 5, 120, 40, true, "RE", 1],
  [40, 5, 120, 40, true, "RE", 1],
  [40, 3, 240, 80, false, "HS", 2],
  [80, 3, 200, 80, false, "HS", 1],
  [80, 3, 184, 80, false, "HS", 1],
  [80, 3, 184, 80, false, "HS", 1],
  [80, 3, 480, 112, true, "HS", 1],
  [112, 3, 672, 112, true, "HS", 1],
  [112, 5, 672, 160, true, "HS", 2],
  [160, 5, 960, 160, true, "HS", 1],
  [160, 5, 960, 160, true, "HS", 1],
];

const V3_SMALL: readonly V3Row[] = [
  [16, 3, 16, 16, true, "RE", 2],
  [16, 3, 72, 24, false, "RE", 2],
  [24, 3, 88, 24, false, "RE", 1],
  [24, 5, 96, 40, true, "HS", 2],
  [40, 5, 240, 40, true, "HS", 1],
  [40, 5, 240, 40, true, "HS", 1],
  [40, 5, 120, 48, true, "HS", 1],
  [48, 5, 144, 48, true, "HS", 1],
  [48, 5, 288, 96, true, "HS", 2],
  [96, 5, 576, 96, true, "HS", 1],
  [96, 5, 576, 96, true, "HS", 1],
];

const V3_EPS = 1e-3;
const V3_MOMENTUM = 0.01;

function buildMobileNetV3(input: Symbolic, arch: MobileNetV3Arch, prefix: string): Symbolic {
  const p = (s: string) => prefix + s;
  const bn = { eps: V3_EPS, momentum: V3_MOMENTUM };
  let h = convNormAct(input, {
    name: p("features.0"),
    outChannels: arch.blocks[0].input,
    kernel: 3,
    stride: 2,
    activation: "hardswish",
    ...bn,
  });
  arch.blocks.forEach((b, i) => {
    const name = p(`features.${i + 1}.block`);
    const act = b.act === "HS" ? "hardswish" : "relu";
    let y = h;
    let j = 0;
    if (b.expanded !== b.input) {
      y = convNormAct(y, {
        name: `${name}.${j++}`,
        outChannels: b.expanded,
        kernel: 1,
        activation: act,
        ...bn,
      });
    }
    y = convNormAct(y, {
      name: `${name}.${j++}`,
      outChannels: b.expanded,
      kernel: b.kernel,
      stride: b.stride,
      groups: b.expanded,
      activation: act,
      ...bn,
    });
    if (b.se) {
      y = squeezeExcitation(y, {
        name: `${name}.${j++}`,
        squeezeChannels: makeDivisible(Math.floor(b.expanded / 4), 8),
        activation: "relu",
        scaleActivation: "hardsigmoid",
      });
    }
    y = convNormAct(y, {
      name: `${name}.${j++}`,
      outChannels: b.output,
      kernel: 1,
      activation: null,
      ...bn,
    });
    h = b.stride === 1 && b.input === b.output ? add([h, y], p(`features.${i + 1}.add`)) : y;
  });
  const lastIn = arch.blocks[arch.blocks.length - 1].output;
  h = convNormAct(h, {
    name: p(`features.${arch.blocks.length + 1}`),
    outChannels: 6 * lastIn,
    kernel: 1,
    activation: "hardswish",
    ...bn,
  });
  h = flatten(adaptiveAvgPool2d(h, 1, p("avgpool")), p("flatten"));
  h = linear(h, { name: p("classifier.0"), outFeatures: arch.lastChannel });
  h = activation(h, "hardswish", p("classifier.1"));
  return dropout(h, arch.dropout, p("classifier.2"));
}

/** The variants of `mobilenetv3`. */
export const MOBILENET_V3_VARIANTS: Readonly<Record<string, VariantEntry<MobileNetV3Arch>>> = {
  small: {
    ludwigId: "small",
    arch: { blocks: v3Blocks(V3_SMALL), lastChannel: 1024, dropout: 0.2 },
    weights: {
      file: "mobilenet_v3_small-047dcff4.pth",
      url: torchvisionUrl("mobilenet_v3_small-047dcff4.pth"),
    },
    preprocessing: imagenetTransform(256, 224),
    featureSize: 1024,
  },
  large: {
    ludwigId: "large",
    arch: { blocks: v3Blocks(V3_LARGE), lastChannel: 1280, dropout: 0.2 },
    weights: {
      file: "mobilenet_v3_large-5c1a4163.pth",
      url: torchvisionUrl("mobilenet_v3_large-5c1a4163.pth"),
    },
    preprocessing: imagenetTransform(232, 224),
    featureSize: 1280,
  },
};

/** Ludwig's `mobilenetv3` encoder: torchvision's `mobilenet_v3_*` without `classifier[-1]`. */
export const MOBILENET_V3: FamilyTable<MobileNetV3Arch> = {
  type: "mobilenetv3",
  variants: MOBILENET_V3_VARIANTS,
  defaultVariant: "small",
  minInputSize: 1,
  ignoreWeights: [/^classifier\.3\./],
  build(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
    imageInput(input, MOBILENET_V3.type, MOBILENET_V3.minInputSize);
    const entry = variantEntry(MOBILENET_V3, variant);
    return buildMobileNetV3(input, entry.arch, opts.prefix ?? "");
  },
};
