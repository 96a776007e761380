import assert from "node:assert/strict";
import { fusedAdam } from "../../lib/compute/mod.ts";
import { NO_NATIVE, rand, relativeError, tf } from "./_compare.ts";

async function trainSteps(backend: string, fused: boolean): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const w = tf.tidy(() => tf.variable(rand([20, 7], 1)));
  const b = tf.tidy(() => tf.variable(rand([7], 2)));
  const x = rand([16, 20], 3);
  const optimizer = fused ? fusedAdam(0.01) : tf.train.adam(0.01);
  for (let i = 0; i < 5; i++) {
    optimizer.minimize(() => tf.matMul(x, w).add(b).square().mean() as tf.Scalar);
  }
  const out = [w.dataSync().slice() as Float32Array, b.dataSync().slice() as Float32Array];
  const weights = await optimizer.getWeights();
  assert.equal(weights.length, 5); // iterations, then m and v of each variable
  assert.deepEqual(weights.map((v) => v.name).slice(1), [
    `${w.name}/m`,
    `${b.name}/m`,
    `${w.name}/v`,
    `${b.name}/v`,
  ]);
  optimizer.dispose();
  tf.dispose([w, b, x, weights[0].tensor]);
  return out;
}

Deno.test("fusedAdam() follows tf.train.adam on the cpu backend", async () => {
  const before = tf.memory().numTensors;
  const stock = await trainSteps("cpu", false);
  const fused = await trainSteps("cpu", true);
  for (let i = 0; i < stock.length; i++) assert.ok(relativeError(fused[i], stock[i]) < 1e-5);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test({
  name: "fusedAdam() on native follows tf.train.adam on cpu",
  ignore: NO_NATIVE !== undefined,
  async fn() {
    const stock = await trainSteps("cpu", false);
    const fused = await trainSteps("native", true);
    for (let i = 0; i < stock.length; i++) assert.ok(relativeError(fused[i], stock[i]) < 1e-5);
  },
});

Deno.test({
  name: "fusedAdam() trains a tf.layers model on native without leaking tensors",
  ignore: NO_NATIVE !== undefined,
  async fn() {
    await tf.setBackend("native");
    // Seeded weights and no shuffling: an unseeded start could leave every ReLU unit dead for
    // all ten inputs (the loss then stays flat; seen once in a suite run).
    const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({
          inputDim: 10,
          outputDim: 4,
          inputLength: 1,
          embeddingsInitializer: tf.initializers.randomUniform({
            minval: -0.5,
            maxval: 0.5,
            seed: 1,
          }),
        }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 8, activation: "relu", kernelInitializer: seeded(2) }),
        tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: seeded(3) }),
      ],
    });
    model.compile({ optimizer: fusedAdam(0.05), loss: "sparseCategoricalCrossentropy" });
    const x = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 1]);
    const y = tf.tensor2d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], [10, 1]);
    // The first epoch creates the optimizer's moments (two per weight): not a leak.
    await model.fit(x, y, { epochs: 1, batchSize: 5, verbose: 0, shuffle: false });
    const before = tf.memory().numTensors;
    const history = await model.fit(x, y, { epochs: 30, batchSize: 5, verbose: 0, shuffle: false });
    const losses = history.history.loss as number[];
    assert.ok(
      losses[losses.length - 1] < losses[0] * 0.5,
      `loss fell: ${losses[0]} → ${losses.at(-1)}`,
    );
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
    tf.dispose([x, y]);
  },
});
