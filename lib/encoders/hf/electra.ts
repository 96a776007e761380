/**
 * ELECTRA's discriminator encoder (`model_type: electra`): BERT's blocks over embeddings of
 * `embedding_size`, projected to `hidden_size` by `embeddings_project` when the two differ; no
 * pooler (`cls_pooled` takes the `[CLS]` hidden state). Checkpoints read through `electra.`;
 * `discriminator_predictions.*`, `generator_*` ignored.
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

/** The `electra` family. */
export const ELECTRA: HfFamily = {
  name: "electra",
  modelTypes: ["electra"],
  prefixes: ["electra."],
  ignore: [
    /discriminator_predictions\..*/,
    /generator_predictions\..*/,
    /generator_lm_head\..*/,
    ...TASK_HEADS,
  ],
  defaultReduceOutput: "sum",
  hasPooler: false,
  architecture: (config, file) =>
    bertStyleArchitecture("electra", config, file, { activation: "gelu", positions: "absolute" }),
  names: (arch) => ({
    ...BERT_EMBEDDINGS,
    embeddingProjection: arch.embeddingSize !== arch.hiddenSize ? "embeddings_project" : undefined,
    block: bertBlock,
  }),
};
