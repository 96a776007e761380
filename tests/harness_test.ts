// The contract harness over every registry entry: each encoder, combiner and decoder has a
// component case (tests/_harness.ts `runComponentCase`), each feature type and loss a model case
// run through the public Model API; the first test fails when an entry has no case.
import assert from "node:assert/strict";
import { COMBINERS } from "../lib/combiners/mod.ts";
import * as combiners from "../lib/combiners/mod.ts";
import { DECODERS } from "../lib/decoders/mod.ts";
import * as decoders from "../lib/decoders/mod.ts";
import { ENCODERS } from "../lib/encoders/mod.ts";
import { hfFamilyFor } from "../lib/encoders/hf/mod.ts";
import { loadHfTokenizer } from "../lib/pretrained/tokenizer.ts";
import * as encoders from "../lib/encoders/mod.ts";
import { FEATURES } from "../lib/features/mod.ts";
import { LOSSES } from "../lib/config/losses.ts";
import type { FeatureEntry } from "../lib/config/registry.ts";
import {
  type CaseInput,
  caseName,
  type ComponentCase,
  type ModelCase,
  runComponentCase,
  runModelCases,
} from "./_harness.ts";
import { TORCHVISION_CASES } from "./encoders/torchvision/_cases.ts";

type Obj = Record<string, unknown>;
type EncoderEntry = (typeof ENCODERS)[number];

const VOCAB = ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "a", "b", "c"];
const CATEGORY_META = { vocab_size: 5, idx2str: ["<UNK>", "a", "b", "c", "d"] };
const SEQUENCE_META = {
  vocab_size: VOCAB.length,
  idx2str: VOCAB,
  pad_idx: 2,
  max_sequence_length: 6,
  str2idf: { a: 1.2, b: 0.7, c: 0.3 },
};

const number: CaseInput = { shape: [1] };
const category: CaseInput = { shape: [1], dtype: "int32", value: (i) => i % 5 };
const multiHot: CaseInput = { shape: [5], value: (_i, r) => (r() > 0 ? 1 : 0) };
/** Date components (the year kept small here): year, month, day, weekday, yearday, hour, minute, second, second of day. */
const DATE = [2021, 3, 14, 6, 72, 15, 9, 26, 54566];
const date: CaseInput = { shape: [9], dtype: "int32", value: (i) => (i % 9 ? DATE[i % 9] : i % 4) };
/** h3 components: mode, edge, resolution, base cell, then 15 cells of 0–7. */
const h3: CaseInput = {
  shape: [19],
  dtype: "int32",
  value: (i) => [1, 0, 9, 20][i % 19] ?? (i % 7),
};
/** `<SOS>` then tokens, the last step padding. */
const tokens: CaseInput = {
  shape: [6],
  dtype: "int32",
  value: (i) => (i % 6 === 0 ? 1 : i % 6 === 5 ? 2 : 4 + (i % 3)),
};
/** An 8x8 RGB image of raw 0-255 values (the image encoders normalize them). */
const pixels: CaseInput = { shape: [8, 8, 3], value: (i) => (i * 37) % 256 };
const sequenceMeta = { metadata: SEQUENCE_META, inputs: [tokens] };
const small = { embedding_size: 4, num_fc_layers: 1, output_size: 3 };

/** A Hugging Face encoder case on its fixture folder (tests/fixtures/hf/<folder>). */
async function hfCase(entry: EncoderEntry, folder: string): Promise<ComponentCase> {
  const path = new URL(`./fixtures/hf/${folder}`, import.meta.url).pathname;
  const config = JSON.parse(await Deno.readTextFile(`${path}/config.json`));
  const tokenizer = await loadHfTokenizer(path);
  const type = entry.type === "auto_transformer" ? "auto_transformer" : entry.type;
  const { arch } = hfFamilyFor({ pad_token_id: tokenizer.padId, ...config }, type);
  const pad = arch.padTokenId;
  return {
    entry,
    name: `encoder ${entry.type}`,
    config: { pretrained_model_name_or_path: path, trainable: true },
    metadata: { hf_config: config, pad_idx: tokenizer.padId, max_sequence_length: 6 },
    inputs: [{
      shape: [6],
      dtype: "int32",
      value: (i) => (i % 6 === 5 ? pad : pad === 5 ? 6 + (i % 3) : 5 + (i % 3)),
    }],
    outputShape: [arch.hiddenSize],
  };
}

const HF_CASES: ComponentCase[] = await Promise.all([
  hfCase(encoders.hfBert, "bert"),
  hfCase(encoders.hfDistilbert, "distilbert"),
  hfCase(encoders.hfRoberta, "roberta"),
  hfCase(encoders.hfXlmRoberta, "xlmroberta"),
  hfCase(encoders.hfCamembert, "camembert"),
  hfCase(encoders.hfElectra, "electra"),
  hfCase(encoders.hfAlbert, "albert"),
  hfCase(encoders.hfDeberta, "deberta_v2"),
  hfCase(encoders.hfT5, "t5"),
  hfCase(encoders.hfMt5, "mt5"),
  hfCase(encoders.hfGpt2, "gpt2"),
  hfCase(encoders.hfGpt, "gpt"),
  hfCase(encoders.hfXlm, "xlm"),
  hfCase(encoders.hfFlaubert, "flaubert"),
  hfCase(encoders.hfLongformer, "longformer"),
  hfCase(encoders.hfAutoTransformer, "roberta"),
]);

const ENCODER_CASES: ComponentCase[] = [
  ...HF_CASES,
  { entry: encoders.passthrough, inputs: [number], outputShape: [1], trains: false },
  { entry: encoders.dense, config: { output_size: 4 }, inputs: [number], outputShape: [4] },
  {
    entry: encoders.categoryDense,
    config: { embedding_size: 3 },
    inputs: [category],
    metadata: CATEGORY_META,
    outputShape: [3],
  },
  {
    entry: encoders.categorySparse,
    inputs: [category],
    metadata: CATEGORY_META,
    outputShape: [5],
    trains: false,
  },
  {
    entry: encoders.categoryOnehot,
    inputs: [category],
    metadata: CATEGORY_META,
    outputShape: [5],
    trains: false,
  },
  {
    entry: encoders.setEmbed,
    config: { embedding_size: 3 },
    inputs: [multiHot],
    metadata: CATEGORY_META,
    outputShape: [3],
  },
  {
    entry: encoders.bagEmbed,
    config: { embedding_size: 3 },
    inputs: [multiHot],
    metadata: CATEGORY_META,
    outputShape: [3],
  },
  { entry: encoders.dateEmbed, config: { embedding_size: 2 }, inputs: [date], outputShape: [16] },
  {
    entry: encoders.dateWave,
    config: { output_size: 4, activation: "tanh" },
    inputs: [date],
    outputShape: [4],
  },
  { entry: encoders.h3Embed, config: { embedding_size: 2 }, inputs: [h3], outputShape: [2] },
  { entry: encoders.h3WeightedSum, config: { embedding_size: 2 }, inputs: [h3], outputShape: [2] },
  {
    entry: encoders.h3Rnn,
    config: { embedding_size: 2, hidden_size: 3 },
    inputs: [h3],
    outputShape: [3],
  },
  {
    entry: encoders.sequenceEmbed,
    config: { embedding_size: 4 },
    ...sequenceMeta,
    outputShape: [4],
  },
  {
    entry: encoders.parallelCnn,
    config: { ...small, num_filters: 2 },
    ...sequenceMeta,
    outputShape: [3],
  },
  {
    entry: encoders.stackedCnn,
    config: { ...small, num_filters: 2, num_conv_layers: 1 },
    ...sequenceMeta,
    outputShape: [3],
  },
  {
    entry: encoders.stackedParallelCnn,
    config: { ...small, num_filters: 2, num_stacked_layers: 1 },
    ...sequenceMeta,
    outputShape: [3],
  },
  {
    entry: encoders.rnn,
    config: { ...small, state_size: 3, num_fc_layers: 0 },
    ...sequenceMeta,
    outputShape: [3],
  },
  {
    entry: encoders.cnnrnn,
    config: { ...small, num_filters: 2, state_size: 3, num_fc_layers: 0 },
    ...sequenceMeta,
    outputShape: [3],
  },
  {
    entry: encoders.transformer,
    config: {
      embedding_size: 4,
      hidden_size: 4,
      num_heads: 2,
      transformer_output_size: 4,
      num_fc_layers: 0,
    },
    ...sequenceMeta,
    outputShape: [4],
  },
  {
    entry: encoders.tfIdf,
    ...sequenceMeta,
    outputShape: [VOCAB.length],
    trains: false,
  },
  {
    entry: encoders.imageStackedCnn,
    config: { conv_layers: [{ out_channels: 2 }], output_size: 3 },
    inputs: [pixels],
    outputShape: [3],
  },
  {
    entry: encoders.imageStackedCnn,
    name: "image stacked_cnn with imagenet1k standardization",
    config: { num_conv_layers: 1, out_channels: 2, conv_norm: "batch", output_size: 3 },
    inputs: [pixels],
    preprocessing: { standardize_image: "imagenet1k" },
    outputShape: [3],
  },
  {
    entry: encoders.resnetLegacy,
    config: { resnet_size: 8, out_channels: 2, output_size: 3 },
    inputs: [pixels],
    outputShape: [3],
  },
  {
    entry: encoders.mlpMixer,
    config: { patch_size: 4, embed_size: 4, token_size: 4, channel_dim: 4, num_layers: 1 },
    inputs: [pixels],
    outputShape: [4],
  },
  {
    entry: encoders.vitLegacy,
    config: {
      hidden_size: 4,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 4,
      patch_size: 4,
      hidden_dropout_prob: 0,
      attention_probs_dropout_prob: 0,
    },
    inputs: [pixels],
    outputShape: [4],
  },
];

const numbers: CaseInput[] = [
  { shape: [1], name: "n1", type: "number" },
  { shape: [1], name: "n2", type: "number" },
];
const withSequence: CaseInput[] = [
  { shape: [3, 4], name: "seq", type: "sequence" },
  { shape: [2], name: "n", type: "number" },
];
const tinyTransformer = { hidden_size: 4, num_heads: 2, transformer_output_size: 4, dropout: 0 };

const COMBINER_CASES: ComponentCase[] = [
  {
    entry: combiners.concat,
    config: { num_fc_layers: 1, output_size: 4 },
    inputs: numbers,
    outputShape: [4],
  },
  {
    // Ludwig's concat passes a single sequence input through its FC stack unreduced.
    name: "combiner concat (a single sequence input)",
    entry: combiners.concat,
    config: { num_fc_layers: 1, output_size: 5 },
    inputs: [{ shape: [3, 4], name: "seq", type: "sequence" }],
    outputShape: [3, 5],
  },
  {
    entry: combiners.sequenceConcat,
    config: { reduce_output: "sum" },
    inputs: withSequence,
    outputShape: [6],
    trains: false,
  },
  {
    entry: combiners.sequence,
    config: { encoder: { type: "rnn", state_size: 3 }, reduce_output: "sum" },
    inputs: withSequence,
    outputShape: [3],
  },
  {
    entry: combiners.tabnet,
    config: { size: 4, output_size: 4, num_steps: 1, num_total_blocks: 2, num_shared_blocks: 1 },
    inputs: numbers,
    outputShape: [4],
  },
  {
    entry: combiners.transformer,
    config: { ...tinyTransformer, num_fc_layers: 1, output_size: 3 },
    inputs: numbers,
    outputShape: [3],
  },
  {
    entry: combiners.tabtransformer,
    config: { ...tinyTransformer, num_fc_layers: 1, output_size: 3 },
    inputs: [
      { shape: [4], name: "c1", type: "category" },
      { shape: [4], name: "c2", type: "category" },
      { shape: [1], name: "n", type: "number" },
    ],
    outputShape: [3],
  },
  {
    entry: combiners.comparator,
    // [dot, e1 ⊙ e2, |e1 − e2|, bilinear] of two 3-wide towers: 2·3 + 2
    config: { entity_1: ["n1"], entity_2: ["n2"], output_size: 3 },
    inputs: numbers,
    outputShape: [8],
  },
  {
    entry: combiners.projectAggregate,
    config: { projection_size: 4, output_size: 4 },
    inputs: numbers,
    outputShape: [4],
  },
];

const hidden: CaseInput = { shape: [4] };
const DECODER_CASES: ComponentCase[] = [
  { entry: decoders.regressor, inputs: [hidden], outputShape: [1] },
  { entry: decoders.classifier, inputs: [hidden], outputSize: 3, outputShape: [3] },
  { entry: decoders.projector, inputs: [hidden], outputSize: 2, outputShape: [2] },
  {
    entry: decoders.tagger,
    inputs: [{ shape: [3, 4] }],
    metadata: { max_sequence_length: 3 },
    outputSize: 5,
    outputShape: [3, 5],
  },
  {
    entry: decoders.generator,
    inputs: [hidden],
    metadata: { ...SEQUENCE_META, max_sequence_length: 3 },
    outputSize: VOCAB.length,
    outputShape: [3, VOCAB.length],
    teacher: { shape: [3], dtype: "int32", value: (i) => [4, 5, 0][i % 3] },
  },
];

/** Feature cases: an input and an output of each type (whichever the type supports). */
const FEATURE_CASES: ModelCase[] = (FEATURES as readonly FeatureEntry[]).map((entry) => ({
  entry,
  name: `feature ${entry.type}`,
  input_features: entry.input ? [{ name: `in_${entry.type}`, type: entry.type }] : [],
  output_features: entry.output
    ? [{
      name: `out_${entry.type}`,
      type: entry.type,
      ...(entry.sequential ? { decoder: { type: "generator" } } : {}),
    }]
    : [],
}));

/** Loss cases: an output of the loss's first feature type trained with it. */
const LOSS_CASES: ModelCase[] = LOSSES.map((entry) => ({
  entry,
  name: `loss ${entry.type}`,
  input_features: [],
  output_features: [{
    name: `loss_${entry.type}`,
    column: `out_${entry.featureTypes[0]}`,
    type: entry.featureTypes[0],
    loss: { type: entry.type },
  }],
}));

const COMPONENT_CASES = [
  ...ENCODER_CASES,
  ...TORCHVISION_CASES,
  ...COMBINER_CASES,
  ...DECODER_CASES,
];

Deno.test("harness: every registry entry has a case", () => {
  const covered = new Set<object>([
    ...COMPONENT_CASES.map((c) => c.entry),
    ...FEATURE_CASES.map((c) => c.entry),
    ...LOSS_CASES.map((c) => c.entry),
  ]);
  const missing = [
    ...ENCODERS.map((e) => [e, `encoder ${e.type} (${e.featureTypes.join(", ")})`] as const),
    ...COMBINERS.map((e) => [e, `combiner ${e.type}`] as const),
    ...DECODERS.map((e) => [e, `decoder ${e.type}`] as const),
    ...FEATURES.map((e) => [e, `feature ${e.type}`] as const),
    ...LOSSES.map((e) => [e, `loss ${e.type}`] as const),
  ].filter(([entry]) => !covered.has(entry)).map(([, name]) => name);
  assert.deepEqual(missing, [], `registry entries without a harness case: ${missing.join("; ")}`);
});

const SLOW = Deno.env.get("SONATA_SLOW") === "1";
for (const c of COMPONENT_CASES) {
  Deno.test({
    name: `harness: ${caseName(c)}${c.slow ? " (SONATA_SLOW=1)" : ""}`,
    ignore: c.slow === true && !SLOW,
    fn: () => runComponentCase(c),
  });
}

Deno.test("harness: every feature type and loss through Model", async () => {
  await runModelCases([...FEATURE_CASES, ...LOSS_CASES]);
});

export type { Obj };
