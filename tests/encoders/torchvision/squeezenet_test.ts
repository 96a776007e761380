/**
 * squeezenet against torchvision (formula weights, eval mode, the whole model as Ludwig keeps
 * it; ceil-mode max pools): 1_1 in the normal lane, 1_0 with SONATA_SLOW=1.
 */
import { ready } from "../../../lib/compute/mod.ts";
import { SQUEEZENET } from "../../../lib/encoders/torchvision/squeezenet.ts";
import { familyTest } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

familyTest(SQUEEZENET, "1_1", "squeezenet_1_1");
familyTest(SQUEEZENET, "1_0", "squeezenet_1_0", { slow: true });
