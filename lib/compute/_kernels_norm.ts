/**
 * Private: batch normalization (`FusedBatchNorm`) in one pass, and single-pass kernels for
 * the gradients of batch normalization and `Relu6`, which tfjs composes of many full-size
 * elementwise ops (its batch-norm gradient alone runs ~12 full passes and a `Tile`).
 *
 * The gradient kernels are custom kernels of the native backend (`SonataFusedBatchNormGrad`,
 * `SonataRelu6Grad`, `SonataSquareGrad`); {@linkcode installNormGradients} points the
 * `FusedBatchNorm`, `Relu6` and `Square` gradients at them when the native backend runs
 * float32 (channel-last) cases, and `Mean`'s at one `Tile` (tfjs builds a full-size tensor of
 * ones, multiplies and divides), keeping tfjs's gradients otherwise. The moments of a
 * training-mode batch norm (mean, square of the deviation, mean) go through these.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import type { MathBackendCPU, TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";
import {
  allFloat32,
  allocFloat32,
  type KernelArgs,
  type NativeKernel,
  output,
  valuesOf,
} from "./_kernel_util.ts";
import { partsBuffer, planParts, runParts } from "./_par.ts";

/** Adds per-range partial sums ([parts, n]) in range order into a float64 array of n. */
function reduceParts(parts: Float64Array, count: number, n: number, out: Float64Array): void {
  out.set(parts.subarray(0, n));
  for (let p = 1; p < count; p++) {
    const o = p * n;
    for (let j = 0; j < n; j++) out[j] += parts[o + j];
  }
}

/** The custom kernel of the batch-norm gradient. */
export const BATCH_NORM_GRAD_KERNEL = "SonataFusedBatchNormGrad";
/** The custom kernel of the Relu6 gradient. */
export const RELU6_GRAD_KERNEL = "SonataRelu6Grad";
/** The custom kernel of the Square gradient. */
export const SQUARE_GRAD_KERNEL = "SonataSquareGrad";

/**
 * A per-channel parameter's values as a length-`c` array, or undefined when its shape is
 * not a scalar or a vector over the last axis (`[c]`, `[1, …, 1, c]`).
 */
function perChannel(
  backend: MathBackendCPU,
  t: TensorInfo | undefined,
  c: number,
  fill: number,
): Float32Array | undefined {
  if (t === undefined) return new Float32Array(c).fill(fill);
  const v = valuesOf(backend, t);
  for (let i = 0; i < t.shape.length - 1; i++) if (t.shape[i] !== 1) return undefined;
  if (v.length === c) return v;
  if (v.length === 1) return new Float32Array(c).fill(v[0]);
  return undefined;
}

/** y = offset + (x − mean) · scale / √(variance + ε), per channel of the last axis. */
const fusedBatchNorm: NativeKernel = ({ inputs, backend, attrs }) => {
  const { x, mean, variance, offset, scale } = inputs;
  if (!x || !mean || !variance) return undefined;
  if (!allFloat32(backend, x, mean, variance, offset, scale)) return undefined;
  const c = x.shape[x.shape.length - 1] ?? 1;
  if (x.shape.length === 0 || c === 0) return undefined;
  const eps = (attrs?.varianceEpsilon as number | undefined) ?? 0.001;
  const m = perChannel(backend, mean, c, 0);
  const v = perChannel(backend, variance, c, 1);
  const o = perChannel(backend, offset, c, 0);
  const s = perChannel(backend, scale, c, 1);
  if (!m || !v || !o || !s) return undefined;
  const k = new Float32Array(c);
  for (let j = 0; j < c; j++) k[j] = s[j] / Math.sqrt(v[j] + eps);
  const xv = valuesOf(backend, x);
  const y = allocFloat32(xv.length, false);
  const rows = xv.length / c;
  runParts("bnApply", [xv, y, o, m, k, c], rows, planParts(rows, xv.length, [xv, y]));
  return output(backend, x.shape, y);
};

/**
 * The gradient of `FusedBatchNorm` with `mean`, `variance` and `scale` vectors over the
 * last axis: [dx, dmean, dvariance, dscale, doffset] from x, dy (one pass over both).
 */
export const batchNormGrad = ({ inputs, backend, attrs }: KernelArgs): TensorInfo[] => {
  const { x, dy, mean, variance, scale } = inputs as Record<string, TensorInfo | undefined>;
  const c = x!.shape[x!.shape.length - 1];
  const eps = attrs!.varianceEpsilon as number;
  const xv = valuesOf(backend, x!);
  const dyv = valuesOf(backend, dy!);
  const m = valuesOf(backend, mean!);
  const v = valuesOf(backend, variance!);
  const s = scale ? valuesOf(backend, scale) : new Float32Array(c).fill(1);
  // tfjs: rsqrt(variance + ε) in float32.
  const rs = new Float32Array(c);
  const k = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    rs[j] = 1 / Math.sqrt(Math.fround(v[j] + eps));
    k[j] = rs[j] * s[j];
  }
  const dx = allocFloat32(xv.length, false);
  const rows = c === 0 ? 0 : xv.length / c;
  const nParts = planParts(rows, 2 * xv.length, [xv, dyv, dx]);
  const parts = partsBuffer(nParts, 2 * c);
  runParts("bnFusedGrad", [xv, dyv, m, k, c, dx, parts], rows, nParts);
  const sums = new Float64Array(2 * c);
  reduceParts(parts, nParts, 2 * c, sums);
  const sumDy = sums.subarray(0, c);
  const sumDyXm = sums.subarray(c);
  const dMean = new Float32Array(c);
  const dVar = new Float32Array(c);
  const dScale = new Float32Array(c);
  const dOffset = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    dMean[j] = -k[j] * sumDy[j];
    dVar[j] = -0.5 * rs[j] * rs[j] * rs[j] * s[j] * sumDyXm[j];
    dScale[j] = rs[j] * sumDyXm[j];
    dOffset[j] = sumDy[j];
  }
  return [
    output(backend, x!.shape, dx),
    output(backend, mean!.shape, dMean),
    output(backend, mean!.shape, dVar),
    output(backend, mean!.shape, dScale),
    output(backend, mean!.shape, dOffset),
  ];
};

/** dx = dy where 0 < x ≤ 6, else 0 (NaN where x is NaN), as tfjs's Relu6 gradient. */
export const relu6Grad = ({ inputs, backend }: KernelArgs): TensorInfo => {
  const xv = valuesOf(backend, inputs.x!);
  const dyv = valuesOf(backend, inputs.dy!);
  const dx = allocFloat32(xv.length, false);
  // Branch-free on the bit patterns (see `_par_ops.ts`), split over threads when large.
  const n = xv.length;
  runParts("relu6Grad", [xv, dyv, dx], n, planParts(n, n, [xv, dyv, dx]));
  return output(backend, inputs.x!.shape, dx);
};

/** dx = 2 · x · dy, as tfjs's Square gradient, in one pass. */
export const squareGrad = ({ inputs, backend }: KernelArgs): TensorInfo => {
  const xv = valuesOf(backend, inputs.x!);
  const dyv = valuesOf(backend, inputs.dy!);
  const dx = allocFloat32(xv.length, false);
  for (let i = 0; i < xv.length; i++) dx[i] = dyv[i] * (xv[i] * 2);
  return output(backend, inputs.x!.shape, dx);
};

/** The custom kernel of a training-mode batch norm (statistics and normalization). */
export const BATCH_NORM_TRAIN_KERNEL = "SonataBatchNormTrain";
/** The custom kernel of its whole backward pass. */
export const BATCH_NORM_TRAIN_GRAD_KERNEL = "SonataBatchNormTrainGrad";

/**
 * Training-mode batch norm over every axis but the last: [y, mean, variance] from x, a
 * per-channel `scale` and `offset` (vectors of length c). The statistics are the batch's
 * (variance biased, as `tf.moments`), summed in float64 about the first row (so a large mean
 * does not cancel the variance) in one pass; the normalization is a second pass, the same
 * arithmetic as `FusedBatchNorm` on the float32 statistics.
 */
export const batchNormTrain = ({ inputs, backend, attrs }: KernelArgs): TensorInfo[] => {
  const { x, scale, offset } = inputs as Record<string, TensorInfo>;
  const c = x.shape[x.shape.length - 1];
  const eps = attrs!.varianceEpsilon as number;
  const xv = valuesOf(backend, x);
  const s = valuesOf(backend, scale);
  const o = valuesOf(backend, offset);
  const rows = c === 0 ? 0 : xv.length / c;
  const pilot = new Float64Array(c);
  if (rows > 0) { for (let j = 0; j < c; j++) pilot[j] = xv[j]; }
  const y = allocFloat32(xv.length, false);
  const nParts = planParts(rows, xv.length, [xv, y]);
  const parts = partsBuffer(nParts, 2 * c);
  runParts("bnStats", [xv, pilot, c, parts], rows, nParts);
  const sums = new Float64Array(2 * c);
  reduceParts(parts, nParts, 2 * c, sums);
  const s1 = sums.subarray(0, c);
  const s2 = sums.subarray(c);
  const mean = new Float32Array(c);
  const variance = new Float32Array(c);
  const m = new Float64Array(c);
  const k = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const d = s1[j] / rows;
    mean[j] = pilot[j] + d;
    variance[j] = Math.max(0, s2[j] / rows - d * d);
    m[j] = mean[j];
    k[j] = s[j] / Math.sqrt(variance[j] + eps);
  }
  runParts("bnApply", [xv, y, o, m, k, c], rows, nParts);
  return [
    output(backend, x.shape, y),
    output(backend, scale.shape, mean),
    output(backend, scale.shape, variance),
  ];
};

/**
 * The backward pass of {@linkcode batchNormTrain}: [dx, dscale, doffset] from x, dy, the
 * saved scale, mean and variance and the gradients of the mean and variance outputs, in two
 * passes (the per-channel sums of dy and dy·(x − mean), then dx).
 *
 * dx = a·dy + b·(x − mean) + e per channel, with r = 1/√(variance + ε), n rows:
 * a = scale·r, b = 2·dvariance/n − scale·r³·Σdy(x − mean)/n, e = dmean/n − scale·r·Σdy/n.
 */
export const batchNormTrainGrad = ({ inputs, backend, attrs }: KernelArgs): TensorInfo[] => {
  const { x, dy, scale, mean, variance, dmean, dvariance } = inputs as Record<
    string,
    TensorInfo
  >;
  const c = x.shape[x.shape.length - 1];
  const eps = attrs!.varianceEpsilon as number;
  const xv = valuesOf(backend, x);
  const dyv = valuesOf(backend, dy);
  const s = valuesOf(backend, scale);
  const mv = valuesOf(backend, mean);
  const vv = valuesOf(backend, variance);
  const dm = valuesOf(backend, dmean);
  const dv = valuesOf(backend, dvariance);
  const rows = c === 0 ? 0 : xv.length / c;
  const m = new Float64Array(c);
  for (let j = 0; j < c; j++) m[j] = mv[j];
  const dx = allocFloat32(xv.length, false);
  const nParts = planParts(rows, 2 * xv.length, [xv, dyv, dx]);
  const parts = partsBuffer(nParts, 2 * c);
  runParts("bnGradSums", [xv, dyv, m, c, parts], rows, nParts);
  const sums = new Float64Array(2 * c);
  reduceParts(parts, nParts, 2 * c, sums);
  const sumDy = sums.subarray(0, c);
  const sumDyXm = sums.subarray(c);
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  const e = new Float64Array(c);
  const dScale = new Float32Array(c);
  const dOffset = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const r = 1 / Math.sqrt(vv[j] + eps);
    a[j] = s[j] * r;
    b[j] = (2 * dv[j] - s[j] * r * r * r * sumDyXm[j]) / rows;
    e[j] = (dm[j] - s[j] * r * sumDy[j]) / rows;
    dScale[j] = r * sumDyXm[j];
    dOffset[j] = sumDy[j];
  }
  runParts("bnGradApply", [xv, dyv, dx, a, b, e, m, c], rows, nParts);
  return [
    output(backend, x.shape, dx),
    output(backend, scale.shape, dScale),
    output(backend, scale.shape, dOffset),
  ];
};

/** The batch-norm forward kernel (replaces the cpu kernel). */
export function normKernels(): Record<string, NativeKernel> {
  return { FusedBatchNorm: fusedBatchNorm };
}

/** The custom gradient kernels of `backendName`. */
export function normGradKernels(backendName: string): tf.KernelConfig[] {
  return [
    {
      kernelName: BATCH_NORM_GRAD_KERNEL,
      backendName,
      kernelFunc: batchNormGrad as unknown as tf.KernelFunc,
    },
    {
      kernelName: RELU6_GRAD_KERNEL,
      backendName,
      kernelFunc: relu6Grad as unknown as tf.KernelFunc,
    },
    {
      kernelName: SQUARE_GRAD_KERNEL,
      backendName,
      kernelFunc: squareGrad as unknown as tf.KernelFunc,
    },
    {
      kernelName: BATCH_NORM_TRAIN_KERNEL,
      backendName,
      kernelFunc: batchNormTrain as unknown as tf.KernelFunc,
    },
    {
      kernelName: BATCH_NORM_TRAIN_GRAD_KERNEL,
      backendName,
      kernelFunc: batchNormTrainGrad as unknown as tf.KernelFunc,
    },
  ];
}

let installed = false;

function isChannelVector(t: tf.Tensor | undefined, c: number): boolean {
  return t === undefined || t === null || (t.rank === 1 && t.shape[0] === c);
}

/**
 * Points the `FusedBatchNorm`, `Relu6`, `Square` and `Mean` gradients at native kernels while
 * `backendName` is the current backend (once per process; tfjs's gradients otherwise).
 */
export function installNormGradients(backendName: string): void {
  if (installed) return;
  const bn = tf.getGradient("FusedBatchNorm");
  const relu6 = tf.getGradient("Relu6");
  const square = tf.getGradient("Square");
  const mean = tf.getGradient("Mean");
  if (!bn || !relu6 || !square || !mean) return;
  installed = true;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN_KERNEL,
    inputsToSave: ["x", "scale"],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dmean, dvariance] = dys as tf.Tensor[];
      const [x, scale, mean, variance] = saved;
      const [dx, dScale, dOffset] = tf.engine().runKernel(
        BATCH_NORM_TRAIN_GRAD_KERNEL,
        { x, dy, scale, mean, variance, dmean, dvariance },
        { varianceEpsilon: attrs.varianceEpsilon },
      ) as tf.Tensor[];
      return { x: () => dx, scale: () => dScale, offset: () => dOffset };
    },
  });
  tf.registerGradient({
    kernelName: "FusedBatchNorm",
    inputsToSave: ["x", "mean", "variance", "scale"],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as Array<tf.Tensor | undefined>;
      const c = x!.shape[x!.rank - 1];
      if (
        Array.isArray(dy) || tf.getBackend() !== backendName || x!.rank === 0 ||
        x!.dtype !== "float32" || dy.dtype !== "float32" || mean!.dtype !== "float32" ||
        variance!.dtype !== "float32" || (scale && scale.dtype !== "float32") ||
        !isChannelVector(mean, c) || !isChannelVector(variance, c) || !isChannelVector(scale, c)
      ) {
        return bn.gradFunc(dy, saved, attrs);
      }
      const inputs: tf.NamedTensorMap = { x: x!, dy, mean: mean!, variance: variance! };
      if (scale) inputs.scale = scale;
      const [dx, dMean, dVar, dScale, dOffset] = tf.engine().runKernel(
        BATCH_NORM_GRAD_KERNEL,
        inputs,
        { varianceEpsilon: attrs.varianceEpsilon },
      ) as tf.Tensor[];
      return {
        x: () => dx,
        mean: () => dMean,
        variance: () => dVar,
        scale: () => dScale,
        offset: () => dOffset,
      };
    },
  });
  // Relu6 and Square: one native pass from dy and x (float32 on this backend), else tfjs's own.
  for (
    const [kernelName, fallback, native] of [
      ["Relu6", relu6, RELU6_GRAD_KERNEL],
      ["Square", square, SQUARE_GRAD_KERNEL],
    ] as const
  ) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ["x"],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        if (
          Array.isArray(dy) || tf.getBackend() !== backendName || x.dtype !== "float32" ||
          dy.dtype !== "float32"
        ) {
          return fallback.gradFunc(dy, saved, attrs);
        }
        return { x: () => tf.engine().runKernel(native, { dy, x }) as tf.Tensor };
      },
    });
  }
  // tfjs multiplies dy by a full-size tensor of ones, then divides: here one Tile of dy / n.
  tf.registerGradient({
    kernelName: "Mean",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (Array.isArray(dy) || tf.getBackend() !== backendName || dy.dtype !== "float32") {
        return mean.gradFunc(dy, saved, attrs);
      }
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      let n = 1;
      const expanded = x.shape.slice();
      const reps = x.shape.map(() => 1);
      for (const a of axes) {
        n *= x.shape[a];
        expanded[a] = 1;
        reps[a] = x.shape[a];
      }
      return { x: () => tf.tile(tf.div(tf.reshape(dy, expanded), n), reps) };
    },
  });
}
