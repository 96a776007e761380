/**
 * Regression losses (number, vector outputs): mean squared / absolute (percentage) errors and
 * Huber, on flattened values.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import { flat, type LossImpl } from "./_common.ts";

/** `mean_squared_error`. */
export const meanSquaredError: LossImpl = {
  create: () => (y, t) => tf.mean(tf.squaredDifference(flat(y), flat(t))) as tf.Scalar,
};

/** `mean_absolute_error`. */
export const meanAbsoluteError: LossImpl = {
  create: () => (y, t) => tf.mean(tf.abs(tf.sub(flat(y), flat(t)))) as tf.Scalar,
};

/** `root_mean_squared_error`. */
export const rootMeanSquaredError: LossImpl = {
  create: () => (y, t) => tf.sqrt(tf.mean(tf.squaredDifference(flat(y), flat(t)))) as tf.Scalar,
};

/** `mean_absolute_percentage_error` (denominators at least 1e-8). */
export const meanAbsolutePercentageError: LossImpl = {
  create: () => (y, t) => {
    const tt = flat(t);
    return tf.mean(tf.abs(tf.div(tf.sub(flat(y), tt), tf.maximum(tf.abs(tt), 1e-8)))) as tf.Scalar;
  },
};

/** `root_mean_squared_percentage_error` (denominators at least 1e-8). */
export const rootMeanSquaredPercentageError: LossImpl = {
  create: () => (y, t) => {
    const tt = flat(t);
    return tf.sqrt(
      tf.mean(tf.square(tf.div(tf.sub(flat(y), tt), tf.maximum(tf.abs(tt), 1e-8)))),
    ) as tf.Scalar;
  },
};

/** `huber`: quadratic below `delta`, linear above. */
export const huber: LossImpl = {
  create(config) {
    const delta = config.delta as number;
    return (y, t) => {
      const err = tf.abs(tf.sub(flat(y), flat(t)));
      const quadratic = tf.minimum(err, delta);
      const linear = tf.sub(err, quadratic);
      return tf.mean(
        tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear)),
      ) as tf.Scalar;
    };
  },
};
