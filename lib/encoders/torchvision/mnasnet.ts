/**
 * torchvision's MNASNet (B1, version 2 of its stem) as Ludwig 0.7's `mnasnet` encoder
 * (`0_5`, `0_75`, `1_0`, `1_3`), without `classifier[-1]`: the output is the classifier's
 * dropout over the 1280 averaged features.
 *
 * Traps kept: the batch norms use torch's default eps 1e-5 with momentum 1 − 0.9997 (the
 * paper's TensorFlow momentum); channel depths round with `_round_to_multiple_of(…, 8, 0.9)`;
 * depthwise convolutions pad `kernel // 2` symmetrically.
 *
 * @module
 */
import {
  add,
  batchNorm,
  type BuildOptions,
  conv2d,
  dropout,
  type FamilyTable,
  imageInput,
  imagenetTransform,
  relu,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";
import { globalMean } from "./_blocks_mobile.ts";

/** The architecture parameters of MNASNet. */
export interface MnasNetArch {
  /** The depth multiplier α. */
  alpha: number;
  /** The classifier's dropout. */
  dropout: number;
}

/** torchvision's batch-norm momentum of MNASNet (torch's sense). */
export const MNASNET_BN_MOMENTUM = 1 - 0.9997;

/** torchvision's `_round_to_multiple_of(val, divisor, round_up_bias = 0.9)`. */
export function roundToMultipleOf(val: number, divisor: number, roundUpBias = 0.9): number {
  const v = Math.max(divisor, Math.floor(Math.trunc(val + divisor / 2) / divisor) * divisor);
  return v >= roundUpBias * val ? v : v + divisor;
}

/** The eight stage depths of MNASNet for `alpha`. */
export function mnasnetDepths(alpha: number): number[] {
  return [32, 16, 24, 40, 80, 96, 192, 320].map((d) => roundToMultipleOf(d * alpha, 8));
}

// [kernel, stride, expansion, repeats] of the six inverted-residual stacks
const STACKS = [
  [3, 2, 3, 3],
  [5, 2, 3, 3],
  [5, 2, 6, 3],
  [3, 1, 6, 2],
  [5, 2, 6, 4],
  [3, 1, 6, 1],
] as const;

function buildMnasNet(input: Symbolic, arch: MnasNetArch, prefix: string): Symbolic {
  const p = (s: string) => prefix + s;
  const bn = (x: Symbolic, name: string) => batchNorm(x, { name, momentum: MNASNET_BN_MOMENTUM });
  const d = mnasnetDepths(arch.alpha);
  let h = conv2d(input, {
    name: p("layers.0"),
    outChannels: d[0],
    kernel: 3,
    stride: 2,
    padding: 1,
    bias: false,
  });
  h = relu(bn(h, p("layers.1")), p("layers.2"));
  h = conv2d(h, {
    name: p("layers.3"),
    outChannels: d[0],
    kernel: 3,
    padding: 1,
    groups: d[0],
    bias: false,
  });
  h = relu(bn(h, p("layers.4")), p("layers.5"));
  h = conv2d(h, { name: p("layers.6"), outChannels: d[1], kernel: 1, bias: false });
  h = bn(h, p("layers.7"));
  let inC = d[1];
  STACKS.forEach(([kernel, stride, expansion, repeats], s) => {
    const outC = d[s + 2];
    for (let r = 0; r < repeats; r++) {
      const name = p(`layers.${8 + s}.${r}`);
      const st = r === 0 ? stride : 1;
      const mid = inC * expansion;
      let y = conv2d(h, { name: `${name}.layers.0`, outChannels: mid, kernel: 1, bias: false });
      y = relu(bn(y, `${name}.layers.1`), `${name}.layers.2`);
      y = conv2d(y, {
        name: `${name}.layers.3`,
        outChannels: mid,
        kernel,
        stride: st,
        padding: Math.floor(kernel / 2),
        groups: mid,
        bias: false,
      });
      y = relu(bn(y, `${name}.layers.4`), `${name}.layers.5`);
      y = conv2d(y, { name: `${name}.layers.6`, outChannels: outC, kernel: 1, bias: false });
      y = bn(y, `${name}.layers.7`);
      h = inC === outC && st === 1 ? add([y, h], `${name}.add`) : y;
      inC = outC;
    }
  });
  h = conv2d(h, { name: p("layers.14"), outChannels: 1280, kernel: 1, bias: false });
  h = relu(bn(h, p("layers.15")), p("layers.16"));
  h = globalMean(h, p("mean"));
  return dropout(h, arch.dropout, p("classifier.0"));
}

function entry(
  id: string,
  alpha: number,
  file: string,
  resize: number,
): VariantEntry<MnasNetArch> {
  return {
    ludwigId: id,
    arch: { alpha, dropout: 0.2 },
    weights: { file, url: torchvisionUrl(file) },
    preprocessing: imagenetTransform(resize, 224),
    featureSize: 1280,
  };
}

/** The variants of `mnasnet` (torchvision's default weights of each). */
export const MNASNET_VARIANTS: Readonly<Record<string, VariantEntry<MnasNetArch>>> = {
  "0_5": entry("0_5", 0.5, "mnasnet0.5_top1_67.823-3ffadce67e.pth", 256),
  "0_75": entry("0_75", 0.75, "mnasnet0_75-7090bc5f.pth", 232),
  "1_0": entry("1_0", 1.0, "mnasnet1.0_top1_73.512-f206786ef8.pth", 256),
  "1_3": entry("1_3", 1.3, "mnasnet1_3-a4c69d6f.pth", 232),
};

/** Ludwig's `mnasnet` encoder: torchvision's `mnasnet*` without `classifier[-1]`. */
export const MNASNET: FamilyTable<MnasNetArch> = {
  type: "mnasnet",
  variants: MNASNET_VARIANTS,
  defaultVariant: "0_5",
  minInputSize: 1,
  ignoreWeights: [/^classifier\.1\./],
  build(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
    imageInput(input, MNASNET.type, MNASNET.minInputSize);
    return buildMnasNet(input, variantEntry(MNASNET, variant).arch, opts.prefix ?? "");
  },
};
