/**
 * Reductions of sequence-shaped tensors [batch, seq, hidden] to [batch, hidden'] (Ludwig's
 * `reduce_output`, `reduce_input`, `reduce_dependencies`): sum, mean/avg, max, concat (flatten),
 * last, attention (learned additive attention), none/null (kept).
 *
 * With a padding mask ([batch, seq], 1 at real steps, 0 at padding; see `_mask.ts`) the
 * reductions ignore padded steps: sum and concat zero them, mean divides by the number of real
 * steps, max and attention skip them, last takes the last real step.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { type BuildContext, layerName, nextSeed, type Symbolic } from "./component.ts";
import { initializer } from "./layers.ts";

/** Sum, mean, max, last and concat over the sequence axis (axis 1), as one serializable layer. */
export class SequenceReduce extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataSequenceReduce";
  readonly mode: "sum" | "mean" | "max" | "last" | "concat";

  /** @param args the reduction. */
  constructor(args: { mode: "sum" | "mean" | "max" | "last" | "concat"; name?: string }) {
    super(args);
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (this.mode === "concat") {
      const rest = s.slice(1) as number[];
      return [s[0], rest.every((d) => d !== null) ? rest.reduce((a, b) => a * b, 1) : null];
    }
    return [s[0], ...s.slice(2)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (Array.isArray(inputs) && inputs.length === 2) return this.#masked(x, inputs[1]);
      switch (this.mode) {
        case "sum":
          return tf.sum(x, 1);
        case "mean":
          return tf.mean(x, 1);
        case "max":
          return tf.max(x, 1);
        case "last": {
          const steps = x.shape[1]!;
          return tf.squeeze(tf.slice(x, [0, steps - 1], [-1, 1]), [1]);
        }
        case "concat":
          return tf.reshape(x, [x.shape[0], -1]);
      }
    });
  }

  #masked(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    // Weighted sums over time are batched products [b, 1, t] × [b, t, h] (fast, with fast
    // gradients); padded steps have weight 0.
    const weighted = (w: tf.Tensor) =>
      tf.reshape(tf.matMul(tf.expandDims(w, 1) as tf.Tensor3D, x as tf.Tensor3D), [
        x.shape[0],
        -1,
      ]);
    switch (this.mode) {
      case "sum":
        return weighted(mask);
      case "mean":
        return weighted(tf.div(mask, tf.maximum(tf.sum(mask, 1, true), 1)));
      case "max": {
        const m = tf.expandDims(mask, 2);
        const shifted = tf.add(tf.mul(x, m), tf.mul(tf.sub(1, m), -1e9));
        return tf.mul(tf.max(shifted, 1), tf.sign(tf.sum(mask, 1, true)));
      }
      case "last": {
        const steps = x.shape[1]!;
        if (steps === 1) return tf.reshape(tf.mul(x, tf.expandDims(mask, 2)), [x.shape[0], -1]);
        // The last real step: the largest (t + 1)·mask_t.
        const last = tf.argMax(tf.mul(mask, tf.range(1, steps + 1)), 1);
        return weighted(
          tf.mul(tf.oneHot(last, steps, 1, 0, "float32"), tf.sign(tf.sum(mask, 1, true))),
        );
      }
      case "concat":
        return tf.reshape(tf.mul(x, tf.expandDims(mask, 2)), [x.shape[0], -1]);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}
tf.serialization.registerClass(SequenceReduce);

/**
 * Additive attention pooling over the sequence (Ludwig's `attention` reducer): scores
 * s_t = v · tanh(W h_t + b), weights softmax(s), output Σ_t w_t h_t.
 */
export class AttentionReduce extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataAttentionReduce";
  readonly seed: number;
  #w?: tf.LayerVariable;
  #b?: tf.LayerVariable;
  #v?: tf.LayerVariable;

  /** @param args the initializer seed. */
  constructor(args: { seed: number; name?: string }) {
    super(args);
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const h = s[s.length - 1] as number;
    this.#w = this.addWeight("w", [h, h], "float32", initializer("xavier_uniform", this.seed));
    this.#b = this.addWeight("b", [h], "float32", tf.initializers.zeros());
    this.#v = this.addWeight("v", [h, 1], "float32", initializer("xavier_uniform", this.seed + 1));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], s[s.length - 1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [b, t, h] = x.shape;
      const flat = tf.reshape(x, [b * t, h]);
      const hidden = tf.tanh(tf.add(tf.matMul(flat, this.#w!.read()), this.#b!.read()));
      let scores = tf.reshape(tf.matMul(hidden, this.#v!.read()), [b, t]);
      if (Array.isArray(inputs) && inputs.length === 2) {
        scores = tf.add(scores, tf.mul(tf.sub(1, inputs[1]), -1e9));
      }
      const weights = tf.expandDims(tf.softmax(scores, -1), 2);
      return tf.sum(tf.mul(x, weights), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
tf.serialization.registerClass(AttentionReduce);

/**
 * Reduce a rank-3 tensor per Ludwig's mode; rank-2 tensors and null/"none" pass through. With
 * `mask` ([batch, seq], 1 at real steps) padded steps are ignored.
 */
export function reduceSequence(
  x: Symbolic,
  mode: unknown,
  ctx: BuildContext,
  mask?: Symbolic,
): Symbolic {
  if (x.shape.length < 3 || mode === null || mode === undefined || mode === "none") return x;
  const input = mask ? [x, mask] : x;
  if (mode === "attention") {
    return new AttentionReduce({ seed: nextSeed(ctx), name: layerName(ctx, "attention_reduce") })
      .apply(input) as Symbolic;
  }
  const m = mode === "avg" ? "mean" : mode;
  if (m !== "sum" && m !== "mean" && m !== "max" && m !== "last" && m !== "concat") {
    throw new TypeError(`Unknown reduction ${JSON.stringify(mode)}`);
  }
  return new SequenceReduce({ mode: m, name: layerName(ctx, `reduce_${m}`) }).apply(
    input,
  ) as Symbolic;
}
