/**
 * GPT-2 (`model_type: gpt2`) as an encoder: pre-layer-norm blocks (`ln_1` → causal attention →
 * add, `ln_2` → MLP → add), `ln_f` at the end, `gelu_new` by default. Its `Conv1D` layers store
 * weights [in, out] (already TF.js's kernel layout, so no transpose), and the attention's Q, K, V
 * share one `c_attn` kernel [hidden, 3·hidden]. No special tokens; padding uses the end-of-text
 * token (as Ludwig does), and since attention is causal and padding comes last, no real step
 * sees it. The pooled output is the last real token's hidden state. Checkpoints read through
 * `transformer.`; `lm_head.*`, `score.*` and the attention buffers ignored.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import {
  activationKey,
  type HfArchitecture,
  type HfBuildKit,
  type HfFamily,
  hiddenAndHeads,
  intKey,
  numKey,
} from "./_family.ts";
import { HfAttention, HfEmbeddings } from "./_layers.ts";

/** The `gpt2` family. */
export const GPT2: HfFamily = {
  name: "gpt2",
  modelTypes: ["gpt2"],
  prefixes: ["transformer."],
  ignore: [/lm_head\..*/, /score\..*/, /h\.\d+\.attn\.(masked_)?bias/],
  defaultReduceOutput: "sum",
  hasPooler: false,
  specialTokens: { first: false, last: false },
  poolFallback: "last",
  architecture: (config, file) => {
    const { hiddenSize, numHeads } = hiddenAndHeads(config, file, {
      hidden: "n_embd",
      heads: "n_head",
    });
    const maxPositions = intKey(config, "n_positions", file);
    const eos = intKey(config, "eos_token_id", file, 50256);
    return {
      family: "gpt2",
      modelType: "gpt2",
      vocabSize: intKey(config, "vocab_size", file),
      embeddingSize: hiddenSize,
      hiddenSize,
      numLayers: intKey(config, "n_layer", file),
      numHeads,
      intermediateSize: intKey(config, "n_inner", file, 4 * hiddenSize),
      activation: activationKey(config, "activation_function", file, "gelu_new"),
      layerNormEps: numKey(config, "layer_norm_epsilon", file, 1e-5),
      maxPositions,
      typeVocabSize: 0,
      padTokenId: intKey(config, "pad_token_id", file, eos),
      positions: "absolute",
      numHiddenGroups: 1,
      innerGroupNum: 1,
      hiddenDropout: numKey(config, "resid_pdrop", file, 0.1),
      maxSequenceLength: maxPositions,
    };
  },
  names: () => ({
    word: "wte",
    position: "wpe",
    embeddingNorm: "ln_f",
    block: () => {
      throw new Error("GPT-2 builds its own blocks");
    },
  }),
  body: (ids, mask, arch, kit) => gptBody(ids, mask, arch, kit, "gpt2"),
};

/** GPT-2's (pre-norm, final `ln_f`) or GPT's (post-norm) stack of Conv1D blocks. */
function gptBody(
  ids: tf.SymbolicTensor,
  mask: tf.SymbolicTensor,
  arch: HfArchitecture,
  kit: HfBuildKit,
  kind: "gpt2" | "gpt",
): { sequence: tf.SymbolicTensor } {
  const gpt2 = kind === "gpt2";
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
  kit.bindWeight(embeddings, 0, gpt2 ? "wte.weight" : "tokens_embed.weight");
  kit.bindWeight(embeddings, 1, gpt2 ? "wpe.weight" : "positions_embed.weight");
  let h = kit.drop(embeddings.apply(ids) as tf.SymbolicTensor, "embeddings_dropout");
  // Conv1D: weight [in, out], the Dense kernel as is.
  const conv1d = (path: string, units: number, activation?: string) => {
    const layer = tf.layers.dense({
      units,
      activation: activation as "linear" | undefined,
      kernelInitializer: tf.initializers.truncatedNormal({ stddev: 0.02, seed: kit.nextSeed() }),
      name: kit.layerName(path.replaceAll(".", "_")),
    });
    kit.bindWeight(layer, 0, `${path}.weight`);
    kit.bindWeight(layer, 1, `${path}.bias`);
    return layer;
  };
  const add = (a: tf.SymbolicTensor, b: tf.SymbolicTensor, what: string) =>
    tf.layers.add({ name: kit.layerName(what) }).apply([a, b]) as tf.SymbolicTensor;
  for (let i = 0; i < arch.numLayers; i++) {
    const p = `h.${i}.`;
    // GPT-2: pre-norm (x + attn(ln_1(x)), then x + mlp(ln_2(x))); GPT: post-norm.
    const attnIn = gpt2 ? kit.norm(`${p}ln_1`).apply(h) as tf.SymbolicTensor : h;
    const attention = new HfAttention({
      hiddenSize: arch.hiddenSize,
      numHeads: arch.numHeads,
      causal: true,
      fusedQkv: true,
      seed: kit.nextSeed(),
      name: kit.layerName(`${p}attn`.replaceAll(".", "_")),
    });
    kit.bindWeight(attention, 0, `${p}attn.c_attn.weight`);
    kit.bindWeight(attention, 1, `${p}attn.c_attn.bias`);
    kit.bindWeight(attention, 2, `${p}attn.c_proj.weight`);
    kit.bindWeight(attention, 3, `${p}attn.c_proj.bias`);
    const a = attention.apply([attnIn, mask]) as tf.SymbolicTensor;
    h = add(h, kit.drop(a, `${p}attn_dropout`), `${p}attn_residual`);
    if (!gpt2) h = kit.norm(`${p}ln_1`).apply(h) as tf.SymbolicTensor;
    const mlpIn = gpt2 ? kit.norm(`${p}ln_2`).apply(h) as tf.SymbolicTensor : h;
    const f = conv1d(`${p}mlp.c_proj`, arch.hiddenSize).apply(
      conv1d(`${p}mlp.c_fc`, arch.intermediateSize, arch.activation).apply(mlpIn),
    ) as tf.SymbolicTensor;
    h = add(h, kit.drop(f, `${p}mlp_dropout`), `${p}mlp_residual`);
    if (!gpt2) h = kit.norm(`${p}ln_2`).apply(h) as tf.SymbolicTensor;
  }
  return { sequence: gpt2 ? kit.norm("ln_f").apply(h) as tf.SymbolicTensor : h };
}

/**
 * OpenAI GPT (`model_type: openai-gpt`, Ludwig's `gpt`): GPT-2's Conv1D blocks in post-norm
 * order (x → ln_1(x + attn(x)) → ln_2(· + mlp(·))), no final norm, `gelu` (`afn`). Embeddings
 * `tokens_embed`, `positions_embed`. The tokenizer has no pad token: padding uses the unknown
 * token (see {@linkcode HfTokenizer}). Checkpoints read through `transformer.`.
 */
export const GPT: HfFamily = {
  ...GPT2,
  name: "gpt",
  modelTypes: ["openai-gpt"],
  architecture: (config, file) => {
    const arch = GPT2.architecture(
      { ...config, activation_function: config.afn ?? "gelu", eos_token_id: 0 },
      file,
    );
    arch.family = "gpt";
    arch.modelType = "openai-gpt";
    return arch;
  },
  names: () => ({
    word: "tokens_embed",
    position: "positions_embed",
    embeddingNorm: "h.0.ln_1",
    block: () => {
      throw new Error("GPT builds its own blocks");
    },
  }),
  body: (ids, mask, arch, kit) => gptBody(ids, mask, arch, kit, "gpt"),
};
