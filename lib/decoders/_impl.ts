/**
 * Implementations of the regressor, classifier and projector decoders: the output projection
 * after the output feature's FC stack (which the ECD assembly applies, so dependent features can
 * read this feature's hidden state).
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import {
  type ConfigOf,
  type DecoderBuildOf,
  type DecoderContext,
  layerName,
  nextSeed,
  type Symbolic,
} from "../model/component.ts";
import { applyActivation, initializer } from "../model/layers.ts";
import type * as entries from "./mod.ts";

type Projection = Pick<
  ConfigOf<typeof entries.regressor>,
  "use_bias" | "weights_initializer" | "bias_initializer"
>;

function projection(
  config: Projection,
  ctx: DecoderContext,
  units: number,
): (x: Symbolic) => Symbolic {
  return (x) =>
    tf.layers.dense({
      units,
      useBias: config.use_bias,
      kernelInitializer: initializer(config.weights_initializer, nextSeed(ctx)),
      biasInitializer: initializer(config.bias_initializer, nextSeed(ctx)),
      name: layerName(ctx, "projection"),
    }).apply(x) as Symbolic;
}

/** `regressor`: one unit (binary logit, or number value). */
export const regressor: DecoderBuildOf<typeof entries.regressor> = (config, ctx) =>
  Promise.resolve(projection(config, ctx, 1));

/** `classifier`: one logit per class. */
export const classifier: DecoderBuildOf<typeof entries.classifier> = (config, ctx) =>
  Promise.resolve(projection(config, ctx, ctx.outputSize));

/** Scale by `multiplier`, then clip to [min, max] (the projector's post-processing). */
export class ScaleClip extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataScaleClip";
  readonly multiplier: number;
  readonly clip: [number, number] | null;

  /** @param args multiplier and optional clip range. */
  constructor(args: { multiplier: number; clip: [number, number] | null; name?: string }) {
    super(args);
    this.multiplier = args.multiplier;
    this.clip = args.clip;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (this.multiplier !== 1) x = tf.mul(x, this.multiplier);
      return this.clip ? tf.clipByValue(x, this.clip[0], this.clip[1]) : tf.clone(x);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), multiplier: this.multiplier, clip: this.clip };
  }
}
tf.serialization.registerClass(ScaleClip);

/** `projector`: a linear projection to the vector size, activation, multiplier and clip. */
export const projector: DecoderBuildOf<typeof entries.projector> = (config, ctx) => {
  const units = config.output_size ?? ctx.outputSize;
  return Promise.resolve((x: Symbolic) => {
    let y = applyActivation(projection(config, ctx, units)(x), config.activation, ctx);
    const clip = config.clip;
    if (config.multiplier !== 1 || clip) {
      y = new ScaleClip({
        multiplier: config.multiplier,
        clip,
        name: layerName(ctx, "scale_clip"),
      })
        .apply(y) as Symbolic;
    }
    return y;
  });
};
