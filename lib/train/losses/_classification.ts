/**
 * Classification losses: weighted binary cross entropy (binary), softmax cross entropy with
 * class weights and similarities (category; vector targets that are distributions), CORN
 * (ordered categories, with its own probabilities) and per-class sigmoid cross entropy (set).
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import { classWeightVector, flat, type LossImpl, withRobustAndPenalty } from "./_common.ts";

/** `binary_weighted_cross_entropy` with `positive_class_weight`, robust lambda and penalty. */
export const binaryWeightedCrossEntropy: LossImpl = {
  create(loss) {
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
  },
};

/** `softmax_cross_entropy` with class weights, class similarities, robust lambda and penalty. */
export const softmaxCrossEntropy: LossImpl = {
  create(loss, { feature, classes, metadata }) {
    const idx2str = metadata.idx2str as string[] | undefined;
    const weights = classWeightVector(loss.class_weights, idx2str, classes);
    const similarities = loss.class_similarities as number[][] | null;
    const temperature = loss.class_similarities_temperature as number;
    if (
      similarities &&
      (similarities.length !== classes || similarities.some((r) => r.length !== classes))
    ) {
      throw new RangeError(
        `Cannot train output feature ${
          JSON.stringify(feature)
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
  },
};

/**
 * `corn`: conditional ordinal regression (Shi et al. 2021). Logit k models P(y > k | y > k − 1);
 * rows with y ≥ k train task k with target y > k. Uses the first classes − 1 logits; its
 * probabilities are differences of the cumulative products of sigmoids.
 */
export const corn: LossImpl = {
  create(_loss, { classes }) {
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
  },
  probabilities(logits, classes) {
    const tasks = classes - 1;
    const cumulative = tf.cumprod(tf.sigmoid(tf.slice(logits, [0, 0], [-1, tasks])), 1); // P(y > k)
    const ones = tf.ones([logits.shape[0], 1]);
    const zeros = tf.zeros([logits.shape[0], 1]);
    const above = tf.concat([ones, cumulative], 1); // P(y > k - 1), k = 0..C-1
    const next = tf.concat([cumulative, zeros], 1); // P(y > k)
    return tf.relu(tf.sub(above, next));
  },
};

/** `sigmoid_cross_entropy` per class, with class weights (multi-label sets). */
export const sigmoidCrossEntropy: LossImpl = {
  create(loss, { classes, metadata }) {
    const weights = classWeightVector(
      loss.class_weights,
      metadata.idx2str as string[] | undefined,
      classes,
    );
    return (y, t) => {
      const bce = tf.add(
        tf.sub(tf.relu(y), tf.mul(y, t)),
        tf.log1p(tf.exp(tf.neg(tf.abs(y)))),
      );
      return tf.mean(weights ? tf.mul(bce, weights) : bce) as tf.Scalar;
    };
  },
};
