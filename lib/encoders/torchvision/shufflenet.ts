/**
 * torchvision's ShuffleNet V2 as Ludwig 0.7's `shufflenet_v2` encoder (`x0_5`, `x1_0`,
 * `x1_5`, `x2_0`), without `fc`: the output is the spatial mean of `conv5` (1024 features,
 * 2048 for `x2_0`).
 *
 * Traps kept: the stride-1 units split the channels in halves (`x.chunk(2, dim=1)`) and every
 * unit ends in `channel_shuffle(x, 2)` in torch's NCHW channel order; the stem's max pool pads
 * with −∞.
 *
 * @module
 */
import {
  batchNorm,
  type BuildOptions,
  concat,
  conv2d,
  type FamilyTable,
  imageInput,
  imagenetTransform,
  maxPool2d,
  relu,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";
import { channelShuffle, channelSlice, globalMean } from "./_blocks_mobile.ts";

/** The architecture parameters of ShuffleNet V2. */
export interface ShuffleNetV2Arch {
  /** Units of stages 2, 3, 4. */
  repeats: readonly [number, number, number];
  /** Output channels of conv1, stages 2–4 and conv5. */
  channels: readonly [number, number, number, number, number];
}

function depthwise(x: Symbolic, name: string, stride: number): Symbolic {
  const c = x.shape[3] as number;
  return conv2d(x, {
    name,
    outChannels: c,
    kernel: 3,
    stride,
    padding: 1,
    groups: c,
    bias: false,
  });
}

function pointwise(x: Symbolic, name: string, out: number): Symbolic {
  return conv2d(x, { name, outChannels: out, kernel: 1, bias: false });
}

function unit(x: Symbolic, name: string, out: number, stride: number): Symbolic {
  const branch = out / 2;
  const inC = x.shape[3] as number;
  let left: Symbolic;
  let right: Symbolic;
  if (stride > 1) {
    left = depthwise(x, `${name}.branch1.0`, stride);
    left = batchNorm(left, { name: `${name}.branch1.1` });
    left = pointwise(left, `${name}.branch1.2`, branch);
    left = relu(batchNorm(left, { name: `${name}.branch1.3` }), `${name}.branch1.4`);
    right = x;
  } else {
    left = channelSlice(x, 0, inC / 2, `${name}.chunk0`);
    right = channelSlice(x, inC / 2, inC - inC / 2, `${name}.chunk1`);
  }
  right = pointwise(right, `${name}.branch2.0`, branch);
  right = relu(batchNorm(right, { name: `${name}.branch2.1` }), `${name}.branch2.2`);
  right = depthwise(right, `${name}.branch2.3`, stride);
  right = batchNorm(right, { name: `${name}.branch2.4` });
  right = pointwise(right, `${name}.branch2.5`, branch);
  right = relu(batchNorm(right, { name: `${name}.branch2.6` }), `${name}.branch2.7`);
  return channelShuffle(concat([left, right], `${name}.cat`), 2, `${name}.shuffle`);
}

function buildShuffleNetV2(input: Symbolic, arch: ShuffleNetV2Arch, prefix: string): Symbolic {
  const p = (s: string) => prefix + s;
  const [c1, , , , c5] = arch.channels;
  let h = conv2d(input, {
    name: p("conv1.0"),
    outChannels: c1,
    kernel: 3,
    stride: 2,
    padding: 1,
    bias: false,
  });
  h = relu(batchNorm(h, { name: p("conv1.1") }), p("conv1.2"));
  h = maxPool2d(h, { name: p("maxpool"), kernel: 3, stride: 2, padding: 1 });
  arch.repeats.forEach((repeats, s) => {
    const out = arch.channels[s + 1];
    for (let i = 0; i < repeats; i++) {
      h = unit(h, p(`stage${s + 2}.${i}`), out, i === 0 ? 2 : 1);
    }
  });
  h = pointwise(h, p("conv5.0"), c5);
  h = relu(batchNorm(h, { name: p("conv5.1") }), p("conv5.2"));
  return globalMean(h, p("mean"));
}

function entry(
  id: string,
  channels: ShuffleNetV2Arch["channels"],
  file: string,
  resize: number,
): VariantEntry<ShuffleNetV2Arch> {
  return {
    ludwigId: id,
    arch: { repeats: [4, 8, 4], channels },
    weights: { file, url: torchvisionUrl(file) },
    preprocessing: imagenetTransform(resize, 224),
    featureSize: channels[4],
  };
}

/** The variants of `shufflenet_v2` (torchvision's default weights of each). */
export const SHUFFLENET_V2_VARIANTS: Readonly<Record<string, VariantEntry<ShuffleNetV2Arch>>> = {
  x0_5: entry("x0_5", [24, 48, 96, 192, 1024], "shufflenetv2_x0.5-f707e7126e.pth", 256),
  x1_0: entry("x1_0", [24, 116, 232, 464, 1024], "shufflenetv2_x1-5666bf0f80.pth", 256),
  x1_5: entry("x1_5", [24, 176, 352, 704, 1024], "shufflenetv2_x1_5-3c479a10.pth", 232),
  x2_0: entry("x2_0", [24, 244, 488, 976, 2048], "shufflenetv2_x2_0-8be3c8ee.pth", 232),
};

/** Ludwig's `shufflenet_v2` encoder: torchvision's `shufflenet_v2_*` without `fc`. */
export const SHUFFLENET_V2: FamilyTable<ShuffleNetV2Arch> = {
  type: "shufflenet_v2",
  variants: SHUFFLENET_V2_VARIANTS,
  defaultVariant: "x0_5",
  minInputSize: 1,
  ignoreWeights: [/^fc\./],
  build(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
    imageInput(input, SHUFFLENET_V2.type, SHUFFLENET_V2.minInputSize);
    return buildShuffleNetV2(
      input,
      variantEntry(SHUFFLENET_V2, variant).arch,
      opts.prefix ?? "",
    );
  },
};
