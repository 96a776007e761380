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
 * While kernel threads are on (`_par.ts`), arrays of at least {@linkcode SHARED_MIN_FLOATS}
 * floats are allocated on `SharedArrayBuffer`s, so the kernel workers can read and write them.
 * Such an array never reaches code outside the backend: reading a tensor's values out
 * (`dataSync`, `data`, `bufferSync`) first swaps them for an ordinary copy (see
 * {@linkcode installPoolHooks}), since Web APIs may reject views of shared memory.
 *
 * @module
 */
import type { MathBackendCPU, TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";
import { isShared, sharedArrays, sharedFloat32 } from "./_par.ts";

/** Arrays shorter than this are not pooled (allocation is cheap there). */
export const POOL_MIN_FLOATS = 2048;
/**
 * The bytes the free lists may always keep. Above it they may keep up to the largest
 * working set seen (the bytes of owned arrays alive at once, {@linkcode poolStats}'s
 * `peakLiveBytes`): a training step whose activations are larger than this bound (W4 at
 * batch 32: 154 MB each) still recycles them, and the process never holds more than that
 * working set did (a miss evicts the oldest free arrays first, see {@linkcode allocFloat32}).
 */
export const POOL_BASE_BYTES = 256 * 1024 * 1024;
/** Arrays at least this long live on shared memory while kernel threads are on. */
export const SHARED_MIN_FLOATS = 16384;
/** Upper bound of free arrays kept per length. */
const MAX_PER_LENGTH = 32;

const free = new Map<number, Float32Array[]>();
/** The free arrays, oldest first (the eviction order). */
const order = new Set<Float32Array>();
let pooledBytes = 0;
const owners = new WeakMap<ArrayBufferLike, object>();
/** Bytes of owned arrays (alive, or freed and not yet reclaimed). */
let liveBytes = 0;
let peakLiveBytes = 0;
let reused = 0;
let allocated = 0;
let evicted = 0;

let baseBytes = POOL_BASE_BYTES;

/** Sets the bytes the free lists may always keep (tests); returns the previous value. */
export function setPoolBaseBytes(bytes: number): number {
  const previous = baseBytes;
  baseBytes = bytes;
  return previous;
}

/** The bytes the free lists may hold now. */
function poolLimit(): number {
  return Math.max(baseBytes, peakLiveBytes);
}

function own(buffer: ArrayBufferLike, dataId: object): void {
  if (!owners.has(buffer)) {
    liveBytes += buffer.byteLength;
    if (liveBytes > peakLiveBytes) peakLiveBytes = liveBytes;
  }
  owners.set(buffer, dataId);
}

function unown(buffer: ArrayBufferLike): void {
  if (owners.delete(buffer)) liveBytes = Math.max(0, liveBytes - buffer.byteLength);
}

/** Drops the oldest free array (left to the garbage collector). */
function evictOldest(): void {
  const first = order.values().next();
  if (first.done) return;
  const array = first.value;
  order.delete(array);
  const list = free.get(array.length)!;
  list.splice(list.lastIndexOf(array), 1);
  if (list.length === 0) free.delete(array.length);
  pooledBytes -= array.byteLength;
  evicted++;
}

/**
 * A float32 array of length `n`, recycled when one is free; zeroed when `zero` is true.
 * A fresh allocation first evicts the oldest free arrays while the owned arrays, the free
 * ones and the new one together would exceed the pool's limit, so free arrays of lengths
 * no longer asked for do not add to the working set.
 */
export function allocFloat32(n: number, zero: boolean): Float32Array {
  if (n >= POOL_MIN_FLOATS) {
    const list = free.get(n);
    let array = list?.pop();
    if (array && n >= SHARED_MIN_FLOATS && sharedArrays() && !isShared(array)) {
      // Kept from while threads were off: the workers could not see it.
      order.delete(array);
      pooledBytes -= array.byteLength;
      evicted++;
      array = undefined;
    }
    if (array) {
      order.delete(array);
      pooledBytes -= array.byteLength;
      reused++;
      if (zero) array.fill(0);
      return array;
    }
    const limit = poolLimit();
    while (pooledBytes > 0 && liveBytes + pooledBytes + 4 * n > limit) evictOldest();
  }
  allocated++;
  return n >= SHARED_MIN_FLOATS ? sharedFloat32(n) : new Float32Array(n);
}

/** Records that `dataId` alone owns `values` (when it is a whole, poolable array). */
export function adopt(values: unknown, dataId: object): void {
  if (
    values instanceof Float32Array && values.length >= POOL_MIN_FLOATS &&
    values.byteOffset === 0 && values.byteLength === values.buffer.byteLength
  ) {
    own(values.buffer, dataId);
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
  if (ArrayBuffer.isView(values)) unown(values.buffer);
}

/** Returns the array of a disposed dataId to the free list when that dataId owned it. */
export function reclaim(values: unknown, dataId: object): void {
  if (!(values instanceof Float32Array)) return;
  if (owners.get(values.buffer) !== dataId) return;
  unown(values.buffer);
  if (pooledBytes + values.byteLength > poolLimit()) return;
  let list = free.get(values.length);
  if (!list) free.set(values.length, list = []);
  if (list.length >= MAX_PER_LENGTH) return;
  list.push(values);
  order.add(values);
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
  if (owner !== undefined && owner !== info.dataId) unown(values.buffer);
}

/** Counters of the pool (for tests and profiling). */
export function poolStats(): {
  reused: number;
  allocated: number;
  evicted: number;
  pooledBytes: number;
  liveBytes: number;
  peakLiveBytes: number;
} {
  return { reused, allocated, evicted, pooledBytes, liveBytes, peakLiveBytes };
}

/** Empties the free lists and forgets the largest working set seen. */
export function clearPool(): void {
  free.clear();
  order.clear();
  pooledBytes = 0;
  peakLiveBytes = liveBytes;
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
      const entry = data.get(dataId);
      const values = entry?.values;
      if (ArrayBuffer.isView(values) && isShared(values)) {
        // Users get an ordinary array; the shared one goes back to the pool when only this
        // dataId owned it (nothing else can see it any more).
        const copy = (values as Float32Array).slice();
        entry!.values = copy;
        reclaim(values, dataId);
        unown(values.buffer);
      } else {
        disown(values);
      }
      return readSync(dataId);
    },
  });
}
