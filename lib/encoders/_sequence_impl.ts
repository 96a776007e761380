/**
 * Implementations of the sequence and text encoders (entries in `sequence.ts`), after Ludwig
 * 0.8's `ludwig/encoders/sequence_encoders.py` and `ludwig/modules/{embedding,convolutional,
 * recurrent,attention}_modules.py`.
 *
 * Input: int32 token ids [batch, seq] (`<SOS> tokens… <EOS>` then `<PAD>`), or, with
 * `should_embed: false` (the `sequence` combiner), vectors [batch, seq, hidden] whose padded
 * steps are all zero. Output: [batch, hidden] after `reduce_output` and the FC stack, or
 * [batch, seq', hidden] with `reduce_output: null` (padded steps zero).
 *
 * Padding never changes an output: a mask (token id ≠ `pad_idx`, or a nonzero vector) travels
 * with the sequence; embeddings and every convolution output are zeroed at padded steps,
 * pooling and reductions skip them, attention does not attend to them, and recurrences see
 * the real steps first (left-padded rows are rotated so that padding comes last, and backward
 * recurrences run over the reversed real part). Ludwig itself mostly ignores padding (its
 * reducers sum and take the max over padded steps too).
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { SPECIAL_SYMBOL_INDEX } from "../data/vocabulary.ts";
import {
  booleanField,
  type BuildContext,
  type EncoderBuildOf,
  layerName,
  nextSeed,
  numberField,
  objectsField,
  recordField,
  stringField,
  stringsField,
  type Symbolic,
} from "../model/component.ts";
import {
  applyActivation,
  applyDropout,
  applyNorm,
  fcStack,
  initializer,
  recurrentActivationName,
} from "../model/layers.ts";
import type { FcStackSpec } from "../model/layers.ts";
import { reduceSequence } from "../model/reduce.ts";
import {
  ApplyMask,
  MaskedPool1D,
  PadsLast,
  PositionEmbedding,
  ReverseReal,
  TfIdf,
  TokenMask,
  TokenOneHot,
  VectorMask,
  windowedLength,
  WindowMask,
} from "../model/_mask.ts";
import { transformerStack } from "../model/_attention.ts";
import { type PretrainedTable, pretrainedTable } from "./_embeddings.ts";
import type * as entries from "./sequence.ts";

type Obj = Record<string, unknown>;
type Build<E extends keyof typeof entries> = EncoderBuildOf<(typeof entries)[E]>;

/** What the embedding step reads of a config. */
interface EmbedConfig {
  readonly pretrained_embeddings?: string | null;
  readonly should_embed?: boolean;
}

/**
 * An async build from a synchronous one that receives the pretrained vectors of the config's
 * `pretrained_embeddings` file (read before any layer exists; none when inputs are vectors).
 */
function withEmbeddings<C extends EmbedConfig>(
  build: (config: C, ctx: BuildContext, pretrained?: PretrainedTable) => (x: Symbolic) => Symbolic,
): (config: C, ctx: BuildContext) => Promise<(x: Symbolic) => Symbolic> {
  return async (config, ctx) => {
    const pretrained = config.should_embed === false
      ? undefined
      : await pretrainedTable(config.pretrained_embeddings, ctx);
    return build(config, ctx, pretrained);
  };
}

/** A sequence of vectors with its padding mask. */
interface Masked {
  /** [batch, seq, hidden] */
  x: Symbolic;
  /** [batch, seq], 1 at real steps */
  mask: Symbolic;
}

// ---------------------------------------------------------------------------------------------
// Metadata

function vocabSize(ctx: BuildContext, config: Obj): number {
  const size = numberField(ctx.metadata, "vocab_size") ?? numberField(config, "vocab_size") ??
    stringsField(ctx.metadata, "idx2str")?.length ?? stringsField(config, "vocab")?.length;
  if (!size) {
    throw new TypeError(
      `Cannot build the encoder of "${ctx.scope}": no vocabulary size in its metadata`,
    );
  }
  return size;
}

/** Index of the padding symbol: metadata `pad_idx`, else its index in the vocabulary, else 2. */
export function paddingIndex(ctx: BuildContext): number {
  const m = ctx.metadata ?? {};
  if (typeof m.pad_idx === "number") return m.pad_idx;
  const symbol = stringField(m, "padding_symbol") ??
    stringField(ctx.preprocessing, "padding_symbol") ??
    "<PAD>";
  const str2idx = recordField(m, "str2idx");
  const at = str2idx?.[symbol];
  if (typeof at === "number") return at;
  const idx = stringsField(m, "idx2str")?.indexOf(symbol) ?? -1;
  return idx >= 0 ? idx : SPECIAL_SYMBOL_INDEX.padding;
}

// ---------------------------------------------------------------------------------------------
// Embedding (Ludwig's EmbedSequence / TokenAndPositionEmbedding)

function embeddingInitializer(config: Obj, ctx: BuildContext) {
  const spec = config.weights_initializer;
  // Ludwig draws embeddings from U(-1, 1) when no initializer is given.
  if (spec === null || spec === undefined) {
    return tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: nextSeed(ctx) });
  }
  return initializer(spec, nextSeed(ctx));
}

/** Token ids → masked embeddings (dense, pretrained or one-hot), then dropout. */
function embedTokens(
  ids: Symbolic,
  config: Obj,
  ctx: BuildContext,
  position = false,
  pretrained?: PretrainedTable,
): Masked {
  const padIdx = paddingIndex(ctx);
  if (ctx.preprocessing?.padding === "left") {
    ids = new PadsLast({ padIdx, name: layerName(ctx, "pads_last") }).apply(ids) as Symbolic;
  }
  const mask = new TokenMask({ padIdx, name: layerName(ctx, "mask") }).apply(ids) as Symbolic;
  const v = vocabSize(ctx, config);
  let x: Symbolic;
  if (config.representation === "sparse") {
    x = new TokenOneHot({ depth: v, name: layerName(ctx, "one_hot") }).apply(ids) as Symbolic;
  } else {
    const size = pretrained?.size ?? Math.min(v, config.embedding_size as number);
    const name = layerName(ctx, "embedding");
    x = tf.layers.embedding({
      inputDim: v,
      outputDim: size,
      embeddingsInitializer: embeddingInitializer(config, ctx),
      trainable: config.embeddings_trainable !== false,
      name,
    }).apply(ids) as Symbolic;
    pretrained?.assignTo(name);
  }
  x = applyDropout(x, config.dropout, ctx);
  if (position) {
    x = new PositionEmbedding({ seed: nextSeed(ctx), name: layerName(ctx, "position_embedding") })
      .apply(x) as Symbolic;
  }
  return { x: masked(x, mask, ctx), mask };
}

/** Vectors [batch, seq, h] (or values [batch, seq]) with the mask of their nonzero steps. */
function vectorInput(x: Symbolic, ctx: BuildContext): Masked {
  if (x.shape.length === 2) {
    x = tf.layers.reshape({ targetShape: [x.shape[1] as number, 1], name: layerName(ctx, "as_3d") })
      .apply(x) as Symbolic;
  }
  const mask = new VectorMask({ name: layerName(ctx, "mask") }).apply(x) as Symbolic;
  return { x, mask };
}

/** The encoder's input as a masked sequence: embedded ids, or the vectors themselves. */
function sequenceInput(
  input: Symbolic,
  config: Obj,
  ctx: BuildContext,
  pretrained: PretrainedTable | undefined,
  position = false,
): Masked {
  return config.should_embed === false
    ? vectorInput(input, ctx)
    : embedTokens(input, config, ctx, position, pretrained);
}

function masked(x: Symbolic, mask: Symbolic, ctx: BuildContext): Symbolic {
  return new ApplyMask({ name: layerName(ctx, "apply_mask") }).apply([x, mask]) as Symbolic;
}

// ---------------------------------------------------------------------------------------------
// Reduction and FC stack

/** Settings of the FC stack after the reduction; CNN encoders default to [512, 256]. */
function fcSettings(config: Obj, prefix: "" | "fc_", defaultLayers: boolean): FcStackSpec {
  // `fc_layers` wins over `num_fc_layers` (Ludwig rejects configs that set both).
  let layers = objectsField(config, "fc_layers") ?? null;
  const num = numberField(config, "num_fc_layers");
  if (!layers && (num === null || num === undefined) && defaultLayers) {
    layers = [{ output_size: 512 }, { output_size: 256 }];
  }
  return {
    layers,
    numLayers: num ?? 0,
    outputSize: numberField(config, "output_size") ?? 256,
    useBias: booleanField(config, "use_bias") ?? true,
    weightsInitializer: config.weights_initializer ?? "xavier_uniform",
    biasInitializer: config.bias_initializer ?? "zeros",
    norm: config.norm ?? null,
    normParams: config.norm_params ?? null,
    activation: config[`${prefix}activation`] === undefined
      ? "relu"
      : config[`${prefix}activation`],
    dropout: numberField(config, `${prefix}dropout`) ?? 0,
  };
}

/** Masked reduction then the FC stack; without a reduction, the masked sequence. */
function reduceAndFc(s: Masked, config: Obj, ctx: BuildContext, fc: FcStackSpec): Symbolic {
  const mode = config.reduce_output;
  if (mode === null || mode === undefined || mode === "none") return masked(s.x, s.mask, ctx);
  const reduced = reduceSequence(s.x, mode, ctx, s.mask);
  return fcStack(reduced, fc, ctx);
}

// ---------------------------------------------------------------------------------------------
// Convolutions (Ludwig's Conv1DLayer: conv → norm → activation → dropout → pool)

/** One convolution layer's resolved settings. */
interface ConvLayer {
  filter_size: number;
  num_filters: number;
  strides: number;
  padding: "same" | "valid";
  dilation_rate: number;
  use_bias: boolean;
  weights_initializer: unknown;
  bias_initializer: unknown;
  norm: unknown;
  norm_params: unknown;
  activation: unknown;
  dropout: number;
  pool_function: string;
  pool_size: number | null;
  pool_strides: number | null;
  pool_padding: "same" | "valid";
}

/** Fill a layer's missing keys from the encoder-level defaults (Ludwig's `Conv1DStack`). */
function convLayer(layer: Obj, defaults: Obj): ConvLayer {
  const pick = (k: string, fallback: unknown) =>
    layer[k] !== undefined ? layer[k] : defaults[k] !== undefined ? defaults[k] : fallback;
  return {
    filter_size: pick("filter_size", 3) as number,
    num_filters: pick("num_filters", 256) as number,
    strides: pick("strides", 1) as number,
    padding: pick("padding", "same") as "same" | "valid",
    dilation_rate: pick("dilation_rate", 1) as number,
    use_bias: pick("use_bias", true) as boolean,
    weights_initializer: pick("weights_initializer", "xavier_uniform"),
    bias_initializer: pick("bias_initializer", "zeros"),
    norm: pick("norm", null),
    norm_params: pick("norm_params", null),
    activation: pick("activation", "relu"),
    dropout: pick("dropout", 0) as number,
    pool_function: pick("pool_function", "max") as string,
    pool_size: pick("pool_size", null) as number | null,
    pool_strides: pick("pool_strides", null) as number | null,
    pool_padding: pick("pool_padding", "same") as "same" | "valid",
  };
}

/** One masked convolution layer, with optional masked pooling. */
function conv1d(s: Masked, layer: ConvLayer, ctx: BuildContext): Masked {
  let x = tf.layers.conv1d({
    filters: layer.num_filters,
    kernelSize: layer.filter_size,
    strides: layer.strides,
    padding: layer.padding,
    dilationRate: layer.dilation_rate,
    useBias: layer.use_bias,
    kernelInitializer: initializer(layer.weights_initializer, nextSeed(ctx)),
    biasInitializer: initializer(layer.bias_initializer, nextSeed(ctx)),
    name: layerName(ctx, "conv1d"),
  }).apply(s.x) as Symbolic;
  let mask = s.mask;
  const span = (layer.filter_size - 1) * layer.dilation_rate + 1;
  if (layer.padding === "valid" || layer.strides > 1) {
    // `valid`: a step is real when its whole window is; strided `same`: sample the mask.
    const valid = layer.padding === "valid";
    mask = new WindowMask({
      mode: "all",
      size: valid ? span : 1,
      strides: layer.strides,
      padLeft: 0,
      padRight: 0,
      name: layerName(ctx, "conv_mask"),
    }).apply(mask) as Symbolic;
  }
  x = applyNorm(x, layer.norm, layer.norm_params, ctx);
  x = applyActivation(x, layer.activation, ctx);
  x = applyDropout(x, layer.dropout, ctx);
  x = masked(x, mask, ctx);
  if (layer.pool_size !== null && layer.pool_size !== undefined) {
    const size = layer.pool_size;
    const pad = layer.pool_padding === "same" ? Math.floor((size - 1) / 2) : 0;
    const window = {
      size,
      strides: layer.pool_strides ?? size,
      padLeft: pad,
      padRight: pad,
    };
    const length = x.shape[1] as number;
    if (windowedLength(length, window) < 1) {
      throw new RangeError(
        `Cannot build the encoder of "${ctx.scope}": pooling of size ${size} leaves no steps ` +
          `of a sequence of length ${length}; use "same" padding, smaller pools or strides`,
      );
    }
    const fn = ["average", "avg", "mean"].includes(layer.pool_function) ? "avg" : "max";
    x = new MaskedPool1D({ fn, ...window, name: layerName(ctx, `pool_${fn}`) })
      .apply([x, mask]) as Symbolic;
    mask = new WindowMask({ mode: "any", ...window, name: layerName(ctx, "pool_mask") })
      .apply(mask) as Symbolic;
  }
  if ((x.shape[1] as number) < 1) {
    throw new RangeError(
      `Cannot build the encoder of "${ctx.scope}": the convolutions leave no steps; use "same" ` +
        `padding and smaller strides or pools`,
    );
  }
  return { x, mask };
}

/** Parallel convolutions over the same input, concatenated on the channel axis. */
function parallelConv(s: Masked, layers: ConvLayer[], ctx: BuildContext): Masked {
  const outs = layers.map((l) => conv1d(s, l, ctx));
  if (outs.length === 1) return outs[0];
  const lengths = new Set(outs.map((o) => o.x.shape[1]));
  if (lengths.size > 1) {
    throw new RangeError(
      `Cannot build the encoder of "${ctx.scope}": parallel convolutions give sequences of ` +
        `different lengths (${[...lengths].join(", ")}); use "same" padding`,
    );
  }
  const x = tf.layers.concatenate({ axis: -1, name: layerName(ctx, "parallel_concat") })
    .apply(outs.map((o) => o.x)) as Symbolic;
  return { x, mask: outs[0].mask };
}

/** Encoder-level conv defaults of a config (keys shared with per-layer settings). */
function convDefaults(config: Obj, overrides: Obj = {}): Obj {
  const keys = [
    "filter_size",
    "num_filters",
    "strides",
    "padding",
    "dilation_rate",
    "use_bias",
    "weights_initializer",
    "bias_initializer",
    "norm",
    "norm_params",
    "activation",
    "dropout",
    "pool_function",
    "pool_size",
    "pool_strides",
    "pool_padding",
  ];
  const out: Obj = {};
  for (const k of keys) if (config[k] !== undefined) out[k] = config[k];
  return { ...out, ...overrides };
}

const WIDTHS = [2, 3, 4, 5];

// ---------------------------------------------------------------------------------------------
// Recurrences (Ludwig's RecurrentStack)

/** Apply one recurrent layer (returning sequences) to [batch, seq, in]. */
function recurrent(x: Symbolic, config: Obj, ctx: BuildContext): Symbolic {
  const args = {
    units: config.state_size as number,
    activation: config.activation as "tanh",
    useBias: booleanField(config, "use_bias") ?? true,
    kernelInitializer: initializer(config.weights_initializer ?? "xavier_uniform", nextSeed(ctx)),
    recurrentInitializer: initializer(config.recurrent_initializer ?? "orthogonal", nextSeed(ctx)),
    biasInitializer: initializer(config.bias_initializer ?? "zeros", nextSeed(ctx)),
    returnSequences: true,
    name: layerName(ctx, config.cell_type as string),
  };
  if (config.cell_type === "lstm") {
    // TF.js's own unitForgetBias initializer leaks four tensors per layer: add the 1 here.
    const layer = tf.layers.lstm({
      ...args,
      recurrentActivation: recurrentActivationName(config.recurrent_activation as "sigmoid"),
      unitForgetBias: false,
    });
    const out = layer.apply(x) as Symbolic;
    if (config.unit_forget_bias !== false && args.useBias) {
      const weights = layer.getWeights();
      const units = args.units;
      const bias = tf.tidy(() => {
        const b = weights[2];
        const forget = tf.add(tf.slice(b, [units], [units]), 1);
        return tf.concat([tf.slice(b, [0], [units]), forget, tf.slice(b, [2 * units])]);
      });
      layer.setWeights([weights[0], weights[1], bias]);
      bias.dispose();
    }
    return out;
  }
  const layer = config.cell_type === "gru"
    ? tf.layers.gru({
      ...args,
      recurrentActivation: recurrentActivationName(config.recurrent_activation as "sigmoid"),
    })
    : tf.layers.simpleRNN(args);
  return layer.apply(x) as Symbolic;
}

/**
 * `layers` recurrent layers (optionally bidirectional, outputs concatenated), with Ludwig's
 * `recurrent_dropout` between layers (PyTorch's `dropout` argument of RNN/LSTM/GRU).
 */
function recurrentStack(s: Masked, config: Obj, layers: number, ctx: BuildContext): Masked {
  let x = s.x;
  for (let i = 0; i < layers; i++) {
    if (i > 0) x = applyDropout(x, config.recurrent_dropout, ctx);
    const forward = recurrent(x, config, ctx);
    if (config.bidirectional) {
      const reversed = new ReverseReal({ name: layerName(ctx, "reverse") })
        .apply([x, s.mask]) as Symbolic;
      const backward = recurrent(reversed, config, ctx);
      const restored = new ReverseReal({ name: layerName(ctx, "reverse") })
        .apply([backward, s.mask]) as Symbolic;
      x = tf.layers.concatenate({ axis: -1, name: layerName(ctx, "bidirectional") })
        .apply([forward, restored]) as Symbolic;
    } else x = forward;
    x = masked(x, s.mask, ctx);
  }
  return { x, mask: s.mask };
}

// ---------------------------------------------------------------------------------------------
// Encoders

/** `embed`: token embeddings, reduced. */
export const embed: Build<"sequenceEmbed"> = withEmbeddings(
  (config, ctx, pretrained) => (input) => {
    const s = embedTokens(input, config, ctx, false, pretrained);
    const mode = config.reduce_output;
    if (mode === null || mode === undefined || mode === "none") return s.x;
    return reduceSequence(s.x, mode, ctx, s.mask);
  },
);

/** `parallel_cnn`: parallel convolutions (default widths 2, 3, 4, 5), reduced, FC [512, 256]. */
export const parallelCnn: Build<"parallelCnn"> = withEmbeddings(
  (config, ctx, pretrained) => (input) => {
    const s = sequenceInput(input, config, ctx, pretrained);
    const defaults = convDefaults(config, { padding: "same", pool_padding: "same" });
    const specs = config.conv_layers ??
      (config.num_conv_layers
        ? Array.from({ length: config.num_conv_layers }, () => ({}))
        : WIDTHS.map((w) => ({ filter_size: w })));
    const out = parallelConv(s, specs.map((l) => convLayer(l, defaults)), ctx);
    return reduceAndFc(out, config, ctx, fcSettings(config, "", true));
  },
);

/** `stacked_cnn`: stacked convolutions (default 6: widths 7, 7, 3, 3, 3, 3; pools 3), FC. */
export const stackedCnn: Build<"stackedCnn"> = withEmbeddings(
  (config, ctx, pretrained) => (input) => {
    let s = sequenceInput(input, config, ctx, pretrained);
    const defaults = convDefaults(config);
    const specs = config.conv_layers ??
      (config.num_conv_layers ? Array.from({ length: config.num_conv_layers }, () => ({})) : [
        { filter_size: 7, pool_size: 3 },
        { filter_size: 7, pool_size: 3 },
        { filter_size: 3, pool_size: null },
        { filter_size: 3, pool_size: null },
        { filter_size: 3, pool_size: null },
        { filter_size: 3, pool_size: 3 },
      ]);
    for (const spec of specs) s = conv1d(s, convLayer(spec, defaults), ctx);
    return reduceAndFc(s, config, ctx, fcSettings(config, "", true));
  },
);

/** `stacked_parallel_cnn`: blocks of parallel convolutions (default 3 × widths 2–5), FC. */
export const stackedParallelCnn: Build<"stackedParallelCnn"> = withEmbeddings(
  (config, ctx, pretrained) => (input) => {
    let s = sequenceInput(input, config, ctx, pretrained);
    const blocks = config.stacked_layers ??
      Array.from(
        { length: config.num_stacked_layers ?? 3 },
        () => WIDTHS.map((w) => ({ filter_size: w })),
      );
    blocks.forEach((block, i) => {
      // Ludwig pools only after the last block unless a layer names its own pool_size.
      const last = i === blocks.length - 1;
      const defaults = convDefaults(config, {
        padding: "same",
        pool_padding: "valid",
        ...(last ? {} : { pool_size: null }),
      });
      s = parallelConv(s, block.map((l) => convLayer(l, defaults)), ctx);
    });
    return reduceAndFc(s, config, ctx, fcSettings(config, "", true));
  },
);

/** `rnn`: stacked recurrent layers (rnn, lstm, gru), optionally bidirectional. */
export const rnn: Build<"rnn"> = withEmbeddings((config, ctx, pretrained) => (input) => {
  const s = sequenceInput(input, config, ctx, pretrained);
  const out = recurrentStack(s, config, config.num_layers, ctx);
  return reduceAndFc(out, config, ctx, fcSettings(config, "fc_", false));
});

/** `cnnrnn`: convolutions (default one: width 5, pool 2), then recurrent layers. */
export const cnnrnn: Build<"cnnrnn"> = withEmbeddings((config, ctx, pretrained) => (input) => {
  let s = sequenceInput(input, config, ctx, pretrained);
  const defaults = convDefaults(config, {
    activation: config.conv_activation,
    dropout: config.conv_dropout,
  });
  const specs = config.conv_layers ??
    (config.num_conv_layers
      ? Array.from({ length: config.num_conv_layers }, () => ({}))
      : [{ pool_size: 3 }, { pool_size: null }]);
  for (const spec of specs) s = conv1d(s, convLayer(spec, defaults), ctx);
  const out = recurrentStack(s, config, config.num_rec_layers, ctx);
  return reduceAndFc(out, config, ctx, fcSettings(config, "fc_", false));
});

/** `transformer`: token + position embeddings (projected to hidden_size), transformer blocks. */
export const transformer: Build<"transformer"> = withEmbeddings(
  (config, ctx, pretrained) => (input) => {
    const s = sequenceInput(input, config, ctx, pretrained, true);
    const hidden = config.hidden_size;
    let x = s.x;
    if (config.should_embed === false || x.shape[2] !== hidden) {
      x = tf.layers.dense({
        units: hidden,
        kernelInitializer: initializer("xavier_uniform", nextSeed(ctx)),
        name: layerName(ctx, "project_to_hidden_size"),
      }).apply(x) as Symbolic;
    }
    x = transformerStack(
      x,
      {
        numLayers: config.num_layers,
        hiddenSize: hidden,
        numHeads: config.num_heads,
        outputSize: config.transformer_output_size,
        dropout: config.dropout ?? 0,
      },
      ctx,
      s.mask,
    );
    return reduceAndFc({ x, mask: s.mask }, config, ctx, fcSettings(config, "fc_", false));
  },
);

/** The IDF of every vocabulary index, from metadata `str2idf` (or the config's). */
function idfVector(config: Obj, ctx: BuildContext, size: number): Float32Array {
  const str2idf = (ctx.metadata?.str2idf ?? config.str2idf) as Record<string, number> | null;
  const idx2str = stringsField(ctx.metadata, "idx2str") ?? stringsField(config, "vocab");
  if (!str2idf || !idx2str) {
    throw new TypeError(
      `Cannot build the tf_idf encoder of "${ctx.scope}": its metadata has no str2idf ` +
        `(preprocessing compute_idf must be true)`,
    );
  }
  const idf = new Float32Array(size);
  idx2str.forEach((token, i) => {
    if (i < size) idf[i] = str2idf[token] ?? 0;
  });
  return idf;
}

/** `tf_idf`: the TF-IDF vector [batch, vocab] of the token ids, padding excluded. */
export const tfIdf: Build<"tfIdf"> = (config, ctx) =>
  Promise.resolve((input: Symbolic) => {
    const v = vocabSize(ctx, config);
    let ids = input;
    const padIdx = paddingIndex(ctx);
    if (ids.shape.length === 3) {
      throw new TypeError(`Cannot build the tf_idf encoder of "${ctx.scope}": it needs token ids`);
    }
    ids = new TfIdf({
      vocabSize: v,
      padIdx,
      idf: idfVector(config, ctx, v),
      name: layerName(ctx, "tf_idf"),
    }).apply(ids) as Symbolic;
    return ids;
  });
