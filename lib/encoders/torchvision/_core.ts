/**
 * Building blocks of the torchvision encoders on the TF.js layers API, numerically equal to
 * PyTorch's modules, and the name-based loader of torch state_dicts.
 *
 * Activations are NHWC. Every layer that holds parameters is NAMED by its torch module path
 * (behind an optional prefix such as `"image/"`), e.g. `image/layer1.0.conv1`, so that
 * {@linkcode torchWeightTargets} maps each state_dict entry (`layer1.0.conv1.weight`) onto a
 * layer weight with the right layout transform, and {@linkcode applyStateDict} loads a file
 * read by `lib/pretrained/` (`readWeights`, `readTorch`, `readSafetensors`). Helper layers
 * without parameters (paddings, pools) carry a `_pad`-style suffix and are skipped.
 *
 * PyTorch semantics kept exactly:
 * - convolutions pad symmetrically with explicit sizes (a padding layer, then a "valid"
 *   convolution; TF's "same" pads asymmetrically at stride 2 on even sizes), except at stride 1
 *   where TF's "same" is torch's symmetric padding of an odd kernel; groups are 1, depthwise
 *   (`groups = inChannels`), or general (split, convolve, concatenate);
 * - max pooling pads with −∞ and honours `ceil_mode`;
 * - average pooling honours `count_include_pad` and `ceil_mode` with torch's divisors;
 * - adaptive average pooling uses torch's bins (`floor(i·H/o)` to `ceil((i+1)·H/o)`);
 * - flattening before a Linear layer follows torch's NCHW order;
 * - GELU is the exact erf form; hardswish/hardsigmoid are torch's `relu6(x+3)/6` forms.
 *
 * ## The deterministic weight formula (identical in `tests/fixtures/torchvision/_generate.py`)
 * For a parameter or buffer named N (its state_dict name) with fan-in f (the product of the
 * torch shape's dimensions but the first; 1 for 1-D): h = FNV-1a 32-bit of N's UTF-8 bytes; for
 * element i (row-major in the TORCH layout) u = lowbias32(h ^ imul(i + 1, 0x9E3779B1)) and
 * r = u / 2³² ∈ [0, 1). By role (see {@linkcode formulaRole}):
 * - `weight` (name ends in `weight`, rank ≥ 2): (2r − 1)·√(3/f);
 * - `norm_weight` (1-D weight of a batch/layer/group norm): 0.5 + r; `norm_bias`: 0.2·(2r − 1);
 * - `running_mean`: 0.2·(2r − 1); `running_var`: 0.5 + r;
 * - `bias` (other names ending in `bias`): 0.1·(2r − 1);
 * - `other` (class tokens, position embeddings, bias tables …): 0.02·(2r − 1).
 * Computed in float64, rounded to float32 once. Inputs: name `"input"`, values 2r − 1 over the
 * torch shape `[1, 3, H, W]`.
 *
 * @module
 */
import { batchNormTraining, tf } from "../../compute/mod.ts";
import { SeededDropout } from "../../model/layers.ts";
import { ImagePad } from "../_image_impl.ts";
import {
  assertWeightsMatch,
  convTorchToTf,
  depthwiseTorchToTf,
  linearTorchToTf,
  type NamedTensors,
  type RawTensor,
  type TfjsModel,
  toFloat32,
  WeightsError,
} from "../../pretrained/mod.ts";

/** A symbolic tensor of the functional API. */
export type Symbolic = tf.SymbolicTensor;

type IntPair = number | readonly [number, number];

/** `v` as `[height, width]`. */
export function pair(v: IntPair): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

function apply(layer: tf.layers.Layer, x: Symbolic | Symbolic[]): Symbolic {
  return layer.apply(x) as Symbolic;
}

function spatial(x: Symbolic, what: string): [number, number, number] {
  const s = x.shape;
  if (s.length !== 4 || s.slice(1).some((d) => d === null)) {
    throw new RangeError(
      `Cannot build ${what}: expected an input [batch, height, width, channels] with known sizes, received [${
        s.map(String).join(", ")
      }]`,
    );
  }
  return [s[1] as number, s[2] as number, s[3] as number];
}

function tooSmall(what: string, h: number, w: number): never {
  throw new RangeError(
    `Cannot build ${what}: the feature map is too small (${h}x${w}); use a larger image size`,
  );
}

/** Symmetric zero padding (`top = bottom = p[0]`, `left = right = p[1]`). */
function zeroPad(x: Symbolic, p: [number, number], name: string): Symbolic {
  if (p[0] === 0 && p[1] === 0) return x;
  return apply(
    new ImagePad({ top: p[0], bottom: p[0], left: p[1], right: p[1], mode: "constant", name }),
    x,
  );
}

// ---------------------------------------------------------------------------------------------
// Custom layers

/** A convolution with `groups` > 1 that is not depthwise: split, convolve, concatenate. */
export class GroupedConv2d extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataGroupedConv2d";
  /** Output channels. */
  readonly filters: number;
  /** Kernel `[h, w]`. */
  readonly kernelSize: [number, number];
  /** Strides `[h, w]`. */
  readonly strides: [number, number];
  /** Dilation `[h, w]`. */
  readonly dilationRate: [number, number];
  /** Groups. */
  readonly groups: number;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  kernel: tf.LayerVariable | null = null;
  bias: tf.LayerVariable | null = null;

  /** @param args Filters, kernel, strides, dilation, groups and bias; valid padding. */
  constructor(args: {
    filters: number;
    kernelSize: [number, number];
    strides: [number, number];
    dilationRate: [number, number];
    groups: number;
    useBias: boolean;
    name?: string;
    trainable?: boolean;
  }) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = [args.kernelSize[0], args.kernelSize[1]];
    this.strides = [args.strides[0], args.strides[1]];
    this.dilationRate = [args.dilationRate[0], args.dilationRate[1]];
    this.groups = args.groups;
    this.useBias = args.useBias;
  }

  /** See `tf.layers.Layer`. */
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = s[3] as number;
    if (channels % this.groups !== 0 || this.filters % this.groups !== 0) {
      throw new RangeError(
        `Cannot build the grouped convolution "${this.name}": ${channels} input and ${this.filters} output channels do not split into ${this.groups} groups`,
      );
    }
    const fanIn = (channels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
    const limit = Math.sqrt(1 / fanIn);
    this.kernel = this.addWeight(
      "kernel",
      [this.kernelSize[0], this.kernelSize[1], channels / this.groups, this.filters],
      "float32",
      tf.initializers.randomUniform({ minval: -limit, maxval: limit }),
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        "bias",
        [this.filters],
        "float32",
        tf.initializers.randomUniform({ minval: -limit, maxval: limit }),
      );
    }
    this.built = true;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = (n: number | null, i: 0 | 1) =>
      n === null ? null : Math.floor(
        (n - this.dilationRate[i] * (this.kernelSize[i] - 1) - 1) / this.strides[i],
      ) + 1;
    return [s[0], out(s[1], 0), out(s[2], 1), this.filters];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const xs = tf.split(x, this.groups, 3);
      const ks = tf.split(this.kernel!.read() as tf.Tensor4D, this.groups, 3);
      const ys = xs.map((xi, g) =>
        tf.conv2d(
          xi as tf.Tensor4D,
          ks[g] as tf.Tensor4D,
          this.strides,
          "valid",
          "NHWC",
          this.dilationRate,
        )
      );
      const y = ys.length === 1 ? ys[0] : tf.concat(ys, 3);
      return this.bias === null ? y : tf.add(y, this.bias.read());
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      dilationRate: this.dilationRate,
      groups: this.groups,
      useBias: this.useBias,
    };
  }
}
tf.serialization.registerClass(GroupedConv2d);

/** The activations of {@linkcode TorchActivation}. */
export type TorchActivationName =
  | "relu"
  | "relu6"
  | "hardswish"
  | "hardsigmoid"
  | "silu"
  | "gelu"
  | "sigmoid"
  | "tanh";

/**
 * Exact GELU, x·½·(1 + erf(x/√2)), with its analytic gradient ½·(1 + erf(x/√2)) + x·φ(x): the
 * tape keeps x only, not the four full-size intermediates of the composite (and its backward
 * pass is four element-wise kernels fewer). The forward kernels are the composite's, in order.
 */
function geluExact(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.mul(tf.mul(input, 0.5), tf.add(1, tf.erf(tf.mul(input, Math.SQRT1_2)))),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0] : dy;
        const [v] = saved;
        const cdf = tf.mul(tf.add(1, tf.erf(tf.mul(v, Math.SQRT1_2))), 0.5);
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(v), -0.5)), 1 / Math.sqrt(2 * Math.PI));
        return [tf.mul(g, tf.add(cdf, tf.mul(v, pdf)))];
      },
    };
  });
  return f(x);
}

/** Element-wise activations with PyTorch's definitions (exact erf GELU; torch's hard forms). */
export class TorchActivation extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTorchActivation";
  /** The function. */
  readonly fn: TorchActivationName;

  /** @param args `fn`: the activation. */
  constructor(args: { fn: TorchActivationName; name?: string }) {
    super(args);
    this.fn = args.fn;
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      switch (this.fn) {
        case "relu":
          return tf.relu(x);
        case "relu6":
          return tf.relu6(x);
        case "hardsigmoid":
          return tf.div(tf.relu6(tf.add(x, 3)), 6);
        case "hardswish":
          return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
        case "silu":
          return tf.mul(x, tf.sigmoid(x));
        case "gelu":
          return geluExact(x);
        case "sigmoid":
          return tf.sigmoid(x);
        case "tanh":
          return tf.tanh(x);
      }
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), fn: this.fn };
  }
}
tf.serialization.registerClass(TorchActivation);

/** Torch's `avg_pool2d`: symmetric zero padding, `ceil_mode`, `count_include_pad` divisors. */
export class TorchAvgPool2d extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTorchAvgPool2d";
  /** Kernel `[h, w]`. */
  readonly kernel: [number, number];
  /** Strides `[h, w]`. */
  readonly stride: [number, number];
  /** Padding per side `[h, w]`. */
  readonly padding: [number, number];
  /** Torch's `ceil_mode`. */
  readonly ceilMode: boolean;
  /** Torch's `count_include_pad`. */
  readonly countIncludePad: boolean;

  /** @param args Kernel, stride, padding, `ceilMode`, `countIncludePad`. */
  constructor(args: {
    kernel: [number, number];
    stride: [number, number];
    padding: [number, number];
    ceilMode: boolean;
    countIncludePad: boolean;
    name?: string;
  }) {
    super(args);
    this.kernel = [args.kernel[0], args.kernel[1]];
    this.stride = [args.stride[0], args.stride[1]];
    this.padding = [args.padding[0], args.padding[1]];
    this.ceilMode = args.ceilMode;
    this.countIncludePad = args.countIncludePad;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const o = (n: number | null, i: 0 | 1) =>
      n === null
        ? null
        : poolOutputSize(n, this.kernel[i], this.stride[i], this.padding[i], this.ceilMode);
    return [s[0], o(s[1], 0), o(s[2], 1), s[3]];
  }

  /** The divisor of each output position along one axis: `[pooled size, valid size]`. */
  #divisors(n: number, i: 0 | 1): [number[], number[]] {
    const out = poolOutputSize(n, this.kernel[i], this.stride[i], this.padding[i], this.ceilMode);
    const full: number[] = [];
    const valid: number[] = [];
    for (let o = 0; o < out; o++) {
      const start = o * this.stride[i] - this.padding[i];
      const end = Math.min(start + this.kernel[i], n + this.padding[i]);
      full.push(end - start);
      valid.push(Math.min(end, n) - Math.max(start, 0));
    }
    return [full, valid];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [, h, w] = x.shape;
      const oh = poolOutputSize(h, this.kernel[0], this.stride[0], this.padding[0], this.ceilMode);
      const ow = poolOutputSize(w, this.kernel[1], this.stride[1], this.padding[1], this.ceilMode);
      const extraH = Math.max(
        0,
        (oh - 1) * this.stride[0] + this.kernel[0] - h - 2 * this.padding[0],
      );
      const extraW = Math.max(
        0,
        (ow - 1) * this.stride[1] + this.kernel[1] - w - 2 * this.padding[1],
      );
      const padded = tf.pad(x, [
        [0, 0],
        [this.padding[0], this.padding[0] + extraH],
        [this.padding[1], this.padding[1] + extraW],
        [0, 0],
      ]);
      const mean = tf.avgPool(padded, this.kernel, this.stride, "valid");
      const [fullH, validH] = this.#divisors(h, 0);
      const [fullW, validW] = this.#divisors(w, 1);
      const dh = this.countIncludePad ? fullH : validH;
      const dw = this.countIncludePad ? fullW : validW;
      const area = this.kernel[0] * this.kernel[1];
      const scale = new Float32Array(oh * ow);
      let exact = true;
      for (let a = 0; a < oh; a++) {
        for (let b = 0; b < ow; b++) {
          scale[a * ow + b] = area / (dh[a] * dw[b]);
          if (scale[a * ow + b] !== 1) exact = false;
        }
      }
      if (exact) return mean;
      return tf.mul(mean, tf.tensor4d(scale, [1, oh, ow, 1]));
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernel: this.kernel,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    };
  }
}
tf.serialization.registerClass(TorchAvgPool2d);

/**
 * Torch's `max_pool2d`: −∞ padding (applied inside the layer, so the config stays JSON) and
 * `ceil_mode`, then a valid max pool.
 */
export class TorchMaxPool2d extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTorchMaxPool2d";
  /** Kernel `[h, w]`. */
  readonly kernel: [number, number];
  /** Strides `[h, w]`. */
  readonly stride: [number, number];
  /** Padding per side `[h, w]`. */
  readonly padding: [number, number];
  /** Torch's `ceil_mode`. */
  readonly ceilMode: boolean;

  /** @param args Kernel, stride, padding, `ceilMode`. */
  constructor(args: {
    kernel: [number, number];
    stride: [number, number];
    padding: [number, number];
    ceilMode: boolean;
    name?: string;
  }) {
    super(args);
    this.kernel = [args.kernel[0], args.kernel[1]];
    this.stride = [args.stride[0], args.stride[1]];
    this.padding = [args.padding[0], args.padding[1]];
    this.ceilMode = args.ceilMode;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const o = (n: number | null, i: 0 | 1) =>
      n === null
        ? null
        : poolOutputSize(n, this.kernel[i], this.stride[i], this.padding[i], this.ceilMode);
    return [s[0], o(s[1], 0), o(s[2], 1), s[3]];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [, h, w] = x.shape;
      const [kh, kw] = this.kernel;
      const [sh, sw] = this.stride;
      const [ph, pw] = this.padding;
      const oh = poolOutputSize(h, kh, sh, ph, this.ceilMode);
      const ow = poolOutputSize(w, kw, sw, pw, this.ceilMode);
      const extraH = Math.max(0, (oh - 1) * sh + kh - h - 2 * ph);
      const extraW = Math.max(0, (ow - 1) * sw + kw - w - 2 * pw);
      const padded = ph + pw + extraH + extraW === 0
        ? x
        : tf.pad(x, [[0, 0], [ph, ph + extraH], [pw, pw + extraW], [0, 0]], -Infinity);
      return tf.maxPool(padded, this.kernel, this.stride, "valid");
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernel: this.kernel,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
    };
  }
}
tf.serialization.registerClass(TorchMaxPool2d);

/** Torch's `adaptive_avg_pool2d` to `[oh, ow]` with torch's bins; NHWC in and out. */
export class AdaptiveAvgPool2d extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataAdaptiveAvgPool2d";
  /** Output `[height, width]`. */
  readonly outputSize: [number, number];

  /** @param args `outputSize`. */
  constructor(args: { outputSize: [number, number]; name?: string }) {
    super(args);
    this.outputSize = [args.outputSize[0], args.outputSize[1]];
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], this.outputSize[0], this.outputSize[1], s[3]];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [b, h, w, c] = x.shape;
      const [oh, ow] = this.outputSize;
      if (oh === 1 && ow === 1) return tf.mean(x, [1, 2], true);
      if (h % oh === 0 && w % ow === 0) {
        return tf.avgPool(x, [h / oh, w / ow], [h / oh, w / ow], "valid");
      }
      // [b, h, w, c] → [h, b·w·c] → pool rows → [oh, b, w, c] → [w, b·oh·c] → pool columns
      const rows = tf.matMul(binMatrix(h, oh), tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, -1]));
      const t = tf.transpose(tf.reshape(rows, [oh, b, w, c]), [2, 1, 0, 3]);
      const cols = tf.matMul(binMatrix(w, ow), tf.reshape(t, [w, -1]));
      return tf.transpose(tf.reshape(cols, [ow, b, oh, c]), [1, 2, 0, 3]);
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), outputSize: this.outputSize };
  }
}
tf.serialization.registerClass(AdaptiveAvgPool2d);

/** `[out, n]`: row o averages torch's bin `floor(o·n/out)` to `ceil((o+1)·n/out)`. */
function binMatrix(n: number, out: number): tf.Tensor2D {
  const m = new Float32Array(out * n);
  for (let o = 0; o < out; o++) {
    const start = Math.floor((o * n) / out);
    const end = Math.ceil(((o + 1) * n) / out);
    for (let i = start; i < end; i++) m[o * n + i] = 1 / (end - start);
  }
  return tf.tensor2d(m, [out, n]);
}

/** Flattens `[b, h, w, c]` in torch's NCHW order (`torch.flatten(x, 1)` on the NCHW map). */
export class TorchFlatten extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTorchFlatten";

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const rest = s.slice(1);
    return [s[0], rest.some((d) => d === null) ? null : rest.reduce((a, d) => a! * d!, 1)];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const t = x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x;
      return tf.reshape(t, [x.shape[0], -1]);
    });
  }
}
tf.serialization.registerClass(TorchFlatten);

/** `x · s` with `s` broadcast (`[b, 1, 1, c]` channel scales of squeeze-excitation). */
export class ChannelScale extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataChannelScale";

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [x, s] = inputs as tf.Tensor[];
    return tf.mul(x, s);
  }
}
tf.serialization.registerClass(ChannelScale);

// The built-in batch-normalization layer's class (tfjs-layers does not export it by name).
const BatchNormalizationBase = (tf.layers.batchNormalization({}) as object)
  .constructor as new (args: Parameters<typeof tf.layers.batchNormalization>[0]) => tf.layers.Layer;

/**
 * Batch normalization that follows Keras' rule for frozen layers: with `trainable: false` it
 * runs in inference mode (the moving statistics, never updated) even in a training step, so a
 * frozen encoder's outputs do not change while the rest of the model trains. Otherwise the
 * built-in `BatchNormalization`.
 */
export class TorchBatchNorm extends BatchNormalizationBase {
  /** Serialization name. */
  static className = "SonataTorchBatchNorm";

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const args = this.trainable ? kwargs : { ...kwargs, training: false };
    if (args.training) {
      const fast = this.nativeTraining(inputs);
      if (fast) return fast;
    }
    return (BatchNormalizationBase.prototype as unknown as {
      call(
        this: tf.layers.Layer,
        i: tf.Tensor | tf.Tensor[],
        k: Record<string, unknown>,
      ): tf.Tensor;
    }).call.call(this, inputs, args);
  }

  /**
   * The training step of the built-in layer (batch statistics over every axis but the last,
   * then the moving averages' update `v − (v − batch)·(1 − momentum)`) as one native kernel
   * each way, where the native backend runs; undefined otherwise (the built-in path runs).
   */
  private nativeTraining(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | undefined {
    const self = this as unknown as {
      axis: number;
      momentum: number;
      epsilon: number;
      gamma?: { read(): tf.Tensor };
      beta?: { read(): tf.Tensor };
      movingMean: { read(): tf.Tensor; write(v: tf.Tensor): void };
      movingVariance: { read(): tf.Tensor; write(v: tf.Tensor): void };
    };
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (!x || !self.gamma || !self.beta) return undefined;
    const axis = self.axis >= 0 ? self.axis : self.axis + x.rank;
    if (axis !== x.rank - 1) return undefined;
    return tf.tidy(() => {
      const r = batchNormTraining(x, self.gamma!.read(), self.beta!.read(), self.epsilon);
      if (!r) return undefined as unknown as tf.Tensor;
      const decay = 1 - self.momentum;
      for (
        const [variable, value] of [[self.movingMean, r.mean], [
          self.movingVariance,
          r.variance,
        ]] as const
      ) {
        tf.tidy(() => {
          const orig = variable.read();
          variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), decay)));
        });
      }
      return r.y;
    }) as tf.Tensor | undefined;
  }
}
tf.serialization.registerClass(
  TorchBatchNorm as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>,
);

/** Torch's dropout; like {@linkcode TorchBatchNorm}, the identity when frozen (`trainable: false`). */
export class TorchDropout extends SeededDropout {
  /** Serialization name. */
  static override className = "SonataTorchDropout";

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return super.call(inputs, this.trainable ? kwargs : { ...kwargs, training: false });
  }
}
tf.serialization.registerClass(TorchDropout);

let depthCounter = 0;

/**
 * torchvision's `StochasticDepth` ("row" mode: one keep/drop per sample, survivors scaled by
 * 1/(1 − p); "batch" mode: one draw for the batch); the identity in inference.
 */
export class StochasticDepth extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataStochasticDepth";
  /** Drop probability. */
  readonly rate: number;
  /** `row` or `batch`. */
  readonly mode: "row" | "batch";

  /** @param args `rate` in [0, 1), `mode`. */
  constructor(args: { rate: number; mode: "row" | "batch"; name?: string }) {
    super(args);
    this.rate = args.rate;
    this.mode = args.mode;
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0 || !this.trainable) return tf.clone(x);
    return tf.tidy(() => {
      depthCounter = (depthCounter + 1) % 2_147_483_647;
      const shape = this.mode === "row" ? [x.shape[0], ...x.shape.slice(1).map(() => 1)] : [1];
      const keep = tf.cast(
        tf.greaterEqual(tf.randomUniform(shape, 0, 1, "float32", depthCounter), this.rate),
        "float32",
      );
      return tf.mul(x, tf.div(keep, 1 - this.rate));
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, mode: this.mode };
  }
}
tf.serialization.registerClass(StochasticDepth);

// ---------------------------------------------------------------------------------------------
// Building blocks (functional)

/** Output size of a torch pooling window along one axis. */
export function poolOutputSize(
  n: number,
  kernel: number,
  stride: number,
  padding: number,
  ceilMode: boolean,
): number {
  const span = n + 2 * padding - kernel;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // torch: the last window must start inside the input or its left padding
  if (ceilMode && (out - 1) * stride >= n + padding) out--;
  return out;
}

/** Options of {@linkcode conv2d} (torch's `nn.Conv2d`). */
export interface Conv2dOptions {
  /** The layer name: prefix + torch module path. */
  name: string;
  /** Output channels. */
  outChannels: number;
  /** Kernel size. */
  kernel: IntPair;
  /** Stride; default 1. */
  stride?: IntPair;
  /**
   * Symmetric zero padding per side (torch's explicit ints), or `"same"`: TensorFlow's (Keras')
   * padding, asymmetric at stride 2 on even sizes (the extra pixel below/right); default 0.
   */
  padding?: IntPair | "same";
  /** Dilation; default 1. */
  dilation?: IntPair;
  /** Groups; default 1. `groups = inChannels` is depthwise. */
  groups?: number;
  /** Whether there is a bias; default true (as torch). */
  bias?: boolean;
}

/**
 * Torch's `nn.Conv2d` on NHWC: symmetric zero padding, then a valid convolution. Input channels
 * come from `x`. Weights: `<path>.weight` (OIHW → HWIO, depthwise → HWC·M) and `<path>.bias`.
 */
export function conv2d(x: Symbolic, o: Conv2dOptions): Symbolic {
  const [, , inChannels] = spatial(x, `the convolution "${o.name}"`);
  const kernel = pair(o.kernel);
  const stride = pair(o.stride ?? 1);
  const dilation = pair(o.dilation ?? 1);
  const groups = o.groups ?? 1;
  const useBias = o.bias ?? true;
  // TF's "same" at stride 1 pads (k − 1)·d / 2 on each side: torch's symmetric padding of an
  // odd kernel, without a padding layer (the same sums, faster).
  const padding = o.padding === "same" ? null : pair(o.padding ?? 0);
  const depthwise = groups === inChannels && o.outChannels % inChannels === 0 &&
    dilation[0] === dilation[1];
  const same = padding === null ||
    ((groups === 1 || depthwise) && stride[0] === 1 && stride[1] === 1 &&
      [0, 1].every((i) => (kernel[i] - 1) * dilation[i] === 2 * padding[i]) &&
      (padding[0] > 0 || padding[1] > 0));
  const h = same ? x : zeroPad(x, padding!, `${o.name}_pad`);
  const [ph, pw] = spatial(h, `the convolution "${o.name}"`);
  if (!same && (ph < dilation[0] * (kernel[0] - 1) + 1 || pw < dilation[1] * (kernel[1] - 1) + 1)) {
    tooSmall(`the convolution "${o.name}"`, ph, pw);
  }
  const tfPadding = same ? "same" : "valid";
  if (groups === 1) {
    return apply(
      tf.layers.conv2d({
        filters: o.outChannels,
        kernelSize: kernel,
        strides: stride,
        dilationRate: dilation,
        padding: tfPadding,
        useBias,
        name: o.name,
      }),
      h,
    );
  }
  if (depthwise) {
    return apply(
      tf.layers.depthwiseConv2d({
        kernelSize: kernel,
        depthMultiplier: o.outChannels / inChannels,
        strides: stride,
        dilationRate: dilation,
        padding: tfPadding,
        useBias,
        name: o.name,
      }),
      h,
    );
  }
  if (same) {
    throw new RangeError(
      `Cannot build the convolution "${o.name}": "same" padding is not available for grouped ` +
        `convolutions (groups ${groups} of ${inChannels} channels)`,
    );
  }
  return apply(
    new GroupedConv2d({
      filters: o.outChannels,
      kernelSize: kernel,
      strides: stride,
      dilationRate: dilation,
      groups,
      useBias,
      name: o.name,
    }),
    h,
  );
}

/**
 * Torch's `nn.BatchNorm2d` (or 1d on the last axis): `eps` default 1e-5, torch `momentum`
 * default 0.1. Weights: `weight`, `bias`, `running_mean`, `running_var`.
 */
export function batchNorm(
  x: Symbolic,
  o: { name: string; eps?: number; momentum?: number },
): Symbolic {
  return apply(
    new TorchBatchNorm({
      axis: -1,
      epsilon: o.eps ?? 1e-5,
      momentum: 1 - (o.momentum ?? 0.1),
      name: o.name,
    }),
    x,
  );
}

/** Torch's `nn.LayerNorm` over the last (channel) axis; `eps` default 1e-5. */
export function layerNorm(x: Symbolic, o: { name: string; eps?: number }): Symbolic {
  return apply(tf.layers.layerNormalization({ axis: -1, epsilon: o.eps ?? 1e-5, name: o.name }), x);
}

/** Torch's `nn.Linear` on the last axis. Weights: `weight` ([out, in] → [in, out]), `bias`. */
export function linear(
  x: Symbolic,
  o: { name: string; outFeatures: number; bias?: boolean },
): Symbolic {
  return apply(tf.layers.dense({ units: o.outFeatures, useBias: o.bias ?? true, name: o.name }), x);
}

/** An activation layer named `name`. */
export function activation(x: Symbolic, fn: TorchActivationName, name: string): Symbolic {
  return apply(new TorchActivation({ fn, name }), x);
}

/** ReLU (the common case of {@linkcode activation}). */
export function relu(x: Symbolic, name: string): Symbolic {
  return activation(x, "relu", name);
}

/** Options of the pooling blocks. */
export interface Pool2dOptions {
  /** Layer name. */
  name: string;
  /** Window. */
  kernel: IntPair;
  /** Stride; default the kernel (as torch). */
  stride?: IntPair;
  /** Padding per side; default 0. */
  padding?: IntPair;
  /** Torch's `ceil_mode`; default false. */
  ceilMode?: boolean;
}

/** Torch's `nn.MaxPool2d`: −∞ padding, `ceil_mode`. */
export function maxPool2d(x: Symbolic, o: Pool2dOptions): Symbolic {
  const [h, w] = spatial(x, `the max pool "${o.name}"`);
  const k = pair(o.kernel);
  const s = pair(o.stride ?? o.kernel);
  const p = pair(o.padding ?? 0);
  const ceil = o.ceilMode ?? false;
  const oh = poolOutputSize(h, k[0], s[0], p[0], ceil);
  const ow = poolOutputSize(w, k[1], s[1], p[1], ceil);
  if (!(oh >= 1 && ow >= 1)) tooSmall(`the max pool "${o.name}"`, h, w);
  return apply(
    new TorchMaxPool2d({ kernel: k, stride: s, padding: p, ceilMode: ceil, name: o.name }),
    x,
  );
}

/** Torch's `nn.AvgPool2d`: zero padding, `ceil_mode`, `count_include_pad` (default true). */
export function avgPool2d(
  x: Symbolic,
  o: Pool2dOptions & { countIncludePad?: boolean },
): Symbolic {
  const [h, w] = spatial(x, `the average pool "${o.name}"`);
  const k = pair(o.kernel);
  const s = pair(o.stride ?? o.kernel);
  const p = pair(o.padding ?? 0);
  const ceil = o.ceilMode ?? false;
  if (
    !(poolOutputSize(h, k[0], s[0], p[0], ceil) >= 1 &&
      poolOutputSize(w, k[1], s[1], p[1], ceil) >= 1)
  ) tooSmall(`the average pool "${o.name}"`, h, w);
  return apply(
    new TorchAvgPool2d({
      kernel: k,
      stride: s,
      padding: p,
      ceilMode: ceil,
      countIncludePad: o.countIncludePad ?? true,
      name: o.name,
    }),
    x,
  );
}

/** Torch's `nn.AdaptiveAvgPool2d(size)`: `[b, size, size, c]`. */
export function adaptiveAvgPool2d(x: Symbolic, size: IntPair, name: string): Symbolic {
  spatial(x, `the adaptive average pool "${name}"`);
  return apply(new AdaptiveAvgPool2d({ outputSize: pair(size), name }), x);
}

/** `torch.flatten(x, 1)` of an NCHW map: `[b, c·h·w]` in torch's order. */
export function flatten(x: Symbolic, name: string): Symbolic {
  return apply(new TorchFlatten({ name }), x);
}

/** Element-wise sum (residual connections). */
export function add(xs: Symbolic[], name: string): Symbolic {
  return apply(tf.layers.add({ name }), xs);
}

/** Concatenation on the channel axis (`torch.cat(xs, 1)` of NCHW maps). */
export function concat(xs: Symbolic[], name: string): Symbolic {
  if (xs.length === 1) return xs[0];
  return apply(tf.layers.concatenate({ axis: -1, name }), xs);
}

/** Torch's `nn.Dropout(p)` (the identity in inference, and when frozen). */
export function dropout(x: Symbolic, rate: number, name: string): Symbolic {
  if (!(rate > 0)) return x;
  return apply(new TorchDropout({ rate, name }), x);
}

/** torchvision's `StochasticDepth(p, mode)` (the identity in inference). */
export function stochasticDepth(
  x: Symbolic,
  rate: number,
  mode: "row" | "batch",
  name: string,
): Symbolic {
  if (!(rate > 0)) return x;
  return apply(new StochasticDepth({ rate, mode, name }), x);
}

/**
 * torchvision's `SqueezeExcitation`: global average → `fc1` (1×1 conv) → activation → `fc2`
 * (1×1 conv) → scale activation → `x · scale`. Layers `<name>.fc1`, `<name>.fc2`.
 */
export function squeezeExcitation(
  x: Symbolic,
  o: {
    name: string;
    squeezeChannels: number;
    activation?: TorchActivationName;
    scaleActivation?: TorchActivationName;
  },
): Symbolic {
  const [, , channels] = spatial(x, `the squeeze-excitation "${o.name}"`);
  let s = adaptiveAvgPool2d(x, 1, `${o.name}.avgpool`);
  s = conv2d(s, { name: `${o.name}.fc1`, outChannels: o.squeezeChannels, kernel: 1 });
  s = activation(s, o.activation ?? "relu", `${o.name}.activation`);
  s = conv2d(s, { name: `${o.name}.fc2`, outChannels: channels, kernel: 1 });
  s = activation(s, o.scaleActivation ?? "sigmoid", `${o.name}.scale_activation`);
  return apply(new ChannelScale({ name: `${o.name}.scale` }), [x, s]);
}

/** torchvision's `Conv2dNormActivation`: `<name>.0` conv (no bias), `<name>.1` BN, activation. */
export function convBnAct(
  x: Symbolic,
  o: Omit<Conv2dOptions, "bias"> & {
    eps?: number;
    activation?: TorchActivationName | null;
  },
): Symbolic {
  const k = pair(o.kernel);
  const d = pair(o.dilation ?? 1);
  const padding = o.padding ?? [((k[0] - 1) / 2) * d[0], ((k[1] - 1) / 2) * d[1]];
  let h = conv2d(x, { ...o, name: `${o.name}.0`, padding, bias: false });
  h = batchNorm(h, { name: `${o.name}.1`, eps: o.eps });
  if (o.activation === null) return h;
  return activation(h, o.activation ?? "relu", `${o.name}.2`);
}

// ---------------------------------------------------------------------------------------------
// The deterministic weight formula

/** What a tensor is, which decides its formula. */
export type FormulaRole =
  | "weight"
  | "norm_weight"
  | "norm_bias"
  | "running_mean"
  | "running_var"
  | "bias"
  | "other";

/**
 * The role of a state_dict entry: by its last name component, its torch rank and whether its
 * module is a normalization layer (same rule as the Python generator).
 */
export function formulaRole(name: string, rank: number, isNorm: boolean): FormulaRole {
  const leaf = name.slice(name.lastIndexOf(".") + 1);
  if (leaf === "running_mean") return "running_mean";
  if (leaf === "running_var") return "running_var";
  if (isNorm && leaf === "weight" && rank === 1) return "norm_weight";
  if (isNorm && leaf === "bias") return "norm_bias";
  if (leaf.endsWith("weight") && rank >= 2) return "weight";
  if (leaf.endsWith("bias")) return "bias";
  return "other";
}

/** FNV-1a 32-bit of the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The "lowbias32" integer mixer. */
export function lowbias32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The formula's values of tensor `name` with torch `shape` (row-major, torch layout).
 *
 * @example Deterministic
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { formulaValues } from "./_core.ts";
 * assertEquals(formulaValues("a.weight", [2, 3], "weight"), formulaValues("a.weight", [2, 3], "weight"));
 * ```
 */
export function formulaValues(
  name: string,
  shape: readonly number[],
  role: FormulaRole,
): Float32Array {
  const n = shape.reduce((a, d) => a * d, 1);
  const fanIn = shape.length <= 1 ? 1 : shape.slice(1).reduce((a, d) => a * d, 1);
  const h = fnv1a32(name);
  const out = new Float32Array(n);
  const limit = Math.sqrt(3 / fanIn);
  for (let i = 0; i < n; i++) {
    const r = lowbias32(h ^ Math.imul(i + 1, 0x9e3779b1)) / 4294967296;
    switch (role) {
      case "weight":
        out[i] = (2 * r - 1) * limit;
        break;
      case "norm_weight":
      case "running_var":
        out[i] = 0.5 + r;
        break;
      case "norm_bias":
      case "running_mean":
        out[i] = 0.2 * (2 * r - 1);
        break;
      case "bias":
        out[i] = 0.1 * (2 * r - 1);
        break;
      case "other":
        out[i] = 0.02 * (2 * r - 1);
        break;
    }
  }
  return out;
}

/** The formula's input image: torch `[n, c, h, w]` values 2r − 1 of name `"input"`, as NHWC. */
export function formulaInput(shape: readonly [number, number, number, number]): tf.Tensor4D {
  const [n, c, h, w] = shape;
  const hash = fnv1a32("input");
  const nhwc = new Float32Array(n * c * h * w);
  let i = 0;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++, i++) {
          const r = lowbias32(hash ^ Math.imul(i + 1, 0x9e3779b1)) / 4294967296;
          nhwc[((b * h + y) * w + x) * c + ch] = 2 * r - 1;
        }
      }
    }
  }
  return tf.tensor4d(nhwc, [n, h, w, c]);
}

// ---------------------------------------------------------------------------------------------
// State-dict loading

/** A layer weight a torch state_dict entry loads into. */
export interface WeightTarget {
  /** The layer. */
  layer: tf.layers.Layer;
  /** The index in `layer.weights`. */
  weightIndex: number;
  /** The torch shape the entry must have. */
  torchShape: number[];
  /** The formula role of the entry. */
  role: FormulaRole;
  /** Torch layout → the TF.js weight's layout. */
  transform: (t: RawTensor) => RawTensor;
}

/** A parameter of a custom layer, as its `torchParams(path)` method lists them. */
export interface TorchParam {
  /** The state_dict name without the model prefix (e.g. `encoder.pos_embedding`). */
  name: string;
  /** The index in `layer.weights`. */
  weightIndex: number;
  /** The torch shape. */
  torchShape: number[];
  /** Whether its module is a normalization layer (for the formula). */
  isNorm?: boolean;
  /** Torch layout → TF.js layout; default the identity. */
  transform?: (t: RawTensor) => RawTensor;
}

/** A custom layer that maps its own weights (e.g. class tokens, packed attention). */
export interface TorchParamsLayer {
  /** The layer's torch parameters; `path` is the layer name without the prefix. */
  torchParams(path: string): TorchParam[];
}

function hasTorchParams(layer: unknown): layer is TorchParamsLayer {
  return typeof (layer as TorchParamsLayer).torchParams === "function";
}

const identity = (t: RawTensor) => t;

function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const visit = (layers: tf.layers.Layer[]) => {
    for (const l of layers) {
      const inner = (l as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (Array.isArray(inner) && l instanceof tf.LayersModel) visit(inner);
      else out.push(l);
    }
  };
  visit(model.layers);
  return out;
}

/**
 * The torch state_dict names of a model's layers under `prefix`, each with its layer weight,
 * torch shape, formula role and layout transform. Built-in layers: `Conv2D`
 * (`weight` OIHW→HWIO, `bias`), `DepthwiseConv2D`, `Dense` (`weight` transposed, `bias`),
 * `BatchNormalization` (`weight`, `bias`, `running_mean`, `running_var`),
 * `LayerNormalization` (`weight`, `bias`), {@linkcode GroupedConv2d}; custom layers list theirs
 * with a `torchParams(path)` method ({@linkcode TorchParamsLayer}).
 *
 * @throws {RangeError} A layer with weights of an unknown kind.
 */
export function torchWeightTargets(
  model: tf.LayersModel,
  prefix = "",
): Map<string, WeightTarget> {
  const targets = new Map<string, WeightTarget>();
  for (const layer of allLayers(model)) {
    if (!layer.name.startsWith(prefix) || layer.weights.length === 0) continue;
    const path = layer.name.slice(prefix.length);
    if (hasTorchParams(layer)) {
      for (const p of layer.torchParams(path)) {
        targets.set(p.name, {
          layer,
          weightIndex: p.weightIndex,
          torchShape: p.torchShape,
          role: formulaRole(p.name, p.torchShape.length, p.isNorm ?? false),
          transform: p.transform ?? identity,
        });
      }
      continue;
    }
    const cls = layer.getClassName();
    const isBatchNorm = cls === "BatchNormalization" || cls === TorchBatchNorm.className;
    const isNorm = isBatchNorm || cls === "LayerNormalization";
    layer.weights.forEach((w, weightIndex) => {
      const leaf = w.originalName.slice(w.originalName.lastIndexOf("/") + 1);
      const shape = w.shape as number[];
      let torchName: string;
      let torchShape = shape;
      let transform = identity;
      if (leaf === "kernel" && (cls === "Conv2D" || cls === GroupedConv2d.className)) {
        torchName = "weight";
        torchShape = [shape[3], shape[2], shape[0], shape[1]];
        transform = convTorchToTf;
      } else if (leaf === "depthwise_kernel" && cls === "DepthwiseConv2D") {
        torchName = "weight";
        torchShape = [shape[2] * shape[3], 1, shape[0], shape[1]];
        const channels = shape[2];
        transform = (t) => depthwiseTorchToTf(t, channels);
      } else if (leaf === "kernel" && cls === "Dense") {
        torchName = "weight";
        torchShape = [shape[1], shape[0]];
        transform = linearTorchToTf;
      } else if (leaf === "bias") torchName = "bias";
      else if (leaf === "gamma" && isNorm) torchName = "weight";
      else if (leaf === "beta" && isNorm) torchName = "bias";
      else if (leaf === "moving_mean" && isBatchNorm) torchName = "running_mean";
      else if (leaf === "moving_variance" && isBatchNorm) {
        torchName = "running_var";
      } else {
        throw new RangeError(
          `Cannot map the weight "${w.originalName}" of layer "${layer.name}" (${cls}) to a torch parameter`,
        );
      }
      const name = `${path}.${torchName}`;
      targets.set(name, {
        layer,
        weightIndex,
        torchShape,
        role: formulaRole(name, torchShape.length, isNorm),
        transform,
      });
    });
  }
  return targets;
}

/** Options of {@linkcode applyStateDict}. */
export interface ApplyStateDictOptions {
  /** The layer-name prefix of the encoder inside the model; default `""`. */
  prefix?: string;
  /** State_dict entries to skip (e.g. the removed classification head); `num_batches_tracked` always is. */
  ignore?: readonly (string | RegExp)[];
  /** Prefixes stripped from the file's names when present (e.g. `module.` of DataParallel). */
  stripPrefixes?: readonly string[];
  /** Renames a file's names (after stripping) to the model's (e.g. densenet's old names). */
  rename?: (name: string) => string;
  /** The file, for messages. */
  file: string;
}

/**
 * Loads a torch state_dict (as `lib/pretrained/` reads it) into the layers of `model` named by
 * torch module paths. Names and torch shapes must match exactly (after `ignore`), else a
 * {@linkcode WeightsError} lists the first differences.
 *
 * @returns The number of tensors loaded.
 * @throws {WeightsError} Missing, unexpected or mis-shaped tensors.
 */
export function applyStateDict(
  model: tf.LayersModel,
  tensors: NamedTensors,
  options: ApplyStateDictOptions,
): number {
  const targets = torchWeightTargets(model, options.prefix ?? "");
  const ignored = (name: string) =>
    name.endsWith("num_batches_tracked") ||
    (options.ignore ?? []).some((p) => typeof p === "string" ? p === name : p.test(name));
  const received = new Map<string, RawTensor>();
  for (const [raw, t] of tensors) {
    let name = raw;
    for (const p of options.stripPrefixes ?? []) {
      if (name.startsWith(p)) {
        name = name.slice(p.length);
        break;
      }
    }
    if (options.rename) name = options.rename(name);
    if (!ignored(name)) received.set(name, t);
  }
  const expected = new Map([...targets].map(([n, t]) => [n, t.torchShape]));
  assertWeightsMatch(expected, received, options.file);
  for (const [name, target] of targets) {
    const raw = received.get(name)!;
    let values: RawTensor;
    try {
      values = target.transform(raw);
    } catch (e) {
      throw new WeightsError((e as Error).message, {
        file: options.file,
        tensor: name,
        action: "Cannot load weights",
      });
    }
    const t = tf.tensor(toFloat32(values), values.shape, "float32");
    try {
      target.layer.weights[target.weightIndex].write(t);
    } finally {
      t.dispose();
    }
  }
  return targets.size;
}

/**
 * The formula's state_dict (torch names and layouts) of the layers under `prefix`.
 *
 * @param model The model.
 * @param prefix The encoder's layer-name prefix.
 * @returns Name → F32 tensor in the torch layout.
 */
export function formulaStateDict(model: tf.LayersModel, prefix = ""): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [name, t] of torchWeightTargets(model, prefix)) {
    out.set(name, {
      dtype: "F32",
      shape: [...t.torchShape],
      data: formulaValues(name, t.torchShape, t.role),
    });
  }
  return out;
}

/** Fills the layers under `prefix` with the formula's weights. */
export function applyFormulaWeights(model: tf.LayersModel, prefix = ""): void {
  applyStateDict(model, formulaStateDict(model, prefix), { prefix, file: "<formula weights>" });
}

// ---------------------------------------------------------------------------------------------
// Family tables

/** torchvision's inference transform of a weights entry. */
export interface Preprocessing {
  /** `transforms.Resize` size (the shorter side). */
  resizeSize: number;
  /** `transforms.CenterCrop` size. */
  cropSize: number;
  /** Resize interpolation. */
  interpolation: "bilinear" | "bicubic" | "nearest";
  /** Normalization mean (RGB). */
  mean: readonly [number, number, number];
  /** Normalization std (RGB). */
  std: readonly [number, number, number];
}

/** ImageNet's mean and std as torchvision uses them. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
/** ImageNet's std. */
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** torchvision's usual transform: resize 256 bilinear, crop 224, ImageNet mean/std. */
export function imagenetTransform(
  resizeSize = 256,
  cropSize = 224,
  interpolation: Preprocessing["interpolation"] = "bilinear",
): Preprocessing {
  return { resizeSize, cropSize, interpolation, mean: IMAGENET_MEAN, std: IMAGENET_STD };
}

/** One variant of a family. */
export interface VariantEntry<A = unknown> {
  /** Ludwig's `model_variant` value (a number for e.g. `resnet` 18). */
  ludwigId: string | number;
  /** The architecture parameters. */
  arch: A;
  /** torchvision's default weights file (its name carries the SHA-256 prefix) and URL. */
  weights: { file: string; url: string };
  /** torchvision's inference transform of those weights. */
  preprocessing: Preprocessing;
  /** The encoder's output size (what the removed classification layer took in). */
  featureSize: number;
}

/** Options of a family's `build`. */
export interface BuildOptions {
  /** Layer-name prefix (e.g. `"image/"`); default `""`. */
  prefix?: string;
  /** Pretrained weights will be loaded (googlenet/inception then apply `transform_input`). */
  pretrained?: boolean;
  /**
   * Build with Keras' conventions (TF "same" padding, these batch-norm settings) for weights
   * read from a Keras model by the family's `fromKeras`; only families that have one accept it.
   */
  keras?: { epsilon: number; momentum: number };
}

/** Keras weights in torch names, and the batch-norm settings the build must use. */
export interface FamilyKerasWeights {
  /** Torch state_dict names and layouts. */
  tensors: NamedTensors;
  /** Keras' batch-norm epsilon and momentum. */
  batchNorm: { epsilon: number; momentum: number };
}

/** A torchvision family: its variants and its builder. */
export interface FamilyTable<A = unknown> {
  /** Ludwig's encoder type (e.g. `resnet`, `inceptionv3`). */
  type: string;
  /** Variant name → entry; the schema's `model_variant` enum is derived from the keys. */
  variants: Readonly<Record<string, VariantEntry<A>>>;
  /** Ludwig's default variant. */
  defaultVariant: string;
  /** The smallest input height/width the family builds for. */
  minInputSize: number;
  /** State_dict entries of the removed head (and auxiliary heads) to skip when loading. */
  ignoreWeights: readonly RegExp[];
  /** Maps names of older checkpoints to the module names (densenet's `norm.1` → `norm1`). */
  renameWeights?: (name: string) => string;
  /**
   * Reads a Keras model of this architecture (a TF.js layers model, as `readTfjsModel` reads
   * it) into torch names; the families without it reject TF.js weights.
   */
  fromKeras?: (model: TfjsModel) => FamilyKerasWeights;
  /**
   * Builds the encoder on `input` (`[batch, h, w, 3]`, normalized): `[batch, featureSize]`.
   *
   * @throws {RangeError} An unknown variant or an input too small.
   */
  build(input: Symbolic, variant: string, opts?: BuildOptions): Symbolic;
}

/**
 * The `[height, width, channels]` of an encoder input, or a RangeError when it is not a known
 * `[batch, h, w, 3]` of at least `minSize` pixels.
 */
export function imageInput(x: Symbolic, type: string, minSize: number): [number, number, number] {
  const [h, w, c] = spatial(x, `the ${type} encoder`);
  if (c !== 3) {
    throw new RangeError(
      `Cannot build the ${type} encoder: it takes 3-channel images, received ${c}`,
    );
  }
  if (h < minSize || w < minSize) {
    throw new RangeError(
      `Cannot build the ${type} encoder: images must be at least ${minSize}x${minSize}, received ${h}x${w}`,
    );
  }
  return [h, w, c];
}

/**
 * googlenet/inception's `transform_input` (pretrained weights expect it): channel c becomes
 * `x · std[c] / 0.5 + (mean[c] − 0.5) / 0.5`.
 */
export class ChannelAffine extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataChannelAffine";
  /** Per-channel factors. */
  readonly scale: number[];
  /** Per-channel offsets. */
  readonly shift: number[];

  /** @param args `scale`, `shift` per channel. */
  constructor(args: { scale: number[]; shift: number[]; name?: string }) {
    super(args);
    this.scale = [...args.scale];
    this.shift = [...args.shift];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.add(tf.mul(x, tf.tensor1d(this.scale)), tf.tensor1d(this.shift));
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale, shift: this.shift };
  }
}
tf.serialization.registerClass(ChannelAffine);

/** torchvision's `transform_input` of googlenet and inception_v3 as a layer. */
export function transformInput(x: Symbolic, name: string): Symbolic {
  return apply(
    new ChannelAffine({
      scale: IMAGENET_STD.map((s) => s / 0.5),
      shift: IMAGENET_MEAN.map((m) => (m - 0.5) / 0.5),
      name,
    }),
    x,
  );
}

/**
 * Loads a torchvision state_dict of `table`'s architecture into the encoder under `prefix`:
 * {@linkcode applyStateDict} with the family's ignored head weights, its renames of older
 * checkpoint names, and DataParallel's `module.` prefix stripped.
 *
 * @returns The number of tensors loaded.
 * @throws {WeightsError} Missing, unexpected or mis-shaped tensors, listed.
 */
export function loadFamilyWeights(
  model: tf.LayersModel,
  table: FamilyTable,
  tensors: NamedTensors,
  options: { prefix?: string; file: string },
): number {
  return applyStateDict(model, tensors, {
    prefix: options.prefix,
    file: options.file,
    ignore: table.ignoreWeights,
    rename: table.renameWeights,
    stripPrefixes: ["module."],
  });
}

/** The variant names of a family (for a zod enum). */
export function variantNames(table: FamilyTable): [string, ...string[]] {
  return Object.keys(table.variants) as [string, ...string[]];
}

/** The entry of `variant`, or a RangeError listing the valid ones. */
export function variantEntry<A>(table: FamilyTable<A>, variant: string): VariantEntry<A> {
  const entry = table.variants[variant];
  if (entry === undefined || !Object.hasOwn(table.variants, variant)) {
    throw new RangeError(
      `Unknown ${table.type} model_variant "${variant}"; expected one of: ${
        Object.keys(table.variants).join(", ")
      }`,
    );
  }
  return entry;
}

/** torchvision's download URL of a weights file. */
export function torchvisionUrl(file: string): string {
  return `https://download.pytorch.org/models/${file}`;
}
