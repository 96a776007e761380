/**
 * resnet, resnext and wide_resnet against torchvision (formula weights, eval mode, fc removed):
 * resnet18, resnext 50_32x4d and wide_resnet 50_2 (the smallest of each family; 10–20 s each
 * at 64×64 on a loaded 2-core host) in the normal lane, every other variant with SONATA_SLOW=1.
 */
import { ready } from "../../../lib/compute/mod.ts";
import { RESNET, RESNEXT, WIDE_RESNET } from "../../../lib/encoders/torchvision/resnet.ts";
import { familyTest } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

familyTest(RESNET, "18", "resnet_18");
for (const v of ["34", "50", "101", "152"]) familyTest(RESNET, v, `resnet_${v}`, { slow: true });
for (const v of Object.keys(RESNEXT.variants)) {
  familyTest(RESNEXT, v, `resnext_${v}`, { slow: v !== "50_32x4d" });
}
for (const v of Object.keys(WIDE_RESNET.variants)) {
  familyTest(WIDE_RESNET, v, `wide_resnet_${v}`, { slow: v !== "50_2" });
}
