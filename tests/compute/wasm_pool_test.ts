/**
 * The 2×2, stride-2 max pool and its gradient (`lib/compute/_wasm_pool.ts`, WebAssembly SIMD)
 * against the JavaScript loops bit for bit (ties, ±0, NaN, a pooled tensor matching no pixel,
 * odd shapes, ranges not starting at 0, several bands), and the MaxPool / MaxPoolGrad kernels
 * through tfjs against its cpu backend with 1 and 2 kernel threads.
 *
 * @module
 */
import assert from "node:assert/strict";
import { RANGE_OPS } from "../../lib/compute/_par_ops.ts";
import { parStats, setKernelThreads } from "../../lib/compute/_par.ts";

import { maxPool2x2Js, maxPoolGrad2x2Js, wasmPoolAvailable } from "../../lib/compute/_wasm_pool.ts";
import { NO_NATIVE, splitSmallShapes, tf, values } from "./_compare.ts";

splitSmallShapes();

/** The first index where a and b differ (Object.is: −0 ≠ +0, NaN = NaN), or −1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function assertSame(got: Float32Array, want: Float32Array, label: string): void {
  const i = firstDiff(got, want);
  assert.equal(i, -1, `${label}: at ${i} got ${got[i]}, want ${want[i]}`);
}

/** Values in a few levels (many ties), some −0 and +0, NaN at some pixels (`nan`). */
function tied(n: number, seed: number, nan: boolean): Float32Array {
  const v = values(n, seed);
  for (let i = 0; i < n; i++) {
    const q = Math.round(v[i] * 3) / 3;
    v[i] = q === 0 && i % 2 === 1 ? -0 : q;
    if (nan && i % 13 === 5) v[i] = NaN;
  }
  return v;
}

Deno.test("WebAssembly SIMD is available for the max-pool kernels", () => {
  assert.ok(wasmPoolAvailable());
});

/** Forward and gradient range ops on one shape against the JavaScript loops. */
function checkShape(batch: number, inH: number, inW: number, c: number, seed: number): void {
  const outH = Math.floor(inH / 2);
  const outW = Math.floor(inW / 2);
  const geo = [inH, inW, c, outH, outW] as const;
  const rows = batch * outH;
  const ranges: [number, number][] = [[0, rows]];
  if (rows > 2) ranges.push([1, rows - 1]);
  for (const nan of [false, true]) {
    const x = tied(batch * inH * inW * c, seed, nan);
    if (nan && x.length >= 4 * c) {
      // One window all NaN (channel 0 of the first output).
      x[0] =
        x[c] =
        x[inW * c] =
        x[inW * c + c] =
          NaN;
    }
    for (const [lo, hi] of ranges) {
      const label = `${nan ? "NaN " : ""}rows [${lo}, ${hi})`;
      const want = new Float32Array(batch * outH * outW * c).fill(7);
      const got = want.slice();
      maxPool2x2Js(x, want, ...geo, lo, hi);
      RANGE_OPS.maxPool2x2([x, got, ...geo], lo, hi, 0);
      assertSame(got, want, `${label} forward`);
      assert.ok(want.some((v) => v !== 7), `${label}: the range wrote something`);

      // dy with −0, infinities and NaN (0 + dy·0 is NaN there, as the JavaScript loop).
      const dy = values(want.length, seed + 1);
      dy[0] = -0;
      if (dy.length > 3) [dy[1], dy[2], dy[3]] = [Infinity, -Infinity, NaN];
      const pooled = new Float32Array(want.length);
      maxPool2x2Js(x, pooled, ...geo, 0, rows);
      // A pooled tensor from elsewhere: ±0 flipped, values that no pixel has.
      const foreign = pooled.slice();
      for (let i = 0; i < foreign.length; i++) {
        if (foreign[i] === 0) foreign[i] = Object.is(foreign[i], -0) ? 0 : -0;
        else if (i % 7 === 3) foreign[i] = 1.5;
      }
      for (const [name, m] of [["pooled", pooled], ["foreign", foreign]] as const) {
        // Rows past the windows: 0 (the kernel's dx is zeroed then), else a sentinel.
        const fill = 2 * outW < inW ? 0 : 3;
        const dxWant = new Float32Array(x.length).fill(fill);
        const dxGot = dxWant.slice();
        maxPoolGrad2x2Js(x, m, dy, dxWant, ...geo, lo, hi);
        RANGE_OPS.maxPoolGrad2x2([x, m, dy, dxGot, ...geo], lo, hi, 0);
        assertSame(dxGot, dxWant, `${label} gradient (${name})`);
      }
    }
  }
}

Deno.test("wasm max-pool range ops match the JavaScript loops bit for bit", async (t) => {
  let seed = 1;
  for (const c of [1, 3, 5, 32, 64]) {
    for (const [batch, inH, inW] of [[2, 6, 6], [3, 7, 5], [1, 9, 10], [2, 2, 3], [1, 3, 2]]) {
      await t.step(`c ${c}, ${batch}×${inH}×${inW}`, () => {
        checkShape(batch, inH, inW, c, seed);
        seed += 10;
      });
    }
  }
});

Deno.test("wasm max-pool range ops match the JavaScript loops over several bands", async (t) => {
  // Several bands per image (and across images); a band of one row needing the whole memory
  // (the gradient's then too long: the JavaScript loop runs).
  for (const [batch, inH, inW, c] of [[3, 40, 60, 96], [2, 41, 61, 97], [1, 4, 1400, 97]]) {
    await t.step(`${batch}×${inH}×${inW}×${c}`, () => checkShape(batch, inH, inW, c, inW + c));
  }
});

Deno.test({
  name: "MaxPool / MaxPoolGrad kernels match cpu exactly with 1 and 2 kernel threads",
  ignore: NO_NATIVE !== undefined,
  async fn(t) {
    // `split`: large enough for the 2×2 kernels to run split over 2 threads.
    const cases: Array<
      { x: [number, number, number, number]; pad: "valid" | "same"; split?: boolean }
    > = [
      { x: [6, 28, 28, 32], pad: "valid", split: true },
      { x: [8, 14, 14, 64], pad: "valid", split: true },
      { x: [3, 29, 27, 5], pad: "valid" },
      { x: [5, 7, 8, 1], pad: "valid" },
      { x: [2, 9, 9, 3], pad: "same" },
      { x: [2, 10, 12, 3], pad: "same" },
    ];
    for (const { x: shape, pad, split } of cases) {
      await t.step(`${shape} ${pad}`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const xv = tied(n, n % 97, false);
        const f = () => {
          // Through a kernel, so that x lives on shared memory when threads are on.
          const x = tf.tensor4d(xv, shape).mul(1) as tf.Tensor4D;
          const y = tf.maxPool(x, 2, 2, pad);
          const g = tf.tensor(values(y.size, 3), y.shape).add(0.01);
          const dx = tf.grad((xx) => tf.maxPool(xx as tf.Tensor4D, 2, 2, pad).mul(g).sum())(x);
          return [y, dx];
        };
        await tf.setBackend("cpu");
        const cpu = tf.tidy(f).map((v) => v.dataSync().slice() as Float32Array);
        await tf.setBackend("native");
        const previous = setKernelThreads(1);
        try {
          for (const threads of [1, 2]) {
            setKernelThreads(threads);
            const before = parStats().dispatched;
            const got = tf.tidy(f).map((v) => v.dataSync().slice() as Float32Array);
            if (threads === 2 && split) {
              assert.ok(parStats().dispatched > before, "some kernel ran split over threads");
            }
            assertSame(got[0], cpu[0], `${threads} threads: forward`);
            assertSame(got[1], cpu[1], `${threads} threads: gradient`);
          }
        } finally {
          setKernelThreads(previous === 1 ? 1 : undefined);
        }
      });
    }
  },
});
