/**
 * `sequence` combiner: `sequence_concat` without reduction ([batch, seq, Σ hidden]), then the
 * configured sequence encoder over the combined sequence, as Ludwig's `SequenceCombiner`: the
 * encoder gets `should_embed: false` (its input is already a sequence of vectors, not token ids),
 * `embedding_size` = Σ hidden, `max_sequence_length` = seq and the combiner's `reduce_output`.
 *
 * The encoder is built through the build context's encoder resolver (`ctx.encoders`), which
 * loads its implementation lazily; an encoder without an implementation is an error at build time.
 *
 * @module
 */
import { encoderEntry } from "../config/components.ts";
import type {
  BuildContext,
  CombinerBuildOf,
  CombinerInput,
  ConfigOf,
  EncoderImpl,
  Symbolic,
} from "../model/component.ts";
import { concatOnSequence } from "./_sequence_concat_impl.ts";
import type * as entries from "./mod.ts";

type Obj = Record<string, unknown>;
type Config = ConfigOf<typeof entries.sequence>;

/** Why a sequence encoder type cannot be built, or undefined when it can. */
function unavailable(type: string): Error | undefined {
  const entry = encoderEntry("sequence", type);
  if (!entry) {
    return new TypeError(
      `Cannot build combiner "sequence": unknown sequence encoder ${JSON.stringify(type)}`,
    );
  }
  if (!entry.load) {
    return new Error(
      `Cannot build combiner "sequence": sequence encoder ${
        JSON.stringify(type)
      } is not implemented yet`,
    );
  }
  return undefined;
}

/**
 * Build with a given encoder implementation (what {@linkcode build} does with the registry's;
 * tests pass their own).
 */
export async function buildWith(
  config: Config,
  ctx: BuildContext,
  inputs: CombinerInput[],
  encoder: EncoderImpl,
): Promise<Symbolic> {
  const combined = concatOnSequence(inputs, config.main_sequence_feature, ctx, "sequence");
  const [, steps, hidden] = combined.shape as [null, number, number];
  const encoderConfig: Obj = {
    ...(config.encoder as Obj),
    should_embed: false,
    reduce_output: config.reduce_output,
    embedding_size: hidden,
    max_sequence_length: steps,
  };
  const apply = await encoder.build(encoderConfig as Parameters<EncoderImpl["build"]>[0], {
    ...ctx,
    metadata: { ...ctx.metadata, max_sequence_length: steps, embedding_size: hidden },
  });
  return apply(combined);
}

/** Build the sequence combiner on the encoder outputs; the encoder comes from `ctx.encoders`. */
export const build: CombinerBuildOf<typeof entries.sequence> = async (config, ctx, inputs) => {
  const type = config.encoder.type;
  const why = unavailable(type);
  if (why) throw why;
  const resolved: EncoderImpl = {
    build: (encoderConfig, encoderCtx) =>
      ctx.encoders("sequence", { ...encoderConfig, type }, encoderCtx),
  };
  return await buildWith(config, ctx, inputs, resolved);
};
