/**
 * Encoders of the image feature type (Ludwig 0.7's names): `stacked_cnn`, Ludwig's own ResNet
 * `_resnet_legacy`, `mlp_mixer` and Ludwig's own ViT `_vit_legacy` (schemas in
 * `image_schemas.ts`, layers in `_image_impl.ts`). Each maps the raw uint8-valued NHWC batch
 * `[batch, height, width, channels]` to `[batch, output]`; its first layer normalizes the pixels
 * (÷255, then the ImageNet-1k mean/std with `standardize_image: imagenet1k`), so the saved
 * model applies the normalization wherever it runs.
 *
 * Ludwig 0.7's torchvision encoders (`resnet`, `vit`, `alexnet`, …) are in
 * `torchvision/entries.ts`.
 *
 * @module
 */
import { defineEncoder, type Loader } from "../config/registry.ts";
import {
  MlpMixerSchema,
  ResnetLegacySchema,
  StackedCnnSchema,
  VitLegacySchema,
} from "./image_schemas.ts";

type Implementation = ReturnType<Loader>;

const rank2 = () => 2 as const;

/** Image `stacked_cnn`: 2D convolutions, pooling, then fully connected layers. */
export const imageStackedCnn = defineEncoder({
  schema: StackedCnnSchema,
  featureTypes: ["image"],
  capabilities: { outputRank: rank2 },
  load: (): Implementation =>
    import("./_image_build.ts").then((m) => ({ build: m.imageStackedCnn })),
});

/** `_resnet_legacy`: Ludwig's own ResNet. */
export const resnetLegacy = defineEncoder({
  schema: ResnetLegacySchema,
  featureTypes: ["image"],
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_image_build.ts").then((m) => ({ build: m.resnetLegacy })),
});

/** `mlp_mixer`: MLP-Mixer (rank 3 without `avg_pool`). */
export const mlpMixer = defineEncoder({
  schema: MlpMixerSchema,
  featureTypes: ["image"],
  capabilities: { outputRank: (config) => (config.avg_pool === false ? 3 : 2) },
  load: (): Implementation => import("./_image_build.ts").then((m) => ({ build: m.mlpMixer })),
});

/** `_vit_legacy`: Ludwig's own ViT, trained from scratch. */
export const vitLegacy = defineEncoder({
  schema: VitLegacySchema,
  featureTypes: ["image"],
  capabilities: { outputRank: rank2 },
  load: (): Implementation => import("./_image_build.ts").then((m) => ({ build: m.vitLegacy })),
});

/** Ludwig 0.7's torchvision image encoder types (entries in `torchvision/entries.ts`). */
export const TORCHVISION_IMAGE_ENCODERS: readonly string[] = [
  "alexnet",
  "convnext",
  "densenet",
  "efficientnet",
  "googlenet",
  "inceptionv3",
  "maxvit",
  "mnasnet",
  "mobilenetv2",
  "mobilenetv3",
  "regnet",
  "resnet",
  "resnext",
  "shufflenet_v2",
  "squeezenet",
  "swin_transformer",
  "vgg",
  "vit",
  "wide_resnet",
];
