/** Registers the torchvision-equality tests of a family (helper of the mobile families' tests). */
import assert from "node:assert/strict";
import type { FamilyTable } from "../../../lib/encoders/torchvision/_core.ts";
import { compareWithTorch, SLOW } from "./_fixture.ts";

/**
 * One test per variant of `family`: build it on the fixture's input, fill the formula weights,
 * compare with torchvision's output (`maxAbsDiff / max(1, maxAbs) < 1e-4`) and check the
 * output size is the table's `featureSize`. Variants outside `fast` run only with
 * SONATA_SLOW=1.
 */
export function torchvisionEqualityTests(family: FamilyTable, fast: readonly string[]): void {
  for (const variant of Object.keys(family.variants)) {
    const slow = !fast.includes(variant);
    Deno.test({
      name: `${family.type} ${variant} equals torchvision 0.14` +
        (slow ? " (slow lane: SONATA_SLOW=1)" : ""),
      ignore: slow && !SLOW,
      fn: async () => {
        const { error, model, shape } = await compareWithTorch(
          `${family.type}_${variant}`,
          (x) => family.build(x, variant),
        );
        model.dispose();
        assert.deepEqual(shape, [1, family.variants[variant].featureSize]);
        assert.ok(error < 1e-4, `${family.type} ${variant}: relative error ${error}`);
      },
    });
  }
}
