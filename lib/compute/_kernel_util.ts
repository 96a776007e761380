/**
 * Private helpers shared by the native kernels: typed access to the cpu backend's
 * storage, output allocation, scratch buffers and in-place activations.
 *
 * @module
 */
import type {
  KernelFunc,
  MathBackendCPU,
  NamedAttrMap,
  TensorInfo,
} from "npm:@tensorflow/tfjs@4.22.0";
import { adopt, allocFloat32, checkAliases } from "./_pool.ts";
import { isShared, sharedArrays, sharedFloat32 } from "./_par.ts";

export { allocFloat32 };

/** The arguments every kernel function receives. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: MathBackendCPU;
  attrs?: NamedAttrMap;
}

/** A native kernel: returns `undefined` to hand the call to the cpu kernel it replaces. */
export type NativeKernel = (args: KernelArgs) => TensorInfo | TensorInfo[] | undefined;

/** Options a kernel group receives when it is built. */
export interface KernelContext {
  /** The row-major sgemm of the opened BLAS, when one is open. */
  sgemm?: import("./_blas.ts").Sgemm;
}

/** The stored values of a tensor, as the cpu backend keeps them. */
export function valuesOf(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** Whether every tensor given is float32 and holds a Float32Array. */
export function allFloat32(backend: MathBackendCPU, ...ts: Array<TensorInfo | undefined>): boolean {
  for (const t of ts) {
    if (t === undefined) continue;
    if (t.dtype !== "float32") return false;
    if (!(backend.data.get(t.dataId).values instanceof Float32Array)) return false;
  }
  return true;
}

/** Wraps a float32 array as a new tensor of the backend (no copy); the tensor owns it. */
export function output(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  const info = backend.makeTensorInfo(shape, "float32", values);
  adopt(values, info.dataId);
  return info;
}

/** A typed array like `like` (same class) of length `n`; float32 ones come from the pool. */
export function allocLike<T extends Float32Array | Int32Array | Uint8Array>(like: T, n: number): T {
  if (like instanceof Float32Array) return allocFloat32(n, false) as T;
  return new (like.constructor as { new (n: number): T })(n);
}

/** Wraps an array of any dtype as a new tensor of the backend; the tensor owns it. */
export function outputAs(
  backend: MathBackendCPU,
  shape: number[],
  dtype: TensorInfo["dtype"],
  values: Float32Array | Int32Array | Uint8Array,
): TensorInfo {
  const info = backend.makeTensorInfo(shape, dtype, values);
  adopt(values, info.dataId);
  return info;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

let scratch: Float32Array = new Float32Array(0);
let sharedScratch: Float32Array = new Float32Array(0);

/** Upper bound, in floats, of the scratch buffer the convolutions keep (64 MiB). */
export const SCRATCH_FLOATS = 16 * 1024 * 1024;

/**
 * A reusable float buffer of at least `n` floats (contents are undefined). The kernels run
 * one at a time on the JS thread, so one buffer serves them all; never keep it across calls.
 * `shared`: a second buffer that lives on shared memory while kernel threads are on (the
 * workers may fill it); the im2col buffer of the sgemm path stays ordinary memory.
 */
export function scratchBuffer(n: number, shared = false): Float32Array {
  if (shared) {
    const want = sharedArrays();
    if (sharedScratch.length < n || (want && !isShared(sharedScratch) && n > 0)) {
      const size = Math.max(n, sharedScratch.length * 2);
      sharedScratch = sharedFloat32(size);
    }
    return sharedScratch.length === n ? sharedScratch : sharedScratch.subarray(0, n);
  }
  if (scratch.length < n) scratch = new Float32Array(Math.max(n, scratch.length * 2));
  return scratch.length === n ? scratch : scratch.subarray(0, n);
}

/** Releases the scratch buffer (used by tests and after large one-off calls). */
export function releaseScratch(): void {
  scratch = new Float32Array(0);
  sharedScratch = new Float32Array(0);
}

/** The fused activations the matrix product and convolution kernels apply in place. */
export type FusedActivation =
  | "linear"
  | "relu"
  | "relu6"
  | "elu"
  | "leakyrelu"
  | "prelu"
  | "sigmoid";

/**
 * Adds a bias in place to `y` (shape `outShape`); returns false when the bias shape is not
 * a scalar, a vector over the last axis, or the full shape (the caller then falls back).
 */
export function addBiasInPlace(
  y: Float32Array,
  outShape: readonly number[],
  bias: Float32Array,
  biasShape: readonly number[],
): boolean {
  const n = y.length;
  const last = outShape[outShape.length - 1] ?? 1;
  const bSize = bias.length;
  if (!broadcastsInto(biasShape, outShape)) return false;
  if (bSize === 1) {
    const b = bias[0];
    for (let i = 0; i < n; i++) y[i] += b;
    return true;
  }
  if (bSize === n) {
    for (let i = 0; i < n; i++) y[i] += bias[i];
    return true;
  }
  if (bSize === last && trailingIs(biasShape, last)) {
    for (let i = 0; i < n; i += last) {
      for (let j = 0; j < last; j++) y[i + j] += bias[j];
    }
    return true;
  }
  return false;
}

/** Whether `shape` broadcasts into `outShape` without changing it. */
export function broadcastsInto(shape: readonly number[], outShape: readonly number[]): boolean {
  if (shape.length > outShape.length) return false;
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] !== 1 && shape[i] !== outShape[off + i]) return false;
  }
  return true;
}

/** Whether a shape is `[..., 1, 1, last]` (all ones except the last axis). */
function trailingIs(shape: readonly number[], last: number): boolean {
  if (shape.length === 0) return last === 1;
  if (shape[shape.length - 1] !== last) return false;
  for (let i = 0; i < shape.length - 1; i++) if (shape[i] !== 1) return false;
  return true;
}

/**
 * Adds a last-axis bias and applies relu in one pass when that is the case at hand;
 * returns false otherwise (then call {@linkcode addBiasInPlace} and
 * {@linkcode activateInPlace}).
 */
export function biasReluInPlace(
  y: Float32Array,
  outShape: readonly number[],
  bias: Float32Array,
  biasShape: readonly number[],
): boolean {
  const last = outShape[outShape.length - 1] ?? 1;
  if (bias.length !== last || last === 1 || !trailingIs(biasShape, last)) return false;
  for (let i = 0; i < y.length; i += last) {
    for (let j = 0; j < last; j++) {
      const v = y[i + j] + bias[j];
      const r = (v + Math.abs(v)) * 0.5;
      y[i + j] = r === r ? r : v === -Infinity ? 0 : r;
    }
  }
  return true;
}

/**
 * Applies a fused activation in place; returns false for a combination it does not cover
 * (then the caller falls back to the cpu kernel).
 */
export function activateInPlace(
  y: Float32Array,
  outShape: readonly number[],
  activation: string | undefined,
  leakyreluAlpha: number | undefined,
  alpha?: Float32Array,
  alphaShape?: readonly number[],
): boolean {
  const n = y.length;
  switch (activation ?? "linear") {
    case "linear":
      return true;
    case "relu":
      // Branch-free: (v + |v|) / 2 is v or +0; NaN stays NaN, -Infinity (NaN here) gives 0.
      for (let i = 0; i < n; i++) {
        const v = y[i];
        const r = (v + Math.abs(v)) * 0.5;
        y[i] = r === r ? r : v === -Infinity ? 0 : r;
      }
      return true;
    case "relu6":
      for (let i = 0; i < n; i++) {
        const v = y[i];
        if (v < 0) y[i] = 0;
        else if (v > 6) y[i] = 6;
      }
      return true;
    case "elu":
      for (let i = 0; i < n; i++) {
        const v = y[i];
        if (v < 0) y[i] = Math.exp(v) - 1;
      }
      return true;
    case "leakyrelu": {
      const a = leakyreluAlpha ?? 0.2;
      for (let i = 0; i < n; i++) {
        const v = y[i];
        if (v < 0) y[i] = a * v;
      }
      return true;
    }
    case "sigmoid":
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-y[i]));
      return true;
    case "prelu": {
      if (!alpha || !alphaShape || !broadcastsInto(alphaShape, outShape)) return false;
      const aSize = alpha.length;
      const last = outShape[outShape.length - 1] ?? 1;
      if (aSize === 1) {
        const a = alpha[0];
        for (let i = 0; i < n; i++) if (y[i] < 0) y[i] *= a;
        return true;
      }
      if (aSize === n) {
        for (let i = 0; i < n; i++) if (y[i] < 0) y[i] *= alpha[i];
        return true;
      }
      if (aSize === last && trailingIs(alphaShape, last)) {
        for (let i = 0; i < n; i += last) {
          for (let j = 0; j < last; j++) if (y[i + j] < 0) y[i + j] *= alpha[j];
        }
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

/** Turns a native kernel plus the cpu kernel it replaces into one kernel function. */
export function withFallback(native: NativeKernel, cpu: KernelFunc): KernelFunc {
  return ((args: KernelArgs) => {
    const result = native(args);
    if (result !== undefined) return result;
    const fallback = cpu(args as never) as TensorInfo | TensorInfo[];
    checkAliases(args.backend, fallback);
    return fallback;
  }) as unknown as KernelFunc;
}

/** Wraps a cpu kernel so that outputs sharing storage with pooled arrays are seen. */
export function watched(cpu: KernelFunc): KernelFunc {
  return ((args: KernelArgs) => {
    const result = cpu(args as never) as TensorInfo | TensorInfo[];
    checkAliases(args.backend, result);
    return result;
  }) as unknown as KernelFunc;
}
