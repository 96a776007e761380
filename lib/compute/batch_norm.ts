/**
 * Training-mode batch normalization as one native kernel forward and one backward, where the
 * native backend runs: what `tf.moments` followed by `tf.batchNorm` computes (the batch mean
 * and biased variance over every axis but the last, then the normalization), without the
 * ~8 full-size passes that composition and its gradients make per layer.
 *
 * @example Normalize a batch on the native backend
 * ```ts ignore
 * import { tf } from "./mod.ts";
 * import { batchNormTraining } from "./batch_norm.ts";
 *
 * const x = tf.randomNormal([8, 4, 4, 3]);
 * const r = batchNormTraining(x, tf.ones([3]), tf.zeros([3]), 1e-5);
 * // undefined unless the native backend is current
 * r?.y.print();
 * ```
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import { BATCH_NORM_TRAIN_KERNEL } from "./_kernels_norm.ts";
import { NATIVE_BACKEND } from "./native.ts";

/** What {@linkcode batchNormTraining} returns. */
export interface BatchNormTrainingResult {
  /** The normalized, scaled and shifted input. */
  y: tf.Tensor;
  /** The batch mean per channel, `[c]`. */
  mean: tf.Tensor1D;
  /** The batch variance per channel (biased, as `tf.moments`), `[c]`. */
  variance: tf.Tensor1D;
}

/**
 * `scale · (x − mean) / √(variance + ε) + offset` with the batch's statistics over every
 * axis but the last, differentiable in `x`, `scale` and `offset` (and through the returned
 * statistics), as one native kernel; undefined (compute it with tfjs ops) unless the native
 * backend is current, `x` is float32 of rank ≥ 2 with a non-empty batch, and `scale` and
 * `offset` are float32 vectors over the last axis.
 *
 * @param x the input, channels last
 * @param scale per-channel scale (gamma), `[c]`
 * @param offset per-channel offset (beta), `[c]`
 * @param varianceEpsilon added to the variance
 * @returns the output and the batch statistics, or undefined
 */
export function batchNormTraining(
  x: tf.Tensor,
  scale: tf.Tensor,
  offset: tf.Tensor,
  varianceEpsilon: number,
): BatchNormTrainingResult | undefined {
  if (tf.getBackend() !== NATIVE_BACKEND) return undefined;
  if (!tf.getKernel(BATCH_NORM_TRAIN_KERNEL, NATIVE_BACKEND)) return undefined;
  if (x.rank < 2 || x.dtype !== "float32" || x.size === 0) return undefined;
  const c = x.shape[x.rank - 1];
  for (const t of [scale, offset]) {
    if (t.rank !== 1 || t.shape[0] !== c || t.dtype !== "float32") return undefined;
  }
  const [y, mean, variance] = tf.engine().runKernel(
    BATCH_NORM_TRAIN_KERNEL,
    { x, scale, offset },
    { varianceEpsilon },
  ) as tf.Tensor[];
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
