/**
 * The contract of a loss implementation ({@linkcode LossImpl}) and the pieces several losses
 * share: class-weight vectors, the robust-lambda / confidence-penalty wrapper and flattening.
 * A loss's registry entry (lib/config/losses.ts) reaches its implementation only through its
 * `load()`; `createLoss` (lib/train/losses.ts) looks the entry up and calls `create`.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";

/** Loss of one output feature for a batch: a scalar tensor. */
export type LossFn = (logits: tf.Tensor, targets: tf.Tensor) => tf.Scalar;

/** What a loss knows about the output feature it scores. */
export interface LossContext {
  /** The output feature's name (for error messages). */
  readonly feature: string;
  /** Size of the logits' last axis (classes, vocabulary, vector size; 1 for scalars). */
  readonly classes: number;
  /** The feature's training-set metadata (`idx2str`, `pad_idx`, …; `{}` when absent). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** One loss's implementation. */
export interface LossImpl {
  /** The loss function of a resolved loss config (`feature.loss`). */
  create(config: Readonly<Record<string, unknown>>, ctx: LossContext): LossFn;
  /**
   * Probabilities from this loss's logits, when they are not the output type's own rule
   * (CORN's ordinal logits); absent: the type's `probability` capability applies.
   */
  probabilities?(logits: tf.Tensor, classes: number): tf.Tensor;
}

/** Class weights as a vector in vocabulary order (a list, or label → weight with 1 default). */
export function classWeightVector(
  weights: unknown,
  idx2str: readonly string[] | undefined,
  classes: number,
): tf.Tensor1D | undefined {
  if (weights === null || weights === undefined) return undefined;
  if (Array.isArray(weights)) {
    if (weights.length !== classes) {
      throw new RangeError(
        `Cannot train: loss.class_weights has ${weights.length} values: expected one per class (${classes}: ${
          (idx2str ?? []).join(", ")
        })`,
      );
    }
    return tf.tensor1d(weights as number[]);
  }
  const map = weights as Record<string, number>;
  const labels = idx2str ?? [];
  for (const key of Object.keys(map)) {
    if (!labels.includes(key)) {
      throw new RangeError(
        `Cannot train: loss.class_weights names class ${
          JSON.stringify(key)
        }, which is not in the vocabulary`,
      );
    }
  }
  return tf.tensor1d(Array.from({ length: classes }, (_, i) => map[labels[i]] ?? 1));
}

/** Mean of (max entropy − entropy) / max entropy over the batch (Ludwig's confidence penalty). */
function confidencePenalty(probabilities: tf.Tensor, classes: number): tf.Scalar {
  const maxEntropy = Math.log(classes);
  const p = tf.clipByValue(probabilities, 1e-12, 1);
  const entropy = tf.neg(tf.sum(tf.mul(p, tf.log(p)), -1));
  return tf.mean(tf.div(tf.sub(maxEntropy, entropy), maxEntropy)) as tf.Scalar;
}

/** `base` with `robust_lambda` and `confidence_penalty` of the loss config applied. */
export function withRobustAndPenalty(
  base: tf.Scalar,
  probabilities: () => tf.Tensor,
  classes: number,
  loss: Readonly<Record<string, unknown>>,
): tf.Scalar {
  let out = base;
  const lambda = (loss.robust_lambda as number | undefined) ?? 0;
  if (lambda > 0) out = tf.add(tf.mul(out, 1 - lambda), lambda / classes) as tf.Scalar;
  const penalty = (loss.confidence_penalty as number | undefined) ?? 0;
  if (penalty > 0) {
    out = tf.add(out, tf.mul(penalty, confidencePenalty(probabilities(), classes))) as tf.Scalar;
  }
  return out;
}

/** A tensor as a vector. */
export function flat(t: tf.Tensor): tf.Tensor1D {
  return tf.reshape(t, [-1]) as tf.Tensor1D;
}
