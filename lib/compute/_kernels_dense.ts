/**
 * Private: the fused dense kernels behind {@linkcode import("./dense.ts").fusedDense}.
 *
 * Kernel `SonataDense`: inputs `x` [n, k], `w` [k, m] and optionally `bias` [m]; attribute
 * `activation` (`linear` or `relu`); output `activation(x·w + bias)` [n, m], in one sgemm and
 * one pass.
 *
 * Kernel `SonataDenseGrad`: inputs `dy` [n, m], `x`, `w` and `y` (the forward output);
 * attributes `activation` and `hasBias`; outputs `dx` [n, k], `dw` [k, m] and, with a bias,
 * `db` [m]: the activation's gradient and the bias gradient in one pass over `dy`, then two
 * sgemm calls. It replaces the step, multiply, two products, transposes, sum and reshapes
 * tfjs records for a dense layer under a gradient tape.
 *
 * @module
 */
import type { KernelConfig, MathBackendCPU, TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";
import type { Sgemm } from "./_blas.ts";
import {
  allocFloat32,
  biasReluInPlace,
  type KernelArgs,
  output,
  scratchBuffer,
} from "./_kernel_util.ts";
import { wasmBiasRelu, wasmReluGradBias } from "./_wasm_dense.ts";

/** The fused dense kernel's name. */
export const DENSE_KERNEL = "SonataDense";
/** The fused dense gradient kernel's name. */
export const DENSE_GRAD_KERNEL = "SonataDenseGrad";

/**
 * A float32 tensor's values as a Float32Array: the cpu backend's Cast of int32 to float32 keeps
 * the Int32Array storage (no encoding loss), whose bits sgemm must not read as floats.
 */
function values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/**
 * g = dy where y > 0, else 0: the relu gradient from the relu's output y (+0, positive or
 * NaN). Branch-free on the bit patterns (a branch mispredicts on half the elements). Unlike
 * tfjs's dy · step(y), a NaN output passes dy through and a zero output gives +0 (not dy · 0).
 */
function reluGrad(g: Float32Array, dy: Float32Array, y: Float32Array, len: number): void {
  const gi = new Int32Array(g.buffer, g.byteOffset, len);
  const di = new Int32Array(dy.buffer, dy.byteOffset, len);
  const yi = new Int32Array(y.buffer, y.byteOffset, len);
  for (let i = 0; i < len; i++) {
    const b = yi[i];
    gi[i] = di[i] & -((b | -b) >>> 31);
  }
}

/**
 * The relu gradient (as {@linkcode reluGrad}) and, in the same pass, the bias gradient
 * db[j] = Σ_i g[i, j], summed in the same order as {@linkcode columnSums}.
 */
function reluGradColumnSums(
  g: Float32Array,
  db: Float32Array,
  dy: Float32Array,
  y: Float32Array,
  n: number,
  m: number,
): void {
  const gi = new Int32Array(g.buffer, g.byteOffset, n * m);
  const di = new Int32Array(dy.buffer, dy.byteOffset, n * m);
  const yi = new Int32Array(y.buffer, y.byteOffset, n * m);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    for (let j = 0; j < m; j++) {
      const b = yi[row + j];
      gi[row + j] = di[row + j] & -((b | -b) >>> 31);
      db[j] += g[row + j];
    }
  }
}

/** db[j] = Σ_i g[i, j] for g [n, m]. */
function columnSums(db: Float32Array, g: Float32Array, n: number, m: number): void {
  for (let i = 0; i < n; i++) {
    const row = i * m;
    for (let j = 0; j < m; j++) db[j] += g[row + j];
  }
}

/** The kernel configs of the fused dense layer for a backend storing data as cpu does. */
export function denseKernels(backendName: string, sgemm: Sgemm): KernelConfig[] {
  const forward = ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const cpu = backend as MathBackendCPU;
    const x = inputs.x!;
    const w = inputs.w!;
    const bias = inputs.bias;
    const [n, k] = x.shape;
    const m = w.shape[1];
    const y = allocFloat32(n * m, false);
    sgemm(false, false, n, m, k, 1, values(cpu, x), k, values(cpu, w), m, 0, y, m);
    const relu = attrs?.activation === "relu";
    if (bias && relu && m > 1) {
      const b = values(cpu, bias);
      if (!wasmBiasRelu(y, b, n, m)) biasReluInPlace(y, [n, m], b, [m]);
    } else {
      if (bias) {
        const b = values(cpu, bias);
        for (let i = 0; i < n * m; i += m) for (let j = 0; j < m; j++) y[i + j] += b[j];
      }
      if (relu) {
        for (let i = 0; i < y.length; i++) {
          const v = y[i];
          const r = (v + Math.abs(v)) * 0.5;
          y[i] = r === r ? r : v === -Infinity ? 0 : r;
        }
      }
    }
    return output(cpu, [n, m], y);
  };

  const backward = ({ inputs, backend, attrs }: KernelArgs): TensorInfo[] => {
    const cpu = backend as MathBackendCPU;
    const dyT = inputs.dy!;
    const [n, m] = dyT.shape;
    const k = inputs.x!.shape[1];
    const dy = values(cpu, dyT);
    const hasBias = Boolean(attrs?.hasBias);
    let g = dy;
    const db = hasBias ? allocFloat32(m, true) : undefined;
    if (attrs?.activation === "relu") {
      const y = values(cpu, inputs.y!);
      g = scratchBuffer(n * m);
      if (db) {
        if (!wasmReluGradBias(g, db, dy, y, n, m)) reluGradColumnSums(g, db, dy, y, n, m);
      } else reluGrad(g, dy, y, n * m);
    } else if (db) {
      columnSums(db, g, n, m);
    }
    const dx = allocFloat32(n * k, false);
    const dw = allocFloat32(k * m, false);
    const wv = values(cpu, inputs.w!);
    const xv = values(cpu, inputs.x!);
    sgemm(false, true, n, k, m, 1, g, m, wv, m, 0, dx, k);
    sgemm(true, false, k, m, n, 1, xv, k, g, m, 0, dw, m);
    const outs = [output(cpu, [n, k], dx), output(cpu, [k, m], dw)];
    if (db) outs.push(output(cpu, [m], db));
    return outs;
  };

  return [
    {
      kernelName: DENSE_KERNEL,
      backendName,
      kernelFunc: forward as unknown as KernelConfig["kernelFunc"],
    },
    {
      kernelName: DENSE_GRAD_KERNEL,
      backendName,
      kernelFunc: backward as unknown as KernelConfig["kernelFunc"],
    },
  ];
}
