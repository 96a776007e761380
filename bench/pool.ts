// deno-lint-ignore-file no-console
/**
 * The 2×2, stride-2 max pool and its gradient at W3's shapes (batch 128): the JavaScript
 * loops against the dispatching loops (WebAssembly SIMD where it runs) on the calling
 * thread, and the MaxPool / MaxPoolGrad kernels through tfjs on the native backend on 1
 * kernel thread and on the configured count (`SONATA_KERNEL_THREADS`, else all cores), same run, best of `--reps`: `deno run -A bench/pool.ts [--reps 7] [--batch 128]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ready, tf } from "../lib/compute/mod.ts";
import { kernelThreads, parStats, setKernelThreads } from "../lib/compute/_par.ts";
import {
  maxPool2x2Js,
  maxPool2x2Rows,
  maxPoolGrad2x2Js,
  maxPoolGrad2x2Rows,
  wasmPoolAvailable,
} from "../lib/compute/_wasm_pool.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "7" },
    batch: { type: "string", default: "128" },
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

function best(fn: () => void): number {
  fn();
  let min = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/**
 * Bests of `fn` on 1 kernel thread and on the configured count (in blocks: the array pool
 * keeps shared arrays only while the threads are on, so alternating would allocate afresh).
 */
function bestByThreads(fn: () => void): [number, number, boolean] {
  setKernelThreads(1);
  const one = best(fn);
  setKernelThreads(undefined);
  const before = parStats().dispatched;
  const many = best(fn);
  return [one, many, parStats().dispatched > before];
}

function line(name: string, js: number, now: number, kernel: [number, number, boolean]): void {
  const ms = (t: number) => `${t.toFixed(2).padStart(6)} ms`;
  console.log(
    `${name.padEnd(22)} js ${ms(js)}  new ${ms(now)}  ${(js / now).toFixed(1).padStart(5)}×` +
      `  kernel: 1 thread ${ms(kernel[0])}, ${kernelThreads()} threads ${ms(kernel[1])}` +
      (kernel[2] ? " (split)" : " (not split)"),
  );
}

await ready({ compute: "native" });
console.log(`wasm SIMD: ${wasmPoolAvailable()}, batch ${batch}, best of ${reps}`);
for (const [h, c] of [[28, 32], [14, 64]]) {
  const o = h / 2;
  const rows = batch * o;
  const x = rand(batch * h * h * c, 1);
  const y = new Float32Array(batch * o * o * c);
  const geo = [h, h, c, o, o] as const;
  const js = best(() => maxPool2x2Js(x, y, ...geo, 0, rows));
  const now = best(() => maxPool2x2Rows(x, y, ...geo, 0, rows));
  // Through a native kernel, so that x lives where kernel outputs do (shared memory when
  // the kernel threads are on), as a layer's input does.
  const xt = tf.tidy(() => tf.tensor4d(x, [batch, h, h, c]).add(0) as tf.Tensor4D);
  const kernel = bestByThreads(() => tf.maxPool(xt, 2, 2, "valid").dispose());
  line(`MaxPool ${h}×${h}×${c}`, js, now, kernel);

  maxPool2x2Js(x, y, ...geo, 0, rows);
  const dy = rand(y.length, 2);
  const dx = new Float32Array(x.length);
  const gJs = best(() => maxPoolGrad2x2Js(x, y, dy, dx, ...geo, 0, rows));
  const gNow = best(() => maxPoolGrad2x2Rows(x, y, dy, dx, ...geo, 0, rows));
  const yt = tf.maxPool(xt, 2, 2, "valid");
  const dyt = tf.tidy(() => tf.tensor4d(dy, yt.shape as [number, number, number, number]).add(0));
  const attrs = { filterSize: [2, 2], strides: [2, 2], pad: "valid" };
  const gKernel = bestByThreads(() =>
    (tf.engine().runKernel("MaxPoolGrad", { dy: dyt, input: xt, output: yt }, attrs) as tf.Tensor)
      .dispose()
  );
  line(`MaxPoolGrad ${h}×${h}×${c}`, gJs, gNow, gKernel);
  tf.dispose([xt, yt, dyt]);
}
