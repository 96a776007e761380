/**
 * The WebAssembly SIMD depthwise range ops (`lib/compute/_wasm_dw.ts`, dispatched by
 * `_par_ops.ts`) against the JavaScript loops on odd shapes and ranges not starting at 0,
 * and the depthwise kernels through tfjs against its cpu backend with 1 and 2 kernel threads.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DW_JS_OPS, RANGE_OPS } from "../../lib/compute/_par_ops.ts";
import { parStats, setKernelThreads } from "../../lib/compute/_par.ts";
import { wasmDwAvailable } from "../../lib/compute/_wasm_dw.ts";
import { NO_NATIVE, rand, relativeError, splitSmallShapes, tf, values } from "./_compare.ts";
import { stride2Taps } from "../../lib/compute/_kernels_conv.ts";

splitSmallShapes();

const TOL = 1e-5;

/** Runs the dispatching op and the JavaScript loop on copies of `out`; asserts they agree. */
function same(
  label: string,
  op: string,
  args: (out: Float32Array | Float64Array) => unknown[],
  out: Float32Array | Float64Array,
  lo: number,
  hi: number,
  part = 0,
): void {
  const want = out.slice();
  const got = out.slice();
  DW_JS_OPS[op](args(want), lo, hi, part);
  RANGE_OPS[op](args(got), lo, hi, part);
  const e = relativeError(got, want);
  assert.ok(e <= TOL, `${label}: relative error ${e}`);
  assert.ok(want.some((v, i) => v !== out[i]), `${label}: the range wrote something`);
}

Deno.test("WebAssembly SIMD is available for the depthwise kernels", () => {
  assert.ok(wasmDwAvailable());
});

/** Every depthwise range op on one shape (stride s), dispatching against JavaScript. */
function checkShape(batch: number, inH: number, inW: number, c: number, s: number, seed: number) {
  const outH = Math.floor((inH - 3) / s) + 1;
  const outW = Math.floor((inW - 3) / s) + 1;
  const x = values(batch * inH * inW * c, seed++);
  const w = values(9 * c, seed++);
  const dy = values(batch * outH * outW * c, seed++);
  const rows = batch * outH;
  // Ranges not at 0, crossing an image boundary where there are several.
  const [lo, hi] = [1, Math.max(2, rows - 1)];
  const y = new Float32Array(dy.length).fill(0.5);
  const fwd = [inH, inW, c, outH, outW, s, s];
  same("forward", "dw3x3Valid", (o) => [x, w, o, ...fwd], y, lo, hi);
  const ranges = new Int32Array([0, outW, 0, outW, 0, outW]);
  const geo = [inH, inW, c, outH, outW, 3, 3, s, s, 0, 0];
  const dW = new Float32Array(9 * c).fill(0.25);
  same("dW", "dwRuns", (o) => [2, x, dy, o, ranges, ...geo], dW, lo, hi);
  const parts = new Float64Array(3 * 9 * c).fill(9);
  same("dW parts", "dwRuns", (o) => [2, x, dy, null, ranges, ...geo, o], parts, lo, hi, 1);
  // The run loops (padding): modes 0 (y zeroed, as its caller) and 2.
  for (const [top, left, bottom, right] of [[1, 1, 1, 1], [2, 0, 0, 1], [0, 2, 1, 0]]) {
    const oh = Math.floor((inH + top + bottom - 3) / s) + 1;
    const ow = Math.floor((inW + left + right - 3) / s) + 1;
    const runs = new Int32Array(6);
    for (let kw = 0; kw < 3; kw++) {
      const r0 = Math.max(0, Math.ceil((left - kw) / s));
      runs[2 * kw] = r0;
      runs[2 * kw + 1] = Math.max(r0, Math.min(ow, Math.floor((inW - 1 - kw + left) / s) + 1));
    }
    const g = [inH, inW, c, oh, ow, 3, 3, s, s, top, left];
    const d = values(batch * oh * ow * c, seed++);
    const [a, z] = [1, Math.max(2, batch * oh - 1)];
    const label = `pad ${top} ${left} ${bottom} ${right}`;
    const y0 = new Float32Array(d.length);
    same(`${label} y`, "dwRuns", (o) => [0, x, w, o, runs, ...g], y0, a, z);
    const f = new Float32Array(9 * c).fill(0.25);
    same(`${label} dW`, "dwRuns", (o) => [2, x, d, o, runs, ...g], f, a, z);
    const fp = new Float64Array(2 * 9 * c).fill(9);
    same(`${label} dW parts`, "dwRuns", (o) => [2, x, d, null, runs, ...g, o], fp, a, z, 1);
  }
  const dx = new Float32Array(x.length).fill(2);
  if (s === 1) {
    for (const [pt, pl] of [[2, 2], [1, 0], [0, 2]]) {
      const padded = new Float32Array(batch * (inH + 2) * (inW + 2) * c);
      const args = (o: unknown) => [dy, w, padded, o, inH, inW, c, outH, outW, pt, pl];
      same(`dx pad ${pt}, ${pl}`, "dw3x3S1Dx", args, dx, batch > 1 ? 1 : 0, batch);
      // No `padded` (the kernel's call when WebAssembly runs; the fallback pads per image).
      const want = dx.slice();
      const got = dx.slice();
      const geo = [inH, inW, c, outH, outW, pt, pl];
      DW_JS_OPS.dw3x3S1Dx([dy, w, padded, want, ...geo], batch > 1 ? 1 : 0, batch, 0);
      RANGE_OPS.dw3x3S1Dx([dy, w, new Float32Array(0), got, ...geo], batch > 1 ? 1 : 0, batch, 0);
      const e = relativeError(got, want);
      assert.ok(e <= TOL, `dx pad ${pt}, ${pl}, no padded: relative error ${e}`);
    }
  } else {
    for (const [top, left] of [[0, 0], [1, 1], [2, 0], [0, 1]]) {
      const oh = Math.floor((inH + top - 3) / 2) + 1;
      const ow = Math.floor((inW + left - 3) / 2) + 1;
      const d = values(batch * oh * ow * c, seed++);
      const tr = stride2Taps(inH, oh, top);
      const tc = stride2Taps(inW, ow, left);
      const args = (o: unknown) => [d, w, o, tr, tc, inH, inW, c, oh, ow];
      same(`dx pad ${top}, ${left}`, "dw3x3S2Dx", args, dx, 1, batch * inH - 1);
    }
  }
}

Deno.test("wasm depthwise range ops match the JavaScript loops on odd shapes", async (t) => {
  let seed = 1;
  for (const c of [1, 3, 5, 17, 96]) {
    for (const [batch, inH, inW] of [[2, 9, 11], [3, 8, 7], [1, 13, 6]]) {
      for (const s of [1, 2]) {
        await t.step(`c ${c}, ${batch}×${inH}×${inW}, stride ${s}`, () => {
          checkShape(batch, inH, inW, c, s, seed);
          seed += 10;
        });
      }
    }
  }
});

Deno.test("wasm depthwise range ops match the JavaScript loops over several bands", async (t) => {
  // Rows long enough for several bands per image; one band needing the whole memory; rows
  // too long for it (the JavaScript loops run).
  for (const [batch, inH, inW, c] of [[2, 41, 201, 96], [1, 9, 501, 97], [1, 7, 1400, 96]]) {
    for (const s of [1, 2]) {
      await t.step(`${batch}×${inH}×${inW}×${c}, stride ${s}`, () => {
        checkShape(batch, inH, inW, c, s, 3 * inW + s);
      });
    }
  }
});

Deno.test({
  name: "depthwise 3×3 kernels (wasm) match cpu with 1 and 2 kernel threads",
  ignore: NO_NATIVE !== undefined,
  async fn(t) {
    // `split`: large enough for the kernels to run split over 2 threads.
    const cases: Array<{ x: number[]; s: 1 | 2; split?: boolean; same?: boolean }> = [
      { x: [2, 31, 29, 17], s: 1, split: true },
      { x: [3, 27, 25, 5], s: 2 },
      { x: [2, 24, 23, 96], s: 2, split: true },
      { x: [1, 12, 13, 3], s: 1 },
      { x: [4, 11, 9, 1], s: 2 },
      // TF "same" padding (torchvision's stride-1 depthwise layers): the run loops' path.
      { x: [2, 29, 31, 17], s: 1, split: true, same: true },
      { x: [3, 15, 14, 5], s: 1, same: true },
      { x: [2, 16, 17, 96], s: 2, same: true },
    ];
    for (const { x: xs, s, split, same: samePad } of cases) {
      await t.step(`${xs} stride ${s}${samePad ? " same" : ""}`, async () => {
        const c = xs[3];
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ];
        const f = () => {
          // Explicit padding, then a valid convolution (torchvision's mobilenet_v2).
          const input = rand(xs, 1).mul(1);
          const x = (samePad ? input : tf.pad(input, pad)) as tf.Tensor4D;
          const padding = samePad ? "same" : "valid";
          const w = rand([3, 3, c, 1], 2) as tf.Tensor4D;
          const y = tf.depthwiseConv2d(x, w, s, padding);
          const g = rand(y.shape, 3);
          const [dx, dw] = tf.grads((xx, ww) =>
            tf.depthwiseConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, s, padding).mul(g).sum()
          )([x, w]);
          return [y, dx, dw];
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
            for (let i = 0; i < cpu.length; i++) {
              const e = relativeError(got[i], cpu[i]);
              assert.ok(e <= TOL, `output ${i}, ${threads} thread(s): error ${e} vs cpu`);
            }
          }
        } finally {
          setKernelThreads(previous);
        }
      });
    }
  },
});
