// A model with a (cached, frozen) bert encoder saved, its source folder deleted, then loaded in a
// fresh process: the same predictions, with nothing read from the folder.
import assert from "node:assert/strict";
import { Model } from "../../mod.ts";
import { bertConfig, copyFolder, textRows } from "./_hf_text_helpers.ts";

const FIXTURE = new URL("../fixtures/hf/bert", import.meta.url).pathname;
const CHILD = new URL("./_predict_saved.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("a saved bert model predicts the same in a fresh process without its folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const folder = `${dir}/bert`;
    await copyFolder(FIXTURE, folder);
    const c = bertConfig(folder);
    const config = {
      ...c,
      input_features: [{
        ...c.input_features[0],
        preprocessing: { cache_encoder_embeddings: true },
      }],
    };
    const model = await Model.create(config as never);
    const rows = textRows(40, 11);
    await model.train({ dataset: rows, skip_save_all: true, progress: false });
    await model.save(`${dir}/saved`);
    const probe = rows.slice(0, 6);
    const before = (await model.predict(probe)).predictions.columns.label_probabilities;
    await Deno.remove(folder, { recursive: true });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CHILD, `${dir}/saved`, JSON.stringify(probe)],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, stderr);
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    const after = JSON.parse(lines[lines.length - 1]);
    const a = (before as number[][]).flat();
    const b = (after as number[][]).flat();
    assert.equal(b.length, a.length);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `${a[i]} ${b[i]}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
