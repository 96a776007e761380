/**
 * The encoder registry: one entry per encoder, binding its schema, the feature types it serves,
 * its capabilities and its implementation (STYLE B3).
 *
 * @module
 */
import {
  bagEmbed,
  categoryDense,
  categoryOnehot,
  categorySparse,
  dateEmbed,
  dateWave,
  dense,
  h3Embed,
  h3Rnn,
  h3WeightedSum,
  passthrough,
  setEmbed,
} from "./tabular.ts";
import {
  cnnrnn,
  parallelCnn,
  rnn,
  sequenceEmbed,
  stackedCnn,
  stackedParallelCnn,
  tfIdf,
  transformer,
} from "./sequence.ts";
import { imageStackedCnn, mlpMixer, resnetLegacy, vitLegacy } from "./image.ts";
import { HF_TEXT_ENCODERS } from "./text_pretrained.ts";
import { TORCHVISION_ENCODERS } from "./torchvision/entries.ts";

export * from "./tabular.ts";
export * from "./sequence.ts";
export * from "./image.ts";
export * from "./text_pretrained.ts";
export * from "./torchvision/entries.ts";

/** Every built-in encoder. */
export const ENCODERS = [
  passthrough,
  dense,
  categoryDense,
  categorySparse,
  categoryOnehot,
  setEmbed,
  bagEmbed,
  dateEmbed,
  dateWave,
  h3Embed,
  h3WeightedSum,
  h3Rnn,
  sequenceEmbed,
  parallelCnn,
  stackedCnn,
  stackedParallelCnn,
  rnn,
  cnnrnn,
  transformer,
  tfIdf,
  imageStackedCnn,
  resnetLegacy,
  mlpMixer,
  vitLegacy,
  ...HF_TEXT_ENCODERS,
  ...TORCHVISION_ENCODERS,
] as const;

/** Encoders Ludwig has for a feature type that Sonata does not provide yet. */
export const LUDWIG_ONLY_ENCODERS: Readonly<Record<string, readonly string[]>> = {
  text: ["ctrl", "transformer_xl", "xlnet", "llm"],
};
