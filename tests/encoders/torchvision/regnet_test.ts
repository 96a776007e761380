/**
 * RegNet X and Y equal torchvision 0.14's within 1e-4 relative; `x_400mf` and `y_400mf` (the
 * smallest of each kind: grouped convolutions, and squeeze-excitation) in the normal lane.
 */
import { ready } from "../../../lib/compute/mod.ts";
import { REGNET } from "../../../lib/encoders/torchvision/regnet.ts";
import { torchvisionEqualityTests } from "./_mobile_cases.ts";

await ready({ compute: "auto", quiet: true });

torchvisionEqualityTests(REGNET, ["x_400mf", "y_400mf"]);
