// The training loop's seams: user callbacks that stop training, the validation-loss tie-break
// of best-model selection, and trainStep's gradient-reduce hook.
import { tensorDtype } from "../../lib/train/batches.ts";
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { Model, type TrainingCallback } from "../../mod.ts";
import { tf } from "../../lib/compute/mod.ts";
import { buildEcd } from "../../lib/model/ecd.ts";
import { resolveConfigValue } from "../../lib/config/load.ts";
import { outputHeads } from "../../lib/train/evaluate.ts";
import { createOptimizer } from "../../lib/train/optimizers.ts";
import { createTrainStep } from "../../lib/train/trainer.ts";
import { preprocessForTraining } from "../../lib/features/preprocess.ts";

type Obj = Record<string, unknown>;

const ROWS = Array.from({ length: 200 }, (_, i) => {
  const x = Math.sin(i * 12.9898) * 2;
  return { x, c: ["a", "b", "c"][i % 3], y: x > 0 ? "pos" : "neg" };
});

const CONFIG = {
  input_features: [{ name: "x", type: "number" }, { name: "c", type: "category" }],
  output_features: [{ name: "y", type: "binary" }],
};

Deno.test("a user callback stopping at epoch 2 stops training there and keeps the best model", async () => {
  const model = await Model.create({
    ...CONFIG,
    trainer: {
      epochs: 10,
      batch_size: 32,
      early_stop: -1,
      learning_rate: 0.01,
      validation_field: "y",
      validation_metric: "accuracy",
    },
  });
  const seen: string[] = [];
  let bestAtStop: number[] | undefined;
  const prune: TrainingCallback = {
    onTrainBegin: () => void seen.push("begin"),
    onEpochBegin: (_ctx, epoch) => void seen.push(`epoch ${epoch}`),
    onEpochEnd(ctx, logs) {
      seen.push(`end ${logs.epoch}`);
      if (logs.epoch === 2) {
        ctx.stopReason = "pruned";
        bestAtStop = [ctx.state.bestStep];
        return "stop";
      }
      return undefined;
    },
    onTrainEnd: (_ctx, result) => void seen.push(`done ${result.epochs}`),
  };
  const { result, preprocessed_data } = await model.train({
    dataset: ROWS,
    skip_save_all: true,
    progress: false,
    callbacks: [prune],
  });
  equal(result.epochs, 2);
  ok(result.stoppedEarly);
  equal(result.stopReason, "pruned");
  const stepsPerEpoch = Math.ceil(140 / 32);
  equal(result.steps, 2 * stepsPerEpoch);
  deepStrictEqual(seen, ["begin", "epoch 0", "end 1", "epoch 1", "end 2", "done 2"]);
  equal(result.bestStep, bestAtStop![0]);
  // The kept model is the best one: its validation metric is the best recorded.
  const accuracy = result.statistics.validation.y.accuracy;
  equal(accuracy.length, 2);
  equal(result.bestMetric, Math.max(...accuracy));
  const evaluated = await model.evaluate(preprocessed_data.raw.validation!);
  ok(Math.abs((evaluated.test_statistics.y.accuracy as number) - result.bestMetric!) < 1e-9);
});

Deno.test("a tie of the validation metric is broken by the validation loss (not the first epoch kept)", async () => {
  // Two well-separated classes: validation accuracy saturates at 1.0 early, the loss keeps falling.
  const rows = Array.from({ length: 120 }, (_, i) => ({
    x: i % 2 === 0 ? 3 + (i % 7) / 10 : -3 - (i % 5) / 10,
    y: i % 2 === 0 ? "pos" : "neg",
  }));
  const model = await Model.create({
    input_features: [{ name: "x", type: "number" }],
    output_features: [{ name: "y", type: "binary" }],
    trainer: {
      epochs: 8,
      batch_size: 16,
      early_stop: -1,
      learning_rate: 0.05,
      validation_field: "y",
      validation_metric: "accuracy",
    },
  });
  const { result } = await model.train({ dataset: rows, skip_save_all: true, progress: false });
  const accuracy = result.statistics.validation.y.accuracy;
  const loss = result.statistics.validation.combined.loss;
  const firstPerfect = accuracy.indexOf(1);
  ok(firstPerfect >= 0 && firstPerfect < accuracy.length - 1, `accuracy ${accuracy}`);
  ok(loss.at(-1)! < loss[firstPerfect], `loss ${loss}`);
  // Best = the epoch with accuracy 1 and the lowest validation loss, not the first epoch at 1.
  let best = firstPerfect;
  for (let i = firstPerfect; i < accuracy.length; i++) {
    if (accuracy[i] === 1 && loss[i] < loss[best]) best = i;
  }
  ok(best > firstPerfect);
  const stepsPerEpoch = Math.ceil(84 / 16);
  equal(result.bestStep, (best + 1) * stepsPerEpoch);
  equal(result.bestMetric, 1);
});

Deno.test("trainStep runs the gradient-reduce hook between the gradients and the update", async () => {
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
  const optimizer = createOptimizer(config.trainer.optimizer, 0.1);
  const before = ecd.model.getWeights().map((w) => w.dataSync().slice());
  let names: string[] = [];
  // Zeroed gradients: the hook's result is what the optimizer applies.
  const step = createTrainStep(ecd, heads, config, optimizer, {
    reduceGradients: (grads) => {
      names = Object.keys(grads);
      return Promise.resolve(
        Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, tf.zerosLike(g)])),
      );
    },
  });
  const rows = Int32Array.from({ length: 8 }, (_, i) => i);
  const out = await step({ columns: pre.training, rows });
  ok(Number.isFinite(out.loss));
  equal(out.outputs.y.logits.shape[0], 8, "outputs by feature name");
  out.dispose();
  ok(names.length > 0);
  // The first step created the optimizer's slots; a second one leaks nothing.
  const tensorsBefore = tf.memory().numTensors;
  (await step({ columns: pre.training, rows })).dispose();
  equal(tf.memory().numTensors, tensorsBefore, "no leaked tensors");
  // Adam with zero gradients moves nothing.
  const after = ecd.model.getWeights().map((w) => w.dataSync().slice());
  deepStrictEqual(after, before);
  const plain = createTrainStep(ecd, heads, config, optimizer);
  (await plain({ columns: pre.training, rows })).dispose();
  const moved = ecd.model.getWeights().map((w) => w.dataSync().slice());
  ok(moved.some((w, i) => w.some((v, j) => v !== before[i][j])), "a real step moves the weights");
  optimizer.dispose();
  ecd.model.dispose();
});
