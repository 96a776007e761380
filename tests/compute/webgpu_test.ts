/**
 * The webgpu engine trains correctly: gradients of a small tf.layers model (dense, conv2d,
 * pooling, an embedding gather) match cpu; Sonata's own trainer, evaluation and prediction run
 * on it (no synchronous read, one device read per training step) and give the cpu engine's
 * results within 1e-3; `sonata check_install` shows the adapter and what `auto` picks. Runs on
 * whatever adapter the machine has (llvmpipe, Mesa's software rasterizer, on CI); skipped, saying
 * so, where WebGPU has no adapter or with SONATA_TEST_WEBGPU=0.
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
    // As Sonata asks (lib/compute/mod.ts, LINUX_WEBGPU_BACKENDS): wgpu's GL backend would load
    // libEGL, whose exit-time destructor can abort this child and so skip the tests below.
    env: { DENO_WEBGPU_BACKEND: Deno.env.get("DENO_WEBGPU_BACKEND") ?? "vulkan" },
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const name = new TextDecoder().decode(out.stdout).trim();
  return out.code === 0 && name ? name : undefined;
}

const adapter = adapterHere();
if (adapter === undefined) {
  // deno-lint-ignore no-console
  console.log(
    Deno.env.get("SONATA_TEST_WEBGPU") === "0"
      ? "webgpu tests skipped: SONATA_TEST_WEBGPU=0"
      : "webgpu tests skipped: navigator.gpu.requestAdapter() found no WebGPU adapter here",
  );
}

async function deno(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { XDG_RUNTIME_DIR: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

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
      // More inputs than a shader can bind (AddN binds each one): added in chunks.
      const many = Array.from({ length: 20 }, (_, i) => tf.fill([3], i + 1));
      const addN = Array.from(await tf.addN(many).data());
      console.log(JSON.stringify({ engine: info.engine, backend: tf.getBackend(), err, count: onCpu.length, first: h.history.loss[0], last: h.history.loss.at(-1), addN }));
    `;
    const dir = await Deno.makeTempDir({ prefix: "sonata-webgpu-" });
    try {
      const file = `${dir}/webgpu.ts`;
      await Deno.writeTextFile(file, script);
      const out = await deno(
        ["run", "-A", "--no-check", "--config", `${ROOT}deno.json`, file],
        { SONATA_COMPUTE: "" },
      );
      assert.equal(out.code, 0, out.stdout + out.stderr);
      assert.doesNotMatch(out.stderr, /XDG_RUNTIME_DIR/);
      const result = lastJson(out.stdout) as Record<string, number & string & number[]>;
      assert.equal(result.engine, "webgpu");
      assert.equal(result.backend, "webgpu");
      assert.equal(result.count, 6); // the loss, four layer weights and the embedding table
      assert.ok(result.err < 1e-4, `webgpu gradients differ from cpu by ${result.err}`);
      assert.ok(result.last < result.first * 0.6, `loss ${result.first} → ${result.last}`);
      assert.deepEqual(result.addN, [210, 210, 210]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Differences between two JSON values: numbers beyond `tol` × max(1, |expected|), anything else unequal. */
function differences(actual: unknown, expected: unknown, tol: number, path = ""): string[] {
  if (typeof expected === "number" && typeof actual === "number") {
    const ok = Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)) ||
      (Number.isNaN(actual) && Number.isNaN(expected));
    return ok ? [] : [`${path}: ${actual} (webgpu) vs ${expected} (cpu)`];
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (actual.length !== expected.length) {
      return [`${path}: ${actual.length} values (webgpu) vs ${expected.length} (cpu)`];
    }
    return expected.flatMap((e, i) => differences(actual[i], e, tol, `${path}[${i}]`));
  }
  if (expected && typeof expected === "object" && actual && typeof actual === "object") {
    const a = actual as Record<string, unknown>, e = expected as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
    return [...keys].flatMap((k) => differences(a[k], e[k], tol, `${path}.${k}`));
  }
  return actual === expected
    ? []
    : [`${path}: ${JSON.stringify(actual)} (webgpu) vs ${JSON.stringify(expected)} (cpu)`];
}

Deno.test({
  name: `Sonata trains, evaluates and predicts on webgpu as on cpu (adapter: ${adapter ?? "none"})`,
  ignore: adapter === undefined,
  async fn() {
    const args = ["run", "-A", "tests/compute/_webgpu_train.ts", "tabular", "image"];
    const [gpu, cpu] = await Promise.all([
      deno(args, { SONATA_COMPUTE: "webgpu" }),
      deno(args, { SONATA_COMPUTE: "cpu" }),
    ]);
    assert.equal(gpu.code, 0, gpu.stdout + gpu.stderr);
    assert.equal(cpu.code, 0, cpu.stdout + cpu.stderr);
    // tfjs-backend-webgpu warns on every synchronous read of GPU data: there must be none.
    assert.doesNotMatch(gpu.stderr, /synchronously reading data|Cannot read tensor data/);
    const onGpu = lastJson(gpu.stdout), onCpu = lastJson(cpu.stdout);
    assert.equal(onGpu.engine, "webgpu");
    assert.equal(onCpu.engine, "cpu");
    for (const name of ["tabular", "image"]) {
      const g = onGpu[name] as Record<string, unknown>, c = onCpu[name] as Record<string, unknown>;
      assert.ok((g.steps as number) > 0);
      for (const key of ["statistics", "predictions", "evaluation"]) {
        const diff = differences(g[key], c[key], 1e-3, `${name}.${key}`);
        assert.deepEqual(
          diff,
          [],
          `webgpu differs from cpu beyond 1e-3:\n${diff.slice(0, 20).join("\n")}`,
        );
      }
      // One device read per training step; each evaluation reads every eval batch once and the
      // losses of all outputs once (one batch per split here); predict reads once per batch.
      const evaluatedSplits = name === "tabular" ? 2 : 0;
      assert.equal(
        g.trainReads,
        (g.steps as number) + (g.checkpoints as number) * evaluatedSplits * 2,
        `${name}: device reads while training`,
      );
      assert.equal(g.predictReads, 1, `${name}: device reads while predicting`);
    }
  },
});

Deno.test({
  name: `sonata check_install shows the webgpu adapter and what auto picks (adapter: ${
    adapter ?? "none"
  })`,
  ignore: adapter === undefined,
  async fn() {
    const [listed, chosen] = await Promise.all([
      deno(["run", "-A", "lib/cli/main.ts", "check_install"], { SONATA_COMPUTE: "" }),
      deno(
        [
          "eval",
          `import { ready } from "${ROOT}lib/compute/mod.ts"; console.log((await ready({ quiet: true })).engine)`,
        ],
        { SONATA_COMPUTE: "" },
      ),
    ]);
    assert.equal(listed.code, 0, listed.stdout + listed.stderr);
    assert.equal(chosen.code, 0, chosen.stdout + chosen.stderr);
    assert.doesNotMatch(listed.stderr, /XDG_RUNTIME_DIR/);
    const row = listed.stdout.split("\n").find((l) => /^yes\s+webgpu\s/.test(l));
    assert.ok(row, `no available webgpu row in:\n${listed.stdout}`);
    assert.match(row, /(software|hardware) adapter /);
    // A software adapter is never auto's pick (slower than the CPU engines).
    if (/software adapter/.test(row)) assert.match(row, /auto skips it/);
    const auto = listed.stdout.match(/^compute: auto picks "([\w-]+)" here$/m);
    assert.ok(auto, `no "auto picks" line in:\n${listed.stdout}`);
    assert.equal(auto[1], chosen.stdout.trim().split("\n").at(-1));
    if (/software adapter/.test(row)) assert.notEqual(auto[1], "webgpu");
  },
});
