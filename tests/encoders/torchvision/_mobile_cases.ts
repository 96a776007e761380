/** Registers the torchvision-equality tests of a mobile family (formula weights, eval mode). */
import assert from "node:assert/strict";
import type { FamilyTable } from "../../../lib/encoders/torchvision/_core.ts";
import { compareWithTorch, familyTest } from "./_fixture.ts";

/**
 * One test per variant of `family` against `tests/fixtures/torchvision/<type>_<variant>.json`
 * (64×64 input; 1e-4 relative, featureSize checked); variants outside `fast` only with
 * SONATA_SLOW=1. `odd` variants are also compared on their 45×37 fixture in the normal lane.
 */
export function torchvisionEqualityTests(
  family: FamilyTable,
  fast: readonly string[],
  odd: readonly string[] = [],
): void {
  for (const variant of Object.keys(family.variants)) {
    familyTest(family, variant, `${family.type}_${variant}`, { slow: !fast.includes(variant) });
  }
  for (const variant of odd) {
    Deno.test(`torchvision ${family.type} ${variant} on a 45x37 image equals torchvision`, async () => {
      const { error, model, shape } = await compareWithTorch(
        `${family.type}_${variant}_45x37`,
        (x) => family.build(x, variant),
      );
      model.dispose();
      assert.deepEqual(shape, [1, family.variants[variant].featureSize]);
      assert.ok(error < 1e-4, `relative error ${error}`);
    });
  }
}
