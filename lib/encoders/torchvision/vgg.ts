/**
 * torchvision's VGG (Simonyan & Zisserman 2014; configurations A, B, D, E with or without
 * batch norm) and AlexNet (the "one weird trick" variant torchvision ships), with the last
 * classifier layer removed as Ludwig does: the encoder outputs the 4096 activations of the
 * second fully connected layer (after its ReLU and dropout). The 7×7 (VGG) or 6×6 (AlexNet)
 * adaptive pooling is flattened in torch's NCHW order, so the first Linear layer's weights load
 * unchanged.
 *
 * @module
 */
import {
  adaptiveAvgPool2d,
  batchNorm,
  type BuildOptions,
  conv2d,
  dropout,
  type FamilyTable,
  flatten,
  imageInput,
  imagenetTransform,
  linear,
  maxPool2d,
  relu,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";

/** The architecture of a VGG variant: output channels of each 3×3 conv, `"M"` a 2×2 max pool. */
export interface VggArch {
  /** The `features` configuration. */
  config: readonly (number | "M")[];
  /** Batch norm after each convolution. */
  batchNorm: boolean;
}

const A = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"] as const;
const B = [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"] as const;
const D = [
  ...[64, 64, "M", 128, 128, "M", 256, 256, 256, "M"] as const,
  ...[512, 512, 512, "M", 512, 512, 512, "M"] as const,
];
const E = [
  ...[64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"] as const,
  ...[512, 512, 512, 512, "M", 512, 512, 512, 512, "M"] as const,
];

/** The classifier without its last Linear: Linear → ReLU → Dropout, twice (indices `from`…). */
function classifierTrunk(x: Symbolic, p: string, dropoutFirst: boolean): Symbolic {
  let h = x;
  let i = 0;
  for (let layer = 0; layer < 2; layer++) {
    if (dropoutFirst) h = dropout(h, 0.5, `${p}classifier.${i++}`);
    h = linear(h, { name: `${p}classifier.${i++}`, outFeatures: 4096 });
    h = relu(h, `${p}classifier.${i++}`);
    if (!dropoutFirst) h = dropout(h, 0.5, `${p}classifier.${i++}`);
  }
  return h;
}

/** The VGG encoder of `arch`: `[batch, 4096]`. */
export function buildVgg(input: Symbolic, arch: VggArch, opts: BuildOptions = {}): Symbolic {
  imageInput(input, "vgg", 32);
  const p = opts.prefix ?? "";
  let h = input;
  let i = 0;
  for (const v of arch.config) {
    if (v === "M") {
      h = maxPool2d(h, { name: `${p}features.${i++}`, kernel: 2, stride: 2 });
      continue;
    }
    h = conv2d(h, { name: `${p}features.${i++}`, outChannels: v, kernel: 3, padding: 1 });
    if (arch.batchNorm) h = batchNorm(h, { name: `${p}features.${i++}` });
    h = relu(h, `${p}features.${i++}`);
  }
  h = flatten(adaptiveAvgPool2d(h, 7, `${p}avgpool`), `${p}flatten`);
  return classifierTrunk(h, p, false);
}

function vggEntry(
  ludwigId: string | number,
  file: string,
  config: readonly (number | "M")[],
  bn: boolean,
): VariantEntry<VggArch> {
  return {
    ludwigId,
    arch: { config, batchNorm: bn },
    weights: { file, url: torchvisionUrl(file) },
    preprocessing: imagenetTransform(256, 224, "bilinear"),
    featureSize: 4096,
  };
}

/** Ludwig's `vgg` (torchvision `vgg11` … `vgg19_bn`). */
export const VGG: FamilyTable<VggArch> = {
  type: "vgg",
  variants: {
    "11": vggEntry(11, "vgg11-8a719046.pth", A, false),
    "11_bn": vggEntry("11_bn", "vgg11_bn-6002323d.pth", A, true),
    "13": vggEntry(13, "vgg13-19584684.pth", B, false),
    "13_bn": vggEntry("13_bn", "vgg13_bn-abd245e5.pth", B, true),
    "16": vggEntry(16, "vgg16-397923af.pth", D, false),
    "16_bn": vggEntry("16_bn", "vgg16_bn-6c64b313.pth", D, true),
    "19": vggEntry(19, "vgg19-dcbb9e9d.pth", E, false),
    "19_bn": vggEntry("19_bn", "vgg19_bn-c79401a0.pth", E, true),
  },
  defaultVariant: "11",
  minInputSize: 32,
  ignoreWeights: [/^classifier\.6\./],
  build: (input, variant, opts) => buildVgg(input, variantEntry(VGG, variant).arch, opts),
};

/** AlexNet's layers (torchvision's single variant). */
export type AlexnetArch = Record<string, never>;

/** The AlexNet encoder: `[batch, 4096]`. */
export function buildAlexnet(input: Symbolic, opts: BuildOptions = {}): Symbolic {
  imageInput(input, "alexnet", 63);
  const p = opts.prefix ?? "";
  const f = (i: number) => `${p}features.${i}`;
  let h = conv2d(input, { name: f(0), outChannels: 64, kernel: 11, stride: 4, padding: 2 });
  h = maxPool2d(relu(h, f(1)), { name: f(2), kernel: 3, stride: 2 });
  h = conv2d(h, { name: f(3), outChannels: 192, kernel: 5, padding: 2 });
  h = maxPool2d(relu(h, f(4)), { name: f(5), kernel: 3, stride: 2 });
  h = relu(conv2d(h, { name: f(6), outChannels: 384, kernel: 3, padding: 1 }), f(7));
  h = relu(conv2d(h, { name: f(8), outChannels: 256, kernel: 3, padding: 1 }), f(9));
  h = relu(conv2d(h, { name: f(10), outChannels: 256, kernel: 3, padding: 1 }), f(11));
  h = maxPool2d(h, { name: f(12), kernel: 3, stride: 2 });
  h = flatten(adaptiveAvgPool2d(h, 6, `${p}avgpool`), `${p}flatten`);
  return classifierTrunk(h, p, true);
}

/** Ludwig's `alexnet` (one variant, `base`). */
export const ALEXNET: FamilyTable<AlexnetArch> = {
  type: "alexnet",
  variants: {
    base: {
      ludwigId: "base",
      arch: {},
      weights: {
        file: "alexnet-owt-7be5be79.pth",
        url: torchvisionUrl("alexnet-owt-7be5be79.pth"),
      },
      preprocessing: imagenetTransform(256, 224, "bilinear"),
      featureSize: 4096,
    },
  },
  defaultVariant: "base",
  minInputSize: 63,
  ignoreWeights: [/^classifier\.6\./],
  build: (input, variant, opts) => {
    variantEntry(ALEXNET, variant);
    return buildAlexnet(input, opts);
  },
};
