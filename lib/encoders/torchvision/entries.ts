/**
 * Registry entries of the torchvision image encoders (Ludwig 0.7's names: `alexnet`, `convnext`,
 * `densenet`, `efficientnet`, `googlenet`, `inceptionv3`, `maxvit`, `mnasnet`, `mobilenetv2`,
 * `mobilenetv3`, `regnet`, `resnet`, `resnext`, `shufflenet_v2`, `squeezenet`,
 * `swin_transformer`, `vit`, `vgg`, `wide_resnet`). Each schema's `model_variant` enum is
 * derived from its family table (through `_variants.ts`, the tables' generated TensorFlow.js-free
 * digest); the build is in `_entries_build.ts`.
 *
 * Keys (Ludwig's): `use_pretrained` (default true: torchvision's weights file from the torch
 * cache `<model_cache_dir or TORCH_HOME>/hub/checkpoints/<file>`, hash-checked, downloaded when
 * missing), `trainable`, `model_cache_dir`, `saved_weights_in_checkpoint`. Sonata extensions:
 * `pretrained_weights: PATH` (a local state_dict of the same architecture, `.pth`/`.pt`/`.bin`
 * or `.safetensors`, loaded without a hash check; for `mobilenetv2` also a Keras MobileNetV2 in
 * TF.js layers format, built then with Keras' padding and batch-norm settings, see `_keras.ts`),
 * `input_scaling` (the pixel scaling the weights expect) and `unfreeze_last_n_blocks` (partial
 * fine-tuning). A frozen layer runs in inference mode (batch-norm statistics fixed, no dropout).
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { obj } from "../../config/fields.ts";
import { defineEncoder, type Loader } from "../../config/registry.ts";
import { type VariantDigest, VARIANTS } from "./_variants.ts";

type Implementation = ReturnType<Loader>;

/** The values of `input_scaling`. */
export const INPUT_SCALINGS = ["imagenet", "minus_one_to_one", "zero_to_one"] as const;

/** The `model_variant` values of a family (Ludwig's ids: numbers for e.g. resnet 18). */
export function ludwigVariants(table: VariantDigest): (string | number)[] {
  return Object.values(table.variants).map((v) => v.ludwigId);
}

/** The variant key of a family table for a Ludwig `model_variant` value. */
export function variantKey(type: string, id: string | number): string {
  const table = VARIANTS[type];
  const key = Object.keys(table.variants).find((k) => table.variants[k].ludwigId === id);
  if (key === undefined) {
    throw new RangeError(
      `Unknown ${type} model_variant ${JSON.stringify(id)}; expected one of: ${
        ludwigVariants(table).map((v) => JSON.stringify(v)).join(", ")
      }`,
    );
  }
  return key;
}

function variantSchema(type: string, table: VariantDigest) {
  const ids = ludwigVariants(table);
  const literals = ids.map((id) => z.literal(id));
  const base = literals.length === 1 ? literals[0] : z.union(
    literals as unknown as [z.ZodLiteral<string | number>, ...z.ZodLiteral<string | number>[]],
  );
  return base.default(table.variants[table.defaultVariant].ludwigId).describe(
    `The ${type} variant: ${ids.map((v) => JSON.stringify(v)).join(", ")}`,
  );
}

function schemaOf<const T extends string>(type: T, table: VariantDigest) {
  return obj({
    type: z.literal(type),
    model_variant: variantSchema(type, table),
    use_pretrained: z.boolean().default(true).describe(
      "Load torchvision's ImageNet weights (from the torch cache, downloaded when missing)",
    ),
    trainable: z.boolean().default(true).describe(
      "Fine-tune the encoder (false: frozen, batch-norm and dropout in inference mode)",
    ),
    model_cache_dir: z.string().min(1).nullable().default(null).describe(
      "The torch home of the weights cache (<dir>/hub/checkpoints); null: $TORCH_HOME or ~/.cache/torch",
    ),
    saved_weights_in_checkpoint: z.boolean().default(false).describe(
      "The weights come from a saved Sonata model, not from the cache",
    ),
    pretrained_weights: z.string().min(1).nullable().default(null).describe(
      "Sonata extension: a local state_dict file of this architecture (.pth, .pt, .bin or " +
        ".safetensors) loaded instead of torchvision's weights, without a hash check; for " +
        "mobilenetv2 also a Keras MobileNetV2 as a TF.js layers model (its folder or model.json), " +
        "then built with Keras' padding and batch-norm settings",
    ),
    input_scaling: z.enum(INPUT_SCALINGS).nullable().default(null).describe(
      "Sonata extension: how the 0-255 pixels are scaled for the encoder: imagenet ((x/255 - " +
        "mean)/std), minus_one_to_one (x/127.5 - 1, Keras' MobileNetV2), zero_to_one (x/255, " +
        "nsfwjs' model); null: the weights' own (minus_one_to_one for Keras weights, else imagenet)",
    ),
    unfreeze_last_n_blocks: z.int().min(1).nullable().default(null).describe(
      "Sonata extension, with trainable: true: fine-tune only the last N blocks (a block is a " +
        "numbered module of the torch model, e.g. resnet's layer4.1, mobilenet's features.17, " +
        "vit's encoder_layer_11, plus each unnumbered top-level module); the other layers stay " +
        "frozen, in inference mode. null: every layer trains",
    ),
  }, {
    id: `encoder.image.${type}`,
    description: `torchvision's ${type} (its last classification layer removed)`,
  });
}

const load = (): Implementation =>
  import("./_entries_build.ts").then((m) => ({
    build: m.build,
    cacheFingerprint: m.cacheFingerprint,
  }));

const capabilities = {
  outputRank: () => 2 as const,
  pretrained: true,
  cacheableWhenFrozen: true,
};

function entry<const T extends string>(type: T) {
  const table = VARIANTS[type];
  return defineEncoder({
    schema: schemaOf(type, table),
    featureTypes: ["image"],
    capabilities: {
      ...capabilities,
      preprocessingFrom: (c: Readonly<Record<string, unknown>>) => {
        const v = table.variants[variantKey(type, c.model_variant as string | number)];
        return {
          torchvision_transform: {
            resize_size: v.resizeSize,
            crop_size: v.cropSize,
            interpolation: v.interpolation,
          },
        };
      },
    },
    load,
  });
}

/** `alexnet`. */
export const tvAlexnet = entry("alexnet");
/** `convnext`. */
export const tvConvnext = entry("convnext");
/** `densenet`. */
export const tvDensenet = entry("densenet");
/** `efficientnet`. */
export const tvEfficientnet = entry("efficientnet");
/** `googlenet`. */
export const tvGooglenet = entry("googlenet");
/** `inceptionv3`. */
export const tvInceptionV3 = entry("inceptionv3");
/** `maxvit`. */
export const tvMaxvit = entry("maxvit");
/** `mnasnet`. */
export const tvMnasnet = entry("mnasnet");
/** `mobilenetv2`. */
export const tvMobilenetV2 = entry("mobilenetv2");
/** `mobilenetv3`. */
export const tvMobilenetV3 = entry("mobilenetv3");
/** `regnet`. */
export const tvRegnet = entry("regnet");
/** `resnet`. */
export const tvResnet = entry("resnet");
/** `resnext`. */
export const tvResnext = entry("resnext");
/** `shufflenet_v2`. */
export const tvShufflenetV2 = entry("shufflenet_v2");
/** `squeezenet`. */
export const tvSqueezenet = entry("squeezenet");
/** `swin_transformer`. */
export const tvSwin = entry("swin_transformer");
/** `vit`. */
export const tvVit = entry("vit");
/** `vgg`. */
export const tvVgg = entry("vgg");
/** `wide_resnet`. */
export const tvWideResnet = entry("wide_resnet");

/** Every torchvision encoder entry. */
export const TORCHVISION_ENCODERS = [
  tvAlexnet,
  tvConvnext,
  tvDensenet,
  tvEfficientnet,
  tvGooglenet,
  tvInceptionV3,
  tvMaxvit,
  tvMnasnet,
  tvMobilenetV2,
  tvMobilenetV3,
  tvRegnet,
  tvResnet,
  tvResnext,
  tvShufflenetV2,
  tvSqueezenet,
  tvSwin,
  tvVit,
  tvVgg,
  tvWideResnet,
] as const;
