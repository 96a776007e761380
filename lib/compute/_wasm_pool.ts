/**
 * Private: the 2×2, stride-2 max pooling without padding (NHWC) and its gradient, over a
 * range [lo, hi) of output rows (of batch·outH), in WebAssembly SIMD (see `_wasm.ts`) with
 * the JavaScript loops as fallback, for `_par_ops.ts`'s range ops.
 *
 * - {@linkcode maxPool2x2Rows}: y = the maximum of each window, as `maxOf(maxOf(a, b),
 *   maxOf(c, d))` of the JavaScript loop (a NaN loses to any number; of equal values, the
 *   first in scan order is kept, so −0/+0 come out as the JavaScript loop's, bit for bit).
 * - {@linkcode maxPoolGrad2x2Rows}: dx = 0 + dy·t per pixel, t = 1 for the first pixel of its
 *   window (scan order) whose bits equal the pooled maximum, else 0; a window where no pixel
 *   matches (±0, NaN payloads, a pooled tensor from elsewhere) then adds dy to the first
 *   largest non-NaN pixel by value, as the JavaScript loop (the SIMD kernel flags such
 *   windows and the band is passed over again in JavaScript).
 *
 * The pixels of a window are 2·c floats apart in a row, its rows inW·c apart; the channels
 * are innermost: 4 per f32x4 lane group, the remainder (c mod 4) by a scalar tail. Each thread
 * instantiates the kernels on first use, one module with a fixed memory of
 * {@linkcode POOL_HEAP_BYTES} (never grown: see `_wasm.ts`); a range runs in bands of output
 * rows whose input rows are copied in and whose outputs are copied out. Rows past 2·outH of
 * an image, or columns past 2·outW, are read by neither kernel (their dx is left as is by the
 * JavaScript loop and zeroed in bands by the SIMD one).
 *
 * @module
 */
import {
  addConst,
  addTo,
  align4,
  BAND_KERNEL_PAGES,
  bandRowsIn,
  countDown,
  F32,
  f32Const,
  f32x4Const,
  get,
  I32,
  i32,
  instantiateAll,
  OP,
  set,
  sum,
  V,
  V128,
  whileNot,
} from "./_wasm.ts";

/** Bytes of the pool kernels' memory (one per thread, fixed). */
export const POOL_HEAP_BYTES = BAND_KERNEL_PAGES * 65536;

/**
 * The loops shared by both kernels: rows r in [0, rows), output pixels of a row, channel
 * groups of a pixel (f32x4, then scalar). `xr`/`yr` are the row's input/output byte offsets
 * (from `x0`/`y0`), `q`/`o` the pixel's, `a`/`b` the group's (q + j, o + j).
 */
interface Loops {
  rows: number;
  rowBytes: number;
  cb: number;
  outW: number;
  r: number;
  xr: number;
  yr: number;
  n: number;
  q: number;
  o: number;
  j: number;
  a: number;
  b: number;
}

function loops(l: Loops, x0: number[], y0: number[], vec: number[], scalar: number[]): number[] {
  const group = (body: number[], width: number) => [
    ...sum(l.q, l.j),
    ...set(l.a),
    ...sum(l.o, l.j),
    ...set(l.b),
    ...body,
    ...addConst(l.j, width),
  ];
  const pixel = [
    ...i32(0),
    ...set(l.j),
    // while (j + 16 <= cb): whole f32x4 groups; then while (j < cb): the scalar tail.
    ...whileNot([...get(l.j), ...i32(16), OP.i32Add, ...get(l.cb), OP.i32GtU], group(vec, 16)),
    ...whileNot([...get(l.j), ...get(l.cb), OP.i32GeU], group(scalar, 4)),
    ...addTo(l.q, l.cb),
    ...addTo(l.q, l.cb),
    ...addTo(l.o, l.cb),
  ];
  return [
    ...i32(0),
    ...set(l.r),
    ...x0,
    ...set(l.xr),
    ...y0,
    ...set(l.yr),
    ...whileNot([...get(l.r), ...get(l.rows), OP.i32GeU], [
      ...get(l.xr),
      ...set(l.q),
      ...get(l.yr),
      ...set(l.o),
      ...get(l.outW),
      ...set(l.n),
      ...countDown(l.n, pixel),
      ...addTo(l.xr, l.rowBytes),
      ...addTo(l.xr, l.rowBytes),
      ...get(l.o),
      ...set(l.yr),
      ...addConst(l.r, 1),
    ]),
  ];
}

/**
 * Forward: parameters 0 px, 1 py, 2 rows, 3 rowBytes (inW·c·4), 4 cb (c·4), 5 outW ≥ 1;
 * locals (i32) 6 r, 7 xr, 8 yr, 9 n, 10 q, 11 o, 12 j, 13 a, 14 b, 15 rc (rowBytes + cb);
 * v128 16..19 (the four pixels), 20 (left maximum); f32 21..24, 25.
 */
function forwardCode(): number[] {
  const l: Loops = {
    rows: 2,
    rowBytes: 3,
    cb: 4,
    outW: 5,
    r: 6,
    xr: 7,
    yr: 8,
    n: 9,
    q: 10,
    o: 11,
    j: 12,
    a: 13,
    b: 14,
  };
  const RC = 15;
  const body = (vec: boolean): number[] => {
    const load = vec ? V.load : OP.f32Load;
    const store = vec ? V.store : OP.f32Store;
    const p = vec ? [16, 17, 18, 19] : [21, 22, 23, 24];
    const left = vec ? 20 : 25;
    // maxOf(x, y) = y > x || x ≠ x ? y : x, from locals x, y, on the stack.
    const maxOf = (x: number, y: number) =>
      vec
        ? [
          ...get(y),
          ...get(x),
          ...get(y),
          ...get(x),
          ...V.f32x4Gt,
          ...get(x),
          ...get(x),
          ...V.f32x4Ne,
          ...V.or,
          ...V.bitselect,
        ]
        : [
          ...get(y),
          ...get(x),
          ...get(y),
          ...get(x),
          OP.f32Gt,
          ...get(x),
          ...get(x),
          OP.f32Ne,
          OP.i32Or,
          OP.select,
        ];
    return [
      ...get(0),
      ...get(l.a),
      OP.i32Add,
      ...set(l.a), // a = px + q + j
      ...get(l.a),
      ...load,
      ...set(p[0]),
      ...sum(l.a, l.cb),
      ...load,
      ...set(p[1]),
      ...sum(l.a, l.rowBytes),
      ...load,
      ...set(p[2]),
      ...sum(l.a, RC),
      ...load,
      ...set(p[3]),
      ...maxOf(p[0], p[1]),
      ...set(left),
      ...maxOf(p[2], p[3]),
      ...set(p[1]), // the right maximum
      ...get(1),
      ...get(l.b),
      OP.i32Add,
      ...maxOf(left, p[1]),
      ...store,
    ];
  };
  return [
    ...sum(3, 4),
    ...set(RC),
    ...loops(l, i32(0), i32(0), body(true), body(false)),
  ];
}

/**
 * Gradient: parameters 0 px, 1 pm (pooled), 2 pg (dy), 3 pdx, 4 rows, 5 rowBytes, 6 cb,
 * 7 outW ≥ 1, 8 pflag (16 bytes: the lanes of windows without a match; then 4: the scalar
 * tail's); locals (i32) 9 r, 10 xr, 11 yr, 12 n, 13 q, 14 o, 15 j, 16 a, 17 b, 18 rc,
 * 19 m, 20 done, 21 t, 22 flag; v128 23 m, 24 g, 25 done, 26 t, 27 flag; f32 28 g.
 * x and dx bands share offsets (a), pooled and dy bands too (b).
 */
function gradCode(): number[] {
  const l: Loops = {
    rows: 4,
    rowBytes: 5,
    cb: 6,
    outW: 7,
    r: 9,
    xr: 10,
    yr: 11,
    n: 12,
    q: 13,
    o: 14,
    j: 15,
    a: 16,
    b: 17,
  };
  const RC = 18;
  const vec = (): number[] => {
    const [M, G, DONE, T, FLAG] = [23, 24, 25, 26, 27];
    const code = [
      ...get(1),
      ...get(l.b),
      OP.i32Add,
      ...V.load,
      ...set(M),
      ...get(2),
      ...get(l.b),
      OP.i32Add,
      ...V.load,
      ...set(G),
    ];
    const offs = [null, l.cb, l.rowBytes, RC];
    for (let k = 0; k < 4; k++) {
      const at = (base: number) =>
        offs[k] === null
          ? [...get(base), ...get(l.a), OP.i32Add]
          : [...get(base), ...get(l.a), OP.i32Add, ...get(offs[k]!), OP.i32Add];
      // t = (bits equal) & ~done; done |= t.
      code.push(...at(0), ...V.load, ...get(M), ...V.i32x4Eq);
      if (k === 0) code.push(...set(T), ...get(T), ...set(DONE));
      else {
        code.push(...get(DONE), ...V.andnot, ...set(T));
        code.push(...get(DONE), ...get(T), ...V.or, ...set(DONE));
      }
      // dx = 0 + g·(t ? 1 : 0).
      code.push(
        ...at(3),
        ...V.zero,
        ...get(G),
        ...get(T),
        ...f32x4Const(1),
        ...V.and,
        ...V.f32x4Mul,
        ...V.f32x4Add,
        ...V.store,
      );
    }
    code.push(...get(FLAG), ...get(DONE), ...V.not, ...V.or, ...set(FLAG));
    return code;
  };
  const scalar = (): number[] => {
    const [M, DONE, T, FLAG, G] = [19, 20, 21, 22, 28];
    const code = [
      ...get(1),
      ...get(l.b),
      OP.i32Add,
      ...OP.i32Load,
      ...set(M),
      ...get(2),
      ...get(l.b),
      OP.i32Add,
      ...OP.f32Load,
      ...set(G),
    ];
    const offs = [null, l.cb, l.rowBytes, RC];
    for (let k = 0; k < 4; k++) {
      const at = (base: number) =>
        offs[k] === null
          ? [...get(base), ...get(l.a), OP.i32Add]
          : [...get(base), ...get(l.a), OP.i32Add, ...get(offs[k]!), OP.i32Add];
      code.push(...at(0), ...OP.i32Load, ...get(M), OP.i32Eq);
      if (k === 0) code.push(...set(T), ...get(T), ...set(DONE));
      else {
        code.push(...get(DONE), OP.i32Eqz, OP.i32And, ...set(T));
        code.push(...get(DONE), ...get(T), OP.i32Or, ...set(DONE));
      }
      code.push(
        ...at(3),
        ...f32Const(0),
        ...get(G),
        ...get(T),
        OP.f32ConvertI32U,
        OP.f32Mul,
        OP.f32Add,
        ...OP.f32Store,
      );
    }
    code.push(...get(FLAG), ...get(DONE), OP.i32Eqz, OP.i32Or, ...set(FLAG));
    return code;
  };
  return [
    ...sum(5, 6),
    ...set(RC),
    ...V.zero,
    ...set(27),
    ...i32(0),
    ...set(22),
    ...loops(l, i32(0), i32(0), vec(), scalar()),
    ...get(8),
    ...get(27),
    ...V.store,
    ...get(8),
    ...get(22),
    ...OP.i32Store.slice(0, 2),
    16,
  ];
}

type ForwardFn = (
  px: number,
  py: number,
  rows: number,
  rowBytes: number,
  cb: number,
  outW: number,
) => void;
type GradFn = (
  px: number,
  pm: number,
  pg: number,
  pdx: number,
  rows: number,
  rowBytes: number,
  cb: number,
  outW: number,
  pflag: number,
) => void;

interface Kernels {
  forward: ForwardFn;
  grad: GradFn;
  heap: Float32Array;
  flags: Int32Array;
}

let kernels: Kernels | null | undefined;

/** This thread's kernels (instantiated on first use), or null without WebAssembly SIMD. */
function poolKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  const m = instantiateAll([
    {
      params: new Array(6).fill(I32),
      locals: [[10, I32], [5, V128], [5, F32]],
      code: forwardCode(),
    },
    {
      params: new Array(9).fill(I32),
      locals: [[14, I32], [5, V128], [1, F32]],
      code: gradCode(),
    },
  ], BAND_KERNEL_PAGES);
  kernels = m && {
    forward: m.fns[0] as ForwardFn,
    grad: m.fns[1] as GradFn,
    heap: new Float32Array(m.memory.buffer),
    flags: new Int32Array(m.memory.buffer, 0, 5),
  };
  return kernels;
}

/** Whether the WebAssembly SIMD pool kernels run here (probed once per thread). */
export function wasmPoolAvailable(): boolean {
  return poolKernels() !== null;
}

/** Rounds a float count up to whole 16-byte groups. */

/**
 * Calls `band(r0, n, xRow)` over output rows [lo, hi) in bands of at most `most` rows whose
 * input rows are consecutive (xRow: the first one's index in batch·inH): one image's rows,
 * or any rows when the images have no row past 2·outH.
 */
function eachBand(
  lo: number,
  hi: number,
  inH: number,
  outH: number,
  most: number,
  band: (r0: number, n: number, xRow: number) => void,
): void {
  const whole = inH === 2 * outH;
  for (let r0 = lo; r0 < hi;) {
    const b = Math.floor(r0 / outH);
    const oh = r0 - b * outH;
    const n = Math.min(most, hi - r0, whole ? hi - r0 : outH - oh);
    band(r0, n, b * inH + 2 * oh);
    r0 += n;
  }
}

/** max(x, y) as the JavaScript loops take it: a NaN loses to any number; a tie keeps x. */
function maxOf(x: number, y: number): number {
  return y > x || x !== x ? y : x;
}

/** {@linkcode maxPool2x2Rows} in JavaScript. */
export function maxPool2x2Js(
  x: Float32Array,
  y: Float32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  lo: number,
  hi: number,
): void {
  const rowStep = inW * c;
  let yo = lo * outW * c;
  for (let r = lo; r < hi; r++) {
    const b = Math.floor(r / outH);
    let p = (b * inH + 2 * (r - b * outH)) * rowStep;
    for (let ow = 0; ow < outW; ow++, p += 2 * c) {
      for (let j = 0; j < c; j++, yo++) {
        const q = p + j;
        y[yo] = maxOf(maxOf(x[q], x[q + c]), maxOf(x[q + rowStep], x[q + rowStep + c]));
      }
    }
  }
}

/** {@linkcode maxPool2x2Rows} in WebAssembly SIMD; false when not run. */
function maxPool2x2Wasm(
  x: Float32Array,
  y: Float32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  lo: number,
  hi: number,
): boolean {
  const k = poolKernels();
  if (!k || outW < 1) return false;
  const inRow = inW * c;
  const outRow = outW * c;
  const xAt = 8;
  const per = 2 * align4(inRow) + align4(outRow);
  const most = bandRowsIn((floats) => Math.floor((floats - xAt) / per));
  if (most < 1) return false;
  const heap = k.heap;
  eachBand(lo, hi, inH, outH, most, (r0, n, xRow) => {
    heap.set(x.subarray(xRow * inRow, (xRow + 2 * n) * inRow), xAt);
    const yAt = xAt + align4(2 * n * inRow);
    k.forward(4 * xAt, 4 * yAt, n, 4 * inRow, 4 * c, outW);
    y.set(heap.subarray(yAt, yAt + n * outRow), r0 * outRow);
  });
  return true;
}

/**
 * y [batch, outH, outW, c] over output rows [lo, hi) of batch·outH: the maximum of each
 * 2×2 window of x [batch, inH, inW, c] (stride 2, no padding, 2·outH ≤ inH, 2·outW ≤ inW).
 */
export function maxPool2x2Rows(
  x: Float32Array,
  y: Float32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  lo: number,
  hi: number,
): void {
  if (maxPool2x2Wasm(x, y, inH, inW, c, outH, outW, lo, hi)) return;
  maxPool2x2Js(x, y, inH, inW, c, outH, outW, lo, hi);
}

/**
 * The windows of output rows [lo, hi) where no pixel equals the pooled maximum bit for bit:
 * dy added to the first largest pixel by value unless that is NaN (as the JavaScript loop).
 */
function valueFallback(
  x: Float32Array,
  xi: Int32Array,
  yi: Int32Array,
  dy: Float32Array,
  dx: Float32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  lo: number,
  hi: number,
): void {
  const rowStep = inW * c;
  let yo = lo * outW * c;
  const qs = [0, 0, 0, 0];
  for (let r = lo; r < hi; r++) {
    const b = Math.floor(r / outH);
    let p = (b * inH + 2 * (r - b * outH)) * rowStep;
    for (let ow = 0; ow < outW; ow++, p += 2 * c) {
      for (let j = 0; j < c; j++, yo++) {
        const m = yi[yo];
        qs[0] = p + j;
        qs[1] = qs[0] + c;
        qs[2] = qs[0] + rowStep;
        qs[3] = qs[2] + c;
        if (xi[qs[0]] === m || xi[qs[1]] === m || xi[qs[2]] === m || xi[qs[3]] === m) continue;
        let best = -Infinity;
        let where = -1;
        for (const q of qs) {
          if (x[q] > best || (where < 0 && x[q] !== x[q])) {
            best = x[q];
            where = q;
          }
        }
        if (where >= 0 && x[where] === x[where]) dx[where] += dy[yo];
      }
    }
  }
}

/** {@linkcode maxPoolGrad2x2Rows} in JavaScript. */
export function maxPoolGrad2x2Js(
  x: Float32Array,
  pooled: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  lo: number,
  hi: number,
): void {
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const yi = new Int32Array(pooled.buffer, pooled.byteOffset, pooled.length);
  const rowStep = inW * c;
  let yo = lo * outW * c;
  for (let r = lo; r < hi; r++) {
    const b = Math.floor(r / outH);
    let p = (b * inH + 2 * (r - b * outH)) * rowStep;
    for (let ow = 0; ow < outW; ow++, p += 2 * c) {
      for (let j = 0; j < c; j++, yo++) {
        const m = yi[yo];
        const g = dy[yo];
        const q0 = p + j;
        const q1 = q0 + c;
        const q2 = q0 + rowStep;
        const q3 = q2 + c;
        // 1 where the bits equal the maximum's, then keep only the first match.
        let d = xi[q0] ^ m;
        const t0 = ((d | -d) >>> 31) ^ 1;
        d = xi[q1] ^ m;
        const t1 = (((d | -d) >>> 31) ^ 1) & (t0 ^ 1);
        let done = t0 | t1;
        d = xi[q2] ^ m;
        const t2 = (((d | -d) >>> 31) ^ 1) & (done ^ 1);
        done |= t2;
        d = xi[q3] ^ m;
        const t3 = (((d | -d) >>> 31) ^ 1) & (done ^ 1);
        done |= t3;
        // 0 + …: the sum into a zeroed dx (−0 and NaN·0 come out as they did there).
        dx[q0] = 0 + g * t0;
        dx[q1] = 0 + g * t1;
        dx[q2] = 0 + g * t2;
        dx[q3] = 0 + g * t3;
        if (done === 0) {
          // No pixel equals the maximum bit for bit (±0, NaN payloads): compare values.
          let best = -Infinity;
          let where = -1;
          for (const q of [q0, q1, q2, q3]) {
            if (x[q] > best || (where < 0 && x[q] !== x[q])) {
              best = x[q];
              where = q;
            }
          }
          if (where >= 0 && x[where] === x[where]) dx[where] += g;
        }
      }
    }
  }
}

/** {@linkcode maxPoolGrad2x2Rows} in WebAssembly SIMD; false when not run. */
function maxPoolGrad2x2Wasm(
  x: Float32Array,
  pooled: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  lo: number,
  hi: number,
): boolean {
  const k = poolKernels();
  if (!k || outW < 1) return false;
  const inRow = inW * c;
  const outRow = outW * c;
  const xAt = 8; // after the 5 flag words
  // Per output row: two input rows of x and of dx, one row of pooled and of dy.
  const per = 4 * align4(inRow) + 2 * align4(outRow);
  const most = bandRowsIn((floats) => Math.floor((floats - xAt) / per));
  if (most < 1) return false;
  const heap = k.heap;
  const flags = k.flags;
  const partial = 2 * outW < inW;
  let xi: Int32Array | undefined;
  eachBand(lo, hi, inH, outH, most, (r0, n, xRow) => {
    const xLen = 2 * n * inRow;
    const yLen = n * outRow;
    const dxAt = xAt + align4(xLen);
    const mAt = dxAt + align4(xLen);
    const gAt = mAt + align4(yLen);
    heap.set(x.subarray(xRow * inRow, xRow * inRow + xLen), xAt);
    heap.set(pooled.subarray(r0 * outRow, r0 * outRow + yLen), mAt);
    heap.set(dy.subarray(r0 * outRow, r0 * outRow + yLen), gAt);
    // The columns past 2·outW are not written by the kernel.
    if (partial) heap.fill(0, dxAt, dxAt + xLen);
    k.grad(4 * xAt, 4 * mAt, 4 * gAt, 4 * dxAt, n, 4 * inRow, 4 * c, outW, 0);
    dx.set(heap.subarray(dxAt, dxAt + xLen), xRow * inRow);
    if ((flags[0] | flags[1] | flags[2] | flags[3] | flags[4]) !== 0) {
      xi ??= new Int32Array(x.buffer, x.byteOffset, x.length);
      const yi = new Int32Array(pooled.buffer, pooled.byteOffset, pooled.length);
      valueFallback(x, xi, yi, dy, dx, inH, inW, c, outH, outW, r0, r0 + n);
    }
  });
  return true;
}

/**
 * dx [batch, inH, inW, c] of {@linkcode maxPool2x2Rows} over output rows [lo, hi): every
 * pixel of their windows is written (0 + dy·t, see the module), other pixels are not touched
 * by the JavaScript loop (the SIMD one zeroes the columns past 2·outW of its rows).
 */
export function maxPoolGrad2x2Rows(
  x: Float32Array,
  pooled: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  lo: number,
  hi: number,
): void {
  if (maxPoolGrad2x2Wasm(x, pooled, dy, dx, inH, inW, c, outH, outW, lo, hi)) return;
  maxPoolGrad2x2Js(x, pooled, dy, dx, inH, inW, c, outH, outW, lo, hi);
}
