/**
 * `tabnet` combiner: TabNet (Arik & Pfister 2019, https://arxiv.org/abs/1908.07442) over the
 * flattened, concatenated encoder outputs [batch, D] → [batch, output_size].
 *
 * Following Ludwig's `TabNet` (`ludwig/modules/tabnet_modules.py`):
 * 1. batch norm of the input features;
 * 2. a feature transformer (FT) per step plus one initial FT: `num_total_blocks` blocks of
 *    dense (no bias) → ghost batch norm → GLU, each block after the first with the skip
 *    (block(h) + h)·√½; the dense layers of the first `num_shared_blocks` blocks are shared by all
 *    FTs, the rest are step-dependent; each FT outputs `size + output_size` units;
 * 3. per step: the attentive transformer maps the last `size` units of the previous FT output
 *    through dense → ghost batch norm, multiplies by the prior scales and normalizes with
 *    `entmax_mode` (sparsemax, entmax15, α-entmax with `entmax_alpha` by bisection, or a learned
 *    α); the prior scales become prior·(relaxation_factor − mask); the step's FT runs on
 *    mask ⊙ features, and relu of its first `output_size` units is added to the output;
 * 4. a final dense projection of the summed step outputs, then `dropout`.
 *
 * The sparsity regularization, `sparsity` × (Σ_steps mean_batch Σ_features −m·log(m + 1e-5)) /
 * num_steps, is registered with `Layer.addLoss` on the last layer ({@linkcode TabNetSparsityLoss}):
 * after a training-mode forward pass, `model.calculateLosses()` returns it (so `model.fit` adds it
 * to the loss; a custom loop adds the sum of `model.calculateLosses()` inside its gradient
 * function).
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import {
  type BuildContext,
  type CombinerBuildOf,
  type CombinerInput,
  type ConfigOf,
  immediate,
  layerName,
  nextSeed,
  type Symbolic,
} from "../model/component.ts";
import { applyDropout, GhostBatchNorm, initializer } from "../model/layers.ts";
import { entmax15, entmaxBisect, sparsemax } from "../model/_sparsemax.ts";
import { flattenAndConcat } from "./_common.ts";
import type * as entries from "./mod.ts";

type Config = ConfigOf<typeof entries.tabnet>;

type Obj = Record<string, unknown>;

/** Attention normalizations of the attentive transformer. */
export type EntmaxMode = "sparsemax" | "entmax15" | "constant" | "adaptive";

/** Smallest α used by the bisection entmax (α = 1 divides by zero; it is softmax). */
export const MIN_ALPHA = 1.01;

/** GLU on the last axis: first half ⊙ sigmoid(second half). */
export class Glu extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataGlu";

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [...s.slice(0, -1), (s[s.length - 1] as number) / 2];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [a, b] = tf.split(x, 2, x.rank - 1);
      return tf.mul(a, tf.sigmoid(b));
    });
  }
}
tf.serialization.registerClass(Glu);

/** TabNet's residual between feature blocks: (a + b)·√½. */
export class ScaledSum extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataScaledSum";

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [a, b] = inputs as tf.Tensor[];
    return tf.tidy(() => tf.mul(tf.add(a, b), Math.SQRT1_2));
  }
}
tf.serialization.registerClass(ScaledSum);

/** Columns [begin, begin + size) of a [batch, n] tensor, optionally through relu. */
export class TabNetSlice extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTabNetSlice";
  readonly begin: number;
  readonly size: number;
  readonly relu: boolean;

  /** @param args first column, number of columns, whether to apply relu. */
  constructor(args: { begin: number; size: number; relu?: boolean; name?: string }) {
    super(args);
    this.begin = args.begin;
    this.size = args.size;
    this.relu = args.relu ?? false;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape)[0], this.size];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const part = tf.slice(x, [0, this.begin], [-1, this.size]);
      return this.relu ? tf.relu(part) : part;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), begin: this.begin, size: this.size, relu: this.relu };
  }
}
tf.serialization.registerClass(TabNetSlice);

/**
 * The attentive transformer's normalization: inputs [scores] or [scores, prior scales]; output
 * the mask entmax(scores ⊙ prior). In `adaptive` mode α is a trainable scalar, used clipped to
 * [{@linkcode MIN_ALPHA}, 2].
 */
export class EntmaxAttention extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataEntmaxAttention";
  readonly mode: EntmaxMode;
  readonly alpha: number;
  #alpha?: tf.LayerVariable;

  /** @param args the mode and (constant, or initial adaptive) α. */
  constructor(args: { mode: EntmaxMode; alpha: number; name?: string }) {
    super(args);
    this.mode = args.mode;
    this.alpha = args.alpha;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    if (this.mode === "adaptive") {
      this.#alpha = this.addWeight(
        "alpha",
        [],
        "float32",
        tf.initializers.constant({ value: clipAlpha(this.alpha) }),
      );
    }
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return Array.isArray(inputShape[0]) ? inputShape[0] as tf.Shape : inputShape as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => {
      const scores = list.length > 1 ? tf.mul(list[0], list[1]) : list[0];
      switch (this.mode) {
        case "sparsemax":
          return sparsemax(scores);
        case "entmax15":
          return entmax15(scores);
        case "constant":
          return this.alpha <= 1
            ? tf.softmax(scores)
            : entmaxBisect(scores, tf.scalar(clipAlpha(this.alpha)));
        case "adaptive":
          return entmaxBisect(scores, tf.clipByValue(this.#alpha!.read(), MIN_ALPHA, 2));
      }
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, alpha: this.alpha };
  }
}
tf.serialization.registerClass(EntmaxAttention);

function clipAlpha(alpha: number): number {
  return Math.min(2, Math.max(MIN_ALPHA, alpha));
}

/** Prior scales update: [mask] → γ − mask (the prior starts at 1); [prior, mask] → prior·(γ − mask). */
export class PriorUpdate extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTabNetPrior";
  readonly relaxationFactor: number;

  /** @param args the relaxation factor γ. */
  constructor(args: { relaxationFactor: number; name?: string }) {
    super(args);
    this.relaxationFactor = args.relaxationFactor;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return Array.isArray(inputShape[0]) ? inputShape[0] as tf.Shape : inputShape as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => {
      const mask = list[list.length - 1];
      const relaxed = tf.sub(this.relaxationFactor, mask);
      return list.length > 1 ? tf.mul(list[0], relaxed) : relaxed;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), relaxationFactor: this.relaxationFactor };
  }
}
tf.serialization.registerClass(PriorUpdate);

/**
 * Passes its first input through and registers TabNet's sparsity loss, computed from the other
 * inputs (the step masks), with `addLoss`. The loss of the latest training-mode forward pass is
 * what `calculateLosses()` returns (zero after an inference pass); it is kept alive until the next
 * forward pass or until the layer is disposed, so it can be read after `model.apply()`.
 */
export class TabNetSparsityLoss extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTabNetSparsityLoss";
  readonly sparsity: number;
  #loss: tf.Scalar | null = null;

  /** @param args the weight of the loss. */
  constructor(args: { sparsity: number; name?: string }) {
    super(args);
    this.sparsity = args.sparsity;
    this.addLoss(() => this.#loss ?? tf.scalar(0));
  }

  /** The latest sparsity loss (null before a training-mode forward pass). */
  get lastLoss(): tf.Scalar | null {
    return this.#loss && !this.#loss.isDisposed ? this.#loss : null;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Obj): tf.Tensor {
    const [out, ...masks] = inputs as tf.Tensor[];
    this.#loss?.dispose();
    this.#loss = null;
    if (kwargs.training && masks.length) {
      const loss = tf.tidy(() => {
        const entropies = masks.map((m) =>
          tf.mean(tf.sum(tf.mul(tf.neg(m), tf.log(tf.add(m, 1e-5))), -1))
        );
        const total = entropies.length === 1 ? entropies[0] : tf.addN(entropies);
        return tf.mul(total, this.sparsity / masks.length) as tf.Scalar;
      });
      this.#loss = tf.keep(loss);
    }
    return tf.clone(out);
  }

  protected override disposeWeights(): number {
    this.#loss?.dispose();
    this.#loss = null;
    return super.disposeWeights();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), sparsity: this.sparsity };
  }
}
tf.serialization.registerClass(TabNetSparsityLoss);

type DenseArgs = Parameters<typeof tf.layers.dense>[0];
/** TF.js's Dense class (the package exports only its factory). */
const DenseLayer = tf.layers.dense({ units: 1 }).constructor as
  & (new (
    args: DenseArgs,
  ) => ReturnType<typeof tf.layers.dense>)
  & { fromConfig: typeof tf.layers.Layer.fromConfig };

/**
 * A dense layer applied by several feature transformers (TabNet's shared blocks). TF.js counts
 * each application as a reference and a model's `dispose()` releases one, so this layer releases
 * them all: disposing the model frees its weights.
 */
export class SharedDense extends DenseLayer {
  /** Serialization name. */
  static className = "SonataSharedDense";

  override dispose(): ReturnType<tf.layers.Layer["dispose"]> {
    let result = super.dispose();
    while (result.refCountAfterDispose > 0) result = super.dispose();
    return result;
  }
}
tf.serialization.registerClass(SharedDense);

interface TabNetSettings {
  size: number;
  outputSize: number;
  numSteps: number;
  numTotalBlocks: number;
  numSharedBlocks: number;
  relaxationFactor: number;
  epsilon: number;
  /** Keras-style momentum (weight of the old statistics). */
  momentum: number;
  virtualBatchSize: number | null;
  entmaxMode: EntmaxMode;
  entmaxAlpha: number;
  sparsity: number;
}

/** Ghost batch norm, or plain batch norm when the virtual batch size is null. */
function batchNorm(x: Symbolic, s: TabNetSettings, ctx: BuildContext): Symbolic {
  if (s.virtualBatchSize === null) {
    return tf.layers.batchNormalization({
      epsilon: s.epsilon,
      momentum: s.momentum,
      name: layerName(ctx, "batch_norm"),
    }).apply(x) as Symbolic;
  }
  return new GhostBatchNorm({
    virtualBatchSize: s.virtualBatchSize,
    epsilon: s.epsilon,
    momentum: s.momentum,
    name: layerName(ctx, "ghost_norm"),
  }).apply(x) as Symbolic;
}

function denseNoBias(
  units: number,
  ctx: BuildContext,
  what: string,
  shared = false,
): tf.layers.Layer {
  const args: DenseArgs = {
    units,
    useBias: false,
    kernelInitializer: initializer("xavier_uniform", nextSeed(ctx)),
    name: layerName(ctx, what),
  };
  return shared ? new SharedDense(args) : tf.layers.dense(args);
}

/** A feature transformer: blocks of dense → batch norm → GLU with scaled residuals. */
function featureTransformer(
  x: Symbolic,
  shared: tf.layers.Layer[],
  s: TabNetSettings,
  ctx: BuildContext,
): Symbolic {
  const units = s.size + s.outputSize;
  let h = x;
  for (let n = 0; n < s.numTotalBlocks; n++) {
    const fc = n < shared.length ? shared[n] : denseNoBias(2 * units, ctx, `ft_fc${n}`);
    let y = fc.apply(h) as Symbolic;
    y = batchNorm(y, s, ctx);
    y = new Glu({ name: layerName(ctx, "glu") }).apply(y) as Symbolic;
    h = n === 0
      ? y
      : new ScaledSum({ name: layerName(ctx, "ft_residual") }).apply([y, h]) as Symbolic;
  }
  return h;
}

/** Build the TabNet combiner on the encoder outputs. */
function combine(config: Config, ctx: BuildContext, inputs: CombinerInput[]): Symbolic {
  const s: TabNetSettings = {
    size: config.size,
    outputSize: config.output_size,
    numSteps: config.num_steps,
    numTotalBlocks: config.num_total_blocks,
    numSharedBlocks: Math.min(
      config.num_shared_blocks,
      config.num_total_blocks,
    ),
    relaxationFactor: config.relaxation_factor,
    epsilon: config.bn_epsilon,
    momentum: 1 - (config.bn_momentum),
    virtualBatchSize: (config.bn_virtual_bs as number | null) ?? null,
    entmaxMode: config.entmax_mode as EntmaxMode,
    entmaxAlpha: config.entmax_alpha,
    sparsity: config.sparsity,
  };
  const x = flattenAndConcat(inputs, ctx, "tabnet");
  const d = x.shape[1] as number;
  const features = tf.layers.batchNormalization({
    epsilon: s.epsilon,
    momentum: s.momentum,
    name: layerName(ctx, "input_batch_norm"),
  }).apply(x) as Symbolic;

  const units = s.size + s.outputSize;
  const shared = Array.from(
    { length: s.numSharedBlocks },
    (_, n) => denseNoBias(2 * units, ctx, `shared_fc${n}`, true),
  );
  let h = featureTransformer(features, shared, s, ctx);
  let prior: Symbolic | null = null;
  const masks: Symbolic[] = [];
  const outs: Symbolic[] = [];
  for (let step = 0; step < s.numSteps; step++) {
    // Attentive transformer on the last `size` units of the previous FT output.
    const att = new TabNetSlice({
      begin: s.outputSize,
      size: s.size,
      name: layerName(ctx, "att_in"),
    })
      .apply(h) as Symbolic;
    let scores = denseNoBias(d, ctx, `att_fc${step}`).apply(att) as Symbolic;
    scores = batchNorm(scores, s, ctx);
    const mask = new EntmaxAttention({
      mode: s.entmaxMode,
      alpha: s.entmaxAlpha,
      name: layerName(ctx, s.entmaxMode),
    }).apply(prior ? [scores, prior] : scores) as Symbolic;
    masks.push(mask);
    if (step < s.numSteps - 1) {
      prior = new PriorUpdate({
        relaxationFactor: s.relaxationFactor,
        name: layerName(ctx, "prior"),
      })
        .apply(prior ? [prior, mask] : mask) as Symbolic;
    }
    const masked = tf.layers.multiply({ name: layerName(ctx, "mask_features") })
      .apply([mask, features]) as Symbolic;
    h = featureTransformer(masked, shared, s, ctx);
    outs.push(
      new TabNetSlice({
        begin: 0,
        size: s.outputSize,
        relu: true,
        name: layerName(ctx, "step_out"),
      })
        .apply(h) as Symbolic,
    );
  }
  const summed = outs.length === 1
    ? outs[0]
    : tf.layers.add({ name: layerName(ctx, "step_sum") }).apply(outs) as Symbolic;
  let out = tf.layers.dense({
    units: s.outputSize,
    kernelInitializer: initializer("xavier_uniform", nextSeed(ctx)),
    name: layerName(ctx, "final_projection"),
  }).apply(summed) as Symbolic;
  out = applyDropout(out, config.dropout, ctx);
  if (s.sparsity > 0) {
    out = new TabNetSparsityLoss({ sparsity: s.sparsity, name: layerName(ctx, "sparsity_loss") })
      .apply([out, ...masks]) as Symbolic;
  }
  return out;
}

/** Build the combiner on the encoder outputs (the registry's `load()` shape). */
export const build: CombinerBuildOf<typeof entries.tabnet> = immediate(combine);
