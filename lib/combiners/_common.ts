/**
 * Helpers shared by the combiner implementations: flattening encoder outputs, stacking vectors
 * as tokens, and the FC stack settings of the transformer combiners.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import {
  booleanField,
  type BuildContext,
  type CombinerInput,
  layerName,
  nextSeed,
  numberField,
  type Symbolic,
} from "../model/component.ts";
import { fcSpec, type FcStackSpec, initializer } from "../model/layers.ts";

type Obj = Record<string, unknown>;

/** An encoder output flattened to [batch, Π dims] (rank-2 outputs pass through). */
export function flatten(input: CombinerInput, ctx: BuildContext): Symbolic {
  const { name, tensor } = input;
  if (tensor.shape.length === 2) return tensor;
  if (tensor.shape.slice(1).some((d) => d === null)) {
    throw new TypeError(
      `Cannot flatten input feature ${JSON.stringify(name)}: its encoder output has an unknown ` +
        `dimension [batch, ${tensor.shape.slice(1).join(", ")}]`,
    );
  }
  return tf.layers.flatten({ name: layerName(ctx, `flatten_${name}`) }).apply(tensor) as Symbolic;
}

/** All encoder outputs flattened and concatenated on the last axis: [batch, Σ sizes]. */
export function flattenAndConcat(
  inputs: readonly CombinerInput[],
  ctx: BuildContext,
  combiner: string,
): Symbolic {
  if (!inputs.length) {
    throw new TypeError(`Cannot build combiner "${combiner}": it received no input features`);
  }
  const flat = inputs.map((input) => flatten(input, ctx));
  return flat.length === 1
    ? flat[0]
    : tf.layers.concatenate({ axis: -1, name: layerName(ctx, "concat") }).apply(flat) as Symbolic;
}

/** A dense projection of one flattened input (bias, xavier_uniform weights). */
export function project(x: Symbolic, units: number, ctx: BuildContext, what: string): Symbolic {
  return tf.layers.dense({
    units,
    kernelInitializer: initializer("xavier_uniform", nextSeed(ctx)),
    name: layerName(ctx, what),
  }).apply(x) as Symbolic;
}

/** Vectors [batch, h] (all the same h) stacked as tokens: [batch, n, h]. */
export function stackTokens(vectors: readonly Symbolic[], ctx: BuildContext): Symbolic {
  const tokens = vectors.map((v) =>
    tf.layers.reshape({ targetShape: [1, v.shape[1] as number], name: layerName(ctx, "token") })
      .apply(v) as Symbolic
  );
  return tokens.length === 1
    ? tokens[0]
    : tf.layers.concatenate({ axis: 1, name: layerName(ctx, "tokens") }).apply(tokens) as Symbolic;
}

/** The FC stack of the transformer combiners, whose stack-level keys are `fc_`-prefixed in part. */
export function transformerFcSpec(config: Obj): FcStackSpec {
  return {
    ...fcSpec(config),
    activation: config.fc_activation === undefined ? "relu" : config.fc_activation,
    dropout: numberField(config, "fc_dropout") ?? 0,
    residual: booleanField(config, "fc_residual") ?? false,
  };
}
