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
import {
  BERT_EMBEDDINGS,
  bertBlock,
  bertStyleArchitecture,
  HfConfigError,
  type HfFamily,
  TASK_HEADS,
} from "./_family.ts";

const HEADS: readonly RegExp[] = [
  /lm_head\..*/,
  ...TASK_HEADS,
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

/**
 * The `longformer` family, as far as it is RoBERTa: with no global attention (Ludwig passes
 * none), each token attends to the tokens within half the `attention_window` on either side,
 * which is full attention while the sequence fits in that reach; so `max_sequence_length` is
 * capped at `min(attention_window) / 2 + 1`, and the unused `*_global` projections are ignored.
 */
export const LONGFORMER: HfFamily = (() => {
  const base = robertaFamily("longformer", ["longformer"], "cls_pooled");
  return {
    ...base,
    prefixes: ["longformer."],
    ignore: [...base.ignore, /encoder\.layer\.\d+\.attention\.self\.(query|key|value)_global\..*/],
    architecture: (config, file) => {
      const arch = base.architecture(config, file);
      const window = config.attention_window;
      const windows = Array.isArray(window) ? window : [window ?? 512];
      if (windows.some((w) => typeof w !== "number" || !Number.isInteger(w) || w < 2)) {
        throw new HfConfigError(
          `${file}: "attention_window" must be an even integer or one per layer, got ${
            JSON.stringify(window)
          }`,
        );
      }
      const reach = Math.min(...(windows as number[])) / 2 + 1;
      arch.maxSequenceLength = Math.min(arch.maxSequenceLength, reach);
      return arch;
    },
  };
})();
