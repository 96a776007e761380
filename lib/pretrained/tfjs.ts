/**
 * TF.js model folders (`model.json` + binary weight shards, as `tensorflowjs_converter` and
 * `model.save()` write them) read into named tensors without TF.js: each group of the
 * `weightsManifest` is the concatenation of its shard files, and its weights follow one another
 * in the manifest's order. Quantized weights (`quantization: { dtype: "uint8" | "uint16", scale,
 * min }` or `{ dtype: "float16" }`) are dequantized to float32, as TF.js does when it loads them
 * (then cast to int32 when `original_dtype` says so).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { stat } from "node:fs/promises";
import { createHash } from "node:crypto";
import { sha256File } from "./cache.ts";
import {
  float16ToFloat32,
  type NamedTensors,
  type RawTensor,
  sizeOf,
  WeightsError,
} from "./tensor.ts";

/** One weight of a TF.js weights manifest. */
export interface TfjsWeightSpec {
  /** The weight's name, such as `"Conv1/kernel"`. */
  name: string;
  /** Its dimensions. */
  shape: number[];
  /** Its dtype once loaded. */
  dtype: string;
  /** How it is stored when quantized. */
  quantization?: {
    dtype: string;
    scale?: number;
    min?: number;
    original_dtype?: string;
  };
}

/** One group of a TF.js weights manifest: shard files and the weights they hold. */
export interface TfjsManifestGroup {
  /** Shard files, relative to `model.json`. */
  paths: string[];
  /** Weights in storage order. */
  weights: TfjsWeightSpec[];
}

/** A TF.js model read from its folder. */
export interface TfjsModel {
  /** The `model.json` path. */
  path: string;
  /** `"layers-model"` or `"graph-model"` (as `model.json` says; may be absent). */
  format?: string;
  /** The model topology (a Keras config for a layers model), as stored. */
  modelTopology: unknown;
  /** The weights manifest, as stored. */
  manifest: TfjsManifestGroup[];
  /** The tensors by weight name, in manifest order. */
  tensors: NamedTensors;
}

function bytesPer(spec: TfjsWeightSpec, file: string): number {
  const q = spec.quantization;
  if (q !== undefined) {
    if (q.dtype === "uint8") return 1;
    if (q.dtype === "uint16" || q.dtype === "float16") return 2;
    throw new WeightsError(`unsupported quantization dtype "${q.dtype}"`, {
      file,
      tensor: spec.name,
    });
  }
  if (spec.dtype === "float32" || spec.dtype === "int32") return 4;
  if (spec.dtype === "bool") return 1;
  throw new WeightsError(
    `unsupported dtype "${spec.dtype}": expected "float32", "int32" or "bool"`,
    { file, tensor: spec.name },
  );
}

function decodeWeight(spec: TfjsWeightSpec, bytes: Uint8Array, file: string): RawTensor {
  const n = sizeOf(spec.shape);
  const q = spec.quantization;
  const copy = bytes.slice();
  if (q === undefined) {
    if (spec.dtype === "float32") {
      return { dtype: "F32", shape: [...spec.shape], data: new Float32Array(copy.buffer, 0, n) };
    }
    if (spec.dtype === "int32") {
      return { dtype: "I32", shape: [...spec.shape], data: new Int32Array(copy.buffer, 0, n) };
    }
    return { dtype: "BOOL", shape: [...spec.shape], data: copy };
  }
  let values: Float32Array;
  if (q.dtype === "float16") {
    values = float16ToFloat32(new Uint16Array(copy.buffer, 0, n));
  } else {
    if (typeof q.scale !== "number" || typeof q.min !== "number") {
      throw new WeightsError(`the ${q.dtype} quantization has no numeric scale and min`, {
        file,
        tensor: spec.name,
      });
    }
    const raw = q.dtype === "uint8" ? copy : new Uint16Array(copy.buffer, 0, n);
    values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = raw[i] * q.scale + q.min;
  }
  const original = q.original_dtype ?? spec.dtype;
  if (original === "int32") {
    return { dtype: "I32", shape: [...spec.shape], data: Int32Array.from(values, Math.round) };
  }
  return { dtype: "F32", shape: [...spec.shape], data: values };
}

function checkManifest(manifest: unknown, file: string): TfjsManifestGroup[] {
  if (!Array.isArray(manifest)) throw new WeightsError('"weightsManifest" is not a list', { file });
  manifest.forEach((group, g) => {
    const ok = typeof group === "object" && group !== null && Array.isArray(group.paths) &&
      group.paths.every((p: unknown) => typeof p === "string") && Array.isArray(group.weights);
    if (!ok) {
      throw new WeightsError(`weightsManifest[${g}] needs "paths" and "weights" lists`, { file });
    }
    for (const w of group.weights) {
      if (
        typeof w?.name !== "string" || !Array.isArray(w.shape) ||
        !w.shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0) ||
        typeof w.dtype !== "string"
      ) {
        throw new WeightsError(
          `weightsManifest[${g}] has a weight without a name, a shape of whole numbers and a dtype`,
          { file, tensor: typeof w?.name === "string" ? w.name : undefined },
        );
      }
    }
  });
  return manifest as TfjsManifestGroup[];
}

/**
 * Decode the weights of a manifest from each group's bytes (its shards concatenated).
 *
 * @param manifest The `weightsManifest`.
 * @param groups One byte array per group.
 * @param file The name used in messages.
 * @returns The tensors by weight name.
 * @throws {WeightsError} A group whose bytes are too short or too long, or an unsupported dtype.
 *
 * @example Two weights in one group
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { decodeTfjsWeights } from "./tfjs.ts";
 * const manifest = [{
 *   paths: ["w.bin"],
 *   weights: [
 *     { name: "a", shape: [2], dtype: "float32" },
 *     { name: "b", shape: [2], dtype: "float32", quantization: { dtype: "uint8", scale: 0.5, min: -1 } },
 *   ],
 * }];
 * const bytes = new Uint8Array(10);
 * bytes.set(new Uint8Array(new Float32Array([1, 2]).buffer), 0);
 * bytes.set([0, 4], 8);
 * const tensors = decodeTfjsWeights(manifest, [bytes]);
 * assertEquals([...tensors.get("b")!.data], [-1, 1]);
 * ```
 */
export function decodeTfjsWeights(
  manifest: TfjsManifestGroup[],
  groups: Uint8Array[],
  file = "model.json",
): NamedTensors {
  const checked = checkManifest(manifest, file);
  if (groups.length !== checked.length) {
    throw new WeightsError(
      `${groups.length} weight groups given for ${checked.length} in the manifest`,
      {
        file,
      },
    );
  }
  const out: NamedTensors = new Map();
  checked.forEach((group, g) => {
    const bytes = groups[g];
    let at = 0;
    for (const spec of group.weights) {
      const length = sizeOf(spec.shape) * bytesPer(spec, file);
      if (at + length > bytes.length) {
        throw new WeightsError(
          `the weights of group ${g} (${
            group.paths.join(", ")
          }) end early: the tensor needs bytes` +
            ` ${at}–${at + length}, the shards hold ${bytes.length}`,
          { file, tensor: spec.name },
        );
      }
      if (out.has(spec.name)) {
        throw new WeightsError("the manifest names this weight twice", { file, tensor: spec.name });
      }
      out.set(spec.name, decodeWeight(spec, bytes.subarray(at, at + length), file));
      at += length;
    }
    if (at !== bytes.length) {
      throw new WeightsError(
        `the shards of group ${g} (${
          group.paths.join(", ")
        }) hold ${bytes.length} bytes, the manifest` +
          ` describes ${at}`,
        { file },
      );
    }
  });
  return out;
}

/**
 * Read a TF.js model folder (or its `model.json`) into named tensors.
 *
 * @param path The folder holding `model.json`, or the `model.json` file.
 * @returns The topology, manifest and tensors.
 * @throws {WeightsError} A missing or invalid `model.json`, a missing or short shard.
 *
 * @example Read a model written by hand
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readTfjsModel } from "./tfjs.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({
 *   format: "layers-model",
 *   modelTopology: {},
 *   weightsManifest: [{ paths: ["w.bin"], weights: [{ name: "k", shape: [1], dtype: "float32" }] }],
 * }));
 * await Deno.writeFile(`${dir}/w.bin`, new Uint8Array(new Float32Array([3]).buffer));
 * const model = await readTfjsModel(dir);
 * assertEquals([...model.tensors.get("k")!.data], [3]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readTfjsModel(path: string): Promise<TfjsModel> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, "model.json");
  } catch {
    throw new WeightsError("the path does not exist", { file: path });
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    const detail = error instanceof Deno.errors.NotFound
      ? "the file does not exist"
      : `not valid JSON: ${(error as Error).message}`;
    throw new WeightsError(detail, { file, cause: error });
  }
  if (typeof json !== "object" || json === null || !("weightsManifest" in json)) {
    throw new WeightsError('not a TF.js model.json: it has no "weightsManifest"', { file });
  }
  const manifest = checkManifest(json.weightsManifest, file);
  const dir = dirname(file);
  const groups: Uint8Array[] = [];
  for (const group of manifest) {
    const parts: Uint8Array[] = [];
    for (const shard of group.paths) {
      try {
        parts.push(await Deno.readFile(join(dir, shard)));
      } catch (error) {
        throw new WeightsError(
          `cannot read the weight shard "${shard}": ${(error as Error).message}`,
          {
            file,
            cause: error,
          },
        );
      }
    }
    const total = parts.reduce((s, b) => s + b.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const b of parts) bytes.set(b, at), at += b.length;
    groups.push(bytes);
  }
  return {
    path: file,
    format: typeof json.format === "string" ? json.format : undefined,
    modelTopology: json.modelTopology,
    manifest,
    tensors: decodeTfjsWeights(manifest, groups, file),
  };
}

/**
 * A checksum of a TF.js model folder (or its `model.json`): the SHA-256 of the `model.json`
 * file's SHA-256 followed by each weight shard's, in manifest order (so it changes when the
 * topology or any weight changes, like a weights file's SHA-256).
 *
 * @param path The folder holding `model.json`, or the `model.json` file.
 * @returns 64 hexadecimal digits.
 * @throws {WeightsError} A missing or invalid `model.json`, a missing shard.
 *
 * @example Changing a shard changes the checksum
 * ```ts
 * import { assertNotEquals } from "../_util/_assert.ts";
 * import { tfjsModelChecksum } from "./tfjs.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({
 *   weightsManifest: [{ paths: ["w.bin"], weights: [{ name: "k", shape: [1], dtype: "float32" }] }],
 * }));
 * await Deno.writeFile(`${dir}/w.bin`, new Uint8Array(4));
 * const a = await tfjsModelChecksum(dir);
 * await Deno.writeFile(`${dir}/w.bin`, new Uint8Array([1, 0, 0, 0]));
 * assertNotEquals(await tfjsModelChecksum(dir), a);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function tfjsModelChecksum(path: string): Promise<string> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, "model.json");
  } catch {
    throw new WeightsError("the path does not exist", { file: path });
  }
  let json: { weightsManifest?: unknown };
  try {
    json = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    throw new WeightsError(`cannot read the model.json: ${(error as Error).message}`, {
      file,
      cause: error,
    });
  }
  const manifest = checkManifest(json.weightsManifest, file);
  const parts = [await sha256File(file)];
  for (const group of manifest) {
    for (const shard of group.paths) {
      try {
        parts.push(await sha256File(join(dirname(file), shard)));
      } catch (error) {
        throw new WeightsError(
          `cannot read the weight shard "${shard}": ${(error as Error).message}`,
          { file, cause: error },
        );
      }
    }
  }
  return createHash("sha256").update(parts.join("\n")).digest("hex");
}
