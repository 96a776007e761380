/**
 * torchvision's RegNet X and Y as Ludwig 0.7's `regnet` encoder (every `x_*`/`y_*` variant
 * of torchvision 0.14), without `fc`: the output is the pooled width of the last stage.
 *
 * The per-stage tables (depths, widths, group widths) are what torchvision's
 * `BlockParams.from_init_params` computes from each variant's (depth, w_0, w_a, w_m, group
 * width) in float32 torch arithmetic; they are stated here rather than recomputed so that no
 * float rounding can differ. Traps kept: the 3×3 convolution is grouped with
 * `w_b / group_width` groups; Y's squeeze-excitation has `round(0.25 · block input width)`
 * channels with ReLU and a sigmoid gate; the projection shortcut exists when the width or the
 * stride changes; ReLU follows the sum.
 *
 * @module
 */
import {
  adaptiveAvgPool2d,
  add,
  type BuildOptions,
  type FamilyTable,
  flatten,
  imageInput,
  imagenetTransform,
  type Preprocessing,
  relu,
  squeezeExcitation,
  type Symbolic,
  torchvisionUrl,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";
import { convNormAct, pyRound } from "./_blocks_mobile.ts";

/** The architecture parameters of a RegNet variant (four stages, each stride 2). */
export interface RegNetArch {
  /** Blocks per stage. */
  depths: readonly number[];
  /** Output width per stage. */
  widths: readonly number[];
  /** Group width per stage. */
  groupWidths: readonly number[];
  /** Bottleneck multiplier (1 for every torchvision variant). */
  bottleneck: number;
  /** Squeeze-excitation ratio (Y variants), or null (X variants). */
  seRatio: number | null;
  /** Stem width. */
  stemWidth: number;
}

function buildRegNet(input: Symbolic, arch: RegNetArch, prefix: string): Symbolic {
  const p = (s: string) => prefix + s;
  let h = convNormAct(input, {
    name: p("stem"),
    outChannels: arch.stemWidth,
    kernel: 3,
    stride: 2,
    activation: "relu",
  });
  let width = arch.stemWidth;
  arch.depths.forEach((depth, s) => {
    const out = arch.widths[s];
    for (let i = 0; i < depth; i++) {
      const win = i === 0 ? width : out;
      const stride = i === 0 ? 2 : 1;
      const name = p(`trunk_output.block${s + 1}.block${s + 1}-${i}`);
      const wb = pyRound(out * arch.bottleneck);
      const groups = Math.floor(wb / arch.groupWidths[s]);
      let f = convNormAct(h, { name: `${name}.f.a`, outChannels: wb, kernel: 1 });
      f = convNormAct(f, {
        name: `${name}.f.b`,
        outChannels: wb,
        kernel: 3,
        stride,
        groups,
      });
      if (arch.seRatio) {
        f = squeezeExcitation(f, {
          name: `${name}.f.se`,
          squeezeChannels: pyRound(arch.seRatio * win),
          activation: "relu",
          scaleActivation: "sigmoid",
        });
      }
      f = convNormAct(f, { name: `${name}.f.c`, outChannels: out, kernel: 1, activation: null });
      const shortcut = win !== out || stride !== 1
        ? convNormAct(h, {
          name: `${name}.proj`,
          outChannels: out,
          kernel: 1,
          stride,
          activation: null,
        })
        : h;
      h = relu(add([shortcut, f], `${name}.add`), `${name}.activation`);
    }
    width = out;
  });
  return flatten(adaptiveAvgPool2d(h, 1, p("avgpool")), p("flatten"));
}

function entry(
  id: string,
  stages: Pick<RegNetArch, "depths" | "widths" | "groupWidths">,
  se: boolean,
  file: string,
  preprocessing: Preprocessing = imagenetTransform(232, 224),
): VariantEntry<RegNetArch> {
  return {
    ludwigId: id,
    arch: { ...stages, bottleneck: 1, seRatio: se ? 0.25 : null, stemWidth: 32 },
    weights: { file, url: torchvisionUrl(file) },
    preprocessing,
    featureSize: stages.widths[stages.widths.length - 1],
  };
}

/** The variants of `regnet` (torchvision's default weights of each). */
export const REGNET_VARIANTS: Readonly<Record<string, VariantEntry<RegNetArch>>> = {
  x_400mf: entry(
    "x_400mf",
    {
      depths: [1, 2, 7, 12],
      widths: [32, 64, 160, 400],
      groupWidths: [16, 16, 16, 16],
    },
    false,
    "regnet_x_400mf-62229a5f.pth",
  ),
  x_800mf: entry(
    "x_800mf",
    {
      depths: [1, 3, 7, 5],
      widths: [64, 128, 288, 672],
      groupWidths: [16, 16, 16, 16],
    },
    false,
    "regnet_x_800mf-94a99ebd.pth",
  ),
  x_1_6gf: entry(
    "x_1_6gf",
    {
      depths: [2, 4, 10, 2],
      widths: [72, 168, 408, 912],
      groupWidths: [24, 24, 24, 24],
    },
    false,
    "regnet_x_1_6gf-a12f2b72.pth",
  ),
  x_3_2gf: entry(
    "x_3_2gf",
    {
      depths: [2, 6, 15, 2],
      widths: [96, 192, 432, 1008],
      groupWidths: [48, 48, 48, 48],
    },
    false,
    "regnet_x_3_2gf-7071aa85.pth",
  ),
  x_8gf: entry(
    "x_8gf",
    {
      depths: [2, 5, 15, 1],
      widths: [80, 240, 720, 1920],
      groupWidths: [80, 120, 120, 120],
    },
    false,
    "regnet_x_8gf-2b70d774.pth",
  ),
  x_16gf: entry(
    "x_16gf",
    {
      depths: [2, 6, 13, 1],
      widths: [256, 512, 896, 2048],
      groupWidths: [128, 128, 128, 128],
    },
    false,
    "regnet_x_16gf-ba3796d7.pth",
  ),
  x_32gf: entry(
    "x_32gf",
    {
      depths: [2, 7, 13, 1],
      widths: [336, 672, 1344, 2520],
      groupWidths: [168, 168, 168, 168],
    },
    false,
    "regnet_x_32gf-6eb8fdc6.pth",
  ),
  y_400mf: entry(
    "y_400mf",
    {
      depths: [1, 3, 6, 6],
      widths: [48, 104, 208, 440],
      groupWidths: [8, 8, 8, 8],
    },
    true,
    "regnet_y_400mf-e6988f5f.pth",
  ),
  y_800mf: entry(
    "y_800mf",
    {
      depths: [1, 3, 8, 2],
      widths: [64, 144, 320, 784],
      groupWidths: [16, 16, 16, 16],
    },
    true,
    "regnet_y_800mf-58fc7688.pth",
  ),
  y_1_6gf: entry(
    "y_1_6gf",
    {
      depths: [2, 6, 17, 2],
      widths: [48, 120, 336, 888],
      groupWidths: [24, 24, 24, 24],
    },
    true,
    "regnet_y_1_6gf-0d7bc02a.pth",
  ),
  y_3_2gf: entry(
    "y_3_2gf",
    {
      depths: [2, 5, 13, 1],
      widths: [72, 216, 576, 1512],
      groupWidths: [24, 24, 24, 24],
    },
    true,
    "regnet_y_3_2gf-9180c971.pth",
  ),
  y_8gf: entry(
    "y_8gf",
    {
      depths: [2, 4, 10, 1],
      widths: [224, 448, 896, 2016],
      groupWidths: [56, 56, 56, 56],
    },
    true,
    "regnet_y_8gf-dc2b1b54.pth",
  ),
  y_16gf: entry(
    "y_16gf",
    {
      depths: [2, 4, 11, 1],
      widths: [224, 448, 1232, 3024],
      groupWidths: [112, 112, 112, 112],
    },
    true,
    "regnet_y_16gf-3e4a00f9.pth",
  ),
  y_32gf: entry(
    "y_32gf",
    {
      depths: [2, 5, 12, 1],
      widths: [232, 696, 1392, 3712],
      groupWidths: [232, 232, 232, 232],
    },
    true,
    "regnet_y_32gf-8db6d4b5.pth",
  ),
  // torchvision's default weights of y_128gf are the SWAG end-to-end ones (384 bicubic)
  y_128gf: entry(
    "y_128gf",
    {
      depths: [2, 7, 17, 1],
      widths: [528, 1056, 2904, 7392],
      groupWidths: [264, 264, 264, 264],
    },
    true,
    "regnet_y_128gf_swag-c8ce3e52.pth",
    imagenetTransform(384, 384, "bicubic"),
  ),
};

/** Ludwig's `regnet` encoder: torchvision's `regnet_*` without `fc`. */
export const REGNET: FamilyTable<RegNetArch> = {
  type: "regnet",
  variants: REGNET_VARIANTS,
  defaultVariant: "x_1_6gf",
  minInputSize: 1,
  ignoreWeights: [/^fc\./],
  build(input: Symbolic, variant: string, opts: BuildOptions = {}): Symbolic {
    imageInput(input, REGNET.type, REGNET.minInputSize);
    return buildRegNet(input, variantEntry(REGNET, variant).arch, opts.prefix ?? "");
  },
};
