/**
 * ALBERT (`model_type: albert`): factorized embeddings (`embedding_size`, then
 * `encoder.embedding_hidden_mapping_in` to `hidden_size`), blocks shared across layers
 * (`num_hidden_groups` groups of `inner_group_num` layers; layer `i` runs group
 * `⌊i / (num_hidden_layers / num_hidden_groups)⌋`), `gelu_new` by default, and the pooler
 * (`pooler`, dense + tanh). Checkpoints read through `albert.`; `predictions.*`,
 * `sop_classifier.*` ignored.
 *
 * @module
 */
import {
  BERT_EMBEDDINGS,
  bertStyleArchitecture,
  type HfBlockNames,
  HfConfigError,
  type HfFamily,
  intKey,
  TASK_HEADS,
} from "./_family.ts";

/** The names of inner layer `j` of group `g`. */
export function albertBlock(g: number, j: number): HfBlockNames {
  const p = `encoder.albert_layer_groups.${g}.albert_layers.${j}.`;
  return {
    query: `${p}attention.query`,
    key: `${p}attention.key`,
    value: `${p}attention.value`,
    attentionOutput: `${p}attention.dense`,
    attentionNorm: `${p}attention.LayerNorm`,
    ffnIn: `${p}ffn`,
    ffnOut: `${p}ffn_output`,
    ffnNorm: `${p}full_layer_layer_norm`,
  };
}

/** The `albert` family. */
export const ALBERT: HfFamily = {
  name: "albert",
  modelTypes: ["albert"],
  prefixes: ["albert."],
  ignore: [
    /predictions\..*/,
    /sop_classifier\..*/,
    ...TASK_HEADS,
  ],
  defaultReduceOutput: "cls_pooled",
  hasPooler: true,
  architecture: (config, file) => {
    const arch = bertStyleArchitecture("albert", config, file, {
      activation: "gelu_new",
      positions: "absolute",
    });
    arch.embeddingSize = intKey(config, "embedding_size", file, 128);
    arch.numHiddenGroups = intKey(config, "num_hidden_groups", file, 1);
    arch.innerGroupNum = intKey(config, "inner_group_num", file, 1);
    if (arch.numHiddenGroups < 1 || arch.numLayers % arch.numHiddenGroups !== 0) {
      throw new HfConfigError(
        `${file}: "num_hidden_layers" (${arch.numLayers}) must be a multiple of ` +
          `"num_hidden_groups" (${arch.numHiddenGroups})`,
      );
    }
    return arch;
  },
  names: (arch) => ({
    ...BERT_EMBEDDINGS,
    embeddingProjection: "encoder.embedding_hidden_mapping_in",
    // Block index = group · innerGroupNum + inner layer; the builder walks the groups.
    block: (i) => albertBlock(Math.floor(i / arch.innerGroupNum), i % arch.innerGroupNum),
    pooler: "pooler",
  }),
};
