/**
 * Private: the 3×3 depthwise convolution loops (channel multiplier 1, dilation 1, zero
 * padding before of any size) in WebAssembly SIMD (see `_wasm.ts`), for `_par_ops.ts`'s range ops.
 *
 * - {@linkcode wasmDw3x3}: y = Σ x·w over output rows [lo, hi) (the forward, and the
 *   stride-1 input gradient as a convolution of the zero-padded dy, {@linkcode wasmDw3x3S1Dx}).
 * - {@linkcode wasmDw3x3Grad}: the filter gradient Σ x·dy over output rows [lo, hi).
 * - {@linkcode wasmDw3x3S2Dx}: the stride-2 input gradient over input rows [lo, hi), each dx
 *   row zeroed, then its (dy row, filter row) pairs' products added by a row scatter.
 *
 * Each thread (the calling one and every kernel worker) instantiates its own kernels on first
 * use, one module sharing a fixed memory of {@linkcode DW_HEAP_BYTES} (never grown: see
 * `_wasm.ts`).
 * A range is run in bands of output rows inside one image: the band's input rows (zero-padded
 * in the kernel's memory) and the filter are copied in, the SIMD loop runs, its output rows are copied out. The channels
 * are innermost (NHWC): 4 per f32x4 lane group, the remainder (c mod 4) by a scalar f32 tail.
 * Sums are float32 in the order of the JavaScript loops' expressions; the filter gradient
 * sums each output row's run in float32 and adds it to float64 totals (row by row, as the
 * JavaScript loop's runs). Each function returns false (nothing done) without WebAssembly
 * SIMD or when one output row's band does not fit; the caller then runs its JavaScript loop.
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
  f32Zero,
  get,
  I32,
  i32,
  instantiateAll,
  OP,
  set,
  V,
  V128,
  vLoadAt,
  vStoreAt,
  whileNot,
} from "./_wasm.ts";

/** Bytes of the depthwise kernels' memory (one per thread, fixed). */
export const DW_HEAP_BYTES = BAND_KERNEL_PAGES * 65536;

/** The instructions of one lane width: 4 channels (f32x4) or 1 (scalar f32 tail). */
interface Lanes {
  load: readonly number[];
  store: readonly number[];
  mul: readonly number[];
  add: readonly number[];
  zero: readonly number[];
}
const VEC: Lanes = {
  load: V.load,
  store: V.store,
  mul: V.f32x4Mul,
  add: V.f32x4Add,
  zero: V.zero,
};
const SCALAR: Lanes = {
  load: OP.f32Load,
  store: OP.f32Store,
  mul: [OP.f32Mul],
  add: [OP.f32Add],
  zero: f32Zero,
};

/**
 * Parameters shared by both kernels: 0 px (input band), 1 pw (filter, or dy band), 2 py
 * (output band, or float64 totals), 3 rows, 4 rowBytes (input row), 5 cb (c·4), 6 outW,
 * 7 xStep (sw·cb), 8 rowStep (sh·rowBytes). Locals (i32): 9 r, 10 xr (input row), 11 yr
 * (output or dy row), 12 j (channel byte), 13 q (input tap 0), 14 o (output or dy), 15 n,
 * 16..23 the byte offsets of taps 1..8 from tap 0, 24 a (filter or totals address); then
 * 9 v128 per-tap values (25..33) and one more (34), 9 f32 per-tap values (35..43) and one
 * more (44).
 */
const PARAMS = [I32, I32, I32, I32, I32, I32, I32, I32, I32];
const LOCALS: [number, number][] = [[16, I32], [10, V128], [10, F32]];
const [R, XR, YR, J, Q, O, N, A] = [9, 10, 11, 12, 13, 14, 15, 24];
const OFF = [-1, 16, 17, 18, 19, 20, 21, 22, 23];
const tapV = (t: number) => 25 + t;
const tapS = (t: number) => 35 + t;
const ONE_V = 34;
const ONE_S = 44;

/**
 * Tap offsets: kh·rowBytes + kw·cb for taps 1..8, and the rows loop around `perRow` (yr
 * starts at parameter `rowParam`, and steps by outW·cb).
 */
function rowsLoop(perRow: number[], rowParam: number): number[] {
  const offsets: number[] = [];
  for (let t = 1; t < 9; t++) {
    const kh = Math.floor(t / 3);
    const kw = t % 3;
    offsets.push(...i32(0));
    for (let i = 0; i < kh; i++) offsets.push(...get(4), OP.i32Add);
    for (let i = 0; i < kw; i++) offsets.push(...get(5), OP.i32Add);
    offsets.push(...set(OFF[t]));
  }
  return [
    ...offsets,
    ...i32(0),
    ...set(R),
    ...get(0),
    ...set(XR),
    ...get(rowParam),
    ...set(YR),
    ...whileNot([...get(R), ...get(3), OP.i32GeU], [
      ...perRow,
      ...addTo(XR, 8),
      // yr += outW·cb
      ...get(YR),
      ...get(6),
      ...get(5),
      OP.i32Mul,
      OP.i32Add,
      ...set(YR),
      ...addConst(R, 1),
    ]),
  ];
}

/** The channel groups of one row: whole f32x4 groups, then the scalar tail. */
function channels(group: (l: Lanes) => number[]): number[] {
  return [
    ...i32(0),
    ...set(J),
    // while (j + 16 <= cb)
    ...whileNot([...get(J), ...i32(16), OP.i32Add, ...get(5), OP.i32GtU], [
      ...group(VEC),
      ...addConst(J, 16),
    ]),
    ...whileNot([...get(J), ...get(5), OP.i32GeU], [...group(SCALAR), ...addConst(J, 4)]),
  ];
}

/** `input[q + off_t]` (tap t's input value). */
function tapLoad(l: Lanes, t: number): number[] {
  return t === 0 ? [...get(Q), ...l.load] : [...get(Q), ...get(OFF[t]), OP.i32Add, ...l.load];
}

/** The forward kernel: y[r, ow, j] = Σ_t x[r·sh + kh, ow·sw + kw, j] · w[t, j]. */
function forwardCode(): number[] {
  const group = (l: Lanes): number[] => {
    const tap = l === VEC ? tapV : tapS;
    const code: number[] = [...get(1), ...get(J), OP.i32Add, ...set(A)];
    for (let t = 0; t < 9; t++) code.push(...get(A), ...l.load, ...set(tap(t)), ...addTo(A, 5));
    code.push(...get(XR), ...get(J), OP.i32Add, ...set(Q));
    code.push(...get(YR), ...get(J), OP.i32Add, ...set(O));
    code.push(...get(6), ...set(N));
    const inner: number[] = [...get(O)];
    for (let t = 0; t < 9; t++) {
      inner.push(...tapLoad(l, t), ...get(tap(t)), ...l.mul);
      if (t > 0) inner.push(...l.add);
    }
    inner.push(...l.store, ...addTo(Q, 7), ...addTo(O, 5));
    code.push(...countDown(N, inner));
    return code;
  };
  return rowsLoop(channels(group), 2);
}

/**
 * The filter-gradient kernel: per output row, acc[t, j] = Σ_ow x[r·sh + kh, ow·sw + kw, j] ·
 * dy[r, ow, j] in float32, then totals[t, j] (float64, at py) += acc[t, j].
 */
function gradCode(): number[] {
  const group = (l: Lanes): number[] => {
    const vec = l === VEC;
    const acc = vec ? tapV : tapS;
    const d = vec ? ONE_V : ONE_S;
    const code: number[] = [];
    for (let t = 0; t < 9; t++) code.push(...l.zero, ...set(acc(t)));
    code.push(...get(XR), ...get(J), OP.i32Add, ...set(Q));
    code.push(...get(YR), ...get(J), OP.i32Add, ...set(O));
    code.push(...get(6), ...set(N));
    const inner: number[] = [...get(O), ...l.load, ...set(d)];
    for (let t = 0; t < 9; t++) {
      inner.push(...get(acc(t)), ...tapLoad(l, t), ...get(d), ...l.mul, ...l.add, ...set(acc(t)));
    }
    inner.push(...addTo(Q, 7), ...addTo(O, 5));
    code.push(...countDown(N, inner));
    // Totals: a = py + 2j, then per tap a += 2cb.
    code.push(...get(2), ...get(J), ...get(J), OP.i32Add, OP.i32Add, ...set(A));
    for (let t = 0; t < 9; t++) {
      if (vec) {
        code.push(
          ...get(A),
          ...get(A),
          ...vLoadAt(0),
          ...get(acc(t)),
          ...V.f64x2PromoteLowF32x4,
          ...V.f64x2Add,
          ...vStoreAt(0),
          ...get(A),
          ...get(A),
          ...vLoadAt(16),
          ...get(acc(t)),
          ...get(acc(t)),
          ...V.f32x4High,
          ...V.f64x2PromoteLowF32x4,
          ...V.f64x2Add,
          ...vStoreAt(16),
        );
      } else {
        code.push(
          ...get(A),
          ...get(A),
          ...OP.f64Load,
          ...get(acc(t)),
          OP.f64PromoteF32,
          OP.f64Add,
          ...OP.f64Store,
        );
      }
      code.push(...addTo(A, 5), ...addTo(A, 5));
    }
    return code;
  };
  return rowsLoop(channels(group), 1);
}

const J6 = 6;

/**
 * The stride-2 input-gradient row pass: dx[o·xStep + j] += dy[o·cb + j] · w[j] for o in
 * [0, n), all channels (parameters 0 pdy, 1 pw, 2 pdx, 3 n ≥ 1, 4 cb, 5 xStep; locals
 * 6 j, 7 q, 8 o, 9 count, 10 w (v128), 11 w (f32)).
 */
function scatterCode(): number[] {
  const group = (l: Lanes): number[] => {
    const wl = l === VEC ? 10 : 11;
    return [
      ...get(1),
      ...get(J6),
      OP.i32Add,
      ...l.load,
      ...set(wl),
      ...get(2),
      ...get(J6),
      OP.i32Add,
      ...set(7),
      ...get(0),
      ...get(J6),
      OP.i32Add,
      ...set(8),
      ...get(3),
      ...set(9),
      ...countDown(9, [
        ...get(7),
        ...get(7),
        ...l.load,
        ...get(8),
        ...l.load,
        ...get(wl),
        ...l.mul,
        ...l.add,
        ...l.store,
        ...addTo(7, 5),
        ...addTo(8, 4),
      ]),
    ];
  };
  return [
    ...i32(0),
    ...set(J6),
    ...whileNot([...get(J6), ...i32(16), OP.i32Add, ...get(4), OP.i32GtU], [
      ...group(VEC),
      ...addConst(J6, 16),
    ]),
    ...whileNot([...get(J6), ...get(4), OP.i32GeU], [...group(SCALAR), ...addConst(J6, 4)]),
  ];
}
type ScatterFn = (
  pdy: number,
  pw: number,
  pdx: number,
  n: number,
  cb: number,
  xStep: number,
) => void;

type DwFn = (
  px: number,
  pw: number,
  py: number,
  rows: number,
  rowBytes: number,
  cb: number,
  outW: number,
  xStep: number,
  rowStep: number,
) => void;

/** The three kernels of one thread, sharing one memory. */
interface Kernels {
  forward: DwFn;
  grad: DwFn;
  scatter: ScatterFn;
  heap: Float32Array;
}

let kernels: Kernels | null | undefined;

/** This thread's kernels (instantiated on first use), or null without WebAssembly SIMD. */
function dwKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  const m = instantiateAll([
    { params: PARAMS, locals: LOCALS, code: forwardCode() },
    { params: PARAMS, locals: LOCALS, code: gradCode() },
    {
      params: [I32, I32, I32, I32, I32, I32],
      locals: [[4, I32], [1, V128], [1, F32]],
      code: scatterCode(),
    },
  ], BAND_KERNEL_PAGES);
  kernels = m && {
    forward: m.fns[0] as DwFn,
    grad: m.fns[1] as DwFn,
    scatter: m.fns[2] as ScatterFn,
    heap: new Float32Array(m.memory.buffer),
  };
  return kernels;
}

/** Whether the WebAssembly SIMD depthwise kernels run here (probed once per thread). */
export function wasmDwAvailable(): boolean {
  return dwKernels() !== null;
}

/** Rounds a float count up to whole 16-byte groups. */
/**
 * The output rows per band (at least 1) whose input rows, output rows and `fixed` floats fit
 * {@linkcode BAND_FLOATS} (else the whole memory), or 0.
 */
function bandRows(fixed: number, inRow: number, outRow: number, sh: number): number {
  // fixed + ((n − 1)·sh + 3)·inRow + n·outRow ≤ room (floats, each part rounded to 4).
  const fit = (floats: number) =>
    Math.floor((floats - fixed - 8 - (3 - sh) * inRow) / (sh * inRow + outRow));
  return bandRowsIn(fit);
}

/**
 * Writes padded rows [p0, p0 + n) of image b at heap[at …]: the image src [·, h, w, c]
 * zero-padded by (top, left) before, cut to rows of `pw` pixels.
 */
function padRows(
  heap: Float32Array,
  at: number,
  src: Float32Array,
  b: number,
  h: number,
  w: number,
  c: number,
  p0: number,
  n: number,
  pw: number,
  top: number,
  left: number,
): void {
  const row = pw * c;
  const c0 = Math.min(pw, left);
  const c1 = Math.max(c0, Math.min(pw, left + w)); // padded columns [c0, c1) hold src
  for (let p = p0; p < p0 + n; p++, at += row) {
    const ih = p - top;
    if (ih < 0 || ih >= h || c1 === c0) {
      heap.fill(0, at, at + row);
      continue;
    }
    heap.fill(0, at, at + c0 * c);
    const s = ((b * h + ih) * w + c0 - left) * c;
    heap.set(src.subarray(s, s + (c1 - c0) * c), at + c0 * c);
    heap.fill(0, at + c1 * c, at + row);
  }
}

/**
 * y = the 3×3 depthwise convolution of x [batch, inH, inW, c], zero-padded by (top, left)
 * before (as much as the output needs after), by w [3, 3, c], over output rows [lo, hi) of
 * batch·outH (y [batch, outH, outW, c]; strides sh, sw); false when not run.
 */
export function wasmDw3x3(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  sh: number,
  sw: number,
  top: number,
  left: number,
  lo: number,
  hi: number,
): boolean {
  const k = dwKernels();
  if (!k || outW < 1 || top < 0 || left < 0) return false;
  const pw = (outW - 1) * sw + 3;
  const inRow = pw * c;
  const outRow = outW * c;
  const xAt = align4(9 * c);
  const band = bandRows(xAt, align4(inRow), align4(outRow), sh);
  if (band < 1) return false;
  const heap = k.heap;
  heap.set(w.subarray(0, 9 * c), 0);
  for (let r0 = lo; r0 < hi;) {
    const b = Math.floor(r0 / outH);
    const oh0 = r0 - b * outH;
    const n = Math.min(band, hi - r0, outH - oh0);
    const inRows = (n - 1) * sh + 3;
    padRows(heap, xAt, x, b, inH, inW, c, oh0 * sh, inRows, pw, top, left);
    const yAt = xAt + align4(inRows * inRow);
    k.forward(4 * xAt, 0, 4 * yAt, n, 4 * inRow, 4 * c, outW, 4 * sw * c, 4 * sh * inRow);
    y.set(heap.subarray(yAt, yAt + n * outRow), r0 * outRow);
    r0 += n;
  }
  return true;
}

/**
 * dx [batch, inH, inW, c] of a stride-1 3×3 depthwise convolution for images [lo, hi): the
 * convolution of dy [batch, outH, outW, c], zero-padded by (pt, pl) before, with the filter
 * rotated 180° (`rotated`); false when not run.
 */
export function wasmDw3x3S1Dx(
  dy: Float32Array,
  rotated: Float32Array,
  dx: Float32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  pt: number,
  pl: number,
  lo: number,
  hi: number,
): boolean {
  return wasmDw3x3(dy, rotated, dx, outH, outW, c, inH, inW, 1, 1, pt, pl, lo * inH, hi * inH);
}

/**
 * The filter gradient of a 3×3 depthwise convolution (x zero-padded by (top, left) before)
 * over output rows [lo, hi) of batch·outH: out[t·c + j] += Σ xpad[b, oh·sh + kh, ow·sw + kw,
 * j] · dy[b, oh, ow, j] (t = 3kh + kw), the range's sum in float64 added once; false when
 * not run.
 */
export function wasmDw3x3Grad(
  x: Float32Array,
  dy: Float32Array,
  out: Float32Array | Float64Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  sh: number,
  sw: number,
  top: number,
  left: number,
  lo: number,
  hi: number,
): boolean {
  const k = dwKernels();
  if (!k || outW < 1 || top < 0 || left < 0) return false;
  const pw = (outW - 1) * sw + 3;
  const inRow = pw * c;
  const outRow = outW * c;
  // Float64 totals at 0 (18c floats), then the input band and the dy band.
  const xAt = align4(18 * c);
  const band = bandRows(xAt, align4(inRow), align4(outRow), sh);
  if (band < 1) return false;
  const heap = k.heap;
  const totals = new Float64Array(heap.buffer, 0, 9 * c);
  totals.fill(0);
  for (let r0 = lo; r0 < hi;) {
    const b = Math.floor(r0 / outH);
    const oh0 = r0 - b * outH;
    const n = Math.min(band, hi - r0, outH - oh0);
    const inRows = (n - 1) * sh + 3;
    padRows(heap, xAt, x, b, inH, inW, c, oh0 * sh, inRows, pw, top, left);
    const dAt = xAt + align4(inRows * inRow);
    heap.set(dy.subarray(r0 * outRow, (r0 + n) * outRow), dAt);
    k.grad(4 * xAt, 4 * dAt, 0, n, 4 * inRow, 4 * c, outW, 4 * sw * c, 4 * sh * inRow);
    r0 += n;
  }
  for (let i = 0; i < 9 * c; i++) out[i] += totals[i];
  return true;
}

/** The padding before index 0 that a stride-2 tap table (`_kernels_conv.ts`) encodes, or −1. */
function tablePad(taps: Int32Array, n: number): number {
  for (let i = 0; i < n; i++) if (taps[5 * i] > 0) return 2 * taps[5 * i + 1] + taps[5 * i + 2] - i;
  return -1;
}

/**
 * dx [batch, inH, inW, c] of a stride-2 3×3 depthwise convolution over input rows [lo, hi)
 * of batch·inH, from dy [batch, outH, outW, c] and w [3, 3, c]; `rows`, `cols`: per input
 * index [count, o0, k0, o1, k1] (the (output, tap) pairs reaching it, taps ascending). Each
 * dx row is zeroed, then gets its pairs' products added in the order of the JavaScript
 * loop's sum (row tap, then column tap ascending). False when not run.
 */
export function wasmDw3x3S2Dx(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  rows: Int32Array,
  cols: Int32Array,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  lo: number,
  hi: number,
): boolean {
  const k = dwKernels();
  const left = tablePad(cols, inW);
  if (!k || left < 0 || tablePad(rows, inH) < 0) return false;
  const dxRow = inW * c;
  const dyRow = outW * c;
  const dyAt = align4(9 * c);
  // n dx rows need at most (n + 1)/2 + 1 dy rows.
  const fit = (floats: number) =>
    Math.floor((floats - dyAt - 8 - 2 * align4(dyRow)) / (align4(dxRow) + align4(dyRow) / 2));
  const band = bandRowsIn(fit);
  if (band < 1) return false;
  // Per kw: the output columns [o0, o1) whose input column 2o − left + kw is inside.
  const spans: number[] = [];
  for (let kw = 0; kw < 3; kw++) {
    const off = kw - left;
    const o0 = Math.max(0, Math.ceil(-off / 2));
    const o1 = Math.min(outW, Math.floor((inW - 1 - off) / 2) + 1);
    spans.push(o0, o1, 2 * o0 + off);
  }
  const heap = k.heap;
  heap.set(w.subarray(0, 9 * c), 0);
  const cb = 4 * c;
  for (let r0 = lo; r0 < hi;) {
    const b = Math.floor(r0 / inH);
    const h0 = r0 - b * inH;
    const n = Math.min(band, hi - r0, inH - h0);
    // The dy rows the band's pairs name: [first, last].
    let first = outH;
    let last = -1;
    for (let ih = h0; ih < h0 + n; ih++) {
      for (let p = 0; p < rows[5 * ih]; p++) {
        const oh = rows[5 * ih + 1 + 2 * p];
        first = Math.min(first, oh);
        last = Math.max(last, oh);
      }
    }
    const dxAt = dyAt + align4(Math.max(0, last - first + 1) * dyRow);
    heap.fill(0, dxAt, dxAt + n * dxRow);
    if (last >= first) {
      heap.set(dy.subarray((b * outH + first) * dyRow, (b * outH + last + 1) * dyRow), dyAt);
    }
    for (let ih = h0; ih < h0 + n; ih++) {
      const dxBase = dxAt + (ih - h0) * dxRow;
      for (let p = 0; p < rows[5 * ih]; p++) {
        const dyBase = dyAt + (rows[5 * ih + 1 + 2 * p] - first) * dyRow;
        const kh = rows[5 * ih + 2 + 2 * p];
        for (let kw = 0; kw < 3; kw++) {
          const o0 = spans[3 * kw];
          const o1 = spans[3 * kw + 1];
          if (o0 >= o1) continue;
          k.scatter(
            4 * (dyBase + o0 * c),
            4 * (3 * kh + kw) * c,
            4 * (dxBase + spans[3 * kw + 2] * c),
            o1 - o0,
            cb,
            2 * cb,
          );
        }
      }
    }
    dx.set(heap.subarray(dxAt, dxAt + n * dxRow), r0 * dxRow);
    r0 += n;
  }
  return true;
}
