/**
 * Pretrained text encoders from Hugging Face model folders (`config.json`, a tokenizer, and
 * `model.safetensors` or `pytorch_model.bin`), on the TF.js layers API ({@linkcode HF_FAMILIES}):
 * `bert`, `distilbert`, `roberta`, `xlmroberta`, `camembert`, `electra`, `albert`, `deberta`
 * (v2/v3), `gpt2`, `gpt`, `t5` and `mt5` (their encoders), `xlm`, `flaubert`, `longformer`
 * (short sequences, no global attention), and `auto_transformer` (chosen by `model_type`);
 * Ludwig's `ctrl`, `transformer_xl` and `xlnet` are rejected ({@linkcode HF_UNSUPPORTED}).
 *
 * - {@linkcode loadHfEncoder} reads a folder into an {@linkcode HfEncoder}: its tokenizer, its
 *   architecture, and a `tf.LayersModel` from token ids to the `reduce_output` result with the
 *   weights set;
 * - {@linkcode buildHfGraph} builds the graph on a symbolic input of a larger model (the text
 *   feature's encoder), and {@linkcode assignHfWeights} sets its weights afterwards;
 * - {@linkcode encodeTexts} runs a frozen encoder over texts for the embedding cache;
 * - {@linkcode loadTfjsGraphEncoder} reads a frozen TF.js graph model (`tfjs_graph`, a Sonata
 *   extension; Universal Sentence Encoder Lite works).
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../../compute/mod.ts";
import {
  type HuggingFaceDownloadOptions,
  type HuggingFaceOptions,
  resolveHuggingFaceModel,
  sha256File,
  WeightsError,
} from "../../pretrained/mod.ts";
import { HfTokenizer, loadHfTokenizer } from "../../pretrained/tokenizer.ts";
import {
  type HfArchitecture,
  HfConfigError,
  type HfFamily,
  type HfReduceOutput,
} from "./_family.ts";
import { ALBERT } from "./albert.ts";
import { BERT } from "./bert.ts";
import { DEBERTA } from "./deberta.ts";
import { DISTILBERT } from "./distilbert.ts";
import { ELECTRA } from "./electra.ts";
import { GPT, GPT2 } from "./gpt2.ts";
import { MT5, T5 } from "./t5.ts";
import { assignHfWeights, buildHfGraph, type HfGraph, readHfWeights } from "./model.ts";
import { downloadHfModel } from "./hub.ts";
import { CAMEMBERT, LONGFORMER, ROBERTA, XLM_ROBERTA } from "./roberta.ts";
import { FLAUBERT, XLM } from "./xlm.ts";

export type {
  HfActivation,
  HfArchitecture,
  HfBlockNames,
  HfBuildKit,
  HfFamily,
  HfNames,
  HfReduceOutput,
} from "./_family.ts";
export { HfConfigError } from "./_family.ts";
export {
  HfAttention,
  type HfAttentionArgs,
  HfContentMask,
  HfEmbeddings,
  HfFirstToken,
  HfRelativeBias,
  HfRmsNorm,
  type PositionScheme,
} from "./_layers.ts";
export {
  debertaRelativePosition,
  HfDisentangledAttention,
  type HfDisentangledAttentionArgs,
  HfTable,
} from "./deberta.ts";
export {
  assignHfWeights,
  buildHfGraph,
  encodeTexts,
  type EncodeTextsOptions,
  type HfBinding,
  type HfGraph,
  type HfGraphOptions,
  readHfWeights,
} from "./model.ts";
export { downloadHfModel } from "./hub.ts";
export {
  fileModelHandler,
  loadTfjsGraphEncoder,
  loadTfjsGraphModel,
  TfjsGraphEncoder,
  type TfjsGraphEncoderOptions,
  unigramTokenizerJson,
} from "./tfjs_graph.ts";

/** The encoder families by Ludwig's encoder type. */
export const HF_FAMILIES: Readonly<Record<string, HfFamily>> = {
  bert: BERT,
  distilbert: DISTILBERT,
  roberta: ROBERTA,
  xlmroberta: XLM_ROBERTA,
  camembert: CAMEMBERT,
  electra: ELECTRA,
  albert: ALBERT,
  gpt2: GPT2,
  gpt: GPT,
  t5: T5,
  mt5: MT5,
  deberta: DEBERTA,
  xlm: XLM,
  flaubert: FLAUBERT,
  longformer: LONGFORMER,
};

/** Ludwig's Hugging Face encoder types that are not built here (yet), for messages. */
export const HF_UNSUPPORTED: readonly string[] = [
  "ctrl",
  "transformer_xl",
  "xlnet",
];

/** The family reading a config.json `model_type` (for `auto_transformer`). */
export function familyOfModelType(modelType: string): HfFamily | undefined {
  return Object.values(HF_FAMILIES).find((f) => f.modelTypes.includes(modelType));
}

/** Options of {@linkcode loadHfEncoder}. */
export interface LoadHfEncoderOptions {
  /**
   * The encoder type (`bert`, …, or `auto_transformer` for config.json's `model_type`); default
   * `auto_transformer`. A type that disagrees with the folder's `model_type` is an error.
   */
  type?: string;
  /** Ludwig's `reduce_output`; default the family's. */
  reduceOutput?: HfReduceOutput;
  /** Layer name scope; default `"hf"`. */
  scope?: string;
  /** Read the weights (`use_pretrained`); default true. Otherwise random initialization. */
  pretrained?: boolean;
  /** Dropout layers for fine-tuning (inactive in inference); default true. */
  dropout?: boolean;
  /** Initializer seed; default 42. */
  seed?: number;
  /**
   * Ludwig's `max_sequence_length` (special tokens included); checked against the position
   * table. Default: the tokenizer's `model_max_length`, capped by the position table.
   */
  maxSequenceLength?: number;
  /** Revision and cache folder when the name is resolved in the Hugging Face hub cache. */
  hub?: HuggingFaceOptions;
  /**
   * Download a hub model missing from the cache (with these options: endpoint, token,
   * `onProgress`, …); default false: a missing model is an error that says where it was looked
   * for.
   */
  download?: boolean | HuggingFaceDownloadOptions;
}

/** A loaded encoder. */
export interface HfEncoder {
  family: HfFamily;
  arch: HfArchitecture;
  tokenizer: HfTokenizer;
  /**
   * Token ids [batch, seq] (int32) → [reduce_output result, sequence [batch, seq, hidden],
   * pooled [batch, hidden]].
   */
  model: tf.LayersModel;
  /** The graph's parts (bindings of the Hugging Face names included). */
  graph: HfGraph;
  /** The weights file read, if any. */
  weightsFile?: string;
  /** Whether the graph has the pooler layer. */
  pooler: boolean;
  /** The folder read (a hub name resolved to its snapshot). */
  folder: string;
  /** The row length to tokenize to (`max_sequence_length`, special tokens included). */
  maxSequenceLength: number;
  /** What rebuilds this encoder without the folder (JSON; see {@linkcode createHfEncoder}). */
  spec: HfEncoderSpec;
}

/** A JSON description of an encoder: config.json, the tokenizer, and the graph choices. */
export interface HfEncoderSpec {
  /** Ludwig's encoder type (`bert`, …) the family was chosen for. */
  type: string;
  /** config.json as read. */
  config: Record<string, unknown>;
  /** {@linkcode HfTokenizer.source}. */
  tokenizer: { tokenizer: Record<string, unknown>; config: Record<string, unknown> };
  /** Whether the graph has the pooler layer. */
  pooler: boolean;
  /** The row length. */
  maxSequenceLength: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Read and check a folder's config.json and pick the family. */
export async function readHfConfig(
  folder: string,
  type = "auto_transformer",
): Promise<{ family: HfFamily; arch: HfArchitecture; config: Record<string, unknown> }> {
  const file = join(folder, "config.json");
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new HfConfigError(`The model folder "${folder}" has no config.json`);
    }
    throw new HfConfigError(`Cannot read ${file}: ${(e as Error).message}`);
  }
  return { ...hfFamilyFor(config, type, file), config };
}

/**
 * The family and architecture of a parsed config.json, for an encoder type (or
 * `auto_transformer`: by `model_type`).
 *
 * @throws {HfConfigError} Unknown or unsupported type, a `model_type` that does not fit, or a bad
 * key (the message names `file` and the key).
 */
export function hfFamilyFor(
  config: Record<string, unknown>,
  type = "auto_transformer",
  file = "config.json",
): { family: HfFamily; arch: HfArchitecture } {
  const modelType = typeof config.model_type === "string" ? config.model_type : undefined;
  let family: HfFamily | undefined;
  if (type === "auto_transformer") {
    if (modelType === undefined) throw new HfConfigError(`${file}: "model_type" is required`);
    family = familyOfModelType(modelType);
    if (!family) {
      throw new HfConfigError(
        `${file}: model_type "${modelType}" is not supported; supported: ${
          Object.values(HF_FAMILIES).flatMap((f) => f.modelTypes).join(", ")
        }`,
      );
    }
  } else {
    family = HF_FAMILIES[type];
    if (!family) {
      const why = HF_UNSUPPORTED.includes(type) ? "is not supported yet" : "is not known";
      throw new HfConfigError(
        `The encoder type "${type}" ${why}; supported: ${
          [...Object.keys(HF_FAMILIES), "auto_transformer"].join(", ")
        }`,
      );
    }
    if (modelType !== undefined && !family.modelTypes.includes(modelType)) {
      throw new HfConfigError(
        `${file}: model_type "${modelType}" does not fit the encoder type "${type}" ` +
          `(expected ${family.modelTypes.join(" or ")})`,
      );
    }
  }
  return { family, arch: family.architecture(config, file) };
}

/** The weights file of a folder: model.safetensors, else pytorch_model.bin. */
export async function findHfWeights(folder: string): Promise<string> {
  for (const name of ["model.safetensors", "pytorch_model.bin"]) {
    const path = join(folder, name);
    if (await exists(path)) return path;
  }
  throw new WeightsError(
    `the model folder "${folder}" has neither model.safetensors nor pytorch_model.bin`,
    { file: folder, action: "Cannot load weights" },
  );
}

/**
 * Load a Hugging Face model: config.json, the tokenizer, and the weights, from a local folder or
 * a hub name found in the Hugging Face cache (`HF_HOME` / `~/.cache/huggingface/hub`).
 *
 * @param nameOrPath A model folder, or a hub name (`bert-base-uncased`, `org/name`).
 * @throws {HfConfigError} config.json missing, unsupported or inconsistent; a
 * `maxSequenceLength` the position table cannot hold.
 * @throws {WeightsError} Not found; weights missing, unexpected or mis-shaped (the first ones
 * listed).
 */
export async function loadHfEncoder(
  nameOrPath: string,
  options: LoadHfEncoderOptions = {},
): Promise<HfEncoder> {
  let folder: string;
  try {
    folder = await resolveHuggingFaceModel(nameOrPath, options.hub);
  } catch (error) {
    if (!options.download || !(error instanceof WeightsError)) throw error;
    const extra = typeof options.download === "object" ? options.download : {};
    folder = await downloadHfModel(nameOrPath, { ...options.hub, ...extra });
  }
  const read = await readHfConfig(folder, options.type);
  const { family } = read;
  let { arch, config } = read;
  if (family.needsTokenizerJson && !(await exists(join(folder, "tokenizer.json")))) {
    throw new HfConfigError(
      `The model folder "${folder}" has no tokenizer.json, which ${family.name} models need ` +
        `(their Moses + BPE vocabulary files are not read)`,
    );
  }
  const tokenizer = await loadHfTokenizer(folder);
  if (config.pad_token_id === undefined || config.pad_token_id === null) {
    // No pad id in config.json (GPT-2, OpenAI GPT): the tokenizer's.
    config = { ...config, pad_token_id: tokenizer.padId };
    arch = hfFamilyFor(config, family.name, join(folder, "config.json")).arch;
  }
  if (tokenizer.vocabSize > arch.vocabSize) {
    throw new HfConfigError(
      `${join(folder, "config.json")}: "vocab_size" (${arch.vocabSize}) is smaller than the ` +
        `tokenizer's vocabulary (${tokenizer.vocabSize})`,
    );
  }
  if (tokenizer.padId !== arch.padTokenId) {
    throw new HfConfigError(
      `${join(folder, "config.json")}: "pad_token_id" (${arch.padTokenId}) differs from the ` +
        `tokenizer's pad token "${tokenizer.padToken}" (${tokenizer.padId})`,
    );
  }
  let maxSequenceLength = options.maxSequenceLength;
  if (maxSequenceLength === undefined) {
    maxSequenceLength = Math.min(tokenizer.modelMaxLength ?? 512, arch.maxSequenceLength);
  } else if (
    !Number.isInteger(maxSequenceLength) || maxSequenceLength < 1 ||
    maxSequenceLength > arch.maxSequenceLength
  ) {
    throw new HfConfigError(
      `max_sequence_length ${maxSequenceLength} must be a positive integer no larger than the ` +
        `${arch.maxSequenceLength} positions of ${join(folder, "config.json")}`,
    );
  }
  const pretrained = options.pretrained ?? true;
  let weights;
  let weightsFile: string | undefined;
  if (pretrained) {
    weightsFile = await findHfWeights(folder);
    weights = await readHfWeights(weightsFile);
  }
  const names = family.names(arch);
  const pooler = family.hasPooler && names.pooler !== undefined &&
    (weights === undefined ||
      [...weights.keys()].some((k) => k.endsWith(`${names.pooler}.weight`)));
  const spec: HfEncoderSpec = {
    type: family.name,
    config,
    tokenizer: tokenizer.source,
    pooler,
    maxSequenceLength,
  };
  const built = createHfEncoder(spec, options, tokenizer, folder);
  if (weights && weightsFile) {
    assignHfWeights(built.graph, family, arch, weights, weightsFile);
    built.weightsFile = weightsFile;
  }
  return built;
}

/**
 * Build an encoder from its {@linkcode HfEncoderSpec} (no folder needed) with random weights:
 * the reload path of a saved model, whose weights then come from the model's own checkpoint.
 */
export function createHfEncoder(
  spec: HfEncoderSpec,
  options: Omit<LoadHfEncoderOptions, "type" | "pretrained" | "hub" | "maxSequenceLength"> = {},
  tokenizer: HfTokenizer = HfTokenizer.fromSource(spec.tokenizer),
  folder = "<saved>",
): HfEncoder {
  const { family, arch } = hfFamilyFor(spec.config, spec.type, join(folder, "config.json"));
  const ids = tf.input({ shape: [null], dtype: "int32", name: `${options.scope ?? "hf"}/ids` });
  const graph = buildHfGraph(ids, family, arch, {
    scope: options.scope,
    reduceOutput: options.reduceOutput,
    pooler: spec.pooler,
    dropout: options.dropout,
    seed: options.seed,
  });
  const model = tf.model({
    inputs: ids,
    outputs: [graph.output, graph.sequence, graph.pooled],
    name: `${options.scope ?? "hf"}_${family.name}`.replace(/[^A-Za-z0-9_]/g, "_"),
  });
  return {
    family,
    arch,
    tokenizer,
    model,
    graph,
    pooler: spec.pooler,
    folder,
    maxSequenceLength: spec.maxSequenceLength,
    spec,
  };
}

const FINGERPRINT_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.txt",
  "vocab.json",
  "merges.txt",
  "model.safetensors",
  "pytorch_model.bin",
];

/**
 * A checksum of a model folder for cache keys: SHA-256 over the SHA-256 of each file that
 * decides the encoder's outputs (config, tokenizer files, weights) that the folder has.
 */
export async function hfFolderFingerprint(folder: string): Promise<string> {
  const lines: string[] = [];
  for (const name of FINGERPRINT_FILES) {
    const path = join(folder, name);
    if (await exists(path)) lines.push(`${name}:${await sha256File(path)}`);
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(lines.join("\n")));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
