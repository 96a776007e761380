/**
 * The webgpu engine trains correctly: gradients of a small model (dense, conv2d, pooling,
 * an embedding gather) match cpu, and a few epochs lower the loss. Runs on whatever adapter
 * the machine has (llvmpipe, Mesa's software rasterizer, on CI); skipped where WebGPU has
 * no adapter or with SONATA_TEST_WEBGPU=0.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Whether a WebGPU adapter exists, asked in a separate process (it never runs here). */
function adapterHere(): string | undefined {
  if (Deno.env.get("SONATA_TEST_WEBGPU") === "0") return undefined;
  const out = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "const a = await navigator.gpu?.requestAdapter(); console.log(a ? a.info.description || 'adapter' : '')",
    ],
    env: { XDG_RUNTIME_DIR: Deno.makeTempDirSync({ prefix: "sonata-xdg-" }) },
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const name = new TextDecoder().decode(out.stdout).trim();
  return out.code === 0 && name ? name : undefined;
}

const adapter = adapterHere();

Deno.test({
  name: `webgpu training matches cpu (adapter: ${adapter ?? "none"})`,
  ignore: adapter === undefined,
  async fn() {
    const script = `
      import { ready, tf } from "${ROOT}lib/compute/mod.ts";
      const info = await ready({ compute: "webgpu", quiet: true });
      const model = tf.sequential();
      model.add(tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, activation: "relu" }));
      model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      model.add(tf.layers.flatten());
      model.add(tf.layers.dense({ units: 3, activation: "softmax" }));
      const pixels = new Float32Array(12 * 128);
      for (let i = 0; i < pixels.length; i++) {
        const b = Math.floor(i / 128), h = Math.floor(i / 16) % 8;
        pixels[i] = 0.3 * Math.sin(i * 12.9898) + (b % 3 === 0 && h < 4 ? 1 : b % 3 === 1 && h >= 4 ? 1 : 0);
      }
      // Inputs are made afresh on each backend: moving GPU data to cpu would read it synchronously.
      const inputs = () => ({
        x: tf.tensor4d(pixels, [12, 8, 8, 2]),
        labels: tf.oneHot(tf.tensor1d(Array.from({ length: 12 }, (_, i) => i % 3), "int32"), 3),
        table: tf.variable(tf.tensor2d(Float32Array.from({ length: 40 }, (_, i) => Math.cos(i)), [10, 4])),
        ids: tf.tensor1d([1, 7, 7, 3, 1, 0], "int32"),
      });
      const weights = await Promise.all(model.getWeights().map((w) => w.array()));
      const grads = async (backend) => {
        await tf.setBackend(backend);
        const { x, labels, table, ids } = inputs();
        model.setWeights(weights.map((w) => tf.tensor(w)));
        const { value, grads } = tf.variableGrads(() =>
          tf.losses.softmaxCrossEntropy(labels, model.apply(x)).add(tf.gather(table, ids).square().sum().mul(0.01))
        );
        const out = [Array.from(await value.data())];
        for (const g of Object.values(grads)) out.push(Array.from(await g.data()));
        table.dispose();
        return out;
      };
      const onGpu = await grads("webgpu"), onCpu = await grads("cpu");
      let err = 0;
      for (let i = 0; i < onCpu.length; i++) {
        const scale = Math.max(1e-6, ...onCpu[i].map(Math.abs));
        for (let j = 0; j < onCpu[i].length; j++) err = Math.max(err, Math.abs(onGpu[i][j] - onCpu[i][j]) / scale);
      }
      await tf.setBackend("webgpu");
      const { x, labels } = inputs();
      model.setWeights(weights.map((w) => tf.tensor(w)));
      model.compile({ optimizer: tf.train.adam(0.05), loss: "categoricalCrossentropy" });
      const h = await model.fit(x, labels, { epochs: 8, batchSize: 6, verbose: 0, shuffle: false });
      console.log(JSON.stringify({ engine: info.engine, backend: tf.getBackend(), err, count: onCpu.length, first: h.history.loss[0], last: h.history.loss.at(-1) }));
    `;
    const dir = await Deno.makeTempDir({ prefix: "sonata-webgpu-" });
    try {
      const file = `${dir}/webgpu.ts`;
      await Deno.writeTextFile(file, script);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", "--config", `${ROOT}deno.json`, file],
        env: { SONATA_COMPUTE: "", XDG_RUNTIME_DIR: "" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stdout + stderr);
      assert.doesNotMatch(stderr, /XDG_RUNTIME_DIR/);
      const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
      assert.equal(result.engine, "webgpu");
      assert.equal(result.backend, "webgpu");
      assert.equal(result.count, 6); // the loss, four layer weights and the embedding table
      assert.ok(result.err < 1e-4, `webgpu gradients differ from cpu by ${result.err}`);
      assert.ok(result.last < result.first * 0.6, `loss ${result.first} → ${result.last}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
