/**
 * The portable WebAssembly SIMD sgemm, and the native engine with every system BLAS hidden.
 *
 * @module
 */
import assert from "node:assert/strict";
import { KC, MB, MC, NC, wasmSgemm, wasmSgemmAvailable } from "../../lib/compute/_wasm_sgemm.ts";
import { openBlas } from "../../lib/compute/_blas.ts";
import { NO_BLAS, relativeError, values } from "./_compare.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** C = alpha·op(A)·op(B) + beta·C in float64, the reference. */
function reference(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += (transA ? a[p * lda + i] : a[i * lda + p]) *
          (transB ? b[j * ldb + p] : b[p * ldb + j]);
      }
      c[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * ldc + j]);
    }
  }
}

Deno.test("the WebAssembly SIMD sgemm is available", () => {
  assert.equal(wasmSgemmAvailable(), true);
});

Deno.test("wasmSgemm matches a float64 product on odd shapes, transposes, strides, alpha and beta", async (t) => {
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [3, 5, 4],
    [4, 8, 1],
    [5, 9, 7],
    [17, 33, 300],
    [1, NC + 3, 3],
    [MC + 1, 1, KC + 1],
    [MB + 5, 19, 2 * KC + 3],
    [70, NC + 9, KC - 1],
  ];
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        await t.step(`${m}×${k}${transA ? "ᵀ" : ""} · ${k}×${n}${transB ? "ᵀ" : ""}`, () => {
          for (const [alpha, beta] of [[1, 0], [1.5, 0.5], [-2, 1]]) {
            const lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 3;
            const a = values((transA ? k : m) * lda, 1), b = values((transB ? n : k) * ldb, 2);
            const got = values(m * ldc, 3);
            const want = got.slice();
            wasmSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc);
            reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc);
            const err = relativeError(got, want);
            assert.ok(err < 1e-5, `alpha ${alpha} beta ${beta}: relative error ${err}`);
          }
        });
      }
    }
  }
});

Deno.test("wasmSgemm handles k = 0, beta = 0 over NaN, and rejects short buffers", () => {
  const c = new Float32Array([NaN, 2, 3, 4]);
  wasmSgemm(false, false, 2, 2, 0, 1, new Float32Array(0), 0, new Float32Array(0), 2, 0.5, c, 2);
  assert.ok(Number.isNaN(c[0]));
  assert.deepEqual([...c.subarray(1)], [1, 1.5, 2]);
  const d = new Float32Array([NaN, NaN, NaN, NaN]);
  wasmSgemm(
    false,
    false,
    2,
    2,
    1,
    1,
    new Float32Array([1, 2]),
    1,
    new Float32Array([3, 4]),
    2,
    0,
    d,
    2,
  );
  assert.deepEqual([...d], [3, 4, 6, 8]);
  assert.throws(
    () =>
      wasmSgemm(false, false, 2, 2, 2, 1, new Float32Array(3), 2, new Float32Array(4), 2, 0, d, 2),
    /Cannot call sgemm: buffers too small/,
  );
});

Deno.test({
  name: "wasmSgemm agrees with the system BLAS",
  ignore: NO_BLAS !== undefined,
  fn() {
    const { sgemm } = openBlas();
    for (const [m, n, k] of [[64, 96, 130], [257, 33, 511]]) {
      const a = values(m * k, 4), b = values(k * n, 5);
      const got = new Float32Array(m * n), want = new Float32Array(m * n);
      wasmSgemm(false, true, m, n, k, 1, a, k, b, k, 0, got, n);
      sgemm(false, true, m, n, k, 1, a, k, b, k, 0, want, n);
      assert.ok(relativeError(got, want) < 1e-5);
    }
  },
});

async function run(
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): Promise<{ code: number; out: string; stdout: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    env: { SONATA_COMPUTE: "", SONATA_BLAS_THREADS: "", ...env },
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const stdout = decode(result.stdout);
  return { code: result.code, out: stdout + decode(result.stderr), stdout };
}

// The native kernel tests again, in a process where no system BLAS is looked for: every
// kernel that calls sgemm then runs on the portable one.
Deno.test({
  name: "the native kernel tests pass on the portable sgemm (SONATA_BLAS=none)",
  ignore: Deno.env.get("SONATA_BLAS") === "none",
  async fn() {
    const files = [
      "native_test.ts",
      "dense_test.ts",
      "adam_test.ts",
      "adam_inplace_test.ts",
      "gather_grad_test.ts",
    ].map((f) => `tests/compute/${f}`);
    const { code, out } = await run(["test", "-A", "--no-check", ...files], {
      SONATA_BLAS: "none",
    });
    assert.equal(code, 0, out);
    assert.match(out, / 0 failed/);
    assert.doesNotMatch(out, /skipping native kernel tests/);
  },
});

Deno.test("the demo trains with every system BLAS hidden", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "sonata-demo-" });
  try {
    const { code, out } = await run(
      ["run", "-A", "--no-check", "--config", `${ROOT}deno.json`, `${ROOT}examples/demo.ts`],
      { SONATA_BLAS: "none" },
      cwd,
    );
    assert.equal(code, 0, out);
    assert.match(out, /compute engine "native" .*portable WebAssembly SIMD sgemm/);
    assert.match(out, /mean squared error/);
    assert.doesNotMatch(out, /not registered for backend/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("a small conv model trains on the portable sgemm and matches cpu (SONATA_BLAS=/nonexistent)", async () => {
  const script = `
    import { ready, tf } from "${ROOT}lib/compute/mod.ts";
    const info = await ready({ quiet: true });
    const model = () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ inputShape: [10, 10, 2], filters: 6, kernelSize: 3, activation: "relu", kernelInitializer: "glorotUniform", biasInitializer: "zeros" }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, padding: "same" }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 3, activation: "softmax" }));
      return m;
    };
    // Class 0 lights the top half, class 1 the left half, class 2 neither; plus noise.
    const pixels = new Float32Array(32 * 200);
    for (let i = 0; i < pixels.length; i++) {
      const b = Math.floor(i / 200), h = Math.floor(i / 20) % 10, w = Math.floor(i / 2) % 10;
      const label = b % 3;
      pixels[i] = 0.3 * Math.sin(i * 12.9898) + ((label === 0 && h < 5) || (label === 1 && w < 5) ? 1 : 0);
    }
    const x = tf.tensor4d(pixels, [32, 10, 10, 2]);
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 3), "int32"), 3);
    const m = model();
    tf.setBackend("native");
    const weights = m.getWeights().map((w) => w.arraySync());
    const grads = (backend) => {
      tf.setBackend(backend);
      m.setWeights(weights.map((w) => tf.tensor(w)));
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, m.apply(x)));
      return [value.dataSync()[0], ...Object.values(grads).map((g) => Array.from(g.dataSync()))];
    };
    const onNative = grads("native"), onCpu = grads("cpu");
    let err = 0;
    for (let i = 1; i < onNative.length; i++) {
      const scale = Math.max(...onCpu[i].map(Math.abs));
      for (let j = 0; j < onCpu[i].length; j++) err = Math.max(err, Math.abs(onNative[i][j] - onCpu[i][j]) / scale);
    }
    tf.setBackend("native");
    m.setWeights(weights.map((w) => tf.tensor(w)));
    m.compile({ optimizer: tf.train.adam(0.02), loss: "categoricalCrossentropy" });
    const h = await m.fit(x, labels, { epochs: 15, batchSize: 16, verbose: 0, shuffle: false });
    console.log(JSON.stringify({ matmul: info.matmul, engine: info.engine, lossDiff: Math.abs(onNative[0] - onCpu[0]), err, first: h.history.loss[0], last: h.history.loss.at(-1) }));
  `;
  const dir = await Deno.makeTempDir({ prefix: "sonata-conv-" });
  try {
    const file = `${dir}/conv.ts`;
    await Deno.writeTextFile(file, script);
    const { code, out, stdout } = await run(
      ["run", "-A", "--no-check", "--config", `${ROOT}deno.json`, file],
      { SONATA_BLAS: "/nonexistent/libblas.so" },
    );
    assert.equal(code, 0, out);
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(result.engine, "native");
    assert.match(result.matmul, /portable WebAssembly SIMD sgemm .*nonexistent/);
    assert.ok(result.lossDiff < 1e-5, `loss differs by ${result.lossDiff}`);
    assert.ok(result.err < 1e-4, `gradients differ from cpu by ${result.err}`);
    assert.ok(result.last < result.first * 0.5, `loss ${result.first} → ${result.last}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
