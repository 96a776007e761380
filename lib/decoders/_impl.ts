/**
 * Implementations of the regressor, classifier and projector decoders: the output projection
 * after the output feature's FC stack (which the ECD assembly applies, so dependent features can
 * read this feature's hidden state).
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { type DecoderContext, layerName, nextSeed, type Symbolic } from "../model/component.ts";
import { applyActivation, initializer } from "../model/layers.ts";

type Obj = Record<string, unknown>;

function projection(config: Obj, ctx: DecoderContext, units: number): (x: Symbolic) => Symbolic {
  return (x) =>
    tf.layers.dense({
      units,
      useBias: config.use_bias as boolean,
      kernelInitializer: initializer(config.weights_initializer, nextSeed(ctx)),
      biasInitializer: initializer(config.bias_initializer, nextSeed(ctx)),
      name: layerName(ctx, "projection"),
    }).apply(x) as Symbolic;
}

/** `regressor`: one unit (binary logit, or number value). */
export function regressor(config: Obj, ctx: DecoderContext): (x: Symbolic) => Symbolic {
  return projection(config, ctx, 1);
}

/** `classifier`: one logit per class. */
export function classifier(config: Obj, ctx: DecoderContext): (x: Symbolic) => Symbolic {
  return projection(config, ctx, ctx.outputSize);
}

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
export function projector(config: Obj, ctx: DecoderContext): (x: Symbolic) => Symbolic {
  const units = (config.output_size as number | null) ?? ctx.outputSize;
  return (x) => {
    let y = applyActivation(projection(config, ctx, units)(x), config.activation, ctx);
    const clip = config.clip as [number, number] | null;
    if (config.multiplier !== 1 || clip) {
      y = new ScaleClip({
        multiplier: config.multiplier as number,
        clip,
        name: layerName(ctx, "scale_clip"),
      })
        .apply(y) as Symbolic;
    }
    return y;
  };
}
