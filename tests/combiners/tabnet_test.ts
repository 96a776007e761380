import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { GhostBatchNorm } from "../../lib/model/layers.ts";
import { EntmaxAttention, TabNetSparsityLoss } from "../../lib/combiners/_tabnet_impl.ts";
import { buildModel, contract, cpu, makeData, maxDiff, train } from "../_harness.ts";

const SMALL = { type: "tabnet", size: 8, output_size: 8, num_steps: 2, bn_virtual_bs: 16 };

Deno.test("tabnet: shape, training, save → load and leaks for every entmax mode", async (t) => {
  for (
    const extra of [
      { entmax_mode: "sparsemax" },
      { entmax_mode: "entmax15" },
      { entmax_mode: "constant", entmax_alpha: 1.3 },
      { entmax_mode: "adaptive", entmax_alpha: 1.5 },
    ]
  ) {
    await t.step(extra.entmax_mode, async () => {
      await contract({ ...SMALL, ...extra }, { expectedShape: [8] });
    });
  }
});

Deno.test("tabnet: plain batch norm, one step, no shared blocks, no sparsity, no dropout", async () => {
  const { model } = await contract({
    type: "tabnet",
    size: 4,
    output_size: 6,
    num_steps: 1,
    num_total_blocks: 2,
    num_shared_blocks: 0,
    bn_virtual_bs: null,
    sparsity: 0,
    dropout: 0,
    relaxation_factor: 1,
  }, { expectedShape: [6] });
  assert.ok(!model.model.layers.some((l) => l instanceof GhostBatchNorm));
  assert.ok(!model.model.layers.some((l) => l instanceof TabNetSparsityLoss));
});

Deno.test("tabnet: ghost batch norm and shared feature-transformer layers", async () => {
  await cpu();
  const { model } = await buildModel({
    ...SMALL,
    num_total_blocks: 3,
    num_shared_blocks: 2,
    bn_epsilon: 0.01,
    bn_momentum: 0.2,
  });
  const ghosts = model.layers.filter((l) => l instanceof GhostBatchNorm) as GhostBatchNorm[];
  // 3 feature transformers × 3 blocks + 2 attentive transformers
  assert.equal(ghosts.length, 11);
  assert.ok(ghosts.every((g) => g.virtualBatchSize === 16));
  // PyTorch momentum 0.2 is Keras momentum 0.8
  assert.ok(ghosts.every((g) => g.epsilon === 0.01 && Math.abs(g.momentum - 0.8) < 1e-9));
  // Shared dense layers are applied by every feature transformer (3 times each).
  const shared = model.layers.filter((l) => l.name.includes("shared_fc"));
  assert.equal(shared.length, 2);
  assert.ok(shared.every((l) => l.inboundNodes.length === 3));
  model.dispose();
});

Deno.test("tabnet: sparsity loss reaches calculateLosses() after a training pass", async () => {
  await cpu();
  const { xs, y } = makeData();
  const baseline = tf.memory().numTensors;
  const sparsity = 0.5;
  const { model } = await buildModel({ ...SMALL, sparsity });
  const layer = model.layers.find((l) => l instanceof TabNetSparsityLoss) as TabNetSparsityLoss;
  assert.ok(layer);
  // Before any training pass the loss is zero; inference passes register no loss.
  tf.tidy(() => {
    assert.equal(model.calculateLosses()[0].dataSync()[0], 0);
    model.predict(xs);
    assert.equal(model.calculateLosses()[0].dataSync()[0], 0);
  });
  // The expected value from the masks: sparsity × mean over steps of the mean row entropy.
  const maskLayers = model.layers.filter((l) => l instanceof EntmaxAttention);
  const probe = tf.model({
    inputs: model.inputs,
    outputs: maskLayers.map((l) => l.output as tf.SymbolicTensor),
  });
  const expected = tf.tidy(() => {
    // Training-mode masks (batch statistics); running statistics are updated by this pass too.
    const masks = probe.apply(xs, { training: true }) as tf.Tensor[];
    const ents = masks.map((m) => tf.mean(tf.sum(tf.mul(tf.neg(m), tf.log(tf.add(m, 1e-5))), -1)));
    return tf.mul(tf.addN(ents), sparsity / masks.length).dataSync()[0];
  });
  const got = tf.tidy(() => {
    model.apply(xs, { training: true });
    const [loss] = model.calculateLosses();
    return loss.dataSync()[0];
  });
  assert.ok(got > 0);
  assert.ok(Math.abs(got - expected) < 1e-4 * Math.max(1, expected), `${got} vs ${expected}`);
  // Its gradient reaches the attentive transformers' weights.
  const att = model.trainableWeights.filter((w) => w.name.includes("att_fc")).map((w) =>
    w.read() as tf.Variable
  );
  const { value, grads } = tf.variableGrads(() => {
    model.apply(xs, { training: true });
    return model.calculateLosses()[0];
  }, att);
  assert.ok(Object.values(grads).some((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0));
  tf.dispose([value, ...Object.values(grads)]);
  // model.losses (the container's own list) stays empty: use calculateLosses().
  assert.equal(model.losses.length, 0);
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline);
  tf.dispose([...xs, y]);
});

Deno.test("tabnet: adaptive alpha is trained and clipped to (1, 2]", async () => {
  await cpu();
  const { xs, y } = makeData();
  const { model } = await buildModel({ ...SMALL, entmax_mode: "adaptive", entmax_alpha: 1.5 });
  const alphas = model.trainableWeights.filter((w) => w.name.includes("/alpha"));
  assert.equal(alphas.length, 2);
  const before = alphas[0].read().dataSync()[0];
  assert.equal(before, 1.5);
  train(model, xs, y, 5, 0.05);
  const after = alphas[0].read().dataSync()[0];
  assert.notEqual(after, before);
  model.dispose();
  tf.dispose([...xs, y]);
});

Deno.test("tabnet: rank-3 inputs are flattened; inference is deterministic", async () => {
  await cpu();
  const { xs, y } = makeData();
  const { model } = await buildModel(SMALL);
  const a = model.predict(xs) as tf.Tensor;
  const b = model.predict(xs) as tf.Tensor;
  assert.equal(maxDiff(a, b), 0);
  // input batch norm sees 3 numbers + 8 + 5·8 columns
  const inputNorm = model.layers.find((l) => l.name.includes("input_batch_norm"))!;
  assert.deepEqual(inputNorm.outputShape, [null, 3 + 8 + 40]);
  tf.dispose([a, b, ...xs, y]);
  model.dispose();
});
