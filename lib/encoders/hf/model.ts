/**
 * The common builder of the Hugging Face encoders on the TF.js layers API, the reader of their
 * weights, and the frozen-encoder batch runner of the embedding cache.
 *
 * Graph (post-layer-norm, as every family here): embeddings (word + position + token type 0) →
 * LayerNorm → dropout → [projection to hidden_size] → blocks of self-attention → add & LayerNorm
 * → dense(act) → dense → add & LayerNorm; the padding mask comes from the ids (`pad_token_id`)
 * and keeps padded keys out of every attention, so no real output depends on the padding
 * length. Outputs: the sequence [batch, seq, hidden], the pooled vector [batch, hidden] (the
 * pooler's dense + tanh on the first token where the model has a pooler, else the first token's
 * hidden state), and the reduction of `reduce_output`.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import { MultiHeadSelfAttention } from "../../model/_attention.ts";
import { ApplyMask, TokenMask } from "../../model/_mask.ts";
import { SequenceReduce } from "../../model/reduce.ts";
import {
  assertWeightsMatch,
  mapNames,
  type NamedTensors,
  type NameRule,
  type RawTensor,
  readWeights,
  toFloat32,
  WeightsError,
} from "../../pretrained/mod.ts";
import type { HfTokenizer } from "../../pretrained/tokenizer.ts";
import type { HfArchitecture, HfBuildKit, HfFamily, HfNames, HfReduceOutput } from "./_family.ts";
import { HfContentMask, HfEmbeddings, HfFirstToken } from "./_layers.ts";

/** Options of {@linkcode buildHfGraph}. */
export interface HfGraphOptions {
  /** Layer name scope (unique per feature); default `"hf"`. */
  scope?: string;
  /** Ludwig's `reduce_output`; default the family's. */
  reduceOutput?: HfReduceOutput;
  /** Build the pooler (dense + tanh); default the family's (false when the weights lack it). */
  pooler?: boolean;
  /** Dropout layers while training (off in inference either way); default true. */
  dropout?: boolean;
  /** Initializer seed for a build without pretrained weights; default 42. */
  seed?: number;
}

/** One parameter of the built graph and its Hugging Face name. */
export interface HfBinding {
  /** The Hugging Face name (`embeddings.word_embeddings.weight`, …). */
  hfName: string;
  layer: tf.layers.Layer;
  /** Index in `layer.weights` (after the layer is built). */
  index: number;
  /** Linear weights are stored [out, in] and transposed. */
  transform: "none" | "linear";
}

/** The symbolic outputs of {@linkcode buildHfGraph}. */
export interface HfGraph {
  /** Last hidden state [batch, seq, hidden] (padded steps not zeroed). */
  sequence: tf.SymbolicTensor;
  /** Pooled output [batch, hidden]. */
  pooled: tf.SymbolicTensor;
  /** The padding mask [batch, seq] (1 real, 0 padding). */
  mask: tf.SymbolicTensor;
  /**
   * The `reduce_output` result: [batch, hidden], or for `null` the sequence [batch, seq, hidden]
   * with padded steps zeroed.
   */
  output: tf.SymbolicTensor;
  /** Every parameter with its Hugging Face name. */
  bindings: HfBinding[];
}

/**
 * Build an encoder graph on token ids [batch, seq] (int32, right-padded with
 * `arch.padTokenId`).
 */
export function buildHfGraph(
  ids: tf.SymbolicTensor,
  family: HfFamily,
  arch: HfArchitecture,
  options: HfGraphOptions = {},
): HfGraph {
  const scope = options.scope ?? "hf";
  const names: HfNames = family.names(arch);
  const seed = options.seed ?? 42;
  let seedCounter = 0;
  const nextSeed = () => seed + 7919 * ++seedCounter;
  const dropout = options.dropout ?? true;
  const bindings: HfBinding[] = [];
  const bind = (layer: tf.layers.Layer, path: string, kind: "linear" | "norm") => {
    bindings.push({
      hfName: `${path}.weight`,
      layer,
      index: 0,
      transform: kind === "linear" ? "linear" : "none",
    });
    bindings.push({ hfName: `${path}.bias`, layer, index: 1, transform: "none" });
  };
  const layerName = (what: string) => `${scope}/${what}`;
  const norm = (path: string) => {
    const l = tf.layers.layerNormalization({
      epsilon: arch.layerNormEps,
      name: layerName(path.replaceAll(".", "_")),
    });
    bind(l, path, "norm");
    return l;
  };
  const dense = (path: string, units: number, activation?: string) => {
    const l = tf.layers.dense({
      units,
      activation: activation as "linear" | undefined,
      kernelInitializer: tf.initializers.truncatedNormal({ stddev: 0.02, seed: nextSeed() }),
      name: layerName(path.replaceAll(".", "_")),
    });
    bind(l, path, "linear");
    return l;
  };
  const drop = (x: tf.SymbolicTensor, what: string) =>
    dropout && arch.hiddenDropout > 0
      ? tf.layers.dropout({ rate: arch.hiddenDropout, seed: nextSeed(), name: layerName(what) })
        .apply(x) as tf.SymbolicTensor
      : x;

  const mask = new TokenMask({ padIdx: arch.padTokenId, name: layerName("mask") })
    .apply(ids) as tf.SymbolicTensor;
  const kit: HfBuildKit = {
    layerName,
    nextSeed,
    bindWeight: (layer, index, hfName, transform = "none") =>
      bindings.push({ hfName, layer, index, transform }),
    norm,
    dense,
    drop,
  };
  let sequence: tf.SymbolicTensor;
  let ownPooled: tf.SymbolicTensor | undefined;
  if (family.body) {
    const out = family.body(ids, mask, arch, kit);
    sequence = out.sequence;
    ownPooled = out.pooled;
  } else {
    sequence = bertBody();
  }

  function bertBody(): tf.SymbolicTensor {
    const embeddings = new HfEmbeddings({
      vocabSize: arch.vocabSize,
      embeddingSize: arch.embeddingSize,
      maxPositions: arch.maxPositions,
      typeVocabSize: names.tokenType ? arch.typeVocabSize : 0,
      positions: arch.positions,
      padIdx: arch.padTokenId,
      seed: nextSeed(),
      name: layerName("embeddings"),
    });
    bindings.push({
      hfName: `${names.word}.weight`,
      layer: embeddings,
      index: 0,
      transform: "none",
    });
    bindings.push({
      hfName: `${names.position}.weight`,
      layer: embeddings,
      index: 1,
      transform: "none",
    });
    if (names.tokenType && arch.typeVocabSize > 0) {
      bindings.push({
        hfName: `${names.tokenType}.weight`,
        layer: embeddings,
        index: 2,
        transform: "none",
      });
    }
    let h = embeddings.apply(ids) as tf.SymbolicTensor;
    h = norm(names.embeddingNorm).apply(h) as tf.SymbolicTensor;
    h = drop(h, "embeddings_dropout");
    if (names.embeddingProjection) {
      h = dense(names.embeddingProjection, arch.hiddenSize).apply(h) as tf.SymbolicTensor;
    }

    // Which block runs at each step: one per layer, or ALBERT's shared groups.
    const schedule: number[] = [];
    const perGroup = arch.numLayers / arch.numHiddenGroups;
    for (let i = 0; i < arch.numLayers; i++) {
      if (family.name !== "albert") schedule.push(i);
      else {
        const g = Math.floor(i / perGroup);
        for (let j = 0; j < arch.innerGroupNum; j++) schedule.push(g * arch.innerGroupNum + j);
      }
    }
    const blocks = new Map<number, (x: tf.SymbolicTensor, step: number) => tf.SymbolicTensor>();
    const makeBlock = (index: number) => {
      const n = names.block(index);
      const attention = new MultiHeadSelfAttention({
        hiddenSize: arch.hiddenSize,
        numHeads: arch.numHeads,
        seed: nextSeed(),
        name: layerName(`block_${index}_attention`),
      });
      for (const [path, k] of [[n.query, 0], [n.key, 2], [n.value, 4], [n.attentionOutput, 6]]) {
        bindings.push({
          hfName: `${path}.weight`,
          layer: attention,
          index: k as number,
          transform: "linear",
        });
        bindings.push({
          hfName: `${path}.bias`,
          layer: attention,
          index: (k as number) + 1,
          transform: "none",
        });
      }
      const attentionNorm = norm(n.attentionNorm);
      const ffnIn = dense(n.ffnIn, arch.intermediateSize, arch.activation);
      const ffnOut = dense(n.ffnOut, arch.hiddenSize);
      const ffnNorm = norm(n.ffnNorm);
      return (x: tf.SymbolicTensor, step: number) => {
        const tag = `step_${step}`;
        const a = drop(attention.apply([x, mask]) as tf.SymbolicTensor, `${tag}_attention_dropout`);
        const sum1 = tf.layers.add({ name: layerName(`${tag}_attention_residual`) })
          .apply([a, x]) as tf.SymbolicTensor;
        const y = attentionNorm.apply(sum1) as tf.SymbolicTensor;
        const f = drop(
          ffnOut.apply(ffnIn.apply(y) as tf.SymbolicTensor) as tf.SymbolicTensor,
          `${tag}_ffn_dropout`,
        );
        const sum2 = tf.layers.add({ name: layerName(`${tag}_ffn_residual`) })
          .apply([f, y]) as tf.SymbolicTensor;
        return ffnNorm.apply(sum2) as tf.SymbolicTensor;
      };
    };
    schedule.forEach((index, step) => {
      let block = blocks.get(index);
      if (!block) {
        block = makeBlock(index);
        blocks.set(index, block);
      }
      h = block(h, step);
    });
    return h;
  }

  const withPooler = (options.pooler ?? family.hasPooler) && names.pooler !== undefined;
  let pooled: tf.SymbolicTensor;
  if (ownPooled) pooled = ownPooled;
  else if (withPooler || (family.poolFallback ?? "first") === "first") {
    const first = new HfFirstToken({ name: layerName("first_token") })
      .apply(sequence) as tf.SymbolicTensor;
    pooled = withPooler
      ? dense(names.pooler!, arch.hiddenSize, "tanh").apply(first) as tf.SymbolicTensor
      : first;
  } else {
    pooled = new SequenceReduce({
      mode: family.poolFallback === "last" ? "last" : "mean",
      name: layerName("pooled"),
    }).apply([sequence, mask]) as tf.SymbolicTensor;
  }

  const reduce = options.reduceOutput === undefined
    ? family.defaultReduceOutput
    : options.reduceOutput;
  let output: tf.SymbolicTensor;
  if (reduce === "cls_pooled") {
    // Its own tensor, so that a model may output it beside `pooled`.
    output = tf.layers.activation({ activation: "linear", name: layerName("cls_pooled") })
      .apply(pooled) as tf.SymbolicTensor;
  } else if (reduce === null) {
    output = new ApplyMask({ name: layerName("masked_sequence") }).apply([
      sequence,
      mask,
    ]) as tf.SymbolicTensor;
  } else {
    const ends = family.specialTokens ?? { first: true, last: true };
    const content = new HfContentMask({
      dropFirst: ends.first,
      dropLast: ends.last,
      name: layerName("content_mask"),
    }).apply(mask) as tf.SymbolicTensor;
    output = new SequenceReduce({
      mode: reduce === "avg" ? "mean" : reduce,
      name: layerName(`reduce_${reduce}`),
    }).apply([sequence, content]) as tf.SymbolicTensor;
  }
  releaseSharedCalls(bindings);
  return { sequence, pooled, mask, output, bindings };
}

/**
 * TF.js counts a layer's references per symbolic call, so a block shared across depth (ALBERT
 * applies one block `num_hidden_layers` times) would outlive `model.dispose()`: count each
 * shared layer once for its model.
 */
function releaseSharedCalls(bindings: readonly HfBinding[]): void {
  for (const layer of new Set(bindings.map((b) => b.layer))) {
    const extra = layer.inboundNodes.length - 1;
    const counted = layer as unknown as { _refCount: number | null };
    if (extra > 0 && typeof counted._refCount === "number") counted._refCount -= extra;
  }
}

/** The task-model prefix of a checkpoint: the one under which the word embeddings are. */
function stripPrefix(names: Iterable<string>, family: HfFamily, wordName: string): string {
  const all = [...names];
  for (const prefix of ["", ...family.prefixes]) {
    if (all.includes(`${prefix}${wordName}`)) return prefix;
  }
  return "";
}

/**
 * Set the graph's parameters from a checkpoint's tensors (Hugging Face names, any task-model
 * prefix of the family, unused heads ignored).
 *
 * @throws {WeightsError} Missing, unexpected or mis-shaped weights, listing the first ones.
 */
export function assignHfWeights(
  graph: Pick<HfGraph, "bindings">,
  family: HfFamily,
  arch: HfArchitecture,
  source: NamedTensors,
  file: string,
): void {
  for (const [layer, values] of mapHfWeights(graph, family, arch, source, file)) {
    const tensors = values.map((v) => tf.tensor(v.values, [...v.shape], "float32"));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
}

/**
 * The values {@linkcode assignHfWeights} sets, by layer (every weight of the layer, in
 * `layer.weights` order; weights no checkpoint tensor binds keep their current values): what a
 * build registers in its weights store.
 *
 * @throws {WeightsError} Missing, unexpected or mis-shaped weights, listing the first ones.
 */
export function mapHfWeights(
  graph: Pick<HfGraph, "bindings">,
  family: HfFamily,
  arch: HfArchitecture,
  source: NamedTensors,
  file: string,
): Map<tf.layers.Layer, { values: Float32Array; shape: number[] }[]> {
  const names = family.names(arch);
  // Checkpoints converted from TensorFlow (bert-base-uncased's pytorch_model.bin) name the
  // LayerNorm parameters gamma and beta; Hugging Face reads them as weight and bias.
  if ([...source.keys()].some((k) => /\.(gamma|beta)$/.test(k))) {
    source = new Map(
      [...source].map((
        [k, v],
      ) => [k.replace(/\.gamma$/, ".weight").replace(/\.beta$/, ".bias"), v]),
    );
  }
  const prefix = stripPrefix(source.keys(), family, `${names.word}.weight`);
  const rules: NameRule[] = graph.bindings.map((b) => ({
    from: b.hfName,
    to: b.hfName,
    transform: b.transform,
  }));
  const ignore = [...family.ignore];
  if (graph.bindings.every((b) => !b.hfName.startsWith(`${names.pooler}.`)) && names.pooler) {
    ignore.push(new RegExp(`${names.pooler.replaceAll(".", "\\.")}\\..*`));
  }
  const mapped = mapNames(source, rules, {
    stripPrefixes: prefix === "" ? [] : [prefix],
    ignore,
  });
  const expected = new Map<string, number[]>();
  for (const b of graph.bindings) {
    const shape = b.layer.weights[b.index].shape as number[];
    expected.set(b.hfName, shape);
  }
  const received = new Map(mapped.tensors);
  for (const name of mapped.unmatched) {
    const stripped = prefix !== "" && name.startsWith(prefix) ? name.slice(prefix.length) : name;
    received.set(`${stripped}`, source.get(name)!);
  }
  assertWeightsMatch(expected, received, file);
  const byLayer = new Map<tf.layers.Layer, { values: Float32Array; shape: number[] }[]>();
  for (const b of graph.bindings) {
    const t = mapped.tensors.get(b.hfName) as RawTensor;
    const values = byLayer.get(b.layer) ??
      b.layer.weights.map((w) => ({
        values: w.read().dataSync() as Float32Array,
        shape: [...w.shape] as number[],
      }));
    values[b.index] = { values: toFloat32(t), shape: [...t.shape] };
    byLayer.set(b.layer, values);
  }
  return byLayer;
}

/** Read a weights file (`model.safetensors` or `pytorch_model.bin`). */
export async function readHfWeights(file: string): Promise<NamedTensors> {
  try {
    return await readWeights(file);
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError((e as Error).message, { file, action: "Cannot read weights" });
  }
}

/** Options of {@linkcode encodeTexts}. */
export interface EncodeTextsOptions {
  /** Texts per forward pass; default 32. */
  batchSize?: number;
  /** Row length, special tokens included (an encoder's `maxSequenceLength`). */
  maxLength: number;
}

/**
 * Run a frozen encoder over texts in inference mode (dropout off): tokenize, run in batches,
 * and return the outputs row-major, [texts, …output shape] as one Float32Array (the embedding
 * cache's contents).
 *
 * @param model A model whose single input is token ids [batch, seq] and whose first output is
 * the encoder output (see {@linkcode HfEncoder.model}).
 */
export function encodeTexts(
  model: tf.LayersModel,
  tokenizer: HfTokenizer,
  texts: readonly string[],
  options: EncodeTextsOptions,
): { values: Float32Array; shape: number[] } {
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const outShape = (model.outputs[0].shape as (number | null)[]).slice(1).map((d) =>
    d === null ? options.maxLength : d
  );
  const per = outShape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(texts.length * per);
  for (let start = 0; start < texts.length; start += batchSize) {
    const chunk = texts.slice(start, start + batchSize);
    const batch = tokenizer.encode(chunk, { maxLength: options.maxLength });
    const out = tf.tidy(() => {
      const ids = tf.tensor2d(batch.ids, [batch.n, batch.maxLength], "int32");
      const y = model.predict(ids);
      return (Array.isArray(y) ? y[0] : y) as tf.Tensor;
    });
    values.set(out.dataSync() as Float32Array, start * per);
    out.dispose();
  }
  return { values, shape: [texts.length, ...outShape] };
}
