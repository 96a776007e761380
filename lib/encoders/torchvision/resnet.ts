/**
 * torchvision's ResNet (He et al. 2015, v1.5: the stride on the 3×3 convolution of
 * bottlenecks), ResNeXt (grouped bottlenecks) and Wide ResNet (wider bottlenecks), with the
 * final `fc` removed as Ludwig does: the encoder outputs the pooled features
 * (`512 · expansion`).
 *
 * @module
 */
import {
  adaptiveAvgPool2d,
  add,
  batchNorm,
  type BuildOptions,
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

/** The architecture of a ResNet variant. */
export interface ResnetArch {
  /** Basic blocks (two 3×3 convolutions) or bottlenecks (1×1, 3×3, 1×1; expansion 4). */
  block: "basic" | "bottleneck";
  /** Blocks per stage (`layer1` … `layer4`). */
  layers: readonly [number, number, number, number];
  /** Groups of the bottleneck's 3×3 convolution (ResNeXt). */
  groups: number;
  /** Width per group (64 normally, 4/8 for ResNeXt, 128 for Wide ResNet). */
  widthPerGroup: number;
}

const MIN_SIZE = 32;

function basicBlock(
  x: Symbolic,
  name: string,
  planes: number,
  stride: number,
  downsample: boolean,
): Symbolic {
  let h = conv2d(x, {
    name: `${name}.conv1`,
    outChannels: planes,
    kernel: 3,
    stride,
    padding: 1,
    bias: false,
  });
  h = relu(batchNorm(h, { name: `${name}.bn1` }), `${name}.relu1`);
  h = conv2d(h, { name: `${name}.conv2`, outChannels: planes, kernel: 3, padding: 1, bias: false });
  h = batchNorm(h, { name: `${name}.bn2` });
  const identity = downsample ? shortcut(x, name, planes, stride) : x;
  return relu(add([h, identity], `${name}.add`), `${name}.relu2`);
}

function bottleneck(
  x: Symbolic,
  name: string,
  planes: number,
  stride: number,
  downsample: boolean,
  arch: ResnetArch,
): Symbolic {
  const width = Math.floor(planes * (arch.widthPerGroup / 64)) * arch.groups;
  let h = conv2d(x, { name: `${name}.conv1`, outChannels: width, kernel: 1, bias: false });
  h = relu(batchNorm(h, { name: `${name}.bn1` }), `${name}.relu1`);
  h = conv2d(h, {
    name: `${name}.conv2`,
    outChannels: width,
    kernel: 3,
    stride,
    padding: 1,
    groups: arch.groups,
    bias: false,
  });
  h = relu(batchNorm(h, { name: `${name}.bn2` }), `${name}.relu2`);
  h = conv2d(h, { name: `${name}.conv3`, outChannels: planes * 4, kernel: 1, bias: false });
  h = batchNorm(h, { name: `${name}.bn3` });
  const identity = downsample ? shortcut(x, name, planes * 4, stride) : x;
  return relu(add([h, identity], `${name}.add`), `${name}.relu3`);
}

function shortcut(x: Symbolic, name: string, channels: number, stride: number): Symbolic {
  const h = conv2d(x, {
    name: `${name}.downsample.0`,
    outChannels: channels,
    kernel: 1,
    stride,
    bias: false,
  });
  return batchNorm(h, { name: `${name}.downsample.1` });
}

/**
 * The ResNet trunk of `arch` on `input` (`[batch, h, w, 3]`): `[batch, 512 · expansion]`.
 *
 * @param input The normalized images.
 * @param arch The architecture.
 * @param type The encoder type, for messages.
 * @param opts The layer-name prefix.
 * @returns The pooled features.
 */
export function buildResnet(
  input: Symbolic,
  arch: ResnetArch,
  type: string,
  opts: BuildOptions = {},
): Symbolic {
  imageInput(input, type, MIN_SIZE);
  const p = opts.prefix ?? "";
  let h = conv2d(input, {
    name: `${p}conv1`,
    outChannels: 64,
    kernel: 7,
    stride: 2,
    padding: 3,
    bias: false,
  });
  h = relu(batchNorm(h, { name: `${p}bn1` }), `${p}relu`);
  h = maxPool2d(h, { name: `${p}maxpool`, kernel: 3, stride: 2, padding: 1 });
  const expansion = arch.block === "basic" ? 1 : 4;
  let channels = 64;
  arch.layers.forEach((blocks, stage) => {
    const planes = 64 * 2 ** stage;
    for (let b = 0; b < blocks; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const downsample = b === 0 && (stride !== 1 || channels !== planes * expansion);
      const name = `${p}layer${stage + 1}.${b}`;
      h = arch.block === "basic"
        ? basicBlock(h, name, planes, stride, downsample)
        : bottleneck(h, name, planes, stride, downsample, arch);
      channels = planes * expansion;
    }
  });
  h = adaptiveAvgPool2d(h, 1, `${p}avgpool`);
  return flatten(h, `${p}flatten`);
}

function entry(
  ludwigId: string | number,
  file: string,
  arch: ResnetArch,
  resizeSize: number,
): VariantEntry<ResnetArch> {
  return {
    ludwigId,
    arch,
    weights: { file, url: torchvisionUrl(file) },
    preprocessing: imagenetTransform(resizeSize, 224, "bilinear"),
    featureSize: 512 * (arch.block === "basic" ? 1 : 4),
  };
}

const plain = (block: ResnetArch["block"], layers: ResnetArch["layers"]): ResnetArch => ({
  block,
  layers,
  groups: 1,
  widthPerGroup: 64,
});

const IGNORE = [/^fc\./] as const;

function family(
  type: string,
  defaultVariant: string,
  variants: Record<string, VariantEntry<ResnetArch>>,
): FamilyTable<ResnetArch> {
  const table: FamilyTable<ResnetArch> = {
    type,
    variants,
    defaultVariant,
    minInputSize: MIN_SIZE,
    ignoreWeights: IGNORE,
    build: (input, variant, opts) =>
      buildResnet(input, variantEntry(table, variant).arch, type, opts),
  };
  return table;
}

/** Ludwig's `resnet` (torchvision `resnet18` … `resnet152`). */
export const RESNET: FamilyTable<ResnetArch> = family("resnet", "50", {
  "18": entry(18, "resnet18-f37072fd.pth", plain("basic", [2, 2, 2, 2]), 256),
  "34": entry(34, "resnet34-b627a593.pth", plain("basic", [3, 4, 6, 3]), 256),
  "50": entry(50, "resnet50-11ad3fa6.pth", plain("bottleneck", [3, 4, 6, 3]), 232),
  "101": entry(101, "resnet101-cd907fc2.pth", plain("bottleneck", [3, 4, 23, 3]), 232),
  "152": entry(152, "resnet152-f82ba261.pth", plain("bottleneck", [3, 8, 36, 3]), 232),
});

/** Ludwig's `resnext` (torchvision `resnext50_32x4d`, `resnext101_32x8d`, `resnext101_64x4d`). */
export const RESNEXT: FamilyTable<ResnetArch> = family("resnext", "50_32x4d", {
  "50_32x4d": entry("50_32x4d", "resnext50_32x4d-1a0047aa.pth", {
    block: "bottleneck",
    layers: [3, 4, 6, 3],
    groups: 32,
    widthPerGroup: 4,
  }, 232),
  "101_32x8d": entry("101_32x8d", "resnext101_32x8d-110c445d.pth", {
    block: "bottleneck",
    layers: [3, 4, 23, 3],
    groups: 32,
    widthPerGroup: 8,
  }, 232),
  "101_64x4d": entry("101_64x4d", "resnext101_64x4d-173b62eb.pth", {
    block: "bottleneck",
    layers: [3, 4, 23, 3],
    groups: 64,
    widthPerGroup: 4,
  }, 232),
});

/** Ludwig's `wide_resnet` (torchvision `wide_resnet50_2`, `wide_resnet101_2`). */
export const WIDE_RESNET: FamilyTable<ResnetArch> = family("wide_resnet", "50_2", {
  "50_2": entry("50_2", "wide_resnet50_2-9ba9bcbe.pth", {
    block: "bottleneck",
    layers: [3, 4, 6, 3],
    groups: 1,
    widthPerGroup: 128,
  }, 232),
  "101_2": entry("101_2", "wide_resnet101_2-d733dc28.pth", {
    block: "bottleneck",
    layers: [3, 4, 23, 3],
    groups: 1,
    widthPerGroup: 128,
  }, 232),
});
