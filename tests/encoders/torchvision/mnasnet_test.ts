/** MNASNet equals torchvision 0.14's within 1e-4 relative; all but `0_5` in the slow lane. */
import { ready } from "../../../lib/compute/mod.ts";
import { MNASNET } from "../../../lib/encoders/torchvision/mnasnet.ts";
import { torchvisionEqualityTests } from "./_mobile_cases.ts";

await ready({ compute: "auto", quiet: true });

torchvisionEqualityTests(MNASNET, ["0_5"]);
