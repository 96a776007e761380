/**
 * Private: a shorter gradient for `GatherV2` along axis 0 (embedding lookups).
 *
 * tfjs's gradient reshapes `dy` and the indices, transposes `dy` to put the gathered axis
 * first, sums segments and transposes back. Along axis 0 (without batch dimensions) both
 * transposes are the identity permutation, i.e. copies: this gradient skips them (3 kernels
 * instead of 5 under the tape, the same unsorted segment sum over the same values, so the same
 * result). Other axes keep tfjs's gradient.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";

let installed = false;

/** Registers the axis-0 gradient of `GatherV2` (once per process; all backends). */
export function installGatherGradient(): void {
  if (installed) return;
  const original = tf.getGradient("GatherV2");
  if (!original) return;
  installed = true;
  tf.registerGradient({
    kernelName: "GatherV2",
    inputsToSave: ["x", "indices"],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved;
      const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
      if (axis !== 0 || Array.isArray(dy) || ((attrs.batchDims as number | undefined) ?? 0) !== 0) {
        return original.gradFunc(dy, saved, attrs);
      }
      return {
        x: () =>
          tf.unsortedSegmentSum(
            tf.reshape(dy, [indices.size, ...x.shape.slice(1)]),
            tf.reshape(indices, [indices.size]),
            x.shape[0],
          ),
        indices: () => indices,
      };
    },
  });
}
