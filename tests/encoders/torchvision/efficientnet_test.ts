/**
 * EfficientNet b0–b7 and v2_s/m/l equal torchvision 0.14's within 1e-4 relative; all but `b0`
 * in the slow lane.
 */
import { ready } from "../../../lib/compute/mod.ts";
import { EFFICIENTNET } from "../../../lib/encoders/torchvision/efficientnet.ts";
import { torchvisionEqualityTests } from "./_mobile_cases.ts";

await ready({ compute: "auto", quiet: true });

torchvisionEqualityTests(EFFICIENTNET, ["b0"], ["b0"]);
