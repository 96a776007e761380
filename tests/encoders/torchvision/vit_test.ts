/**
 * ViT equals torchvision 0.14's (formula weights, eval mode, heads[-1] removed) within
 * 1e-4 relative on a 224×224 input; `b_32` in the normal lane (the smallest variant, b_16, is 4.4×
 * the compute: 197 tokens against 50), the others with SONATA_SLOW=1.
 */
import assert from "node:assert/strict";
import { ready } from "../../../lib/compute/mod.ts";
import { VIT } from "../../../lib/encoders/torchvision/vit.ts";
import { compareWithTorch, SLOW } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

for (const variant of Object.keys(VIT.variants)) {
  const slow = variant !== "b_32";
  Deno.test({
    name: `vit ${variant} equals torchvision${slow ? " (slow lane: SONATA_SLOW=1)" : ""}`,
    ignore: slow && !SLOW,
    fn: async () => {
      const { error, model, shape } = await compareWithTorch(
        `vit_${variant}`,
        (x) => VIT.build(x, variant),
      );
      model.dispose();
      assert.deepEqual(shape, [1, VIT.variants[variant].featureSize]);
      assert.ok(error < 1e-4, `relative error ${error}`);
    },
  });
}
