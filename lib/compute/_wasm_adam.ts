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

// Instruction bytes (core and SIMD, https://webassembly.github.io/spec/core/binary/).
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_GE_U = 0x4f;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00, 4, 0]; // align 2⁴, offset 0
const V128_STORE = [SIMD, 0x0b, 4, 0];
const F32X4_SPLAT = [SIMD, 0x13];
const F32X4_SQRT = [SIMD, 0xe3, 0x01];
const F32X4_ADD = [SIMD, 0xe4, 0x01];
const F32X4_MUL = [SIMD, 0xe6, 0x01];
const F32X4_DIV = [SIMD, 0xe7, 0x01];
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

// Parameters: 0 n, 1 px, 2 pg, 3 pm, 4 pv, 5 b1, 6 c1, 7 b2, 8 c2, 9 d1, 10 d2, 11 eps, 12 negLr.
// Locals: 13 i (byte offset), 14 end (bytes), 15–22 the splats of 5–12, 23 g, 24 m, 25 v.
const I = 13;
const STOP = 14;
const SPLAT = 15; // splat of parameter p is local SPLAT + (p - 5)
const G = 23;
const M = 24;
const V = 25;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const get = (l: number) => [LOCAL_GET, l];
const set = (l: number) => [LOCAL_SET, l];
/** v128.load at local `base` + i. */
const load = (base: number) => [...get(base), ...get(I), I32_ADD, ...V128_LOAD];
const splat = (p: number) => get(SPLAT + p - 5);

function body(): number[] {
  const code: number[] = [];
  // end = ((n + 3) & ~3) * 4 = (n + 3) << 2 & ~15
  code.push(...get(0), I32_CONST, 3, I32_ADD, I32_CONST, 2, 0x74 /* i32.shl */);
  code.push(I32_CONST, ...sleb(-16), 0x71, /* i32.and */ ...set(STOP));
  for (let p = 5; p <= 12; p++) code.push(...get(p), ...F32X4_SPLAT, ...set(SPLAT + p - 5));
  code.push(BLOCK, VOID, LOOP, VOID);
  code.push(...get(I), ...get(STOP), I32_GE_U, BR_IF, 1);
  // g = load(pg + i)
  code.push(...load(2), ...set(G));
  // m = m·b1 + g·c1
  code.push(...load(3), ...splat(5), ...F32X4_MUL, ...get(G), ...splat(6), ...F32X4_MUL);
  code.push(...F32X4_ADD, ...set(M));
  // v = v·b2 + (g·g)·c2
  code.push(...load(4), ...splat(7), ...F32X4_MUL, ...get(G), ...get(G), ...F32X4_MUL);
  code.push(...splat(8), ...F32X4_MUL, ...F32X4_ADD, ...set(V));
  // store m, v
  code.push(...get(3), ...get(I), I32_ADD, ...get(M), ...V128_STORE);
  code.push(...get(4), ...get(I), I32_ADD, ...get(V), ...V128_STORE);
  // x = (m/d1) / (sqrt(v/d2) + eps) · negLr + x
  code.push(...get(1), ...get(I), I32_ADD); // address for the store
  code.push(...get(M), ...splat(9), ...F32X4_DIV);
  code.push(...get(V), ...splat(10), ...F32X4_DIV, ...F32X4_SQRT, ...splat(11), ...F32X4_ADD);
  code.push(...F32X4_DIV, ...splat(12), ...F32X4_MUL, ...load(1), ...F32X4_ADD, ...V128_STORE);
  // i += 16
  code.push(...get(I), I32_CONST, 16, I32_ADD, ...set(I), BR, 0, END, END, END);
  const locals = [2, 2, I32, 11, V128]; // 2 local groups: 2 × i32, 11 × v128
  return [...locals, ...code];
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

function moduleBytes(): Uint8Array {
  const params = [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32];
  const type = section(1, [1, 0x60, params.length, ...params, 0]);
  const func = section(3, [1, 0]);
  const memory = section(5, [1, 0, 1]); // one memory, min 1 page, no max
  const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const exports = section(7, [2, ...name("adam"), 0, 0, ...name("memory"), 2, 0]);
  const fn = body();
  const code = section(10, [1, ...leb(fn.length), ...fn]);
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...type,
    ...func,
    ...memory,
    ...exports,
    ...code,
  ]);
}

interface AdamModule {
  adam(
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
  ): void;
  memory: WebAssembly.Memory;
}

let instance: AdamModule | null | undefined;

function adamModule(): AdamModule | null {
  if (instance !== undefined) return instance;
  try {
    const module = new WebAssembly.Module(moduleBytes() as BufferSource);
    instance = new WebAssembly.Instance(module).exports as unknown as AdamModule;
  } catch {
    instance = null; // no WebAssembly SIMD: the caller keeps its JavaScript loop
  }
  return instance;
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
  k: AdamConstants,
): boolean {
  const mod = adamModule();
  if (!mod) return false;
  const n = x.length;
  const stride = ((n + 3) & ~3) * 4;
  const bytes = 4 * stride;
  const have = mod.memory.buffer.byteLength;
  if (have < bytes) mod.memory.grow(Math.ceil((bytes - have) / 65536));
  const heap = new Float32Array(mod.memory.buffer);
  const [px, pg, pm, pv] = [0, stride, 2 * stride, 3 * stride];
  heap.set(x, px / 4);
  heap.set(g, pg / 4);
  heap.set(m, pm / 4);
  heap.set(v, pv / 4);
  const f = Math.fround;
  mod.adam(
    n,
    px,
    pg,
    pm,
    pv,
    f(k.beta1),
    f(1 - k.beta1),
    f(k.beta2),
    f(1 - k.beta2),
    f(1 - f(k.accBeta1)),
    f(1 - f(k.accBeta2)),
    f(k.epsilon),
    f(-k.learningRate),
  );
  x1.set(heap.subarray(px / 4, px / 4 + n));
  m1.set(heap.subarray(pm / 4, pm / 4 + n));
  v1.set(heap.subarray(pv / 4, pv / 4 + n));
  return true;
}
