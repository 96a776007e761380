/**
 * One entry point for every weights format: {@linkcode detectWeightsFormat} tells a
 * safetensors file, a `torch.save` file and a TF.js model folder apart by their content, and
 * {@linkcode readWeights} reads any of them into named tensors.
 *
 * @module
 */
import { open, stat } from "node:fs/promises";
import { readSafetensors } from "./safetensors.ts";
import { type NamedTensors, WeightsError } from "./tensor.ts";
import { readTfjsModel } from "./tfjs.ts";
import { readTorch } from "./torch.ts";

/** The formats {@linkcode detectWeightsFormat} tells apart. */
export type WeightsFormat = "safetensors" | "torch" | "tfjs";

/**
 * The format of a weights path, by its content (zip → torch; a safetensors header length; a
 * folder or `.json` → TF.js).
 *
 * @param path A file or folder.
 * @returns The format.
 * @throws {WeightsError} A missing path or an unknown format.
 *
 * @example A safetensors file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { detectWeightsFormat } from "./read.ts";
 * import { writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, new Map());
 * assertEquals(await detectWeightsFormat(path), "safetensors");
 * await Deno.remove(path);
 * ```
 */
export async function detectWeightsFormat(path: string): Promise<WeightsFormat> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new WeightsError("the path does not exist", { file: path });
  }
  if (info.isDirectory() || path.endsWith(".json")) return "tfjs";
  const handle = await open(path, "r");
  const head = new Uint8Array(9);
  try {
    await handle.read(head, 0, 9, 0);
  } finally {
    await handle.close();
  }
  if (head[0] === 0x50 && head[1] === 0x4b) return "torch";
  if (head[0] === 0x80) return "torch";
  const headerLength = new DataView(head.buffer).getBigUint64(0, true);
  if (head[8] === 0x7b && headerLength + 8n <= BigInt(info.size)) return "safetensors";
  if (/\.(pth|pt|bin|ckpt)$/.test(path)) return "torch";
  if (path.endsWith(".safetensors")) return "safetensors";
  throw new WeightsError(
    "unknown weights format: expected a .safetensors file, a torch.save file (.pth, .pt, .bin) or a TF.js model folder",
    { file: path },
  );
}

/**
 * Read every tensor of a weights file or folder, whatever its format.
 *
 * @param path A `.safetensors` file, a `torch.save` file or a TF.js model folder.
 * @returns The tensors by name (torch names flattened with dots; TF.js weight names as stored).
 * @throws {WeightsError} A missing, unknown, truncated or unsafe file.
 *
 * @example Read a safetensors file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readWeights } from "./read.ts";
 * import { writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, new Map([["w", { dtype: "F32", shape: [1], data: new Float32Array([2]) }]]));
 * assertEquals((await readWeights(path)).get("w")?.data[0], 2);
 * await Deno.remove(path);
 * ```
 */
export async function readWeights(path: string): Promise<NamedTensors> {
  const format = await detectWeightsFormat(path);
  if (format === "safetensors") return (await readSafetensors(path)).tensors;
  if (format === "torch") return await readTorch(path);
  return (await readTfjsModel(path)).tensors;
}
