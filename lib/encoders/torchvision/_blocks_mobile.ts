/**
 * Building blocks of the mobile-size torchvision families (mobilenet v2/v3, mnasnet,
 * efficientnet, shufflenet v2, regnet) that `_core.ts` does not have: torchvision's channel
 * rounding helpers, `Conv2dNormActivation` with a batch-norm momentum, and ShuffleNet's channel
 * split and channel shuffle in torch's NCHW channel order.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import {
  activation,
  batchNorm,
  conv2d,
  type Conv2dOptions,
  pair,
  type Symbolic,
  type TorchActivationName,
} from "./_core.ts";

/**
 * torchvision's `_make_divisible(v, divisor, min_value)`: the nearest multiple of `divisor`
 * (at least `minValue`, default `divisor`), bumped up one step when rounding lost over 10%.
 */
export function makeDivisible(v: number, divisor: number, minValue?: number): number {
  const min = minValue ?? divisor;
  let out = Math.max(min, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

/** Python's `round(x)` (halves to even), as torchvision's `int(round(...))` computes widths. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Options of {@linkcode convNormAct}. */
export interface ConvNormActOptions extends Omit<Conv2dOptions, "bias"> {
  /** Batch-norm epsilon; default 1e-5. */
  eps?: number;
  /** Batch-norm momentum in torch's sense; default 0.1. */
  momentum?: number;
  /** The activation; `null` for none; default ReLU. */
  activation?: TorchActivationName | null;
}

/**
 * torchvision's `Conv2dNormActivation`: `<name>.0` convolution without bias (padding
 * `(k − 1) / 2 · dilation` unless given), `<name>.1` batch norm, then the activation.
 */
export function convNormAct(x: Symbolic, o: ConvNormActOptions): Symbolic {
  const k = pair(o.kernel);
  const d = pair(o.dilation ?? 1);
  const padding = o.padding ??
    [Math.floor((k[0] - 1) / 2) * d[0], Math.floor((k[1] - 1) / 2) * d[1]];
  let h = conv2d(x, {
    name: `${o.name}.0`,
    outChannels: o.outChannels,
    kernel: o.kernel,
    stride: o.stride,
    padding,
    dilation: o.dilation,
    groups: o.groups,
    bias: false,
  });
  h = batchNorm(h, { name: `${o.name}.1`, eps: o.eps, momentum: o.momentum });
  if (o.activation === null) return h;
  return activation(h, o.activation ?? "relu", `${o.name}.2`);
}

/** Channels `[start, start + size)` of an NHWC map (torch's `x.chunk(…, dim=1)` pieces). */
export class ChannelSlice extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataChannelSlice";
  /** First channel. */
  readonly start: number;
  /** Number of channels. */
  readonly size: number;

  /** @param args `start` and `size` on the channel axis. */
  constructor(args: { start: number; size: number; name?: string }) {
    super(args);
    this.start = args.start;
    this.size = args.size;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...s.slice(0, -1), this.size];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const begin = x.shape.map((_, i) => i === x.rank - 1 ? this.start : 0);
    const size = x.shape.map((d, i) => i === x.rank - 1 ? this.size : d);
    return tf.slice(x, begin, size);
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), start: this.start, size: this.size };
  }
}
tf.serialization.registerClass(ChannelSlice);

/**
 * ShuffleNet's `channel_shuffle(x, groups)` with torch's channel order: the NCHW view
 * `[b, g, c/g, h, w]` transposed to `[b, c/g, g, h, w]`, so output channel `j·g + i` is input
 * channel `i·(c/g) + j`. On NHWC the same permutation acts on the last axis.
 */
export class ChannelShuffle extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataChannelShuffle";
  /** Groups. */
  readonly groups: number;

  /** @param args `groups`: the channel count must divide by it. */
  constructor(args: { groups: number; name?: string }) {
    super(args);
    this.groups = args.groups;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [b, h, w, c] = x.shape;
      const g = this.groups;
      const grouped = tf.reshape(x, [b, h, w, g, c / g]);
      return tf.reshape(tf.transpose(grouped, [0, 1, 2, 4, 3]), [b, h, w, c]);
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups };
  }
}
tf.serialization.registerClass(ChannelShuffle);

/** Channels `[start, start + size)` of `x` as a layer named `name`. */
export function channelSlice(x: Symbolic, start: number, size: number, name: string): Symbolic {
  return new ChannelSlice({ start, size, name }).apply(x) as Symbolic;
}

/** {@linkcode ChannelShuffle} of `x` into `groups`, named `name`. */
export function channelShuffle(x: Symbolic, groups: number, name: string): Symbolic {
  const c = x.shape[x.shape.length - 1];
  if (typeof c !== "number" || c % groups !== 0) {
    throw new RangeError(
      `Cannot build the channel shuffle "${name}": ${c} channels do not split into ${groups} groups`,
    );
  }
  return new ChannelShuffle({ groups, name }).apply(x) as Symbolic;
}

/** Torch's `x.mean([2, 3])` (global average over height and width): `[b, c]`. */
export function globalMean(x: Symbolic, name: string): Symbolic {
  return tf.layers.globalAveragePooling2d({ name }).apply(x) as Symbolic;
}
