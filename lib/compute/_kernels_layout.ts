/**
 * Private: `Tile` and `PadV2` as row copies.
 *
 * The cpu kernels compute a multi-index per element; these walk the output (Tile) or the
 * input (PadV2) by rows of the last axis and copy whole rows, after merging trailing axes
 * that the op leaves alone (an NHWC spatial pad copies runs of W·C values).
 *
 * @module
 */
import type { TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";
import { allocLike, type NativeKernel, outputAs, sizeOf } from "./_kernel_util.ts";

type Values = Float32Array | Int32Array | Uint8Array;

/** Runs at least this long are copied with TypedArray.set (memcpy) rather than a loop. */
const COPY_RUN = 32;

function copyRun(dst: Values, d: number, src: Values, s: number, n: number): void {
  if (n >= COPY_RUN) dst.set(src.subarray(s, s + n), d);
  else for (let k = 0; k < n; k++) dst[d + k] = src[s + k];
}

function storedValues(t: TensorInfo, backend: Parameters<NativeKernel>[0]["backend"]) {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array
    ? v
    : undefined;
}

/** Tiles `x` (shape `shape`) by `reps` into a new array. */
export function tileValues<T extends Values>(x: T, shape: readonly number[], reps: number[]): T {
  const rank = shape.length;
  const outShape = shape.map((d, i) => d * reps[i]);
  const out = allocLike(x, sizeOf(outShape));
  if (out.length === 0) return out;
  if (rank === 0) {
    out[0] = x[0];
    return out;
  }
  const inLast = shape[rank - 1];
  const repLast = reps[rank - 1];
  const outLast = inLast * repLast;
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * shape[i + 1];
  // Odometer over the output's outer axes; `src` follows the input row they map to.
  const counter = new Array<number>(rank).fill(0);
  const inner = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o += outLast) {
    if (inLast === 1) out.fill(x[src], o, o + outLast);
    else for (let r = 0; r < repLast; r++) copyRun(out, o + r * inLast, x, src, inLast);
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      inner[d]++;
      src += inStrides[d];
      if (inner[d] === shape[d]) {
        inner[d] = 0;
        src -= inStrides[d] * shape[d];
      }
      if (counter[d] < outShape[d]) break;
      counter[d] = 0;
    }
  }
  return out;
}

const tile: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  if (x.dtype === "string" || x.dtype === "complex64") return undefined;
  const reps = attrs?.reps as number[] | undefined;
  if (!Array.isArray(reps) || reps.length !== x.shape.length) return undefined;
  const xv = storedValues(x, backend);
  if (!xv) return undefined;
  const out = tileValues(xv, x.shape, reps);
  return outputAs(backend, x.shape.map((d, i) => d * reps[i]), x.dtype, out);
};

/** Pads `x` (shape `shape`) with `value` by `paddings` ([before, after] per axis). */
export function padValues<T extends Values>(
  x: T,
  shape: readonly number[],
  paddings: ReadonlyArray<readonly [number, number]>,
  value: number,
): T {
  // Merge trailing axes without padding into the axis before them.
  const s = [...shape];
  const p = paddings.map(([a, b]) => [a, b] as [number, number]);
  while (s.length > 1 && p[p.length - 1][0] === 0 && p[p.length - 1][1] === 0) {
    const last = s.pop()!;
    p.pop();
    s[s.length - 1] *= last;
    p[p.length - 1] = [p[p.length - 1][0] * last, p[p.length - 1][1] * last];
  }
  const rank = s.length;
  const outShape = s.map((d, i) => d + p[i][0] + p[i][1]);
  const out = allocLike(x, sizeOf(outShape));
  if (out.length === 0) return out;
  if (rank === 0) {
    out[0] = x[0];
    return out;
  }
  out.fill(value);
  if (x.length === 0) return out;
  const outStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) outStrides[i] = outStrides[i + 1] * outShape[i + 1];
  let dst = 0;
  for (let i = 0; i < rank; i++) dst += p[i][0] * outStrides[i];
  const inLast = s[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  for (let src = 0; src < x.length; src += inLast) {
    copyRun(out, dst, x, src, inLast);
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      dst += outStrides[d];
      if (counter[d] < s[d]) break;
      counter[d] = 0;
      dst -= outStrides[d] * s[d];
    }
  }
  return out;
}

const padV2: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  if (x.dtype === "string" || x.dtype === "complex64") return undefined;
  const paddings = attrs?.paddings as Array<[number, number]> | undefined;
  if (!Array.isArray(paddings) || paddings.length !== x.shape.length) return undefined;
  for (const [a, b] of paddings) {
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0) return undefined;
  }
  const xv = storedValues(x, backend);
  if (!xv) return undefined;
  const value = Number(attrs?.constantValue ?? 0);
  const out = padValues(xv, x.shape, paddings, value);
  return outputAs(
    backend,
    x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]),
    x.dtype,
    out,
  );
};

/** The layout kernels. */
export function layoutKernels(): Record<string, NativeKernel> {
  return { Tile: tile, PadV2: padV2 };
}
