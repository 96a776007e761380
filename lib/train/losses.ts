/**
 * Loss functions of reference §6, on logits (or values) and preprocessed targets, with their
 * parameters: class weights, positive class weight, robust lambda, confidence penalty, class
 * similarities, Huber delta. Also how each loss turns logits into probabilities (CORN's ordinal
 * logits differ from softmax's).
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { featureEntry } from "../config/components.ts";
import type { OutputFeatureConfig } from "../config/model.ts";
import { paddingIdOf, sequenceLoss } from "./_sequence_losses.ts";

type Obj = Record<string, unknown>;

/** Loss of one output feature for a batch: a scalar tensor. */
export type LossFn = (logits: tf.Tensor, targets: tf.Tensor) => tf.Scalar;

/** Class weights as a vector in vocabulary order (a list, or label → weight with 1 default). */
function classWeightVector(
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

function withRobustAndPenalty(
  base: tf.Scalar,
  probabilities: () => tf.Tensor,
  classes: number,
  loss: Obj,
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

function flat(t: tf.Tensor): tf.Tensor1D {
  return tf.reshape(t, [-1]) as tf.Tensor1D;
}

/** The loss function of an output feature. */
export function createLoss(feature: OutputFeatureConfig, metadata: Obj, classes: number): LossFn {
  const loss = feature.loss as Obj & { type: string };
  const idx2str = metadata.idx2str as string[] | undefined;
  switch (loss.type) {
    case "mean_squared_error":
      return (y, t) => tf.mean(tf.squaredDifference(flat(y), flat(t))) as tf.Scalar;
    case "mean_absolute_error":
      return (y, t) => tf.mean(tf.abs(tf.sub(flat(y), flat(t)))) as tf.Scalar;
    case "root_mean_squared_error":
      return (y, t) => tf.sqrt(tf.mean(tf.squaredDifference(flat(y), flat(t)))) as tf.Scalar;
    case "mean_absolute_percentage_error":
      return (y, t) => {
        const tt = flat(t);
        return tf.mean(
          tf.abs(tf.div(tf.sub(flat(y), tt), tf.maximum(tf.abs(tt), 1e-8))),
        ) as tf.Scalar;
      };
    case "root_mean_squared_percentage_error":
      return (y, t) => {
        const tt = flat(t);
        return tf.sqrt(
          tf.mean(tf.square(tf.div(tf.sub(flat(y), tt), tf.maximum(tf.abs(tt), 1e-8)))),
        ) as tf.Scalar;
      };
    case "huber": {
      const delta = loss.delta as number;
      return (y, t) => {
        const err = tf.abs(tf.sub(flat(y), flat(t)));
        const quadratic = tf.minimum(err, delta);
        const linear = tf.sub(err, quadratic);
        return tf.mean(
          tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear)),
        ) as tf.Scalar;
      };
    }
    case "binary_weighted_cross_entropy": {
      const pos = (loss.positive_class_weight as number | null) ?? 1;
      return (y, t) => {
        const z = flat(y);
        const target = flat(t);
        // Numerically stable: (1 - t) z + (1 + (w - 1) t) log(1 + e^-z), PyTorch's pos_weight form.
        const logWeight = tf.add(1, tf.mul(pos - 1, target));
        const softplusNeg = tf.add(tf.log1p(tf.exp(tf.neg(tf.abs(z)))), tf.relu(tf.neg(z)));
        const base = tf.mean(
          tf.add(tf.mul(tf.sub(1, target), z), tf.mul(logWeight, softplusNeg)),
        ) as tf.Scalar;
        return withRobustAndPenalty(
          base,
          () => {
            const p = tf.sigmoid(z);
            return tf.stack([tf.sub(1, p), p], 1);
          },
          2,
          loss,
        );
      };
    }
    case "softmax_cross_entropy": {
      const weights = classWeightVector(loss.class_weights, idx2str, classes);
      const similarities = loss.class_similarities as number[][] | null;
      const temperature = loss.class_similarities_temperature as number;
      if (
        similarities &&
        (similarities.length !== classes || similarities.some((r) => r.length !== classes))
      ) {
        throw new RangeError(
          `Cannot train output feature ${
            JSON.stringify(feature.name)
          }: loss.class_similarities must be ${classes}×${classes} (one row and column per class)`,
        );
      }
      const soft = similarities && temperature > 0
        ? tf.softmax(tf.div(tf.tensor2d(similarities), temperature), -1)
        : undefined;
      return (y, t) => {
        // Vector outputs carry target distributions [batch, classes]; category outputs carry ids.
        const distribution = t.rank === 2 && t.shape[1] === classes && classes > 1;
        const ids = distribution ? tf.argMax(t, -1) : tf.cast(flat(t), "int32");
        const targets = distribution ? t : soft ? tf.gather(soft, ids) : tf.oneHot(ids, classes);
        const logp = tf.logSoftmax(y, -1);
        const perRow = tf.neg(tf.sum(tf.mul(targets, logp), -1));
        let base: tf.Scalar;
        if (weights) {
          const w = tf.gather(weights, ids);
          base = tf.div(tf.sum(tf.mul(perRow, w)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
        } else base = tf.mean(perRow) as tf.Scalar;
        return withRobustAndPenalty(base, () => tf.softmax(y, -1), classes, loss);
      };
    }
    case "corn":
      // Conditional ordinal regression (Shi et al. 2021): logit k models P(y > k | y > k - 1);
      // rows with y >= k train task k with target y > k. Uses the first classes - 1 logits.
      return (y, t) => {
        const target = flat(t);
        const tasks = classes - 1;
        const logits = tf.slice(y, [0, 0], [-1, tasks]);
        const k = tf.range(0, tasks).reshape([1, tasks]);
        const tt = tf.reshape(target, [-1, 1]);
        const mask = tf.cast(tf.greaterEqual(tt, k), "float32");
        const label = tf.cast(tf.greater(tt, k), "float32");
        const bce = tf.add(
          tf.sub(tf.relu(logits), tf.mul(logits, label)),
          tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
        );
        return tf.div(tf.sum(tf.mul(bce, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
      };
    case "sigmoid_cross_entropy": {
      const weights = classWeightVector(loss.class_weights, idx2str, classes);
      return (y, t) => {
        const bce = tf.add(
          tf.sub(tf.relu(y), tf.mul(y, t)),
          tf.log1p(tf.exp(tf.neg(tf.abs(y)))),
        );
        return tf.mean(weights ? tf.mul(bce, weights) : bce) as tf.Scalar;
      };
    }
    case "sequence_softmax_cross_entropy":
    case "next_token_softmax_cross_entropy":
      return sequenceLoss(loss, {
        feature: feature.name,
        vocabSize: classes,
        paddingId: paddingIdOf(metadata),
        idx2str,
      });
    default:
      throw new TypeError(
        `Cannot train output feature ${JSON.stringify(feature.name)}: loss ${
          JSON.stringify(loss.type)
        } is not implemented in Sonata yet`,
      );
  }
}

/**
 * Probabilities from logits for classification outputs: sigmoid (binary, set), softmax over the
 * last axis (category; sequence and text per position), or CORN's cumulative product of sigmoids turned into class probabilities.
 * Returns undefined for regression outputs.
 */
export function probabilitiesFromLogits(
  lossType: string,
  outputType: string,
  logits: tf.Tensor,
  classes: number,
): tf.Tensor | undefined {
  return tf.tidy(() => {
    if (lossType === "corn") {
      const tasks = classes - 1;
      const cumulative = tf.cumprod(tf.sigmoid(tf.slice(logits, [0, 0], [-1, tasks])), 1); // P(y > k)
      const ones = tf.ones([logits.shape[0], 1]);
      const zeros = tf.zeros([logits.shape[0], 1]);
      const above = tf.concat([ones, cumulative], 1); // P(y > k - 1), k = 0..C-1
      const next = tf.concat([cumulative, zeros], 1); // P(y > k)
      return tf.relu(tf.sub(above, next));
    }
    const probability = featureEntry(outputType)?.output?.probability;
    if (probability === "softmax") return tf.softmax(logits, -1);
    if (probability === "sigmoid") return tf.sigmoid(logits);
    return undefined;
  });
}
