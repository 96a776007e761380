/**
 * BERT (`model_type: bert`): post-layer-norm blocks, exact GELU by default, absolute positions,
 * token type embeddings, and the pooler (dense + tanh on `[CLS]`). Task checkpoints
 * (`BertForMaskedLM`, `BertForSequenceClassification`, …) are read through their `bert.` prefix;
 * their heads (`cls.*`, `classifier.*`, …) are ignored.
 *
 * @module
 */
import {
  BERT_EMBEDDINGS,
  bertBlock,
  bertStyleArchitecture,
  type HfFamily,
  TASK_HEADS,
} from "./_family.ts";

/** Heads of BERT task models and buffers, ignored when reading a checkpoint. */
export const BERT_HEADS: readonly RegExp[] = [
  /cls\..*/,
  ...TASK_HEADS,
];

/** The `bert` family. */
export const BERT: HfFamily = {
  name: "bert",
  modelTypes: ["bert"],
  prefixes: ["bert."],
  ignore: BERT_HEADS,
  defaultReduceOutput: "cls_pooled",
  hasPooler: true,
  architecture: (config, file) =>
    bertStyleArchitecture("bert", config, file, { activation: "gelu", positions: "absolute" }),
  names: () => ({ ...BERT_EMBEDDINGS, block: bertBlock, pooler: "pooler.dense" }),
};
