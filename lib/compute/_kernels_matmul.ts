/**
 * Private: BatchMatMul and _FusedMatMul through the BLAS sgemm.
 *
 * @module
 */
import type { TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";
import type { Sgemm } from "./_blas.ts";
import {
  activateInPlace,
  addBiasInPlace,
  allFloat32,
  allocFloat32,
  biasReluInPlace,
  broadcastsInto,
  type KernelArgs,
  type NativeKernel,
  output,
  sizeOf,
  valuesOf,
} from "./_kernel_util.ts";

interface MatMulPlan {
  outShape: number[];
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
}

function plan(
  a: TensorInfo,
  b: TensorInfo,
  transA: boolean,
  transB: boolean,
): MatMulPlan | undefined {
  const ar = a.shape.length;
  const br = b.shape.length;
  if (ar < 2 || br < 2) return undefined;
  const k = transA ? a.shape[ar - 2] : a.shape[ar - 1];
  const kB = transB ? b.shape[br - 1] : b.shape[br - 2];
  if (k !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transA} and transposeB=${transB} must match.`,
    );
  }
  const m = transA ? a.shape[ar - 1] : a.shape[ar - 2];
  const n = transB ? b.shape[br - 2] : b.shape[br - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  const outer = broadcastShape(outerA, outerB);
  if (outer === undefined) return undefined;
  return {
    outShape: [...outer, m, n],
    batch: Math.max(batchA, batchB),
    batchA,
    batchB,
    m,
    n,
    k,
  };
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Computes the (batched) product into a new Float32Array; batches are indexed as the cpu
 * kernel indexes them (batch i uses A[i % batchA] and B[i % batchB]).
 */
function product(
  sgemm: Sgemm,
  p: MatMulPlan,
  aVals: Float32Array,
  bVals: Float32Array,
  transA: boolean,
  transB: boolean,
): Float32Array {
  const { batch, batchA, batchB, m, n, k } = p;
  const out = allocFloat32(batch * m * n, false);
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  if (batchB === 1 && !transA && batchA === batch) {
    // A's batches stack into one tall matrix against a shared B.
    sgemm(false, transB, batch * m, n, k, 1, aVals, lda, bVals, ldb, 0, out, n);
    return out;
  }
  const aSize = m * k;
  const bSize = k * n;
  const cSize = m * n;
  for (let i = 0; i < batch; i++) {
    const ia = (i % batchA) * aSize;
    const ib = (i % batchB) * bSize;
    sgemm(
      transA,
      transB,
      m,
      n,
      k,
      1,
      batchA === 1 ? aVals : aVals.subarray(ia, ia + aSize),
      lda,
      batchB === 1 ? bVals : bVals.subarray(ib, ib + bSize),
      ldb,
      0,
      batch === 1 ? out : out.subarray(i * cSize, (i + 1) * cSize),
      n,
    );
  }
  return out;
}

/** The BatchMatMul and _FusedMatMul kernels. */
export function matMulKernels(sgemm: Sgemm): Record<string, NativeKernel> {
  const batchMatMul: NativeKernel = ({ inputs, backend, attrs }: KernelArgs) => {
    const a = inputs.a!;
    const b = inputs.b!;
    if (!allFloat32(backend, a, b)) return undefined;
    const transA = Boolean(attrs?.transposeA);
    const transB = Boolean(attrs?.transposeB);
    const p = plan(a, b, transA, transB);
    if (!p) return undefined;
    const out = product(sgemm, p, valuesOf(backend, a), valuesOf(backend, b), transA, transB);
    return output(backend, p.outShape, out);
  };

  const fusedMatMul: NativeKernel = ({ inputs, backend, attrs }: KernelArgs) => {
    const { a, b, bias, preluActivationWeights: alpha } = inputs as Record<
      string,
      TensorInfo | undefined
    >;
    if (!a || !b || !allFloat32(backend, a, b, bias, alpha)) return undefined;
    const transA = Boolean(attrs?.transposeA);
    const transB = Boolean(attrs?.transposeB);
    const activation = (attrs?.activation as string | undefined) ?? "linear";
    const p = plan(a, b, transA, transB);
    if (!p) return undefined;
    if (bias && !biasFits(bias.shape, p.outShape)) return undefined;
    if (activation === "prelu" && (!alpha || !biasFits(alpha.shape, p.outShape))) {
      return undefined;
    }
    if (!KNOWN_ACTIVATIONS.has(activation)) return undefined;
    const out = product(sgemm, p, valuesOf(backend, a), valuesOf(backend, b), transA, transB);
    if (
      bias && activation === "relu" &&
      biasReluInPlace(out, p.outShape, valuesOf(backend, bias), bias.shape)
    ) {
      return output(backend, p.outShape, out);
    }
    if (bias) addBiasInPlace(out, p.outShape, valuesOf(backend, bias), bias.shape);
    const ok = activateInPlace(
      out,
      p.outShape,
      activation,
      attrs?.leakyreluAlpha as number | undefined,
      alpha ? valuesOf(backend, alpha) : undefined,
      alpha?.shape,
    );
    if (!ok) return undefined;
    return output(backend, p.outShape, out);
  };

  return { BatchMatMul: batchMatMul, _FusedMatMul: fusedMatMul };
}

const KNOWN_ACTIVATIONS = new Set([
  "linear",
  "relu",
  "relu6",
  "elu",
  "leakyrelu",
  "prelu",
  "sigmoid",
]);

/** Whether a bias is a scalar, a last-axis vector or the full output shape. */
export function biasFits(biasShape: readonly number[], outShape: readonly number[]): boolean {
  if (!broadcastsInto(biasShape, outShape)) return false;
  const size = sizeOf(biasShape);
  const last = outShape[outShape.length - 1] ?? 1;
  if (size === 1 || size === sizeOf(outShape)) return true;
  if (size !== last || biasShape[biasShape.length - 1] !== last) return false;
  for (let i = 0; i < biasShape.length - 1; i++) if (biasShape[i] !== 1) return false;
  return true;
}

/** Whether a prelu alpha applies in place (scalar, last-axis vector or full shape). */
export const preluFits: (alphaShape: readonly number[], outShape: readonly number[]) => boolean =
  biasFits;
