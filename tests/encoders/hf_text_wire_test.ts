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
