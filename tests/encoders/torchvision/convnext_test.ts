/**
 * ConvNeXt equals torchvision 0.14's (formula weights, eval mode, classifier[-1] removed) within
 * 1e-4 relative on a 32×32 input; `tiny` in the normal lane, the others with SONATA_SLOW=1.
 */
import assert from "node:assert/strict";
import { ready } from "../../../lib/compute/mod.ts";
import { CONVNEXT } from "../../../lib/encoders/torchvision/convnext.ts";
import { compareWithTorch, SLOW } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

for (const variant of Object.keys(CONVNEXT.variants)) {
  const slow = variant !== "tiny";
  Deno.test({
    name: `convnext ${variant} equals torchvision${slow ? " (slow lane: SONATA_SLOW=1)" : ""}`,
    ignore: slow && !SLOW,
    fn: async () => {
      const { error, model, shape } = await compareWithTorch(
        `convnext_${variant}`,
        (x) => CONVNEXT.build(x, variant),
      );
      model.dispose();
      assert.deepEqual(shape, [1, CONVNEXT.variants[variant].featureSize]);
      assert.ok(error < 1e-4, `relative error ${error}`);
    },
  });
}
