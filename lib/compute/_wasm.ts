/**
 * Private: a minimal WebAssembly assembler for the SIMD kernels (`_wasm_adam.ts`,
 * `_wasm_dense.ts`, `_wasm_dw.ts`): instruction bytes, LEB128 numbers and a one-function
 * module with its own memory (or several functions sharing one, {@linkcode instantiateAll}). The kernels are written as instruction lists in TypeScript, so there is no
 * binary blob and no build step.
 *
 * @module
 */

/** Value types. */
export const I32 = 0x7f;
export const F64 = 0x7c;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Core instructions (https://webassembly.github.io/spec/core/binary/instructions.html). */
export const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  void: 0x40,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  // Additions for the depthwise kernels (`_wasm_dw.ts`).
  i32GtU: 0x4b,
  i32Sub: 0x6b,
  /** `f32.load` / `f32.store` (natural alignment, offset 0). */
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  /** `f64.load` / `f64.store` (natural alignment, offset 0). */
  f64Load: [0x2b, 3, 0],
  f64Store: [0x39, 3, 0],
  f32Add: 0x92,
  f32Mul: 0x94,
  f64Add: 0xa0,
  f64PromoteF32: 0xbb,
  // Additions for the max-pool kernels (`_wasm_pool.ts`).
  select: 0x1b,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  f32Ne: 0x5c,
  f32Gt: 0x5e,
  i32Or: 0x72,
  f32ConvertI32U: 0xb3,
  /** `i32.load` / `i32.store` (natural alignment, offset 0). */
  i32Load: [0x28, 2, 0],
  i32Store: [0x36, 2, 0],
} as const;

const SIMD = 0xfd;
/** SIMD instructions; loads and stores assume 16-byte aligned addresses, offset 0. */
export const V = {
  load: [SIMD, 0x00, 4, 0],
  store: [SIMD, 0x0b, 4, 0],
  f32x4Splat: [SIMD, 0x13],
  i32x4Ne: [SIMD, 0x38],
  and: [SIMD, 0x4e],
  f32x4Sqrt: [SIMD, 0xe3, 0x01],
  f32x4Add: [SIMD, 0xe4, 0x01],
  f32x4Mul: [SIMD, 0xe6, 0x01],
  f32x4Div: [SIMD, 0xe7, 0x01],
  f32x4Max: [SIMD, 0xe9, 0x01],
  // Additions for the depthwise kernels (`_wasm_dw.ts`).
  /** `v128.const 0`. */
  zero: [SIMD, 0x0c, ...new Array<number>(16).fill(0)],
  /** `i8x16.shuffle` moving lanes 2, 3 of a float32x4 to lanes 0, 1 (operands a, a). */
  f32x4High: [SIMD, 0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15],
  f64x2PromoteLowF32x4: [SIMD, 0x5f],
  f64x2Add: [SIMD, 0xf0, 0x01],
  // Additions for the max-pool kernels (`_wasm_pool.ts`).
  i32x4Eq: [SIMD, 0x37],
  f32x4Ne: [SIMD, 0x42],
  f32x4Gt: [SIMD, 0x44],
  not: [SIMD, 0x4d],
  /** `v128.andnot`: a & ~b. */
  andnot: [SIMD, 0x4f],
  or: [SIMD, 0x50],
  /** `v128.bitselect`: (a & c) | (b & ~c). */
  bitselect: [SIMD, 0x52],
} as const;

/** `v128.const` of four equal float32 lanes. */
export function f32x4Const(v: number): number[] {
  const bytes = new Uint8Array(new Float32Array([v, v, v, v]).buffer);
  return [SIMD, 0x0c, ...bytes];
}

/** `f32.const v`. */
export function f32Const(v: number): number[] {
  return [0x43, ...new Uint8Array(new Float32Array([v]).buffer)];
}

/** `v128.load` at a constant byte offset (loads need no alignment; the hint says 16). */
export const vLoadAt = (offset: number): number[] => [SIMD, 0x00, 4, ...leb(offset)];
/** `v128.store` at a constant byte offset. */
export const vStoreAt = (offset: number): number[] => [SIMD, 0x0b, 4, ...leb(offset)];

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128. */
export function sleb(n: number): number[] {
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

/** `local.get l`. */
export const get = (l: number): number[] => [OP.localGet, l];
/** `local.set l`. */
export const set = (l: number): number[] => [OP.localSet, l];
/** `i32.const n`. */
export const i32 = (n: number): number[] => [OP.i32Const, ...sleb(n)];
/** `f32.const 0`. */
export const f32Zero: number[] = [0x43, 0, 0, 0, 0];

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

/** The exports of a module made by {@linkcode instantiate}. */
export interface WasmKernel<F> {
  readonly fn: F;
  readonly memory: WebAssembly.Memory;
}

/**
 * Instantiates a module with one exported function `fn` (parameters `params`, no result,
 * locals `locals` as [count, type] groups, instructions `code`) and one exported memory of
 * `pages` 64 KiB pages ({@linkcode PAGES} by default); null when WebAssembly (or its SIMD) is
 * unavailable.
 */
export function instantiate<F>(
  params: number[],
  locals: [number, number][],
  code: number[],
  pages: number = PAGES,
): WasmKernel<F> | null {
  const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const body = [locals.length, ...locals.flat(), ...code, OP.end];
  const bytes = new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, [1, 0x60, params.length, ...params, 0]),
    ...section(3, [1, 0]),
    // A fixed memory (min = max): growing would detach its buffer, and one detached buffer
    // makes V8 check for detachment in every typed-array access of every later loop.
    ...section(5, [1, 1, ...leb(pages), ...leb(pages)]),
    ...section(7, [2, ...name("fn"), 0, 0, ...name("memory"), 2, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
  try {
    const module = new WebAssembly.Module(bytes as BufferSource);
    const exports = new WebAssembly.Instance(module).exports;
    return { fn: exports.fn as F, memory: exports.memory as WebAssembly.Memory };
  } catch {
    return null;
  }
}

/** Pages (64 KiB) of each kernel's memory: 256 KiB, fixed. */
export const PAGES = 4;
/** Bytes of each kernel's memory. */
export const HEAP_BYTES = PAGES * 65536;

const heaps = new WeakMap<WebAssembly.Memory, Float32Array>();

/**
 * A float32 view of the kernel's memory when it holds `bytes`, else null (the caller then
 * runs its JavaScript loop). The memory never grows (see {@linkcode instantiate}).
 */
export function heapOf(kernel: WasmKernel<unknown>, bytes: number): Float32Array | null {
  if (bytes > HEAP_BYTES) return null;
  let heap = heaps.get(kernel.memory);
  if (!heap) heaps.set(kernel.memory, heap = new Float32Array(kernel.memory.buffer));
  return heap;
}

/** One function of a module made by {@linkcode instantiateAll}. */
export interface WasmFunction {
  /** Parameter types (all i32 or other value types; no result). */
  params: number[];
  /** Locals as [count, type] groups. */
  locals: [number, number][];
  /** Instructions (without the final `end`). */
  code: number[];
}

/**
 * Pages (64 KiB) of a band kernel module's memory (`_wasm_dw.ts`, `_wasm_pool.ts`: one per
 * thread and module): 2 MiB, fixed.
 */
export const BAND_KERNEL_PAGES = 32;
/** Floats a band aims at (512 KiB: its copies stay in a core's L2 cache). */
export const BAND_FLOATS = 1 << 17;

/**
 * The rows of a band: `fit(floats)` rows fit in `floats` floats; {@linkcode BAND_FLOATS} when
 * a row fits there, else the whole memory (one row may need more); 0 when none fits.
 */
export function bandRowsIn(fit: (floats: number) => number): number {
  const n = fit(BAND_FLOATS);
  return Math.max(0, n >= 1 ? n : fit(BAND_KERNEL_PAGES * 16384));
}

/** `n` rounded up to a multiple of 4 (floats: 16-byte alignment). */
export const align4 = (n: number): number => (n + 3) & ~3;

/** `while (!exit) body` (exit: instructions leaving an i32 on the stack). */
export function whileNot(exit: number[], body: number[]): number[] {
  return [
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...exit,
    OP.brIf,
    1,
    ...body,
    OP.br,
    0,
    OP.end,
    OP.end,
  ];
}

/** `l += d` (locals). */
export const addTo = (l: number, d: number): number[] => [
  ...get(l),
  ...get(d),
  OP.i32Add,
  ...set(l),
];
/** `l += n` (constant). */
export const addConst = (l: number, n: number): number[] => [
  ...get(l),
  ...i32(n),
  OP.i32Add,
  ...set(l),
];
/** `a + b` (locals) on the stack. */
export const sum = (a: number, b: number): number[] => [...get(a), ...get(b), OP.i32Add];
/** `do body while (--n)` (n ≥ 1). */
export const countDown = (n: number, body: number[]): number[] => [
  OP.loop,
  OP.void,
  ...body,
  ...get(n),
  ...i32(1),
  OP.i32Sub,
  ...set(n),
  ...get(n),
  OP.brIf,
  0,
  OP.end,
];

/**
 * Instantiates a module with several exported functions `f0`, `f1`, … (in order) sharing one
 * exported memory of `pages` fixed pages (see {@linkcode instantiate}); null when
 * WebAssembly (or its SIMD) is unavailable.
 */
export function instantiateAll(
  fns: WasmFunction[],
  pages: number,
): { fns: ((...args: number[]) => void)[]; memory: WebAssembly.Memory } | null {
  const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const types = fns.flatMap((f) => [0x60, f.params.length, ...f.params, 0]);
  const bodies = fns.flatMap((f) => {
    const body = [f.locals.length, ...f.locals.flat(), ...f.code, OP.end];
    return [...leb(body.length), ...body];
  });
  const exports = fns.flatMap((_, i) => [...name(`f${i}`), 0, i]);
  const bytes = new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, [fns.length, ...types]),
    ...section(3, [fns.length, ...fns.map((_, i) => i)]),
    ...section(5, [1, 1, ...leb(pages), ...leb(pages)]),
    ...section(7, [fns.length + 1, ...exports, ...name("memory"), 2, 0]),
    ...section(10, [fns.length, ...bodies]),
  ]);
  try {
    const module = new WebAssembly.Module(bytes as BufferSource);
    const e = new WebAssembly.Instance(module).exports;
    return {
      fns: fns.map((_, i) => e[`f${i}`] as (...args: number[]) => void),
      memory: e.memory as WebAssembly.Memory,
    };
  } catch {
    return null;
  }
}
