/**
 * Private: an O(1)-kernel gradient for `Tile`.
 *
 * tfjs's gradient of `tile(x, reps)` loops over every tile: one `slice` of `dy` and one `add`
 * per tile, `2 · ∏ reps` kernels (and rank ≤ 4 only). tfjs-layers' `LayerNormalization` tiles
 * its `gamma` and `beta` ([1, …, 1, C]) to the input's full shape before
 * `batchNormalization`, so on a `[4, 56, 56, 64]` input the backward of one layer norm runs
 * about 50,000 tiny kernels. This gradient reshapes `dy` from `[r0·d0, r1·d1, …]` to
 * `[r0, d0, r1, d1, …]` (only the axes with a repeat > 1 are split) and sums over the repeat
 * axes: 2 kernels whatever the repeats, any rank.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";

let installed = false;

/** `tile(x, reps)`'s gradient with respect to `x` for the upstream gradient `dy`. */
export function tileGradient(
  dy: tf.Tensor,
  xShape: readonly number[],
  reps: readonly number[],
): tf.Tensor {
  const split: number[] = [];
  const axes: number[] = [];
  for (let i = 0; i < xShape.length; i++) {
    if (reps[i] !== 1) {
      axes.push(split.length);
      split.push(reps[i]);
    }
    split.push(xShape[i]);
  }
  if (axes.length === 0) return tf.reshape(dy, [...xShape]);
  return tf.sum(tf.reshape(dy, split), axes);
}

/** Registers the reshape-and-sum gradient of `Tile` (once per process; all backends). */
export function installTileGradient(): void {
  if (installed) return;
  if (!tf.getGradient("Tile")) return;
  installed = true;
  tf.registerGradient({
    kernelName: "Tile",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const reps = attrs.reps as number[];
      return { x: () => tileGradient(dy as tf.Tensor, x.shape, reps) };
    },
  });
}
