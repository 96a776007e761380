/**
 * Swin Transformer (v1) equals torchvision 0.14's (formula weights, eval mode, head removed) within
 * 1e-4 relative; `t` on 64×64 (padding to window multiples, shift switched off in stages 3–4) in the
 * normal lane, `s` and `b` on 224×224 with SONATA_SLOW=1.
 */
import assert from "node:assert/strict";
import { ready } from "../../../lib/compute/mod.ts";
import { SWIN } from "../../../lib/encoders/torchvision/swin.ts";
import { compareWithTorch, SLOW } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

for (const variant of Object.keys(SWIN.variants)) {
  const slow = variant !== "t";
  Deno.test({
    name: `swin_transformer ${variant} equals torchvision${
      slow ? " (slow lane: SONATA_SLOW=1)" : ""
    }`,
    ignore: slow && !SLOW,
    fn: async () => {
      const { error, model, shape } = await compareWithTorch(
        `swin_transformer_${variant}`,
        (x) => SWIN.build(x, variant),
      );
      model.dispose();
      assert.deepEqual(shape, [1, SWIN.variants[variant].featureSize]);
      assert.ok(error < 1e-4, `relative error ${error}`);
    },
  });
}
