// GatherV2's axis-0 gradient (lib/compute/_gather_grad.ts) equals tfjs's (reshape, transpose,
// unsorted segment sum, transpose back) bit for bit; other axes keep tfjs's gradient.
import assert from "node:assert/strict";
import { ready, tf } from "../../lib/compute/mod.ts";
import { NO_NATIVE } from "./_compare.ts";

/** tfjs's gradient of gather along `axis` (batchDims 0), spelled out. */
function tfjsGatherGrad(dy: tf.Tensor, x: tf.Tensor, indices: tf.Tensor, axis: number): tf.Tensor {
  const outer = x.shape.slice(0, axis);
  const inner = x.shape.slice(axis + 1);
  const values = tf.reshape(dy, [...outer, indices.size, ...inner]);
  const perm = [
    outer.length,
    ...outer.map((_, i) => i),
    ...inner.map((_, i) => outer.length + 1 + i),
  ];
  const undo = perm.map((_, i) => perm.indexOf(i));
  const summed = tf.unsortedSegmentSum(
    tf.transpose(values, perm),
    tf.reshape(indices, [indices.size]),
    x.shape[axis],
  );
  return tf.transpose(summed, undo);
}

Deno.test({
  name: "gather's gradient equals tfjs's along every axis",
  ignore: NO_NATIVE !== undefined,
  async fn() {
    await ready({ compute: "native", quiet: true });
    const cases: [number[], number[], number][] = [
      [[50, 8], [7, 3], 0],
      [[50, 8], [256], 0],
      [[50, 8], [9], 1],
      [[10, 4, 3], [6], 0],
      [[10, 4, 3], [2, 2], 1],
    ];
    for (const [shape, indexShape, axis] of cases) {
      tf.tidy(() => {
        const x = tf.randomNormal(shape, 0, 1, "float32", 3);
        const size = indexShape.reduce((a, b) => a * b, 1);
        const indices = tf.tensor(
          Array.from({ length: size }, (_, i) => (i * 7) % shape[axis]),
          indexShape,
          "int32",
        );
        const w = tf.randomNormal(tf.gather(x, indices, axis).shape, 0, 1, "float32", 5);
        const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, indices, axis), w)))(x);
        const expected = tfjsGatherGrad(w, x, indices, axis);
        assert.deepEqual(grad.shape, expected.shape);
        assert.deepEqual(
          new Uint32Array(grad.dataSync().buffer),
          new Uint32Array(expected.dataSync().buffer),
          `${JSON.stringify(shape)} axis ${axis}`,
        );
      });
    }
  },
});
