/**
 * Multi-head self-attention and Ludwig's transformer stack (`ludwig/modules/attention_modules.py`):
 * each block is self-attention → dropout → add & layer norm → dense(relu) → dense → dropout →
 * add & layer norm (post-norm, epsilon 1e-6). Input and output [batch, seq, hidden].
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { NEG_INF } from "./_mask.ts";
import { type BuildContext, layerName, nextSeed, type Symbolic } from "./component.ts";
import { applyDropout, initializer } from "./layers.ts";

/**
 * Scaled dot-product self-attention with `numHeads` heads over [batch, seq, in] → [batch, seq,
 * hidden]: Q, K, V projections (with bias), softmax(QKᵀ/√d_head)·V per head, heads concatenated
 * and projected.
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataMultiHeadSelfAttention";
  readonly hiddenSize: number;
  readonly numHeads: number;
  readonly seed: number;
  #w: tf.LayerVariable[] = [];

  /** @param args hidden size (divisible by heads), heads and initializer seed. */
  constructor(args: { hiddenSize: number; numHeads: number; seed: number; name?: string }) {
    super(args);
    if (args.hiddenSize % args.numHeads !== 0) {
      throw new RangeError(
        `Cannot build multi-head attention: hidden_size (${args.hiddenSize}) must be divisible ` +
          `by num_heads (${args.numHeads})`,
      );
    }
    this.hiddenSize = args.hiddenSize;
    this.numHeads = args.numHeads;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inSize = s[s.length - 1] as number;
    const h = this.hiddenSize;
    const zeros = tf.initializers.zeros();
    this.#w = [
      this.addWeight(
        "query_kernel",
        [inSize, h],
        "float32",
        initializer("xavier_uniform", this.seed),
      ),
      this.addWeight("query_bias", [h], "float32", zeros),
      this.addWeight(
        "key_kernel",
        [inSize, h],
        "float32",
        initializer("xavier_uniform", this.seed + 1),
      ),
      this.addWeight("key_bias", [h], "float32", zeros),
      this.addWeight(
        "value_kernel",
        [inSize, h],
        "float32",
        initializer("xavier_uniform", this.seed + 2),
      ),
      this.addWeight("value_bias", [h], "float32", zeros),
      this.addWeight(
        "output_kernel",
        [h, h],
        "float32",
        initializer("xavier_uniform", this.seed + 3),
      ),
      this.addWeight("output_bias", [h], "float32", zeros),
    ];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...s.slice(0, -1), this.hiddenSize];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      // Inputs: x [batch, seq, in], or [x, mask [batch, seq]] to keep padded keys out.
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const mask = Array.isArray(inputs) ? inputs[1] as tf.Tensor2D | undefined : undefined;
      const [b, t, inSize] = x.shape;
      const [wq, bq, wk, bk, wv, bv, wo, bo] = this.#w.map((w) => w.read());
      const flat = tf.reshape(x, [b * t, inSize]);
      const dh = this.hiddenSize / this.numHeads;
      // [b·t, h] → [b, heads, t, dh]
      const heads = (w: tf.Tensor, bias: tf.Tensor) =>
        tf.transpose(
          tf.reshape(tf.add(tf.matMul(flat, w as tf.Tensor2D), bias), [b, t, this.numHeads, dh]),
          [0, 2, 1, 3],
        );
      const q = heads(wq, bq);
      const k = heads(wk, bk);
      const v = heads(wv, bv);
      let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)); // [b, heads, t, t]
      if (mask) scores = tf.add(scores, tf.reshape(tf.mul(tf.sub(1, mask), NEG_INF), [b, 1, 1, t]));
      const attended = tf.matMul(tf.softmax(scores, -1), v); // [b, heads, t, dh]
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b * t, this.hiddenSize]);
      const out = tf.add(tf.matMul(merged, wo as tf.Tensor2D), bo);
      return tf.reshape(out, [b, t, this.hiddenSize]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      hiddenSize: this.hiddenSize,
      numHeads: this.numHeads,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(MultiHeadSelfAttention);

/** Settings of {@linkcode transformerStack} (Ludwig's names in the combiner configs). */
export interface TransformerStackSpec {
  /** Number of blocks. */
  numLayers: number;
  /** Attention and block output size; the input's last axis must already have this size. */
  hiddenSize: number;
  /** Attention heads. */
  numHeads: number;
  /** Size of each block's feed-forward layer. */
  outputSize: number;
  /** Dropout after the attention and after the feed-forward layer. */
  dropout: number;
}

/**
 * Ludwig's `TransformerStack` on [batch, seq, hidden]; with `mask` [batch, seq] (1 real, 0
 * padding), attention never looks at padded keys, so padding changes no real step.
 */
export function transformerStack(
  x: Symbolic,
  spec: TransformerStackSpec,
  ctx: BuildContext,
  mask?: Symbolic,
): Symbolic {
  let h = x;
  for (let i = 0; i < spec.numLayers; i++) {
    let attn = new MultiHeadSelfAttention({
      hiddenSize: spec.hiddenSize,
      numHeads: spec.numHeads,
      seed: nextSeed(ctx),
      name: layerName(ctx, "self_attention"),
    }).apply(mask ? [h, mask] : h) as Symbolic;
    attn = applyDropout(attn, spec.dropout, ctx);
    const sum1 = tf.layers.add({ name: layerName(ctx, "attention_residual") })
      .apply([h, attn]) as Symbolic;
    const ln1 = tf.layers.layerNormalization({ epsilon: 1e-6, name: layerName(ctx, "layer_norm") })
      .apply(sum1) as Symbolic;
    let fc = tf.layers.dense({
      units: spec.outputSize,
      activation: "relu",
      kernelInitializer: initializer("xavier_uniform", nextSeed(ctx)),
      name: layerName(ctx, "ffn_in"),
    }).apply(ln1) as Symbolic;
    fc = tf.layers.dense({
      units: spec.hiddenSize,
      kernelInitializer: initializer("xavier_uniform", nextSeed(ctx)),
      name: layerName(ctx, "ffn_out"),
    }).apply(fc) as Symbolic;
    fc = applyDropout(fc, spec.dropout, ctx);
    const sum2 = tf.layers.add({ name: layerName(ctx, "ffn_residual") }).apply([
      ln1,
      fc,
    ]) as Symbolic;
    h = tf.layers.layerNormalization({ epsilon: 1e-6, name: layerName(ctx, "layer_norm") })
      .apply(sum2) as Symbolic;
  }
  return h;
}
