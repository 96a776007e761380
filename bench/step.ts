// deno-lint-ignore-file no-console
/**
 * Time the parts of one W1 training step through the trainer's own pieces:
 * `deno run -A bench/step.ts [--rows 25600] [--steps 100]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ready, tf } from "../lib/compute/mod.ts";
import { w1Columns, w1Config } from "./workloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "25600" },
    steps: { type: "string", default: "100" },
  },
});
await ready({ compute: "native" });
const { Model } = await import("../lib/api.ts");
const { Dataset } = await import("../lib/data/dataset.ts");
const { outputHeads, inputTensors } = await import("../lib/train/evaluate.ts");
const { batchTensor } = await import("../lib/train/batches.ts");
const { createOptimizer } = await import("../lib/train/optimizers.ts");
const rows = Number(values.rows);
const model = await Model.create(w1Config(1) as never);
const trained = await model.train({
  dataset: Dataset.fromColumns(w1Columns(rows)),
  skip_save_all: true,
  progress: false,
});
const train = trained.preprocessed_data.training;
const ecd = {
  model: model.tfModel!,
  inputNames: model.config.input_features.map((f) => f.name),
  outputNames: model.config.output_features.map((f) => f.name),
};
const heads = outputHeads(ecd, model.config, model.metadata as never);
const optimizer = createOptimizer(model.config.trainer.optimizer, 0.001);
const steps = Number(values.steps);
// Rows as the trainer draws them: consecutive slices of a random permutation.
const perm = new Int32Array(train.numRows).map((_, i) => i);
for (let i = perm.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [perm[i], perm[j]] = [perm[j], perm[i]];
}
const batch = (i: number) => {
  const start = (i * 256) % (train.numRows - 256);
  return perm.subarray(start, start + 256);
};
let fwd: ((x: tf.Tensor[], training: boolean) => tf.Tensor[]) | undefined;
try {
  const m = await import("../lib/model/_fast_forward.ts");
  fwd = m.compileForward(ecd.model);
} catch { /* not there */ }

function time(name: string, f: (i: number) => void) {
  for (let i = 0; i < 10; i++) f(i);
  const best: number[] = [];
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    for (let i = 0; i < steps; i++) f(i);
    best.push((performance.now() - t) / steps);
  }
  console.log(`${name.padEnd(40)} ${Math.min(...best).toFixed(3)} ms`);
}
time("batch tensors", (i) => {
  tf.tidy(() => {
    const rows = batch(i);
    inputTensors(ecd, train, rows);
    heads.map((h) => batchTensor(train.columns[h.feature.name], rows));
  });
});
const inputs = inputTensors(ecd, train, batch(0));
const targets = heads.map((h) => batchTensor(train.columns[h.feature.name], batch(0)));
time("apply (training)", () => tf.tidy(() => void ecd.model.apply(inputs, { training: true })));
time("predict", () => tf.tidy(() => void ecd.model.predict(inputs, { batchSize: 256 })));
if (fwd) {
  time("fast forward (training)", () => tf.tidy(() => void fwd!(inputs, true)));
  time("fast forward (inference)", () => tf.tidy(() => void fwd!(inputs, false)));
}
const lossOf = (useFast: boolean) => () => {
  const out = useFast ? fwd!(inputs, true) : ecd.model.apply(inputs, { training: true });
  const list = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
  return heads[0].loss(list[0], targets[0]) as tf.Scalar;
};
time("variableGrads(apply+loss)", () => tf.tidy(() => void tf.variableGrads(lossOf(false))));
if (fwd) time("variableGrads(fast+loss)", () => tf.tidy(() => void tf.variableGrads(lossOf(true))));
time("full step (apply)", () =>
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(lossOf(false));
    optimizer.applyGradients(grads);
    value.dataSync();
  }));
if (fwd) {
  time("full step (fast)", () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossOf(true));
      optimizer.applyGradients(grads);
      value.dataSync();
    }));
}
{
  const { value, grads } = tf.variableGrads(lossOf(false));
  time("optimizer.applyGradients", () => optimizer.applyGradients(grads));
  tf.dispose([value, ...Object.values(grads)]);
}
console.log(`numTensors ${tf.memory().numTensors}`);
