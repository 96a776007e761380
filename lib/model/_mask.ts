/**
 * Padding masks of sequence encoders. A mask is a float32 tensor [batch, seq] holding 1 at real
 * steps and 0 at padding. The layers here compute masks (from token ids or from all-zero
 * vectors), zero padded steps, pool masked sequences, reverse the real part of a sequence, and
 * compute TF-IDF vectors, so that appending padding to a sequence changes no encoder output.
 *
 * Every layer is a serializable `tf.layers.Layer` (class names `Sonata...`).
 *
 * @module
 */
import { tf } from "../compute/mod.ts";

const first = (inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0] : inputs);
const shapeOf = (s: tf.Shape | tf.Shape[]) => (Array.isArray(s[0]) ? s[0] : s) as tf.Shape;
const pair = (inputs: tf.Tensor | tf.Tensor[]): [tf.Tensor, tf.Tensor] => {
  if (!Array.isArray(inputs) || inputs.length !== 2) {
    throw new TypeError("Expected two inputs: a sequence and its mask");
  }
  return [inputs[0], inputs[1]];
};

/** A large negative number standing in for -∞ in masked maxima and softmaxes. */
export const NEG_INF = -1e9;

/** A layer over token ids configured (and serialized) by their padding index. */
abstract class PadIdxLayer extends tf.layers.Layer {
  readonly padIdx: number;

  /** @param args the padding index. */
  constructor(args: { padIdx: number; name?: string }) {
    super(args);
    this.padIdx = args.padIdx;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padIdx: this.padIdx };
  }
}

/** The mask of token ids [batch, seq]: 1 where the id is not `padIdx`. */
export class TokenMask extends PadIdxLayer {
  /** Serialization name. */
  static className = "SonataTokenMask";

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = shapeOf(s);
    return [shape[0], shape[1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      // min(|id - pad|, 1): 0 at padding, 1 elsewhere, computed in float arithmetic because
      // TF.js's cpu casts keep integer or boolean storage, which slows every later product.
      const ids = tf.cast(first(inputs), "float32");
      return tf.minimum(tf.abs(tf.sub(ids, this.padIdx)), 1);
    });
  }
}
tf.serialization.registerClass(TokenMask);

/** The mask of a vector sequence [batch, seq, hidden]: 1 where a step has a nonzero entry. */
export class VectorMask extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataVectorMask";

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = shapeOf(s);
    return [shape[0], shape[1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      return tf.sign(tf.max(tf.abs(x), -1));
    });
  }
}
tf.serialization.registerClass(VectorMask);

/** [x [batch, seq, hidden], mask [batch, seq]] → x with padded steps set to 0. */
export class ApplyMask extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataApplyMask";

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, m] = pair(inputs);
      return tf.mul(x, tf.expandDims(m, 2));
    });
  }
}
tf.serialization.registerClass(ApplyMask);

/**
 * Moves padding to the end of each row of token ids, keeping the order of the real tokens
 * (left-padded rows become right-padded; right-padded rows are unchanged).
 */
export class PadsLast extends PadIdxLayer {
  /** Serialization name. */
  static className = "SonataPadsLast";

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.cast(first(inputs), "int32") as tf.Tensor2D;
      const [b, l] = ids.shape;
      const real = tf.cast(tf.notEqual(ids, tf.scalar(this.padIdx, "int32")), "int32");
      // The first real position of each row (0 when the row is all padding).
      const start = tf.argMax(real, 1); // [b]
      const pos = tf.range(0, l, 1, "int32"); // [l]
      const int = (v: number) => tf.scalar(v, "int32");
      const src = tf.mod(tf.add(tf.expandDims(start, 1), tf.expandDims(pos, 0)), int(l)); // [b, l]
      const rows = tf.mul(tf.range(0, b, 1, "int32"), int(l));
      const flat = tf.add(src, tf.expandDims(rows, 1));
      const rotated = tf.reshape(tf.gather(tf.reshape(ids, [-1]), tf.reshape(flat, [-1])), [b, l]);
      // Real tokens are contiguous: after rotation they lead; the rest is padding.
      const len = tf.sum(real, 1, true);
      const keep = tf.less(tf.expandDims(pos, 0), len);
      return tf.where(keep, rotated, tf.fill([b, l], this.padIdx, "int32"));
    });
  }
}
tf.serialization.registerClass(PadsLast);

/** Output length of a window op over `length` steps (PyTorch's pooling/convolution formula). */
export function windowedLength(
  length: number,
  spec: { size: number; strides: number; padLeft: number; padRight: number },
): number {
  return Math.floor((length + spec.padLeft + spec.padRight - spec.size) / spec.strides) + 1;
}

interface WindowArgs {
  /** Window size (already dilated). */
  size: number;
  strides: number;
  /** Steps of padding before the first step (windows start at -padLeft). */
  padLeft: number;
  /** Steps of padding after the last step. */
  padRight: number;
}

/** A layer over windows of a sequence; it serializes its window with {@linkcode windowArgs}. */
abstract class WindowLayer extends tf.layers.Layer implements WindowArgs {
  readonly size: number;
  readonly strides: number;
  readonly padLeft: number;
  readonly padRight: number;

  /** @param args window, stride and padding. */
  constructor(args: { name?: string } & WindowArgs) {
    super(args);
    this.size = args.size;
    this.strides = args.strides;
    this.padLeft = args.padLeft;
    this.padRight = args.padRight;
  }
}

/** The window of a {@linkcode WindowLayer}, as its config keys. */
const windowArgs = (w: WindowArgs): WindowArgs => ({
  size: w.size,
  strides: w.strides,
  padLeft: w.padLeft,
  padRight: w.padRight,
});

/** Max-pool or average-pool [batch, seq, ch] along seq with explicit padding. */
function pool1d(
  x: tf.Tensor3D,
  fn: "max" | "avg",
  w: WindowArgs,
  padValue: number,
): tf.Tensor3D {
  const padded = w.padLeft || w.padRight
    ? tf.pad(x, [[0, 0], [w.padLeft, w.padRight], [0, 0]], padValue)
    : x;
  const [b, l, c] = padded.shape;
  const x4 = tf.reshape(padded, [b, l, 1, c]) as tf.Tensor4D;
  const pooled = fn === "max"
    ? tf.maxPool(x4, [w.size, 1], [w.strides, 1], "valid")
    : tf.avgPool(x4, [w.size, 1], [w.strides, 1], "valid");
  return tf.reshape(pooled, [b, pooled.shape[1], c]) as tf.Tensor3D;
}

/**
 * Pools a masked sequence [x [batch, seq, ch], mask [batch, seq]] along seq, ignoring padded
 * steps: `max` takes the largest real value of each window, `avg` the mean of its real values;
 * a window without real steps gives 0. Windows start at `-padLeft` every `strides` steps, as in
 * PyTorch's `MaxPool1d`/`AvgPool1d` with `padding=padLeft`.
 */
export class MaskedPool1D extends WindowLayer {
  /** Serialization name. */
  static className = "SonataMaskedPool1D";
  readonly fn: "max" | "avg";

  /** @param args pooling function, window, stride and padding. */
  constructor(args: { fn: "max" | "avg"; name?: string } & WindowArgs) {
    super(args);
    this.fn = args.fn;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = shapeOf(s);
    const l = shape[1] === null ? null : windowedLength(shape[1], this);
    return [shape[0], l, shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, m] = pair(inputs) as [tf.Tensor3D, tf.Tensor2D];
      const m3 = tf.expandDims(m, 2) as tf.Tensor3D;
      const any = pool1d(m3, "max", this, 0); // [b, l', 1]: 1 where a window has a real step
      if (this.fn === "max") {
        const shifted = tf.add(tf.mul(x, m3), tf.mul(tf.sub(1, m3), NEG_INF)) as tf.Tensor3D;
        return tf.mul(pool1d(shifted, "max", this, NEG_INF), any);
      }
      const sums = pool1d(tf.mul(x, m3) as tf.Tensor3D, "avg", this, 0);
      const counts = pool1d(m3, "avg", this, 0);
      return tf.div(sums, tf.maximum(counts, 1e-9));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), fn: this.fn, ...windowArgs(this) };
  }
}
tf.serialization.registerClass(MaskedPool1D);

/**
 * The mask after a window op: with `all`, a step is real when its whole window is (a `valid`
 * convolution); with `any`, when some step of its window is (pooling). Window size 1 with a
 * stride samples the mask (a strided `same` convolution).
 */
export class WindowMask extends WindowLayer {
  /** Serialization name. */
  static className = "SonataWindowMask";
  readonly mode: "any" | "all";

  /** @param args mode, window, stride and padding. */
  constructor(args: { mode: "any" | "all"; name?: string } & WindowArgs) {
    super(args);
    this.mode = args.mode;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = shapeOf(s);
    return [shape[0], shape[1] === null ? null : windowedLength(shape[1], this)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const m3 = tf.expandDims(first(inputs), 2) as tf.Tensor3D;
      const pooled = this.mode === "any"
        ? pool1d(m3, "max", this, 0)
        : tf.neg(pool1d(tf.neg(m3) as tf.Tensor3D, "max", this, -1));
      return tf.squeeze(pooled, [2]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, ...windowArgs(this) };
  }
}
tf.serialization.registerClass(WindowMask);

/**
 * [x [batch, seq, h], mask [batch, seq]] → each row's real prefix reversed (padding assumed at
 * the end, as after {@linkcode PadsLast}); padded steps stay in place. Applying it twice gives
 * the input back. Backward recurrences run over this, so padding never reaches real steps.
 */
export class ReverseReal extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataReverseReal";

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, m] = pair(inputs) as [tf.Tensor3D, tf.Tensor2D];
      const [b, l, h] = x.shape;
      const len = tf.cast(tf.sum(m, 1, true), "int32"); // [b, 1]
      const pos = tf.expandDims(tf.range(0, l, 1, "int32"), 0); // [1, l]
      const int = (v: number) => tf.scalar(v, "int32");
      const reversed = tf.sub(tf.sub(len, int(1)), pos);
      const src = tf.where(tf.less(pos, len), reversed, tf.broadcastTo(pos, [b, l]));
      const flat = tf.add(src, tf.expandDims(tf.mul(tf.range(0, b, 1, "int32"), int(l)), 1));
      return tf.reshape(tf.gather(tf.reshape(x, [b * l, h]), tf.reshape(flat, [-1])), [b, l, h]);
    });
  }
}
tf.serialization.registerClass(ReverseReal);

/** Adds a learned embedding of each position to [batch, seq, h] (PyTorch `nn.Embedding` init). */
export class PositionEmbedding extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataPositionEmbedding";
  readonly seed: number;
  #positions?: tf.LayerVariable;

  /** @param args the initializer seed. */
  constructor(args: { seed: number; name?: string }) {
    super(args);
    this.seed = args.seed;
  }

  override build(s: tf.Shape | tf.Shape[]): void {
    const shape = shapeOf(s);
    this.#positions = this.addWeight(
      "positions",
      [shape[1] as number, shape[2] as number],
      "float32",
      tf.initializers.randomNormal({ mean: 0, stddev: 1, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(first(inputs), this.#positions!.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
tf.serialization.registerClass(PositionEmbedding);

/** Token ids [batch, seq] → one-hot vectors [batch, seq, depth] (`representation: sparse`). */
export class TokenOneHot extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTokenOneHot";
  readonly depth: number;

  /** @param args the vocabulary size. */
  constructor(args: { depth: number; name?: string }) {
    super(args);
    this.depth = args.depth;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = shapeOf(s);
    return [shape[0], shape[1], this.depth];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.cast(first(inputs), "int32");
      return tf.cast(tf.oneHot(ids as tf.Tensor2D, this.depth), "float32");
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depth: this.depth };
  }
}
tf.serialization.registerClass(TokenOneHot);

/**
 * Token ids [batch, seq] → TF-IDF vectors [batch, vocab]: the count of each token over the
 * row's real tokens (`<SOS>` and `<EOS>` included, padding excluded), divided by their number,
 * times the token's inverse document frequency. The IDF vector is a non-trainable weight.
 *
 * Ludwig divides by the padded length instead (so a text's vector depends on
 * `max_sequence_length`); the two differ by the factor padded length / real tokens per row.
 */
export class TfIdf extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTfIdf";
  readonly vocabSize: number;
  readonly padIdx: number;
  readonly #initialIdf?: Float32Array;
  #idf?: tf.LayerVariable;

  /** @param args vocabulary size, padding index and (when building) the IDF of each index. */
  constructor(args: { vocabSize: number; padIdx: number; idf?: Float32Array; name?: string }) {
    super({ ...args, trainable: false });
    this.vocabSize = args.vocabSize;
    this.padIdx = args.padIdx;
    this.#initialIdf = args.idf;
  }

  override build(): void {
    this.#idf = this.addWeight(
      "idf",
      [this.vocabSize],
      "float32",
      tf.initializers.zeros(),
      undefined,
      false,
    );
    const initial = this.#initialIdf;
    if (initial) {
      tf.tidy(() => {
        this.#idf!.write(tf.tensor1d(initial));
      });
    }
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return [shapeOf(s)[0], this.vocabSize];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.cast(first(inputs), "int32") as tf.Tensor2D;
      const counts = tf.denseBincount(ids, tf.tensor([], undefined, "float32"), this.vocabSize);
      const notPad = new Float32Array(this.vocabSize).fill(1);
      notPad[this.padIdx] = 0;
      const real = tf.mul(counts, tf.tensor1d(notPad));
      const total = tf.maximum(tf.sum(real, 1, true), 1);
      return tf.mul(tf.div(real, total), this.#idf!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocabSize: this.vocabSize, padIdx: this.padIdx };
  }
}
tf.serialization.registerClass(TfIdf);
