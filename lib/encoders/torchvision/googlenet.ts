/**
 * torchvision's GoogLeNet (Szegedy et al. 2014, with batch norm: eps 1e-3) and Inception v3
 * (Szegedy et al. 2015), with `fc` removed as Ludwig does, and without the auxiliary heads
 * (Ludwig drops them; their weights are skipped when loading). Max pools use `ceil_mode`
 * (GoogLeNet); Inception's branch average pools count the zero padding (`count_include_pad`).
 * With pretrained weights (`opts.pretrained`), both apply torchvision's `transform_input`
 * (the ImageNet-normalized input re-normalized to the (x − 0.5)/0.5 the weights were trained on).
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
  dropout,
  type FamilyTable,
  flatten,
  imageInput,
  imagenetTransform,
  maxPool2d,
  relu,
  type Symbolic,
  torchvisionUrl,
  transformInput,
  variantEntry,
} from "./_core.ts";

type Pair = number | [number, number];

/** torchvision's `BasicConv2d`: conv (no bias) → batch norm (eps 1e-3) → ReLU. */
function basicConv(
  x: Symbolic,
  name: string,
  outChannels: number,
  kernel: Pair,
  o: { stride?: Pair; padding?: Pair } = {},
): Symbolic {
  const h = conv2d(x, {
    name: `${name}.conv`,
    outChannels,
    kernel,
    stride: o.stride,
    padding: o.padding,
    bias: false,
  });
  return relu(batchNorm(h, { name: `${name}.bn`, eps: 1e-3 }), `${name}.relu`);
}

function inceptionModule(
  x: Symbolic,
  name: string,
  c: readonly [number, number, number, number, number, number],
): Symbolic {
  const [ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj] = c;
  const b1 = basicConv(x, `${name}.branch1`, ch1x1, 1);
  let b2 = basicConv(x, `${name}.branch2.0`, ch3x3red, 1);
  b2 = basicConv(b2, `${name}.branch2.1`, ch3x3, 3, { padding: 1 });
  // torchvision's branch3 uses a 3×3 convolution (a known deviation kept for its weights)
  let b3 = basicConv(x, `${name}.branch3.0`, ch5x5red, 1);
  b3 = basicConv(b3, `${name}.branch3.1`, ch5x5, 3, { padding: 1 });
  let b4 = maxPool2d(x, {
    name: `${name}.branch4.0`,
    kernel: 3,
    stride: 1,
    padding: 1,
    ceilMode: true,
  });
  b4 = basicConv(b4, `${name}.branch4.1`, poolProj, 1);
  return concat([b1, b2, b3, b4], `${name}.cat`);
}

/** The GoogLeNet encoder: `[batch, 1024]`. */
export function buildGooglenet(input: Symbolic, opts: BuildOptions = {}): Symbolic {
  imageInput(input, "googlenet", 32);
  const p = opts.prefix ?? "";
  const pool = (x: Symbolic, name: string, kernel = 3, stride = 2) =>
    maxPool2d(x, { name: `${p}${name}`, kernel, stride, ceilMode: true });
  let h = opts.pretrained ? transformInput(input, `${p}transform_input`) : input;
  h = basicConv(h, `${p}conv1`, 64, 7, { stride: 2, padding: 3 });
  h = pool(h, "maxpool1");
  h = basicConv(h, `${p}conv2`, 64, 1);
  h = basicConv(h, `${p}conv3`, 192, 3, { padding: 1 });
  h = pool(h, "maxpool2");
  h = inceptionModule(h, `${p}inception3a`, [64, 96, 128, 16, 32, 32]);
  h = inceptionModule(h, `${p}inception3b`, [128, 128, 192, 32, 96, 64]);
  h = pool(h, "maxpool3");
  h = inceptionModule(h, `${p}inception4a`, [192, 96, 208, 16, 48, 64]);
  h = inceptionModule(h, `${p}inception4b`, [160, 112, 224, 24, 64, 64]);
  h = inceptionModule(h, `${p}inception4c`, [128, 128, 256, 24, 64, 64]);
  h = inceptionModule(h, `${p}inception4d`, [112, 144, 288, 32, 64, 64]);
  h = inceptionModule(h, `${p}inception4e`, [256, 160, 320, 32, 128, 128]);
  h = pool(h, "maxpool4", 2, 2);
  h = inceptionModule(h, `${p}inception5a`, [256, 160, 320, 32, 128, 128]);
  h = inceptionModule(h, `${p}inception5b`, [384, 192, 384, 48, 128, 128]);
  h = flatten(adaptiveAvgPool2d(h, 1, `${p}avgpool`), `${p}flatten`);
  return dropout(h, 0.2, `${p}dropout`);
}

/** GoogLeNet's single variant (no architecture parameters). */
export type GooglenetArch = Record<string, never>;

/** Ludwig's `googlenet` (one variant, `base`). */
export const GOOGLENET: FamilyTable<GooglenetArch> = {
  type: "googlenet",
  variants: {
    base: {
      ludwigId: "base",
      arch: {},
      weights: { file: "googlenet-1378be20.pth", url: torchvisionUrl("googlenet-1378be20.pth") },
      preprocessing: imagenetTransform(256, 224, "bilinear"),
      featureSize: 1024,
    },
  },
  defaultVariant: "base",
  minInputSize: 32,
  ignoreWeights: [/^fc\./, /^aux[12]\./],
  build: (input, variant, opts) => {
    variantEntry(GOOGLENET, variant);
    return buildGooglenet(input, opts);
  },
};

// ---- Inception v3 ----

const avg3 = (x: Symbolic, name: string) =>
  avgPool2d(x, { name, kernel: 3, stride: 1, padding: 1, countIncludePad: true });

function inceptionA(x: Symbolic, n: string, poolFeatures: number): Symbolic {
  const b1 = basicConv(x, `${n}.branch1x1`, 64, 1);
  let b5 = basicConv(x, `${n}.branch5x5_1`, 48, 1);
  b5 = basicConv(b5, `${n}.branch5x5_2`, 64, 5, { padding: 2 });
  let b3 = basicConv(x, `${n}.branch3x3dbl_1`, 64, 1);
  b3 = basicConv(b3, `${n}.branch3x3dbl_2`, 96, 3, { padding: 1 });
  b3 = basicConv(b3, `${n}.branch3x3dbl_3`, 96, 3, { padding: 1 });
  const bp = basicConv(avg3(x, `${n}.avg_pool`), `${n}.branch_pool`, poolFeatures, 1);
  return concat([b1, b5, b3, bp], `${n}.cat`);
}

function inceptionB(x: Symbolic, n: string): Symbolic {
  const b3 = basicConv(x, `${n}.branch3x3`, 384, 3, { stride: 2 });
  let bd = basicConv(x, `${n}.branch3x3dbl_1`, 64, 1);
  bd = basicConv(bd, `${n}.branch3x3dbl_2`, 96, 3, { padding: 1 });
  bd = basicConv(bd, `${n}.branch3x3dbl_3`, 96, 3, { stride: 2 });
  const bp = maxPool2d(x, { name: `${n}.max_pool`, kernel: 3, stride: 2 });
  return concat([b3, bd, bp], `${n}.cat`);
}

function inceptionC(x: Symbolic, n: string, c7: number): Symbolic {
  const b1 = basicConv(x, `${n}.branch1x1`, 192, 1);
  let b7 = basicConv(x, `${n}.branch7x7_1`, c7, 1);
  b7 = basicConv(b7, `${n}.branch7x7_2`, c7, [1, 7], { padding: [0, 3] });
  b7 = basicConv(b7, `${n}.branch7x7_3`, 192, [7, 1], { padding: [3, 0] });
  let bd = basicConv(x, `${n}.branch7x7dbl_1`, c7, 1);
  bd = basicConv(bd, `${n}.branch7x7dbl_2`, c7, [7, 1], { padding: [3, 0] });
  bd = basicConv(bd, `${n}.branch7x7dbl_3`, c7, [1, 7], { padding: [0, 3] });
  bd = basicConv(bd, `${n}.branch7x7dbl_4`, c7, [7, 1], { padding: [3, 0] });
  bd = basicConv(bd, `${n}.branch7x7dbl_5`, 192, [1, 7], { padding: [0, 3] });
  const bp = basicConv(avg3(x, `${n}.avg_pool`), `${n}.branch_pool`, 192, 1);
  return concat([b1, b7, bd, bp], `${n}.cat`);
}

function inceptionD(x: Symbolic, n: string): Symbolic {
  let b3 = basicConv(x, `${n}.branch3x3_1`, 192, 1);
  b3 = basicConv(b3, `${n}.branch3x3_2`, 320, 3, { stride: 2 });
  let b7 = basicConv(x, `${n}.branch7x7x3_1`, 192, 1);
  b7 = basicConv(b7, `${n}.branch7x7x3_2`, 192, [1, 7], { padding: [0, 3] });
  b7 = basicConv(b7, `${n}.branch7x7x3_3`, 192, [7, 1], { padding: [3, 0] });
  b7 = basicConv(b7, `${n}.branch7x7x3_4`, 192, 3, { stride: 2 });
  const bp = maxPool2d(x, { name: `${n}.max_pool`, kernel: 3, stride: 2 });
  return concat([b3, b7, bp], `${n}.cat`);
}

function inceptionE(x: Symbolic, n: string): Symbolic {
  const b1 = basicConv(x, `${n}.branch1x1`, 320, 1);
  const b3 = basicConv(x, `${n}.branch3x3_1`, 384, 1);
  const b3a = basicConv(b3, `${n}.branch3x3_2a`, 384, [1, 3], { padding: [0, 1] });
  const b3b = basicConv(b3, `${n}.branch3x3_2b`, 384, [3, 1], { padding: [1, 0] });
  let bd = basicConv(x, `${n}.branch3x3dbl_1`, 448, 1);
  bd = basicConv(bd, `${n}.branch3x3dbl_2`, 384, 3, { padding: 1 });
  const bda = basicConv(bd, `${n}.branch3x3dbl_3a`, 384, [1, 3], { padding: [0, 1] });
  const bdb = basicConv(bd, `${n}.branch3x3dbl_3b`, 384, [3, 1], { padding: [1, 0] });
  const bp = basicConv(avg3(x, `${n}.avg_pool`), `${n}.branch_pool`, 192, 1);
  return concat([b1, b3a, b3b, bda, bdb, bp], `${n}.cat`);
}

/** The Inception v3 encoder: `[batch, 2048]`. */
export function buildInceptionV3(input: Symbolic, opts: BuildOptions = {}): Symbolic {
  imageInput(input, "inceptionv3", 75);
  const p = opts.prefix ?? "";
  let h = opts.pretrained ? transformInput(input, `${p}transform_input`) : input;
  h = basicConv(h, `${p}Conv2d_1a_3x3`, 32, 3, { stride: 2 });
  h = basicConv(h, `${p}Conv2d_2a_3x3`, 32, 3);
  h = basicConv(h, `${p}Conv2d_2b_3x3`, 64, 3, { padding: 1 });
  h = maxPool2d(h, { name: `${p}maxpool1`, kernel: 3, stride: 2 });
  h = basicConv(h, `${p}Conv2d_3b_1x1`, 80, 1);
  h = basicConv(h, `${p}Conv2d_4a_3x3`, 192, 3);
  h = maxPool2d(h, { name: `${p}maxpool2`, kernel: 3, stride: 2 });
  h = inceptionA(h, `${p}Mixed_5b`, 32);
  h = inceptionA(h, `${p}Mixed_5c`, 64);
  h = inceptionA(h, `${p}Mixed_5d`, 64);
  h = inceptionB(h, `${p}Mixed_6a`);
  h = inceptionC(h, `${p}Mixed_6b`, 128);
  h = inceptionC(h, `${p}Mixed_6c`, 160);
  h = inceptionC(h, `${p}Mixed_6d`, 160);
  h = inceptionC(h, `${p}Mixed_6e`, 192);
  h = inceptionD(h, `${p}Mixed_7a`);
  h = inceptionE(h, `${p}Mixed_7b`);
  h = inceptionE(h, `${p}Mixed_7c`);
  h = flatten(adaptiveAvgPool2d(h, 1, `${p}avgpool`), `${p}flatten`);
  return dropout(h, 0.5, `${p}dropout`);
}

/** Inception v3's single variant. */
export type InceptionArch = Record<string, never>;

/** Ludwig's `inceptionv3` (one variant, `base`). */
export const INCEPTION_V3: FamilyTable<InceptionArch> = {
  type: "inceptionv3",
  variants: {
    base: {
      ludwigId: "base",
      arch: {},
      weights: {
        file: "inception_v3_google-0cc3c7bd.pth",
        url: torchvisionUrl("inception_v3_google-0cc3c7bd.pth"),
      },
      preprocessing: imagenetTransform(342, 299, "bilinear"),
      featureSize: 2048,
    },
  },
  defaultVariant: "base",
  minInputSize: 75,
  ignoreWeights: [/^fc\./, /^AuxLogits\./],
  build: (input, variant, opts) => {
    variantEntry(INCEPTION_V3, variant);
    return buildInceptionV3(input, opts);
  },
};
