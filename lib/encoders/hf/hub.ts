/**
 * Downloading a Hugging Face model into the hub cache (`HF_HOME` /
 * `~/.cache/huggingface/hub`, the layout the Python client reads too), file by file with
 * progress: config.json, the tokenizer files the model has, and its weights (model.safetensors,
 * else pytorch_model.bin). Needs a network; a model already cached is not downloaded again.
 *
 * @module
 */
import { dirname } from "node:path";
import {
  downloadHuggingFaceFile,
  type HuggingFaceDownloadOptions,
  WeightsError,
} from "../../pretrained/mod.ts";

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];
const LEGACY_TOKENIZER_FILES = [["vocab.txt"], ["vocab.json", "merges.txt"]];

function isMissing(error: unknown): boolean {
  return error instanceof WeightsError && /HTTP 404/.test(error.message);
}

/**
 * Fetch a model's files into the hub cache and return its snapshot folder.
 *
 * @param repoId A hub name (`bert-base-uncased`, `org/name`).
 * @param options Revision, cache folder, endpoint, token, progress (`onProgress`), fetch.
 * @throws {WeightsError} No config.json, no tokenizer, no weights, or a network error.
 */
export async function downloadHfModel(
  repoId: string,
  options: HuggingFaceDownloadOptions = {},
): Promise<string> {
  const get = (file: string) => downloadHuggingFaceFile(repoId, file, options);
  const optional = async (file: string) => {
    try {
      return await get(file);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  };
  const config = await get("config.json");
  const found = await Promise.all(TOKENIZER_FILES.map(optional));
  if (found[0] === undefined) {
    let any = false;
    for (const files of LEGACY_TOKENIZER_FILES) {
      const got = [];
      for (const f of files) got.push(await optional(f));
      if (got.every((g) => g !== undefined)) {
        any = true;
        break;
      }
    }
    if (!any) {
      throw new WeightsError(
        "the model has no tokenizer.json, vocab.txt, or vocab.json with merges.txt",
        { file: repoId, action: "Cannot download the tokenizer" },
      );
    }
  }
  if (await optional("model.safetensors") === undefined) {
    if (await optional("pytorch_model.bin") === undefined) {
      throw new WeightsError("the model has neither model.safetensors nor pytorch_model.bin", {
        file: repoId,
        action: "Cannot download weights",
      });
    }
  }
  return dirname(config);
}
