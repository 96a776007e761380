/**
 * The `tagger` decoder (Ludwig's `SequenceTaggerDecoder`): one classification per time step of a
 * sequence-shaped hidden state. Optional multi-head self-attention
 * (`use_attention`, `attention_embedding_size`, `attention_num_heads`), then a dense projection
 * applied at every step: `[batch, length, hidden]` → logits `[batch, length, vocab_size]`.
 *
 * The hidden state must keep the time axis (a combiner such as `sequence_concat` or `sequence`
 * over encoders with `reduce_output: null`; `reduce_input` is forced to null by the config
 * checks) and its length must equal the output feature's `max_sequence_length`, so that step i
 * tags input token i.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { MultiHeadSelfAttention } from "../model/_attention.ts";
import { type DecoderBuildOf, layerName, nextSeed, type Symbolic } from "../model/component.ts";
import { initializer } from "../model/layers.ts";
import type * as entries from "./mod.ts";

/**
 * Build the tagger.
 *
 * @param config the resolved decoder config
 * @param ctx build context; `outputSize` is the vocabulary size
 * @returns hidden [batch, length, hidden] → logits [batch, length, vocab]
 */
export const tagger: DecoderBuildOf<typeof entries.tagger> = (config, ctx) => {
  const vocab = config.vocab_size ?? ctx.outputSize;
  const max = ctx.metadata?.max_sequence_length;
  const expected = typeof max === "number" ? max : undefined;
  return Promise.resolve((hidden: Symbolic) => {
    const shape = hidden.shape;
    if (shape.length !== 3) {
      throw new RangeError(
        `Cannot build the tagger decoder of output feature "${ctx.scope}": expected a hidden ` +
          `state [batch, length, hidden], received [${
            shape.map((d) => d ?? "batch").join(", ")
          }]: use a sequence combiner (sequence_concat, sequence) over encoders with ` +
          `reduce_output: null`,
      );
    }
    if (expected !== undefined && shape[1] !== null && shape[1] !== expected) {
      throw new RangeError(
        `Cannot build the tagger decoder of output feature "${ctx.scope}": the hidden state has ` +
          `${shape[1]} steps [batch, ${shape[1]}, ${shape[2]}], but the output sequences have ` +
          `max_sequence_length ${expected}: give input and output the same sequence_length`,
      );
    }
    let h = hidden;
    if (config.use_attention === true) {
      h = new MultiHeadSelfAttention({
        hiddenSize: config.attention_embedding_size,
        numHeads: config.attention_num_heads,
        seed: nextSeed(ctx),
        name: layerName(ctx, "self_attention"),
      }).apply(h) as Symbolic;
    }
    return tf.layers.dense({
      units: vocab,
      useBias: config.use_bias,
      kernelInitializer: initializer(config.weights_initializer, nextSeed(ctx)),
      biasInitializer: initializer(config.bias_initializer, nextSeed(ctx)),
      name: layerName(ctx, "projection"),
    }).apply(h) as Symbolic;
  });
};

/** The registry's `load()` shape. */
export const build: typeof tagger = tagger;
