/**
 * ViT equals torchvision 0.14's (formula weights, eval mode, heads[-1] removed) within 1e-4
 * relative on a 224×224 input, its weights loaded under torchvision's full
 * state_dict names. `b_32` runs in the normal lane (the smallest variant, b_16, costs 4× more:
 * 197 tokens against 50), the others with SONATA_SLOW=1; h_14's numerics run at 224 (an
 * unweighted vit_h_14) and its names at 518, the size of its DEFAULT weights.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import { applyStateDict } from "../../../lib/encoders/torchvision/_core.ts";
import { VIT } from "../../../lib/encoders/torchvision/vit.ts";
import { compareWithTorch, SLOW } from "./_fixture.ts";
import { compareThroughTorchvisionNames, readKeys, torchvisionTensors } from "./_v3_keys.ts";

await ready({ compute: "auto", quiet: true });

for (const variant of Object.keys(VIT.variants)) {
  const slow = variant !== "b_32";
  Deno.test({
    name: `vit ${variant} equals torchvision${slow ? " (slow lane: SONATA_SLOW=1)" : ""}`,
    ignore: slow && !SLOW,
    fn: async () => {
      const featureSize = VIT.variants[variant].featureSize;
      if (variant === "h_14") {
        const { error, model, shape } = await compareWithTorch(
          "vit_h_14",
          (x) => VIT.build(x, "h_14"),
        );
        model.dispose();
        assert.deepEqual(shape, [1, featureSize]);
        assert.ok(error < 1e-4, `relative error ${error}`);
        const input = tf.input({ shape: [518, 518, 3] });
        const big = tf.model({ inputs: input, outputs: VIT.build(input, "h_14") });
        try {
          const tensors = torchvisionTensors(big, await readKeys(VIT, "h_14"));
          applyStateDict(big, tensors, { ignore: VIT.ignoreWeights, file: "vit_h_14_swag.pth" });
        } finally {
          big.dispose();
        }
        return;
      }
      const { error, shape, loaded } = await compareThroughTorchvisionNames(
        VIT,
        variant,
        `vit_${variant}`,
      );
      assert.deepEqual(shape, [1, featureSize]);
      assert.ok(loaded > 100, `${loaded} tensors loaded`);
      assert.ok(error < 1e-4, `relative error ${error}`);
    },
  });
}

Deno.test("vit rejects images that are not square multiples of the patch size", () => {
  assert.throws(
    () => VIT.build(tf.input({ shape: [224, 200, 3] }), "b_16"),
    /square with a side that is a multiple of 16 .*received 224x200/,
  );
  assert.throws(() => VIT.build(tf.input({ shape: [200, 200, 3] }), "b_32"), /multiple of 32/);
});
