/**
 * Pretrained weights: readers for the formats that pretrained models come in, all producing the
 * same {@linkcode RawTensor} (dtype, shape, contiguous row-major values), layout transposes from
 * PyTorch to TF.js, name tables with mismatch reports, cache resolution (torch hub, Hugging Face
 * hub) with a verified download, and the GloVe embeddings reader.
 *
 * - safetensors: {@linkcode openSafetensors} (header only, tensors on demand),
 *   {@linkcode readSafetensors}, {@linkcode writeSafetensors};
 * - `torch.save` files (`.pth`, `.pt`, `pytorch_model.bin`): {@linkcode openTorch},
 *   {@linkcode readTorch}, read by a restricted unpickler that executes nothing;
 * - TF.js model folders: {@linkcode readTfjsModel};
 * - any of them: {@linkcode readWeights}.
 *
 * @example Write, read and re-lay-out a Linear weight
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { linearTorchToTf, readWeights, toFloat32, writeSafetensors } from "./mod.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * const weight = { dtype: "F32" as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
 * await writeSafetensors(path, new Map([["fc.weight", weight]]));
 * const kernel = linearTorchToTf((await readWeights(path)).get("fc.weight")!);
 * assertEquals([kernel.shape, [...toFloat32(kernel)]], [[3, 2], [1, 4, 2, 5, 3, 6]]);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */
export { DataError } from "../data/errors.ts";
export {
  bfloat16ToFloat32,
  type DType,
  DTYPE_SIZE,
  type DTypeArrays,
  DTYPES,
  float16ToFloat32,
  float32ToFloat16,
  fromBytes,
  type NamedTensors,
  type RawTensor,
  sizeOf,
  tensorBytes,
  type TensorData,
  toFloat32,
  WeightsError,
  type WeightsErrorOptions,
} from "./tensor.ts";
export {
  decodeSafetensors,
  encodeSafetensors,
  openSafetensors,
  readSafetensors,
  type SafetensorsEntry,
  type SafetensorsFile,
  writeSafetensors,
} from "./safetensors.ts";
export {
  decodeTorch,
  openTorch,
  readTorch,
  type TorchFile,
  type TorchTensorInfo,
} from "./torch.ts";
export {
  decodeTfjsWeights,
  readTfjsModel,
  type TfjsManifestGroup,
  type TfjsModel,
  tfjsModelChecksum,
  type TfjsWeightSpec,
} from "./tfjs.ts";
export {
  detectWeightsFormat,
  readShardedWeights,
  readWeights,
  type WeightsFormat,
} from "./read.ts";
export {
  assertWeightsMatch,
  COMMON_PREFIXES,
  compareWeights,
  convTorchToTf,
  depthwiseTorchToTf,
  formatMismatch,
  type LayoutTransform,
  linearTorchToTf,
  mapNames,
  type MapNamesOptions,
  type MappedTensors,
  type NameRule,
  nchwToNhwc,
  nhwcToNchw,
  transpose,
  type WeightsMismatch,
} from "./layout.ts";
export {
  type CacheOptions,
  downloadFile,
  downloadHuggingFaceFile,
  type DownloadOptions,
  type DownloadProgress,
  type EnvLookup,
  hashPrefixOf,
  type HuggingFaceDownloadOptions,
  huggingFaceHubCache,
  type HuggingFaceOptions,
  resolveHuggingFaceModel,
  resolveTorchHubWeights,
  sha256File,
  torchHome,
  type TorchHubOptions,
  urlFileName,
} from "./cache.ts";
export {
  clearEmbeddingsCache,
  type GloVeTable,
  loadGloVe,
  type LoadGloVeOptions,
  loadPretrainedEmbeddings,
  type PretrainedEmbeddings,
  type PretrainedEmbeddingsOptions,
} from "./glove.ts";
