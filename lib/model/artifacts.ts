/**
 * Model artifacts (DESIGN "Artifacts"): a trained model is a folder holding
 * `model_config.json` (the resolved config), `training_set_metadata.json`,
 * `model/model.json` + `model/weights.bin` (the TF.js layers format, which `tf.loadLayersModel`
 * reads, in a browser too), `training_statistics.json` and `description.json`. Folders are
 * written to a temporary sibling and renamed into place, so a reader never sees half a model.
 *
 * @module
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "../_util/files.ts";
import { tf } from "../compute/mod.ts";

/** Write a TF.js layers model as `dir/model.json` + `dir/weights.bin`. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = artifacts.weightData instanceof ArrayBuffer
      ? new Uint8Array(artifacts.weightData)
      : new Uint8Array(await new Blob((artifacts.weightData ?? []) as ArrayBuffer[]).arrayBuffer());
    const json = {
      format: "layers-model",
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: "Sonata",
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
    };
    await writeFile(join(dir, "weights.bin"), weights);
    await writeFile(join(dir, "model.json"), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
}

/** Read a TF.js layers model written by {@linkcode saveLayersModel} (or any tfjs layers export). */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
  const buffers: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const path of group.paths) buffers.push(new Uint8Array(await readFile(join(dir, path))));
    specs.push(...group.weights);
  }
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  return await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: weightData.buffer,
  }));
}

/** Write `files` (name → JSON value, or bytes) and layers models into `dir` atomically. */
export async function writeFolderAtomic(
  dir: string,
  files: Record<string, unknown>,
  models: Record<string, tf.LayersModel> = {},
): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.${crypto.randomUUID()}.tmp`);
  try {
    await mkdir(tmp, { recursive: true });
    for (const [name, value] of Object.entries(files)) {
      const path = join(tmp, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(
        path,
        value instanceof Uint8Array ? value : `${JSON.stringify(value, jsonSafe, 2)}\n`,
      );
    }
    for (const [name, model] of Object.entries(models)) {
      await saveLayersModel(model, join(tmp, name));
    }
    const old = `${tmp}.old`;
    const existed = await rename(dir, old).then(() => true, () => false);
    await rename(tmp, dir);
    if (existed) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** JSON replacer: typed arrays become arrays, non-finite numbers become null. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>);
  }
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** Write one JSON file atomically (temp file + rename). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, jsonSafe, 2)}\n`);
}

/** Read a JSON file. */
export async function readJson<T = unknown>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, "utf8")) as T;
}
