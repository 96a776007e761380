/**
 * `transformer` combiner: every encoder output is flattened and projected to `hidden_size`
 * (a dense layer per feature); the projections are stacked as tokens [batch, n_features,
 * hidden_size] and run through `num_layers` transformer blocks (multi-head self-attention with
 * `num_heads` heads, a feed-forward layer of `transformer_output_size`, `dropout`, post layer
 * norm); then `reduce_output` (mean by default) and the FC stack (`num_fc_layers`, `output_size`,
 * `fc_activation`, `fc_dropout`, `fc_residual`, `norm` ...). With `reduce_output: null` the tokens
 * are returned as [batch, n_features, hidden_size] and there is no FC stack, as in Ludwig.
 *
 * @module
 */
import {
  type BuildContext,
  type CombinerBuildOf,
  type CombinerInput,
  type ConfigOf,
  immediate,
  type Symbolic,
} from "../model/component.ts";
import { fcStack } from "../model/layers.ts";
import { reduceSequence } from "../model/reduce.ts";
import { transformerStack } from "../model/_attention.ts";
import { flatten, project, stackTokens, transformerFcSpec } from "./_common.ts";
import type * as entries from "./mod.ts";

type Config = ConfigOf<typeof entries.transformer>;

type Obj = Record<string, unknown>;

/** Build the transformer combiner on the encoder outputs. */
function combine(config: Config, ctx: BuildContext, inputs: CombinerInput[]): Symbolic {
  if (!inputs.length) {
    throw new TypeError('Cannot build combiner "transformer": it received no input features');
  }
  const hidden = config.hidden_size;
  const projected = inputs.map((input) =>
    project(flatten(input, ctx), hidden, ctx, `project_${input.name}`)
  );
  let h = stackTokens(projected, ctx);
  h = transformerStack(h, {
    numLayers: config.num_layers,
    hiddenSize: hidden,
    numHeads: config.num_heads,
    outputSize: config.transformer_output_size,
    dropout: config.dropout,
  }, ctx);
  if (config.reduce_output === null || config.reduce_output === "none") return h;
  h = reduceSequence(h, config.reduce_output, ctx);
  return fcStack(h, transformerFcSpec(config), ctx);
}

/** Build the combiner on the encoder outputs (the registry's `load()` shape). */
export const build: CombinerBuildOf<typeof entries.transformer> = immediate(combine);
