/**
 * Private: the kernel loops that run split over threads (see `_par.ts`), each over a range
 * [lo, hi) of rows (or elements, or images) of its arrays. The calling thread and the kernel
 * workers (`_par_worker.ts`) run the same functions, so a split changes only which thread
 * computes which rows: elementwise results are identical to one thread's; sums are per-range
 * partials (float64) that the caller adds in range order (deterministic per thread count).
 *
 * Arguments are positional (they travel by `postMessage`: typed arrays on shared memory are
 * shared, numbers copied).
 *
 * @module
 */

import { maxPool2x2Rows, maxPoolGrad2x2Rows } from "./_wasm_pool.ts";
import { wasmDw3x3, wasmDw3x3Grad, wasmDw3x3S1Dx, wasmDw3x3S2Dx } from "./_wasm_dw.ts";

// deno-lint-ignore no-explicit-any
type Args = any[];
/** A range loop: `part` is the index of the range (where it writes partial sums). */
export type RangeOp = (args: Args, lo: number, hi: number, part: number) => void;

/** [x, out]: Relu6 on elements [lo, hi), branch-free on the bit patterns. */
function relu6(args: Args, lo: number, hi: number): void {
  const x = args[0] as Float32Array;
  const out = args[1] as Float32Array;
  // Negatives (sign bit set) become +0, then the integer minimum with 6.0's bits
  // (0x40c00000), valid because non-negative floats order as their bits. NaN stays NaN.
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = lo; i < hi; i++) {
    const b = xi[i];
    if ((b & 0x7fffffff) > 0x7f800000) {
      oi[i] = b;
      continue;
    }
    const m = (b & ~(b >> 31)) - 0x40c00000;
    oi[i] = 0x40c00000 + (m & (m >> 31));
  }
}

/** [x, out]: Relu on elements [lo, hi) (negatives become +0, NaN stays NaN). */
function relu(args: Args, lo: number, hi: number): void {
  const x = args[0] as Float32Array;
  const out = args[1] as Float32Array;
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = lo; i < hi; i++) {
    const b = xi[i];
    oi[i] = (b >>> 0) > 0xff800000 ? b : b & ~(b >> 31);
  }
}

/** [x, dy, dx]: dx = dy where 0 < x ≤ 6, else 0 (NaN where x is NaN), elements [lo, hi). */
function relu6Grad(args: Args, lo: number, hi: number): void {
  const xv = args[0] as Float32Array;
  const dyv = args[1] as Float32Array;
  const dx = args[2] as Float32Array;
  // The mask is all ones where x's bits lie in [1, bits(6.0)] (positive floats order as
  // their bits), else 0.
  const xi = new Int32Array(xv.buffer, xv.byteOffset, xv.length);
  const gi = new Int32Array(dyv.buffer, dyv.byteOffset, dyv.length);
  const oi = new Int32Array(dx.buffer, dx.byteOffset, dx.length);
  for (let i = lo; i < hi; i++) {
    const b = xi[i];
    if ((b & 0x7fffffff) > 0x7f800000) {
      dx[i] = NaN;
      continue;
    }
    oi[i] = gi[i] & ~((b >> 31) | ((0x40c00000 - b) >> 31) | ((b - 1) >> 31));
  }
}

/**
 * [x, pilot, c, parts]: per-channel sums of d = x − pilot and d² over rows [lo, hi), into
 * parts[part·2c + j] and parts[part·2c + c + j].
 */
function bnStats(args: Args, lo: number, hi: number, part: number): void {
  const xv = args[0] as Float32Array;
  const pilot = args[1] as Float64Array;
  const c = args[2] as number;
  const parts = args[3] as Float64Array;
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let i = lo * c; i < hi * c; i += c) {
    for (let j = 0; j < c; j++) {
      const d = xv[i + j] - pilot[j];
      s1[j] += d;
      s2[j] += d * d;
    }
  }
  parts.set(s1, part * 2 * c);
  parts.set(s2, part * 2 * c + c);
}

/** [x, y, o, m, k, c]: y = o + (x − m)·k per channel, rows [lo, hi). */
function bnApply(args: Args, lo: number, hi: number): void {
  const xv = args[0] as Float32Array;
  const y = args[1] as Float32Array;
  const o = args[2] as Float32Array | Float64Array;
  const m = args[3] as Float32Array | Float64Array;
  const k = args[4] as Float32Array | Float64Array;
  const c = args[5] as number;
  for (let i = lo * c; i < hi * c; i += c) {
    for (let j = 0; j < c; j++) y[i + j] = o[j] + (xv[i + j] - m[j]) * k[j];
  }
}

/**
 * [x, dy, m, c, parts]: per-channel sums of dy and dy·(x − m) over rows [lo, hi), into
 * parts[part·2c + j] and parts[part·2c + c + j].
 */
function bnGradSums(args: Args, lo: number, hi: number, part: number): void {
  const xv = args[0] as Float32Array;
  const dyv = args[1] as Float32Array;
  const m = args[2] as Float64Array;
  const c = args[3] as number;
  const parts = args[4] as Float64Array;
  const sumDy = new Float64Array(c);
  const sumDyXm = new Float64Array(c);
  for (let i = lo * c; i < hi * c; i += c) {
    for (let j = 0; j < c; j++) {
      const g = dyv[i + j];
      sumDy[j] += g;
      sumDyXm[j] += g * (xv[i + j] - m[j]);
    }
  }
  parts.set(sumDy, part * 2 * c);
  parts.set(sumDyXm, part * 2 * c + c);
}

/** [x, dy, dx, a, b, e, m, c]: dx = a·dy + b·(x − m) + e per channel, rows [lo, hi). */
function bnGradApply(args: Args, lo: number, hi: number): void {
  const xv = args[0] as Float32Array;
  const dyv = args[1] as Float32Array;
  const dx = args[2] as Float32Array;
  const a = args[3] as Float64Array;
  const b = args[4] as Float64Array;
  const e = args[5] as Float64Array;
  const m = args[6] as Float64Array;
  const c = args[7] as number;
  for (let i = lo * c; i < hi * c; i += c) {
    for (let j = 0; j < c; j++) {
      dx[i + j] = a[j] * dyv[i + j] + b[j] * (xv[i + j] - m[j]) + e[j];
    }
  }
}

/**
 * [x, dy, m, k, c, dx, parts]: `FusedBatchNorm`'s gradient pass over rows [lo, hi):
 * dx = dy·k, and the per-channel sums of dy and dy·(x − m) into parts (as bnGradSums).
 */
function bnFusedGrad(args: Args, lo: number, hi: number, part: number): void {
  const xv = args[0] as Float32Array;
  const dyv = args[1] as Float32Array;
  const m = args[2] as Float32Array;
  const k = args[3] as Float32Array;
  const c = args[4] as number;
  const dx = args[5] as Float32Array;
  const parts = args[6] as Float64Array;
  const sumDy = new Float64Array(c);
  const sumDyXm = new Float64Array(c);
  for (let i = lo * c; i < hi * c; i += c) {
    for (let j = 0; j < c; j++) {
      const g = dyv[i + j];
      dx[i + j] = g * k[j];
      sumDy[j] += g;
      sumDyXm[j] += g * (xv[i + j] - m[j]);
    }
  }
  parts.set(sumDy, part * 2 * c);
  parts.set(sumDyXm, part * 2 * c + c);
}

/**
 * [y, bias, last, act]: y += bias over the last axis, then act (0 linear, 1 relu, 2 relu6),
 * rows [lo, hi) of length `last`.
 */
function biasAct(args: Args, lo: number, hi: number): void {
  const y = args[0] as Float32Array;
  const bias = args[1] as Float32Array;
  const last = args[2] as number;
  const act = args[3] as number;
  for (let i = lo * last; i < hi * last; i += last) {
    if (act === 1) {
      for (let j = 0; j < last; j++) {
        const v = y[i + j] + bias[j];
        const r = (v + Math.abs(v)) * 0.5;
        y[i + j] = r === r ? r : v === -Infinity ? 0 : r;
      }
    } else if (act === 2) {
      for (let j = 0; j < last; j++) {
        const v = Math.fround(y[i + j] + bias[j]);
        y[i + j] = v < 0 ? 0 : v > 6 ? 6 : v;
      }
    } else {
      for (let j = 0; j < last; j++) y[i + j] += bias[j];
    }
  }
}

/**
 * [x, w, y, inH, inW, c, outH, outW, sh, sw]: a 3×3 depthwise convolution without padding
 * over output rows [lo, hi) of batch·outH, each output's nine products summed in registers
 * (WebAssembly SIMD, `_wasm_dw.ts`, where it runs; else {@linkcode dw3x3ValidJs}).
 */
function dw3x3Valid(args: Args, lo: number, hi: number): void {
  const [inH, inW, c, outH, outW, sh, sw] = args.slice(3) as number[];
  const [x, w, y] = args;
  if (wasmDw3x3(x, w, y, inH, inW, c, outH, outW, sh, sw, 0, 0, lo, hi)) return;
  dw3x3ValidJs(args, lo, hi);
}

/** {@linkcode dw3x3Valid} in JavaScript. */
function dw3x3ValidJs(args: Args, lo: number, hi: number): void {
  const x = args[0] as Float32Array;
  const w = args[1] as Float32Array;
  const y = args[2] as Float32Array;
  const [inH, inW, c, outH, outW, sh, sw] = args.slice(3) as number[];
  const row = inW * c;
  const step = sw * c;
  const c2 = 2 * c;
  for (let r = lo; r < hi; r++) {
    const b = Math.floor(r / outH);
    const oh = r - b * outH;
    let p0 = (b * inH + oh * sh) * row;
    let yo = r * outW * c;
    for (let ow = 0; ow < outW; ow++, p0 += step, yo += c) {
      const p1 = p0 + row;
      const p2 = p1 + row;
      for (let j = 0; j < c; j++) {
        y[yo + j] = x[p0 + j] * w[j] + x[p0 + c + j] * w[c + j] +
          x[p0 + c2 + j] * w[c2 + j] + x[p1 + j] * w[3 * c + j] +
          x[p1 + c + j] * w[4 * c + j] + x[p1 + c2 + j] * w[5 * c + j] +
          x[p2 + j] * w[6 * c + j] + x[p2 + c + j] * w[7 * c + j] +
          x[p2 + c2 + j] * w[8 * c + j];
      }
    }
  }
}

/**
 * [dy, rotated, padded, dx, inH, inW, c, outH, outW, pt, pl]: dx of a stride-1 3×3
 * depthwise convolution for images [lo, hi): their dy zero-padded by (pt, pl) into
 * `padded` ([batch, inH + 2, inW + 2, c]), then a valid 3×3 convolution with the filter
 * rotated 180° (WebAssembly SIMD where it runs, padding in its memory: `padded` unused,
 * and may be empty; else {@linkcode dw3x3S1DxJs}, image by image into a local `padded`
 * when it is empty).
 */
function dw3x3S1Dx(args: Args, lo: number, hi: number): void {
  const [inH, inW, c, outH, outW, pt, pl] = args.slice(4) as number[];
  const [dy, rotated, padded, dx] = args;
  if (wasmDw3x3S1Dx(dy, rotated, dx, inH, inW, c, outH, outW, pt, pl, lo, hi)) return;
  if ((padded as Float32Array).length > 0) {
    dw3x3S1DxJs(args, lo, hi);
    return;
  }
  const one = new Float32Array((inH + 2) * (inW + 2) * c);
  const dyImage = outH * outW * c;
  const dxImage = inH * inW * c;
  for (let b = lo; b < hi; b++) {
    const dyB = (dy as Float32Array).subarray(b * dyImage, (b + 1) * dyImage);
    const dxB = (dx as Float32Array).subarray(b * dxImage, (b + 1) * dxImage);
    dw3x3S1DxJs([dyB, rotated, one, dxB, ...args.slice(4)], 0, 1);
  }
}

/** {@linkcode dw3x3S1Dx} in JavaScript. */
function dw3x3S1DxJs(args: Args, lo: number, hi: number): void {
  const dy = args[0] as Float32Array;
  const rotated = args[1] as Float32Array;
  const padded = args[2] as Float32Array;
  const dx = args[3] as Float32Array;
  const [inH, inW, c, outH, outW, pt, pl] = args.slice(4) as number[];
  const ph = inH + 2;
  const pw = inW + 2;
  padded.fill(0, lo * ph * pw * c, hi * ph * pw * c);
  for (let b = lo; b < hi; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const src = ((b * outH + oh) * outW) * c;
      padded.set(dy.subarray(src, src + outW * c), ((b * ph + oh + pt) * pw + pl) * c);
    }
  }
  dw3x3ValidJs([padded, rotated, dx, ph, pw, c, inH, inW, 1, 1], lo * inH, hi * inH);
}

/**
 * [dy, w, dx, rows, cols, inH, inW, c, outH, outW]: dx of a stride-2 3×3 depthwise
 * convolution over input rows [lo, hi) of batch·inH, gathered: each input element sums the
 * one, two or four (output, tap) products that reach it (`rows`, `cols`: per input index
 * [count, o0, k0, o1, k1]). WebAssembly SIMD where it runs (`_wasm_dw.ts`), else
 * {@linkcode dw3x3S2DxJs}.
 */
function dw3x3S2Dx(args: Args, lo: number, hi: number): void {
  const [inH, inW, c, outH, outW] = args.slice(5) as number[];
  const [dy, w, dx, rows, cols] = args;
  if (wasmDw3x3S2Dx(dy, w, dx, rows, cols, inH, inW, c, outH, outW, lo, hi)) return;
  dw3x3S2DxJs(args, lo, hi);
}

/** {@linkcode dw3x3S2Dx} in JavaScript. */
function dw3x3S2DxJs(args: Args, lo: number, hi: number): void {
  const dy = args[0] as Float32Array;
  const w = args[1] as Float32Array;
  const dx = args[2] as Float32Array;
  const rows = args[3] as Int32Array;
  const cols = args[4] as Int32Array;
  const [inH, inW, c, outH, outW] = args.slice(5) as number[];
  for (let r = lo; r < hi; r++) {
    const b = Math.floor(r / inH);
    const ih = r - b * inH;
    const nr = rows[5 * ih];
    const r0 = ((b * outH + rows[5 * ih + 1]) * outW) * c;
    const r1 = ((b * outH + rows[5 * ih + 3]) * outW) * c;
    const kh0 = rows[5 * ih + 2] * 3;
    const kh1 = rows[5 * ih + 4] * 3;
    let o = r * inW * c;
    for (let iw = 0; iw < inW; iw++, o += c) {
      const nc = cols[5 * iw];
      if (nr === 0 || nc === 0) {
        dx.fill(0, o, o + c);
        continue;
      }
      const c0 = cols[5 * iw + 1] * c;
      const kw0 = cols[5 * iw + 2];
      const p00 = r0 + c0;
      const w00 = (kh0 + kw0) * c;
      if (nc === 1) {
        if (nr === 1) {
          for (let j = 0; j < c; j++) dx[o + j] = dy[p00 + j] * w[w00 + j];
        } else {
          const p10 = r1 + c0;
          const w10 = (kh1 + kw0) * c;
          for (let j = 0; j < c; j++) {
            dx[o + j] = dy[p00 + j] * w[w00 + j] + dy[p10 + j] * w[w10 + j];
          }
        }
        continue;
      }
      const c1 = cols[5 * iw + 3] * c;
      const kw1 = cols[5 * iw + 4];
      const p01 = r0 + c1;
      const w01 = (kh0 + kw1) * c;
      if (nr === 1) {
        for (let j = 0; j < c; j++) {
          dx[o + j] = dy[p00 + j] * w[w00 + j] + dy[p01 + j] * w[w01 + j];
        }
      } else {
        const p10 = r1 + c0;
        const p11 = r1 + c1;
        const w10 = (kh1 + kw0) * c;
        const w11 = (kh1 + kw1) * c;
        for (let j = 0; j < c; j++) {
          dx[o + j] = dy[p00 + j] * w[w00 + j] + dy[p01 + j] * w[w01 + j] +
            dy[p10 + j] * w[w10 + j] + dy[p11 + j] * w[w11 + j];
        }
      }
    }
  }
}

/**
 * [mode, a, b, out, ranges, inH, inW, c, outH, outW, fh, fw, sh, sw, top, left, parts]:
 * the depthwise loops (channel multiplier 1, dilation 1) in one order: per output row, per
 * filter tap (kh, kw), a run of output columns (`ranges`: per kw [lo, hi)), the channels
 * innermost. Mode 0: y += x·w over output rows [lo, hi) of batch·outH (out = y);
 * 1: dx += dy·w over images [lo, hi) (out = dx; an input row gets several output rows');
 * 2: dw += x·dy over output rows [lo, hi), into parts[part·fh·fw·c …] (zeroed here) when
 * `parts` is given, else into out. Modes 0 and 2 of a 3×3 filter run in WebAssembly SIMD
 * where they can (`_wasm_dw.ts`, the input zero-padded in its memory; mode 0 then writes
 * y's rows, which the caller passes zeroed; mode 2 sums each output row's run in float32,
 * as the runs here, into float64 totals); else {@linkcode dwRunsJs}.
 */
function dwRuns(args: Args, lo: number, hi: number, part: number): void {
  const [mode, a, b] = args;
  const [inH, inW, c, outH, outW, fh, fw, sh, sw, top, left] = args.slice(5, 16) as number[];
  if (mode === 0 && fh === 3 && fw === 3) {
    if (wasmDw3x3(a, b, args[3], inH, inW, c, outH, outW, sh, sw, top, left, lo, hi)) return;
  } else if (mode === 2 && fh === 3 && fw === 3) {
    let out = args[3] as Float32Array | Float64Array;
    if (args[16] !== undefined) {
      const size = 9 * c;
      out = (args[16] as Float64Array).subarray(part * size, (part + 1) * size);
      out.fill(0);
    }
    if (wasmDw3x3Grad(a, b, out, inH, inW, c, outH, outW, sh, sw, top, left, lo, hi)) return;
  }
  dwRunsJs(args, lo, hi, part);
}

/** {@linkcode dwRuns} in JavaScript. */
function dwRunsJs(args: Args, lo: number, hi: number, part: number): void {
  const mode = args[0] as number;
  const a = args[1] as Float32Array;
  const b = args[2] as Float32Array;
  const ranges = args[4] as Int32Array;
  const [inH, inW, c, outH, outW, fh, fw, sh, sw, top, left] = args.slice(5, 16) as number[];
  let out = args[3] as Float32Array | Float64Array;
  let r0 = lo;
  let r1 = hi;
  if (mode === 1) {
    r0 = lo * outH;
    r1 = hi * outH;
  } else if (mode === 2 && args[16] !== undefined) {
    const parts = args[16] as Float64Array;
    const size = fh * fw * c;
    out = parts.subarray(part * size, (part + 1) * size);
    out.fill(0);
  }
  const xStep = sw * c;
  for (let r = r0; r < r1; r++) {
    const bi = Math.floor(r / outH);
    const oh = r - bi * outH;
    const yRow = r * outW * c;
    for (let kh = 0; kh < fh; kh++) {
      const ih = oh * sh - top + kh;
      if (ih < 0 || ih >= inH) continue;
      const xRow = ((bi * inH + ih) * inW) * c;
      for (let kw = 0; kw < fw; kw++) {
        const rlo = ranges[2 * kw];
        const rhi = ranges[2 * kw + 1];
        if (rlo >= rhi) continue;
        const wo = (kh * fw + kw) * c;
        let xo = xRow + (rlo * sw - left + kw) * c;
        let yo = yRow + rlo * c;
        if (mode === 0) {
          for (let ow = rlo; ow < rhi; ow++, xo += xStep, yo += c) {
            for (let j = 0; j < c; j++) out[yo + j] += a[xo + j] * b[wo + j];
          }
        } else if (mode === 1) {
          for (let ow = rlo; ow < rhi; ow++, xo += xStep, yo += c) {
            for (let j = 0; j < c; j++) out[xo + j] += a[yo + j] * b[wo + j];
          }
        } else {
          // Each channel's sum over the run stays in a register.
          const n = rhi - rlo;
          for (let j = 0; j < c; j++) {
            let acc = 0;
            for (let q = 0, px = xo + j, py = yo + j; q < n; q++, px += xStep, py += c) {
              acc += a[px] * b[py];
            }
            out[wo + j] += acc;
          }
        }
      }
    }
  }
}

/** Slots of the shared control array (Int32Array) of the kernel threads. */
export const CTRL = {
  /** Chunks completed, monotonic over all tasks. */
  done: 0,
  /** Workers started. */
  ready: 1,
  /** 1 once a chunk failed (the message is in the error bytes). */
  error: 2,
  /** The next chunk ticket, monotonic over all tasks. */
  next: 3,
  /** Chunks the workers ran (statistics). */
  helped: 4,
  /** Slots in all. */
  length: 5,
} as const;

/**
 * Claims and runs chunks of one task until none is left: chunk k (ticket base + k) covers
 * rows [⌊n·k/chunks⌋, ⌊n·(k+1)/chunks⌋). A ticket is taken by compare-and-swap only while it
 * lies inside this task's tickets, so a worker that reads a task late can never take a ticket
 * of the next one. Which thread runs a chunk never changes what the chunk computes.
 */
export function runChunks(
  ctrl: Int32Array,
  fn: RangeOp,
  args: Args,
  n: number,
  chunks: number,
  base: number,
  onError: (e: unknown) => void,
  helper: boolean,
): void {
  const end = base + chunks;
  for (;;) {
    const t = Atomics.load(ctrl, CTRL.next);
    if (t - end >= 0) return;
    if (Atomics.compareExchange(ctrl, CTRL.next, t, t + 1) !== t) continue;
    const k = t - base;
    try {
      fn(args, Math.floor((n * k) / chunks), Math.floor((n * (k + 1)) / chunks), k);
    } catch (e) {
      onError(e);
    } finally {
      if (helper) Atomics.add(ctrl, CTRL.helped, 1);
      Atomics.add(ctrl, CTRL.done, 1);
      Atomics.notify(ctrl, CTRL.done);
    }
  }
}

/** The range loops by name (the workers look them up by the name they are sent). */
export const RANGE_OPS: Record<string, RangeOp> = {
  relu,
  relu6,
  relu6Grad,
  bnStats,
  bnApply,
  bnGradSums,
  bnGradApply,
  bnFusedGrad,
  biasAct,
  dw3x3Valid,
  dw3x3S1Dx,
  dw3x3S2Dx,
  dwRuns,
  maxPool2x2,
  maxPoolGrad2x2,
};

/** The depthwise range loops in JavaScript only (tests and benchmarks compare them). */
export const DW_JS_OPS: Record<string, RangeOp> = {
  dw3x3Valid: dw3x3ValidJs,
  dw3x3S1Dx: dw3x3S1DxJs,
  dw3x3S2Dx: dw3x3S2DxJs,
  dwRuns: dwRunsJs,
};

/** The name of a range loop. */
export type RangeOpName = keyof typeof RANGE_OPS;

/**
 * [x, y, inH, inW, c, outH, outW]: 2×2, stride-2 max pooling without padding over output
 * rows [lo, hi) of batch·outH (WebAssembly SIMD where it runs, `_wasm_pool.ts`).
 */
function maxPool2x2(args: Args, lo: number, hi: number): void {
  const [x, y, inH, inW, c, outH, outW] = args;
  maxPool2x2Rows(x, y, inH, inW, c, outH, outW, lo, hi);
}

/**
 * [x, pooled, dy, dx, inH, inW, c, outH, outW]: the gradient of {@linkcode maxPool2x2} over
 * output rows [lo, hi): dy to the first pixel of each window matching the pooled maximum.
 */
function maxPoolGrad2x2(args: Args, lo: number, hi: number): void {
  const [x, pooled, dy, dx, inH, inW, c, outH, outW] = args;
  maxPoolGrad2x2Rows(x, pooled, dy, dx, inH, inW, c, outH, outW, lo, hi);
}
