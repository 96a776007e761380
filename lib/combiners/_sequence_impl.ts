/**
 * `sequence` combiner: `sequence_concat` without reduction ([batch, seq, Σ hidden]), then the
 * configured sequence encoder over the combined sequence, as Ludwig's `SequenceCombiner`: the
 * encoder gets `should_embed: false` (its input is already a sequence of vectors, not token ids),
 * `embedding_size` = Σ hidden, `max_sequence_length` = seq and the combiner's `reduce_output`.
 *
 * The sequence encoders' implementations are loaded when this module loads, so `build()` stays
 * synchronous; an encoder without an implementation is an error at build time.
 *
 * @module
 */
import { encoderEntry, encodersFor } from "../config/components.ts";
import type { BuildContext, CombinerInput, EncoderImpl, Symbolic } from "../model/component.ts";
import { concatOnSequence } from "./_sequence_concat_impl.ts";

type Obj = Record<string, unknown>;

/** The sequence encoder implementations that exist, by type (loaded with this module). */
const LOADED = new Map<string, EncoderImpl>(
  await Promise.all(
    encodersFor("sequence").filter((e) => e.load).map(async (e) =>
      [e.type, await e.load!() as unknown as EncoderImpl] as const
    ),
  ),
);

/** The implementation of a sequence encoder type, or an Error saying why there is none. */
function sequenceEncoder(type: string): EncoderImpl {
  const entry = encoderEntry("sequence", type);
  if (!entry) {
    throw new TypeError(
      `Cannot build combiner "sequence": unknown sequence encoder ${JSON.stringify(type)}`,
    );
  }
  if (!entry.load) {
    throw new Error(
      `Cannot build combiner "sequence": sequence encoder ${
        JSON.stringify(type)
      } is not implemented yet`,
    );
  }
  const impl = LOADED.get(type);
  if (!impl) {
    throw new Error(
      `Cannot build combiner "sequence": sequence encoder ${JSON.stringify(type)} was registered ` +
        `after the sequence combiner was loaded`,
    );
  }
  return impl;
}

/**
 * Build with a given encoder implementation (what {@linkcode build} does with the registry's;
 * tests pass their own).
 */
export function buildWith(
  config: Obj,
  ctx: BuildContext,
  inputs: CombinerInput[],
  encoder: EncoderImpl,
): Symbolic {
  const combined = concatOnSequence(
    inputs,
    config.main_sequence_feature as string | null,
    ctx,
    "sequence",
  );
  const [, steps, hidden] = combined.shape as [null, number, number];
  const encoderConfig: Obj = {
    ...(config.encoder as Obj),
    should_embed: false,
    reduce_output: config.reduce_output,
    embedding_size: hidden,
    max_sequence_length: steps,
  };
  const apply = encoder.build(encoderConfig, {
    ...ctx,
    metadata: { ...ctx.metadata, max_sequence_length: steps, embedding_size: hidden },
  });
  return apply(combined);
}

/** Build the sequence combiner on the encoder outputs. */
export function build(config: Obj, ctx: BuildContext, inputs: CombinerInput[]): Symbolic {
  const type = (config.encoder as Obj).type as string;
  return buildWith(config, ctx, inputs, sequenceEncoder(type));
}
