/**
 * The preprocessing schema of the image input feature (Ludwig 0.7's `ImagePreprocessingConfig`):
 * target size and channels (set, or inferred from a sample of the first images), the resize
 * method, ImageNet standardization, the missing-value strategy and the decoding parallelism.
 *
 * Not registered yet: the image feature entry of the registry plugs it in.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { choice, obj } from "../config/fields.ts";

/**
 * Missing-value strategies of images. Ludwig also lists `fill_with_mode` and `fill_with_mean`,
 * which have no meaning for images; they are rejected rather than silently mapped.
 */
export const IMAGE_MISSING_VALUE_STRATEGIES = [
  "bfill",
  "ffill",
  "drop_row",
  "fill_with_const",
] as const;

/** The resize methods (Ludwig's `RESIZE_METHODS`). */
export const IMAGE_RESIZE_METHODS = ["interpolate", "crop_or_pad"] as const;

/** The standardizations: ImageNet-1k channel means and standard deviations, or none. */
export const IMAGE_STANDARDIZATIONS = ["imagenet1k"] as const;

/**
 * The image input feature's `preprocessing` section.
 *
 * @example Defaults
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { ImagePreprocessingSchema } from "./image_schema.ts";
 * const prep = ImagePreprocessingSchema.parse({});
 * assertEquals(prep.missing_value_strategy, "bfill");
 * assertEquals(prep.infer_image_max_height, 256);
 * ```
 */
export const ImagePreprocessingSchema = obj({
  missing_value_strategy: choice(IMAGE_MISSING_VALUE_STRATEGIES, {
    kind: "missing value strategy",
    ludwigOnly: ["fill_with_mode", "fill_with_mean"],
  }).default("bfill").describe("What to do with a missing image cell"),
  fill_value: z.union([z.int().min(0).max(255), z.string().min(1)]).nullable().default(null)
    .describe(
      "Value used by fill_with_const: a pixel value 0-255 (an image of that constant value) or an image path, URL or data URI",
    ),
  computed_fill_value: z.union([z.int().min(0).max(255), z.string()]).nullable().optional()
    .describe("Internal: the fill value used"),
  height: z.int().min(1).nullable().default(null).describe(
    "Height in pixels every image is resized to (null: inferred or taken from the first image)",
  ),
  width: z.int().min(1).nullable().default(null).describe(
    "Width in pixels every image is resized to (null: inferred or taken from the first image)",
  ),
  num_channels: z.int().min(1).max(4).nullable().default(null).describe(
    "Channels of every image: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (null: inferred or taken from the first image)",
  ),
  resize_method: choice(IMAGE_RESIZE_METHODS, { kind: "resize method" }).default("interpolate")
    .describe("How images are brought to the target size: interpolate, or crop_or_pad (centered)"),
  infer_image_num_channels: z.boolean().default(true).describe(
    "Infer num_channels from a sample of the first images (the majority of 1, 2 or 4, else 3)",
  ),
  infer_image_dimensions: z.boolean().default(true).describe(
    "Infer height and width from a sample of the first images (their rounded mean, capped)",
  ),
  infer_image_max_height: z.int().min(1).default(256).describe("Cap on the inferred height"),
  infer_image_max_width: z.int().min(1).default(256).describe("Cap on the inferred width"),
  infer_image_sample_size: z.int().min(1).default(100).describe(
    "Number of first images read to infer dimensions and channels",
  ),
  standardize_image: choice(IMAGE_STANDARDIZATIONS, { kind: "image standardization" }).nullable()
    .default(null).describe(
      "Per-channel standardization applied per batch after scaling to [0, 1]: imagenet1k (3 channels only) or null",
    ),
  in_memory: z.boolean().default(true).describe(
    "Keep the decoded images in memory; false streams them from the preprocessing cache file batch by batch during training, evaluation and checkpoints (reads checked per row)",
  ),
  num_processes: z.int().min(1).default(1).describe("Number of workers that decode images"),
  requires_equal_dimensions: z.boolean().default(false).describe(
    "Require height and width to be equal (set by encoders that need square inputs)",
  ),
  cache_encoder_embeddings: z.boolean().default(false).describe(
    "Compute a frozen encoder's outputs once in preprocessing (torchvision encoders)",
  ),
  torchvision_transform: obj({
    resize_size: z.int().min(1).describe("Resize size (the shorter side)"),
    crop_size: z.int().min(1).describe("Center-crop size"),
    interpolation: z.enum(["bilinear", "bicubic", "nearest"]).describe("Resize interpolation"),
  }, {
    id: "preprocessing.image.torchvision_transform",
    description: "Internal: the inference transform a torchvision encoder imposes",
  }).nullable().optional().describe(
    "Internal, set from a torchvision encoder: images become crop_size x crop_size RGB",
  ),
}, { id: "preprocessing.image.input", description: "Preprocessing of an image input feature" });

/** The resolved image preprocessing section. */
export type ImagePreprocessingConfig = z.output<typeof ImagePreprocessingSchema>;
/** The image preprocessing section as users write it. */
export type ImagePreprocessingConfigInput = z.input<typeof ImagePreprocessingSchema>;

/** The augmentation operations (Ludwig 0.7's image augmentation types). */
export const AUGMENTATION_OPERATIONS = [
  obj({ type: z.literal("random_horizontal_flip") }, {
    id: "augmentation.random_horizontal_flip",
    description: "Flip left-right with probability 0.5",
  }),
  obj({ type: z.literal("random_vertical_flip") }, {
    id: "augmentation.random_vertical_flip",
    description: "Flip top-bottom with probability 0.5",
  }),
  obj({
    type: z.literal("random_rotate"),
    degree: z.number().min(0).max(180).default(15).describe(
      "Largest rotation angle in degrees: the angle is drawn uniformly in (-degree, degree)",
    ),
  }, {
    id: "augmentation.random_rotate",
    description: "Rotate about the center (nearest pixel, zero fill) with probability 0.5",
  }),
  obj({
    type: z.literal("random_blur"),
    kernel_size: z.int().min(1).default(3).refine((k) => k % 2 === 1, {
      message: "kernel_size must be odd",
    }).describe("Side of the square Gaussian kernel (odd)"),
  }, { id: "augmentation.random_blur", description: "Gaussian blur with probability 0.5" }),
  obj({
    type: z.literal("random_brightness"),
    min: z.number().min(0).default(0.5).describe("Smallest brightness factor"),
    max: z.number().min(0).default(2).describe("Largest brightness factor"),
  }, {
    id: "augmentation.random_brightness",
    description: "Scale pixel values by a factor drawn in [min, max], with probability 0.5",
  }),
  obj({
    type: z.literal("random_contrast"),
    min: z.number().min(0).default(0.5).describe("Smallest contrast factor"),
    max: z.number().min(0).default(2).describe("Largest contrast factor"),
  }, {
    id: "augmentation.random_contrast",
    description:
      "Blend with the mean gray level by a factor drawn in [min, max], with probability 0.5",
  }),
] as const;

/** One augmentation operation, discriminated by `type`. */
export const AugmentationOperationSchema = z.discriminatedUnion("type", AUGMENTATION_OPERATIONS)
  .refine((op) => !("min" in op) || op.min <= op.max, {
    message: "min must not exceed max",
    path: ["min"],
  });

/** Ludwig's pipeline for `augmentation: true`. */
export const DEFAULT_AUGMENTATION = [
  { type: "random_horizontal_flip" },
  { type: "random_rotate", degree: 15 },
] as const;

/**
 * The image input feature's `augmentation`: `false` (none, the default), `true` (Ludwig's
 * default pipeline: horizontal flip and rotation by up to 15 degrees) or a list of operations
 * applied in order. The output is always the resolved list.
 *
 * @example Resolve `true`
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { AugmentationSchema } from "./image_schema.ts";
 * assertEquals(AugmentationSchema.parse(true), [
 *   { type: "random_horizontal_flip" },
 *   { type: "random_rotate", degree: 15 },
 * ]);
 * assertEquals(AugmentationSchema.parse([{ type: "random_blur" }]), [{ type: "random_blur", kernel_size: 3 }]);
 * ```
 */
export const AugmentationSchema = z.union([z.boolean(), z.array(AugmentationOperationSchema)])
  .default(false)
  .transform((value): AugmentationOperation[] =>
    value === true ? DEFAULT_AUGMENTATION.map((op) => ({ ...op })) : value === false ? [] : value
  )
  .describe(
    "Training-time augmentation: false, true (horizontal flip and rotation up to 15 degrees) or a list of operations",
  );

/** A resolved augmentation operation. */
export type AugmentationOperation = z.output<typeof AugmentationOperationSchema>;
