/**
 * Private: the one-pass Adam update kernel used by {@linkcode FusedAdamOptimizer}.
 *
 * Kernel `SonataAdam`: inputs `x` (the variable), `g` (its gradient), `m` and `v` (the
 * moments), `accBeta1` and `accBeta2` (β₁ᵗ and β₂ᵗ as scalars); attributes `learningRate`,
 * `beta1`, `beta2`, `epsilon`; outputs the new `x`, `m` and `v` as new tensors, computed as
 * tfjs's AdamOptimizer computes them, in one loop instead of fourteen kernels.
 *
 * @module
 */
import type { KernelConfig, MathBackendCPU, TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";
import { allocFloat32, type KernelArgs, output } from "./_kernel_util.ts";
import { exclusivelyOwned } from "./_pool.ts";
import { wasmAdam } from "./_wasm_adam.ts";

/** Variables at least this long take the WebAssembly SIMD update. */
const WASM_MIN = 64;

/** The fused Adam kernel's name. */
export const ADAM_KERNEL = "SonataAdam";

function adamUpdate({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const cpu = backend as MathBackendCPU;
  const read = (t: TensorInfo) => cpu.data.get(t.dataId).values as Float32Array;
  const x = read(inputs.x!);
  const g = read(inputs.g!);
  const m = read(inputs.m!);
  const v = read(inputs.v!);
  const accBeta1 = read(inputs.accBeta1!)[0];
  const accBeta2 = read(inputs.accBeta2!)[0];
  const lr = attrs!.learningRate as number;
  const beta1 = attrs!.beta1 as number;
  const beta2 = attrs!.beta2 as number;
  const epsilon = attrs!.epsilon as number;
  const n = x.length;
  const xIn = exclusivelyOwned(cpu, inputs.x!.dataId);
  const mIn = exclusivelyOwned(cpu, inputs.m!.dataId);
  const vIn = exclusivelyOwned(cpu, inputs.v!.dataId);
  const x1 = xIn ? x : allocFloat32(n, false);
  const m1 = mIn ? m : allocFloat32(n, false);
  const v1 = vIn ? v : allocFloat32(n, false);
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const bias1 = 1 / (1 - accBeta1);
  const bias2 = 1 / (1 - accBeta2);
  const simd = n >= WASM_MIN &&
    wasmAdam(x, g, m, v, x1, m1, v1, {
      learningRate: lr,
      beta1,
      beta2,
      epsilon,
      accBeta1,
      accBeta2,
    });
  for (let i = 0; i < (simd ? 0 : n); i++) {
    const gi = g[i];
    const mi = m[i] * beta1 + gi * c1;
    const vi = v[i] * beta2 + gi * gi * c2;
    m1[i] = mi;
    v1[i] = vi;
    x1[i] = x[i] - lr * (mi * bias1) / (Math.sqrt(vi * bias2) + epsilon);
  }
  const shape = inputs.x!.shape;
  const result = (input: TensorInfo, inPlace: boolean, values: Float32Array): TensorInfo => {
    if (!inPlace) return output(cpu, shape, values);
    cpu.incRef(input.dataId);
    return { dataId: input.dataId, shape: input.shape, dtype: "float32" };
  };
  return [result(inputs.x!, xIn, x1), result(inputs.m!, mIn, m1), result(inputs.v!, vIn, v1)];
}

/** The kernel configs of the fused Adam update for a backend that stores data as the cpu one. */
export function adamKernels(backendName: string): KernelConfig[] {
  return [{
    kernelName: ADAM_KERNEL,
    backendName,
    kernelFunc: adamUpdate as unknown as KernelConfig["kernelFunc"],
  }];
}
