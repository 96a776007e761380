/**
 * MaxViT t equals torchvision 0.14's (formula weights, eval mode, classifier[-1] removed) within
 * 1e-4 relative on a 224×224 input (its only variant, in the normal lane), its weights loaded
 * under torchvision's full state_dict names.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import { MAXVIT } from "../../../lib/encoders/torchvision/maxvit.ts";
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
