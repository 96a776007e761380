/**
 * `concat` combiner: concatenate encoder outputs [batch, h_i] on the last axis into
 * [batch, Σ h_i], then a fully connected stack (optionally residual). A single sequence input
 * [batch, seq, h] (its encoder's `reduce_output: null`) passes through the stack unreduced.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import {
  type BuildContext,
  type CombinerBuildOf,
  type CombinerInput,
  type ConfigOf,
  immediate,
  layerName,
  type Symbolic,
} from "../model/component.ts";
import { fcSpec, fcStack } from "../model/layers.ts";
import type * as entries from "./mod.ts";

type Config = ConfigOf<typeof entries.concat>;

/** Build the combiner on the encoder outputs. */
function combine(config: Config, ctx: BuildContext, inputs: CombinerInput[]): Symbolic {
  // Like Ludwig: a single sequence input [batch, seq, h] goes through the FC stack as it is
  // (dense layers act on the last axis), so a tagger can decode each time step.
  if (inputs.length === 1 && inputs[0].tensor.shape.length === 3 && !config.flatten_inputs) {
    return fcStack(inputs[0].tensor, fcSpec(config), ctx);
  }
  const flat = inputs.map(({ name, tensor }) => {
    if (tensor.shape.length === 2) return tensor;
    if (!config.flatten_inputs) {
      throw new TypeError(
        `Cannot build combiner "concat": input feature ${
          JSON.stringify(name)
        } gives a sequence [batch, ${
          tensor.shape.slice(1).join(", ")
        }]: set the encoder's reduce_output, or combiner.flatten_inputs: true`,
      );
    }
    return tf.layers.flatten({ name: layerName(ctx, `flatten_${name}`) }).apply(tensor) as Symbolic;
  });
  const joined = flat.length === 1
    ? flat[0]
    : tf.layers.concatenate({ axis: -1, name: layerName(ctx, "concat") }).apply(flat) as Symbolic;
  return fcStack(joined, fcSpec(config), ctx);
}

/** Build the combiner on the encoder outputs (the registry's `load()` shape). */
export const build: CombinerBuildOf<typeof entries.concat> = immediate(combine);
