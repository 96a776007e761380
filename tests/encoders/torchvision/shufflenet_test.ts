/** ShuffleNet V2 equals torchvision 0.14's within 1e-4 relative; all but `x0_5` in the slow lane. */
import { ready } from "../../../lib/compute/mod.ts";
import { SHUFFLENET_V2 } from "../../../lib/encoders/torchvision/shufflenet.ts";
import { torchvisionEqualityTests } from "./_mobile_cases.ts";

await ready({ compute: "auto", quiet: true });

torchvisionEqualityTests(SHUFFLENET_V2, ["x0_5"], ["x0_5"]);
