/**
 * `project_aggregate` combiner: every encoder output is flattened and projected to
 * `projection_size` (a dense layer per feature), the projections are averaged, and the average
 * goes through the FC stack (`residual` skip connections where sizes match, layer norm by
 * default): [batch, output_size].
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
import { flatten, project } from "./_common.ts";
import type * as entries from "./mod.ts";

type Config = ConfigOf<typeof entries.projectAggregate>;

type Obj = Record<string, unknown>;

/** Build the project_aggregate combiner on the encoder outputs. */
function combine(config: Config, ctx: BuildContext, inputs: CombinerInput[]): Symbolic {
  if (!inputs.length) {
    throw new TypeError('Cannot build combiner "project_aggregate": it received no input features');
  }
  const size = config.projection_size;
  const projected = inputs.map((input) =>
    project(flatten(input, ctx), size, ctx, `project_${input.name}`)
  );
  const mean = projected.length === 1
    ? projected[0]
    : tf.layers.average({ name: layerName(ctx, "aggregate") }).apply(projected) as Symbolic;
  return fcStack(mean, fcSpec(config), ctx);
}

/** Build the combiner on the encoder outputs (the registry's `load()` shape). */
export const build: CombinerBuildOf<typeof entries.projectAggregate> = immediate(combine);
