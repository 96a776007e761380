/**
 * Private: pooling, softmax, gather, segment sums and slices as single-pass loops.
 *
 * @module
 */
import { backend_util, type TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";
import {
  allocFloat32,
  allocLike,
  type KernelArgs,
  type NativeKernel,
  output,
  outputAs,
  sizeOf,
  valuesOf,
} from "./_kernel_util.ts";
import { planParts, runParts } from "./_par.ts";

type Shape4 = [number, number, number, number];
type Pool2DInfo = backend_util.Conv2DInfo;
type AnyArray = Float32Array | Int32Array | Uint8Array;

function poolInfo(x: TensorInfo, attrs: KernelArgs["attrs"]): Pool2DInfo {
  return backend_util.computePool2DInfo(
    x.shape as Shape4,
    attrs!.filterSize as [number, number],
    attrs!.strides as [number, number],
    1,
    attrs!.pad as "same" | "valid" | number,
    attrs!.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
}

/**
 * max(x, y) without a data-dependent branch: (x + y + |x − y|) / 2 is exact for float32
 * inputs once rounded back to float32; NaN and infinities take the (rare) slow path.
 */
function maxOf(x: number, y: number): number {
  // A comparison, not (x + y + |x − y|) / 2: that sum loses the smaller operand when magnitudes
  // differ widely (max(6, −3.4e38) gave 0). A NaN loses to any number, as in TF.js's cpu kernel.
  return y > x || x !== x ? y : x;
}

/** Max or average pooling, NHWC; the average counts only the pixels inside the input. */
/** Whether a pooling is 2×2 with stride 2 and every window inside the input (no padding). */
function isPool2x2(info: Pool2DInfo): boolean {
  return info.effectiveFilterHeight === 2 && info.effectiveFilterWidth === 2 &&
    info.strideHeight === 2 && info.strideWidth === 2 && info.padInfo.top === 0 &&
    info.padInfo.left === 0 && info.outHeight * 2 <= info.inHeight &&
    info.outWidth * 2 <= info.inWidth;
}

/**
 * 2×2/stride-2 max pooling without padding: four loads per output, no window loops
 * (WebAssembly SIMD where it runs, `_wasm_pool.ts`), split over kernel threads when large.
 */
function maxPool2x2(x: Float32Array, info: Pool2DInfo): Float32Array {
  const { batchSize, inHeight: inH, inWidth: inW, inChannels: C, outHeight: outH, outWidth: outW } =
    info;
  const y = allocFloat32(batchSize * outH * outW * C, false);
  const rows = batchSize * outH;
  const parts = planParts(rows, x.length, [x, y]);
  runParts("maxPool2x2", [x, y, inH, inW, C, outH, outW], rows, parts);
  return y;
}

function pool(x: Float32Array, info: Pool2DInfo, max: boolean): Float32Array {
  if (max && isPool2x2(info)) return maxPool2x2(x, info);
  const { batchSize, inHeight: inH, inWidth: inW, inChannels: C, outHeight: outH, outWidth: outW } =
    info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const y = allocFloat32(batchSize * outH * outW * C, false);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * sh - top;
      const hMin = Math.max(0, h0);
      const hMax = Math.min(inH, h0 + fh);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * sw - left;
        const wMin = Math.max(0, w0);
        const wMax = Math.min(inW, w0 + fw);
        const yo = ((b * outH + oh) * outW + ow) * C;
        const count = (hMax - hMin) * (wMax - wMin);
        if (count === 0) {
          y.fill(max ? -Infinity : NaN, yo, yo + C);
          continue;
        }
        const first = ((b * inH + hMin) * inW + wMin) * C;
        const rowStep = inW * C;
        for (let c = 0; c < C; c++) {
          let acc = max ? x[first + c] : 0;
          for (let h = hMin, ro = first + c; h < hMax; h++, ro += rowStep) {
            for (let w = wMin, p = ro; w < wMax; w++, p += C) {
              acc = max ? maxOf(acc, x[p]) : acc + x[p];
            }
          }
          y[yo + c] = max ? acc : acc / count;
        }
      }
    }
  }
  return y;
}

/**
 * Routes each dy to the first pixel of its window (in scan order) that equals the pooled
 * maximum, as the cpu kernel does; the match is found on bit patterns without branches.
 */
function maxPoolGrad(
  x: Float32Array,
  dy: Float32Array,
  y: Float32Array | undefined,
  info: Pool2DInfo,
): Float32Array {
  const { batchSize, inHeight: inH, inWidth: inW, inChannels: C, outHeight: outH, outWidth: outW } =
    info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const pooled = y ?? pool(x, info, true);
  if (isPool2x2(info)) {
    // Every pixel of a window is written; the rows and columns past the windows stay 0.
    const covered = outH * 2 === inH && outW * 2 === inW;
    const dx = allocFloat32(batchSize * inH * inW * C, !covered);
    const rows = batchSize * outH;
    const parts = planParts(rows, 2 * x.length, [x, pooled, dy, dx]);
    runParts("maxPoolGrad2x2", [x, pooled, dy, dx, inH, inW, C, outH, outW], rows, parts);
    return dx;
  }
  const dx = allocFloat32(batchSize * inH * inW * C, true);
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const yi = new Int32Array(pooled.buffer, pooled.byteOffset, pooled.length);
  const found = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * sh - top;
      const hMin = Math.max(0, h0);
      const hMax = Math.min(inH, h0 + fh);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * sw - left;
        const wMin = Math.max(0, w0);
        const wMax = Math.min(inW, w0 + fw);
        const yo = ((b * outH + oh) * outW + ow) * C;
        const first = ((b * inH + hMin) * inW + wMin) * C;
        const rowStep = inW * C;
        for (let c = 0; c < C; c++) {
          const m = yi[yo + c];
          const g = dy[yo + c];
          let done = 0;
          for (let h = hMin, ro = first + c; h < hMax; h++, ro += rowStep) {
            for (let w = wMin, p = ro; w < wMax; w++, p += C) {
              const d = xi[p] ^ m;
              // 1 when the bits are equal and no earlier pixel matched, else 0.
              const take = (((d | -d) >>> 31) ^ 1) & (done ^ 1);
              done |= take;
              dx[p] += g * take;
            }
          }
          found[c] = done;
        }
        // A maximum that matched no pixel bit for bit (±0, NaN payloads): compare values.
        for (let c = 0; c < C; c++) {
          if (found[c] === 1) continue;
          let best = -Infinity;
          let where = -1;
          for (let h = hMin; h < hMax; h++) {
            for (let w = wMin; w < wMax; w++) {
              const p = ((b * inH + h) * inW + w) * C + c;
              if (x[p] > best || (where < 0 && x[p] !== x[p])) {
                best = x[p];
                where = p;
              }
            }
          }
          if (where >= 0 && x[where] === x[where]) dx[where] += dy[yo + c];
        }
      }
    }
  }
  return dx;
}

/** Spreads dy evenly over each window, scaled by 1/(filter area) as the cpu kernel does. */
function avgPoolGrad(dy: Float32Array, info: Pool2DInfo): Float32Array {
  const { batchSize, inHeight: inH, inWidth: inW, inChannels: C, outHeight: outH, outWidth: outW } =
    info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const scale = 1 / (info.filterHeight * info.filterWidth);
  const dx = allocFloat32(batchSize * inH * inW * C, true);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * sh - top;
      const hMin = Math.max(0, h0);
      const hMax = Math.min(inH, h0 + fh);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * sw - left;
        const wMin = Math.max(0, w0);
        const wMax = Math.min(inW, w0 + fw);
        const yo = ((b * outH + oh) * outW + ow) * C;
        for (let h = hMin; h < hMax; h++) {
          for (let w = wMin; w < wMax; w++) {
            const xo = ((b * inH + h) * inW + w) * C;
            for (let c = 0; c < C; c++) dx[xo + c] += dy[yo + c] * scale;
          }
        }
      }
    }
  }
  return dx;
}

function isIdentityPool(info: Pool2DInfo): boolean {
  return info.filterWidth === 1 && info.filterHeight === 1 &&
    info.inShape.every((d, i) => d === info.outShape[i]);
}

function copyOf(backend: KernelArgs["backend"], x: TensorInfo): TensorInfo {
  const values = valuesOf(backend, x);
  const copy = allocFloat32(values.length, false);
  copy.set(values);
  return output(backend, x.shape, copy);
}

const maxPoolKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (x.dtype !== "float32") return undefined;
  const info = poolInfo(x, attrs);
  if (isIdentityPool(info)) return copyOf(backend, x);
  return output(backend, info.outShape, pool(valuesOf(backend, x), info, true));
};

const avgPoolKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (x.dtype !== "float32") return undefined;
  const info = poolInfo(x, attrs);
  if (isIdentityPool(info)) return copyOf(backend, x);
  return output(backend, info.outShape, pool(valuesOf(backend, x), info, false));
};

const maxPoolGradKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy!;
  const x = inputs.input!;
  if (x.dtype !== "float32" || dy.dtype !== "float32") return undefined;
  const info = poolInfo(x, attrs);
  const y = inputs.output;
  const pooled = y && y.dtype === "float32" && y.shape.every((d, i) => d === info.outShape[i])
    ? valuesOf(backend, y)
    : undefined;
  return output(
    backend,
    x.shape,
    maxPoolGrad(valuesOf(backend, x), valuesOf(backend, dy), pooled, info),
  );
};

const avgPoolGradKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const dy = inputs.dy!;
  const x = inputs.input!;
  if (dy.dtype !== "float32") return undefined;
  const info = poolInfo(x, attrs);
  return output(backend, x.shape, avgPoolGrad(valuesOf(backend, dy), info));
};

const softmaxKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const logits = inputs.logits!;
  if (logits.dtype !== "float32") return undefined;
  const rank = logits.shape.length;
  const dim = attrs?.dim as number;
  if (dim !== -1 && dim !== rank - 1) return undefined;
  const x = valuesOf(backend, logits);
  const n = logits.shape[rank - 1] ?? 1;
  const y = allocFloat32(x.length, false);
  for (let p = 0; p < x.length; p += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = x[p + j];
      if (v > max || v !== v) max = v;
    }
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(x[p + j] - max);
      y[p + j] = e;
      sum += e;
    }
    for (let j = 0; j < n; j++) y[p + j] /= sum;
  }
  return output(backend, logits.shape, y);
};

const gatherKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  const indices = inputs.indices!;
  if (x.dtype === "string" || x.dtype === "complex64") return undefined;
  const batchDims = (attrs?.batchDims as number | undefined) ?? 0;
  if (batchDims !== 0) return undefined;
  const rank = x.shape.length;
  let axis = attrs?.axis as number;
  if (Array.isArray(axis)) axis = axis[0];
  if (axis < 0) axis += rank;
  const xv = backend.data.get(x.dataId).values as AnyArray;
  const iv = backend.data.get(indices.dataId).values as AnyArray;
  const dim = x.shape[axis];
  for (let i = 0; i < iv.length; i++) {
    const index = iv[i];
    if (!(index <= dim - 1 && index >= 0)) {
      throw new Error(`GatherV2: the index value ${index} is not in [0, ${dim - 1}]`);
    }
  }
  const outer = sizeOf(x.shape.slice(0, axis));
  const slice = sizeOf(x.shape.slice(axis + 1));
  const count = iv.length;
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const out = allocLike(xv, outer * count * slice);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * dim * slice;
    for (let i = 0; i < count; i++) {
      let s = base + iv[i] * slice;
      if (slice >= 64) {
        out.set(xv.subarray(s, s + slice), p);
        p += slice;
      } else {
        for (let j = 0; j < slice; j++) out[p++] = xv[s++];
      }
    }
  }
  return outputAs(backend, outShape, x.dtype, out);
};

const unsortedSegmentSumKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  const ids = inputs.segmentIds!;
  if (x.dtype !== "float32") return undefined;
  const numSegments = attrs?.numSegments as number;
  const xv = valuesOf(backend, x);
  const iv = backend.data.get(ids.dataId).values as AnyArray;
  const inner = sizeOf(x.shape.slice(ids.shape.length));
  const out = allocFloat32(numSegments * inner, true);
  for (let i = 0; i < iv.length; i++) {
    const id = iv[i];
    if (id < 0 || id >= numSegments) continue;
    const o = id * inner;
    const s = i * inner;
    for (let j = 0; j < inner; j++) out[o + j] += xv[s + j];
  }
  return output(backend, [numSegments, ...x.shape.slice(ids.shape.length)], out);
};

const sliceKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (x.dtype === "string" || x.dtype === "complex64") return undefined;
  const rank = x.shape.length;
  const beginAttr = attrs?.begin as number | number[];
  const sizeAttr = attrs?.size as number | number[] | undefined;
  const begin = typeof beginAttr === "number"
    ? [beginAttr, ...new Array<number>(rank - 1).fill(0)]
    : [...beginAttr, ...new Array<number>(rank - beginAttr.length).fill(0)];
  const sizeList = sizeAttr === undefined
    ? []
    : typeof sizeAttr === "number"
    ? [sizeAttr]
    : sizeAttr;
  const size = x.shape.map((d, i) => {
    const s = sizeList[i];
    return s === undefined || s === -1 ? d - begin[i] : s;
  });
  for (let i = 0; i < rank; i++) {
    if (begin[i] < 0 || size[i] < 0 || begin[i] + size[i] > x.shape[i]) return undefined;
  }
  const xv = backend.data.get(x.dataId).values as AnyArray;
  const n = sizeOf(size);
  const out = allocLike(xv, n);
  if (n === 0) return outputAs(backend, size, x.dtype, out);
  // Copy runs along the innermost axes that are taken whole.
  let runAxis = rank - 1;
  while (runAxis > 0 && size[runAxis] === x.shape[runAxis]) runAxis--;
  const run = sizeOf(size.slice(runAxis));
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
  const counter = new Array<number>(runAxis).fill(0);
  let base = 0;
  for (let i = 0; i < rank; i++) base += begin[i] * strides[i];
  for (let p = 0; p < n; p += run) {
    let offset = base;
    for (let d = 0; d < runAxis; d++) offset += counter[d] * strides[d];
    if (run >= 64) out.set(xv.subarray(offset, offset + run), p);
    else for (let j = 0; j < run; j++) out[p + j] = xv[offset + j];
    for (let d = runAxis - 1; d >= 0; d--) {
      if (++counter[d] < size[d]) break;
      counter[d] = 0;
    }
  }
  return outputAs(backend, size, x.dtype, out);
};

/** The pooling, softmax, gather, segment-sum and slice kernels. */
export function nnKernels(): Record<string, NativeKernel> {
  return {
    MaxPool: maxPoolKernel,
    AvgPool: avgPoolKernel,
    MaxPoolGrad: maxPoolGradKernel,
    AvgPoolGrad: avgPoolGradKernel,
    Softmax: softmaxKernel,
    GatherV2: gatherKernel,
    UnsortedSegmentSum: unsortedSegmentSumKernel,
    Slice: sliceKernel,
  };
}

/** Copies `run` values from `src` at `s` to `dst` at `d`. */
function copyRun(dst: AnyArray, d: number, src: AnyArray, s: number, run: number): void {
  if (run >= 64) dst.set(src.subarray(s, s + run), d);
  else for (let j = 0; j < run; j++) dst[d + j] = src[s + j];
}

/**
 * `outer` runs of `run` floats, from `src` (contiguous) to `dst` every `dstStride` from
 * `d` (concat), or from `src` every `srcStride` to `dst` (split): float32 only, so the loops
 * stay monomorphic; short runs are copied inline (a call per run costs more than the copy).
 */
function copyRuns(
  dst: Float32Array,
  d: number,
  dstStride: number,
  src: Float32Array,
  s: number,
  srcStride: number,
  run: number,
  outer: number,
): void {
  if (run >= 64) {
    for (let o = 0; o < outer; o++) {
      dst.set(src.subarray(s + o * srcStride, s + o * srcStride + run), d + o * dstStride);
    }
  } else if (run === 1) {
    for (let o = 0; o < outer; o++) dst[d + o * dstStride] = src[s + o * srcStride];
  } else {
    for (let o = 0; o < outer; o++) {
      const a = d + o * dstStride;
      const b = s + o * srcStride;
      for (let j = 0; j < run; j++) dst[a + j] = src[b + j];
    }
  }
}

const splitVKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x!;
  if (x.dtype === "string" || x.dtype === "complex64") return undefined;
  const rank = x.shape.length;
  let axis = attrs?.axis as number | number[];
  if (Array.isArray(axis)) axis = axis[0];
  if (axis < 0) axis += rank;
  const sizes = backend_util.prepareSplitSize(
    x as unknown as Parameters<typeof backend_util.prepareSplitSize>[0],
    attrs!.numOrSizeSplits as number | number[],
    axis,
  );
  const xv = backend.data.get(x.dataId).values as AnyArray;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const rowLength = x.shape[axis] * inner;
  const outputs: TensorInfo[] = [];
  let offset = 0;
  for (const s of sizes) {
    const run = s * inner;
    const out = allocLike(xv, outer * run);
    if (xv instanceof Float32Array) {
      copyRuns(out as Float32Array, 0, run, xv, offset, rowLength, run, outer);
    } else {
      for (let o = 0; o < outer; o++) copyRun(out, o * run, xv, o * rowLength + offset, run);
    }
    offset += run;
    const shape = x.shape.slice();
    shape[axis] = s;
    outputs.push(outputAs(backend, shape, x.dtype, out));
  }
  return outputs;
};

const concatKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const list = Object.values(inputs as unknown as Record<string, TensorInfo>);
  if (list.length === 0) return undefined;
  const dtype = list[0].dtype;
  if (dtype === "string" || dtype === "complex64") return undefined;
  if (list.some((t) => t.dtype !== dtype || t.shape.length !== list[0].shape.length)) {
    return undefined;
  }
  const rank = list[0].shape.length;
  let axis = attrs?.axis as number | number[];
  if (Array.isArray(axis)) axis = axis[0];
  if (axis < 0) axis += rank;
  const outShape = list[0].shape.slice();
  outShape[axis] = 0;
  for (const t of list) {
    for (let i = 0; i < rank; i++) {
      if (i !== axis && t.shape[i] !== list[0].shape[i]) return undefined;
    }
    outShape[axis] += t.shape[axis];
  }
  const parts = list.filter((t) => sizeOf(t.shape) > 0);
  const outer = sizeOf(outShape.slice(0, axis));
  const outRow = sizeOf(outShape.slice(axis));
  const first = backend.data.get(list[0].dataId).values as AnyArray;
  const out = allocLike(first, outer * outRow);
  let offset = 0;
  for (const t of parts) {
    const tv = backend.data.get(t.dataId).values as AnyArray;
    const run = sizeOf(t.shape.slice(axis));
    if (out instanceof Float32Array && tv instanceof Float32Array) {
      copyRuns(out, offset, outRow, tv, 0, run, run, outer);
    } else {
      for (let o = 0; o < outer; o++) copyRun(out, o * outRow + offset, tv, o * run, run);
    }
    offset += run;
  }
  return outputAs(backend, outShape, dtype, out);
};

/** The split and concat kernels. */
export function shapeKernels(): Record<string, NativeKernel> {
  return { SplitV: splitVKernel, Concat: concatKernel };
}
