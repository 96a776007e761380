/**
 * ConvNeXt equals torchvision 0.14's (formula weights, eval mode, classifier[-1] removed) within
 * 1e-4 relative on a 32×32 input, its weights loaded with torchvision's full state_dict names
 * (for `tiny` through a safetensors file); `tiny` in the normal lane, the others with SONATA_SLOW=1.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import { applyStateDict } from "../../../lib/encoders/torchvision/_core.ts";
import { CONVNEXT } from "../../../lib/encoders/torchvision/convnext.ts";
import { WeightsError } from "../../../lib/pretrained/mod.ts";
import { SLOW } from "./_fixture.ts";
import { compareThroughTorchvisionNames, readKeys, torchvisionTensors } from "./_v3_keys.ts";

await ready({ compute: "auto", quiet: true });

for (const variant of Object.keys(CONVNEXT.variants)) {
  const slow = variant !== "tiny";
  Deno.test({
    name: `convnext ${variant} equals torchvision${slow ? " (slow lane: SONATA_SLOW=1)" : ""}`,
    ignore: slow && !SLOW,
    fn: async () => {
      const { error, shape, loaded } = await compareThroughTorchvisionNames(
        CONVNEXT,
        variant,
        `convnext_${variant}`,
        { viaFile: variant === "tiny" },
      );
      assert.deepEqual(shape, [1, CONVNEXT.variants[variant].featureSize]);
      assert.ok(loaded > 100, `${loaded} tensors loaded`);
      assert.ok(error < 1e-4, `relative error ${error}`);
    },
  });
}

Deno.test("convnext names a missing or mis-shaped tensor, and rejects bad variants and sizes", async () => {
  const input = tf.input({ shape: [32, 32, 3] });
  const model = tf.model({ inputs: input, outputs: CONVNEXT.build(input, "tiny") });
  try {
    const tensors = torchvisionTensors(model, await readKeys(CONVNEXT, "tiny"));
    tensors.delete("features.1.0.layer_scale");
    const scale = tensors.get("features.3.1.layer_scale")!;
    tensors.set("features.3.1.layer_scale", { ...scale, shape: [192] });
    assert.throws(
      () => applyStateDict(model, tensors, { ignore: CONVNEXT.ignoreWeights, file: "c.pth" }),
      (e: unknown) =>
        e instanceof WeightsError && e.message.includes('"features.1.0.layer_scale"') &&
        e.message.includes('"features.3.1.layer_scale" expected [192,1,1], received [192]') &&
        e.message.includes("c.pth"),
    );
  } finally {
    model.dispose();
  }
  assert.throws(() => CONVNEXT.build(input, "huge"), /Unknown convnext model_variant "huge"/);
  assert.throws(
    () => CONVNEXT.build(tf.input({ shape: [16, 16, 3] }), "tiny"),
    /at least 32x32, received 16x16/,
  );
});
