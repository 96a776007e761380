/**
 * One entry point for every weights format: {@linkcode detectWeightsFormat} tells a
 * safetensors file, a `torch.save` file, a sharded checkpoint's index (Hugging Face's
 * `model.safetensors.index.json` or `pytorch_model.bin.index.json`) and a TF.js model folder
 * apart, and {@linkcode readWeights} reads any of them into named tensors.
 *
 * @module
 */
import { open, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { readSafetensors } from "./safetensors.ts";
import { type NamedTensors, WeightsError } from "./tensor.ts";
import { readTfjsModel } from "./tfjs.ts";
import { readTorch } from "./torch.ts";

/** The formats {@linkcode detectWeightsFormat} tells apart. */
export type WeightsFormat = "safetensors" | "torch" | "tfjs" | "sharded";

/**
 * The format of a weights path, by its content (zip → torch; a safetensors header length;
 * `*.index.json` → a sharded checkpoint; a folder or another `.json` → TF.js).
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
  if (path.endsWith(".index.json")) return "sharded";
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
  if (format === "sharded") return await readShardedWeights(path);
  return (await readTfjsModel(path)).tensors;
}

/**
 * Read a sharded checkpoint from its index (`{ "weight_map": { tensor: shard file } }`, as
 * Hugging Face writes `model.safetensors.index.json` and `pytorch_model.bin.index.json`): every
 * shard is read, and each tensor must be in the shard the index names.
 *
 * @param indexPath The index file; shards are relative to its folder.
 * @returns The tensors in the index's order.
 * @throws {WeightsError} An invalid index, a missing shard, or a tensor missing from its shard.
 *
 * @example Two shards
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readShardedWeights } from "./read.ts";
 * import { writeSafetensors } from "./safetensors.ts";
 * const dir = await Deno.makeTempDir();
 * const t = (v: number) => ({ dtype: "F32" as const, shape: [1], data: new Float32Array([v]) });
 * await writeSafetensors(`${dir}/a.safetensors`, new Map([["x", t(1)]]));
 * await writeSafetensors(`${dir}/b.safetensors`, new Map([["y", t(2)]]));
 * await Deno.writeTextFile(`${dir}/model.safetensors.index.json`, JSON.stringify({
 *   weight_map: { x: "a.safetensors", y: "b.safetensors" },
 * }));
 * const tensors = await readShardedWeights(`${dir}/model.safetensors.index.json`);
 * assertEquals([...tensors.keys()], ["x", "y"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readShardedWeights(indexPath: string): Promise<NamedTensors> {
  let index: unknown;
  try {
    index = JSON.parse(await Deno.readTextFile(indexPath));
  } catch (error) {
    const detail = error instanceof Deno.errors.NotFound
      ? "the file does not exist"
      : `not valid JSON: ${(error as Error).message}`;
    throw new WeightsError(detail, { file: indexPath, cause: error });
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (
    typeof map !== "object" || map === null ||
    !Object.values(map).every((v) => typeof v === "string" && !v.includes(".."))
  ) {
    throw new WeightsError('the index has no "weight_map" of tensor names to shard files', {
      file: indexPath,
    });
  }
  const weightMap = map as Record<string, string>;
  const shards = new Map<string, NamedTensors>();
  for (const shard of new Set(Object.values(weightMap))) {
    const shardPath = join(dirname(indexPath), shard);
    const format = await detectWeightsFormat(shardPath);
    if (format !== "safetensors" && format !== "torch") {
      throw new WeightsError(
        `the shard "${shard}" is neither a safetensors nor a torch.save file`,
        {
          file: indexPath,
        },
      );
    }
    shards.set(
      shard,
      format === "safetensors"
        ? (await readSafetensors(shardPath)).tensors
        : await readTorch(shardPath),
    );
  }
  const out: NamedTensors = new Map();
  for (const [name, shard] of Object.entries(weightMap)) {
    const tensor = shards.get(shard)!.get(name);
    if (tensor === undefined) {
      throw new WeightsError(`the index puts it in "${shard}", which does not hold it`, {
        file: indexPath,
        tensor: name,
      });
    }
    out.set(name, tensor);
  }
  return out;
}
