/**
 * `compute: wasm` trains: the kernels tfjs-backend-wasm lacks (UnsortedSegmentSum for an
 * embedding's gradient, Conv2DBackpropFilter, depthwise gradients) run on cpu copies, and the
 * gradients of a small model match cpu.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("compute: wasm trains a conv + depthwise + embedding model with cpu's gradients", async () => {
  const script = `
    import { ready, tf } from "${ROOT}lib/compute/mod.ts";
    const info = await ready({ compute: "wasm", quiet: true });
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, activation: "relu" }));
    model.add(tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 3, activation: "softmax" }));
    const pixels = new Float32Array(12 * 128);
    for (let i = 0; i < pixels.length; i++) {
      const b = Math.floor(i / 128), h = Math.floor(i / 16) % 8;
      pixels[i] = 0.3 * Math.sin(i * 12.9898) + (b % 3 === 0 && h < 4 ? 1 : b % 3 === 1 && h >= 4 ? 1 : 0);
    }
    const inputs = () => ({
      x: tf.tensor4d(pixels, [12, 8, 8, 2]),
      labels: tf.oneHot(tf.tensor1d(Array.from({ length: 12 }, (_, i) => i % 3), "int32"), 3),
      table: tf.variable(tf.tensor2d(Float32Array.from({ length: 40 }, (_, i) => Math.cos(i)), [10, 4])),
      ids: tf.tensor1d([1, 7, 7, 3, 1, 0], "int32"),
    });
    const weights = model.getWeights().map((w) => w.arraySync());
    const grads = async (backend) => {
      await tf.setBackend(backend);
      const { x, labels, table, ids } = inputs();
      model.setWeights(weights.map((w) => tf.tensor(w)));
      const { value, grads } = tf.variableGrads(() =>
        tf.losses.softmaxCrossEntropy(labels, model.apply(x)).add(tf.gather(table, ids).square().sum().mul(0.01))
      );
      const out = [Array.from(value.dataSync()), ...Object.values(grads).map((g) => Array.from(g.dataSync()))];
      table.dispose();
      return out;
    };
    const onWasm = await grads("wasm"), onCpu = await grads("cpu");
    let err = 0;
    for (let i = 0; i < onCpu.length; i++) {
      const scale = Math.max(1e-6, ...onCpu[i].map(Math.abs));
      for (let j = 0; j < onCpu[i].length; j++) err = Math.max(err, Math.abs(onWasm[i][j] - onCpu[i][j]) / scale);
    }
    await tf.setBackend("wasm");
    const { x, labels } = inputs();
    model.setWeights(weights.map((w) => tf.tensor(w)));
    model.compile({ optimizer: tf.train.adam(0.05), loss: "categoricalCrossentropy" });
    const before = tf.memory().numTensors;
    const h = await model.fit(x, labels, { epochs: 8, batchSize: 6, verbose: 0, shuffle: false });
    console.log(JSON.stringify({ engine: info.engine, reason: info.reason, err, count: onCpu.length, first: h.history.loss[0], last: h.history.loss.at(-1), leaked: tf.memory().numTensors - before }));
  `;
  const dir = await Deno.makeTempDir({ prefix: "sonata-wasm-" });
  try {
    const file = `${dir}/wasm.ts`;
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "--config", `${ROOT}deno.json`, file],
      env: { SONATA_COMPUTE: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, stdout + new TextDecoder().decode(out.stderr));
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(result.engine, "wasm");
    assert.match(result.reason, /kernels it lacks \(\d+, such as UnsortedSegmentSum/);
    assert.equal(result.count, 8); // the loss, six layer weights and the embedding table
    assert.ok(result.err < 1e-4, `wasm gradients differ from cpu by ${result.err}`);
    assert.ok(result.last < result.first * 0.6, `loss ${result.first} → ${result.last}`);
    assert.ok(result.leaked < 20, `fit left ${result.leaked} tensors`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
