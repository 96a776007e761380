/**
 * The layers of the Hugging Face encoders that TF.js lacks: the token + position (+ token type)
 * embedding sum, the first-token slice of the poolers, and the mask of the text's own tokens
 * (the special tokens at both ends left out). All serializable (class names `SonataHf...`).
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";

const shapeOf = (s: tf.Shape | tf.Shape[]) => (Array.isArray(s[0]) ? s[0] : s) as tf.Shape;
const first = (inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0] : inputs);

/** How position ids are counted. */
export type PositionScheme = "absolute" | "padded";

/** Settings of {@linkcode HfEmbeddings}. */
export interface HfEmbeddingsArgs {
  vocabSize: number;
  embeddingSize: number;
  maxPositions: number;
  /** Rows of the token type table; 0 for models without one (DistilBERT). */
  typeVocabSize: number;
  /**
   * `absolute`: positions 0, 1, …; `padded` (RoBERTa): real tokens at `padIdx + 1`, `padIdx +
   * 2`, …, padding at `padIdx`.
   */
  positions: PositionScheme;
  padIdx: number;
  /** Seed of the random initializer (for models built without pretrained weights). */
  seed: number;
  name?: string;
}

/**
 * Token ids [batch, seq] → word + position (+ token type 0) embeddings [batch, seq, size], as
 * Hugging Face's `*Embeddings` before their LayerNorm. Weights: `word` [vocab, size],
 * `position` [maxPositions, size], `token_type` [types, size] when there are types.
 */
export class HfEmbeddings extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataHfEmbeddings";
  readonly args: Omit<HfEmbeddingsArgs, "name">;
  #w: tf.LayerVariable[] = [];

  /** @param args the table sizes and the position scheme. */
  constructor(args: HfEmbeddingsArgs) {
    super(args);
    const { name: _name, ...rest } = args;
    this.args = rest;
  }

  override build(): void {
    const a = this.args;
    const init = (i: number) => tf.initializers.truncatedNormal({ stddev: 0.02, seed: a.seed + i });
    this.#w = [
      this.addWeight("word", [a.vocabSize, a.embeddingSize], "float32", init(0)),
      this.addWeight("position", [a.maxPositions, a.embeddingSize], "float32", init(1)),
    ];
    if (a.typeVocabSize > 0) {
      this.#w.push(
        this.addWeight("token_type", [a.typeVocabSize, a.embeddingSize], "float32", init(2)),
      );
    }
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = shapeOf(s);
    return [shape[0], shape[1], this.args.embeddingSize];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.cast(first(inputs), "int32") as tf.Tensor2D;
      const [b, s] = ids.shape;
      const a = this.args;
      let positions: tf.Tensor;
      if (a.positions === "padded") {
        const real = tf.cast(tf.notEqual(ids, a.padIdx), "int32");
        positions = tf.cast(tf.add(tf.mul(tf.cumsum(real, 1), real), a.padIdx), "int32");
      } else {
        positions = tf.broadcastTo(tf.expandDims(tf.range(0, s, 1, "int32"), 0), [b, s]);
      }
      const [word, position, tokenType] = this.#w.map((w) => w.read());
      let out = tf.add(tf.gather(word, ids), tf.gather(position, positions));
      if (tokenType) out = tf.add(out, tf.slice(tokenType, [0, 0], [1, -1])); // token_type_ids 0
      return out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args };
  }
}
tf.serialization.registerClass(HfEmbeddings);

/** [batch, seq, h] → [batch, h]: the first step (the `[CLS]` / `<s>` token). */
export class HfFirstToken extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataHfFirstToken";

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = shapeOf(s);
    return [shape[0], shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs) as tf.Tensor3D;
      return tf.reshape(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [x.shape[0], x.shape[2]]);
    });
  }
}
tf.serialization.registerClass(HfFirstToken);

/**
 * The attention mask [batch, seq] (right-padded) → the mask of the text's own tokens: the first
 * step and the last real step (the special tokens) set to 0, as Ludwig's reductions of Hugging
 * Face outputs drop them (`hidden[:, 1:-1]`), with padding kept out.
 */
export class HfContentMask extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataHfContentMask";

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const m = tf.cast(first(inputs), "float32") as tf.Tensor2D;
      const s = m.shape[1];
      const length = tf.sum(m, 1, true); // [b, 1]
      const pos = tf.expandDims(tf.range(0, s, 1, "float32"), 0); // [1, s]
      const inside = tf.logicalAnd(tf.greater(pos, 0.5), tf.less(pos, tf.sub(length, 1.5)));
      return tf.mul(m, tf.cast(inside, "float32"));
    });
  }
}
tf.serialization.registerClass(HfContentMask);
