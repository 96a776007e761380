/**
 * The feature type registry: each entry holds a type's preprocessing schemas (input and output
 * variants differ, reference §1c), its default encoder/decoder/loss, its metrics (§6), its
 * capabilities and a `load()` of its one implementation module (`_<type>.ts`, a `FeatureImpl`:
 * parse, fit, encode, postprocess, metric part). Nothing else registers a feature type.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { choice, obj } from "../config/fields.ts";
import { defineFeature, type MetricGoal } from "../config/registry.ts";
import {
  type TokenizerName,
  TOKENIZERS as TOKENIZER_TABLE,
  UNAVAILABLE_TOKENIZERS,
} from "../data/tokenizers.ts";
import { AugmentationSchema, ImagePreprocessingSchema } from "./image_schema.ts";

const BASE_STRATEGIES = [
  "fill_with_const",
  "fill_with_mode",
  "bfill",
  "ffill",
  "drop_row",
] as const;

const missingValueStrategy = <const T extends readonly [string, ...string[]]>(
  options: T,
  def: T[number],
) =>
  choice(options, { kind: "missing value strategy" }).default(def as never).describe(
    "What to do with missing values",
  );

/** Tokenizers available in Sonata (the table in lib/data/tokenizers.ts). */
export const TOKENIZER_NAMES = TOKENIZER_TABLE.map((t) => t.name) as [
  TokenizerName,
  ...TokenizerName[],
];

/** Tokenizers Ludwig has that Sonata does not provide yet. */
export const LUDWIG_ONLY_TOKENIZERS: readonly string[] = [...UNAVAILABLE_TOKENIZERS].filter((t) =>
  t !== "hf_tokenizer"
);

const tokenizer = (def: TokenizerName) =>
  choice(TOKENIZER_NAMES, { kind: "tokenizer", ludwigOnly: LUDWIG_ONLY_TOKENIZERS }).default(def)
    .describe("How a string is split into tokens");

/** Text also takes `hf_tokenizer`: the tokenizer of `pretrained_model_name_or_path`. */
const textTokenizer = () =>
  choice([...TOKENIZER_NAMES, "hf_tokenizer"] as [string, ...string[]], {
    kind: "tokenizer",
    ludwigOnly: LUDWIG_ONLY_TOKENIZERS,
  }).default("space_punct").describe(
    "How a string is split into tokens (hf_tokenizer: the tokenizer.json of " +
      "pretrained_model_name_or_path, forced by the Hugging Face encoders)",
  );

const mostCommon = (def: number) =>
  z.int().min(1).default(def).describe("Keep this many most frequent tokens in the vocabulary");
const lowercase = (def: boolean) =>
  z.boolean().default(def).describe("Lower-case values before building the vocabulary");

/**
 * The missing-value keys of a feature whose values are strings: Ludwig's base strategies
 * (`drop_row` by default on an output, `fill_with_const` on an input) and a string fill value.
 */
const stringFill = (output: boolean, fill: string) => ({
  missing_value_strategy: missingValueStrategy(
    BASE_STRATEGIES,
    output ? "drop_row" : "fill_with_const",
  ),
  fill_value: z.string().default(fill).describe("Value used by fill_with_const"),
  computed_fill_value: z.string().nullable().optional().describe("Internal"),
});

const binaryPreprocessing = (output: boolean) =>
  obj({
    missing_value_strategy: missingValueStrategy(
      [
        "fill_with_mode",
        "bfill",
        "ffill",
        "drop_row",
        "fill_with_false",
        "fill_with_true",
      ] as const,
      output ? "drop_row" : "fill_with_false",
    ),
    fill_value: z.union([z.boolean(), z.string(), z.number()]).nullable().default(null).describe(
      "Value used by fill_with_const",
    ),
    computed_fill_value: z.union([z.boolean(), z.string(), z.number()]).nullable().optional()
      .describe("Internal: the fill value computed from the data"),
    fallback_true_label: z.string().nullable().default(null).describe(
      "The label treated as true when the values are not conventional booleans",
    ),
  }, { id: `preprocessing.binary.${output ? "output" : "input"}` });

const NUMBER_STRATEGIES = [...BASE_STRATEGIES, "fill_with_mean"] as const;
const numberPreprocessing = (output: boolean) =>
  obj({
    missing_value_strategy: missingValueStrategy(
      NUMBER_STRATEGIES,
      output ? "drop_row" : "fill_with_const",
    ),
    fill_value: z.number().nullable().default(0).describe("Value used by fill_with_const"),
    computed_fill_value: z.number().nullable().optional().describe("Internal: computed fill value"),
    normalization: choice(["zscore", "minmax", "log1p", "iq"] as const, { kind: "normalization" })
      .nullable().default(output ? null : "zscore").describe("How values are scaled"),
    outlier_strategy: choice(NUMBER_STRATEGIES, { kind: "outlier strategy" }).nullable().default(
      null,
    ).describe("What to do with values beyond outlier_threshold standard deviations"),
    outlier_threshold: z.number().positive().default(3).describe(
      "Distance from the mean, in standard deviations, beyond which a value is an outlier",
    ),
    computed_outlier_fill_value: z.number().nullable().optional().describe("Internal"),
  }, { id: `preprocessing.number.${output ? "output" : "input"}` });

const categoryPreprocessing = (output: boolean) =>
  obj({
    ...stringFill(output, "<UNK>"),
    lowercase: lowercase(false),
    most_common: mostCommon(10000),
    cache_encoder_embeddings: z.boolean().default(false).describe(
      "Compute a frozen encoder's outputs once in preprocessing",
    ),
  }, { id: `preprocessing.category.${output ? "output" : "input"}` });

const setBagPreprocessing = (name: string, output: boolean) =>
  obj({
    ...stringFill(output, "<UNK>"),
    tokenizer: tokenizer("space"),
    lowercase: lowercase(false),
    most_common: mostCommon(10000),
  }, { id: `preprocessing.${name}.${output ? "output" : "input"}` });

const sequencePreprocessing = (name: "sequence" | "text", output: boolean) =>
  obj({
    ...stringFill(output, "<UNK>"),
    tokenizer: name === "text" ? textTokenizer() : tokenizer("space"),
    vocab_file: z.string().nullable().default(null).describe(
      "A file with one token per line that replaces the computed vocabulary",
    ),
    sequence_length: z.int().min(1).nullable().default(null).describe(
      "Fixed length of every sequence (null: the longest, capped at max_sequence_length)",
    ),
    max_sequence_length: z.int().min(1).default(256).describe("Longest sequence kept"),
    most_common: mostCommon(20000),
    padding_symbol: z.string().default("<PAD>").describe("Padding token"),
    unknown_symbol: z.string().default("<UNK>").describe("Token of out-of-vocabulary values"),
    padding: z.enum(["right", "left"]).default("right").describe("Which side is padded"),
    lowercase: lowercase(false).describe(
      name === "text"
        ? "Lower-case text before tokenizing (default: true for Ludwig configs before 0.9, false after)"
        : "Lower-case values before tokenizing",
    ),
    ngram_size: z.int().min(1).default(2).describe("n of the ngram tokenizer"),
    cache_encoder_embeddings: z.boolean().default(false).describe(
      "Compute a frozen encoder's outputs once in preprocessing",
    ),
    ...(name === "text"
      ? {
        pretrained_model_name_or_path: z.string().nullable().default(null).describe(
          "Tokenizer checkpoint of a pretrained encoder",
        ),
        compute_idf: z.boolean().default(false).describe(
          "Compute inverse document frequencies (forced by the tf_idf encoder)",
        ),
      }
      : {}),
  }, { id: `preprocessing.${name}.${output ? "output" : "input"}` });

const datePreprocessing = () =>
  obj({
    ...stringFill(false, ""),
    datetime_format: z.string().nullable().default(null).describe(
      "strftime-style format of the dates (null: detected)",
    ),
  }, { id: "preprocessing.date" });

const h3Preprocessing = () =>
  obj({
    missing_value_strategy: missingValueStrategy(BASE_STRATEGIES, "fill_with_const"),
    fill_value: z.union([z.number(), z.string()]).default(576495936675512319).describe(
      "Value used by fill_with_const (an h3 cell id)",
    ),
    computed_fill_value: z.union([z.number(), z.string()]).nullable().optional().describe(
      "Internal",
    ),
  }, { id: "preprocessing.h3" });

const vectorPreprocessing = (output: boolean) =>
  obj({
    ...stringFill(output, ""),
    vector_size: z.int().min(1).nullable().default(null).describe(
      "Size of the vectors (null: inferred)",
    ),
  }, { id: `preprocessing.vector.${output ? "output" : "input"}` });

const REGRESSION_METRICS: Record<string, MetricGoal> = {
  mean_squared_error: "minimize",
  mean_absolute_error: "minimize",
  mean_absolute_percentage_error: "minimize",
  r2: "maximize",
};
const SEQUENCE_METRICS: Record<string, MetricGoal> = {
  token_accuracy: "maximize",
  sequence_accuracy: "maximize",
  perplexity: "minimize",
  next_token_perplexity: "minimize",
};

/** The output side of `sequence` and `text` (a generator over the token vocabulary). */
const sequenceOutput = (name: "sequence" | "text") => ({
  preprocessing: sequencePreprocessing(name, true),
  defaultDecoder: "generator",
  defaultLoss: "sequence_softmax_cross_entropy",
  metrics: SEQUENCE_METRICS,
  defaultValidationMetric: "loss",
  extra: {},
  probability: "softmax",
  defaultReduce: "sum",
} as const);

/** binary: true/false values. */
export const binary = defineFeature({
  type: "binary",
  load: () => import("./_binary.ts").then((m) => m.binary),
  input: { preprocessing: binaryPreprocessing(false), defaultEncoder: "passthrough" },
  output: {
    preprocessing: binaryPreprocessing(true),
    defaultDecoder: "regressor",
    defaultLoss: "binary_weighted_cross_entropy",
    metrics: {
      accuracy: "maximize",
      precision: "maximize",
      recall: "maximize",
      specificity: "maximize",
      roc_auc: "maximize",
    },
    defaultValidationMetric: "roc_auc",
    extra: {
      threshold: z.number().min(0).max(1).default(0.5).describe(
        "Probability above which the prediction is true",
      ),
      calibration: z.boolean().default(false).describe("Temperature-scale the probabilities"),
    },
    probability: "sigmoid",
    twoClass: true,
    defaultReduce: "sum",
  },
});

/** number: real values. */
export const number = defineFeature({
  type: "number",
  load: () => import("./_number.ts").then((m) => m.number),
  input: { preprocessing: numberPreprocessing(false), defaultEncoder: "passthrough" },
  output: {
    preprocessing: numberPreprocessing(true),
    defaultDecoder: "regressor",
    defaultLoss: "mean_squared_error",
    metrics: {
      ...REGRESSION_METRICS,
      root_mean_squared_error: "minimize",
      root_mean_squared_percentage_error: "minimize",
    },
    defaultValidationMetric: "mean_squared_error",
    extra: {
      clip: z.tuple([z.number(), z.number()]).nullable().default(null).describe(
        "Clip predictions to [min, max]",
      ),
    },
    defaultReduce: "sum",
  },
});

/** category: one label out of a vocabulary. */
export const category = defineFeature({
  type: "category",
  load: () => import("./_category.ts").then((m) => m.category),
  input: { preprocessing: categoryPreprocessing(false), defaultEncoder: "dense" },
  output: {
    preprocessing: categoryPreprocessing(true),
    defaultDecoder: "classifier",
    defaultLoss: "softmax_cross_entropy",
    metrics: {
      accuracy: "maximize",
      accuracy_micro: "maximize",
      hits_at_k: "maximize",
      roc_auc: "maximize",
    },
    defaultValidationMetric: "accuracy",
    extra: {
      top_k: z.int().min(1).default(3).describe("k of hits_at_k and the top-k predictions"),
      calibration: z.boolean().default(false).describe("Temperature-scale the probabilities"),
    },
    probability: "softmax",
    defaultReduce: "sum",
  },
});

/** set: a set of labels (multi-label). */
export const set = defineFeature({
  type: "set",
  load: () => import("./_set.ts").then((m) => m.set),
  input: { preprocessing: setBagPreprocessing("set", false), defaultEncoder: "embed" },
  output: {
    preprocessing: setBagPreprocessing("set", true),
    defaultDecoder: "classifier",
    defaultLoss: "sigmoid_cross_entropy",
    metrics: { jaccard: "maximize" },
    defaultValidationMetric: "jaccard",
    extra: {
      threshold: z.number().min(0).max(1).default(0.5).describe(
        "Probability above which a label is predicted",
      ),
    },
    probability: "sigmoid",
    defaultReduce: "sum",
  },
});

/** bag: a multiset of items with counts. */
export const bag = defineFeature({
  type: "bag",
  load: () => import("./_set.ts").then((m) => m.bag),
  input: { preprocessing: setBagPreprocessing("bag", false), defaultEncoder: "embed" },
});

/** vector: a fixed-size vector of numbers. */
export const vector = defineFeature({
  type: "vector",
  load: () => import("./_vector.ts").then((m) => m.vector),
  input: { preprocessing: vectorPreprocessing(false), defaultEncoder: "dense" },
  output: {
    preprocessing: vectorPreprocessing(true),
    defaultDecoder: "projector",
    defaultLoss: "mean_squared_error",
    metrics: REGRESSION_METRICS,
    defaultValidationMetric: "mean_squared_error",
    extra: {
      vector_size: z.int().min(1).nullable().default(null).describe("Size of the vector"),
      softmax: z.boolean().default(false).describe("Apply a softmax to the output"),
    },
    defaultReduce: null,
  },
});

/** date: a date or datetime, decomposed into components. */
export const date = defineFeature({
  type: "date",
  load: () => import("./_date.ts").then((m) => m.date),
  input: { preprocessing: datePreprocessing(), defaultEncoder: "embed" },
});

/** h3: a hexagonal geospatial cell id. */
export const h3 = defineFeature({
  type: "h3",
  load: () => import("./_h3.ts").then((m) => m.h3),
  input: { preprocessing: h3Preprocessing(), defaultEncoder: "embed" },
});

/** sequence: a sequence of tokens. */
export const sequence = defineFeature({
  type: "sequence",
  load: () => import("./_sequence.ts").then((m) => m.sequence),
  sequential: true,
  input: { preprocessing: sequencePreprocessing("sequence", false), defaultEncoder: "embed" },
  output: sequenceOutput("sequence"),
});

/** text: free text, tokenized. */
export const text = defineFeature({
  type: "text",
  load: () => import("./_sequence.ts").then((m) => m.text),
  sequential: true,
  input: { preprocessing: sequencePreprocessing("text", false), defaultEncoder: "parallel_cnn" },
  output: sequenceOutput("text"),
});

/**
 * image: a picture (file path, URL, data URI or bytes), decoded to uint8 `[height, width,
 * channels]`; normalized per batch by the encoder's first layer. Input only (Ludwig 0.7 has no
 * image decoder in common use).
 */
export const image = defineFeature({
  type: "image",
  load: () => import("./_image.ts").then((m) => m.image),
  input: {
    preprocessing: ImagePreprocessingSchema,
    defaultEncoder: "stacked_cnn",
    extra: { augmentation: AugmentationSchema },
  },
});

/** Every built-in feature type. */
export const FEATURES = [
  binary,
  number,
  category,
  set,
  bag,
  vector,
  date,
  h3,
  sequence,
  text,
  image,
] as const;
