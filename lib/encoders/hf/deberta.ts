/**
 * DeBERTa v2 and v3 (`model_type: deberta-v2`): BERT's post-layer-norm blocks with disentangled
 * attention. Scores are content-to-content plus content-to-position (`c2p`: each query against
 * the projected relative position embeddings) and position-to-content (`p2c`: each key against
 * them), all divided by √(d·(1 + number of position terms)). Relative positions are `i − j`,
 * log-bucketed (`position_buckets`, `max_relative_positions`) and clamped to the span; the
 * relative embeddings (`encoder.rel_embeddings`) go through `encoder.LayerNorm` when
 * `norm_rel_ebd` says `layer_norm`, and share the query/key projections (`share_att_key`) or
 * have their own (`pos_key_proj`, `pos_query_proj`). No absolute positions unless
 * `position_biased_input`; no pooler (`cls_pooled` takes the `[CLS]` hidden state). The
 * convolution of some v2 checkpoints (`conv_kernel_size` > 0) and DeBERTa v1 (`model_type:
 * deberta`) are rejected. Checkpoints read through `deberta.`; heads ignored.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import { ApplyMask } from "../../model/_mask.ts";
import {
  activationKey,
  HfConfigError,
  type HfFamily,
  hiddenAndHeads,
  intKey,
  numKey,
  TASK_HEADS,
} from "./_family.ts";
import { HfEmbeddings } from "./_layers.ts";

const shapeOf = (s: tf.Shape | tf.Shape[]) => (Array.isArray(s[0]) ? s[0] : s) as tf.Shape;

/** The bucketed relative position `i − j` (DeBERTa's log buckets beyond `bucketSize / 2`). */
export function debertaRelativePosition(
  i: number,
  j: number,
  bucketSize: number,
  maxPosition: number,
): number {
  const rel = i - j;
  if (bucketSize <= 0 || maxPosition <= 0) return rel;
  const mid = Math.floor(bucketSize / 2);
  const abs = rel < mid && rel > -mid ? mid - 1 : Math.abs(rel);
  if (abs <= mid) return rel;
  // float32 as the reference computes it
  const ratio = Math.fround(
    Math.fround(Math.log(Math.fround(abs / mid))) /
      Math.fround(Math.log(Math.fround((maxPosition - 1) / mid))),
  );
  const logPos = Math.ceil(Math.fround(ratio * (mid - 1))) + mid;
  return Math.sign(rel) * logPos;
}

/** A weight table as a layer output (DeBERTa's relative position embeddings), [rows, size]. */
export class HfTable extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataHfTable";
  readonly rows: number;
  readonly size: number;
  readonly seed: number;
  #table?: tf.LayerVariable;

  /** @param args table shape and initializer seed. */
  constructor(args: { rows: number; size: number; seed: number; name?: string }) {
    super(args);
    this.rows = args.rows;
    this.size = args.size;
    this.seed = args.seed;
  }

  override build(): void {
    this.#table = this.addWeight(
      "table",
      [this.rows, this.size],
      "float32",
      tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(): tf.Shape {
    return [this.rows, this.size];
  }

  override call(): tf.Tensor {
    return this.#table!.read().clone();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rows: this.rows, size: this.size, seed: this.seed };
  }
}
tf.serialization.registerClass(HfTable);

/** Settings of {@linkcode HfDisentangledAttention}. */
export interface HfDisentangledAttentionArgs {
  hiddenSize: number;
  numHeads: number;
  c2p: boolean;
  p2c: boolean;
  /** Separate position projections (`share_att_key: false`). */
  separatePositionProjections: boolean;
  /** Rows used of the relative table: 2 × span. */
  span: number;
  positionBuckets: number;
  maxRelativePositions: number;
  seed: number;
  name?: string;
}

/**
 * DeBERTa's disentangled self-attention with its output projection: inputs `[x [b, s, h],
 * mask [b, s], relative embeddings [2·span, h]]` → [b, s, h]. Weights, in order: query, key,
 * value kernels and biases, [pos_key (c2p), pos_query (p2c) kernels and biases,] output kernel
 * and bias.
 */
export class HfDisentangledAttention extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataHfDisentangledAttention";
  readonly args: Omit<HfDisentangledAttentionArgs, "name">;
  #w: tf.LayerVariable[] = [];
  #indexCache = new Map<number, { c2p: Int32Array; p2c: Int32Array }>();
  #flatCache = new Map<string, Int32Array>();

  /** @param args sizes and the position terms. */
  constructor(args: HfDisentangledAttentionArgs) {
    super(args);
    const { name: _name, ...rest } = args;
    this.args = rest;
    if (args.hiddenSize % args.numHeads !== 0) {
      throw new RangeError(
        `hidden size ${args.hiddenSize} is not divisible by ${args.numHeads} attention heads`,
      );
    }
  }

  override build(): void {
    const h = this.args.hiddenSize;
    let seed = this.args.seed;
    const pair = (name: string) => [
      this.addWeight(
        `${name}_kernel`,
        [h, h],
        "float32",
        tf.initializers.truncatedNormal({ stddev: 0.02, seed: seed++ }),
      ),
      this.addWeight(`${name}_bias`, [h], "float32", tf.initializers.zeros()),
    ];
    const names = ["query", "key", "value"];
    if (this.args.separatePositionProjections) {
      if (this.args.c2p) names.push("pos_key");
      if (this.args.p2c) names.push("pos_query");
    }
    names.push("out");
    this.#w = names.flatMap(pair);
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeOf(s);
  }

  /**
   * Gather indices over [s, s] (position rows into the 2·span table): c2p by [query, key], p2c
   * by [key, query].
   */
  #indices(s: number) {
    let cached = this.#indexCache.get(s);
    if (cached) return cached;
    const a = this.args;
    const c2p = new Int32Array(s * s);
    const p2c = new Int32Array(s * s);
    const clamp = (v: number) => Math.min(Math.max(v, 0), 2 * a.span - 1);
    for (let i = 0; i < s; i++) {
      for (let j = 0; j < s; j++) {
        c2p[i * s + j] = clamp(
          debertaRelativePosition(i, j, a.positionBuckets, a.maxRelativePositions) + a.span,
        );
        // score[i, j] += k_j · Qr[clamp(−rel(j, i) + span)]
        p2c[i * s + j] = clamp(
          -debertaRelativePosition(j, i, a.positionBuckets, a.maxRelativePositions) + a.span,
        );
      }
    }
    // Gathered per key row: p2cT[j, i] = p2c[i, j].
    cached = { c2p, p2c: transposeIndex(p2c, s) };
    this.#indexCache.set(s, cached);
    return cached;
  }

  /** Flat indices into [rows, s, span2] of the entries idx[i, j] picks, [rows · s · s]. */
  #flatIndices(rows: number, s: number, span2: number, which: "c2p" | "p2c"): Int32Array {
    const key = `${rows}/${s}/${which}`;
    const idx = this.#indices(s)[which];
    const cached = this.#flatCache.get(key);
    if (cached) return cached;
    const out = new Int32Array(rows * s * s);
    for (let r = 0; r < rows * s; r++) {
      const i = r % s;
      for (let j = 0; j < s; j++) out[r * s + j] = r * span2 + idx[i * s + j];
    }
    if (this.#flatCache.size > 8) this.#flatCache.clear();
    this.#flatCache.set(key, out);
    return out;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, mask, rel] = inputs as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
      const [b, s, hid] = x.shape;
      const a = this.args;
      const heads = a.numHeads;
      const d = hid / heads;
      const w = this.#w.map((v) => v.read());
      const flat = tf.reshape(x, [b * s, hid]) as tf.Tensor2D;
      const proj = (t: tf.Tensor2D, k: number) =>
        tf.add(tf.matMul(t, w[k] as tf.Tensor2D), w[k + 1]);
      const split = (t: tf.Tensor, rows: number, batch: number) =>
        tf.transpose(tf.reshape(t, [batch, rows, heads, d]), [0, 2, 1, 3]); // [batch, heads, rows, d]
      const q = split(proj(flat, 0), s, b);
      const k = split(proj(flat, 2), s, b);
      const v = split(proj(flat, 4), s, b);
      const factor = 1 + (a.c2p ? 1 : 0) + (a.p2c ? 1 : 0);
      const scale = Math.sqrt(d * factor);
      let scores = tf.div(tf.matMul(q, k, false, true), scale); // [b, heads, s, s]
      const span2 = 2 * a.span;
      const table = a.c2p || a.p2c ? tf.slice(rel, [0, 0], [span2, hid]) as tf.Tensor2D : rel;
      const posKeyAt = a.separatePositionProjections ? 6 : 2;
      const posQueryAt = a.separatePositionProjections ? (a.c2p ? 8 : 6) : 0;
      // Gather along the last axis of [b, heads, s, 2·span] by [s, s] indices, flattened.
      const gatherRows = (full: tf.Tensor, which: "c2p" | "p2c") => {
        const base = this.#flatIndices(b * heads, s, span2, which);
        return tf.reshape(
          tf.gather(tf.reshape(full, [-1]), tf.tensor1d(base, "int32")),
          [b, heads, s, s],
        );
      };
      if (a.c2p) {
        const posKey = split(proj(table, posKeyAt), span2, 1); // [1, heads, 2span, d]
        const full = tf.matMul(q, tf.broadcastTo(posKey, [b, heads, span2, d]), false, true);
        scores = tf.add(scores, tf.div(gatherRows(full, "c2p"), scale));
      }
      if (a.p2c) {
        const posQuery = split(proj(table, posQueryAt), span2, 1);
        // [b, heads, s (key), 2span], gathered as [key j, query i], then transposed.
        const full = tf.matMul(k, tf.broadcastTo(posQuery, [b, heads, span2, d]), false, true);
        const byKey = gatherRows(full, "p2c");
        scores = tf.add(scores, tf.div(tf.transpose(byKey, [0, 1, 3, 2]), scale));
      }
      scores = tf.add(scores, tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [b, 1, 1, s]));
      const attended = tf.matMul(tf.softmax(scores, -1), v);
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [b * s, hid]) as tf.Tensor2D;
      const outAt = w.length - 2;
      return tf.reshape(proj(merged, outAt), [b, s, hid]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args };
  }
}
tf.serialization.registerClass(HfDisentangledAttention);

/** idx'[j, i] = idx[i, j] for an [s, s] index matrix. */
function transposeIndex(idx: Int32Array, s: number): Int32Array {
  const out = new Int32Array(s * s);
  for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) out[j * s + i] = idx[i * s + j];
  return out;
}

function posAttTypes(value: unknown, file: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === "string"
    ? value.toLowerCase().split("|").map((t) => t.trim())
    : Array.isArray(value)
    ? value.map(String)
    : undefined;
  if (!list || list.some((t) => t !== "c2p" && t !== "p2c")) {
    throw new HfConfigError(
      `${file}: "pos_att_type" must list "c2p" and/or "p2c", got ${JSON.stringify(value)}`,
    );
  }
  return list;
}

/** The `deberta` family (DeBERTa v2 / v3). */
export const DEBERTA: HfFamily = {
  name: "deberta",
  modelTypes: ["deberta-v2"],
  prefixes: ["deberta."],
  ignore: [
    /lm_predictions\..*/,
    /mask_predictions\..*/,
    /pooler\..*/,
    ...TASK_HEADS,
  ],
  defaultReduceOutput: "sum",
  hasPooler: false,
  architecture: (config, file) => {
    const { hiddenSize, numHeads } = hiddenAndHeads(config, file, {
      hidden: "hidden_size",
      heads: "num_attention_heads",
    });
    if (intKey(config, "conv_kernel_size", file, 0) > 0) {
      throw new HfConfigError(
        `${file}: "conv_kernel_size" > 0 (DeBERTa v2's convolution layer) is not supported`,
      );
    }
    const embeddingSize = intKey(config, "embedding_size", file, hiddenSize);
    const maxPositions = intKey(config, "max_position_embeddings", file, 512);
    const relative = config.relative_attention === true;
    let maxRel = typeof config.max_relative_positions === "number"
      ? config.max_relative_positions
      : -1;
    if (maxRel < 1) maxRel = maxPositions;
    const types = relative ? posAttTypes(config.pos_att_type, file) : [];
    const positionBiasedInput = config.position_biased_input ?? true;
    const norm = String(config.norm_rel_ebd ?? "none").toLowerCase().split("|").map((t) =>
      t.trim()
    );
    return {
      family: "deberta",
      modelType: "deberta-v2",
      vocabSize: intKey(config, "vocab_size", file),
      embeddingSize,
      hiddenSize,
      numLayers: intKey(config, "num_hidden_layers", file),
      numHeads,
      intermediateSize: intKey(config, "intermediate_size", file),
      activation: activationKey(config, "hidden_act", file, "gelu"),
      layerNormEps: numKey(config, "layer_norm_eps", file, 1e-7),
      maxPositions: positionBiasedInput ? maxPositions : 0,
      typeVocabSize: intKey(config, "type_vocab_size", file, 0),
      padTokenId: intKey(config, "pad_token_id", file, 0),
      positions: "absolute" as const,
      numHiddenGroups: 1,
      innerGroupNum: 1,
      hiddenDropout: numKey(config, "hidden_dropout_prob", file, 0.1),
      maxSequenceLength: maxPositions,
      relativeAttention: relative
        ? {
          c2p: types.includes("c2p"),
          p2c: types.includes("p2c"),
          shareAttKey: config.share_att_key === true,
          normRel: norm.includes("layer_norm"),
          // -1 (the default) or 0: no buckets
          positionBuckets: Math.max(0, numKey(config, "position_buckets", file, -1)),
          maxRelativePositions: maxRel,
        }
        : undefined,
    };
  },
  names: () => ({
    word: "embeddings.word_embeddings",
    position: "embeddings.position_embeddings",
    embeddingNorm: "embeddings.LayerNorm",
    block: () => {
      throw new Error("DeBERTa builds its own blocks");
    },
  }),
  body: (ids, mask, arch, kit) => {
    const extra = arch.relativeAttention ?? {
      c2p: false,
      p2c: false,
      shareAttKey: true,
      normRel: false,
      positionBuckets: 0,
      maxRelativePositions: arch.maxSequenceLength,
    };
    const embeddings = new HfEmbeddings({
      vocabSize: arch.vocabSize,
      embeddingSize: arch.embeddingSize,
      maxPositions: arch.maxPositions,
      typeVocabSize: arch.typeVocabSize,
      positions: "absolute",
      padIdx: arch.padTokenId,
      seed: kit.nextSeed(),
      name: kit.layerName("embeddings"),
    });
    let index = 0;
    kit.bindWeight(embeddings, index++, "embeddings.word_embeddings.weight");
    if (arch.maxPositions > 0) {
      kit.bindWeight(embeddings, index++, "embeddings.position_embeddings.weight");
    }
    if (arch.typeVocabSize > 0) {
      kit.bindWeight(embeddings, index++, "embeddings.token_type_embeddings.weight");
    }
    let h = embeddings.apply(ids) as tf.SymbolicTensor;
    if (arch.embeddingSize !== arch.hiddenSize) {
      const project = tf.layers.dense({
        units: arch.hiddenSize,
        useBias: false,
        name: kit.layerName("embeddings_embed_proj"),
      });
      kit.bindWeight(project, 0, "embeddings.embed_proj.weight", "linear");
      h = project.apply(h) as tf.SymbolicTensor;
    }
    h = kit.norm("embeddings.LayerNorm").apply(h) as tf.SymbolicTensor;
    h = new ApplyMask({ name: kit.layerName("embeddings_mask") }).apply([
      h,
      mask,
    ]) as tf.SymbolicTensor;
    h = kit.drop(h, "embeddings_dropout");

    const span = extra.positionBuckets > 0 ? extra.positionBuckets : extra.maxRelativePositions;
    let rel: tf.SymbolicTensor | undefined;
    if (arch.relativeAttention && (extra.c2p || extra.p2c)) {
      const table = new HfTable({
        rows: 2 * span,
        size: arch.hiddenSize,
        seed: kit.nextSeed(),
        name: kit.layerName("rel_embeddings"),
      });
      kit.bindWeight(table, 0, "encoder.rel_embeddings.weight");
      rel = table.apply(ids) as tf.SymbolicTensor;
      if (extra.normRel) rel = kit.norm("encoder.LayerNorm").apply(rel) as tf.SymbolicTensor;
    }
    const add = (a: tf.SymbolicTensor, b: tf.SymbolicTensor, what: string) =>
      tf.layers.add({ name: kit.layerName(what) }).apply([a, b]) as tf.SymbolicTensor;
    for (let i = 0; i < arch.numLayers; i++) {
      const p = `encoder.layer.${i}.`;
      const attention = new HfDisentangledAttention({
        hiddenSize: arch.hiddenSize,
        numHeads: arch.numHeads,
        c2p: extra.c2p,
        p2c: extra.p2c,
        separatePositionProjections: !extra.shareAttKey,
        span,
        positionBuckets: extra.positionBuckets,
        maxRelativePositions: extra.maxRelativePositions,
        seed: kit.nextSeed(),
        name: kit.layerName(`${p}attention`.replaceAll(".", "_")),
      });
      const projections = ["query_proj", "key_proj", "value_proj"];
      if (!extra.shareAttKey && extra.c2p) projections.push("pos_key_proj");
      if (!extra.shareAttKey && extra.p2c) projections.push("pos_query_proj");
      projections.forEach((name, k) => {
        kit.bindWeight(attention, 2 * k, `${p}attention.self.${name}.weight`, "linear");
        kit.bindWeight(attention, 2 * k + 1, `${p}attention.self.${name}.bias`);
      });
      const outAt = 2 * projections.length;
      kit.bindWeight(attention, outAt, `${p}attention.output.dense.weight`, "linear");
      kit.bindWeight(attention, outAt + 1, `${p}attention.output.dense.bias`);
      const attnInputs = rel ? [h, mask, rel] : [h, mask, h];
      const a = kit.drop(attention.apply(attnInputs) as tf.SymbolicTensor, `${p}attention_dropout`);
      const y = kit.norm(`${p}attention.output.LayerNorm`).apply(
        add(a, h, `${p}attention_residual`),
      ) as tf.SymbolicTensor;
      const f = kit.drop(
        kit.dense(`${p}output.dense`, arch.hiddenSize).apply(
          kit.dense(`${p}intermediate.dense`, arch.intermediateSize, arch.activation).apply(y),
        ) as tf.SymbolicTensor,
        `${p}ffn_dropout`,
      );
      h = kit.norm(`${p}output.LayerNorm`).apply(
        add(f, y, `${p}ffn_residual`),
      ) as tf.SymbolicTensor;
    }
    return { sequence: h };
  },
};
