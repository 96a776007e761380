/**
 * MobileNet V2 and V3 equal torchvision 0.14's (formula weights, eval mode, last classification
 * layer removed) within 1e-4 relative; `mobilenetv3 large` only in the slow lane.
 */
import { ready } from "../../../lib/compute/mod.ts";
import { MOBILENET_V2, MOBILENET_V3 } from "../../../lib/encoders/torchvision/mobilenet.ts";
import { torchvisionEqualityTests } from "./_mobile_cases.ts";

await ready({ compute: "auto", quiet: true });

torchvisionEqualityTests(MOBILENET_V2, ["base"]);
torchvisionEqualityTests(MOBILENET_V3, ["small"], ["small"]);
