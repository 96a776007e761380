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
  /** Rows of the position table; 0 for models without one (T5). */
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
 * Token ids [batch, seq] → word (+ position) (+ token type 0) embeddings [batch, seq, size], as
 * Hugging Face's `*Embeddings` before their LayerNorm. Weights, in order: `word` [vocab, size],
 * `position` [maxPositions, size] when there are positions, `token_type` [types, size] when
 * there are types.
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
    this.#w = [this.addWeight("word", [a.vocabSize, a.embeddingSize], "float32", init(0))];
    if (a.maxPositions > 0) {
      this.#w.push(
        this.addWeight("position", [a.maxPositions, a.embeddingSize], "float32", init(1)),
      );
    }
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
      const [word, ...rest] = this.#w.map((w) => w.read());
      const position = a.maxPositions > 0 ? rest.shift() : undefined;
      const tokenType = rest.shift();
      let out: tf.Tensor = tf.gather(word, ids);
      if (position) out = tf.add(out, tf.gather(position, positions));
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
 * step and/or the last real step (the special tokens) set to 0, as Ludwig's reductions of Hugging
 * Face outputs drop them (`hidden[:, 1:-1]`), with padding kept out.
 */
export class HfContentMask extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataHfContentMask";
  readonly dropFirst: boolean;
  readonly dropLast: boolean;

  /** @param args which ends hold a special token; default both. */
  constructor(args: { dropFirst?: boolean; dropLast?: boolean; name?: string } = {}) {
    super(args);
    this.dropFirst = args.dropFirst ?? true;
    this.dropLast = args.dropLast ?? true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const m = tf.cast(first(inputs), "float32") as tf.Tensor2D;
      if (!this.dropFirst && !this.dropLast) return m;
      const s = m.shape[1];
      const length = tf.sum(m, 1, true); // [b, 1]
      const pos = tf.expandDims(tf.range(0, s, 1, "float32"), 0); // [1, s]
      let keep = m;
      if (this.dropFirst) keep = tf.mul(keep, tf.cast(tf.greater(pos, 0.5), "float32"));
      if (this.dropLast) {
        keep = tf.mul(keep, tf.cast(tf.less(pos, tf.sub(length, 1.5)), "float32"));
      }
      return keep;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dropFirst: this.dropFirst, dropLast: this.dropLast };
  }
}
tf.serialization.registerClass(HfContentMask);

/** Settings of {@linkcode HfAttention}. */
export interface HfAttentionArgs {
  /** Input and output width. */
  hiddenSize: number;
  numHeads: number;
  /** Width of each head (T5's `d_kv`); default hiddenSize / numHeads. */
  headSize?: number;
  /** Biases on the projections; default true. */
  bias?: boolean;
  /** Each step attends only to itself and earlier steps (GPT-2). */
  causal?: boolean;
  /** Divide the scores by √headSize; default true (T5: false). */
  scale?: boolean;
  /** One fused Q|K|V kernel [in, 3·inner] (GPT-2's `c_attn`) instead of three. */
  fusedQkv?: boolean;
  seed: number;
  name?: string;
}

/**
 * Multi-head self-attention for the encoders whose attention differs from BERT's: inputs
 * `[x [b, s, in], mask [b, s]]`, or with a third input, a position bias [1 or b, heads, s, s]
 * added to the scores (T5's relative attention). Padded keys get -1e9.
 *
 * Weights, in order: fused `qkv_kernel` [in, 3·inner] (+ `qkv_bias`) or `q/k/v_kernel`
 * [in, inner] (+ biases), then `out_kernel` [inner, in] (+ `out_bias`).
 */
export class HfAttention extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataHfAttention";
  readonly args: Required<Omit<HfAttentionArgs, "name">>;
  #w: tf.LayerVariable[] = [];

  /** @param args sizes and variants. */
  constructor(args: HfAttentionArgs) {
    super(args);
    this.args = {
      hiddenSize: args.hiddenSize,
      numHeads: args.numHeads,
      headSize: args.headSize ?? args.hiddenSize / args.numHeads,
      bias: args.bias ?? true,
      causal: args.causal ?? false,
      scale: args.scale ?? true,
      fusedQkv: args.fusedQkv ?? false,
      seed: args.seed,
    };
    if (!Number.isInteger(this.args.headSize)) {
      throw new RangeError(
        `hidden size ${args.hiddenSize} is not divisible by ${args.numHeads} attention heads`,
      );
    }
  }

  override build(): void {
    const a = this.args;
    const inner = a.numHeads * a.headSize;
    let seed = a.seed;
    const kernel = (name: string, shape: number[]) =>
      this.addWeight(
        name,
        shape,
        "float32",
        tf.initializers.truncatedNormal({ stddev: 0.02, seed: seed++ }),
      );
    const bias = (name: string, size: number) =>
      this.addWeight(name, [size], "float32", tf.initializers.zeros());
    const w: tf.LayerVariable[] = [];
    if (a.fusedQkv) {
      w.push(kernel("qkv_kernel", [a.hiddenSize, 3 * inner]));
      if (a.bias) w.push(bias("qkv_bias", 3 * inner));
    } else {
      for (const p of ["q", "k", "v"]) {
        w.push(kernel(`${p}_kernel`, [a.hiddenSize, inner]));
        if (a.bias) w.push(bias(`${p}_bias`, inner));
      }
    }
    w.push(kernel("out_kernel", [inner, a.hiddenSize]));
    if (a.bias) w.push(bias("out_bias", a.hiddenSize));
    this.#w = w;
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0] as tf.Tensor3D;
      const mask = list[1] as tf.Tensor2D | undefined;
      const positionBias = list[2];
      const [b, s, inSize] = x.shape;
      const a = this.args;
      const inner = a.numHeads * a.headSize;
      const w = this.#w.map((v) => v.read());
      const flat = tf.reshape(x, [b * s, inSize]) as tf.Tensor2D;
      const project = (k: tf.Tensor, bias?: tf.Tensor) => {
        const y = tf.matMul(flat, k as tf.Tensor2D);
        return bias ? tf.add(y, bias) : y;
      };
      const heads = (t: tf.Tensor) =>
        tf.transpose(tf.reshape(t, [b, s, a.numHeads, a.headSize]), [0, 2, 1, 3]);
      let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
      let i = 0;
      if (a.fusedQkv) {
        const qkv = project(w[i++], a.bias ? w[i++] : undefined);
        [q, k, v] = tf.split(qkv, 3, 1).map(heads);
      } else {
        [q, k, v] = [0, 1, 2].map(() => heads(project(w[i++], a.bias ? w[i++] : undefined)));
      }
      let scores = tf.matMul(q, k, false, true); // [b, heads, s, s]
      if (a.scale) scores = tf.div(scores, Math.sqrt(a.headSize));
      if (positionBias) scores = tf.add(scores, positionBias);
      if (mask) {
        scores = tf.add(scores, tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [b, 1, 1, s]));
      }
      if (a.causal) {
        const pos = tf.range(0, s, 1, "int32");
        const future = tf.greater(tf.expandDims(pos, 0), tf.expandDims(pos, 1)); // key > query
        scores = tf.add(scores, tf.mul(tf.cast(future, "float32"), -1e9));
      }
      const attended = tf.matMul(tf.softmax(scores, -1), v);
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b * s, inner]);
      let out = tf.matMul(merged, w[i++] as tf.Tensor2D);
      if (a.bias) out = tf.add(out, w[i++]);
      return tf.reshape(out, [b, s, a.hiddenSize]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args };
  }
}
tf.serialization.registerClass(HfAttention);

/**
 * T5's relative position bias: x [b, s, h] → [1, heads, s, s], from a table [buckets, heads]
 * indexed by the bucket of (key − query): exact buckets for small distances, logarithmic ones up
 * to `maxDistance`, half the buckets per direction when bidirectional.
 */
export class HfRelativeBias extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataHfRelativeBias";
  readonly numBuckets: number;
  readonly maxDistance: number;
  readonly numHeads: number;
  readonly bidirectional: boolean;
  readonly seed: number;
  #table?: tf.LayerVariable;

  /** @param args table size, heads and direction. */
  constructor(args: {
    numBuckets: number;
    maxDistance: number;
    numHeads: number;
    bidirectional: boolean;
    seed: number;
    name?: string;
  }) {
    super(args);
    this.numBuckets = args.numBuckets;
    this.maxDistance = args.maxDistance;
    this.numHeads = args.numHeads;
    this.bidirectional = args.bidirectional;
    this.seed = args.seed;
  }

  override build(): void {
    this.#table = this.addWeight(
      "table",
      [this.numBuckets, this.numHeads],
      "float32",
      tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = shapeOf(s);
    return [1, this.numHeads, shape[1], shape[1]];
  }

  /** The bucket of each (query, key) pair of a length-`s` sequence, [s, s]. */
  buckets(s: number): Int32Array {
    const out = new Int32Array(s * s);
    let n = this.numBuckets;
    if (this.bidirectional) n = Math.floor(n / 2);
    const exact = Math.floor(n / 2);
    for (let qi = 0; qi < s; qi++) {
      for (let ki = 0; ki < s; ki++) {
        let rel = ki - qi;
        let bucket = 0;
        if (this.bidirectional) {
          if (rel > 0) bucket += n;
          rel = Math.abs(rel);
        } else rel = -Math.min(rel, 0);
        if (rel < exact) bucket += rel;
        else {
          // Math.fround: the reference computes the logarithm in float32.
          const large = exact + Math.trunc(
            Math.fround(
              Math.fround(
                Math.log(Math.fround(rel / exact)) /
                  Math.fround(Math.log(this.maxDistance / exact)),
              ) * (n - exact),
            ),
          );
          bucket += Math.min(large, n - 1);
        }
        out[qi * s + ki] = bucket;
      }
    }
    return out;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      const s = x.shape[1] as number;
      const idx = tf.tensor1d(this.buckets(s), "int32");
      const values = tf.gather(this.#table!.read(), idx); // [s·s, heads]
      return tf.expandDims(tf.transpose(tf.reshape(values, [s, s, this.numHeads]), [2, 0, 1]), 0);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numBuckets: this.numBuckets,
      maxDistance: this.maxDistance,
      numHeads: this.numHeads,
      bidirectional: this.bidirectional,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(HfRelativeBias);

/** T5's RMS norm (no mean, no bias): x / √(mean(x²) + ε) · weight. */
export class HfRmsNorm extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataHfRmsNorm";
  readonly epsilon: number;
  #weight?: tf.LayerVariable;

  /** @param args epsilon. */
  constructor(args: { epsilon: number; name?: string }) {
    super(args);
    this.epsilon = args.epsilon;
  }

  override build(s: tf.Shape | tf.Shape[]): void {
    const shape = shapeOf(s);
    this.#weight = this.addWeight(
      "weight",
      [shape[shape.length - 1] as number],
      "float32",
      tf.initializers.ones(),
    );
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      const variance = tf.mean(tf.square(x), -1, true);
      return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, this.epsilon))), this.#weight!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(HfRmsNorm);

// TF.js saves a Dense layer's `gelu_new` activation under that name but camel-cases it to
// `geluNew` when loading, a name it does not know: make that name find the same activation, so
// saved models with GPT-2/ALBERT/T5 feed-forward layers reload.
{
  const names = tf.serialization.SerializationMap.getMap().classNameMap;
  if (names["gelu_new"] && !names["geluNew"]) names["geluNew"] = names["gelu_new"];
}
