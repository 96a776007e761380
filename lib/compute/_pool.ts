/**
 * Private: recycles the float32 arrays of disposed native-kernel outputs.
 *
 * Allocating a fresh Float32Array costs far more than filling it (on the 2-core machines:
 * about 40 µs for 256 KiB, against 3 µs to zero it), and a training step allocates
 * hundreds. The native backend returns the array of a disposed tensor to a free list, and
 * the kernels take their outputs from it.
 *
 * An array is recycled only while exactly one tensor owns it: an array is "owned" by the
 * dataId a native kernel created it for; it stops being owned when anything else could
 * still see it:
 * - its values were read out (`dataSync`, `data`, `bufferSync` return the array itself on
 *   this backend), see {@linkcode disown};
 * - another tensor's storage is the same buffer or a view of it (a cpu kernel that
 *   slices without copying), see {@linkcode checkAliases}.
 * Arrays given by users (`tf.tensor(float32Array)`) are never owned.
 *
 * @module
 */
import type { MathBackendCPU, TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";

/** Arrays shorter than this are not pooled (allocation is cheap there). */
export const POOL_MIN_FLOATS = 2048;
/** Upper bound of the bytes kept in free lists. */
export const POOL_MAX_BYTES = 256 * 1024 * 1024;
/** Upper bound of free arrays kept per length. */
const MAX_PER_LENGTH = 32;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;
const owners = new WeakMap<ArrayBufferLike, object>();
let reused = 0;
let allocated = 0;

/** A float32 array of length `n`, recycled when one is free; zeroed when `zero` is true. */
export function allocFloat32(n: number, zero: boolean): Float32Array {
  if (n >= POOL_MIN_FLOATS) {
    const list = free.get(n);
    const array = list?.pop();
    if (array) {
      pooledBytes -= array.byteLength;
      reused++;
      if (zero) array.fill(0);
      return array;
    }
  }
  allocated++;
  return new Float32Array(n);
}

/** Records that `dataId` alone owns `values` (when it is a whole, poolable array). */
export function adopt(values: unknown, dataId: object): void {
  if (
    values instanceof Float32Array && values.length >= POOL_MIN_FLOATS &&
    values.byteOffset === 0 && values.byteLength === values.buffer.byteLength
  ) {
    owners.set(values.buffer, dataId);
  }
}

/**
 * Whether `dataId` alone may see `values`: it owns the array (no read-out, no alias) and one
 * tensor references it. A kernel may then overwrite the array in place.
 */
export function exclusivelyOwned(backend: MathBackendCPU, dataId: object): boolean {
  const entry = backend.data.get(dataId);
  return entry !== undefined && entry.refCount === 1 && ArrayBuffer.isView(entry.values) &&
    owners.get(entry.values.buffer) === dataId;
}

/** Stops recycling an array that code outside the kernels may hold. */
export function disown(values: unknown): void {
  if (ArrayBuffer.isView(values)) owners.delete(values.buffer);
}

/** Returns the array of a disposed dataId to the free list when that dataId owned it. */
export function reclaim(values: unknown, dataId: object): void {
  if (!(values instanceof Float32Array)) return;
  if (owners.get(values.buffer) !== dataId) return;
  owners.delete(values.buffer);
  if (pooledBytes + values.byteLength > POOL_MAX_BYTES) return;
  let list = free.get(values.length);
  if (!list) free.set(values.length, list = []);
  if (list.length >= MAX_PER_LENGTH) return;
  list.push(values);
  pooledBytes += values.byteLength;
}

/** Disowns any owned buffer that a kernel output shares with another dataId. */
export function checkAliases(
  backend: MathBackendCPU,
  result: TensorInfo | TensorInfo[] | undefined,
): void {
  if (result === undefined) return;
  if (Array.isArray(result)) {
    for (const r of result) checkOne(backend, r);
  } else {
    checkOne(backend, result);
  }
}

function checkOne(backend: MathBackendCPU, info: TensorInfo): void {
  const values = backend.data.get(info.dataId)?.values;
  if (!ArrayBuffer.isView(values)) return;
  const owner = owners.get(values.buffer);
  if (owner !== undefined && owner !== info.dataId) owners.delete(values.buffer);
}

/** Counters of the pool (for tests and profiling). */
export function poolStats(): { reused: number; allocated: number; pooledBytes: number } {
  return { reused, allocated, pooledBytes };
}

/** Empties the free lists. */
export function clearPool(): void {
  free.clear();
  pooledBytes = 0;
}

/**
 * Makes a backend instance recycle the arrays it disposes and disown the arrays it reads
 * out. Instance methods shadow the class's, so the cpu backend itself is untouched.
 */
export function installPoolHooks(backend: MathBackendCPU): void {
  const disposeData = backend.disposeData.bind(backend);
  const readSync = backend.readSync.bind(backend);
  const data = backend.data;
  Object.assign(backend, {
    disposeData(dataId: object, force?: boolean): boolean {
      const entry = data.get(dataId);
      const done = disposeData(dataId, force);
      if (entry && done && !data.has(dataId)) reclaim(entry.values, dataId);
      return done;
    },
    readSync(dataId: object) {
      disown(data.get(dataId)?.values);
      return readSync(dataId);
    },
  });
}
