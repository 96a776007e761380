/**
 * Model artifacts (DESIGN "Artifacts"): a trained model is a folder holding
 * `model_config.json` (the resolved config), `training_set_metadata.json`,
 * `model/model.json` + `model/weights.bin` (the TF.js layers format, which `tf.loadLayersModel`
 * reads, in a browser too), `training_statistics.json` and `description.json`. Folders are
 * written to a temporary sibling and renamed into place, so a reader never sees half a model.
 *
 * @module
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
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
    assertFiniteWeightData(weights, artifacts.weightSpecs ?? [], `Cannot save the model to ${dir}`);
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
  assertFiniteWeightData(weightData, specs, `Cannot load the model in ${dir}`);
  return await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: weightData.buffer,
  }));
}

/**
 * Refuses float32 weights holding NaN or ±Infinity (a diverged model must not be saved or used).
 *
 * @param what The operation, for the message ("Cannot save the model to …").
 */
export function assertFiniteWeightData(
  data: Uint8Array,
  specs: readonly tf.io.WeightsManifestEntry[],
  what: string,
): void {
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const width = spec.dtype === "float32" || spec.dtype === "int32"
      ? 4
      : spec.dtype === "bool"
      ? 1
      : 0;
    if (width === 0 || spec.quantization) return; // not ours to check: other writers' layouts
    if (spec.dtype === "float32" && offset + size * 4 <= data.byteLength) {
      const values = new Float32Array(data.buffer, data.byteOffset + offset, size);
      for (let i = 0; i < size; i++) {
        if (!Number.isFinite(values[i])) {
          throw new RangeError(
            `${what}: weight "${spec.name}" holds a non-finite value (${
              values[i]
            } at index ${i}); the model diverged, lower the learning rate`,
          );
        }
      }
    }
    offset += size * width;
  }
}

/**
 * Claim a run folder: `<out>/<experiment>_<model>`, then `_1`, `_2` … (Ludwig's names), each
 * tried with an exclusive `mkdir`, so two runs started together never share a folder.
 *
 * @returns The folder, created and empty.
 */
export async function claimRunDirectory(
  outputDirectory: string,
  experiment: string,
  model: string,
): Promise<string> {
  await mkdir(outputDirectory, { recursive: true });
  const base = join(outputDirectory, `${experiment}_${model}`);
  for (let i = 0;; i++) {
    const candidate = i === 0 ? base : `${base}_${i}`;
    try {
      await Deno.mkdir(candidate);
      return candidate;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false);
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

/** Sonata's version (also written into descriptions). */
export const VERSION = "0.1.0";

/**
 * The run folder to resume: it must hold `training_checkpoints/latest/`.
 *
 * @returns The folder.
 */
export async function resumableRunDirectory(runDir: string): Promise<string> {
  const ckpt = join(runDir, "training_checkpoints", "latest");
  if (await exists(join(ckpt, "state.json")) && !(await exists(join(ckpt, "checkpoint.json")))) {
    throw new Error(
      `Cannot resume from "${runDir}": its checkpoint ${ckpt} has the JSON format of Sonata before binary checkpoints; train it again`,
    );
  }
  if (!(await exists(join(ckpt, "checkpoint.json")))) {
    throw new Error(`Cannot resume from "${runDir}": no checkpoint at ${ckpt}`);
  }
  return runDir;
}

/**
 * Start from a trained model's weights (`--model_load_path`): its folder or run folder. Its
 * vocabularies and weight shapes must be this model's.
 */
export async function loadWeightsFrom(
  path: string,
  model: tf.LayersModel,
  metadata: Readonly<Record<string, unknown>>,
): Promise<void> {
  const dir = await exists(join(path, "model_config.json")) ? path : join(path, "model");
  // Weights index vocabularies: the loaded model's must be the ones this data produced.
  const theirs = await readJson<Record<string, Record<string, unknown> | undefined>>(
    join(dir, "training_set_metadata.json"),
  );
  for (const [name, meta] of Object.entries(metadata)) {
    const a = JSON.stringify((meta as Record<string, unknown>).idx2str ?? null);
    const b = JSON.stringify(theirs[name]?.idx2str ?? null);
    if (a !== b) {
      throw new Error(
        `Cannot train from --model_load_path "${path}": feature "${name}" has another vocabulary in this data than in that model`,
      );
    }
  }
  const loaded = await loadLayersModel(join(dir, "model"));
  try {
    const ours = model.getWeights();
    const weights = loaded.getWeights();
    const same = ours.length === weights.length &&
      ours.every((w, i) => w.shape.join() === weights[i].shape.join());
    if (!same) {
      throw new Error(
        `Cannot train from --model_load_path "${path}": its weights do not match this config's model (different features, vocabularies or sizes)`,
      );
    }
    model.setWeights(weights);
  } finally {
    loaded.dispose();
  }
}

/** What {@linkcode runDescription} records. */
export interface RunFacts {
  readonly engine: string;
  readonly seed: number;
  readonly datasetChecksum?: string;
  readonly cacheKey?: string;
  readonly result: {
    batchSize: number;
    learningRate: number;
    steps: number;
    bestStep: number;
    stoppedEarly: boolean;
    interrupted: boolean;
  };
  readonly config: unknown;
}

/** A run folder's `description.json`. */
export function runDescription(facts: RunFacts): Record<string, unknown> {
  const r = facts.result;
  return {
    sonata_version: VERSION,
    tfjs_version: tf.version.tfjs,
    compute_engine: facts.engine,
    backend: tf.getBackend(),
    random_seed: facts.seed,
    dataset_checksum: facts.datasetChecksum,
    cache_key: facts.cacheKey,
    batch_size: r.batchSize,
    learning_rate: r.learningRate,
    steps: r.steps,
    best_step: r.bestStep,
    stopped_early: r.stoppedEarly,
    interrupted: r.interrupted,
    config: facts.config,
  };
}

/** Write a run folder's `description.json` and (unless skipped) `training_statistics.json`. */
export async function writeRunArtifacts(
  runDir: string,
  files: { description: unknown; statistics?: unknown },
): Promise<void> {
  await writeJsonAtomic(join(runDir, "description.json"), files.description);
  if (files.statistics !== undefined) {
    await writeJsonAtomic(join(runDir, "training_statistics.json"), files.statistics);
  }
}
