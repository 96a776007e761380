/**
 * Private: a portable single-precision matrix product in WebAssembly SIMD, the native engine's
 * sgemm when no system BLAS opens (see `_blas.ts`, which it stands in for).
 *
 * The product is blocked the way BLAS libraries block it: op(B) is packed, KC rows by NC
 * columns at a time, into panels of 8 columns; op(A), MC rows by KC at a time, into panels
 * of 4 rows; a WebAssembly micro-kernel then keeps a 4×8 block of C in eight f32x4 registers
 * while it runs down KC (one splat of A times two vectors of B, multiply then add: WebAssembly
 * SIMD has no fused multiply-add) and adds the block to a C buffer that the JavaScript side
 * finally scales into the caller's matrix with alpha and beta. Every buffer lives in one fixed
 * memory of the module, so nothing grows and nothing is detached.
 *
 * @module
 */
import { type Sgemm, sgemmExtentsError } from "./_blas.ts";
import { get, I32, i32, instantiate, OP, set, V128 } from "./_wasm.ts";

/** Rows of an A panel and columns of a B panel (the micro-kernel's block of C). */
const MR = 4;
const NR = 8;
/** Depth of one packed block. */
export const KC = 256;
/** Rows of A packed at a time (a multiple of MR). */
export const MC = 128;
/** Columns of B packed at a time (a multiple of NR). */
export const NC = 512;
/** Rows of the C buffer (a multiple of MC): B is packed once per MB rows of C. */
export const MB = 512;

const PA = 0;
const PB = PA + MC * KC * 4;
const PC = PB + KC * NC * 4;
const BYTES = PC + MB * NC * 4;
const PAGES = Math.ceil(BYTES / 65536);

const SIMD = 0xfd;
const I32_LT_U = 0x49;
const I32_GE_U = 0x4f;
const load = (offset: number) => [SIMD, 0x00, 4, ...leb(offset)];
const store = (offset: number) => [SIMD, 0x0b, 4, ...leb(offset)];
const splat32 = (offset: number) => [SIMD, 0x09, 2, ...leb(offset)];
const ADD = [SIMD, 0xe4, 0x01];
const MUL = [SIMD, 0xe6, 0x01];

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

// Parameters: packed A, packed B, C buffer (byte addresses), A panels, B panels, depth,
// C row stride in bytes.
const pA = 0, pB = 1, pC = 2, mPanels = 3, nPanels = 4, depth = 5, ldc = 6;
// i32 locals.
const jr = 7, ir = 8, aEnd = 9, ap = 10, bp = 11, c0 = 12, c1 = 13, c2 = 14, c3 = 15;
const bBase = 16, aStride = 17, bStride = 18, cStep = 19;
// v128 locals: accumulators acc(r, h) = 20 + 2r + h, then B's two vectors and A's splat.
const acc = (r: number, h: number) => 20 + 2 * r + h;
const b0 = 28, b1 = 29, av = 30;
const rowsC = [c0, c1, c2, c3];

/** C[4×8 blocks] += packed A · packed B over all panels (jr outer so B stays in L1). */
function kernelCode(): number[] {
  const inner: number[] = [
    ...get(bp),
    ...load(0),
    ...set(b0),
    ...get(bp),
    ...load(16),
    ...set(b1),
  ];
  for (let r = 0; r < MR; r++) {
    inner.push(...get(ap), ...splat32(r * 4), ...set(av));
    for (let h = 0; h < 2; h++) {
      inner.push(
        ...get(acc(r, h)),
        ...get(av),
        ...get(h === 0 ? b0 : b1),
        ...MUL,
        ...ADD,
        ...set(acc(r, h)),
      );
    }
  }
  inner.push(
    ...get(ap),
    ...i32(MR * 4),
    OP.i32Add,
    ...set(ap),
    ...get(bp),
    ...i32(NR * 4),
    OP.i32Add,
    ...set(bp),
  );
  const loadC: number[] = [];
  const storeC: number[] = [];
  for (let r = 0; r < MR; r++) {
    for (let h = 0; h < 2; h++) {
      loadC.push(...get(rowsC[r]), ...load(h * 16), ...set(acc(r, h)));
      storeC.push(...get(rowsC[r]), ...get(acc(r, h)), ...store(h * 16));
    }
  }
  return [
    ...get(depth),
    ...i32(4),
    OP.i32Shl,
    ...set(aStride),
    ...get(depth),
    ...i32(5),
    OP.i32Shl,
    ...set(bStride),
    ...get(ldc),
    ...i32(2),
    OP.i32Shl,
    ...set(cStep),
    ...get(pB),
    ...set(bBase),
    ...i32(0),
    ...set(jr),
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...get(jr),
    ...get(nPanels),
    I32_GE_U,
    OP.brIf,
    1,
    ...i32(0),
    ...set(ir),
    ...get(pA),
    ...set(ap),
    ...get(pC),
    ...get(jr),
    ...i32(5),
    OP.i32Shl,
    OP.i32Add,
    ...set(c0),
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...get(ir),
    ...get(mPanels),
    I32_GE_U,
    OP.brIf,
    1,
    ...get(c0),
    ...get(ldc),
    OP.i32Add,
    ...set(c1),
    ...get(c1),
    ...get(ldc),
    OP.i32Add,
    ...set(c2),
    ...get(c2),
    ...get(ldc),
    OP.i32Add,
    ...set(c3),
    ...loadC,
    ...get(bBase),
    ...set(bp),
    ...get(ap),
    ...get(aStride),
    OP.i32Add,
    ...set(aEnd),
    OP.loop,
    OP.void,
    ...inner,
    ...get(ap),
    ...get(aEnd),
    I32_LT_U,
    OP.brIf,
    0,
    OP.end,
    ...storeC,
    ...get(ir),
    ...i32(1),
    OP.i32Add,
    ...set(ir),
    ...get(c0),
    ...get(cStep),
    OP.i32Add,
    ...set(c0),
    OP.br,
    0,
    OP.end,
    OP.end,
    ...get(jr),
    ...i32(1),
    OP.i32Add,
    ...set(jr),
    ...get(bBase),
    ...get(bStride),
    OP.i32Add,
    ...set(bBase),
    OP.br,
    0,
    OP.end,
    OP.end,
  ];
}

type KernelFn = (
  pa: number,
  pb: number,
  pc: number,
  mPanels: number,
  nPanels: number,
  depth: number,
  ldc: number,
) => void;

interface Module {
  fn: KernelFn;
  heap: Float32Array;
}

let module: Module | null | undefined;

function load_(): Module | null {
  if (module !== undefined) return module;
  const kernel = instantiate<KernelFn>(
    [I32, I32, I32, I32, I32, I32, I32],
    [[13, I32], [11, V128]],
    kernelCode(),
    PAGES,
  );
  module = kernel ? { fn: kernel.fn, heap: new Float32Array(kernel.memory.buffer) } : null;
  return module;
}

/** Whether the WebAssembly SIMD sgemm can run here (WebAssembly with SIMD). */
export function wasmSgemmAvailable(): boolean {
  return load_() !== null;
}

/** Packs op(A)[i0 .. i0+mc, k0 .. k0+kc] into panels of MR rows (zero rows past mc). */
function packA(
  heap: Float32Array,
  a: Float32Array,
  lda: number,
  transA: boolean,
  i0: number,
  mc: number,
  k0: number,
  kc: number,
): void {
  const panels = Math.ceil(mc / MR);
  const base = PA >> 2;
  if (!transA) {
    for (let p = 0; p < panels; p++) {
      const dst = base + p * kc * MR;
      for (let r = 0; r < MR; r++) {
        const row = p * MR + r;
        if (row >= mc) {
          for (let kk = 0; kk < kc; kk++) heap[dst + kk * MR + r] = 0;
          continue;
        }
        const src = (i0 + row) * lda + k0;
        for (let kk = 0; kk < kc; kk++) heap[dst + kk * MR + r] = a[src + kk];
      }
    }
    return;
  }
  // op(A)[i, k] = a[k·lda + i]: rows of a run along i.
  if (mc % MR !== 0) {
    const p = panels - 1;
    heap.fill(0, base + p * kc * MR, base + (p + 1) * kc * MR);
  }
  for (let kk = 0; kk < kc; kk++) {
    const src = (k0 + kk) * lda + i0;
    for (let i = 0; i < mc; i++) {
      heap[base + ((i >> 2) * kc + kk) * MR + (i & 3)] = a[src + i];
    }
  }
}

/** Packs op(B)[k0 .. k0+kc, j0 .. j0+nc] into panels of NR columns (zero columns past nc). */
function packB(
  heap: Float32Array,
  b: Float32Array,
  ldb: number,
  transB: boolean,
  k0: number,
  kc: number,
  j0: number,
  nc: number,
): void {
  const panels = Math.ceil(nc / NR);
  const base = PB >> 2;
  if (nc % NR !== 0) {
    const p = panels - 1;
    heap.fill(0, base + p * kc * NR, base + (p + 1) * kc * NR);
  }
  if (!transB) {
    for (let kk = 0; kk < kc; kk++) {
      const src = (k0 + kk) * ldb + j0;
      for (let j = 0; j < nc; j++) {
        heap[base + ((j >> 3) * kc + kk) * NR + (j & 7)] = b[src + j];
      }
    }
    return;
  }
  // op(B)[k, j] = b[j·ldb + k]: rows of b run along k.
  for (let j = 0; j < nc; j++) {
    const src = (j0 + j) * ldb + k0;
    const dst = base + (j >> 3) * kc * NR + (j & 7);
    for (let kk = 0; kk < kc; kk++) heap[dst + kk * NR] = b[src + kk];
  }
}

/**
 * Row-major C = alpha·op(A)·op(B) + beta·C in WebAssembly SIMD, with the signature and the
 * checks of the BLAS sgemm (`wide` is accepted and ignored: one thread).
 *
 * @throws {Error} when WebAssembly SIMD is unavailable
 * @throws {RangeError} when a buffer is shorter than the product needs
 */
export const wasmSgemm: Sgemm = (
  transA,
  transB,
  m,
  n,
  k,
  alpha,
  a,
  lda,
  b,
  ldb,
  beta,
  c,
  ldc,
) => {
  if (m === 0 || n === 0) return;
  const extents = sgemmExtentsError(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
  if (extents) throw new RangeError(extents);
  if (k === 0) {
    for (let i = 0; i < m; i++) {
      for (let j = i * ldc, end = i * ldc + n; j < end; j++) c[j] = beta === 0 ? 0 : beta * c[j];
    }
    return;
  }
  const mod = load_();
  if (!mod) throw new Error("Cannot run the WebAssembly sgemm: WebAssembly SIMD is unavailable");
  const { fn, heap } = mod;
  const cBase = PC >> 2;
  for (let ib = 0; ib < m; ib += MB) {
    const mb = Math.min(MB, m - ib);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const ncPad = Math.ceil(nc / NR) * NR;
      const mbPad = Math.ceil(mb / MR) * MR;
      heap.fill(0, cBase, cBase + mbPad * ncPad);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(heap, b, ldb, transB, pc, kc, jc, nc);
        for (let ic = 0; ic < mb; ic += MC) {
          const mc = Math.min(MC, mb - ic);
          packA(heap, a, lda, transA, ib + ic, mc, pc, kc);
          fn(PA, PB, PC + ic * ncPad * 4, Math.ceil(mc / MR), ncPad / NR, kc, ncPad * 4);
        }
      }
      for (let i = 0; i < mb; i++) {
        const src = cBase + i * ncPad;
        const dst = (ib + i) * ldc + jc;
        if (beta === 0) {
          if (alpha === 1) {
            c.set(heap.subarray(src, src + nc), dst);
          } else {
            for (let j = 0; j < nc; j++) c[dst + j] = alpha * heap[src + j];
          }
        } else {
          for (let j = 0; j < nc; j++) c[dst + j] = alpha * heap[src + j] + beta * c[dst + j];
        }
      }
    }
  }
};
