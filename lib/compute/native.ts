/**
 * The `native` TensorFlow.js backend: the cpu backend's storage and kernels, with the heavy
 * kernels replaced by calls into the system BLAS through Deno FFI (matrix products,
 * convolutions and their gradients) and by single-pass loops (elementwise ops, reductions,
 * pooling, softmax, gather, segment sums, slices, transposes).
 *
 * Each replaced kernel hands a case it does not cover (another dtype, NCHW, an unusual
 * broadcast) to the cpu kernel it replaces, so results never depend on coverage.
 *
 * Needs `--allow-ffi` (or `-A`).
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
import * as tf from "@tensorflow/tfjs";
import { type Blas, openBlas } from "./_blas.ts";
import { adamKernels } from "./_kernels_adam.ts";
import { convKernels } from "./_kernels_conv.ts";
import { denseKernels } from "./_kernels_dense.ts";
import { elementwiseKernels } from "./_kernels_elementwise.ts";
import { matMulKernels } from "./_kernels_matmul.ts";
import { nnKernels, shapeKernels } from "./_kernels_nn.ts";
import { type NativeKernel, watched, withFallback } from "./_kernel_util.ts";
import { installPoolHooks } from "./_pool.ts";
import { installCheapSaves } from "./_engine_saves.ts";
import { installGatherGradient } from "./_gather_grad.ts";

/** The name the native backend is registered under. */
export const NATIVE_BACKEND = "native";

/** Options of {@linkcode registerNativeBackend}. */
export interface NativeBackendOptions {
  /** BLAS library path; when absent, `SONATA_BLAS`, then the usual library names. */
  blasPath?: string;
  /** BLAS threads; when absent, `SONATA_BLAS_THREADS`, else the library's default. */
  threads?: number;
}

/** What {@linkcode registerNativeBackend} registered. */
export interface NativeBackendInfo {
  /** The backend name, `"native"`. */
  backend: string;
  /** The BLAS library used. */
  blas: { path: string; threads: number };
  /** The kernels that run native code instead of the cpu kernel, sorted. */
  kernels: string[];
}

let registered: NativeBackendInfo | undefined;

/** The native kernels, by kernel name, built on an opened BLAS. */
function nativeKernels(blas: Blas): Partial<Record<string, NativeKernel>> {
  return {
    ...elementwiseKernels(),
    ...nnKernels(),
    ...shapeKernels(),
    ...matMulKernels(blas.sgemm),
    ...convKernels(blas.sgemm),
  };
}

/**
 * Registers the `native` backend with TensorFlow.js (once per process; later calls return
 * the same registration) and returns what it registered. It does not make `native` the
 * current backend: call `tf.setBackend("native")`.
 *
 * @param options BLAS library path and threads
 * @returns the backend name, the BLAS used and the native kernels
 * @throws {import("./_blas.ts").BlasNotFoundError} when no BLAS library opens
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
  const blas = openBlas({ path: options.blasPath, threads: options.threads });
  if (registered) {
    registered = { ...registered, blas: { path: blas.path, threads: blas.threads } };
    return registered;
  }
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
  const natives = nativeKernels(blas);
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
  for (const config of denseKernels(NATIVE_BACKEND, blas.sgemm)) tf.registerKernel(config);
  installCheapSaves(NATIVE_BACKEND);
  installGatherGradient();
  registered = {
    backend: NATIVE_BACKEND,
    blas: { path: blas.path, threads: blas.threads },
    kernels: replaced.sort(),
  };
  return registered;
}

/** The native backend's registration, or undefined when it is not registered. */
export function nativeBackendInfo(): NativeBackendInfo | undefined {
  return registered;
}
