/**
 * The build of the Hugging Face text encoder entries (lib/encoders/text_pretrained.ts): the
 * graph of lib/encoders/hf on the feature's token ids, its pretrained weights registered in the
 * build's weights store (read once per build), frozen layers when `trainable: false` (no
 * dropout: a frozen encoder runs in inference mode), and the cacheable-output marker.
 *
 * The architecture comes from the feature's metadata (`hf_config`, config.json as the
 * `hf_tokenizer` preprocessing read it), so a saved model, whose layers are in its own
 * model.json and weights file, needs no model folder.
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import { resolveHuggingFaceModel } from "../../pretrained/mod.ts";
import type { NamedTensors } from "../../pretrained/mod.ts";
import {
  type BuildContext,
  type EncoderBuildOf,
  type InitialWeight,
  nextSeed,
  numberField,
  recordField,
  type Symbolic,
} from "../../model/component.ts";
import type { hfBert } from "../text_pretrained.ts";
import { markCacheableOutput } from "../_cacheable.ts";
import { HfConfigError, type HfReduceOutput } from "./_family.ts";
import { findHfWeights, hfFamilyFor, hfFolderFingerprint } from "./mod.ts";
import { buildHfGraph, type HfGraph, mapHfWeights, readHfWeights } from "./model.ts";

type Config = Parameters<EncoderBuildOf<typeof hfBert>>[0];

function where(ctx: BuildContext): string {
  return `the text encoder of feature "${ctx.scope}"`;
}

/** config.json of the feature's metadata, with the tokenizer's pad id where it has none. */
function modelConfig(ctx: BuildContext): Record<string, unknown> {
  const config = recordField(ctx.metadata, "hf_config");
  if (!config || Object.keys(config).length === 0) {
    throw new HfConfigError(
      `Cannot build ${where(ctx)}: its model folder has no config.json (the feature's ` +
        `metadata has no hf_config; preprocess with tokenizer: hf_tokenizer)`,
    );
  }
  if (config.pad_token_id === undefined || config.pad_token_id === null) {
    return { ...config, pad_token_id: numberField(ctx.metadata, "pad_idx") };
  }
  return { ...config };
}

/** The folder an encoder config names (a hub name resolved in the local cache). */
export async function encoderFolder(config: Config): Promise<string> {
  if (config.pretrained_model_name_or_path === null) {
    throw new HfConfigError(`The ${config.type} encoder needs pretrained_model_name_or_path`);
  }
  return await resolveHuggingFaceModel(config.pretrained_model_name_or_path, {
    revision: config.pretrained_kwargs?.revision,
  });
}

/** Cache-key part of a frozen encoder: its folder's checksum (config, tokenizer, weights). */
export async function cacheFingerprint(config: Config): Promise<string> {
  return await hfFolderFingerprint(await encoderFolder(config));
}

/**
 * Bytes a training step keeps per row for this encoder (float32 activations of every layer
 * for the backward pass: hidden states, feed-forward and attention scores), from the feature's
 * metadata (`hf_config`, `max_sequence_length`): the memory estimate of `batch_size: auto`.
 */
export function activationBytesPerRow(
  _config: unknown,
  metadata: Readonly<Record<string, unknown>> | undefined,
): number {
  const hf = recordField(metadata, "hf_config") ?? {};
  const s = numberField(metadata, "max_sequence_length") ?? 512;
  const h = Number(hf.hidden_size ?? hf.d_model ?? hf.n_embd ?? hf.emb_dim ?? 768);
  const layers = Number(hf.num_hidden_layers ?? hf.num_layers ?? hf.n_layer ?? hf.n_layers ?? 12);
  const heads = Number(hf.num_attention_heads ?? hf.num_heads ?? hf.n_head ?? 12);
  const ff = Number(hf.intermediate_size ?? hf.d_ff ?? hf.n_inner ?? 4 * h);
  const perLayer = s * (10 * h + 2 * ff) + 3 * heads * s * s;
  return 4 * (layers * perLayer + 4 * s * h);
}

export const build: EncoderBuildOf<typeof hfBert> = async (config, ctx) => {
  const file = "config.json";
  const hf = modelConfig(ctx);
  const { family, arch } = hfFamilyFor(hf, config.type, `${where(ctx)}: ${file}`);
  const padIdx = numberField(ctx.metadata, "pad_idx");
  if (padIdx !== undefined && padIdx !== arch.padTokenId) {
    throw new HfConfigError(
      `Cannot build ${where(ctx)}: config.json's "pad_token_id" (${arch.padTokenId}) differs ` +
        `from the tokenizer's pad id (${padIdx})`,
    );
  }
  const length = numberField(ctx.metadata, "max_sequence_length");
  if (length !== undefined && length > arch.maxSequenceLength) {
    throw new HfConfigError(
      `Cannot build ${where(ctx)}: rows of ${length} tokens exceed the ` +
        `${arch.maxSequenceLength} positions of config.json (lower max_sequence_length)`,
    );
  }
  let weights: NamedTensors | undefined;
  let weightsFile: string | undefined;
  if (config.use_pretrained && !config.saved_weights_in_checkpoint) {
    const folder = await encoderFolder(config);
    weightsFile = await findHfWeights(folder);
    const path = weightsFile;
    weights = await ctx.weights.read(`hf:${path}`, () => readHfWeights(path));
  }
  const names = family.names(arch);
  // The pooler only where the output is the pooled vector: a layer off the output's path would
  // not be part of the model (its weights never applied nor disposed).
  const pooler = config.reduce_output === "cls_pooled" && family.hasPooler &&
    names.pooler !== undefined &&
    (weights === undefined ||
      [...weights.keys()].some((k) => k.endsWith(`${names.pooler}.weight`)));
  const seed = nextSeed(ctx);
  return (input: Symbolic) => {
    if (input.shape.length !== 2) {
      throw new TypeError(`Cannot build ${where(ctx)}: it needs token ids [batch, length]`);
    }
    const ids = input.dtype === "int32"
      ? input
      : tf.layers.activation({ activation: "linear", name: `${ctx.scope}/hf_ids` })
        .apply(input) as Symbolic;
    const graph: HfGraph = buildHfGraph(ids, family, arch, {
      scope: `${ctx.scope}/${family.name}`,
      reduceOutput: config.reduce_output as HfReduceOutput,
      pooler,
      dropout: config.trainable,
      seed,
    });
    if (weights && weightsFile) {
      for (const [layer, values] of mapHfWeights(graph, family, arch, weights, weightsFile)) {
        ctx.weights.assign(layer.name, values, weightsFile);
      }
    }
    if (!config.trainable) freezeBetween(graph.output, ids);
    return markCacheableOutput(ctx, graph.output);
  };
};

/** Initial values of a layer as the weights store takes them. */
export function initialValues(tensors: readonly tf.Tensor[]): InitialWeight[] {
  return tensors.map((t) => ({ values: t.dataSync() as Float32Array, shape: t.shape }));
}

/** Set every layer from `input` (excluded) up to `output` untrainable. */
function freezeBetween(output: Symbolic, input: Symbolic): void {
  const seen = new Set<number>();
  const walk = (t: Symbolic) => {
    if (t.id === input.id || seen.has(t.id)) return;
    seen.add(t.id);
    if (t.sourceLayer) t.sourceLayer.trainable = false;
    for (const x of t.inputs ?? []) walk(x);
  };
  walk(output);
}
