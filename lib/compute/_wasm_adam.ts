/**
 * Private: the Adam update in WebAssembly SIMD (four float32 lanes per instruction).
 *
 * JavaScript loops over typed arrays run at ~1–3 ns per element on the benchmark machines
 * (the update divides and takes a square root per element in float64); the same loop in
 * WebAssembly SIMD is several times faster even with the copies in and out of its memory.
 * The module is assembled here from its instructions (no binary blob, no build step).
 *
 * `adam(n, px, pg, pm, pv, b1, c1, b2, c2, d1, d2, eps, negLr)` updates, for the n floats at
 * byte offsets px (x), pg (g), pm (m) and pv (v), in float32 and in tfjs's AdamOptimizer order:
 *
 *     m ← m·β₁ + g·(1−β₁);  v ← v·β₂ + g²·(1−β₂);
 *     x ← (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε) · (−lr) + x
 *
 * (the same operations, each rounded to float32, as tfjs's kernels: results equal tfjs's Adam
 * on the cpu backend). It processes n rounded up to a multiple of 4; the arrays are laid out
 * at 16-byte boundaries with that padding.
 *
 * @module
 */

import {
  F32,
  get,
  heapOf,
  I32,
  i32,
  instantiate,
  OP,
  set,
  V,
  V128,
  type WasmKernel,
} from "./_wasm.ts";

// Parameters: 0 n, 1 px, 2 pg, 3 pm, 4 pv, 5 b1, 6 c1, 7 b2, 8 c2, 9 d1, 10 d2, 11 eps, 12 negLr.
// Locals: 13 i (byte offset), 14 end (bytes), 15–22 the splats of 5–12, 23 g, 24 m, 25 v.
const I = 13;
const STOP = 14;
const SPLAT = 15; // splat of parameter p is local SPLAT + (p - 5)
const G = 23;
const M = 24;
const VV = 25;

/** v128.load at local `base` + i. */
const load = (base: number) => [...get(base), ...get(I), OP.i32Add, ...V.load];
const splat = (p: number) => get(SPLAT + p - 5);

function code(): number[] {
  const c: number[] = [];
  // end = ((n + 3) << 2) & ~15: n rounded up to a multiple of 4, in bytes
  c.push(...get(0), ...i32(3), OP.i32Add, ...i32(2), OP.i32Shl, ...i32(-16), OP.i32And);
  c.push(...set(STOP));
  for (let p = 5; p <= 12; p++) c.push(...get(p), ...V.f32x4Splat, ...set(SPLAT + p - 5));
  c.push(OP.block, OP.void, OP.loop, OP.void);
  c.push(...get(I), ...get(STOP), OP.i32GeU, OP.brIf, 1);
  c.push(...load(2), ...set(G));
  // m = m·b1 + g·c1
  c.push(...load(3), ...splat(5), ...V.f32x4Mul, ...get(G), ...splat(6), ...V.f32x4Mul);
  c.push(...V.f32x4Add, ...set(M));
  // v = v·b2 + (g·g)·c2
  c.push(...load(4), ...splat(7), ...V.f32x4Mul, ...get(G), ...get(G), ...V.f32x4Mul);
  c.push(...splat(8), ...V.f32x4Mul, ...V.f32x4Add, ...set(VV));
  c.push(...get(3), ...get(I), OP.i32Add, ...get(M), ...V.store);
  c.push(...get(4), ...get(I), OP.i32Add, ...get(VV), ...V.store);
  // x = (m/d1) / (sqrt(v/d2) + eps) · negLr + x
  c.push(...get(1), ...get(I), OP.i32Add);
  c.push(...get(M), ...splat(9), ...V.f32x4Div);
  c.push(...get(VV), ...splat(10), ...V.f32x4Div, ...V.f32x4Sqrt, ...splat(11), ...V.f32x4Add);
  c.push(...V.f32x4Div, ...splat(12), ...V.f32x4Mul, ...load(1), ...V.f32x4Add, ...V.store);
  c.push(...get(I), ...i32(16), OP.i32Add, ...set(I), OP.br, 0, OP.end, OP.end);
  return c;
}

/** Floats per chunk (4 arrays of 32 KiB in the module's memory). */
const CHUNK = 8192;

type AdamFn = (
  n: number,
  px: number,
  pg: number,
  pm: number,
  pv: number,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  d1: number,
  d2: number,
  eps: number,
  negLr: number,
) => void;

let kernel: WasmKernel<AdamFn> | null | undefined;

function adamKernel(): WasmKernel<AdamFn> | null {
  if (kernel === undefined) {
    kernel = instantiate<AdamFn>(
      [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32],
      [[2, I32], [11, V128]],
      code(),
    );
  }
  return kernel;
}

/** The float32 Adam constants, as tfjs's AdamOptimizer makes them. */
export interface AdamConstants {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** β₁ᵗ and β₂ᵗ (the values of the optimizer's float32 accumulators). */
  readonly accBeta1: number;
  readonly accBeta2: number;
}

/**
 * Updates x, m and v (length n each) from g with WebAssembly SIMD, writing the results to
 * x1, m1 and v1 (which may be x, m and v). Returns false when WebAssembly SIMD is unavailable
 * (nothing is written then).
 */
export function wasmAdam(
  x: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  x1: Float32Array,
  m1: Float32Array,
  v1: Float32Array,
  c: AdamConstants,
): boolean {
  const k = adamKernel();
  if (!k) return false;
  const n = x.length;
  // Chunks small enough that the copies in, the update and the copies out stay in cache.
  const chunk = Math.min(n, CHUNK);
  const stride = ((chunk + 3) & ~3) * 4;
  const heap = heapOf(k, 4 * stride);
  if (!heap) return false;
  const [px, pg, pm, pv] = [0, stride / 4, 2 * stride / 4, 3 * stride / 4];
  const f = Math.fround;
  const b1 = f(c.beta1);
  const c1 = f(1 - c.beta1);
  const b2 = f(c.beta2);
  const c2 = f(1 - c.beta2);
  const d1 = f(1 - f(c.accBeta1));
  const d2 = f(1 - f(c.accBeta2));
  const eps = f(c.epsilon);
  const negLr = f(-c.learningRate);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const len = end - start;
    heap.set(x.subarray(start, end), px);
    heap.set(g.subarray(start, end), pg);
    heap.set(m.subarray(start, end), pm);
    heap.set(v.subarray(start, end), pv);
    k.fn(len, 4 * px, 4 * pg, 4 * pm, 4 * pv, b1, c1, b2, c2, d1, d2, eps, negLr);
    x1.set(heap.subarray(px, px + len), start);
    m1.set(heap.subarray(pm, pm + len), start);
    v1.set(heap.subarray(pv, pv + len), start);
  }
  return true;
}
