/**
 * googlenet and inceptionv3 against torchvision (formula weights, eval mode, fc and auxiliary
 * heads removed), with and without `transform_input` (what pretrained weights use). googlenet
 * runs in the normal lane, inceptionv3 (75×75, its smallest size) too.
 */
import { ready } from "../../../lib/compute/mod.ts";
import { GOOGLENET, INCEPTION_V3 } from "../../../lib/encoders/torchvision/googlenet.ts";
import { familyTest } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

familyTest(GOOGLENET, "base", "googlenet_base");
familyTest(GOOGLENET, "base", "googlenet_base_transform", { pretrained: true });
familyTest(INCEPTION_V3, "base", "inceptionv3_base");
familyTest(INCEPTION_V3, "base", "inceptionv3_base_transform", { pretrained: true });
