// Harness cases of the torchvision encoder entries (included by tests/harness_test.ts): the
// smallest variant of each family, random weights, the smallest input the family builds for.
// Every family but the two cheapest runs with SONATA_SLOW=1 (on cpu: minutes each on a shared
// 2-core host; on native, all 17 take ~2.5 minutes together, maxvit ~1): in the normal lane
// each family is still built, compared with torchvision and trained by its own tests
// (tests/encoders/torchvision/), so the harness contract (train → save → load → same
// predictions, no leaks) needs only a depthwise (mobilenetv3) and a channel-shuffle family.
//
// The slow cases run on Sonata's native engine (its default, checked against cpu kernel by
// kernel in tests/compute), the two normal-lane ones on cpu: tfjs's cpu `Conv2DBackpropFilter`
// reads every operand through `TensorBuffer.get` (~350 ns a multiply-add on this host, ~130×
// its forward convolution), and one training step of maxvit t at 224×224, batch 4 (~7.7 G
// multiply-adds of convolution filter gradient) alone takes ~45 minutes there (vit b_32's
// case took 11m48s on cpu, 38 s on native).
import * as encoders from "../../../lib/encoders/mod.ts";
import type { ComponentCase } from "../../_harness.ts";
import { VARIANTS } from "../../../lib/encoders/torchvision/_variants.ts";

/**
 * Raw 0-255 pixels of a side × side RGB image, random (distinct images: identical ones would
 * make batch-norm over 1×1 maps output zeros, and so zero gradients).
 */
function pixels(side: number) {
  return {
    shape: [side, side, 3],
    value: (_i: number, r: () => number) => Math.floor((r() + 1) * 127.5),
  };
}

const FAST = new Set(["mobilenetv3", "shufflenet_v2"]);

function tv(
  entry: ComponentCase["entry"],
  variant: string | number,
  side: number,
  features: number,
): ComponentCase {
  const digest = VARIANTS[entry.type];
  const key = Object.keys(digest.variants).find((k) => digest.variants[k].ludwigId === variant)!;
  if (digest.variants[key].featureSize !== features) {
    throw new TypeError(`${entry.type} ${variant}: the table's feature size is not ${features}`);
  }
  return {
    entry,
    slow: !FAST.has(entry.type),
    engine: FAST.has(entry.type) ? "cpu" : "native",
    name: `encoder ${entry.type} ${variant}`,
    config: { model_variant: variant, use_pretrained: false },
    inputs: [pixels(side)],
    outputShape: [features],
  };
}

/** One case per torchvision entry. */
export const TORCHVISION_CASES: ComponentCase[] = [
  tv(encoders.tvAlexnet, "base", 63, 4096),
  tv(encoders.tvConvnext, "tiny", 32, 768),
  tv(encoders.tvDensenet, 121, 32, 1024),
  tv(encoders.tvEfficientnet, "b0", 32, 1280),
  tv(encoders.tvGooglenet, "base", 32, 1024),
  tv(encoders.tvInceptionV3, "base", 75, 2048),
  tv(encoders.tvMaxvit, "t", 224, 512),
  tv(encoders.tvMnasnet, "0_5", 32, 1280),
  tv(encoders.tvMobilenetV2, "base", 32, 1280),
  tv(encoders.tvMobilenetV3, "small", 32, 1024),
  tv(encoders.tvRegnet, "x_400mf", 32, 400),
  tv(encoders.tvResnet, 18, 32, 512),
  tv(encoders.tvResnext, "50_32x4d", 32, 2048),
  tv(encoders.tvShufflenetV2, "x0_5", 32, 1024),
  tv(encoders.tvSqueezenet, "1_1", 35, 1000),
  tv(encoders.tvSwin, "t", 32, 768),
  tv(encoders.tvVit, "b_32", 224, 768),
  tv(encoders.tvVgg, 11, 32, 4096),
  tv(encoders.tvWideResnet, "50_2", 32, 2048),
];
