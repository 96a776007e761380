/**
 * XLM (`model_type: xlm`) and FlauBERT (`flaubert`): `embeddings` + `position_embeddings` →
 * `layer_norm_emb` → blocks of attention (`attentions.{i}`: `q_lin`, `k_lin`, `v_lin`,
 * `out_lin`) and feed-forward (`ffns.{i}`: `lin1`, `lin2`, GELU unless `gelu_activation` is
 * false), post-norm (`layer_norm1`, `layer_norm2`), or pre-norm for FlauBERT's `pre_norm`;
 * padded steps are zeroed after the embeddings and after every block, as Hugging Face does.
 * Language embeddings (`n_langs` > 1) are not added (no language ids are given), and causal
 * XLM models are rejected. Their tokenizers (Moses + BPE) are only read from `tokenizer.json`.
 * Checkpoints read through `transformer.`; `pred_layer.*`, `sequence_summary.*` ignored.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import { ApplyMask } from "../../model/_mask.ts";
import { HfConfigError, type HfFamily, hiddenAndHeads, intKey, numKey } from "./_family.ts";
import { HfAttention, HfEmbeddings } from "./_layers.ts";

function xlmFamily(name: string, modelTypes: readonly string[]): HfFamily {
  return {
    name,
    modelTypes,
    prefixes: ["transformer."],
    ignore: [
      /pred_layer\..*/,
      /sequence_summary\..*/,
      /qa_outputs\..*/,
      /lang_embeddings\.weight/,
      /position_ids/,
    ],
    defaultReduceOutput: "sum",
    hasPooler: false,
    needsTokenizerJson: true,
    architecture: (config, file) => {
      const { hiddenSize, numHeads } = hiddenAndHeads(config, file, {
        hidden: "emb_dim",
        heads: "n_heads",
      }, { hidden: 2048, heads: 16 });
      if (config.causal === true) {
        throw new HfConfigError(`${file}: causal XLM models are not supported as encoders`);
      }
      const maxPositions = intKey(config, "max_position_embeddings", file, 512);
      return {
        family: name,
        modelType: String(config.model_type ?? name),
        vocabSize: intKey(config, "vocab_size", file),
        embeddingSize: hiddenSize,
        hiddenSize,
        numLayers: intKey(config, "n_layers", file, 12),
        numHeads,
        intermediateSize: 4 * hiddenSize,
        activation: config.gelu_activation === false ? "relu" : "gelu",
        layerNormEps: numKey(config, "layer_norm_eps", file, 1e-12),
        maxPositions,
        typeVocabSize: 0,
        padTokenId: intKey(config, "pad_token_id", file, intKey(config, "pad_index", file, 2)),
        positions: "absolute",
        numHiddenGroups: 1,
        innerGroupNum: 1,
        hiddenDropout: numKey(config, "dropout", file, 0.1),
        maxSequenceLength: maxPositions,
        preNorm: config.pre_norm === true,
      };
    },
    names: () => ({
      word: "embeddings",
      position: "position_embeddings",
      embeddingNorm: "layer_norm_emb",
      block: () => {
        throw new Error("XLM builds its own blocks");
      },
    }),
    body: (ids, mask, arch, kit) => {
      const embeddings = new HfEmbeddings({
        vocabSize: arch.vocabSize,
        embeddingSize: arch.hiddenSize,
        maxPositions: arch.maxPositions,
        typeVocabSize: 0,
        positions: "absolute",
        padIdx: arch.padTokenId,
        seed: kit.nextSeed(),
        name: kit.layerName("embeddings"),
      });
      kit.bindWeight(embeddings, 0, "embeddings.weight");
      kit.bindWeight(embeddings, 1, "position_embeddings.weight");
      const zeroPads = (x: tf.SymbolicTensor, what: string) =>
        new ApplyMask({ name: kit.layerName(what) }).apply([x, mask]) as tf.SymbolicTensor;
      const add = (a: tf.SymbolicTensor, b: tf.SymbolicTensor, what: string) =>
        tf.layers.add({ name: kit.layerName(what) }).apply([a, b]) as tf.SymbolicTensor;
      let h = kit.norm("layer_norm_emb").apply(embeddings.apply(ids)) as tf.SymbolicTensor;
      h = zeroPads(kit.drop(h, "embeddings_dropout"), "embeddings_mask");
      for (let i = 0; i < arch.numLayers; i++) {
        const attention = new HfAttention({
          hiddenSize: arch.hiddenSize,
          numHeads: arch.numHeads,
          seed: kit.nextSeed(),
          name: kit.layerName(`attentions_${i}`),
        });
        ["q_lin", "k_lin", "v_lin", "out_lin"].forEach((n, k) => {
          kit.bindWeight(attention, 2 * k, `attentions.${i}.${n}.weight`, "linear");
          kit.bindWeight(attention, 2 * k + 1, `attentions.${i}.${n}.bias`);
        });
        const norm1 = kit.norm(`layer_norm1.${i}`);
        const norm2 = kit.norm(`layer_norm2.${i}`);
        const ffn = (x: tf.SymbolicTensor) =>
          kit.dense(`ffns.${i}.lin2`, arch.hiddenSize).apply(
            kit.dense(`ffns.${i}.lin1`, arch.intermediateSize, arch.activation).apply(x),
          ) as tf.SymbolicTensor;
        if (arch.preNorm) {
          const a = attention.apply([
            norm1.apply(h) as tf.SymbolicTensor,
            mask,
          ]) as tf.SymbolicTensor;
          h = add(h, kit.drop(a, `attn_dropout_${i}`), `attn_residual_${i}`);
          const f = ffn(norm2.apply(h) as tf.SymbolicTensor);
          h = add(h, kit.drop(f, `ffn_dropout_${i}`), `ffn_residual_${i}`);
        } else {
          const a = attention.apply([h, mask]) as tf.SymbolicTensor;
          h = norm1.apply(
            add(h, kit.drop(a, `attn_dropout_${i}`), `attn_residual_${i}`),
          ) as tf.SymbolicTensor;
          const f = ffn(h);
          h = norm2.apply(
            add(h, kit.drop(f, `ffn_dropout_${i}`), `ffn_residual_${i}`),
          ) as tf.SymbolicTensor;
        }
        h = zeroPads(h, `block_mask_${i}`);
      }
      return { sequence: h };
    },
  };
}

/** The `xlm` family. */
export const XLM: HfFamily = xlmFamily("xlm", ["xlm"]);
/** The `flaubert` family. */
export const FLAUBERT: HfFamily = xlmFamily("flaubert", ["flaubert"]);
