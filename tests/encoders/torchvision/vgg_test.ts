/**
 * vgg and alexnet against torchvision (formula weights, eval mode, classifier[-1] removed):
 * alexnet and vgg11 in the normal lane, the other vgg variants with SONATA_SLOW=1.
 */
import { ready } from "../../../lib/compute/mod.ts";
import { ALEXNET, VGG } from "../../../lib/encoders/torchvision/vgg.ts";
import { familyTest } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

familyTest(ALEXNET, "base", "alexnet_base");
familyTest(VGG, "11", "vgg_11");
for (const v of ["11_bn", "13", "13_bn", "16", "16_bn", "19", "19_bn"]) {
  familyTest(VGG, v, `vgg_${v}`, { slow: true });
}
