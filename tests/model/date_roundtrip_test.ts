// A date → number model predicts the same after save → load on the default engine. The loaded
// model's Dense layers are FastDense (the fused native kernel), whose input, a date column cast
// from int32, is a float32 tensor still stored as an Int32Array by the cpu backend's Cast: the
// kernel read those bits as floats (895.0 before, 0.798 after).
import { deepStrictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Model } from "../../mod.ts";
import { fusedDense, fusedDenseAvailable, ready, tf } from "../../lib/compute/mod.ts";

const ROWS = Array.from({ length: 60 }, (_, i) => ({
  d: `2020-0${1 + (i % 9)}-${10 + (i % 18)}`,
  y: i * 10.5,
}));

Deno.test("a date → number model predicts identically after save → load", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_date_" });
  try {
    const model = await Model.create({
      input_features: [{ name: "d", type: "date" }],
      output_features: [{ name: "y", type: "number" }],
      trainer: { epochs: 2, batch_size: 16 },
    });
    await model.train({ dataset: ROWS, skip_save_all: true, progress: false });
    const before = (await model.predict(ROWS.slice(0, 6))).predictions.columns.y_predictions;
    await model.save(join(dir, "m"));
    const loaded = await Model.load(join(dir, "m"));
    const after = (await loaded.predict(ROWS.slice(0, 6))).predictions.columns.y_predictions;
    deepStrictEqual(after, before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fused dense of an int32 tensor cast to float32 multiplies its values", async () => {
  await ready({ quiet: true });
  if (!fusedDenseAvailable()) return; // the fused kernel exists on the native engine only
  const out = tf.tidy(() => {
    const x = tf.cast(tf.tensor2d([[2020, 3]], [1, 2], "int32"), "float32") as tf.Tensor2D;
    const w = tf.tensor2d([[0.5], [2]], [2, 1]);
    return Array.from(fusedDense(x, w, tf.tensor1d([1]), "linear").dataSync());
  });
  deepStrictEqual(out, [2020 * 0.5 + 3 * 2 + 1]);
});
