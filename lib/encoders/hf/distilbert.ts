/**
 * DistilBERT (`model_type: distilbert`): BERT's blocks under other names (`dim`, `n_layers`,
 * `n_heads`, `hidden_dim`, `activation`; LayerNorm epsilon 1e-12), absolute positions, no token
 * types, no pooler (`cls_pooled` takes the `[CLS]` hidden state). Checkpoints read through
 * `distilbert.`; `vocab_*`, `pre_classifier.*`, `classifier.*` ignored. Sinusoidal position
 * embeddings are stored as weights, so they read like learned ones.
 *
 * @module
 */
import {
  activationKey,
  type HfFamily,
  hiddenAndHeads,
  intKey,
  numKey,
  TASK_HEADS,
} from "./_family.ts";

/** The `distilbert` family. */
export const DISTILBERT: HfFamily = {
  name: "distilbert",
  modelTypes: ["distilbert"],
  prefixes: ["distilbert."],
  ignore: [
    /vocab_transform\..*/,
    /vocab_layer_norm\..*/,
    /vocab_projector\..*/,
    /pre_classifier\..*/,
    ...TASK_HEADS,
  ],
  defaultReduceOutput: "sum",
  hasPooler: false,
  architecture: (config, file) => {
    const { hiddenSize, numHeads } = hiddenAndHeads(config, file, {
      hidden: "dim",
      heads: "n_heads",
    });
    const maxPositions = intKey(config, "max_position_embeddings", file);
    return {
      family: "distilbert",
      modelType: "distilbert",
      vocabSize: intKey(config, "vocab_size", file),
      embeddingSize: hiddenSize,
      hiddenSize,
      numLayers: intKey(config, "n_layers", file),
      numHeads,
      intermediateSize: intKey(config, "hidden_dim", file),
      activation: activationKey(config, "activation", file, "gelu"),
      layerNormEps: 1e-12,
      maxPositions,
      typeVocabSize: 0,
      padTokenId: intKey(config, "pad_token_id", file, 0),
      positions: "absolute",
      numHiddenGroups: 1,
      innerGroupNum: 1,
      hiddenDropout: numKey(config, "dropout", file, 0.1),
      maxSequenceLength: maxPositions,
    };
  },
  names: () => ({
    word: "embeddings.word_embeddings",
    position: "embeddings.position_embeddings",
    embeddingNorm: "embeddings.LayerNorm",
    block: (i) => {
      const p = `transformer.layer.${i}.`;
      return {
        query: `${p}attention.q_lin`,
        key: `${p}attention.k_lin`,
        value: `${p}attention.v_lin`,
        attentionOutput: `${p}attention.out_lin`,
        attentionNorm: `${p}sa_layer_norm`,
        ffnIn: `${p}ffn.lin1`,
        ffnOut: `${p}ffn.lin2`,
        ffnNorm: `${p}output_layer_norm`,
      };
    },
  }),
};
