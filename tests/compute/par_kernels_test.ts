/**
 * The multi-threaded native kernels (`lib/compute/_par.ts`): batch norm (training and
 * inference, forward and gradients), depthwise convolutions and their gradients, Relu/Relu6
 * and the Relu6 gradient, FusedConv2D's bias + activation epilogue. Each runs with threads
 * off and with 2 and 3 threads (more ranges than this machine may have cores) and must match
 * one thread within 1e-5 and tfjs's cpu backend; inputs given by users (not on shared memory)
 * and arrays with fewer rows than threads are included, and read-out values are ordinary
 * (not shared) arrays.
 *
 * @module
 */
import assert from "node:assert/strict";
import { batchNormTraining } from "../../lib/compute/mod.ts";
import { kernelThreads, parStats, setKernelThreads } from "../../lib/compute/_par.ts";

import { NO_NATIVE, rand, relativeError, splitSmallShapes, tf } from "./_compare.ts";

splitSmallShapes();

const ignore = NO_NATIVE !== undefined;

type Case = () => tf.Tensor[];

/** Runs `f` on cpu, then on native with 1, 2 and 3 threads; returns the native values. */
async function compare(f: Case, cpuTol: number): Promise<Float32Array[][]> {
  await tf.setBackend("cpu");
  const cpu = tf.tidy(f).map((t) => t.dataSync() as Float32Array);
  await tf.setBackend("native");
  const runs: Float32Array[][] = [];
  const previous = setKernelThreads(1);
  try {
    for (const threads of [1, 2, 3]) {
      setKernelThreads(threads);
      const out = tf.tidy(f);
      const got = out.map((t) => {
        const v = t.dataSync() as Float32Array;
        assert.ok(!(v.buffer instanceof SharedArrayBuffer), "read-out values are not shared");
        return v;
      });
      tf.dispose(out);
      runs.push(got);
    }
  } finally {
    setKernelThreads(previous);
  }
  for (let i = 0; i < cpu.length; i++) {
    for (let r = 0; r < runs.length; r++) {
      const e = relativeError(runs[r][i], cpu[i]);
      assert.ok(e <= cpuTol, `output ${i}, ${r + 1} thread(s): error ${e} vs cpu`);
      const s = relativeError(runs[r][i], runs[0][i]);
      assert.ok(s <= 1e-5, `output ${i}, ${r + 1} thread(s): error ${s} vs one thread`);
    }
  }
  return runs;
}

/** A tensor computed by a native kernel (its array comes from the pool: shared when large). */
function pooled(shape: number[], seed: number): tf.Tensor {
  return rand(shape, seed).mul(1);
}

/** Asserts that `f` dispatched at least one kernel to the workers. */
async function dispatches(f: () => Promise<unknown>): Promise<void> {
  const before = parStats().dispatched;
  await f();
  assert.ok(parStats().dispatched > before, "some kernel ran split over threads");
}

Deno.test({
  name: "threaded batch norm (training, inference) and its gradients match one thread and cpu",
  ignore,
  async fn(t) {
    for (
      const [shape, label] of [
        [[4, 30, 30, 48], "rows > threads"],
        [[2, 70000], "2 rows, fewer than 3 threads"],
        [[3, 37, 29, 33], "odd sizes"],
      ] as const
    ) {
      const s = [...shape];
      const c = s[s.length - 1];
      const normalize = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const fast = batchNormTraining(x, g, b, 1e-3);
        if (fast) return fast;
        const { mean, variance } = tf.moments(x, s.slice(0, -1).map((_, i) => i));
        return { y: tf.batchNorm(x, mean, variance, b, g, 1e-3), mean, variance };
      };
      for (const shared of [true, false]) {
        const x = () =>
          (shared ? pooled(s, 1) : rand(s, 1)).mul(shared ? 3 : 1).add(shared ? 5 : 0);
        await t.step(
          `${label} ${s} ${shared ? "pooled" : "user"} input`,
          () =>
            dispatches(() =>
              compare(() => {
                const r = normalize(x(), rand([c], 2).add(1.5), rand([c], 3));
                const grads = tf.grads((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
                  const q = normalize(xx, g, b);
                  return q.y.mul(pooled(s, 4)).sum().add(q.mean.mul(rand([c], 5)).sum())
                    .add(q.variance.mul(rand([c], 6)).sum());
                })([x(), rand([c], 2).add(1.5), rand([c], 3)]);
                // Inference mode: FusedBatchNorm and its (tfjs-routed) gradient.
                const mean = rand([c], 7);
                const variance = rand([c], 8).abs().add(0.5);
                const inf = tf.grads((xx: tf.Tensor, g: tf.Tensor) =>
                  tf.batchNorm(xx, mean, variance, rand([c], 9), g, 1e-3).mul(pooled(s, 10)).sum()
                )([x(), rand([c], 2).add(1.5)]);
                return [r.y, r.mean, r.variance, ...grads, ...inf];
              }, 2e-4)
            ),
        );
      }
    }
  },
});

type Pad = "same" | "valid";

Deno.test({
  name: "threaded depthwise convolutions and their gradients match one thread and cpu",
  ignore,
  async fn(t) {
    const cases: Array<{ x: number[]; k: number; s: 1 | 2; pad: Pad }> = [
      { x: [4, 22, 22, 40], k: 3, s: 1, pad: "valid" }, // valid 3×3, stride-1 dx
      { x: [3, 47, 45, 37], k: 3, s: 2, pad: "valid" }, // stride-2 dx, odd sizes
      { x: [2, 20, 20, 64], k: 3, s: 1, pad: "same" }, // the run loops (padding)
      { x: [1, 40, 40, 96], k: 5, s: 2, pad: "same" }, // one image: fewer images than threads
    ];
    for (const { x: xs, k, s, pad } of cases) {
      const c = xs[3];
      await t.step(`${xs} ${k}×${k} stride ${s} ${pad}`, () =>
        dispatches(() =>
          compare(() => {
            const x = pooled(xs, 1) as tf.Tensor4D;
            const w = rand([k, k, c, 1], 2) as tf.Tensor4D;
            const y = tf.depthwiseConv2d(x, w, s, pad);
            const [dx, dw] = tf.grads((xx, ww) =>
              tf.depthwiseConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, s, pad).mul(
                pooled(y.shape, 3),
              ).sum()
            )([x, w]);
            // A user (non-shared) input runs on one thread and must agree too.
            const yUser = tf.depthwiseConv2d(rand(xs, 1) as tf.Tensor4D, w as tf.Tensor4D, s, pad);
            return [y, dx, dw, yUser];
          }, 1e-4)
        ));
    }
  },
});

Deno.test({
  name: "threaded relu, relu6 (and its gradient) and conv2d's bias + activation match cpu",
  ignore,
  async fn(t) {
    await t.step(
      "relu, relu6 and the relu6 gradient, 0, 6 and NaN included",
      () =>
        dispatches(() =>
          compare(() => {
            const x = pooled([3, 50001], 1).mul(8);
            const special = tf.tensor([0, 6, NaN, -0, 6.0000005, -1e-30, Infinity, -Infinity]);
            const xx = tf.concat([x.reshape([-1]), special]).mul(1);
            const [g] = tf.grads((v: tf.Tensor) => tf.relu6(v).mul(pooled(xx.shape, 2)).sum())([
              xx,
            ]);
            return [tf.relu(xx), tf.relu6(xx), g];
          }, 0)
        ),
    );
    for (const activation of ["linear", "relu", "relu6"] as const) {
      await t.step(`fused conv2d + bias + ${activation}`, () =>
        dispatches(() =>
          compare(() => {
            const x = pooled([4, 32, 32, 16], 1) as tf.Tensor4D;
            const filter = rand([3, 3, 16, 33], 2).mul(0.5) as tf.Tensor4D;
            const bias = rand([33], 3);
            const y = tf.fused.conv2d({ x, filter, bias, activation, pad: "same", strides: 1 });
            const [dx, df, db] = tf.grads((a, f, b) =>
              tf.fused.conv2d({
                x: a as tf.Tensor4D,
                filter: f as tf.Tensor4D,
                bias: b,
                activation,
                pad: "same",
                strides: 1,
              })
                .mul(pooled(y.shape, 4)).sum()
            )([x, filter, bias]);
            return [y, dx, df, db];
          }, 1e-4)
        ));
    }
  },
});

Deno.test({
  name: "threaded kernels: deterministic per thread count, threads setting validated",
  ignore,
  async fn() {
    await tf.setBackend("native");
    const previous = setKernelThreads(2);
    try {
      const run = () =>
        tf.tidy(() => {
          const x = pooled([8, 32, 32, 24], 1).add(3);
          const r = batchNormTraining(x, tf.ones([24]), tf.zeros([24]), 1e-3)!;
          return [r.mean.dataSync().slice(), r.variance.dataSync().slice()];
        });
      const [a, b] = [run(), run()];
      assert.deepEqual(a, b);
      assert.throws(() => setKernelThreads(0), /positive integer/);
      assert.throws(() => setKernelThreads(1.5), /positive integer/);
      assert.equal(kernelThreads(), 2);
    } finally {
      setKernelThreads(previous);
    }
  },
});

Deno.test({
  name: "a process running threaded kernels exits by itself, with threads and with them off",
  ignore,
  async fn() {
    const script = `
      import { registerNativeBackend, tf } from ${
      JSON.stringify(new URL("../../lib/compute/mod.ts", import.meta.url).href)
    };
      import { parStats } from ${
      JSON.stringify(new URL("../../lib/compute/_par.ts", import.meta.url).href)
    };
      registerNativeBackend();
      await tf.setBackend("native");
      const x = tf.randomNormal([4, 64, 64, 32]).mul(1);
      let y = 0;
      // The first kernels may run before the worker is ready (they then run every chunk).
      for (let i = 0; i < 100 && parStats().helped === 0; i++) {
        y = tf.relu6(x).sum().dataSync()[0];
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(JSON.stringify({ ok: Number.isFinite(y), ...parStats() }));
    `;
    for (const threads of ["2", "1"]) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["eval", "--ext=ts", script],
        env: { SONATA_KERNEL_THREADS: threads },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const out = await child.output();
      clearTimeout(timer);
      const text = new TextDecoder().decode(out.stdout).trim();
      assert.equal(out.code, 0, `exit code ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
      const stats = JSON.parse(text.split("\n").pop()!);
      assert.equal(stats.ok, true);
      if (threads === "2") {
        assert.equal(stats.workers, 1);
        assert.ok(stats.dispatched > 0);
        assert.ok(stats.helped > 0, "the worker ran chunks");
      } else {
        assert.equal(stats.workers, 0, "no worker starts with threads off");
      }
    }
  },
});

Deno.test({
  name: "values read out of shared arrays are ordinary arrays (digest, writeFile accept them)",
  ignore,
  async fn() {
    await tf.setBackend("native");
    const previous = setKernelThreads(2);
    const dir = await Deno.makeTempDir();
    try {
      const y = tf.relu6(pooled([4, 64, 64, 32], 1));
      const sync = y.dataSync() as Float32Array;
      const later = await y.data() as Float32Array;
      const buffer = y.bufferSync().values as Float32Array;
      for (const v of [sync, later, buffer]) {
        assert.ok(!(v.buffer instanceof SharedArrayBuffer));
        assert.equal(v.length, 4 * 64 * 64 * 32);
      }
      const bytes = new Uint8Array(sync.buffer as ArrayBuffer, sync.byteOffset, sync.byteLength);
      const digest = await crypto.subtle.digest("SHA-256", bytes);
      assert.equal(digest.byteLength, 32);
      await Deno.writeFile(`${dir}/y.bin`, bytes);
      assert.equal((await Deno.stat(`${dir}/y.bin`)).size, bytes.byteLength);
      // The tensor still computes after its values were swapped for the copy.
      let expected = 0;
      for (const v of sync) expected += v;
      const got = tf.sum(tf.relu6(y)).dataSync()[0];
      assert.ok(Math.abs(got - expected) <= 1e-4 * Math.abs(expected), `${got} vs ${expected}`);
      y.dispose();
    } finally {
      setKernelThreads(previous);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
