/**
 * Training checkpoints in binary (DESIGN "Checkpoints"): a folder holding `checkpoint.json`, a
 * small manifest (the trainer state, each tensor's group, name, shape, dtype, byte offset and
 * length, the SHA-256 and size of every other file, and its own SHA-256), and `tensors.bin`,
 * the raw little-endian tensor bytes, as the TF.js weights format lays them out. Folders are
 * written atomically (temporary sibling + rename); reads verify sizes and checksums and refuse
 * a corrupted or truncated file, naming it. Non-finite weights are refused on write and read.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { tf } from "../compute/mod.ts";
import { jsonSafe, writeFolderAtomic } from "../model/artifacts.ts";

/** A tensor's entry in the manifest. */
export interface TensorEntry {
  /** "model" (the layers model's weights, in `model.weights` order) or "optimizer". */
  readonly group: string;
  readonly name: string;
  readonly shape: number[];
  readonly dtype: "float32" | "int32";
  /** Byte offset in `tensors.bin`. */
  readonly offset: number;
  readonly byteLength: number;
}

/** The manifest `checkpoint.json`. */
export interface CheckpointManifest<S = unknown> {
  readonly format: "sonata-checkpoint";
  readonly version: 1;
  readonly state: S;
  readonly tensors: TensorEntry[];
  /** Every other file of the folder: its size and SHA-256. */
  readonly files: Record<string, { bytes: number; sha256: string }>;
}

/** A named tensor to store. */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/** What a checkpoint holds once read: tensors by group, in stored order. */
export interface Checkpoint<S = unknown> {
  readonly state: S;
  readonly groups: Record<string, { name: string; tensor: tf.Tensor }[]>;
}

/** A checkpoint that cannot be used (missing, truncated, corrupted, non-finite). */
export class CheckpointError extends Error {
  /** The file at fault. */
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`Cannot resume: checkpoint file ${file} ${problem}`);
    this.name = "CheckpointError";
    this.file = file;
  }
}

const MANIFEST = "checkpoint.json";
const TENSORS = "tensors.bin";

function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The first non-finite value of float data, or -1. */
function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/**
 * Refuses weights holding NaN or ±Infinity (a diverged model must not be saved or used).
 *
 * @param what What is being saved or loaded, for the message.
 */
export function assertFinite(
  tensors: readonly { name: string; values: ArrayLike<number> }[],
  what: string,
): void {
  for (const t of tensors) {
    const i = firstNonFinite(t.values);
    if (i >= 0) {
      throw new RangeError(
        `${what}: weight "${t.name}" holds a non-finite value (${
          t.values[i]
        } at index ${i}); the model diverged, lower the learning rate`,
      );
    }
  }
}

/** The model's weights with their variable names, in `model.weights` order. */
export function modelWeights(model: tf.LayersModel): NamedTensor[] {
  return model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
}

/**
 * Write a checkpoint folder atomically.
 *
 * @param dir The folder (replaced whole).
 * @param state JSON state stored in the manifest.
 * @param groups Tensors by group.
 * @param extraFiles Further small JSON files (checksummed like the tensors).
 */
export async function writeCheckpoint(
  dir: string,
  state: unknown,
  groups: Record<string, readonly NamedTensor[]>,
  extraFiles: Record<string, unknown> = {},
): Promise<void> {
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [group, tensors] of Object.entries(groups)) {
    for (const { name, tensor } of tensors) {
      const dtype = tensor.dtype === "int32" ? "int32" : "float32";
      const data = await tensor.data();
      const values = dtype === "int32" ? Int32Array.from(data) : Float32Array.from(data);
      if (dtype === "float32") assertFinite([{ name, values }], `Cannot save checkpoint ${dir}`);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      entries.push({
        group,
        name,
        shape: [...tensor.shape],
        dtype,
        offset,
        byteLength: bytes.length,
      });
      chunks.push(bytes);
      offset += bytes.length;
    }
  }
  const bin = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    bin.set(c, at);
    at += c.length;
  }
  const files: Record<string, Uint8Array> = { [TENSORS]: bin };
  for (const [name, value] of Object.entries(extraFiles)) {
    files[name] = new TextEncoder().encode(`${JSON.stringify(value, jsonSafe, 2)}\n`);
  }
  const body: CheckpointManifest = {
    format: "sonata-checkpoint",
    version: 1,
    state,
    tensors: entries,
    files: Object.fromEntries(
      Object.entries(files).map((
        [name, bytes],
      ) => [name, { bytes: bytes.length, sha256: sha256(bytes) }]),
    ),
  };
  const text = JSON.stringify(body);
  const manifest = `${JSON.stringify({ ...body, sha256: sha256(text) })}\n`;
  await writeFolderAtomic(dir, { ...files, [MANIFEST]: new TextEncoder().encode(manifest) });
}

/** Whether `dir` holds a checkpoint manifest. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  return await stat(join(dir, MANIFEST)).then(() => true, () => false);
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw new CheckpointError(
      file,
      error instanceof Deno.errors.NotFound || (error as { code?: string }).code === "ENOENT"
        ? "is missing"
        : `cannot be read (${(error as Error).message})`,
    );
  }
}

/**
 * Read and verify a checkpoint folder: the manifest's own checksum, every file's size and
 * SHA-256, the tensors' extents, and that float weights are finite.
 */
export async function readCheckpoint<S = unknown>(dir: string): Promise<Checkpoint<S>> {
  const manifestFile = join(dir, MANIFEST);
  const text = new TextDecoder().decode(await readBytes(manifestFile));
  let parsed: CheckpointManifest<S> & { sha256?: string };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CheckpointError(manifestFile, "is truncated or not JSON");
  }
  const { sha256: stored, ...body } = parsed ?? {};
  if (
    typeof parsed !== "object" || parsed === null || parsed.format !== "sonata-checkpoint" ||
    typeof stored !== "string" || sha256(JSON.stringify(body)) !== stored
  ) {
    throw new CheckpointError(manifestFile, "is corrupted (its checksum does not match)");
  }
  const files: Record<string, Uint8Array> = {};
  for (const [name, { bytes, sha256: hash }] of Object.entries(parsed.files)) {
    const file = join(dir, name);
    const data = await readBytes(file);
    if (data.length !== bytes) {
      throw new CheckpointError(file, `is truncated (${data.length} of ${bytes} bytes)`);
    }
    if (sha256(data) !== hash) {
      throw new CheckpointError(file, "is corrupted (its SHA-256 does not match the manifest)");
    }
    files[name] = data;
  }
  const bin = files[TENSORS] ?? new Uint8Array(0);
  const groups: Record<string, { name: string; tensor: tf.Tensor }[]> = {};
  const binFile = join(dir, TENSORS);
  for (const e of parsed.tensors) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + e.byteLength > bin.length || e.byteLength !== size * 4) {
      throw new CheckpointError(binFile, `does not hold tensor "${e.name}" as the manifest says`);
    }
    const copy = bin.slice(e.offset, e.offset + e.byteLength);
    const values = e.dtype === "int32"
      ? new Int32Array(copy.buffer)
      : new Float32Array(copy.buffer);
    if (e.dtype === "float32") {
      try {
        assertFinite([{ name: e.name, values }], "non-finite");
      } catch (error) {
        throw new CheckpointError(
          binFile,
          (error as Error).message.replace(/^non-finite: /, "has "),
        );
      }
    }
    (groups[e.group] ??= []).push({ name: e.name, tensor: tf.tensor(values, e.shape, e.dtype) });
  }
  return { state: parsed.state, groups };
}

const PARTIAL = /^\.(.+)\.[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\.tmp(\.old)?$/;

/**
 * Remove what a killed atomic write left in `dir`: `.<name>.<uuid>.tmp` folders, and
 * `.…tmp.old` copies — unless `<name>` itself is gone, then the old copy is put back (a kill
 * between the two renames of `writeFolderAtomic`).
 */
export async function cleanupPartialWrites(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of names) {
    const m = PARTIAL.exec(entry);
    if (!m) continue;
    const path = join(dir, entry);
    if (m[2]) {
      const target = join(dir, m[1]);
      if (!(await stat(target).then(() => true, () => false))) {
        await rename(path, target);
        continue;
      }
    }
    await rm(path, { recursive: true, force: true });
  }
}

/** The state stored beside the best weights. */
interface BestState {
  step: number;
  bestMetric: number | null;
}

/** Minimal trainer state this module reads (the trainer's `TrainerState`). */
interface ResumableState {
  step: number;
  bestStep: number;
  bestMetric: number | null;
}

/**
 * Saves a run's checkpoints under `<runDir>/training_checkpoints/`: `best/` (model weights)
 * when they improved, then `latest/` (state, model and optimizer weights, the config).
 */
export function checkpointSaver(
  runDir: string,
  model: tf.LayersModel,
  config: unknown,
): (state: ResumableState, optimizer: tf.Optimizer, improved: boolean) => Promise<void> {
  const root = join(runDir, "training_checkpoints");
  let first = true;
  return async (state, optimizer, improved) => {
    // What an earlier, killed run of this folder left half-written.
    if (first) await cleanupPartialWrites(root);
    first = false;
    const weights = modelWeights(model);
    if (improved) {
      const best: BestState = { step: state.step, bestMetric: state.bestMetric };
      await writeCheckpoint(join(root, "best"), best, { model: weights });
    }
    await writeCheckpoint(join(root, "latest"), state, {
      model: weights,
      optimizer: await optimizer.getWeights(),
    }, { "model_config.json": config });
  };
}

/** What {@linkcode loadTrainingCheckpoint} restores. */
export interface RestoredTraining<S> {
  readonly state: S;
  readonly optimizerWeights: { name: string; tensor: tf.Tensor }[];
  /** The best weights so far (undefined when nothing was selected yet). */
  readonly bestWeights?: tf.Tensor[];
}

function checkShapes(
  file: string,
  stored: readonly { name: string; tensor: tf.Tensor }[],
  model: tf.LayersModel,
): void {
  const ours = model.weights;
  const same = stored.length === ours.length &&
    stored.every((w, i) => w.tensor.shape.join() === ours[i].shape.join());
  if (!same) {
    throw new CheckpointError(
      file,
      "does not match this config's model (different features, vocabularies or sizes)",
    );
  }
}

/**
 * Restore a run's latest checkpoint into `model` (its weights), with the trainer state, the
 * optimizer's weights and the best weights, verifying every file. Partial folders a kill left
 * behind are removed first.
 */
export async function loadTrainingCheckpoint<S extends ResumableState>(
  runDir: string,
  model: tf.LayersModel,
): Promise<RestoredTraining<S>> {
  const root = join(runDir, "training_checkpoints");
  await cleanupPartialWrites(root);
  await cleanupPartialWrites(runDir);
  const latestDir = join(root, "latest");
  const latest = await readCheckpoint<S>(latestDir);
  const weights = latest.groups.model ?? [];
  try {
    checkShapes(join(latestDir, TENSORS), weights, model);
    model.setWeights(weights.map((w) => w.tensor));
  } finally {
    tf.dispose(weights.map((w) => w.tensor));
  }
  const state = latest.state;
  let bestWeights: tf.Tensor[] | undefined;
  const bestDir = join(root, "best");
  if (state.bestMetric !== null) {
    if (!(await hasCheckpoint(bestDir))) {
      throw new CheckpointError(join(bestDir, MANIFEST), "is missing (the best weights)");
    }
    const best = await readCheckpoint<BestState>(bestDir);
    const tensors = best.groups.model ?? [];
    // Best is written before latest: it may be newer (a kill between the two writes; the
    // replay re-selects it at the same step), never older than the latest's best step.
    if (best.state.step < state.bestStep) {
      tf.dispose(tensors.map((w) => w.tensor));
      throw new CheckpointError(
        join(bestDir, MANIFEST),
        `holds step ${best.state.step}, but the latest checkpoint's best step is ${state.bestStep}`,
      );
    }
    checkShapes(join(bestDir, TENSORS), tensors, model);
    bestWeights = tensors.map((w) => w.tensor);
  }
  return { state, optimizerWeights: latest.groups.optimizer ?? [], bestWeights };
}
