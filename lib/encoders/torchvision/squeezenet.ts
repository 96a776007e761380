/**
 * torchvision's SqueezeNet 1.0 and 1.1 (Iandola et al. 2016). Ludwig keeps the whole model
 * (it has no final Linear layer): the encoder outputs the 1000 pooled activations of the
 * classifier's 1×1 convolution. Max pools use `ceil_mode`.
 *
 * @module
 */
import {
  adaptiveAvgPool2d,
  type BuildOptions,
  concat,
  conv2d,
  dropout,
  type FamilyTable,
  flatten,
  imageInput,
  imagenetTransform,
  maxPool2d,
  relu,
  type Symbolic,
  torchvisionUrl,
  variantEntry,
} from "./_core.ts";

/** The architecture of a SqueezeNet version. */
export interface SqueezenetArch {
  /** `1_0` or `1_1`. */
  version: "1_0" | "1_1";
}

/** A Fire module (`name` its module path): squeeze 1×1, then expand 1×1 and 3×3, concatenated. */
export function fire(x: Symbolic, name: string, squeeze: number, e1: number, e3: number): Symbolic {
  const s = relu(
    conv2d(x, { name: `${name}.squeeze`, outChannels: squeeze, kernel: 1 }),
    `${name}.squeeze_activation`,
  );
  const a = relu(
    conv2d(s, { name: `${name}.expand1x1`, outChannels: e1, kernel: 1 }),
    `${name}.expand1x1_activation`,
  );
  const b = relu(
    conv2d(s, { name: `${name}.expand3x3`, outChannels: e3, kernel: 3, padding: 1 }),
    `${name}.expand3x3_activation`,
  );
  return concat([a, b], `${name}.cat`);
}

/** The SqueezeNet encoder: `[batch, 1000]`. */
export function buildSqueezenet(
  input: Symbolic,
  arch: SqueezenetArch,
  opts: BuildOptions = {},
): Symbolic {
  imageInput(input, "squeezenet", 35);
  const p = opts.prefix ?? "";
  const f = (i: number) => `${p}features.${i}`;
  const pool = (x: Symbolic, i: number) =>
    maxPool2d(x, { name: f(i), kernel: 3, stride: 2, ceilMode: true });
  let h: Symbolic;
  if (arch.version === "1_0") {
    h = relu(conv2d(input, { name: f(0), outChannels: 96, kernel: 7, stride: 2 }), f(1));
    h = pool(h, 2);
    h = fire(h, f(3), 16, 64, 64);
    h = fire(h, f(4), 16, 64, 64);
    h = fire(h, f(5), 32, 128, 128);
    h = pool(h, 6);
    h = fire(h, f(7), 32, 128, 128);
    h = fire(h, f(8), 48, 192, 192);
    h = fire(h, f(9), 48, 192, 192);
    h = fire(h, f(10), 64, 256, 256);
    h = pool(h, 11);
    h = fire(h, f(12), 64, 256, 256);
  } else {
    h = relu(conv2d(input, { name: f(0), outChannels: 64, kernel: 3, stride: 2 }), f(1));
    h = pool(h, 2);
    h = fire(h, f(3), 16, 64, 64);
    h = fire(h, f(4), 16, 64, 64);
    h = pool(h, 5);
    h = fire(h, f(6), 32, 128, 128);
    h = fire(h, f(7), 32, 128, 128);
    h = pool(h, 8);
    h = fire(h, f(9), 48, 192, 192);
    h = fire(h, f(10), 48, 192, 192);
    h = fire(h, f(11), 64, 256, 256);
    h = fire(h, f(12), 64, 256, 256);
  }
  h = dropout(h, 0.5, `${p}classifier.0`);
  h = conv2d(h, { name: `${p}classifier.1`, outChannels: 1000, kernel: 1 });
  h = relu(h, `${p}classifier.2`);
  return flatten(adaptiveAvgPool2d(h, 1, `${p}classifier.3`), `${p}flatten`);
}

const entry = (version: SqueezenetArch["version"], file: string) => ({
  ludwigId: version,
  arch: { version },
  weights: { file, url: torchvisionUrl(file) },
  preprocessing: imagenetTransform(256, 224, "bilinear"),
  featureSize: 1000,
});

/** Ludwig's `squeezenet` (torchvision `squeezenet1_0`, `squeezenet1_1`). */
export const SQUEEZENET: FamilyTable<SqueezenetArch> = {
  type: "squeezenet",
  variants: {
    "1_0": entry("1_0", "squeezenet1_0-b66bff10.pth"),
    "1_1": entry("1_1", "squeezenet1_1-b8a52dc0.pth"),
  },
  defaultVariant: "1_0",
  minInputSize: 35,
  ignoreWeights: [],
  build: (input, variant, opts) =>
    buildSqueezenet(input, variantEntry(SQUEEZENET, variant).arch, opts),
};
