// trainStep reads its host values in one go: the loss always, each feature's loss with
// read "losses", and also logits, probabilities and targets with read "metrics"; the values
// equal those of the kept tensors, and nothing leaks.
import assert from "node:assert/strict";
import { ready, tf } from "../../lib/compute/mod.ts";
import { resolveConfigValue } from "../../lib/config/load.ts";
import { preprocessForTraining } from "../../lib/features/preprocess.ts";
import { buildEcd } from "../../lib/model/ecd.ts";
import { gatherRows, tensorDtype } from "../../lib/train/batches.ts";
import { outputHeads } from "../../lib/train/evaluate.ts";
import { probabilitiesFromLogits } from "../../lib/train/losses.ts";
import { createOptimizer } from "../../lib/train/optimizers.ts";
import { createTrainStep } from "../../lib/train/trainer.ts";
import { Model } from "../../mod.ts";

type Obj = Record<string, unknown>;

const ROWS = Array.from({ length: 120 }, (_, i) => {
  const x = Math.sin(i * 12.9898) * 2;
  return { x, c: ["a", "b", "c"][i % 3], y: x > 0 ? "pos" : "neg", z: 3 * x - (i % 3) };
});

const CONFIG = {
  input_features: [{ name: "x", type: "number" }, { name: "c", type: "category" }],
  output_features: [{ name: "y", type: "binary" }, { name: "z", type: "number" }],
};

Deno.test("trainStep's read modes return the kept tensors' values", async () => {
  await ready({ compute: "cpu", quiet: true });
  const config = resolveConfigValue({ ...CONFIG, trainer: { batch_size: 8 } }).config;
  const pre = await preprocessForTraining(config, { dataset: ROWS }, {
    seed: 1,
    skipSaveProcessedInput: true,
  });
  const columns = Object.fromEntries(
    Object.entries(pre.training.columns).map((
      [n, c],
    ) => [n, { shape: c.shape, dtype: tensorDtype(c.dtype) }]),
  );
  const ecd = await buildEcd(config, pre.metadata as Record<string, Obj>, columns, 1);
  const heads = outputHeads(ecd, config, pre.metadata as Record<string, Obj>);
  const optimizer = createOptimizer(config.trainer.optimizer, 0.01);
  const rows = Int32Array.from({ length: 8 }, (_, i) => 3 * i + 1);
  const batch = { columns: pre.training, rows };

  const metrics = await createTrainStep(ecd, heads, config, optimizer, {
    gradientClipping: config.trainer.gradient_clipping,
    read: "metrics",
  })(batch);
  for (const h of heads) {
    const name = h.feature.name;
    const kept = metrics.outputs[name];
    const values = metrics.values[name];
    assert.equal(values.loss, (await kept.loss.data())[0], `${name} loss`);
    assert.deepEqual(Array.from(values.logits!), Array.from(await kept.logits.data()));
    assert.deepEqual(Array.from(values.targets!), Array.from(await kept.target.data()));
    assert.deepEqual(
      Array.from(values.targets!),
      Array.from(gatherRows(pre.training.columns[name], rows)),
    );
    const p = probabilitiesFromLogits(h.feature.loss.type, h.feature.type, kept.logits, h.classes);
    if (p) {
      assert.deepEqual(Array.from(values.probabilities!), Array.from(await p.data()), name);
      p.dispose();
    } else assert.equal(values.probabilities, undefined, `${name}: no probabilities`);
  }
  assert.ok(Number.isFinite(metrics.loss));
  metrics.dispose();

  const before = tf.memory().numTensors;
  const losses = await createTrainStep(ecd, heads, config, optimizer, { read: "losses" })(batch);
  assert.deepEqual(Object.keys(losses.values), ["y", "z"]);
  for (const h of heads) {
    const v = losses.values[h.feature.name];
    assert.equal(v.loss, (await losses.outputs[h.feature.name].loss.data())[0]);
    assert.equal(v.logits, undefined);
  }
  losses.dispose();
  const none = await createTrainStep(ecd, heads, config, optimizer, { keepOutputs: false })(batch);
  assert.deepEqual(none.values, {});
  assert.deepEqual(none.outputs, {});
  none.dispose();
  const plain = await createTrainStep(ecd, heads, config, optimizer, { read: "metrics" })(batch);
  plain.dispose();
  assert.equal(tf.memory().numTensors, before, "no leaked tensors");
  optimizer.dispose();
  ecd.model.dispose();
});

Deno.test("each training-metrics mode trains (running, evaluate_training_set, skip_all_evaluation) and the losses agree", async () => {
  // One epoch: skip_all_evaluation has one checkpoint (the last step), the others one per epoch.
  const run = async (trainer: Obj) => {
    const model = await Model.create({
      ...CONFIG,
      trainer: { epochs: 1, batch_size: 16, ...trainer },
    });
    const { result } = await model.train({ dataset: ROWS, skip_save_all: true, progress: false });
    model.tfModel?.dispose();
    return result.statistics.training as Record<string, Record<string, number[]>>;
  };
  const running = await run({});
  const evaluated = await run({ evaluate_training_set: true });
  const skipped = await run({ skip_all_evaluation: true });
  // Running metrics (read with each step) and a full pass after the epoch see different weights;
  // both are finite and have Ludwig's keys. The losses of skip_all_evaluation equal the running ones.
  assert.deepEqual(Object.keys(running.y).sort(), Object.keys(evaluated.y).sort());
  for (const stats of [running, evaluated]) {
    for (const v of Object.values(stats.y)) assert.ok(v.every(Number.isFinite));
  }
  assert.deepEqual(Object.keys(skipped.y), ["loss"]);
  assert.ok(Math.abs(skipped.y.loss[0] - running.y.loss[0]) < 1e-6 * running.y.loss[0]);
  assert.ok(Math.abs(skipped.z.loss[0] - running.z.loss[0]) < 1e-6 * running.z.loss[0]);
});
