/**
 * The encoders of T5 (`model_type: t5`) and mT5 (`mt5`): pre-norm blocks with RMS norms (no
 * mean, no bias), attention without biases or 1/√d scaling, heads of `d_kv`, a relative position
 * bias (`relative_attention_num_buckets` buckets up to `relative_attention_max_distance`,
 * bidirectional) computed by the first block and shared by all, and a ReLU or gated-GELU
 * (`feed_forward_proj: gated-gelu`, `wi_0`·`wi_1`, T5 v1.1 and mT5) feed-forward; no position
 * embeddings. The tokenizer appends `</s>` only: the reductions drop that last token. The pooled
 * output is the mean of the real steps. Checkpoints: `shared.weight` + `encoder.*`; the decoder,
 * `lm_head` and the tied `encoder.embed_tokens` copy are ignored.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import { activationKey, HfConfigError, type HfFamily, intKey, numKey } from "./_family.ts";
import { HfAttention, HfEmbeddings, HfRelativeBias, HfRmsNorm } from "./_layers.ts";

function t5Family(name: string, modelTypes: readonly string[]): HfFamily {
  return {
    name,
    modelTypes,
    prefixes: [],
    ignore: [/decoder\..*/, /lm_head\..*/, /encoder\.embed_tokens\.weight/],
    defaultReduceOutput: "sum",
    hasPooler: false,
    specialTokens: { first: false, last: true },
    poolFallback: "mean",
    architecture: (config, file) => {
      const hiddenSize = intKey(config, "d_model", file);
      const numHeads = intKey(config, "num_heads", file);
      const proj = String(config.feed_forward_proj ?? "relu");
      const gated = proj.startsWith("gated-");
      const actName = gated ? proj.slice("gated-".length) : proj;
      if (numHeads === 0) throw new HfConfigError(`${file}: "num_heads" must be positive`);
      return {
        family: name,
        modelType: String(config.model_type ?? name),
        vocabSize: intKey(config, "vocab_size", file),
        embeddingSize: hiddenSize,
        hiddenSize,
        numLayers: intKey(config, "num_layers", file),
        numHeads,
        intermediateSize: intKey(config, "d_ff", file),
        // Hugging Face runs "gated-gelu" with the tanh GELU.
        activation: actName === "gelu"
          ? (gated ? "gelu_new" : "gelu")
          : activationKey({ feed_forward_proj: actName }, "feed_forward_proj", file, "relu"),
        layerNormEps: numKey(config, "layer_norm_epsilon", file, 1e-6),
        maxPositions: 0,
        typeVocabSize: 0,
        padTokenId: intKey(config, "pad_token_id", file, 0),
        positions: "absolute",
        numHiddenGroups: 1,
        innerGroupNum: 1,
        hiddenDropout: numKey(config, "dropout_rate", file, 0.1),
        maxSequenceLength: Number.MAX_SAFE_INTEGER,
        headSize: intKey(config, "d_kv", file, hiddenSize / numHeads),
        relativeBuckets: intKey(config, "relative_attention_num_buckets", file, 32),
        relativeMaxDistance: intKey(config, "relative_attention_max_distance", file, 128),
        gatedFfn: gated,
      };
    },
    names: () => ({
      word: "shared",
      position: "",
      embeddingNorm: "encoder.final_layer_norm",
      block: () => {
        throw new Error("T5 builds its own blocks");
      },
    }),
    body: (ids, mask, arch, kit) => {
      const embeddings = new HfEmbeddings({
        vocabSize: arch.vocabSize,
        embeddingSize: arch.hiddenSize,
        maxPositions: 0,
        typeVocabSize: 0,
        positions: "absolute",
        padIdx: arch.padTokenId,
        seed: kit.nextSeed(),
        name: kit.layerName("embeddings"),
      });
      kit.bindWeight(embeddings, 0, "shared.weight");
      let h = kit.drop(embeddings.apply(ids) as tf.SymbolicTensor, "embeddings_dropout");
      const rms = (path: string) => {
        const layer = new HfRmsNorm({
          epsilon: arch.layerNormEps,
          name: kit.layerName(path.replaceAll(".", "_")),
        });
        kit.bindWeight(layer, 0, `${path}.weight`);
        return layer;
      };
      const linear = (path: string, units: number, activation?: string) => {
        const layer = tf.layers.dense({
          units,
          useBias: false,
          activation: activation as "linear" | undefined,
          kernelInitializer: tf.initializers.truncatedNormal({
            stddev: 0.05,
            seed: kit.nextSeed(),
          }),
          name: kit.layerName(path.replaceAll(".", "_")),
        });
        kit.bindWeight(layer, 0, `${path}.weight`, "linear");
        return layer;
      };
      const add = (a: tf.SymbolicTensor, b: tf.SymbolicTensor, what: string) =>
        tf.layers.add({ name: kit.layerName(what) }).apply([a, b]) as tf.SymbolicTensor;
      const bias = new HfRelativeBias({
        numBuckets: arch.relativeBuckets!,
        maxDistance: arch.relativeMaxDistance!,
        numHeads: arch.numHeads,
        bidirectional: true,
        seed: kit.nextSeed(),
        name: kit.layerName("relative_attention_bias"),
      });
      kit.bindWeight(
        bias,
        0,
        "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
      );
      const positionBias = bias.apply(h) as tf.SymbolicTensor;
      for (let i = 0; i < arch.numLayers; i++) {
        const p = `encoder.block.${i}.layer.`;
        const n1 = rms(`${p}0.layer_norm`).apply(h) as tf.SymbolicTensor;
        const attention = new HfAttention({
          hiddenSize: arch.hiddenSize,
          numHeads: arch.numHeads,
          headSize: arch.headSize,
          bias: false,
          scale: false,
          seed: kit.nextSeed(),
          name: kit.layerName(`${p}0_SelfAttention`.replaceAll(".", "_")),
        });
        ["q", "k", "v", "o"].forEach((w, k) =>
          kit.bindWeight(attention, k, `${p}0.SelfAttention.${w}.weight`, "linear")
        );
        const a = attention.apply([n1, mask, positionBias]) as tf.SymbolicTensor;
        h = add(h, kit.drop(a, `${p}0_dropout`), `${p}0_residual`);
        const n2 = rms(`${p}1.layer_norm`).apply(h) as tf.SymbolicTensor;
        const ff = `${p}1.DenseReluDense.`;
        let inner: tf.SymbolicTensor;
        if (arch.gatedFfn) {
          const gate = linear(`${ff}wi_0`, arch.intermediateSize, arch.activation).apply(n2);
          const lin = linear(`${ff}wi_1`, arch.intermediateSize).apply(n2);
          inner = tf.layers.multiply({ name: kit.layerName(`${ff}gate`.replaceAll(".", "_")) })
            .apply([gate as tf.SymbolicTensor, lin as tf.SymbolicTensor]) as tf.SymbolicTensor;
        } else {
          inner = linear(`${ff}wi`, arch.intermediateSize, arch.activation).apply(
            n2,
          ) as tf.SymbolicTensor;
        }
        const f = linear(`${ff}wo`, arch.hiddenSize).apply(inner) as tf.SymbolicTensor;
        h = add(h, kit.drop(f, `${p}1_dropout`), `${p}1_residual`);
      }
      const out = rms("encoder.final_layer_norm").apply(h) as tf.SymbolicTensor;
      return { sequence: kit.drop(out, "final_dropout") };
    },
  };
}

/** The `t5` family (its encoder). */
export const T5: HfFamily = t5Family("t5", ["t5"]);
/** The `mt5` family (its encoder). */
export const MT5: HfFamily = t5Family("mt5", ["mt5"]);
