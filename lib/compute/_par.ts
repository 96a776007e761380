/**
 * Private: runs the heavy native kernel loops (`_par_ops.ts`) on all cores.
 *
 * A kernel splits its rows into chunks that the calling thread and a pool of persistent
 * kernel workers (`node:worker_threads`, unref'd: they never keep the process alive) run on
 * the same arrays, which must live on `SharedArrayBuffer`s (the
 * array pool allocates large float32 arrays there while threads are on, see
 * {@linkcode sharedArrays}). The calling thread then blocks in `Atomics.wait` until every
 * range is done: kernels stay synchronous, as tfjs calls them.
 *
 * - Threads: `SONATA_KERNEL_THREADS` (1 = off), else `navigator.hardwareConcurrency`, at most
 *   {@linkcode MAX_KERNEL_THREADS}. Workers start on the first large kernel (never for small
 *   workloads), once per isolate, and help from when they report ready; failing to create
 *   them turns threads off for the isolate (single-thread loops).
 * - Work sharing: a split kernel has up to 4 chunks per thread, and every thread (the calling
 *   one included) claims chunks from a shared counter until none is left, so a worker the
 *   scheduler runs late (a loaded machine) delays the kernel by at most the chunk it holds.
 * - A kernel splits only when every large array it touches is shared and the work is at least
 *   {@linkcode MIN_PARALLEL_WORK} elements (tests lower it with `setMinParallelWork`); otherwise
 *   it runs on the calling thread.
 * - The split depends only on the row count and the thread count, and per-range sums are
 *   added in range order by the caller: results are deterministic for a thread count.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { logLine } from "./_log.ts";
import { CTRL, RANGE_OPS, type RangeOpName, runChunks } from "./_par_ops.ts";

/** The most kernel threads used (calling thread included). */
export const MAX_KERNEL_THREADS = 8;
/**
 * Kernels touching fewer elements than this run on the calling thread. Telling a worker and
 * waiting for it costs 60–100 µs here (2 vCPUs, idle, 2026-12-02): Relu on 2¹⁷ floats took
 * 121 µs on one thread and 177 µs split; on 2¹⁸, 240 and 216 µs; on 2²⁰, 1.10 and 0.63 ms.
 */
export const MIN_PARALLEL_WORK = 1 << 18;
/** Each range gets at least this many elements of work. */
const MIN_RANGE_WORK = 1 << 15;
/** How long a range may take before the kernel gives up on the workers. */
const RUN_TIMEOUT_MS = 600_000;

let configured: number | undefined;
let override: number | undefined;

function readEnv(): string | undefined {
  try {
    return Deno.env.get("SONATA_KERNEL_THREADS") || undefined;
  } catch {
    return undefined; // no env permission: the default
  }
}

/** The kernel thread count of this isolate (calling thread included; 1 = off). */
export function kernelThreads(): number {
  if (override !== undefined) return override;
  if (configured !== undefined) return configured;
  const env = readEnv();
  const cores = Math.max(1, Math.min(MAX_KERNEL_THREADS, navigator.hardwareConcurrency || 1));
  if (env !== undefined) {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) {
      configured = Math.min(MAX_KERNEL_THREADS, n);
    } else {
      logLine(
        `sonata: ignoring SONATA_KERNEL_THREADS=${
          JSON.stringify(env)
        }: expected a positive integer; using ${cores}`,
      );
      configured = cores;
    }
  } else {
    configured = cores;
  }
  return configured;
}

/**
 * Sets the kernel thread count (tests, benchmarks); `undefined` restores the configured one.
 * Returns the previous effective count. Workers beyond the count stay idle.
 */
export function setKernelThreads(n: number | undefined): number {
  const previous = kernelThreads();
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
    throw new RangeError(`kernel threads must be a positive integer, received ${n}`);
  }
  override = n === undefined ? undefined : Math.min(MAX_KERNEL_THREADS, n);
  return previous;
}

let minWork = MIN_PARALLEL_WORK;

/**
 * Sets the smallest work that splits (tests use a lower one, to split small shapes); returns
 * the previous value.
 */
export function setMinParallelWork(work: number): number {
  if (!Number.isInteger(work) || work < 1) {
    throw new RangeError(`the split threshold must be a positive integer, received ${work}`);
  }
  const previous = minWork;
  minWork = work;
  return previous;
}

/** Whether large arrays should be allocated on shared memory (threads on and usable). */
export function sharedArrays(): boolean {
  return kernelThreads() > 1 && !failed && typeof SharedArrayBuffer === "function";
}

/** Whether a typed array lives on shared memory. */
export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer === "function" && a.buffer instanceof SharedArrayBuffer;
}

/** A Float64Array for per-range partial sums: shared when `parts` > 1. */
export function partsBuffer(parts: number, n: number): Float64Array {
  return parts > 1
    ? new Float64Array(new SharedArrayBuffer(8 * parts * n))
    : new Float64Array(parts * n);
}

/** A Float32Array of `n` floats that the kernel workers can write (shared when threads are on). */
export function sharedFloat32(n: number): Float32Array {
  return sharedArrays() && n > 0
    ? new Float32Array(new SharedArrayBuffer(4 * n))
    : new Float32Array(n);
}

interface Pool {
  workers: Worker[];
  /** The shared control slots (`CTRL` of `_par_ops.ts`). */
  ctrl: Int32Array;
  /** The first error's message (UTF-8, NUL-terminated). */
  error: Uint8Array;
}

let pool: Pool | undefined;
let failed = false;
let dispatched = 0;

function stopPool(p: Pool): void {
  for (const w of p.workers) void w.terminate();
}

/**
 * Starts workers until `count` exist (without waiting for them: a kernel runs every chunk
 * itself until they report ready); undefined when they cannot be created (threads then off).
 */
function ensureWorkers(count: number): Pool | undefined {
  if (failed) return undefined;
  if (!pool) {
    pool = {
      workers: [],
      ctrl: new Int32Array(new SharedArrayBuffer(4 * CTRL.length)),
      error: new Uint8Array(new SharedArrayBuffer(1024)),
    };
  }
  const p = pool;
  if (p.workers.length >= count) return p;
  try {
    while (p.workers.length < count) {
      const worker = new Worker(new URL("./_par_worker.ts", import.meta.url), {
        workerData: { ctrl: p.ctrl, error: p.error },
      });
      worker.unref();
      // A failing worker also reports through the error flag; this only keeps the event
      // from being an uncaught error.
      worker.on("error", (e: unknown) => {
        logLine(`sonata: kernel worker failed: ${e instanceof Error ? e.message : String(e)}`);
      });
      p.workers.push(worker);
    }
  } catch (e) {
    return disable(p, `cannot start kernel workers (${e instanceof Error ? e.message : e})`);
  }
  return p;
}

function disable(p: Pool, why: string): undefined {
  logLine(`sonata: ${why}; native kernels run on one thread`);
  stopPool(p);
  pool = undefined;
  failed = true;
  return undefined;
}

/** Chunks per thread: a thread the scheduler runs late leaves its chunks to the others. */
const CHUNKS_PER_THREAD = 4;

/**
 * How many chunks to split `n` rows into for `work` elements of work: 1 unless threads are
 * on, the work is large and every array in `mustShare` lives on shared memory; else up to
 * {@linkcode CHUNKS_PER_THREAD} per thread (a count that depends only on `n`, `work` and the
 * thread count).
 */
export function planParts(n: number, work: number, mustShare: readonly ArrayBufferView[]): number {
  const threads = kernelThreads();
  if (threads < 2 || failed || work < minWork || n < 2) return 1;
  for (const a of mustShare) if (!isShared(a)) return 1;
  const chunks = Math.min(CHUNKS_PER_THREAD * threads, n, Math.floor(work / MIN_RANGE_WORK));
  if (chunks < 2) return 1;
  return ensureWorkers(Math.min(threads, chunks) - 1) ? chunks : 1;
}

/** The row range [lo, hi) of chunk `part` of `parts` over `n` rows. */
export function rangeOf(n: number, parts: number, part: number): [number, number] {
  return [Math.floor((n * part) / parts), Math.floor((n * (part + 1)) / parts)];
}

/**
 * Runs range op `op` over `n` rows in `parts` chunks (from {@linkcode planParts}): the
 * workers are told of the task, and every thread, this one included, claims chunks until
 * none is left (`runChunks`); then this thread waits for the chunks still running. Chunk k
 * writes its partial sums at index k whichever thread ran it. Throws when a chunk failed.
 */
export function runParts(op: RangeOpName, args: unknown[], n: number, parts: number): void {
  const fn = RANGE_OPS[op];
  if (parts <= 1) {
    fn(args, 0, n, 0);
    return;
  }
  const p = pool!;
  const base = Atomics.load(p.ctrl, CTRL.next);
  const target = Atomics.load(p.ctrl, CTRL.done) + parts;
  const wire = encodeArgs(args);
  // Only started workers are told (they started in order); one still starting would find
  // every chunk taken when it reads the task.
  const ready = Math.min(p.workers.length, Atomics.load(p.ctrl, CTRL.ready));
  const helpers = Math.min(ready, parts - 1);
  for (let w = 0; w < helpers; w++) {
    p.workers[w].postMessage({ op, args: wire, n, chunks: parts, base });
  }
  dispatched++;
  let ownError: unknown;
  runChunks(p.ctrl, fn, args, n, parts, base, (e) => {
    ownError ??= e;
  }, false);
  const deadline = performance.now() + RUN_TIMEOUT_MS;
  for (;;) {
    const done = Atomics.load(p.ctrl, CTRL.done);
    if (done - target >= 0) break;
    const left = deadline - performance.now();
    if (left <= 0) {
      disable(p, `kernel workers did not finish ${op} within ${RUN_TIMEOUT_MS} ms`);
      throw new Error(`native kernel ${op}: kernel workers did not finish`);
    }
    Atomics.wait(p.ctrl, CTRL.done, done, Math.min(left, 1000));
  }
  if (ownError !== undefined) throw ownError;
  if (Atomics.load(p.ctrl, CTRL.error) !== 0) {
    const bytes = p.error.slice();
    const end = bytes.indexOf(0);
    const message = new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end));
    Atomics.store(p.ctrl, CTRL.error, 0);
    throw new Error(`native kernel ${op} failed in a kernel worker: ${message}`);
  }
}

/** A typed array on shared memory as sent to a worker (see {@linkcode encodeArgs}). */
export interface SharedView {
  sab: SharedArrayBuffer;
  type: "Float32Array" | "Float64Array" | "Int32Array";
  offset: number;
  length: number;
}

/**
 * The arguments as posted to the workers: typed arrays on shared memory become their buffer,
 * offset and length (Deno's `node:worker_threads` posts a view of a `SharedArrayBuffer` far
 * more slowly than the buffer itself: hundreds of ms for 10 MB); the rest is sent as is.
 */
function encodeArgs(args: unknown[]): unknown[] {
  return args.map((a) => {
    if (!ArrayBuffer.isView(a) || !isShared(a)) return a;
    const type = a instanceof Float32Array
      ? "Float32Array"
      : a instanceof Float64Array
      ? "Float64Array"
      : a instanceof Int32Array
      ? "Int32Array"
      : undefined;
    if (type === undefined) return a;
    const view = a as Float32Array | Float64Array | Int32Array;
    return {
      sab: view.buffer as SharedArrayBuffer,
      type,
      offset: view.byteOffset,
      length: view.length,
    } satisfies SharedView;
  });
}

/** Counters for tests: workers started, split kernels so far, chunks the workers ran. */
export function parStats(): {
  workers: number;
  dispatched: number;
  helped: number;
  failed: boolean;
} {
  const helped = pool ? Atomics.load(pool.ctrl, CTRL.helped) : 0;
  return { workers: pool?.workers.length ?? 0, dispatched, helped, failed };
}

/** Stops the kernel workers (the next large kernel starts them again). */
export function stopKernelWorkers(): void {
  if (pool) stopPool(pool);
  pool = undefined;
}
