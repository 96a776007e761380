/**
 * The depthwise range ops (`lib/compute/_par_ops.ts`) at mobilenet_v2's (W4's) shapes, batch
 * 32, on the calling thread: the JavaScript loops against the dispatching ops (WebAssembly
 * SIMD where it runs), same run, best of `--reps`:
 * `deno run -A bench/dw.ts [--reps 5] [--batch 32] [--filter name]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DW_JS_OPS, RANGE_OPS, type RangeOp } from "../lib/compute/_par_ops.ts";
import { wasmDwAvailable } from "../lib/compute/_wasm_dw.ts";
import { stride2Taps } from "../lib/compute/_kernels_conv.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "5" },
    batch: { type: "string", default: "32" },
    filter: { type: "string", default: "" },
  },
});
const reps = Number(values.reps);
const batch = Number(values.batch);

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

function best(op: RangeOp, args: unknown[], n: number): number {
  let min = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    op(args, 0, n, 0);
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

function row(name: string, op: string, args: unknown[], n: number): void {
  if (values.filter && !name.includes(values.filter)) return;
  const js = best(DW_JS_OPS[op], args, n);
  const now = best(RANGE_OPS[op], args, n);
  // deno-lint-ignore no-console
  console.log(
    `${name.padEnd(34)} js ${js.toFixed(1).padStart(7)} ms  new ${now.toFixed(1).padStart(7)} ms  ${
      (js / now).toFixed(2)
    }×`,
  );
}

// deno-lint-ignore no-console
console.log(`wasm SIMD: ${wasmDwAvailable()}, batch ${batch}, best of ${reps}`);
// [output size, channels, stride] of mobilenet_v2's depthwise layers (input padded by 1).
const layers: [number, number, number][] = [
  [112, 32, 1],
  [56, 96, 2],
  [56, 144, 1],
  [28, 144, 2],
  [28, 192, 1],
  [14, 192, 2],
  [14, 384, 1],
  [14, 576, 1],
  [7, 576, 2],
  [7, 960, 1],
];
for (const [out, c, s] of layers) {
  const inH = s === 1 ? out + 2 : 2 * out + 2;
  const x = rand(batch * inH * inH * c, 1);
  const w = rand(9 * c, 2);
  const dy = rand(batch * out * out * c, 3);
  const y = new Float32Array(dy.length);
  const tag = `${inH}×${inH}×${c} s${s}`;
  row(`fwd ${tag}`, "dw3x3Valid", [x, w, y, inH, inH, c, out, out, s, s], batch * out);
  const ranges = new Int32Array([0, out, 0, out, 0, out]);
  const dW = new Float32Array(9 * c);
  const geo = [inH, inH, c, out, out, 3, 3, s, s, 0, 0];
  row(`dW  ${tag}`, "dwRuns", [2, x, dy, dW, ranges, ...geo], batch * out);
  if (s === 1) {
    // TF "same" padding (torchvision's stride-1 layers): the run loops, modes 0 and 2.
    const xs = x.subarray(0, batch * out * out * c);
    const ys = new Float32Array(dy.length);
    const runs = new Int32Array([1, out, 0, out, 0, out - 1]);
    const same = [out, out, c, out, out, 3, 3, 1, 1, 1, 1];
    row(`fwd ${out}×${out}×${c} same`, "dwRuns", [0, xs, w, ys, runs, ...same], batch * out);
    row(`dW  ${out}×${out}×${c} same`, "dwRuns", [2, xs, dy, dW, runs, ...same], batch * out);
    const padded = new Float32Array(batch * (inH + 2) * (inH + 2) * c);
    const dx = new Float32Array(x.length);
    row(`dx  ${tag}`, "dw3x3S1Dx", [dy, w, padded, dx, inH, inH, c, out, out, 2, 2], batch);
  } else {
    const taps = stride2Taps(inH, out, 0);
    const dx = new Float32Array(x.length);
    const args = [dy, w, dx, taps, taps, inH, inH, c, out, out];
    row(`dx  ${tag}`, "dw3x3S2Dx", args, batch * inH);
  }
}
