/**
 * MaxViT t equals torchvision 0.14's (formula weights, eval mode, classifier[-1] removed) within
 * 1e-4 relative on a 224×224 input (its only variant, in the normal lane), its weights loaded
 * under torchvision's full state_dict names.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import { MAXVIT } from "../../../lib/encoders/torchvision/maxvit.ts";
import { TorchActivation } from "../../../lib/encoders/torchvision/_core.ts";
import { compareThroughTorchvisionNames } from "./_v3_keys.ts";

await ready({ compute: "auto", quiet: true });

Deno.test("maxvit t equals torchvision", async () => {
  const { error, shape, loaded } = await compareThroughTorchvisionNames(MAXVIT, "t", "maxvit_t");
  assert.ok(loaded > 100, `${loaded} tensors loaded`);
  assert.deepEqual(shape, [1, MAXVIT.variants.t.featureSize]);
  assert.ok(error < 1e-4, `relative error ${error}`);
});

Deno.test("maxvit rejects an image whose block inputs do not divide by 7", () => {
  const input = tf.input({ shape: [192, 192, 3] });
  assert.throws(
    () => MAXVIT.build(input, "t"),
    /partition size 7 \(224x224 or 223x223\), received 192x192/,
  );
  assert.throws(
    () => MAXVIT.build(input, "b"),
    /Unknown maxvit model_variant "b"; expected one of: t/,
  );
});

Deno.test("the exact GELU's analytic gradient equals the composite's autodiff gradient", () => {
  // MaxViT's MBConv and MLP GELUs keep only their input for the backward pass (tf.customGrad).
  const x = tf.mul(tf.randomNormal([4096], 0, 1, "float32", 11), 3);
  const w = tf.randomNormal([4096], 0, 1, "float32", 12);
  const layer = new TorchActivation({ fn: "gelu" });
  const composite = (v: tf.Tensor) =>
    tf.mul(tf.mul(v, 0.5), tf.add(1, tf.erf(tf.mul(v, Math.SQRT1_2))));
  const mine = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(layer.apply(v) as tf.Tensor, w)))(x);
  const ref = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(composite(v), w)))(x);
  const gradDiff = tf.max(tf.abs(tf.sub(mine, ref))).dataSync()[0];
  assert.ok(gradDiff < 1e-5, `gradient max difference ${gradDiff}`);
  const outDiff = tf.max(tf.abs(tf.sub(layer.apply(x) as tf.Tensor, composite(x)))).dataSync()[0];
  assert.equal(outDiff, 0, "the same forward kernels");
  // GELU'(0) = 1/2, GELU'(x) → 1 for large x and → 0 for very negative x.
  const at = tf.grad((v: tf.Tensor) => tf.sum(layer.apply(v) as tf.Tensor))(
    tf.tensor1d([0, 8, -8]),
  ).dataSync();
  assert.ok(Math.abs(at[0] - 0.5) < 1e-6 && Math.abs(at[1] - 1) < 1e-6 && Math.abs(at[2]) < 1e-6);
  tf.dispose([x, w, mine, ref]);
});
