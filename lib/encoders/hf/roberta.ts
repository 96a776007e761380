/**
 * RoBERTa and the families on its architecture, XLM-RoBERTa and CamemBERT: BERT's blocks with
 * position ids starting at `padding_idx + 1` (padding positions at `padding_idx`, the config's
 * `pad_token_id`), LayerNorm epsilon 1e-5, one token type. Checkpoints read through the
 * `roberta.` prefix (CamemBERT and XLM-R task models use it too); `lm_head.*`, `classifier.*`
 * ignored. Task models have no pooler (`add_pooling_layer=False`): `cls_pooled` then takes the
 * `<s>` token's hidden state.
 *
 * @module
 */
import { BERT_EMBEDDINGS, bertBlock, bertStyleArchitecture, type HfFamily } from "./_family.ts";

const HEADS: readonly RegExp[] = [
  /lm_head\..*/,
  /classifier\..*/,
  /qa_outputs\..*/,
  /embeddings\.position_ids/,
];

function robertaFamily(
  name: string,
  modelTypes: readonly string[],
  defaultReduceOutput: HfFamily["defaultReduceOutput"],
): HfFamily {
  return {
    name,
    modelTypes,
    prefixes: ["roberta.", `${name}.`],
    ignore: HEADS,
    defaultReduceOutput,
    hasPooler: true,
    architecture: (config, file) =>
      bertStyleArchitecture(name, config, file, {
        activation: "gelu",
        positions: "padded",
        layerNormEps: 1e-5,
      }),
    names: () => ({ ...BERT_EMBEDDINGS, block: bertBlock, pooler: "pooler.dense" }),
  };
}

/** The `roberta` family. */
export const ROBERTA: HfFamily = robertaFamily("roberta", ["roberta"], "cls_pooled");
/** The `xlmroberta` family (`model_type: xlm-roberta`). */
export const XLM_ROBERTA: HfFamily = robertaFamily("xlmroberta", ["xlm-roberta"], "cls_pooled");
/** The `camembert` family. */
export const CAMEMBERT: HfFamily = robertaFamily("camembert", ["camembert"], "sum");
