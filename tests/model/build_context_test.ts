// The build context: builds share no module state (two builds interleaved in one process name
// and seed their layers as each alone), pretrained embeddings reach the model through the
// weights store, and a bad registration is an error naming the layer and the file.
import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { validateConfig } from "../../lib/config/load.ts";
import { loadPretrainedEmbeddings } from "../../lib/pretrained/glove.ts";
import { applyInitialWeights, buildEcd, type ColumnSpec } from "../../lib/model/ecd.ts";
import { createWeightsStore } from "../../lib/model/component.ts";
import { Model } from "../../mod.ts";
import type { Obj } from "./_types.ts";

const IDX2STR = ["<UNK>", "red", "green", "blue", "black"];

async function gloveFile(): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "sonata_glove_", suffix: ".txt" });
  await Deno.writeTextFile(
    path,
    "red 0.1 0.2 0.3\ngreen 0.4 0.5 0.6\nblue -0.1 -0.2 -0.3\nblack 1 0 -1\n",
  );
  return path;
}

const COLUMNS: Record<string, ColumnSpec> = {
  n: { shape: [], dtype: "float32" },
  c: { shape: [], dtype: "int32" },
  y: { shape: [], dtype: "float32" },
};
const METADATA: Record<string, Obj> = {
  c: { vocab_size: IDX2STR.length, idx2str: IDX2STR },
  y: {},
};

function configs(glove: string) {
  const a = validateConfig({
    input_features: [{ name: "n", type: "number" }, {
      name: "c",
      type: "category",
      encoder: { type: "dense", embedding_size: 4 },
    }],
    output_features: [{ name: "y", type: "number" }],
    combiner: { type: "concat", num_fc_layers: 2, output_size: 6 },
  });
  const b = validateConfig({
    input_features: [{
      name: "c",
      type: "category",
      encoder: { type: "dense", pretrained_embeddings: glove },
    }, { name: "n", type: "number", encoder: { type: "dense", output_size: 5 } }],
    output_features: [{ name: "y", type: "number" }],
    combiner: { type: "concat", num_fc_layers: 1, output_size: 7 },
  });
  return { a, b };
}

function signature(model: tf.LayersModel): { names: string[]; weights: number[][] } {
  return {
    names: model.layers.map((l) => l.name),
    weights: model.getWeights().map((w) => Array.from(w.dataSync())),
  };
}

Deno.test("two builds interleaved give the same names and seeds as each alone", async () => {
  await tf.setBackend("cpu");
  const glove = await gloveFile();
  try {
    const { a, b } = configs(glove);
    const aloneA = await buildEcd(a, METADATA, COLUMNS, 11);
    const aloneB = await buildEcd(b, METADATA, COLUMNS, 12);
    const [togetherB, togetherA] = await Promise.all([
      buildEcd(b, METADATA, COLUMNS, 12),
      buildEcd(a, METADATA, COLUMNS, 11),
    ]);
    assert.deepEqual(signature(togetherA.model), signature(aloneA.model));
    assert.deepEqual(signature(togetherB.model), signature(aloneB.model));
    for (const m of [aloneA, aloneB, togetherA, togetherB]) m.model.dispose();
  } finally {
    await Deno.remove(glove);
  }
});

Deno.test("pretrained_embeddings reach the embedding layer through the weights store", async () => {
  await tf.setBackend("cpu");
  const glove = await gloveFile();
  try {
    const { b } = configs(glove);
    const ecd = await buildEcd(b, METADATA, COLUMNS, 12);
    const expected = await loadPretrainedEmbeddings(glove, IDX2STR, { seed: 12, cache: false });
    const embedding = ecd.model.layers.find((l) => l.getClassName() === "Embedding")!;
    assert.deepEqual(embedding.getWeights()[0].shape, [IDX2STR.length, 3]);
    assert.deepEqual(Array.from(embedding.getWeights()[0].dataSync()), Array.from(expected.matrix));
    ecd.model.dispose();
  } finally {
    await Deno.remove(glove);
  }
});

Deno.test("pretrained_embeddings through Model: frozen vectors stay those of the file", async () => {
  const glove = await gloveFile();
  try {
    const colors = IDX2STR.slice(1);
    const rows = Array.from({ length: 24 }, (_, i) => ({ c: colors[i % 4], y: i % 4 }));
    const model = await Model.create({
      input_features: [{
        name: "c",
        type: "category",
        encoder: { type: "dense", pretrained_embeddings: glove, embeddings_trainable: false },
      }],
      output_features: [{ name: "y", type: "number" }],
      trainer: { epochs: 1, batch_size: 8 },
    });
    await model.train({ dataset: rows, skip_save_all: true, progress: false });
    const idx2str = model.metadata!.c.idx2str as string[];
    const expected = await loadPretrainedEmbeddings(glove, idx2str, { seed: 42, cache: false });
    const embedding = model.tfModel!.layers.find((l) => l.getClassName() === "Embedding")!;
    const got = embedding.getWeights()[0].dataSync();
    // The vectors of the file's words, row by row of the feature's vocabulary.
    for (const word of colors) {
      const i = idx2str.indexOf(word);
      assert.deepEqual(
        Array.from(got.slice(i * 3, i * 3 + 3)),
        Array.from(expected.matrix.slice(i * 3, i * 3 + 3)),
        word,
      );
    }
    model.tfModel!.dispose();
  } finally {
    await Deno.remove(glove);
  }
});

Deno.test("initial weights for a missing layer or of a wrong shape name the layer and the file", () => {
  const input = tf.input({ shape: [1], dtype: "int32" });
  const out = tf.layers.embedding({ inputDim: 3, outputDim: 2, name: "emb" }).apply(
    input,
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const missing = createWeightsStore();
  missing.assign("nope", [{ values: new Float32Array(6), shape: [3, 2] }], "vectors.txt");
  assert.throws(
    () => applyInitialWeights(model, missing),
    /initial weights from vectors.txt: the model has no layer "nope"/,
  );
  const wrong = createWeightsStore();
  wrong.assign("emb", [{ values: new Float32Array(8), shape: [4, 2] }], "vectors.txt");
  assert.throws(
    () => applyInitialWeights(model, wrong),
    /from vectors.txt to ".*emb.*": shape \[4, 2\] where the layer has \[3, 2\]/,
  );
  assert.throws(
    () => wrong.assign("emb", [], "other.txt"),
    /layer "emb" from other.txt: they are already registered from vectors.txt/,
  );
  model.dispose();
});
