/**
 * Private: finds and opens the system BLAS through Deno FFI.
 *
 * Only `cblas_sgemm` is required; `openblas_set_num_threads` and
 * `openblas_get_num_threads` are used when the library has them (OpenBLAS).
 * Opening is lazy: nothing here touches FFI at import time.
 *
 * @module
 */

/** Row-major storage order for `cblas_sgemm`. */
export const CBLAS_ROW_MAJOR = 101;
/** No transpose for `cblas_sgemm`. */
export const CBLAS_NO_TRANS = 111;
/** Transpose for `cblas_sgemm`. */
export const CBLAS_TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // M
      "i32", // N
      "i32", // K
      "f32", // alpha
      "buffer", // A
      "i32", // lda
      "buffer", // B
      "i32", // ldb
      "f32", // beta
      "buffer", // C
      "i32", // ldc
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
} as const;

type BlasLibrary = Deno.DynamicLibrary<typeof SYMBOLS>;

/**
 * The `SONATA_BLAS` value (or path option) that disables system-BLAS discovery: the native
 * engine then runs its portable WebAssembly sgemm (tests use it to hide the system BLAS).
 */
export const BLAS_NONE = "none";

/** Library names tried, in order, when neither a path nor `SONATA_BLAS` is given. */
export const BLAS_CANDIDATES: readonly string[] = [
  "libopenblas.so.0",
  "libopenblas.so",
  "libblas.so.3",
  "libmkl_rt.so",
  "/System/Library/Frameworks/Accelerate.framework/Versions/Current/Frameworks/vecLib.framework/vecLib",
  "libopenblas.dylib",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
  "libopenblas.dll",
];

/**
 * The sgemm signature the kernels call: row-major, C = alpha·op(A)·op(B) + beta·C. Small
 * products run on one thread unless `wide` asks for all (a caller that splits one large
 * product into cache-sized chunks).
 */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
  wide?: boolean,
) => void;

/** An opened BLAS library. */
export interface Blas {
  /** The path or name the library was opened from. */
  readonly path: string;
  /** Threads the library uses (OpenBLAS), or 0 when the library does not say. */
  readonly threads: number;
  /** Row-major single-precision matrix product. */
  readonly sgemm: Sgemm;
}

/** Options of {@linkcode openBlas}. */
export interface OpenBlasOptions {
  /** A library path; when absent, `SONATA_BLAS`, then {@linkcode BLAS_CANDIDATES}. */
  path?: string;
  /** Threads for OpenBLAS; when absent, `SONATA_BLAS_THREADS`, else the library's default. */
  threads?: number;
}

/** Why no BLAS could be opened, one line per library tried. */
export class BlasNotFoundError extends Error {
  /** The libraries tried, each with the reason it failed. */
  readonly tried: ReadonlyArray<{ path: string; reason: string }>;
  /** Builds the error from the list of attempts. */
  constructor(tried: ReadonlyArray<{ path: string; reason: string }>) {
    super(
      `Cannot open a BLAS library: tried ${tried.map((t) => `"${t.path}"`).join(", ")}`,
    );
    this.name = "BlasNotFoundError";
    this.tried = tried;
  }
}

let opened: Blas | undefined;
let openedLib: BlasLibrary | undefined;
/** Threads the large products use (small ones use one). */
let maxThreads = 1;

function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * OpenBLAS threads spin for 2^28 cycles (about 0.1 s) after each product by default,
 * taking a core from JavaScript on small machines; unless the user set it, make them sleep
 * after 2^10 cycles. OpenBLAS reads this when it loads, so it must be set before dlopen.
 */
function quietThreads(): void {
  try {
    if (Deno.env.get("OPENBLAS_THREAD_TIMEOUT") === undefined) {
      Deno.env.set("OPENBLAS_THREAD_TIMEOUT", "10");
    }
  } catch {
    // Without --allow-env the default applies.
  }
}

function tryOpen(path: string): BlasLibrary {
  return Deno.dlopen(path, SYMBOLS);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}

/**
 * Opens the BLAS library once per process and returns it; later calls return the same
 * library (a different `threads` value is applied to it).
 *
 * @throws {BlasNotFoundError} when no candidate opens or none has `cblas_sgemm`, or the path
 * is {@linkcode BLAS_NONE}
 */
export function openBlas(options: OpenBlasOptions = {}): Blas {
  const threads = options.threads ?? parseThreads(envGet("SONATA_BLAS_THREADS"));
  if (opened && openedLib) {
    if (threads !== undefined) setThreads(openedLib, threads);
    opened = { ...opened, threads: maxThreads };
    return opened;
  }
  const explicit = options.path ?? envGet("SONATA_BLAS");
  if (explicit === BLAS_NONE) {
    throw new BlasNotFoundError([{
      path: BLAS_NONE,
      reason: `system BLAS disabled (SONATA_BLAS=${BLAS_NONE})`,
    }]);
  }
  const candidates = explicit ? [explicit] : BLAS_CANDIDATES;
  const tried: Array<{ path: string; reason: string }> = [];
  for (const path of candidates) {
    let lib: BlasLibrary;
    try {
      quietThreads();
      lib = tryOpen(path);
    } catch (error) {
      tried.push({ path, reason: firstLine(error) });
      continue;
    }
    maxThreads = Math.max(1, getThreads(lib));
    if (threads !== undefined) setThreads(lib, threads);
    openedLib = lib;
    opened = { path, threads: maxThreads, sgemm: makeSgemm(lib) };
    return opened;
  }
  throw new BlasNotFoundError(tried);
}

/** Whether a BLAS library opens, without keeping an error; never throws. */
export function probeBlas(path?: string): { ok: true; blas: Blas } | {
  ok: false;
  error: BlasNotFoundError;
} {
  try {
    return { ok: true, blas: openBlas({ path }) };
  } catch (error) {
    if (error instanceof BlasNotFoundError) return { ok: false, error };
    return {
      ok: false,
      error: new BlasNotFoundError([{ path: path ?? "(none)", reason: firstLine(error) }]),
    };
  }
}

/** The BLAS opened so far in this process, if any. */
export function currentBlas(): Blas | undefined {
  return opened;
}

function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `Cannot use SONATA_BLAS_THREADS: expected an integer >= 1, received "${value}"`,
    );
  }
  return n;
}

function setThreads(lib: BlasLibrary, threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`Cannot set BLAS threads: expected an integer >= 1, received ${threads}`);
  }
  lib.symbols.openblas_set_num_threads?.(threads);
  maxThreads = threads;
}

function getThreads(lib: BlasLibrary): number {
  return lib.symbols.openblas_get_num_threads?.() ?? 0;
}

/**
 * Products below this many multiply-adds run on one thread: waking BLAS threads costs more
 * than they save there (measured on 2 cores: 256×256×256 takes 250 µs on one thread and
 * 370 µs on two inside a training step), and idle threads would compete with JavaScript.
 */
export const SINGLE_THREAD_MACS = 1 << 25;

/** The single-thread bound in use: `SONATA_BLAS_MT_MACS` (a tuning knob) or the default. */
function singleThreadMacs(): number {
  const value = Number(envGet("SONATA_BLAS_MT_MACS"));
  return Number.isFinite(value) && value > 0 ? value : SINGLE_THREAD_MACS;
}

/**
 * Why the buffers cannot hold a row-major m×k·k×n product with these leading dimensions, or
 * undefined when they can (m, n, k ≥ 1).
 */
export function sgemmExtentsError(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  c: Float32Array,
  ldc: number,
): string | undefined {
  const rowsA = transA ? k : m, colsA = transA ? m : k;
  const rowsB = transB ? n : k, colsB = transB ? k : n;
  if (
    lda < colsA || ldb < colsB || ldc < n ||
    a.length < (rowsA - 1) * lda + colsA || b.length < (rowsB - 1) * ldb + colsB ||
    c.length < (m - 1) * ldc + n
  ) {
    return `Cannot call sgemm: buffers too small for ${m}×${k}·${k}×${n} (lengths a ${a.length}, b ${b.length}, c ${c.length}; ld ${lda}, ${ldb}, ${ldc})`;
  }
  return undefined;
}

function makeSgemm(lib: BlasLibrary): Sgemm {
  const call = lib.symbols.cblas_sgemm;
  const set = lib.symbols.openblas_set_num_threads;
  let current = getThreads(lib);
  const bound = singleThreadMacs();
  return (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, wide) => {
    if (m === 0 || n === 0) return;
    if (k === 0) {
      // BLAS skips the product; make the result match beta·C.
      for (let i = 0; i < m; i++) {
        for (let j = i * ldc, end = i * ldc + n; j < end; j++) c[j] = beta === 0 ? 0 : beta * c[j];
      }
      return;
    }
    // BLAS writes through raw pointers: a buffer shorter than the product needs would corrupt
    // the process's heap, so check the extents (row-major) before calling.
    const extents = sgemmExtentsError(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
    if (extents) throw new RangeError(extents);
    if (set) {
      const want = wide || m * n * k >= bound ? maxThreads : 1;
      if (want !== current) {
        set(want);
        current = want;
      }
    }
    call(
      CBLAS_ROW_MAJOR,
      transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
      transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
      m,
      n,
      k,
      alpha,
      a,
      lda,
      b,
      ldb,
      beta,
      c,
      ldc,
    );
  };
}
