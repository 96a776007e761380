/**
 * densenet against torchvision (formula weights, eval mode, classifier removed): 121 in the
 * normal lane, 161/169/201 with SONATA_SLOW=1; and the old checkpoint names torchvision's own
 * files use (`norm.1`) map onto the modules.
 */
import assert from "node:assert/strict";
import { ready } from "../../../lib/compute/mod.ts";
import { DENSENET } from "../../../lib/encoders/torchvision/densenet.ts";
import { familyTest } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

familyTest(DENSENET, "121", "densenet_121");
for (const v of ["161", "169", "201"]) familyTest(DENSENET, v, `densenet_${v}`, { slow: true });

Deno.test("torchvision densenet: old checkpoint names are renamed as torchvision does", () => {
  const rename = DENSENET.renameWeights!;
  assert.equal(
    rename("features.denseblock1.denselayer1.norm.1.weight"),
    "features.denseblock1.denselayer1.norm1.weight",
  );
  assert.equal(
    rename("features.denseblock4.denselayer16.conv.2.weight"),
    "features.denseblock4.denselayer16.conv2.weight",
  );
  assert.equal(rename("features.transition1.norm.weight"), "features.transition1.norm.weight");
});
