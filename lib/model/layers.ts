/**
 * Building blocks shared by component implementations: initializers by Ludwig name,
 * activations, a seeded dropout, normalization layers and the fully connected stack
 * (Ludwig's `FCStack`: per layer Linear → norm → activation → dropout, with per-layer overrides
 * and optional residual connections).
 *
 * @module
 */
import { fastDense, tf } from "../compute/mod.ts";
import {
  booleanField,
  type BuildContext,
  layerName,
  nextSeed,
  numberField,
  objectsField,
  stringField,
  type Symbolic,
} from "./component.ts";

type Obj = Record<string, unknown>;

/** A tf initializer for a Ludwig initializer name or `{type, ...params}`. */
export function initializer(
  spec: unknown,
  seed: number,
): ReturnType<typeof tf.initializers.zeros> {
  const params: Obj = typeof spec === "object" && spec !== null ? { ...spec } : {};
  const type = typeof spec === "string" ? spec : stringField(params, "type");
  switch (type ?? "xavier_uniform") {
    case "uniform":
      return tf.initializers.randomUniform({
        minval: (params.a as number) ?? 0,
        maxval: (params.b as number) ?? 1,
        seed,
      });
    case "normal":
      return tf.initializers.randomNormal({
        mean: (params.mean as number) ?? 0,
        stddev: (params.std as number) ?? 1,
        seed,
      });
    case "constant":
      return tf.initializers.constant({
        value: (params.val as number) ?? (params.value as number) ?? 0,
      });
    case "ones":
      return tf.initializers.ones();
    case "zeros":
      return tf.initializers.zeros();
    case "eye":
    case "identity":
    case "dirac":
      return tf.initializers.identity({ gain: (params.gain as number) ?? 1 });
    case "xavier_uniform":
      return tf.initializers.glorotUniform({ seed });
    case "xavier_normal":
      return tf.initializers.glorotNormal({ seed });
    case "kaiming_uniform":
      return tf.initializers.heUniform({ seed });
    case "kaiming_normal":
      return tf.initializers.heNormal({ seed });
    case "orthogonal":
      return tf.initializers.orthogonal({ gain: (params.gain as number) ?? 1, seed });
    case "sparse":
      // torch.nn.init.sparse_ zeroes a fraction of each column and draws the rest from
      // N(0, std); a truncated normal with std 0.01 is the closest built-in TF.js offers that
      // serializes in the layers format.
      return tf.initializers.truncatedNormal({ stddev: (params.std as number) ?? 0.01, seed });
    default:
      throw new TypeError(`Unknown initializer ${JSON.stringify(type)}`);
  }
}

/** TF.js activation identifier for a Ludwig activation name (null: linear). */
export function activationName(name: unknown): string {
  switch (name) {
    case null:
    case undefined:
    case "linear":
      return "linear";
    case "relu":
    case "elu":
    case "sigmoid":
    case "tanh":
    case "softmax":
      return name;
    case "leakyRelu":
      return "leakyrelu"; // handled by a separate layer below
    case "logSigmoid":
      return "logsigmoid";
    case "gelu":
      return "gelu";
    default:
      throw new TypeError(`Unknown activation ${JSON.stringify(name)}`);
  }
}

/** Apply a Ludwig activation as a layer (keeps the model serializable). */
export function applyActivation(x: Symbolic, name: unknown, ctx: BuildContext): Symbolic {
  const id = activationName(name);
  if (id === "linear") return x;
  if (id === "leakyrelu") {
    return tf.layers.leakyReLU({ alpha: 0.01, name: layerName(ctx, "leaky_relu") }).apply(
      x,
    ) as Symbolic;
  }
  if (id === "logsigmoid" || id === "gelu") {
    return new ElementwiseActivation({ fn: id, name: layerName(ctx, id) }).apply(x) as Symbolic;
  }
  return tf.layers.activation({
    activation: id as "relu",
    name: layerName(ctx, id),
  }).apply(x) as Symbolic;
}

/** log-sigmoid and GELU (tanh approximation), which TF.js layers lacks. */
export class ElementwiseActivation extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataElementwiseActivation";
  readonly #fn: "logsigmoid" | "gelu";

  /** @param args `fn`: logsigmoid or gelu. */
  constructor(args: { fn: "logsigmoid" | "gelu"; name?: string }) {
    super(args);
    this.#fn = args.fn;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (this.#fn === "logsigmoid") return tf.logSigmoid(x);
      // 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), fn: this.#fn };
  }
}
tf.serialization.registerClass(ElementwiseActivation);

let dropoutCounter = 0;

/** Restart dropout masks' seeds (start of training), so a seeded run repeats exactly. */
export function resetDropoutSeeds(seed: number): void {
  dropoutCounter = seed * 7919;
}

/**
 * Dropout whose masks come from a seeded sequence: the same random seed gives the same masks
 * in the same order (TF.js's dropout with a fixed seed repeats one mask forever).
 */
export class SeededDropout extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataDropout";
  readonly rate: number;

  /** @param args `rate` in [0, 1). */
  constructor(args: { rate: number; name?: string }) {
    super(args);
    this.rate = args.rate;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Obj): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return tf.clone(x);
    return tf.tidy(() => {
      dropoutCounter = (dropoutCounter + 1) % 2_147_483_647;
      const keep = tf.greaterEqual(
        tf.randomUniform(x.shape, 0, 1, "float32", dropoutCounter),
        this.rate,
      );
      return tf.mul(x, tf.mul(tf.cast(keep, "float32"), 1 / (1 - this.rate)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(SeededDropout);

/** Apply dropout when `rate` > 0. */
export function applyDropout(x: Symbolic, rate: unknown, ctx: BuildContext): Symbolic {
  const r = typeof rate === "number" ? rate : 0;
  if (r <= 0) return x;
  return new SeededDropout({ rate: r, name: layerName(ctx, "dropout") }).apply(x) as Symbolic;
}

/** Apply a normalization layer: batch, layer or ghost (virtual batch) norm. */
export function applyNorm(
  x: Symbolic,
  norm: unknown,
  params: unknown,
  ctx: BuildContext,
): Symbolic {
  if (norm === null || norm === undefined) return x;
  const p = (params ?? {}) as Obj;
  const epsilon = (p.epsilon as number) ?? (p.eps as number) ?? (norm === "layer" ? 1e-5 : 1e-3);
  if (norm === "layer") {
    return tf.layers.layerNormalization({ epsilon, name: layerName(ctx, "layer_norm") }).apply(
      x,
    ) as Symbolic;
  }
  // PyTorch momentum m updates running = (1 - m) running + m batch; Keras's is the complement.
  const momentum = 1 - ((p.momentum as number) ?? (norm === "ghost" ? 0.05 : 0.1));
  if (norm === "batch") {
    return tf.layers.batchNormalization({ epsilon, momentum, name: layerName(ctx, "batch_norm") })
      .apply(x) as Symbolic;
  }
  if (norm === "ghost") {
    return new GhostBatchNorm({
      virtualBatchSize: (p.virtual_batch_size as number) ?? 128,
      epsilon,
      momentum,
      name: layerName(ctx, "ghost_norm"),
    }).apply(x) as Symbolic;
  }
  throw new TypeError(`Unknown norm ${JSON.stringify(norm)}`);
}

/**
 * Ghost batch normalization (Hoffer et al. 2017): in training, the batch is split into chunks
 * of `virtualBatchSize` rows, each normalized with its own statistics (a chunk of one row passes
 * through unnormalized); running statistics are updated from the chunk means. In inference the
 * running statistics are used, as in batch norm.
 */
export class GhostBatchNorm extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataGhostBatchNorm";
  readonly virtualBatchSize: number;
  readonly epsilon: number;
  readonly momentum: number;
  #gamma?: tf.LayerVariable;
  #beta?: tf.LayerVariable;
  #movingMean?: tf.LayerVariable;
  #movingVar?: tf.LayerVariable;

  /** @param args chunk size, epsilon and Keras-style momentum (weight of the old statistics). */
  constructor(
    args: { virtualBatchSize: number; epsilon: number; momentum: number; name?: string },
  ) {
    super(args);
    this.virtualBatchSize = args.virtualBatchSize;
    this.epsilon = args.epsilon;
    this.momentum = args.momentum;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const c = shape[shape.length - 1] as number;
    this.#gamma = this.addWeight("gamma", [c], "float32", tf.initializers.ones());
    this.#beta = this.addWeight("beta", [c], "float32", tf.initializers.zeros());
    this.#movingMean = this.addWeight(
      "moving_mean",
      [c],
      "float32",
      tf.initializers.zeros(),
      undefined,
      false,
    );
    this.#movingVar = this.addWeight(
      "moving_variance",
      [c],
      "float32",
      tf.initializers.ones(),
      undefined,
      false,
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Obj): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
    const gamma = this.#gamma!.read();
    const beta = this.#beta!.read();
    if (!kwargs.training) {
      return tf.tidy(() =>
        tf.batchNorm(
          x,
          this.#movingMean!.read(),
          this.#movingVar!.read(),
          beta,
          gamma,
          this.epsilon,
        )
      );
    }
    const b = x.shape[0];
    const chunks = Math.max(1, Math.ceil(b / this.virtualBatchSize));
    const size = Math.ceil(b / chunks);
    const outs: tf.Tensor[] = [];
    const means: tf.Tensor[] = [];
    const vars: tf.Tensor[] = [];
    for (let start = 0; start < b; start += size) {
      const n = Math.min(size, b - start);
      const part = tf.slice(x, [start, 0], [n, -1]);
      if (n === 1) {
        outs.push(part);
        continue;
      }
      const { mean, variance } = tf.moments(part, 0);
      means.push(mean);
      vars.push(variance);
      outs.push(tf.batchNorm(part, mean, variance, beta, gamma, this.epsilon));
    }
    if (means.length) {
      tf.tidy(() => {
        const mean = tf.addN(means).div(means.length);
        const variance = tf.addN(vars).div(vars.length);
        const m = this.momentum;
        this.#movingMean!.write(tf.add(tf.mul(this.#movingMean!.read(), m), tf.mul(mean, 1 - m)));
        this.#movingVar!.write(tf.add(tf.mul(this.#movingVar!.read(), m), tf.mul(variance, 1 - m)));
      });
    }
    return outs.length === 1 ? outs[0] : tf.concat(outs, 0);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      virtualBatchSize: this.virtualBatchSize,
      epsilon: this.epsilon,
      momentum: this.momentum,
    };
  }
}
tf.serialization.registerClass(GhostBatchNorm);

/** One dense layer with its own overrides. */
function denseLayer(x: Symbolic, layer: Obj, ctx: BuildContext): Symbolic {
  // Without a norm in between, a relu goes into the dense layer itself (the same function),
  // which trains as one fused kernel on the native engine.
  const fold = (layer.norm === null || layer.norm === undefined) &&
    activationName(layer.activation) === "relu";
  let y = fastDense({
    units: layer.output_size as number,
    useBias: layer.use_bias as boolean,
    activation: fold ? "relu" : undefined,
    kernelInitializer: initializer(layer.weights_initializer, nextSeed(ctx)),
    biasInitializer: initializer(layer.bias_initializer, nextSeed(ctx)),
    name: layerName(ctx, "dense"),
  }).apply(x) as Symbolic;
  if (!fold) {
    y = applyNorm(y, layer.norm, layer.norm_params, ctx);
    y = applyActivation(y, layer.activation, ctx);
  }
  return applyDropout(y, layer.dropout, ctx);
}

/** Stack-level settings of a fully connected stack (Ludwig's names). */
export interface FcStackSpec {
  /** Per-layer overrides (wins over num_layers). */
  layers?: readonly Obj[] | null;
  /** Number of identical layers when `layers` is absent. */
  numLayers?: number | null;
  outputSize?: number;
  useBias?: boolean;
  weightsInitializer?: unknown;
  biasInitializer?: unknown;
  norm?: unknown;
  normParams?: unknown;
  activation?: unknown;
  dropout?: number;
  /** Skip connections where input and output sizes match. */
  residual?: boolean;
}

/**
 * The stack-level settings from a config: `fc_layers` and `num_fc_layers` always have those
 * names; the other keys are plain in encoders and combiners (`output_size`, `activation` ...) and
 * prefixed in decoders (`fc_output_size`, `fc_activation` ...): pass `prefix: "fc_"` there.
 */
export function fcSpec(config: Obj, prefix = ""): FcStackSpec {
  const key = (k: string) => config[`${prefix}${k}`];
  return {
    layers: objectsField(config, "fc_layers") ?? null,
    numLayers: numberField(config, "num_fc_layers") ?? 0,
    outputSize: numberField(config, `${prefix}output_size`) ?? 256,
    useBias: booleanField(config, `${prefix}use_bias`) ?? true,
    weightsInitializer: key("weights_initializer") ?? "xavier_uniform",
    biasInitializer: key("bias_initializer") ?? "zeros",
    norm: key("norm") ?? null,
    normParams: key("norm_params") ?? null,
    activation: key("activation") === undefined ? "relu" : key("activation"),
    dropout: numberField(config, `${prefix}dropout`) ?? 0,
    residual: booleanField(config, `${prefix}residual`) ?? false,
  };
}

/** Apply a fully connected stack. With zero layers the input passes through. */
export function fcStack(x: Symbolic, spec: FcStackSpec, ctx: BuildContext): Symbolic {
  const defaults: Obj = {
    output_size: spec.outputSize ?? 256,
    use_bias: spec.useBias ?? true,
    weights_initializer: spec.weightsInitializer ?? "xavier_uniform",
    bias_initializer: spec.biasInitializer ?? "zeros",
    norm: spec.norm ?? null,
    norm_params: spec.normParams ?? null,
    activation: spec.activation === undefined ? "relu" : spec.activation,
    dropout: spec.dropout ?? 0,
  };
  const layers = spec.layers && spec.layers.length
    ? spec.layers.map((l) => ({
      ...defaults,
      ...Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)),
    }))
    : Array.from({ length: spec.numLayers ?? 0 }, () => defaults);
  let h = x;
  for (const layer of layers) {
    const y = denseLayer(h, layer, ctx);
    const inSize = h.shape[h.shape.length - 1];
    h = spec.residual && inSize === y.shape[y.shape.length - 1]
      ? tf.layers.add({ name: layerName(ctx, "residual") }).apply([h, y]) as Symbolic
      : y;
  }
  return h;
}

/** TF.js identifier of a recurrent activation name (Ludwig's `hard_sigmoid` is `hardSigmoid`). */
export function recurrentActivationName(
  name: "sigmoid" | "tanh" | "relu" | "hard_sigmoid",
): "sigmoid" | "tanh" | "relu" | "hardSigmoid" {
  return name === "hard_sigmoid" ? "hardSigmoid" : name;
}
