/**
 * The `native` TensorFlow.js backend: the cpu backend's storage and kernels, with the heavy
 * kernels replaced by matrix products (matrix products, convolutions and their gradients) and
 * by single-pass loops (elementwise ops, reductions, pooling, softmax, gather, segment sums,
 * slices, transposes). The matrix products run in the system BLAS through Deno FFI when one
 * opens, else in a portable WebAssembly SIMD sgemm (`_wasm_sgemm.ts`), so the backend works on
 * every machine; `SONATA_BLAS=none` chooses the portable path.
 *
 * Each replaced kernel hands a case it does not cover (another dtype, NCHW, an unusual
 * broadcast) to the cpu kernel it replaces, so results never depend on coverage.
 *
 * The system BLAS needs `--allow-ffi` (or `-A`); without it the portable sgemm runs.
 *
 * @example Register the backend and multiply two matrices
 * ```ts ignore
 * import { tf } from "./mod.ts";
 * import { registerNativeBackend } from "./native.ts";
 *
 * registerNativeBackend();
 * await tf.setBackend("native");
 * tf.matMul(tf.ones([2, 3]), tf.ones([3, 4])).print();
 * ```
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import { BLAS_NONE, BlasNotFoundError, openBlas, type Sgemm } from "./_blas.ts";
import { wasmSgemm, wasmSgemmAvailable } from "./_wasm_sgemm.ts";
import { adamKernels } from "./_kernels_adam.ts";
import { convKernels } from "./_kernels_conv.ts";
import { denseKernels } from "./_kernels_dense.ts";
import { elementwiseKernels } from "./_kernels_elementwise.ts";
import { matMulKernels } from "./_kernels_matmul.ts";
import { nnKernels, shapeKernels } from "./_kernels_nn.ts";
import { layoutKernels } from "./_kernels_layout.ts";
import { installNormGradients, normGradKernels, normKernels } from "./_kernels_norm.ts";
import { type NativeKernel, watched, withFallback } from "./_kernel_util.ts";
import { installPoolHooks } from "./_pool.ts";
import { installCheapSaves } from "./_engine_saves.ts";
import { installGatherGradient } from "./_gather_grad.ts";
import { installTileGradient } from "./_tile_grad.ts";

/** The name the native backend is registered under. */
export const NATIVE_BACKEND = "native";

/** Options of {@linkcode registerNativeBackend}. */
export interface NativeBackendOptions {
  /** BLAS library path; when absent, `SONATA_BLAS`, then the usual library names. */
  blasPath?: string;
  /** BLAS threads; when absent, `SONATA_BLAS_THREADS`, else the library's default. */
  threads?: number;
}

/** Which matrix product the native kernels call. */
export type NativeMatmul = "blas" | "wasm-simd";

/** What {@linkcode registerNativeBackend} registered. */
export interface NativeBackendInfo {
  /** The backend name, `"native"`. */
  backend: string;
  /** The matrix product: the system BLAS, or the portable WebAssembly SIMD sgemm. */
  matmul: NativeMatmul;
  /** One line about the matrix product: the library and threads, or why no BLAS opened. */
  matmulDetail: string;
  /** The BLAS library used, when `matmul` is `"blas"`. */
  blas?: { path: string; threads: number };
  /** The kernels that run native code instead of the cpu kernel, sorted. */
  kernels: string[];
}

let registered: NativeBackendInfo | undefined;

/** The native kernels, by kernel name, built on a matrix product. */
function nativeKernels(sgemm: Sgemm): Partial<Record<string, NativeKernel>> {
  return {
    ...elementwiseKernels(),
    ...nnKernels(),
    ...shapeKernels(),
    ...layoutKernels(),
    ...normKernels(),
    ...matMulKernels(sgemm),
    ...convKernels(sgemm),
  };
}

interface Matmul {
  matmul: NativeMatmul;
  detail: string;
  sgemm: Sgemm;
  blas?: { path: string; threads: number };
}

/** The system BLAS when one opens, else the WebAssembly SIMD sgemm (with the reason). */
function chooseMatmul(options: NativeBackendOptions): Matmul {
  try {
    const blas = openBlas({ path: options.blasPath, threads: options.threads });
    const blasInfo = { path: blas.path, threads: blas.threads };
    return {
      matmul: "blas",
      detail: `BLAS ${blas.path}${blas.threads ? ` with ${blas.threads} threads` : ""}`,
      sgemm: blas.sgemm,
      blas: blasInfo,
    };
  } catch (error) {
    if (!(error instanceof BlasNotFoundError)) throw error;
    if (!wasmSgemmAvailable()) {
      throw new Error(
        `Cannot register the native backend: no BLAS library opens (${
          error.tried.map((t) => `${t.path}: ${t.reason}`).join("; ")
        }) and WebAssembly SIMD is unavailable`,
      );
    }
    return {
      matmul: "wasm-simd",
      detail: `portable WebAssembly SIMD sgemm (${describeNoBlas(error)})`,
      sgemm: wasmSgemm,
    };
  }
}

/** Why no system BLAS is used, in a few words. */
function describeNoBlas(error: BlasNotFoundError): string {
  if (error.tried.length === 1) {
    const [{ path, reason }] = error.tried;
    if (path === BLAS_NONE) return reason;
    // Deno repeats its prefix ("Could not open library: Could not open library: ...").
    return `the BLAS "${path}" does not open: ${
      reason.replace(/^(Could not open library: )+/, "")
    }`;
  }
  return `no system BLAS opens: tried ${error.tried.map((t) => t.path).join(", ")}`;
}

/**
 * Registers the `native` backend with TensorFlow.js (once per process; later calls return
 * the same registration) and returns what it registered. It does not make `native` the
 * current backend: call `tf.setBackend("native")`.
 *
 * @param options BLAS library path and threads
 * @returns the backend name, the matrix product used and the native kernels
 * @throws {Error} when no BLAS library opens and WebAssembly SIMD is unavailable
 *
 * @example Register and switch
 * ```ts ignore
 * import { tf } from "./mod.ts";
 * import { registerNativeBackend } from "./native.ts";
 * import assert from "node:assert/strict";
 *
 * const info = registerNativeBackend();
 * await tf.setBackend(info.backend);
 * assert.equal(tf.getBackend(), "native");
 * ```
 */
export function registerNativeBackend(options: NativeBackendOptions = {}): NativeBackendInfo {
  if (registered) {
    if (registered.matmul === "blas") {
      const blas = openBlas({ path: options.blasPath, threads: options.threads });
      registered = {
        ...registered,
        matmulDetail: `BLAS ${blas.path}${blas.threads ? ` with ${blas.threads} threads` : ""}`,
        blas: { path: blas.path, threads: blas.threads },
      };
    }
    return registered;
  }
  const chosen = chooseMatmul(options);
  const cpu = tf.findBackend("cpu") as tf.MathBackendCPU | null;
  if (!cpu) {
    throw new Error("Cannot register the native backend: the cpu backend is not registered");
  }
  const Backend = cpu.constructor as new () => tf.MathBackendCPU;
  tf.registerBackend(NATIVE_BACKEND, () => {
    const backend = new Backend();
    // The cpu backend's one-time "install tfjs-node" hint does not apply here.
    (backend as unknown as { firstUse: boolean }).firstUse = false;
    installPoolHooks(backend);
    return backend;
  }, 0);
  const natives = nativeKernels(chosen.sgemm);
  const replaced: string[] = [];
  for (const config of tf.getKernelsForBackend("cpu")) {
    const native = natives[config.kernelName];
    if (native) replaced.push(config.kernelName);
    tf.registerKernel({
      ...config,
      backendName: NATIVE_BACKEND,
      kernelFunc: native ? withFallback(native, config.kernelFunc) : watched(config.kernelFunc),
    });
  }
  for (const config of adamKernels(NATIVE_BACKEND)) tf.registerKernel(config);
  for (const config of denseKernels(NATIVE_BACKEND, chosen.sgemm)) tf.registerKernel(config);
  installCheapSaves(NATIVE_BACKEND);
  installGatherGradient();
  installTileGradient();
  for (const config of normGradKernels(NATIVE_BACKEND)) tf.registerKernel(config);
  installNormGradients(NATIVE_BACKEND);
  registered = {
    backend: NATIVE_BACKEND,
    matmul: chosen.matmul,
    matmulDetail: chosen.detail,
    ...(chosen.blas ? { blas: chosen.blas } : {}),
    kernels: replaced.sort(),
  };
  return registered;
}

/**
 * The matrix product the native backend uses or would use, without registering it: the
 * system BLAS and its threads, or the portable sgemm and why no BLAS is used.
 */
export function nativeMatmulStatus(
  options: NativeBackendOptions = {},
): { available: boolean; matmul?: NativeMatmul; detail: string } {
  if (registered) {
    return { available: true, matmul: registered.matmul, detail: registered.matmulDetail };
  }
  try {
    const chosen = chooseMatmul(options);
    return { available: true, matmul: chosen.matmul, detail: chosen.detail };
  } catch (error) {
    return { available: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/** The native backend's registration, or undefined when it is not registered. */
export function nativeBackendInfo(): NativeBackendInfo | undefined {
  return registered;
}
