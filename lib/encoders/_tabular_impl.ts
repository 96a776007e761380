/**
 * Implementations of the tabular encoders (entries in `tabular.ts`). Inputs, per feature type:
 * binary/number [batch, 1] float32; category [batch, 1] int32 indices; set [batch, V] multi-hot
 * and bag [batch, V] counts (float32); vector [batch, D]; date [batch, 9] int32 components
 * (year, month, day, weekday, yearday, hour, minute, second, second of day); h3 [batch, 19] int32
 * (mode, edge, resolution, base cell, 15 cells).
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import {
  type BuildContext,
  type ConfigOf,
  type EncoderBuildOf,
  immediate,
  layerName,
  nextSeed,
  numberField,
  stringsField,
  type Symbolic,
} from "../model/component.ts";
import { ColumnSlice, OneHot, Periodic, WeightedSum } from "../model/_custom_layers.ts";
import {
  applyDropout,
  fcSpec,
  fcStack,
  initializer,
  recurrentActivationName,
} from "../model/layers.ts";
import { reduceSequence } from "../model/reduce.ts";
import { pretrainedTable } from "./_embeddings.ts";
import type * as entries from "./tabular.ts";

type Build<E extends keyof typeof entries> = EncoderBuildOf<(typeof entries)[E]>;

function vocabSize(ctx: BuildContext, config: { vocab_size?: number | null }): number {
  const size = numberField(ctx.metadata, "vocab_size") ?? config.vocab_size ??
    stringsField(ctx.metadata, "idx2str")?.length;
  if (!size) {
    throw new TypeError(
      `Cannot build the encoder of "${ctx.scope}": no vocabulary size in its metadata`,
    );
  }
  return size;
}

function embeddingInit(
  config: { embedding_initializer?: unknown; weights_initializer?: unknown },
  ctx: BuildContext,
  fallback = "uniform",
) {
  const spec = config.embedding_initializer ?? config.weights_initializer ?? fallback;
  // Ludwig initializes embeddings uniformly in [-1, 1] when no initializer is named.
  if (spec === "uniform" && config.embedding_initializer == null) {
    return tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: nextSeed(ctx) });
  }
  return initializer(spec, nextSeed(ctx));
}

/** `passthrough`: the value itself (category indices as floats). */
export const passthrough: Build<"passthrough"> = immediate((_config, ctx) => (x: Symbolic) =>
  x.dtype === "float32" ? x : new ColumnSlice({
    start: 0,
    size: x.shape[1] as number,
    toFloat: true,
    name: layerName(ctx, "as_float"),
  })
    .apply(x) as Symbolic
);

/** `dense` for binary/number/vector: an FC stack of `num_layers` (or `fc_layers`). */
export const dense: Build<"dense"> = immediate((config, ctx) => (x: Symbolic) =>
  fcStack(x, { ...fcSpec(config), numLayers: config.num_layers }, ctx)
);

/** Category `dense`: a trainable embedding of size `embedding_size`. */
export const categoryDense: Build<"categoryDense"> = async (config, ctx) => {
  const pretrained = await pretrainedTable(config.pretrained_embeddings, ctx);
  return (x: Symbolic) => {
    const name = layerName(ctx, "embedding");
    const e = tf.layers.embedding({
      inputDim: vocabSize(ctx, config),
      outputDim: pretrained?.size ?? config.embedding_size,
      inputLength: 1,
      embeddingsInitializer: embeddingInit(config, ctx),
      trainable: config.embeddings_trainable,
      name,
    }).apply(x) as Symbolic;
    pretrained?.assignTo(name);
    const flat = tf.layers.flatten({ name: layerName(ctx, "flatten") }).apply(e) as Symbolic;
    return applyDropout(flat, config.dropout, ctx);
  };
};

/** Category `sparse`: one-hot embeddings through a fixed identity matrix. */
export const categorySparse: Build<"categorySparse"> = immediate((config, ctx) => (x: Symbolic) => {
  const v = vocabSize(ctx, config);
  const e = tf.layers.embedding({
    inputDim: v,
    outputDim: v,
    inputLength: 1,
    embeddingsInitializer: tf.initializers.identity({ gain: 1 }),
    trainable: config.embeddings_trainable,
    name: layerName(ctx, "embedding"),
  }).apply(x) as Symbolic;
  const flat = tf.layers.flatten({ name: layerName(ctx, "flatten") }).apply(e) as Symbolic;
  return applyDropout(flat, config.dropout, ctx);
});

/** Category `onehot`: the one-hot vector. */
export const categoryOnehot: Build<"categoryOnehot"> = immediate((config, ctx) => (x: Symbolic) =>
  new OneHot({ depth: vocabSize(ctx, config), name: layerName(ctx, "one_hot") }).apply(
    x,
  ) as Symbolic
);

/** Set/bag `embed`: the (count-)weighted sum of item embeddings, then an FC stack. */
export const setEmbed: EncoderBuildOf<typeof entries.setEmbed | typeof entries.bagEmbed> = async (
  config: ConfigOf<typeof entries.setEmbed> & { force_embedding_size?: boolean },
  ctx,
) => {
  const sparse = config.representation === "sparse";
  const pretrained = sparse ? undefined : await pretrainedTable(config.pretrained_embeddings, ctx);
  return (x: Symbolic) => {
    const v = vocabSize(ctx, config);
    const size = sparse
      ? v
      : pretrained
      ? pretrained.size
      : config.force_embedding_size
      ? config.embedding_size
      : Math.min(v, config.embedding_size);
    const name = layerName(ctx, "embedding_sum");
    const summed = tf.layers.dense({
      units: size,
      useBias: false,
      kernelInitializer: sparse
        ? tf.initializers.identity({ gain: 1 })
        : embeddingInit(config, ctx),
      trainable: !sparse && config.embeddings_trainable,
      name,
    }).apply(x) as Symbolic;
    pretrained?.assignTo(name);
    return fcStack(summed, fcSpec(config), ctx);
  };
};

/** Periods of the date components after the year. */
const DATE_PERIODS = [12, 31, 7, 366, 24, 60, 60, 86400];
/** Embedding table sizes of the date components after the year (month and day are 1-based). */
const DATE_VOCAB = [13, 32, 7, 367, 24, 60, 60];

function yearDense(x: Symbolic, ctx: BuildContext): Symbolic {
  const year = new ColumnSlice({ start: 0, size: 1, toFloat: true, name: layerName(ctx, "year") })
    .apply(x) as Symbolic;
  return tf.layers.dense({
    units: 1,
    kernelInitializer: initializer("xavier_uniform", nextSeed(ctx)),
    name: layerName(ctx, "year_dense"),
  }).apply(year) as Symbolic;
}

/** Date `embed`: the year through a unit, each other component embedded; then an FC stack. */
export const dateEmbed: Build<"dateEmbed"> = immediate((config, ctx) => (x: Symbolic) => {
  const parts: Symbolic[] = [yearDense(x, ctx)];
  DATE_VOCAB.forEach((vocab, i) => {
    const col = new ColumnSlice({ start: i + 1, size: 1, name: layerName(ctx, "component") }).apply(
      x,
    ) as Symbolic;
    const e = tf.layers.embedding({
      inputDim: vocab,
      outputDim: config.embedding_size,
      inputLength: 1,
      embeddingsInitializer: tf.initializers.randomUniform({
        minval: -1,
        maxval: 1,
        seed: nextSeed(ctx),
      }),
      name: layerName(ctx, "date_embedding"),
    }).apply(col) as Symbolic;
    parts.push(tf.layers.flatten({ name: layerName(ctx, "flatten") }).apply(e) as Symbolic);
  });
  const secondOfDay = new ColumnSlice({
    start: 8,
    size: 1,
    toFloat: true,
    name: layerName(ctx, "second_of_day"),
  })
    .apply(x) as Symbolic;
  parts.push(
    new Periodic({ periods: [86400], name: layerName(ctx, "periodic") }).apply(
      secondOfDay,
    ) as Symbolic,
  );
  const joined = tf.layers.concatenate({ name: layerName(ctx, "concat") }).apply(parts) as Symbolic;
  return fcStack(joined, fcSpec(config), ctx);
});

/** Date `wave`: the year through a unit and sin(2π c / period) of every other component. */
export const dateWave: Build<"dateWave"> = immediate((config, ctx) => (x: Symbolic) => {
  const rest = new ColumnSlice({
    start: 1,
    size: 8,
    toFloat: true,
    name: layerName(ctx, "components"),
  })
    .apply(x) as Symbolic;
  const waves = new Periodic({ periods: DATE_PERIODS, name: layerName(ctx, "periodic") }).apply(
    rest,
  ) as Symbolic;
  const joined = tf.layers.concatenate({ name: layerName(ctx, "concat") }).apply([
    yearDense(x, ctx),
    waves,
  ]) as Symbolic;
  return fcStack(joined, fcSpec(config), ctx);
});

/** Vocabulary sizes of the 19 h3 components: mode, edge, resolution, base cell, 15 cells. */
const H3_VOCAB = [16, 7, 16, 122, ...Array.from({ length: 15 }, () => 8)];

/** The 19 component embeddings stacked as [batch, 19, embedding_size]. */
function h3Components(
  x: Symbolic,
  config: { embedding_size: number },
  ctx: BuildContext,
): Symbolic {
  const size = config.embedding_size;
  const cells = tf.layers.embedding({
    inputDim: 8,
    outputDim: size,
    embeddingsInitializer: tf.initializers.randomUniform({
      minval: -1,
      maxval: 1,
      seed: nextSeed(ctx),
    }),
    name: layerName(ctx, "h3_cells"),
  });
  const parts = H3_VOCAB.slice(0, 4).map((vocab, i) => {
    const col = new ColumnSlice({ start: i, size: 1, name: layerName(ctx, "h3_component") }).apply(
      x,
    ) as Symbolic;
    return tf.layers.embedding({
      inputDim: vocab,
      outputDim: size,
      inputLength: 1,
      embeddingsInitializer: tf.initializers.randomUniform({
        minval: -1,
        maxval: 1,
        seed: nextSeed(ctx),
      }),
      name: layerName(ctx, "h3_embedding"),
    }).apply(col) as Symbolic;
  });
  const cellIds = new ColumnSlice({ start: 4, size: 15, name: layerName(ctx, "h3_cell_ids") })
    .apply(x) as Symbolic;
  parts.push(cells.apply(cellIds) as Symbolic);
  return tf.layers.concatenate({ axis: 1, name: layerName(ctx, "h3_stack") }).apply(
    parts,
  ) as Symbolic;
}

/** H3 `embed`: component embeddings reduced (`reduce_output`), then an FC stack. */
export const h3Embed: Build<"h3Embed"> = immediate((config, ctx) => (x: Symbolic) =>
  fcStack(
    reduceSequence(h3Components(x, config, ctx), config.reduce_output, ctx),
    fcSpec(config),
    ctx,
  )
);

/** H3 `weighted_sum`: a learned weighted sum of the component embeddings, then an FC stack. */
export const h3WeightedSum: Build<"h3WeightedSum"> = immediate((config, ctx) => (x: Symbolic) => {
  const summed = new WeightedSum({
    softmax: config.should_softmax,
    name: layerName(ctx, "weighted_sum"),
  })
    .apply(h3Components(x, config, ctx)) as Symbolic;
  return fcStack(summed, fcSpec(config), ctx);
});

/** H3 `rnn`: a recurrent network over the component embeddings. */
export const h3Rnn: Build<"h3Rnn"> = immediate((config, ctx) => (x: Symbolic) => {
  let h = h3Components(x, config, ctx);
  const layers = config.num_layers;
  for (let i = 0; i < layers; i++) {
    const args = {
      units: config.hidden_size,
      activation: config.activation,
      useBias: config.use_bias,
      kernelInitializer: initializer(config.weights_initializer, nextSeed(ctx)),
      recurrentInitializer: initializer(config.recurrent_initializer, nextSeed(ctx)),
      biasInitializer: initializer(config.bias_initializer, nextSeed(ctx)),
      dropout: config.dropout,
      recurrentDropout: config.recurrent_dropout,
      returnSequences: true,
      name: layerName(ctx, config.cell_type),
    };
    const cell = config.cell_type === "lstm"
      ? tf.layers.lstm({
        ...args,
        recurrentActivation: recurrentActivationName(config.recurrent_activation),
        unitForgetBias: config.unit_forget_bias,
      })
      : config.cell_type === "gru"
      ? tf.layers.gru({
        ...args,
        recurrentActivation: recurrentActivationName(config.recurrent_activation),
      })
      : tf.layers.simpleRNN(args);
    h = (config.bidirectional
      ? tf.layers.bidirectional({
        layer: cell as tf.RNN,
        mergeMode: "concat",
        name: layerName(ctx, "bidirectional"),
      })
      : cell).apply(h) as Symbolic;
  }
  return reduceSequence(h, config.reduce_output, ctx);
});
