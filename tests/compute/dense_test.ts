import assert from "node:assert/strict";
import { FastDense, fastDense, fusedDense, fusedDenseAvailable } from "../../lib/compute/mod.ts";
import { NO_NATIVE, rand, relativeError, tf } from "./_compare.ts";

type Act = "linear" | "relu";

/** Value and gradients (x, w, b) of sum(dense(x) · r) with tfjs's unfused ops. */
function reference(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | undefined, act: Act) {
  const r = rand([x.shape[0], w.shape[1]], 9);
  const f = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => {
    let y = tf.matMul(x, w);
    if (b) y = tf.add(y, b);
    if (act === "relu") y = tf.relu(y);
    return tf.sum(tf.mul(y, r)) as tf.Scalar;
  };
  const grads = b
    ? tf.grads((x, w, b) => f(x, w, b))([x, w, b])
    : tf.grads((x, w) => f(x, w))([x, w]);
  const y = tf.tidy(() => {
    let y = tf.matMul(x, w);
    if (b) y = tf.add(y, b);
    return act === "relu" ? tf.relu(y) : y;
  });
  return { y, grads, r };
}

for (const act of ["relu", "linear"] as const) {
  for (const withBias of [true, false]) {
    Deno.test({
      name: `fusedDense() ${act}${
        withBias ? " with bias" : ""
      }: values and gradients of tfjs's ops`,
      ignore: NO_NATIVE !== undefined,
      async fn() {
        await tf.setBackend("native");
        assert.ok(fusedDenseAvailable());
        const before = tf.memory().numTensors;
        const x = rand([37, 21], 1) as tf.Tensor2D;
        const w = rand([21, 13], 2) as tf.Tensor2D;
        const b = withBias ? rand([13], 3) as tf.Tensor1D : undefined;
        const ref = reference(x, w, b, act);
        const y = fusedDense(x, w, b, act);
        assert.deepEqual(y.shape, [37, 13]);
        assert.ok(relativeError(y.dataSync(), ref.y.dataSync()) < 1e-5);
        const f = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) =>
          tf.sum(tf.mul(
            fusedDense(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D | undefined, act),
            ref.r,
          )) as tf.Scalar;
        const grads = b
          ? tf.grads((x, w, b) => f(x, w, b))([x, w, b])
          : tf.grads((x, w) => f(x, w))([x, w]);
        assert.equal(grads.length, ref.grads.length);
        grads.forEach((g, i) => {
          assert.deepEqual(g.shape, ref.grads[i].shape);
          assert.ok(relativeError(g.dataSync(), ref.grads[i].dataSync()) < 1e-5);
        });
        tf.dispose([x, w, b, y, ref.y, ref.r, ...ref.grads, ...grads].filter((t) => t));
        assert.equal(tf.memory().numTensors, before);
      },
    });
  }
}

Deno.test("FastDense serializes as tfjs's Dense and is tfjs's Dense on cpu", async () => {
  await tf.setBackend("cpu");
  assert.equal(fusedDenseAvailable(), false);
  const input = tf.input({ shape: [4] });
  const layer = fastDense({ units: 3, activation: "relu", name: "d" });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  assert.equal(layer.getClassName(), "Dense");
  const json = model.toJSON(undefined, false) as unknown as {
    config: { layers: { class_name: string }[] };
  };
  assert.equal(json.config.layers[1].class_name, "Dense");
  const stock = tf.layers.dense({ units: 3, activation: "relu" });
  const x = rand([5, 4], 4);
  stock.apply(x);
  stock.setWeights(layer.getWeights());
  const a = layer.apply(x) as tf.Tensor;
  const b = stock.apply(x) as tf.Tensor;
  assert.deepEqual(a.dataSync(), b.dataSync());
  // Deserializing a Dense layer gives a FastDense.
  const copy = tf.layers.Layer.fromConfig(FastDense as never, layer.getConfig());
  assert.ok(copy instanceof FastDense);
  tf.dispose([x, a, b]);
  model.dispose();
});

Deno.test({
  name: "FastDense trains a model on native as tfjs's Dense does on cpu",
  ignore: NO_NATIVE !== undefined,
  async fn() {
    const run = async (backend: string, make: typeof fastDense) => {
      await tf.setBackend(backend);
      const input = tf.input({ shape: [6] });
      const h = make({ units: 8, activation: "relu", kernelInitializer: "ones" }).apply(input);
      const out = make({ units: 2, kernelInitializer: "ones" }).apply(h) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: out });
      const x = rand([16, 6], 5);
      const y = rand([16, 2], 6);
      const optimizer = tf.train.sgd(0.01);
      for (let i = 0; i < 3; i++) {
        optimizer.minimize(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor));
      }
      const weights = model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
      tf.dispose([x, y]);
      model.dispose();
      return weights;
    };
    const stock = await run("cpu", (args) => tf.layers.dense(args));
    const fused = await run("native", fastDense);
    stock.forEach((w, i) => assert.ok(relativeError(fused[i], w) < 1e-5));
  },
});
