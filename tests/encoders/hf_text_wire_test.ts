// The Hugging Face text encoders through the public API: a text feature with `bert` on the tiny
// fixture folder tokenizes with the folder's tokenizer.json, trains frozen and fine-tuned, and a
// saved model predicts identically after the source folder is gone.
import assert from "node:assert/strict";
import { Model } from "../../mod.ts";
import { bertConfig, copyFolder, textRows } from "./_hf_text_helpers.ts";

const FIXTURE = new URL("../fixtures/hf/bert", import.meta.url).pathname;

Deno.test("bert: tokenizer.json vocabulary, frozen training, save and load without the folder", async () => {
  const dir = await Deno.makeTempDir();
  const folder = `${dir}/bert`;
  await copyFolder(FIXTURE, folder);
  try {
    const model = await Model.create(bertConfig(folder) as never);
    const f = model.config.input_features[0];
    assert.equal(f.preprocessing.tokenizer, "hf_tokenizer");
    assert.equal(f.preprocessing.pretrained_model_name_or_path, folder);
    const rows = textRows(64);
    await model.train({ dataset: rows, skip_save_all: true, progress: false });
    const meta = model.metadata!.text as Record<string, unknown>;
    const tokenizer = JSON.parse(await Deno.readTextFile(`${FIXTURE}/tokenizer.json`));
    const vocab = tokenizer.model.vocab as Record<string, number>;
    assert.equal(meta.vocab_size, Math.max(...Object.values(vocab)) + 1);
    assert.equal((meta.idx2str as string[])[vocab["[CLS]"]], "[CLS]");
    // The frozen encoder's weights are the folder's: the word embedding table is untouched.
    const layer = model.tfModel!.layers.find((l) => l.name.startsWith("text/bert/"))!;
    assert.ok(layer, "the encoder's layers are in the model");
    for (const l of model.tfModel!.layers) {
      if (l.name.startsWith("text/bert/")) assert.equal(l.trainable, false, l.name);
    }
    const before = await model.predict(rows.slice(0, 10));
    const saved = `${dir}/saved`;
    await model.save(saved);
    await Deno.rename(folder, `${dir}/moved`);
    const loaded = await Model.load(saved);
    const after = await loaded.predict(rows.slice(0, 10));
    assert.deepEqual(
      after.predictions.columns.label_probabilities,
      before.predictions.columns.label_probabilities,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bert: the folder's weights enter the model; trainable: true fine-tunes them", async () => {
  const { readWeights } = await import("../../lib/pretrained/mod.ts");
  const tensors = await readWeights(`${FIXTURE}/model.safetensors`);
  const key = [...tensors.keys()].find((k) => k.endsWith("embeddings.word_embeddings.weight"))!;
  const expected = Float32Array.from(tensors.get(key)!.data as Float32Array);
  const word = (m: Model) => {
    const layer = m.tfModel!.layers.find((l) =>
      l.name.startsWith("text/bert/") &&
      l.weights.some((w) => w.shape[0] === 80 && w.shape[1] === 32)
    )!;
    const w = layer.weights.find((w) => w.shape[0] === 80 && w.shape[1] === 32)!;
    return w.read().dataSync() as Float32Array;
  };
  const rows = textRows(48, 2);
  const frozen = await Model.create(bertConfig(FIXTURE) as never);
  await frozen.train({ dataset: rows, skip_save_all: true, progress: false });
  const got = word(frozen);
  assert.equal(got.length, expected.length);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-6, `${i}`);
  const tuned = await Model.create(bertConfig(FIXTURE, { trainable: true }) as never);
  await tuned.train({ dataset: rows, skip_save_all: true, progress: false });
  const after = word(tuned);
  assert.ok(after.some((v, i) => Math.abs(v - expected[i]) > 1e-6), "fine-tuning moved them");
});

Deno.test("tokenizer: hf_tokenizer also feeds Sonata's own encoders", async () => {
  const model = await Model.create({
    input_features: [{
      name: "text",
      type: "text",
      encoder: { type: "embed", embedding_size: 8 },
      preprocessing: { tokenizer: "hf_tokenizer", pretrained_model_name_or_path: FIXTURE },
    }],
    output_features: [{ name: "label", type: "category" }],
    trainer: { epochs: 1, batch_size: 16 },
  } as never);
  const rows = textRows(32, 4);
  await model.train({ dataset: rows, skip_save_all: true, progress: false });
  const meta = model.metadata!.text as Record<string, unknown>;
  assert.equal(meta.tokenizer, "hf_tokenizer");
  assert.equal(meta.pad_idx, 0);
  const out = await model.predict(rows.slice(0, 3));
  assert.equal((out.predictions.columns.label_predictions as unknown[]).length, 3);
});
