/**
 * The custom layers of `_blocks_attention.ts` (swin windows and patch gather, maxvit grid
 * partition, relative-position and shifted-window attention, ViT's class token and position
 * embeddings, convnext's layer scale) save and reload to the same output and train.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import {
  applyFormulaWeights,
  formulaInput,
  torchWeightTargets,
} from "../../../lib/encoders/torchvision/_core.ts";
import {
  ClassTokenPositions,
  LayerScale,
  MaxVitPartition,
  SwinPatchGather,
  SwinWindows,
  TorchAttention,
} from "../../../lib/encoders/torchvision/_blocks_attention.ts";

await ready({ compute: "auto", quiet: true });

type Symbolic = tf.SymbolicTensor;
const on = (layer: tf.layers.Layer, x: Symbolic) => layer.apply(x) as Symbolic;

function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 4] });
  // swin: 6×6 padded to 8×8, 4×4 windows shifted by 2
  const geometry = { window: [4, 4] as [number, number], shift: [2, 2] as [number, number] };
  let h = on(new SwinWindows({ ...geometry, size: [6, 6], inverse: false, name: "w" }), input);
  h = on(
    new TorchAttention({
      numHeads: 2,
      scale: 1 / Math.sqrt(2),
      naming: "swin",
      relativeWindow: [4, 4],
      shiftMask: { padH: 8, padW: 8, ...geometry },
      name: "swin.attn",
    }),
    h,
  );
  h = on(new SwinWindows({ ...geometry, size: [6, 6], inverse: true, name: "w_inv" }), h);
  h = on(new SwinPatchGather({ name: "gather" }), h); // [3, 3, 16]
  h = on(new LayerScale({ name: "block" }), h);
  // maxvit grid attention on the 3×3 map with partition 3: p = 3 / 3 = 1, one group of 9 tokens
  const part = { p: 1, grid: true, size: [3, 3] as [number, number] };
  h = on(new MaxVitPartition({ ...part, inverse: false, name: "grid" }), h);
  h = on(
    new TorchAttention({
      numHeads: 4,
      scale: 1 / 4,
      naming: "maxvit",
      relativeWindow: [3, 3],
      name: "maxvit.attn",
    }),
    h,
  );
  h = on(new MaxVitPartition({ ...part, inverse: true, name: "grid_inv" }), h);
  h = on(tf.layers.reshape({ targetShape: [9, 16], name: "tokens" }), h);
  h = on(
    new ClassTokenPositions({ name: "embed" }),
    h,
  );
  h = on(
    new TorchAttention({
      numHeads: 2,
      scale: 1 / Math.sqrt(8),
      naming: "mha",
      name: "vit.attn",
    }),
    h,
  );
  h = on(tf.layers.flatten({ name: "flat" }), h);
  h = on(tf.layers.dense({ units: 2, name: "fc" }), h);
  const model = tf.model({ inputs: input, outputs: h });
  applyFormulaWeights(model);
  return model;
}

Deno.test("torchvision attention blocks save and reload to the same output", async () => {
  const model = tinyModel();
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    saved = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  const x = formulaInput([2, 4, 6, 6]);
  const a = model.predict(x) as tf.Tensor;
  const b = reloaded.predict(x) as tf.Tensor;
  assert.deepEqual(a.shape, [2, 2]);
  assert.deepEqual(await a.data(), await b.data());
  // the torch names survive the reload (TF.js camel-cases string config values)
  const names = (m: tf.LayersModel) =>
    [...torchWeightTargets(m)].map(([n, t]) => `${n} [${t.torchShape}]`);
  assert.deepEqual(names(reloaded), names(model));
  assert.ok(names(model).includes("swin.attn.relative_position_bias_table [49,2]"));
  assert.ok(names(model).includes("maxvit.attn.to_qkv.weight [48,16]"));
  assert.ok(names(model).includes("vit.attn.out_proj.weight [16,16]"));
  assert.ok(names(model).includes("encoder.pos_embedding [1,10,16]"));
  assert.ok(names(model).includes("block.layer_scale [16,1,1]"));
  tf.dispose([x, a, b]);
  model.dispose();
  reloaded.dispose();
});

Deno.test("torchvision attention blocks train (finite loss, every weight moves)", async () => {
  const model = tinyModel();
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
  const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
  const x = formulaInput([2, 4, 6, 6]);
  const y = tf.ones([2, 2]);
  const history = await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
  assert.ok(Number.isFinite(history.history.loss[0] as number));
  model.trainableWeights.forEach((w, i) => {
    const after = w.read().dataSync();
    assert.ok(after.some((v, j) => v !== before[i][j]), `${w.name} did not change`);
  });
  tf.dispose([x, y]);
  model.dispose();
});
