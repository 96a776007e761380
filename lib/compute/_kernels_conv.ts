/**
 * Private: 2-D convolutions (NHWC) and their gradients as im2col + sgemm, depthwise
 * convolutions as direct loops.
 *
 * @module
 */
import { backend_util, type TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";
import type { Sgemm } from "./_blas.ts";
import { biasFits } from "./_kernels_matmul.ts";
import {
  activateInPlace,
  addBiasInPlace,
  allFloat32,
  allocFloat32,
  biasReluInPlace,
  type KernelArgs,
  type NativeKernel,
  output,
  SCRATCH_FLOATS,
  scratchBuffer,
  valuesOf,
} from "./_kernel_util.ts";
import { partsBuffer, planParts, runParts } from "./_par.ts";
import { wasmDwAvailable } from "./_wasm_dw.ts";

type Conv2DInfo = backend_util.Conv2DInfo;
type Shape4 = [number, number, number, number];

/** The geometry the im2col loops need, from a tfjs Conv2DInfo. */
interface Geometry {
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  top: number;
  left: number;
  /** Columns of the im2col matrix: fh·fw·inC. */
  k: number;
  /** Rows of the im2col matrix per image: outH·outW. */
  rows: number;
  /** Whether the convolution is a plain matrix product (1×1, stride 1, no padding). */
  pointwise: boolean;
}

function geometry(info: Conv2DInfo): Geometry {
  const g = {
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    k: info.filterHeight * info.filterWidth * info.inChannels,
    rows: info.outHeight * info.outWidth,
    pointwise: false,
  };
  g.pointwise = g.fh === 1 && g.fw === 1 && g.sh === 1 && g.sw === 1 && g.top === 0 &&
    g.left === 0 && g.outH === g.inH && g.outW === g.inW;
  return g;
}

/** Rows of the im2col matrix per chunk: the chunk stays in cache between im2col and sgemm. */
export const CHUNK_ROWS = 1024;

/** Images per im2col chunk: about {@linkcode CHUNK_ROWS} rows, under the scratch bound. */
function chunkImages(g: Geometry, batch: number): number {
  const perImage = Math.max(1, g.rows * g.k);
  const byRows = Math.max(1, Math.round(CHUNK_ROWS / Math.max(1, g.rows)));
  return Math.max(1, Math.min(batch, byRows, Math.floor(SCRATCH_FLOATS / perImage)));
}

/** Runs at least this long are copied with TypedArray.set (memcpy) rather than a loop. */
const COPY_RUN = 48;

/** Writes the im2col matrix of images [b0, b1) into `col` ([rows·images, k], row-major). */
function im2col(x: Float32Array, g: Geometry, b0: number, b1: number, col: Float32Array): void {
  const { inH, inW, inC, outH, outW, fh, fw, sh, sw, dh, dw, top, left } = g;
  const imageSize = inH * inW * inC;
  const runC = fw * inC;
  let p = 0;
  for (let b = b0; b < b1; b++) {
    const xb = b * imageSize;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sh - top;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sw - left;
        const rowInside = dw === 1 && iw0 >= 0 && iw0 + fw <= inW;
        for (let kh = 0; kh < fh; kh++) {
          const ih = ih0 + kh * dh;
          if (ih < 0 || ih >= inH) {
            col.fill(0, p, p + runC);
            p += runC;
            continue;
          }
          const xr = xb + ih * inW * inC;
          if (rowInside) {
            // The fw·inC values of this filter row are contiguous in x.
            let s = xr + iw0 * inC;
            if (runC >= COPY_RUN) {
              col.set(x.subarray(s, s + runC), p);
              p += runC;
            } else {
              const end = p + runC;
              while (p < end) col[p++] = x[s++];
            }
            continue;
          }
          for (let kw = 0; kw < fw; kw++) {
            const iw = iw0 + kw * dw;
            if (iw < 0 || iw >= inW) {
              for (let c = 0; c < inC; c++) col[p++] = 0;
            } else {
              let s = xr + iw * inC;
              for (let c = 0; c < inC; c++) col[p++] = x[s++];
            }
          }
        }
      }
    }
  }
}

/** Adds the im2col-shaped gradient `col` of images [b0, b1) back into `dx` (col2im). */
function col2imAdd(col: Float32Array, g: Geometry, b0: number, b1: number, dx: Float32Array): void {
  const { inH, inW, inC, outH, outW, fh, fw, sh, sw, dh, dw, top, left } = g;
  const imageSize = inH * inW * inC;
  const runC = fw * inC;
  let p = 0;
  for (let b = b0; b < b1; b++) {
    const xb = b * imageSize;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sh - top;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sw - left;
        const rowInside = dw === 1 && iw0 >= 0 && iw0 + fw <= inW;
        for (let kh = 0; kh < fh; kh++) {
          const ih = ih0 + kh * dh;
          if (ih < 0 || ih >= inH) {
            p += runC;
            continue;
          }
          const xr = xb + ih * inW * inC;
          if (rowInside) {
            let s = xr + iw0 * inC;
            const end = p + runC;
            while (p < end) dx[s++] += col[p++];
            continue;
          }
          for (let kw = 0; kw < fw; kw++) {
            const iw = iw0 + kw * dw;
            if (iw < 0 || iw >= inW) {
              p += inC;
            } else {
              let s = xr + iw * inC;
              for (let c = 0; c < inC; c++) dx[s++] += col[p++];
            }
          }
        }
      }
    }
  }
}

/** y[batch·rows, outC] = im2col(x) · W[k, outC]. */
function convForward(
  sgemm: Sgemm,
  x: Float32Array,
  w: Float32Array,
  g: Geometry,
  batch: number,
): Float32Array {
  const y = allocFloat32(batch * g.rows * g.outC, false);
  if (g.pointwise) {
    sgemm(false, false, batch * g.rows, g.outC, g.k, 1, x, g.k, w, g.outC, 0, y, g.outC);
    return y;
  }
  const step = chunkImages(g, batch);
  for (let b0 = 0; b0 < batch; b0 += step) {
    const b1 = Math.min(batch, b0 + step);
    const m = (b1 - b0) * g.rows;
    const col = scratchBuffer(m * g.k);
    im2col(x, g, b0, b1, col);
    const yOff = b0 * g.rows * g.outC;
    sgemm(
      false,
      false,
      m,
      g.outC,
      g.k,
      1,
      col,
      g.k,
      w,
      g.outC,
      0,
      y.subarray(yOff, yOff + m * g.outC),
      g.outC,
      true,
    );
  }
  return y;
}

/** dx = col2im(dy[batch·rows, outC] · Wᵀ). */
function convBackpropInput(
  sgemm: Sgemm,
  dy: Float32Array,
  w: Float32Array,
  g: Geometry,
  batch: number,
): Float32Array {
  const dx = allocFloat32(batch * g.inH * g.inW * g.inC, !g.pointwise);
  if (g.pointwise) {
    sgemm(false, true, batch * g.rows, g.k, g.outC, 1, dy, g.outC, w, g.outC, 0, dx, g.k);
    return dx;
  }
  const step = chunkImages(g, batch);
  for (let b0 = 0; b0 < batch; b0 += step) {
    const b1 = Math.min(batch, b0 + step);
    const m = (b1 - b0) * g.rows;
    const col = scratchBuffer(m * g.k);
    const dyOff = b0 * g.rows * g.outC;
    sgemm(
      false,
      true,
      m,
      g.k,
      g.outC,
      1,
      dy.subarray(dyOff, dyOff + m * g.outC),
      g.outC,
      w,
      g.outC,
      0,
      col,
      g.k,
      true,
    );
    col2imAdd(col, g, b0, b1, dx);
  }
  return dx;
}

/** dW[k, outC] = im2col(x)ᵀ · dy. */
function convBackpropFilter(
  sgemm: Sgemm,
  x: Float32Array,
  dy: Float32Array,
  g: Geometry,
  batch: number,
): Float32Array {
  const dw = allocFloat32(g.k * g.outC, false);
  if (g.pointwise) {
    sgemm(true, false, g.k, g.outC, batch * g.rows, 1, x, g.k, dy, g.outC, 0, dw, g.outC);
    return dw;
  }
  const step = chunkImages(g, batch);
  for (let b0 = 0; b0 < batch; b0 += step) {
    const b1 = Math.min(batch, b0 + step);
    const m = (b1 - b0) * g.rows;
    const col = scratchBuffer(m * g.k);
    im2col(x, g, b0, b1, col);
    const dyOff = b0 * g.rows * g.outC;
    sgemm(
      true,
      false,
      g.k,
      g.outC,
      m,
      1,
      col,
      g.k,
      dy.subarray(dyOff, dyOff + m * g.outC),
      g.outC,
      b0 === 0 ? 0 : 1,
      dw,
      g.outC,
      true,
    );
  }
  return dw;
}

function isNHWC(attrs: KernelArgs["attrs"]): boolean {
  const f = attrs?.dataFormat as string | undefined;
  return f === undefined || f === "NHWC" || f === "channelsLast";
}

type Pad = "same" | "valid" | number | backend_util.ExplicitPadding;
type Rounding = "floor" | "round" | "ceil" | undefined;

/** The depthwise geometry the fast loops (channel multiplier 1, dilation 1) cover. */
interface DwGeometry {
  batch: number;
  inH: number;
  inW: number;
  c: number;
  outH: number;
  outW: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** The fast-loop geometry, or undefined for a channel multiplier or dilation above 1. */
function dwGeometry(info: Conv2DInfo): DwGeometry | undefined {
  if (info.outChannels !== info.inChannels) return undefined;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    c: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/** The output columns [lo, hi) whose input column ow·sw − left + kw lies inside the row. */
function owRange(g: DwGeometry, kw: number): [number, number] {
  const off = kw - g.left;
  const lo = Math.max(0, Math.ceil(-off / g.sw));
  const hi = Math.min(g.outW, Math.floor((g.inW - 1 - off) / g.sw) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * The three depthwise loops share one order: per image and output row, per filter tap
 * (kh, kw), a run of output columns, and the channels innermost (contiguous in x, y and w).
 * `mode` 0: y += x·w; 1: dx += dy·w; 2: dw += x·dy. The loops are `_par_ops.ts`'s `dwRuns`,
 * split over threads when large: mode 0 by output rows, 1 by images (an input row gets
 * several output rows' products), 2 by output rows into per-range sums added in range order.
 */
function depthwiseRuns(
  mode: 0 | 1 | 2,
  g: DwGeometry,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
): void {
  const { batch, inH, inW, c, outH, outW, fh, fw, sh, sw, top, left } = g;
  const ranges = new Int32Array(2 * fw);
  for (let kw = 0; kw < fw; kw++) {
    const [lo, hi] = owRange(g, kw);
    ranges[2 * kw] = lo;
    ranges[2 * kw + 1] = hi;
  }
  const geo = [inH, inW, c, outH, outW, fh, fw, sh, sw, top, left];
  const work = batch * outH * outW * c * fh * fw;
  if (mode === 1) {
    runParts("dwRuns", [1, a, b, out, ranges, ...geo], batch, planParts(batch, work, [a, out]));
    return;
  }
  const rows = batch * outH;
  if (mode === 0) {
    runParts("dwRuns", [0, a, b, out, ranges, ...geo], rows, planParts(rows, work, [a, out]));
    return;
  }
  const nParts = planParts(rows, work, [a, b]);
  if (nParts === 1) {
    runParts("dwRuns", [2, a, b, out, ranges, ...geo], rows, 1);
    return;
  }
  const size = fh * fw * c;
  const parts = partsBuffer(nParts, size);
  runParts("dwRuns", [2, a, b, out, ranges, ...geo, parts], rows, nParts);
  for (let i = 0; i < size; i++) {
    let acc = out[i];
    for (let p = 0; p < nParts; p++) acc += parts[p * size + i];
    out[i] = acc;
  }
}

/**
 * A 3×3 depthwise convolution without padding (every tap inside: torchvision pads
 * explicitly before it), each output's nine products summed in registers:
 * y[b, oh, ow, j] = Σ x[b, oh·sh + kh, ow·sw + kw, j] · w[kh, kw, j]; split over threads by
 * output rows when large (`_par_ops.ts`'s `dw3x3Valid`).
 */
function depthwise3x3Valid(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  batch: number,
  inH: number,
  inW: number,
  c: number,
  outH: number,
  outW: number,
  sh: number,
  sw: number,
): void {
  const rows = batch * outH;
  const parts = planParts(rows, 9 * rows * outW * c, [x, y]);
  runParts("dw3x3Valid", [x, w, y, inH, inW, c, outH, outW, sh, sw], rows, parts);
}

/** Whether the fast 3×3 register path covers this geometry (no padding, all taps inside). */
function valid3x3(g: DwGeometry): boolean {
  return g.fh === 3 && g.fw === 3 && g.top === 0 && g.left === 0 &&
    (g.outH - 1) * g.sh + 3 <= g.inH && (g.outW - 1) * g.sw + 3 <= g.inW;
}

/**
 * dx of a stride-1 3×3 depthwise convolution as a valid 3×3 convolution of dy, zero-padded
 * by (2 − top, 2 − left) before (the rest after), with the filter rotated 180°.
 */
function depthwise3x3BackpropInputS1(
  dy: Float32Array,
  w: Float32Array,
  g: DwGeometry,
): Float32Array | undefined {
  const { batch, inH, inW, c, outH, outW, top, left } = g;
  const pt = 2 - top;
  const pl = 2 - left;
  if (pt < 0 || pl < 0 || pt + outH > inH + 2 || pl + outW > inW + 2) return undefined;
  const ph = inH + 2;
  const pw = inW + 2;
  // The WebAssembly loop pads dy in its own memory (the range op pads image by image when
  // it falls back): no padded copy of dy then.
  const padded = wasmDwAvailable() ? new Float32Array(0) : scratchBuffer(batch * ph * pw * c, true);
  const rotated = new Float32Array(9 * c);
  for (let t = 0; t < 9; t++) rotated.set(w.subarray((8 - t) * c, (9 - t) * c), t * c);
  const dx = allocFloat32(batch * inH * inW * c, false);
  const parts = planParts(batch, 9 * dx.length, padded.length > 0 ? [dy, padded, dx] : [dy, dx]);
  runParts("dw3x3S1Dx", [dy, rotated, padded, dx, inH, inW, c, outH, outW, pt, pl], batch, parts);
  return dx;
}

/**
 * The (output index, tap) pairs that reach input index i along one axis of a stride-2,
 * 3-tap convolution: i + pad = 2·o + k with 0 ≤ o < out (at most two: k of i + pad's parity).
 * Returns, per input index, [count, o0, k0, o1, k1].
 */
export function stride2Taps(n: number, out: number, pad: number): Int32Array {
  const taps = new Int32Array(5 * n);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let k = 0; k < 3; k++) {
      const p = i + pad - k;
      if (p < 0 || p % 2 !== 0 || p / 2 >= out) continue;
      taps[5 * i + 1 + 2 * count] = p / 2;
      taps[5 * i + 2 + 2 * count] = k;
      count++;
    }
    taps[5 * i] = count;
  }
  return taps;
}

/**
 * dx of a stride-2 3×3 depthwise convolution, gathered: each input element sums the one,
 * two or four (output, tap) products that reach it, written once (no zero fill, no
 * scattered read-modify-write); split over threads by input rows when large.
 */
function depthwise3x3BackpropInputS2(
  dy: Float32Array,
  w: Float32Array,
  g: DwGeometry,
): Float32Array {
  const { batch, inH, inW, c, outH, outW, top, left } = g;
  const rows = stride2Taps(inH, outH, top);
  const cols = stride2Taps(inW, outW, left);
  const dx = allocFloat32(batch * inH * inW * c, false);
  const n = batch * inH;
  const parts = planParts(n, 4 * dx.length, [dy, dx]);
  runParts("dw3x3S2Dx", [dy, w, dx, rows, cols, inH, inW, c, outH, outW], n, parts);
  return dx;
}

/** Depthwise forward: y[b, oh, ow, c·mult + q] = Σ x[b, ih, iw, c] · w[kh, kw, c, q]. */
function depthwiseForward(x: Float32Array, w: Float32Array, info: Conv2DInfo): Float32Array {
  const {
    batchSize,
    inHeight: inH,
    inWidth: inW,
    inChannels: inC,
    outHeight: outH,
    outWidth: outW,
  } = info;
  const outC = info.outChannels;
  const mult = outC / inC;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const fast = dwGeometry(info);
  if (fast && valid3x3(fast)) {
    const y = allocFloat32(batchSize * outH * outW * outC, false);
    depthwise3x3Valid(x, w, y, batchSize, inH, inW, inC, outH, outW, sh, sw);
    return y;
  }
  const y = allocFloat32(batchSize * outH * outW * outC, true);
  if (fast) {
    depthwiseRuns(0, fast, x, w, y);
    return y;
  }
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sh - top;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sw - left;
        const yo = ((b * outH + oh) * outW + ow) * outC;
        for (let kh = 0; kh < fh; kh++) {
          const ih = ih0 + kh * dh;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < fw; kw++) {
            const iw = iw0 + kw * dw;
            if (iw < 0 || iw >= inW) continue;
            const xo = ((b * inH + ih) * inW + iw) * inC;
            const wo = (kh * fw + kw) * outC;
            if (mult === 1) {
              for (let c = 0; c < inC; c++) y[yo + c] += x[xo + c] * w[wo + c];
            } else {
              for (let c = 0; c < inC; c++) {
                const xv = x[xo + c];
                const base = c * mult;
                for (let q = 0; q < mult; q++) y[yo + base + q] += xv * w[wo + base + q];
              }
            }
          }
        }
      }
    }
  }
  return y;
}

/** Depthwise gradients: fills dx (when given) and dw (when given) from dy. */
function depthwiseBackward(
  x: Float32Array | undefined,
  w: Float32Array | undefined,
  dy: Float32Array,
  info: Conv2DInfo,
  dx: Float32Array | undefined,
  dW: Float32Array | undefined,
): void {
  const {
    batchSize,
    inHeight: inH,
    inWidth: inW,
    inChannels: inC,
    outHeight: outH,
    outWidth: outW,
  } = info;
  const outC = info.outChannels;
  const mult = outC / inC;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dwl } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const fast = dwGeometry(info);
  if (fast) {
    if (dx && w) depthwiseRuns(1, fast, dy, w, dx);
    if (dW && x) depthwiseRuns(2, fast, x, dy, dW);
    return;
  }
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * sh - top;
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * sw - left;
        const yo = ((b * outH + oh) * outW + ow) * outC;
        for (let kh = 0; kh < fh; kh++) {
          const ih = ih0 + kh * dh;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < fw; kw++) {
            const iw = iw0 + kw * dwl;
            if (iw < 0 || iw >= inW) continue;
            const xo = ((b * inH + ih) * inW + iw) * inC;
            const wo = (kh * fw + kw) * outC;
            if (dx && w) {
              for (let c = 0; c < inC; c++) {
                let s = 0;
                const base = c * mult;
                for (let q = 0; q < mult; q++) s += dy[yo + base + q] * w[wo + base + q];
                dx[xo + c] += s;
              }
            }
            if (dW && x) {
              for (let c = 0; c < inC; c++) {
                const xv = x[xo + c];
                const base = c * mult;
                for (let q = 0; q < mult; q++) dW[wo + base + q] += xv * dy[yo + base + q];
              }
            }
          }
        }
      }
    }
  }
}

/** The convolution kernels. */
export function convKernels(sgemm: Sgemm): Record<string, NativeKernel> {
  const conv2D: NativeKernel = ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const filter = inputs.filter!;
    if (!isNHWC(attrs) || !allFloat32(backend, x, filter)) return undefined;
    const info = backend_util.computeConv2DInfo(
      x.shape as Shape4,
      filter.shape as Shape4,
      attrs!.strides as [number, number],
      attrs!.dilations as [number, number],
      attrs!.pad as Pad,
      attrs!.dimRoundingMode as Rounding,
      false,
      "channelsLast",
    );
    const g = geometry(info);
    const y = convForward(
      sgemm,
      valuesOf(backend, x),
      valuesOf(backend, filter),
      g,
      info.batchSize,
    );
    return output(backend, info.outShape, y);
  };

  const fusedConv2D: NativeKernel = ({ inputs, backend, attrs }) => {
    const { x, filter, bias, preluActivationWeights: alpha } = inputs as Record<
      string,
      TensorInfo | undefined
    >;
    if (!x || !filter || !isNHWC(attrs) || !allFloat32(backend, x, filter, bias, alpha)) {
      return undefined;
    }
    const activation = (attrs?.activation as string | undefined) ?? "linear";
    const info = backend_util.computeConv2DInfo(
      x.shape as Shape4,
      filter.shape as Shape4,
      attrs!.strides as [number, number],
      attrs!.dilations as [number, number],
      attrs!.pad as Pad,
      attrs!.dimRoundingMode as Rounding,
      false,
      "channelsLast",
    );
    if (bias && !biasFits(bias.shape, info.outShape)) return undefined;
    if (activation === "prelu" && (!alpha || !biasFits(alpha.shape, info.outShape))) {
      return undefined;
    }
    if (!FUSABLE.has(activation)) return undefined;
    const g = geometry(info);
    const y = convForward(
      sgemm,
      valuesOf(backend, x),
      valuesOf(backend, filter),
      g,
      info.batchSize,
    );
    if (bias && biasActInParts(y, info.outShape, valuesOf(backend, bias), bias.shape, activation)) {
      return output(backend, info.outShape, y);
    }
    if (
      bias && activation === "relu" &&
      biasReluInPlace(y, info.outShape, valuesOf(backend, bias), bias.shape)
    ) {
      return output(backend, info.outShape, y);
    }
    if (bias) addBiasInPlace(y, info.outShape, valuesOf(backend, bias), bias.shape);
    activateInPlace(
      y,
      info.outShape,
      activation,
      attrs?.leakyreluAlpha as number | undefined,
      alpha ? valuesOf(backend, alpha) : undefined,
      alpha?.shape,
    );
    return output(backend, info.outShape, y);
  };

  const conv2DBackpropInput: NativeKernel = ({ inputs, backend, attrs }) => {
    const dy = inputs.dy!;
    const filter = inputs.filter!;
    if (!isNHWC(attrs) || !allFloat32(backend, dy, filter)) return undefined;
    const info = backend_util.computeConv2DInfo(
      attrs!.inputShape as Shape4,
      filter.shape as Shape4,
      attrs!.strides as [number, number],
      1,
      attrs!.pad as Pad,
      attrs!.dimRoundingMode as Rounding,
      false,
      "channelsLast",
    );
    const g = geometry(info);
    const dx = convBackpropInput(
      sgemm,
      valuesOf(backend, dy),
      valuesOf(backend, filter),
      g,
      info.batchSize,
    );
    return output(backend, info.inShape, dx);
  };

  const conv2DBackpropFilter: NativeKernel = ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const dy = inputs.dy!;
    if (!isNHWC(attrs) || !allFloat32(backend, x, dy)) return undefined;
    const info = backend_util.computeConv2DInfo(
      x.shape as Shape4,
      attrs!.filterShape as Shape4,
      attrs!.strides as [number, number],
      1,
      attrs!.pad as Pad,
      attrs!.dimRoundingMode as Rounding,
      false,
      "channelsLast",
    );
    const g = geometry(info);
    const dw = convBackpropFilter(
      sgemm,
      valuesOf(backend, x),
      valuesOf(backend, dy),
      g,
      info.batchSize,
    );
    return output(backend, info.filterShape, dw);
  };

  const depthwiseInfo = (xShape: number[], filterShape: number[], attrs: KernelArgs["attrs"]) =>
    backend_util.computeConv2DInfo(
      xShape as Shape4,
      filterShape as Shape4,
      attrs!.strides as [number, number],
      (attrs!.dilations ?? 1) as [number, number],
      attrs!.pad as Pad,
      attrs!.dimRoundingMode as Rounding,
      true,
      "channelsLast",
    );

  const depthwise: NativeKernel = ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const filter = inputs.filter!;
    if (!isNHWC(attrs) || !allFloat32(backend, x, filter)) return undefined;
    const info = depthwiseInfo(x.shape, filter.shape, attrs);
    const y = depthwiseForward(valuesOf(backend, x), valuesOf(backend, filter), info);
    return output(backend, info.outShape, y);
  };

  const fusedDepthwise: NativeKernel = ({ inputs, backend, attrs }) => {
    const { x, filter, bias, preluActivationWeights: alpha } = inputs as Record<
      string,
      TensorInfo | undefined
    >;
    if (!x || !filter || !isNHWC(attrs) || !allFloat32(backend, x, filter, bias, alpha)) {
      return undefined;
    }
    const activation = (attrs?.activation as string | undefined) ?? "linear";
    const info = depthwiseInfo(x.shape, filter.shape, attrs);
    if (bias && !biasFits(bias.shape, info.outShape)) return undefined;
    if (activation === "prelu" && (!alpha || !biasFits(alpha.shape, info.outShape))) {
      return undefined;
    }
    if (!FUSABLE.has(activation)) return undefined;
    const y = depthwiseForward(valuesOf(backend, x), valuesOf(backend, filter), info);
    if (bias) addBiasInPlace(y, info.outShape, valuesOf(backend, bias), bias.shape);
    activateInPlace(
      y,
      info.outShape,
      activation,
      attrs?.leakyreluAlpha as number | undefined,
      alpha ? valuesOf(backend, alpha) : undefined,
      alpha?.shape,
    );
    return output(backend, info.outShape, y);
  };

  const depthwiseBackpropInput: NativeKernel = ({ inputs, backend, attrs }) => {
    const dy = inputs.dy!;
    const filter = inputs.filter!;
    if (!isNHWC(attrs) || !allFloat32(backend, dy, filter)) return undefined;
    const info = depthwiseInfo(attrs!.inputShape as number[], filter.shape, attrs);
    const g = dwGeometry(info);
    if (g && g.fh === 3 && g.fw === 3 && g.sh === 1 && g.sw === 1) {
      const fast = depthwise3x3BackpropInputS1(valuesOf(backend, dy), valuesOf(backend, filter), g);
      if (fast) return output(backend, info.inShape, fast);
    }
    if (g && g.fh === 3 && g.fw === 3 && g.sh === 2 && g.sw === 2) {
      const dx = depthwise3x3BackpropInputS2(valuesOf(backend, dy), valuesOf(backend, filter), g);
      return output(backend, info.inShape, dx);
    }
    const dx = allocFloat32(info.batchSize * info.inHeight * info.inWidth * info.inChannels, true);
    depthwiseBackward(
      undefined,
      valuesOf(backend, filter),
      valuesOf(backend, dy),
      info,
      dx,
      undefined,
    );
    return output(backend, info.inShape, dx);
  };

  const depthwiseBackpropFilter: NativeKernel = ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const dy = inputs.dy!;
    if (!isNHWC(attrs) || !allFloat32(backend, x, dy)) return undefined;
    const info = depthwiseInfo(x.shape, attrs!.filterShape as number[], attrs);
    const dW = allocFloat32(info.filterHeight * info.filterWidth * info.outChannels, true);
    depthwiseBackward(valuesOf(backend, x), undefined, valuesOf(backend, dy), info, undefined, dW);
    return output(backend, info.filterShape, dW);
  };

  return {
    Conv2D: conv2D,
    FusedConv2D: fusedConv2D,
    Conv2DBackpropInput: conv2DBackpropInput,
    Conv2DBackpropFilter: conv2DBackpropFilter,
    DepthwiseConv2dNative: depthwise,
    FusedDepthwiseConv2D: fusedDepthwise,
    DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
    DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  };
}

/** The activations {@linkcode biasActInParts} covers, as `_par_ops.ts`'s `biasAct` codes. */
const BIAS_ACT: Record<string, number> = { linear: 0, relu: 1, relu6: 2 };

/**
 * Adds a last-axis bias and applies a linear, relu or relu6 activation in place, split over
 * threads; returns false (nothing done) when the case is another or would run on one thread.
 */
function biasActInParts(
  y: Float32Array,
  outShape: readonly number[],
  bias: Float32Array,
  biasShape: readonly number[],
  activation: string,
): boolean {
  const act = BIAS_ACT[activation];
  const last = outShape[outShape.length - 1] ?? 1;
  if (act === undefined || bias.length !== last || biasShape.length === 0) return false;
  if (biasShape[biasShape.length - 1] !== last) return false;
  for (let i = 0; i < biasShape.length - 1; i++) if (biasShape[i] !== 1) return false;
  const rows = y.length / last;
  const parts = planParts(rows, y.length, [y]);
  if (parts === 1) return false;
  runParts("biasAct", [y, bias, last, act], rows, parts);
  return true;
}

const FUSABLE = new Set(["linear", "relu", "relu6", "elu", "leakyrelu", "prelu", "sigmoid"]);
