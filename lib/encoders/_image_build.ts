/**
 * Builds of the image encoder entries (`image.ts`): the normalization layer at the encoder's
 * input, then the encoder's layers from `_image_impl.ts`, named and seeded through the build
 * context.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import {
  type BuildContext,
  type EncoderBuildOf,
  immediate,
  layerName,
  nextSeed,
  stringField,
  type Symbolic,
} from "../model/component.ts";
import { IMAGENET1K_MEAN, IMAGENET1K_STD } from "../data/augment.ts";
import {
  type ImageEncoderNaming,
  mlpMixer as mlpMixerLayers,
  resnetLegacy as resnetLegacyLayers,
  stackedCnn as stackedCnnLayers,
  vitLegacy as vitLegacyLayers,
} from "./_image_impl.ts";
import type * as entries from "./image.ts";

type Build<E extends keyof typeof entries> = EncoderBuildOf<
  Extract<(typeof entries)[E], { readonly kind: "encoder" }>
>;

/**
 * Scales raw 0–255 pixel values to [0, 1] and, with `standardize: "imagenet1k"`, standardizes
 * each of the 3 channels with the ImageNet-1k mean and standard deviation: `x · scale[c] +
 * offset[c]`.
 */
export class ImageNormalization extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataImageNormalization";
  /** `imagenet1k` or null. */
  readonly standardize: "imagenet1k" | null;

  /** @param args The standardization and the layer name. */
  constructor(args: { standardize?: "imagenet1k" | null; name?: string }) {
    super(args);
    this.standardize = args.standardize ?? null;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
      if (this.standardize !== "imagenet1k") return tf.mul(x, 1 / 255);
      const channels = x.shape[x.shape.length - 1];
      if (channels !== 3) {
        throw new RangeError(
          `standardize_image "imagenet1k" needs 3 channels, but the images have ${channels}`,
        );
      }
      const scale = tf.tensor1d(IMAGENET1K_STD.map((s) => 1 / (255 * s)));
      const offset = tf.tensor1d(IMAGENET1K_MEAN.map((m, c) => -m / IMAGENET1K_STD[c]));
      return tf.add(tf.mul(x, scale), offset);
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), standardize: this.standardize };
  }
}
tf.serialization.registerClass(ImageNormalization);

function naming(ctx: BuildContext): ImageEncoderNaming {
  return { name: (what) => layerName(ctx, what), seed: () => nextSeed(ctx) };
}

/** The normalization layer of a feature's `standardize_image`. */
function normalize(x: Symbolic, ctx: BuildContext): Symbolic {
  const standardize = stringField(ctx.preprocessing, "standardize_image") === "imagenet1k"
    ? "imagenet1k"
    : null;
  return new ImageNormalization({ standardize, name: layerName(ctx, "normalize") })
    .apply(x) as Symbolic;
}

/** Image `stacked_cnn`. */
export const imageStackedCnn: Build<"imageStackedCnn"> = immediate((config, ctx) => (x) =>
  stackedCnnLayers(normalize(x, ctx), config, naming(ctx))
);

/** `_resnet_legacy`. */
export const resnetLegacy: Build<"resnetLegacy"> = immediate((config, ctx) => (x) =>
  resnetLegacyLayers(normalize(x, ctx), config, naming(ctx))
);

/** `mlp_mixer`. */
export const mlpMixer: Build<"mlpMixer"> = immediate((config, ctx) => (x) =>
  mlpMixerLayers(normalize(x, ctx), config, naming(ctx))
);

/** `_vit_legacy`. */
export const vitLegacy: Build<"vitLegacy"> = immediate((config, ctx) => (x) =>
  vitLegacyLayers(normalize(x, ctx), config, naming(ctx))
);
