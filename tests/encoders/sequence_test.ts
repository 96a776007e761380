/**
 * Sequence and text encoders: every encoder × every `reduce_output` builds with the right
 * shape and ignores padding (appending padding changes nothing); each encoder trains on a small
 * learnable task, saves and reloads to the same predictions, and frees its tensors; TF-IDF
 * values; `should_embed: false`; left padding; sparse and pretrained embeddings.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../lib/compute/mod.ts";
import { ENCODERS } from "../../lib/encoders/mod.ts";
import { encoderEntry } from "../../lib/config/components.ts";
import type { EncoderImpl, Symbolic } from "../../lib/model/component.ts";
import {
  applyInitialWeights,
  type BuildContextOptions,
  createBuildContext,
} from "../../lib/model/ecd.ts";
import { loadPretrainedEmbeddings } from "../../lib/pretrained/glove.ts";
import { resetDropoutSeeds } from "../../lib/model/layers.ts";
import { buildVocabulary, encodeSequences, tfidfMatrix } from "../../lib/data/vocabulary.ts";

await ready({ compute: "auto", quiet: true });

type Obj = Record<string, unknown>;

const V = 20; // 0 <EOS>, 1 <SOS>, 2 <PAD>, 3 <UNK>, 4..19 tokens
const PAD = 2;
const META: Obj = { vocab_size: V, pad_idx: PAD, max_sequence_length: 12 };

/** Small sizes for every encoder; FC stacks off so the reduction is the output. */
const SMALL: Record<string, Obj> = {
  embed: { embedding_size: 6 },
  parallel_cnn: { embedding_size: 6, num_filters: 4, num_fc_layers: 0 },
  stacked_cnn: { embedding_size: 6, num_filters: 4, num_fc_layers: 0 },
  stacked_parallel_cnn: { embedding_size: 6, num_filters: 4, num_fc_layers: 0 },
  rnn: { embedding_size: 6, state_size: 5, cell_type: "lstm", bidirectional: true },
  cnnrnn: { embedding_size: 6, num_filters: 4, state_size: 5, cell_type: "gru" },
  transformer: { embedding_size: 8, hidden_size: 8, num_heads: 2, transformer_output_size: 8 },
};
const REDUCES = ["sum", "mean", "avg", "max", "concat", "last", "attention", null] as const;

function resolve(input: Obj): Obj {
  const entry = encoderEntry("text", input.type as string);
  assert.ok(entry, `no encoder ${input.type}`);
  return (entry.schema as unknown as { parse(v: unknown): Obj }).parse(input);
}

async function impl(type: string): Promise<EncoderImpl> {
  const entry = encoderEntry("text", type);
  assert.ok(entry?.load, `encoder ${type} has no load()`);
  return await entry.load() as unknown as EncoderImpl;
}

/** An encoder model on token ids of length `length` (or vectors [length, dim]). */
async function encoderModel(
  input: Obj,
  length: number,
  extra: BuildContextOptions = {},
  vectorDim?: number,
): Promise<tf.LayersModel> {
  const config = resolve(input);
  const build = (await impl(config.type as string)).build;
  const x = vectorDim
    ? tf.input({ shape: [length, vectorDim], name: "x" })
    : tf.input({ shape: [length], dtype: "int32", name: "x" });
  const ctx = createBuildContext({
    scope: "text",
    seed: 3,
    ...extra,
    metadata: { ...META, max_sequence_length: length, ...extra.metadata },
  });
  const out = (await build(config, ctx))(x as Symbolic);
  const model = tf.model({ inputs: x, outputs: out });
  applyInitialWeights(model, ctx.weights);
  return model;
}

/** Rows `<SOS> tokens <EOS>` padded to `length`. */
function ids(rows: number[][], length: number): tf.Tensor2D {
  const data = rows.flatMap((r) => {
    const seq = [1, ...r, 0];
    return [...seq, ...Array(length - seq.length).fill(PAD)];
  });
  return tf.tensor2d(data, [rows.length, length], "int32");
}

const ROWS = [[4, 5, 6], [7], [8, 9, 10, 11, 12, 13, 14], [15, 16, 17, 18, 19, 4, 5, 6]];

/** B's weights from A's: equal shapes copied; longer first axes (positions) extended. */
function transferWeights(a: tf.LayersModel, b: tf.LayersModel): void {
  const wa = a.getWeights();
  const wb = b.getWeights();
  assert.equal(wa.length, wb.length);
  const next = wa.map((w, i) => {
    const target = wb[i];
    if (w.shape.join() === target.shape.join()) return w.clone();
    assert.equal(w.shape.length, 2, `weight ${i}: ${w.shape} vs ${target.shape}`);
    const rest = tf.slice(target, [w.shape[0], 0], [-1, -1]);
    const out = tf.concat([w, rest], 0);
    rest.dispose();
    return out;
  });
  b.setWeights(next);
  tf.dispose(next);
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Output of the long model minus the short one's: equal on the short part, zero after. */
function comparePadded(short: tf.Tensor, long: tf.Tensor, what: string): void {
  if (short.shape.join() === long.shape.join()) {
    assert.ok(maxDiff(short, long) < 1e-4, `${what}: padding changed the output`);
    return;
  }
  // Rank 3 (no reduction) or concat (flattened steps): compare the common prefix.
  const b = short.shape[0];
  const s = tf.reshape(short, [b, -1]);
  const l = tf.reshape(long, [b, -1]);
  const n = s.shape[1]!;
  const head = tf.slice(l, [0, 0], [-1, n]);
  const tail = tf.slice(l, [0, n], [-1, -1]);
  assert.ok(maxDiff(s, head) < 1e-4, `${what}: padding changed the real steps`);
  const tailMax = tf.tidy(() => tf.max(tf.abs(tail)).dataSync()[0]);
  assert.equal(tailMax, 0, `${what}: padded steps are not zero`);
  tf.dispose([s, l, head, tail]);
}

Deno.test("sequence encoders: every text/sequence encoder entry has an implementation", () => {
  for (const e of ENCODERS) {
    if (e.featureTypes.some((t) => t === "text" || t === "sequence")) {
      assert.ok(e.load, `${e.type} has no load()`);
    }
  }
});

for (const [type, small] of Object.entries(SMALL)) {
  Deno.test(`${type}: every reduce_output has the right shape and ignores padding`, async () => {
    const baseline = tf.memory().numTensors;
    for (const reduce of REDUCES) {
      const input = { type, ...small, reduce_output: reduce };
      const a = await encoderModel(input, 12);
      const b = await encoderModel(input, 16);
      const out = a.outputs[0].shape;
      if (reduce === null) assert.equal(out.length, 3, `${type}/${reduce}: rank 3`);
      else assert.equal(out.length, 2, `${type}/${reduce}: rank 2`);
      transferWeights(a, b);
      const [x12, x16] = [ids(ROWS, 12), ids(ROWS, 16)];
      const [ya, yb] = [a.predict(x12) as tf.Tensor, b.predict(x16) as tf.Tensor];
      assert.deepEqual(ya.shape.slice(1), out.slice(1), `${type}/${reduce}: predicted shape`);
      assert.ok(ya.dataSync().every(Number.isFinite), `${type}/${reduce}: finite`);
      comparePadded(ya, yb, `${type}/${reduce}`);
      tf.dispose([x12, x16, ya, yb]);
      a.dispose();
      b.dispose();
    }
    assert.equal(tf.memory().numTensors, baseline, "no tensor leaks");
  });
}

/** Task: is token 5 in the row? Rows of random tokens 4..19, lengths 1..8, padded to 12. */
function task(n: number, seed = 1): { x: tf.Tensor2D; y: tf.Tensor2D; rows: number[][] } {
  let s = seed;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(rand() * 8);
    const row = Array.from({ length: len }, () => 4 + Math.floor(rand() * 16));
    if (i % 2 === 0 && !row.includes(5)) row[Math.floor(rand() * len)] = 5;
    rows.push(row);
    y.push(row.includes(5) ? 1 : 0);
  }
  return { x: ids(rows, 12), y: tf.tensor2d(y, [n, 1]), rows };
}

const TRAIN: Record<string, Obj> = {
  embed: { embedding_size: 8, reduce_output: "sum" },
  parallel_cnn: { embedding_size: 8, num_filters: 8, fc_layers: [{ output_size: 8 }] },
  stacked_cnn: { embedding_size: 8, num_filters: 8, num_fc_layers: 1, output_size: 8 },
  stacked_parallel_cnn: {
    embedding_size: 8,
    num_filters: 4,
    num_stacked_layers: 2,
    num_fc_layers: 1,
    output_size: 8,
  },
  rnn: { embedding_size: 8, state_size: 8, cell_type: "gru", reduce_output: "last" },
  cnnrnn: { embedding_size: 8, num_filters: 8, state_size: 8, cell_type: "rnn" },
  transformer: {
    embedding_size: 8,
    hidden_size: 8,
    num_heads: 2,
    transformer_output_size: 16,
    dropout: 0.1,
    reduce_output: "max",
  },
  tf_idf: {},
};

for (const [type, small] of Object.entries(TRAIN)) {
  Deno.test(`${type}: trains, saves and reloads to the same predictions, frees its tensors`, async () => {
    const baseline = tf.memory().numTensors;
    const data = task(64);
    const vocab = buildVocabulary(
      data.rows.map((r) => r.map((t) => `t${t}`).join(" ")),
      { computeIdf: true },
    );
    const idf: Record<string, number> = {};
    for (let i = 0; i < V; i++) idf[`i${i}`] = i < 4 ? 0 : 1 + (i % 3) / 3;
    const extra: BuildContextOptions = type === "tf_idf"
      ? {
        metadata: {
          ...META,
          idx2str: Array.from({ length: V }, (_, i) => `i${i}`),
          str2idf: idf,
        },
      }
      : {};
    assert.ok(vocab.size > 0);
    const enc = await encoderModel({ type, ...small }, 12, extra);
    const head = tf.layers.dense({
      units: 1,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
      name: "head",
    });
    const model = tf.model({
      inputs: enc.inputs,
      outputs: head.apply(enc.outputs[0]) as Symbolic,
    });
    resetDropoutSeeds(3);
    const optimizer = tf.train.adam(type === "tf_idf" ? 0.1 : 0.02);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const { value, grads } = tf.variableGrads(() =>
        tf.losses.sigmoidCrossEntropy(
          data.y,
          model.apply(data.x, { training: true }) as tf.Tensor,
        ) as tf.Scalar, vars);
      optimizer.applyGradients(grads as tf.NamedTensorMap as never);
      losses.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    optimizer.dispose();
    assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
    const best = Math.min(...losses.slice(-5));
    assert.ok(best < losses[0] * 0.8, `loss falls: ${losses.map((l) => l.toFixed(3)).join(" ")}`);
    const before = model.predict(data.x) as tf.Tensor;
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler((a) => {
      artifacts = a;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
      });
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const after = loaded.predict(data.x) as tf.Tensor;
    assert.ok(maxDiff(before, after) < 1e-5, "save → load predicts the same");
    tf.dispose([before, after, data.x, data.y]);
    loaded.dispose();
    model.dispose();
    assert.equal(tf.memory().numTensors, baseline, "no tensor leaks");
  });
}

Deno.test("tf_idf: padding-excluded term frequencies times IDF, as tfidfMatrix rescaled", async () => {
  const texts = ["a b a", "c", "b c d e"];
  const vocab = buildVocabulary(texts, { computeIdf: true });
  const meta = vocab.toTextMetadata({ maxSequenceLength: 10 });
  const encoded = encodeSequences(texts, vocab, { length: 10 });
  const expected = tfidfMatrix(encoded, vocab);
  const model = await encoderModel({ type: "tf_idf" }, 10, {
    metadata: meta as unknown as Obj,
  });
  const x = tf.tensor2d(encoded.data as Int32Array, [3, 10], "int32");
  const y = (model.predict(x) as tf.Tensor).arraySync() as number[][];
  texts.forEach((t, i) => {
    const real = t.split(" ").length + 2; // <SOS> … <EOS>
    for (let k = 0; k < vocab.size; k++) {
      const want = expected.data[i * vocab.size + k] * 10 / real;
      assert.ok(Math.abs(y[i][k] - want) < 1e-6, `row ${i} index ${k}: ${y[i][k]} vs ${want}`);
    }
  });
  x.dispose();
  model.dispose();
});

Deno.test("should_embed false: vector sequences, zero steps are padding", async () => {
  for (const type of ["parallel_cnn", "stacked_cnn", "rnn", "cnnrnn", "transformer"]) {
    const input = { type, ...SMALL[type], should_embed: false, reduce_output: "mean" };
    const a = await encoderModel(input, 6, {}, 3);
    const b = await encoderModel(input, 9, {}, 3);
    transferWeights(a, b);
    const values = Array.from({ length: 2 * 6 * 3 }, (_, i) => Math.sin(i + 1));
    for (let i = 4 * 3; i < 6 * 3; i++) values[i] = 0; // row 0 has 4 real steps
    const x6 = tf.tensor3d(values, [2, 6, 3]);
    const x9 = tf.pad(x6, [[0, 0], [0, 3], [0, 0]]);
    const [ya, yb] = [a.predict(x6) as tf.Tensor, b.predict(x9) as tf.Tensor];
    assert.deepEqual(ya.shape, [2, a.outputs[0].shape[1]]);
    comparePadded(ya, yb, `${type} without embedding`);
    tf.dispose([x6, x9, ya, yb]);
    a.dispose();
    b.dispose();
  }
});

Deno.test("left padding: rows are encoded as if padded on the right", async () => {
  for (const type of ["rnn", "stacked_cnn", "transformer"]) {
    const input = { type, ...SMALL[type], reduce_output: "last" };
    const right = await encoderModel(input, 12);
    const left = await encoderModel(input, 12, { preprocessing: { padding: "left" } });
    transferWeights(right, left);
    const r = ids(ROWS, 12);
    const l = tf.tensor2d(
      ROWS.flatMap((row) => {
        const seq = [1, ...row, 0];
        return [...Array(12 - seq.length).fill(PAD), ...seq];
      }),
      [ROWS.length, 12],
      "int32",
    );
    const [yr, yl] = [right.predict(r) as tf.Tensor, left.predict(l) as tf.Tensor];
    assert.ok(maxDiff(yr, yl) < 1e-4, `${type}: left and right padding agree`);
    tf.dispose([r, l, yr, yl]);
    right.dispose();
    left.dispose();
  }
});

Deno.test("embeddings: sparse one-hot, pretrained vectors, frozen, min(vocab, size)", async () => {
  const sparse = await encoderModel(
    { type: "embed", representation: "sparse", reduce_output: "sum" },
    8,
  );
  const x = ids([[4, 4, 7]], 8);
  const y = (sparse.predict(x) as tf.Tensor).arraySync() as number[][];
  assert.equal(y[0].length, V);
  assert.deepEqual([y[0][4], y[0][7], y[0][1], y[0][0], y[0][PAD]], [2, 1, 1, 1, 0]);
  assert.equal(sparse.trainableWeights.length, 0);
  sparse.dispose();

  // A GloVe file with vectors for the tokens (the special symbols get seeded random vectors).
  const idx2str = [
    "<EOS>",
    "<SOS>",
    "<PAD>",
    "<UNK>",
    ...Array.from({ length: V - 4 }, (_, i) => `t${i + 4}`),
  ];
  const glove = await Deno.makeTempFile({ suffix: ".txt" });
  await Deno.writeTextFile(
    glove,
    idx2str.slice(4).map((t, i) => `${t} ${i / 10} ${i / 5} ${-i / 10}`).join("\n") + "\n",
  );
  const { matrix } = await loadPretrainedEmbeddings(glove, idx2str, { seed: 3, cache: false });
  const pre = await encoderModel(
    {
      type: "parallel_cnn",
      embeddings_trainable: false,
      num_filters: 2,
      num_fc_layers: 0,
      pretrained_embeddings: glove,
    },
    8,
    { metadata: { idx2str } },
  );
  await Deno.remove(glove);
  const emb = pre.layers.find((l) => l.getClassName() === "Embedding")!;
  assert.equal(emb.trainable, false);
  assert.deepEqual(Array.from(emb.getWeights()[0].dataSync()), Array.from(matrix));
  pre.dispose();

  const capped = await encoderModel({ type: "embed", embedding_size: 64, reduce_output: null }, 8);
  assert.deepEqual(capped.outputs[0].shape, [null, 8, V]); // Ludwig: min(vocab_size, size)
  capped.dispose();
  x.dispose();
});

Deno.test("defaults: Ludwig's layer lists and FC [512, 256]", async () => {
  const cases: [Obj, number[]][] = [
    [{ type: "parallel_cnn", num_filters: 3, embedding_size: 4 }, [256]],
    [{ type: "parallel_cnn", num_filters: 3, embedding_size: 4, reduce_output: null }, [30, 12]],
    [{ type: "stacked_cnn", num_filters: 3, embedding_size: 4, reduce_output: null }, [2, 3]],
    [{ type: "stacked_parallel_cnn", num_filters: 3, embedding_size: 4, reduce_output: null }, [
      30,
      12,
    ]],
    [{ type: "cnnrnn", num_filters: 3, embedding_size: 4, state_size: 5, reduce_output: null }, [
      15,
      5,
    ]],
    [{ type: "rnn", state_size: 5, embedding_size: 4, bidirectional: true }, [10]],
    [{ type: "transformer", embedding_size: 4, hidden_size: 8, num_heads: 2 }, [8]],
  ];
  for (const [input, shape] of cases) {
    const m = await encoderModel(input, 30);
    assert.deepEqual(m.outputs[0].shape.slice(1), shape, JSON.stringify(input));
    if (input.type === "parallel_cnn" && input.reduce_output === undefined) {
      const dense = m.layers.filter((l) => l.getClassName() === "Dense");
      assert.deepEqual(dense.map((d) => d.outputShape), [[null, 512], [null, 256]]);
      const convs = m.layers.filter((l) => l.getClassName() === "Conv1D");
      assert.deepEqual(convs.map((c) => (c.getConfig().kernelSize as number[])[0]), [2, 3, 4, 5]);
    }
    m.dispose();
  }
});
