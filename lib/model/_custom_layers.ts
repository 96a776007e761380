/**
 * Small serializable layers the tabular encoders need: column slices, casts, one-hot, periodic
 * features and learned weighted sums.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";

const first = (inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0] : inputs);
const shapeOf = (s: tf.Shape | tf.Shape[]) => (Array.isArray(s[0]) ? s[0] : s) as tf.Shape;

/** Columns [start, start + size) of a [batch, n] input, optionally cast to float32. */
export class ColumnSlice extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataColumnSlice";
  readonly start: number;
  readonly size: number;
  readonly toFloat: boolean;

  /** @param args first column, column count, and whether to cast to float32. */
  constructor(args: { start: number; size: number; toFloat?: boolean; name?: string }) {
    super(args);
    this.start = args.start;
    this.size = args.size;
    this.toFloat = args.toFloat ?? false;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return [shapeOf(s)[0], this.size];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.slice(first(inputs), [0, this.start], [-1, this.size]);
      return this.toFloat ? tf.cast(x, "float32") : x;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), start: this.start, size: this.size, toFloat: this.toFloat };
  }
}
tf.serialization.registerClass(ColumnSlice);

/** The one-hot vector of an index input [batch, 1] → [batch, depth]. */
export class OneHot extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataOneHot";
  readonly depth: number;

  /** @param args number of classes. */
  constructor(args: { depth: number; name?: string }) {
    super(args);
    this.depth = args.depth;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return [shapeOf(s)[0], this.depth];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      const idx = tf.cast(tf.reshape(x, [x.shape[0]]), "int32") as tf.Tensor1D;
      return tf.oneHot(idx, this.depth, 1, 0, "float32");
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depth: this.depth };
  }
}
tf.serialization.registerClass(OneHot);

/** sin(2π x / period) of each column, with one period per column. */
export class Periodic extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataPeriodic";
  readonly periods: number[];

  /** @param args the period of each column. */
  constructor(args: { periods: number[]; name?: string }) {
    super(args);
    this.periods = args.periods;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return [shapeOf(s)[0], this.periods.length];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.cast(first(inputs), "float32");
      const scale = tf.tensor1d(this.periods.map((p) => (2 * Math.PI) / p));
      return tf.sin(tf.mul(x, scale));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), periods: this.periods };
  }
}
tf.serialization.registerClass(Periodic);

/** A learned weighted sum over axis 1 of [batch, n, h] (softmax of the weights optional). */
export class WeightedSum extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataWeightedSum";
  readonly softmax: boolean;
  #weights?: tf.LayerVariable;

  /** @param args whether to softmax the weights. */
  constructor(args: { softmax: boolean; name?: string }) {
    super(args);
    this.softmax = args.softmax;
  }

  override build(s: tf.Shape | tf.Shape[]): void {
    const shape = shapeOf(s);
    this.#weights = this.addWeight(
      "weights",
      [shape[1] as number],
      "float32",
      tf.initializers.ones(),
    );
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = shapeOf(s);
    return [shape[0], shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      let w = this.#weights!.read();
      if (this.softmax) w = tf.softmax(w);
      return tf.sum(tf.mul(x, tf.reshape(w, [1, -1, 1])), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), softmax: this.softmax };
  }
}
tf.serialization.registerClass(WeightedSum);
