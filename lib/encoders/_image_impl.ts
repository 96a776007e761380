/**
 * Implementations of the image encoders (schemas in `image_schemas.ts`) on the TF.js functional
 * API. Each takes an NHWC float32 batch `[batch, height, width, channels]` and returns
 * `[batch, output]` (`mlp_mixer` with `avg_pool: false`: `[batch, patches, embed_size]`).
 *
 * - `stacked_cnn` (Ludwig's `Stacked2DCNN`): per layer conv → norm → activation → dropout →
 *   pool; flatten; fully connected stack.
 * - `_resnet_legacy` (Ludwig's own ResNet): conv → batch norm → ReLU → optional max pool, then
 *   stages of basic (sizes < 50) or bottleneck blocks (post-activation, projection shortcut on
 *   each stage's first block, stride 2 from the second stage), global average pooling, FC stack.
 * - `mlp_mixer` (Tolstikhin et al. 2021, https://arxiv.org/abs/2105.01601).
 * - `_vit_legacy` (Dosovitskiy et al. 2020, https://arxiv.org/abs/2010.11929; the Hugging Face
 *   ViT layout Ludwig uses): patch embedding, class token and learned positions, pre-norm
 *   transformer layers, final layer norm, tanh pooler on the class token.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import {
  activationName,
  ElementwiseActivation,
  initializer,
  SeededDropout,
} from "../model/layers.ts";
import type {
  Conv2dLayerConfig,
  MlpMixerConfig,
  ResnetLegacyConfig,
  StackedCnnConfig,
  VitLegacyConfig,
} from "./image_schemas.ts";

/** A symbolic tensor of the functional API. */
export type Symbolic = tf.SymbolicTensor;

/** How an encoder names its layers and seeds its initializers. */
export interface ImageEncoderNaming {
  /** A unique layer name for `what` (for example `"conv"`). */
  name(what: string): string;
  /** A fresh initializer seed. */
  seed(): number;
}

/** The options of the encoders: their resolved configs (the image size keys are not read). */
export type StackedCnnOptions = Omit<StackedCnnConfig, "type">;
/** Options of {@linkcode resnetLegacy}. */
export type ResnetLegacyOptions = Omit<ResnetLegacyConfig, "type">;
/** Options of {@linkcode mlpMixer}. */
export type MlpMixerOptions = Omit<MlpMixerConfig, "type">;
/** Options of {@linkcode vitLegacy}. */
export type VitLegacyOptions = Omit<VitLegacyConfig, "type">;

type Obj = Record<string, unknown>;
type IntOrPair = number | readonly [number, number];

function pair(v: IntOrPair): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

function imageShape(x: Symbolic, encoder: string): [number, number, number] {
  const s = x.shape;
  if (s.length !== 4 || s.slice(1).some((d) => d === null)) {
    throw new RangeError(
      `Cannot build the ${encoder} encoder: expected an input of rank 4 [batch, height, width, channels] with known sizes, received shape [${
        s.map(String).join(", ")
      }]`,
    );
  }
  return [s[1] as number, s[2] as number, s[3] as number];
}

/** The lowest float32, the padding of max pooling (finite, so layer configs stay JSON). */
const LOWEST = -3.4028234663852886e38;

/** Pads the two spatial axes of NHWC tensors with a constant or by reflection. */
export class ImagePad extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataImagePad";
  /** Rows added above. */
  readonly top: number;
  /** Rows added below. */
  readonly bottom: number;
  /** Columns added on the left. */
  readonly left: number;
  /** Columns added on the right. */
  readonly right: number;
  /** Constant fill or reflection. */
  readonly mode: "constant" | "reflect";
  /** The constant of `constant` mode. */
  readonly value: number;

  /**
   * Creates the layer.
   *
   * @param args Pixels per side, the mode and the constant (the lowest float for max pooling).
   */
  constructor(args: {
    top: number;
    bottom: number;
    left: number;
    right: number;
    mode: "constant" | "reflect";
    value?: number;
    name?: string;
  }) {
    super(args);
    this.top = args.top;
    this.bottom = args.bottom;
    this.left = args.left;
    this.right = args.right;
    this.mode = args.mode;
    this.value = args.value ?? 0;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [
      s[0],
      s[1] === null ? null : (s[1] as number) + this.top + this.bottom,
      s[2] === null ? null : (s[2] as number) + this.left + this.right,
      s[3],
    ];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const paddings: [number, number][] = [[0, 0], [this.top, this.bottom], [
        this.left,
        this.right,
      ], [0, 0]];
      if (this.mode === "reflect") return tf.mirrorPad(x, paddings, "reflect");
      return tf.pad(x, paddings, this.value);
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      top: this.top,
      bottom: this.bottom,
      left: this.left,
      right: this.right,
      mode: this.mode,
      value: this.value,
    };
  }
}
tf.serialization.registerClass(ImagePad);

function pad(
  x: Symbolic,
  amount: [number, number],
  mode: "constant" | "reflect",
  value: number,
  naming: ImageEncoderNaming,
): Symbolic {
  if (amount[0] === 0 && amount[1] === 0) return x;
  return new ImagePad({
    top: amount[0],
    bottom: amount[0],
    left: amount[1],
    right: amount[1],
    mode,
    value,
    name: naming.name("pad"),
  }).apply(x) as Symbolic;
}

function activate(x: Symbolic, name: unknown, naming: ImageEncoderNaming): Symbolic {
  const id = activationName(name);
  if (id === "linear") return x;
  if (id === "leakyrelu") {
    return tf.layers.leakyReLU({ alpha: 0.01, name: naming.name("leaky_relu") }).apply(
      x,
    ) as Symbolic;
  }
  if (id === "logsigmoid" || id === "gelu") {
    return new ElementwiseActivation({ fn: id, name: naming.name(id) }).apply(x) as Symbolic;
  }
  return tf.layers.activation({ activation: id as "relu", name: naming.name(id) }).apply(
    x,
  ) as Symbolic;
}

function dropout(x: Symbolic, rate: number, naming: ImageEncoderNaming): Symbolic {
  if (!(rate > 0)) return x;
  return new SeededDropout({ rate, name: naming.name("dropout") }).apply(x) as Symbolic;
}

/** Batch or layer norm (layer norm over the last axis); `momentum` in PyTorch's convention. */
function normalize(
  x: Symbolic,
  norm: "batch" | "layer" | null | undefined,
  params: Obj | null | undefined,
  naming: ImageEncoderNaming,
): Symbolic {
  if (norm === null || norm === undefined) return x;
  const p = params ?? {};
  const epsilon = (p.epsilon as number) ?? (p.eps as number) ?? (norm === "layer" ? 1e-5 : 1e-3);
  if (norm === "layer") {
    return tf.layers.layerNormalization({ epsilon, name: naming.name("layer_norm") }).apply(
      x,
    ) as Symbolic;
  }
  const momentum = 1 - ((p.momentum as number) ?? 0.1);
  return tf.layers.batchNormalization({ epsilon, momentum, name: naming.name("batch_norm") })
    .apply(x) as Symbolic;
}

/** The shared FC stack settings of the image encoders. */
interface FcSettings {
  layers: readonly Obj[] | null;
  numLayers: number;
  outputSize: number;
  useBias: boolean;
  weightsInitializer: unknown;
  biasInitializer: unknown;
  norm: "batch" | "layer" | null;
  normParams: Obj | null;
  activation: unknown;
  dropout: number;
}

function fcStack(x: Symbolic, s: FcSettings, naming: ImageEncoderNaming): Symbolic {
  const defaults: Obj = {
    output_size: s.outputSize,
    use_bias: s.useBias,
    weights_initializer: s.weightsInitializer,
    bias_initializer: s.biasInitializer,
    norm: s.norm,
    norm_params: s.normParams,
    activation: s.activation,
    dropout: s.dropout,
  };
  const layers = s.layers && s.layers.length > 0
    ? s.layers.map((l) => ({
      ...defaults,
      ...Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)),
    }))
    : Array.from({ length: s.numLayers }, () => defaults);
  let h = x;
  for (const layer of layers) {
    h = tf.layers.dense({
      units: layer.output_size as number,
      useBias: layer.use_bias as boolean,
      kernelInitializer: initializer(layer.weights_initializer, naming.seed()),
      biasInitializer: initializer(layer.bias_initializer, naming.seed()),
      name: naming.name("fc"),
    }).apply(h) as Symbolic;
    h = normalize(
      h,
      layer.norm as "batch" | "layer" | null,
      layer.norm_params as Obj | null,
      naming,
    );
    h = activate(h, layer.activation, naming);
    h = dropout(h, layer.dropout as number, naming);
  }
  return h;
}

/** The resolved layers of a `stacked_cnn` convolution stack (Ludwig's `Conv2DStack` rules). */
export function stackedCnnLayers(opts: StackedCnnOptions): Required<Conv2dLayerConfig>[] {
  const defaults: Required<Conv2dLayerConfig> = {
    out_channels: opts.out_channels,
    kernel_size: opts.kernel_size,
    stride: opts.stride,
    padding: opts.padding,
    padding_mode: opts.padding_mode,
    dilation: opts.dilation,
    groups: opts.groups,
    use_bias: opts.conv_use_bias,
    norm: opts.conv_norm,
    norm_params: opts.conv_norm_params,
    activation: opts.conv_activation,
    dropout: opts.conv_dropout,
    pool_function: opts.pool_function,
    pool_kernel_size: opts.pool_kernel_size,
    pool_stride: opts.pool_stride,
    pool_padding: opts.pool_padding,
    pool_dilation: opts.pool_dilation,
  };
  const specs: Conv2dLayerConfig[] = opts.conv_layers !== null
    ? opts.conv_layers
    : opts.num_conv_layers !== null
    ? Array.from({ length: opts.num_conv_layers }, () => ({}))
    : [{ out_channels: 32 }, { out_channels: 64 }];
  return specs.map((spec) =>
    ({
      ...defaults,
      ...Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)),
    }) as Required<Conv2dLayerConfig>
  );
}

/**
 * `stacked_cnn`: 2D convolutions (each: conv → norm → activation → dropout → pooling), flatten,
 * then `num_fc_layers` (or `fc_layers`) fully connected layers.
 *
 * @param input `[batch, height, width, channels]`.
 * @param opts The resolved config.
 * @param naming Layer names and seeds.
 * @returns `[batch, output_size]` (or the flattened maps without FC layers).
 */
export function stackedCnn(
  input: Symbolic,
  opts: StackedCnnOptions,
  naming: ImageEncoderNaming,
): Symbolic {
  imageShape(input, "stacked_cnn");
  const tooSmall = (x: Symbolic, i: number) => {
    const s = x.shape;
    if (!((s[1] as number) >= 1 && (s[2] as number) >= 1)) {
      throw new RangeError(
        `Cannot build the stacked_cnn encoder: the image is too small for conv_layers[${i}] (output ${
          s[1]
        }x${s[2]})`,
      );
    }
  };
  let h = input;
  stackedCnnLayers(opts).forEach((layer, i) => {
    const stride = pair(layer.stride);
    const dilation = pair(layer.dilation);
    let padding: "valid" | "same" = "valid";
    if (typeof layer.padding === "string") padding = layer.padding;
    else {
      h = pad(
        h,
        pair(layer.padding),
        layer.padding_mode === "reflect" ? "reflect" : "constant",
        0,
        naming,
      );
    }
    if (padding === "same" && layer.padding_mode === "reflect") {
      const k = pair(layer.kernel_size);
      const total = [dilation[0] * (k[0] - 1), dilation[1] * (k[1] - 1)];
      if (total[0] % 2 === 0 && total[1] % 2 === 0 && stride[0] === 1 && stride[1] === 1) {
        h = pad(h, [total[0] / 2, total[1] / 2], "reflect", 0, naming);
        padding = "valid";
      }
    }
    h = tf.layers.conv2d({
      filters: layer.out_channels,
      kernelSize: pair(layer.kernel_size),
      strides: stride,
      padding,
      dilationRate: dilation,
      useBias: layer.use_bias,
      kernelInitializer: initializer("xavier_uniform", naming.seed()),
      name: naming.name("conv"),
    }).apply(h) as Symbolic;
    tooSmall(h, i);
    h = normalize(h, layer.norm, layer.norm_params as Obj | null, naming);
    h = activate(h, layer.activation, naming);
    h = dropout(h, layer.dropout, naming);
    if (layer.pool_kernel_size !== null) {
      const max = layer.pool_function === "max";
      h = pad(h, pair(layer.pool_padding), "constant", max ? LOWEST : 0, naming);
      const args = {
        poolSize: pair(layer.pool_kernel_size),
        strides: pair(layer.pool_stride ?? layer.pool_kernel_size),
        padding: "valid" as const,
        name: naming.name(max ? "max_pool" : "avg_pool"),
      };
      h = (max ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args)).apply(
        h,
      ) as Symbolic;
    }
    tooSmall(h, i);
  });
  h = tf.layers.flatten({ name: naming.name("flatten") }).apply(h) as Symbolic;
  return fcStack(h, {
    layers: opts.fc_layers as Obj[] | null,
    numLayers: opts.num_fc_layers,
    outputSize: opts.output_size,
    useBias: opts.fc_use_bias,
    weightsInitializer: opts.fc_weights_initializer,
    biasInitializer: opts.fc_bias_initializer,
    norm: opts.fc_norm,
    normParams: opts.fc_norm_params,
    activation: opts.fc_activation,
    dropout: opts.fc_dropout,
  }, naming);
}

/** Blocks per stage of Ludwig's ResNet sizes. */
export const RESNET_BLOCKS: Readonly<Record<number, readonly number[]>> = {
  8: [1, 2, 2],
  14: [1, 2, 2],
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 6, 3],
  101: [3, 4, 23, 3],
  152: [3, 8, 36, 3],
  200: [3, 24, 36, 3],
};

/** A convolution with TensorFlow's "fixed padding": same for stride 1, explicit then valid. */
function fixedConv(
  x: Symbolic,
  filters: number,
  kernel: [number, number],
  stride: [number, number],
  naming: ImageEncoderNaming,
): Symbolic {
  let h = x;
  let padding: "same" | "valid" = "same";
  if (stride[0] > 1 || stride[1] > 1) {
    const beg = [Math.floor((kernel[0] - 1) / 2), Math.floor((kernel[1] - 1) / 2)];
    const end = [kernel[0] - 1 - beg[0], kernel[1] - 1 - beg[1]];
    if (beg[0] + end[0] + beg[1] + end[1] > 0) {
      h = new ImagePad({
        top: beg[0],
        bottom: end[0],
        left: beg[1],
        right: end[1],
        mode: "constant",
        name: naming.name("fixed_pad"),
      }).apply(h) as Symbolic;
    }
    padding = "valid";
  }
  return tf.layers.conv2d({
    filters,
    kernelSize: kernel,
    strides: stride,
    padding,
    kernelInitializer: initializer("xavier_uniform", naming.seed()),
    name: naming.name("conv"),
  }).apply(h) as Symbolic;
}

/**
 * `_resnet_legacy`: Ludwig's own ResNet, global average pooling, then the FC stack.
 *
 * @param input `[batch, height, width, channels]`.
 * @param opts The resolved config.
 * @param naming Layer names and seeds.
 * @returns `[batch, output_size]`.
 */
export function resnetLegacy(
  input: Symbolic,
  opts: ResnetLegacyOptions,
  naming: ImageEncoderNaming,
): Symbolic {
  imageShape(input, "_resnet_legacy");
  const blocks = RESNET_BLOCKS[opts.resnet_size];
  if (blocks === undefined) {
    throw new RangeError(
      `Cannot build the _resnet_legacy encoder: resnet_size ${opts.resnet_size} is not one of ${
        Object.keys(RESNET_BLOCKS).join(", ")
      }`,
    );
  }
  const bottleneck = opts.resnet_size >= 50;
  const bn = (x: Symbolic) =>
    tf.layers.batchNormalization({
      epsilon: opts.batch_norm_epsilon,
      momentum: 1 - opts.batch_norm_momentum,
      name: naming.name("batch_norm"),
    }).apply(x) as Symbolic;
  const relu = (x: Symbolic) => tf.layers.reLU({ name: naming.name("relu") }).apply(x) as Symbolic;
  let h = fixedConv(
    input,
    opts.out_channels,
    pair(opts.kernel_size),
    pair(opts.conv_stride),
    naming,
  );
  h = relu(bn(h));
  if (opts.first_pool_kernel_size !== null) {
    const size = pair(opts.first_pool_kernel_size);
    h = pad(h, [1, 1], "constant", LOWEST, naming);
    h = tf.layers.maxPooling2d({
      poolSize: size,
      strides: pair(opts.first_pool_stride ?? opts.first_pool_kernel_size),
      padding: "valid",
      name: naming.name("max_pool"),
    }).apply(h) as Symbolic;
  }
  let filters = opts.out_channels;
  blocks.forEach((count, stage) => {
    const stageStride: [number, number] = stage === 0 ? [1, 1] : [2, 2];
    for (let b = 0; b < count; b++) {
      const stride: [number, number] = b === 0 ? stageStride : [1, 1];
      const outChannels = bottleneck ? 4 * filters : filters;
      const inChannels = h.shape[3] as number;
      const shortcut = b === 0 || inChannels !== outChannels
        ? fixedConv(h, outChannels, [1, 1], stride, naming)
        : h;
      let y: Symbolic;
      if (bottleneck) {
        y = relu(bn(fixedConv(h, filters, [1, 1], [1, 1], naming)));
        y = relu(bn(fixedConv(y, filters, [3, 3], stride, naming)));
        y = bn(fixedConv(y, outChannels, [1, 1], [1, 1], naming));
      } else {
        y = relu(bn(fixedConv(h, filters, [3, 3], stride, naming)));
        y = bn(fixedConv(y, filters, [3, 3], [1, 1], naming));
      }
      h = relu(tf.layers.add({ name: naming.name("residual") }).apply([y, shortcut]) as Symbolic);
    }
    filters *= 2;
  });
  h = tf.layers.globalAveragePooling2d({ name: naming.name("global_avg_pool") }).apply(
    h,
  ) as Symbolic;
  return fcStack(h, {
    layers: opts.fc_layers as Obj[] | null,
    numLayers: opts.num_fc_layers,
    outputSize: opts.output_size,
    useBias: opts.use_bias,
    weightsInitializer: opts.weights_initializer,
    biasInitializer: opts.bias_initializer,
    norm: opts.norm,
    normParams: opts.norm_params,
    activation: opts.activation,
    dropout: opts.dropout,
  }, naming);
}

function patchTokens(
  input: Symbolic,
  patch: number,
  size: number,
  encoder: string,
  naming: ImageEncoderNaming,
  init: ReturnType<typeof initializer>,
): Symbolic {
  const [height, width] = imageShape(input, encoder);
  if (height % patch !== 0 || width % patch !== 0) {
    throw new RangeError(
      `Cannot build the ${encoder} encoder: patch_size ${patch} must divide the image height (${height}) and width (${width})`,
    );
  }
  const n = (height / patch) * (width / patch);
  const conv = tf.layers.conv2d({
    filters: size,
    kernelSize: patch,
    strides: patch,
    padding: "valid",
    kernelInitializer: init,
    name: naming.name("patch_embedding"),
  }).apply(input) as Symbolic;
  return tf.layers.reshape({ targetShape: [n, size], name: naming.name("patches") }).apply(
    conv,
  ) as Symbolic;
}

function mlp(
  x: Symbolic,
  hidden: number,
  out: number,
  rate: number,
  naming: ImageEncoderNaming,
): Symbolic {
  let h = tf.layers.dense({
    units: hidden,
    kernelInitializer: initializer("xavier_uniform", naming.seed()),
    name: naming.name("mlp_in"),
  }).apply(x) as Symbolic;
  h = tf.layers.activation({ activation: "gelu", name: naming.name("gelu") }).apply(h) as Symbolic;
  h = dropout(h, rate, naming);
  h = tf.layers.dense({
    units: out,
    kernelInitializer: initializer("xavier_uniform", naming.seed()),
    name: naming.name("mlp_out"),
  }).apply(h) as Symbolic;
  return dropout(h, rate, naming);
}

/**
 * `mlp_mixer`: patch embedding, `num_layers` mixer blocks (token mixing across patches, channel
 * mixing across features, each pre-layer-norm with a residual), final layer norm, mean over
 * patches when `avg_pool`.
 *
 * @param input `[batch, height, width, channels]`.
 * @param opts The resolved config.
 * @param naming Layer names and seeds.
 * @returns `[batch, embed_size]`, or `[batch, patches, embed_size]` without `avg_pool`.
 */
export function mlpMixer(
  input: Symbolic,
  opts: MlpMixerOptions,
  naming: ImageEncoderNaming,
): Symbolic {
  let h = patchTokens(
    input,
    opts.patch_size,
    opts.embed_size,
    "mlp_mixer",
    naming,
    initializer("xavier_uniform", naming.seed()),
  );
  const n = h.shape[1] as number;
  const ln = (x: Symbolic) =>
    tf.layers.layerNormalization({ epsilon: 1e-5, name: naming.name("layer_norm") }).apply(
      x,
    ) as Symbolic;
  for (let i = 0; i < opts.num_layers; i++) {
    let t = tf.layers.permute({ dims: [2, 1], name: naming.name("to_tokens") }).apply(
      ln(h),
    ) as Symbolic;
    t = mlp(t, opts.token_size, n, opts.dropout, naming);
    t = tf.layers.permute({ dims: [2, 1], name: naming.name("from_tokens") }).apply(t) as Symbolic;
    h = tf.layers.add({ name: naming.name("token_residual") }).apply([h, t]) as Symbolic;
    const c = mlp(ln(h), opts.channel_dim, opts.embed_size, opts.dropout, naming);
    h = tf.layers.add({ name: naming.name("channel_residual") }).apply([h, c]) as Symbolic;
  }
  h = ln(h);
  if (!opts.avg_pool) return h;
  return tf.layers.globalAveragePooling1d({ name: naming.name("avg_pool") }).apply(h) as Symbolic;
}

/** Prepends a learned class token and adds learned position embeddings: [b, n, d] → [b, n+1, d]. */
export class VitEmbeddings extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataVitEmbeddings";
  /** Standard deviation of the truncated normal initializer. */
  readonly stddev: number;
  /** Initializer (and dropout) seed. */
  readonly seed: number;
  #cls?: tf.LayerVariable;
  #positions?: tf.LayerVariable;

  /**
   * Creates the layer.
   *
   * @param args Initializer standard deviation and seed.
   */
  constructor(args: { stddev: number; seed: number; name?: string }) {
    super(args);
    this.stddev = args.stddev;
    this.seed = args.seed;
  }

  /** See `tf.layers.Layer`. */
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const n = s[1] as number;
    const d = s[2] as number;
    const init = (seed: number) => tf.initializers.truncatedNormal({ stddev: this.stddev, seed });
    this.#cls = this.addWeight("cls_token", [1, 1, d], "float32", init(this.seed));
    this.#positions = this.addWeight(
      "position_embeddings",
      [1, n + 1, d],
      "float32",
      init(this.seed + 1),
    );
    this.built = true;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], (s[1] as number) + 1, s[2]];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const cls = tf.tile(this.#cls!.read(), [x.shape[0], 1, 1]);
      return tf.add(tf.concat([cls, x], 1), this.#positions!.read());
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stddev: this.stddev, seed: this.seed };
  }
}
tf.serialization.registerClass(VitEmbeddings);

/** Multi-head self-attention with dropout on the attention probabilities (seeded per call). */
export class VitSelfAttention extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataVitSelfAttention";
  /** Attention heads. */
  readonly numHeads: number;
  /** Dropout rate of the attention probabilities. */
  readonly rate: number;
  /** Standard deviation of the truncated normal initializer. */
  readonly stddev: number;
  /** Initializer (and dropout) seed. */
  readonly seed: number;
  #w: tf.LayerVariable[] = [];
  #calls = 0;

  /**
   * Creates the layer.
   *
   * @param args Heads, attention dropout, initializer standard deviation and seed.
   */
  constructor(
    args: { numHeads: number; rate: number; stddev: number; seed: number; name?: string },
  ) {
    super(args);
    this.numHeads = args.numHeads;
    this.rate = args.rate;
    this.stddev = args.stddev;
    this.seed = args.seed;
  }

  /** See `tf.layers.Layer`. */
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const d = s[2] as number;
    const init = (k: number) =>
      tf.initializers.truncatedNormal({ stddev: this.stddev, seed: this.seed + k });
    const zeros = tf.initializers.zeros();
    this.#w = [];
    for (const [k, part] of ["query", "key", "value", "output"].entries()) {
      this.#w.push(this.addWeight(`${part}_kernel`, [d, d], "float32", init(k)));
      this.#w.push(this.addWeight(`${part}_bias`, [d], "float32", zeros));
    }
    this.built = true;
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Obj): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [b, n, d] = x.shape;
      const heads = this.numHeads;
      const dh = d / heads;
      const flat = tf.reshape(x, [b * n, d]);
      const project = (i: number) =>
        tf.transpose(
          tf.reshape(tf.add(tf.matMul(flat, this.#w[2 * i].read()), this.#w[2 * i + 1].read()), [
            b,
            n,
            heads,
            dh,
          ]),
          [0, 2, 1, 3],
        );
      const q = project(0);
      const k = project(1);
      const v = project(2);
      let probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)));
      if (kwargs.training && this.rate > 0) {
        this.#calls = (this.#calls + 1) % 1_000_003;
        const keep = tf.greaterEqual(
          tf.randomUniform(probs.shape, 0, 1, "float32", this.seed * 7919 + this.#calls),
          this.rate,
        );
        probs = tf.mul(probs, tf.mul(tf.cast(keep, "float32"), 1 / (1 - this.rate)));
      }
      const context = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [b * n, d]);
      const out = tf.add(tf.matMul(context, this.#w[6].read()), this.#w[7].read());
      return tf.reshape(out, [b, n, d]);
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      rate: this.rate,
      stddev: this.stddev,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(VitSelfAttention);

/** The first token of a sequence: [b, n, d] → [b, d]. */
export class FirstToken extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataFirstToken";

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], s[2]];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      return tf.reshape(tf.slice(x, [0, 0, 0], [x.shape[0], 1, x.shape[2]]), [
        x.shape[0],
        x.shape[2],
      ]);
    });
  }
}
tf.serialization.registerClass(FirstToken);

/**
 * `_vit_legacy`: Ludwig's own ViT (Hugging Face's layout), trained from scratch.
 *
 * @param input `[batch, height, width, channels]`.
 * @param opts The resolved config.
 * @param naming Layer names and seeds.
 * @returns `[batch, hidden_size]` (the pooled class token).
 */
export function vitLegacy(
  input: Symbolic,
  opts: VitLegacyOptions,
  naming: ImageEncoderNaming,
): Symbolic {
  if (opts.use_pretrained) {
    throw new RangeError(
      "Cannot build the _vit_legacy encoder: pretrained ViT weights cannot be loaded: set use_pretrained to false",
    );
  }
  if (opts.hidden_size % opts.num_attention_heads !== 0) {
    throw new RangeError(
      `Cannot build the _vit_legacy encoder: hidden_size (${opts.hidden_size}) must be divisible by num_attention_heads (${opts.num_attention_heads})`,
    );
  }
  const created: tf.layers.Layer[] = [];
  const track = <L extends tf.layers.Layer>(layer: L): L => {
    created.push(layer);
    return layer;
  };
  const std = opts.initializer_range;
  const dense = (units: number, what: string) =>
    track(tf.layers.dense({
      units,
      kernelInitializer: tf.initializers.truncatedNormal({ stddev: std, seed: naming.seed() }),
      name: naming.name(what),
    }));
  const ln = (x: Symbolic) =>
    track(
      tf.layers.layerNormalization({
        epsilon: opts.layer_norm_eps,
        name: naming.name("layer_norm"),
      }),
    )
      .apply(x) as Symbolic;
  const drop = (x: Symbolic, rate: number) => {
    if (!(rate > 0)) return x;
    return track(new SeededDropout({ rate, name: naming.name("dropout") })).apply(x) as Symbolic;
  };
  const act = opts.hidden_act;
  const [height, width] = imageShape(input, "_vit_legacy");
  const patch = opts.patch_size;
  if (height % patch !== 0 || width % patch !== 0) {
    throw new RangeError(
      `Cannot build the _vit_legacy encoder: patch_size ${patch} must divide the image height (${height}) and width (${width})`,
    );
  }
  const n = (height / patch) * (width / patch);
  const conv = track(tf.layers.conv2d({
    filters: opts.hidden_size,
    kernelSize: patch,
    strides: patch,
    padding: "valid",
    kernelInitializer: tf.initializers.truncatedNormal({ stddev: std, seed: naming.seed() }),
    name: naming.name("patch_embedding"),
  })).apply(input) as Symbolic;
  let h = track(
    tf.layers.reshape({ targetShape: [n, opts.hidden_size], name: naming.name("patches") }),
  )
    .apply(conv) as Symbolic;
  h = track(
    new VitEmbeddings({ stddev: std, seed: naming.seed(), name: naming.name("embeddings") }),
  )
    .apply(h) as Symbolic;
  h = drop(h, opts.hidden_dropout_prob);
  for (let i = 0; i < opts.num_hidden_layers; i++) {
    let a = track(
      new VitSelfAttention({
        numHeads: opts.num_attention_heads,
        rate: opts.attention_probs_dropout_prob,
        stddev: std,
        seed: naming.seed(),
        name: naming.name("self_attention"),
      }),
    ).apply(ln(h)) as Symbolic;
    a = drop(a, opts.hidden_dropout_prob);
    h = track(tf.layers.add({ name: naming.name("attention_residual") })).apply([h, a]) as Symbolic;
    let f = dense(opts.intermediate_size, "intermediate").apply(ln(h)) as Symbolic;
    f = track(tf.layers.activation({
      activation: act === "gelu_new" ? "gelu_new" : act,
      name: naming.name(act),
    })).apply(f) as Symbolic;
    f = dense(opts.hidden_size, "output").apply(f) as Symbolic;
    f = drop(f, opts.hidden_dropout_prob);
    h = track(tf.layers.add({ name: naming.name("ffn_residual") })).apply([h, f]) as Symbolic;
  }
  h = ln(h);
  const cls = track(new FirstToken({ name: naming.name("class_token") })).apply(h) as Symbolic;
  const pooled = track(tf.layers.dense({
    units: opts.hidden_size,
    activation: "tanh",
    kernelInitializer: tf.initializers.truncatedNormal({ stddev: std, seed: naming.seed() }),
    name: naming.name("pooler"),
  })).apply(cls) as Symbolic;
  if (!opts.trainable) { for (const layer of created) layer.trainable = false; }
  return pooled;
}
