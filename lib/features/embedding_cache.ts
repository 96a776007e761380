/**
 * The embedding cache (`preprocessing.cache_encoder_embeddings: true`), a stage between
 * preprocessing and training: each input feature whose encoder is frozen and declares
 * `cacheableWhenFrozen` has its encoder run once over every split (inference mode), and training
 * runs a head model — the same layers from the encoder output on, fed the cached vectors in
 * place of the encoder (Ludwig's skip encoder) — so the combiner and the output features train
 * on the cache while the full model, which shares every layer with the head, is what
 * prediction, evaluation and saved models use.
 *
 * Contract of a cacheable encoder (the Hugging Face text encoders; the image encoders use the
 * same one): its entry declares `cacheableWhenFrozen`; its build ends with
 * `markCacheableOutput(ctx, x)` (lib/encoders/_cacheable.ts); its implementation module exports
 * `cacheFingerprint(config) → Promise<string>` (a checksum of what decides its outputs besides
 * the config: the weights). A frozen encoder builds without dropout, so its outputs do not
 * depend on training mode and cached training gives the uncached model.
 *
 * Storage: `<preprocessing cache folder>/embeddings/<key>.<split>.bin` (little-endian float32,
 * or float16 when `trainer.use_mixed_precision` is on: half the size, about 3 significant
 * digits) with `<key>.json` (shapes, dtype, SHA-256 of each file). The key hashes the
 * preprocessing cache key (the data and its token ids), the feature, the encoder config, the
 * fingerprint and the storage dtype, so a second experiment with the same encoder and data pays
 * nothing. An entry whose checksums do not match is recomputed, with a warning.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { tf } from "../compute/mod.ts";
import { encoderEntry } from "../config/components.ts";
import type { ModelConfig } from "../config/model.ts";
import { writeFileAtomic } from "../_util/files.ts";
import { cacheableOutputName } from "../encoders/_cacheable.ts";
import { type EcdModel, tensorName } from "../model/ecd.ts";
import type { EncodedColumn, EncodedSplit } from "./_common.ts";

type Obj = Record<string, unknown>;
type SplitName = "training" | "validation" | "test";

/** The splits trained on. */
export interface CacheSplits {
  training: EncodedSplit;
  validation?: EncodedSplit;
  test?: EncodedSplit;
}

/** What {@linkcode cacheEncoderEmbeddings} returns when some feature is cached. */
export interface CachedTraining {
  /** The head model: the cached features' inputs are their encoder outputs. */
  ecd: EcdModel;
  /** The splits with each cached feature's column replaced by its embeddings. */
  splits: CacheSplits;
  /** The cached features. */
  features: string[];
  /** Seconds spent running encoders (0 when every entry was a hit). */
  buildSeconds: number;
  /** Whether every feature's embeddings came from disk. */
  hit: boolean;
  /** Storage dtype. */
  dtype: "float32" | "float16";
}

/** Options of {@linkcode cacheEncoderEmbeddings}. */
export interface EmbeddingCacheOptions {
  /** The preprocessing cache key (data, config, token ids). */
  preprocessingKey: string;
  /** The preprocessing cache entry's meta file; the embeddings go beside it. Absent: memory only. */
  cachePath?: string;
  /** Rows per encoder forward pass; default 64. */
  batchSize?: number;
  /** One-line warnings (a corrupt entry recomputed). */
  onWarning?: (message: string) => void;
}

/** The input features a config caches. */
export function cachedFeatures(config: ModelConfig): string[] {
  return config.input_features.filter((f) =>
    (f.preprocessing as Obj).cache_encoder_embeddings === true
  ).map((f) => f.name);
}

/**
 * Run the cached features' encoders once and build the head model, or undefined when the config
 * caches nothing.
 */
export async function cacheEncoderEmbeddings(
  config: ModelConfig,
  ecd: EcdModel,
  splits: CacheSplits,
  options: EmbeddingCacheOptions,
): Promise<CachedTraining | undefined> {
  const names = cachedFeatures(config);
  if (names.length === 0) return undefined;
  const dtype = config.trainer.use_mixed_precision ? "float16" : "float32";
  const replaced = new Map<string, Symbolic>();
  const columns: Record<SplitName, Record<string, EncodedColumn>> = {
    training: {},
    validation: {},
    test: {},
  };
  let buildSeconds = 0;
  let hit = true;
  for (const name of names) {
    const f = config.input_features.find((x) => x.name === name)!;
    const marker = ecd.model.layers.find((l) => l.name === cacheableOutputName(tensorName(name)));
    if (!marker) {
      throw new TypeError(
        `Cannot cache the encoder embeddings of input feature "${name}": its encoder ` +
          `"${f.encoder.type}" does not mark its output (markCacheableOutput)`,
      );
    }
    const input = ecd.model.inputs[ecd.inputNames.indexOf(name)];
    const output = marker.output as Symbolic;
    const encoder = tf.model({ inputs: input, outputs: output });
    const key = await entryKey(config, name, options.preprocessingKey, dtype);
    const dir = options.cachePath ? join(dirname(options.cachePath), "embeddings") : undefined;
    const rowShape = (output.shape as (number | null)[]).slice(1) as number[];
    let stored = dir ? await readEntry(dir, key, options.onWarning) : undefined;
    if (!stored) {
      hit = false;
      const start = performance.now();
      stored = {};
      for (const split of ["training", "validation", "test"] as const) {
        const s = splits[split];
        if (!s) continue;
        stored[split] = await embedColumn(
          encoder,
          s.columns[name],
          s.numRows,
          options.batchSize ?? 64,
        );
      }
      buildSeconds += (performance.now() - start) / 1000;
      if (dir) await writeEntry(dir, key, stored, dtype);
    }
    for (const split of ["training", "validation", "test"] as const) {
      const values = stored[split];
      if (!values || !splits[split]) continue;
      const shape = rowShape.map((d, i) =>
        d ?? values.length / splits[split]!.numRows / rowShape.filter((_, j) => j !== i)
              .reduce((a, b) => a * (b ?? 1), 1)
      );
      columns[split][name] = {
        data: dtype === "float16" ? roundToFloat16(values) : values,
        dtype: "float32",
        shape,
      };
    }
    const shape = columns.training[name]?.shape ?? rowShape;
    replaced.set(
      name,
      tf.input({ shape, dtype: "float32", name: `${tensorName(name)}_embeddings` }),
    );
  }
  const head = headModel(ecd, replaced, new Map(names.map((n) => [n, markerOutput(ecd, n)])));
  const withCache = (split: SplitName): EncodedSplit | undefined => {
    const s = splits[split];
    if (!s) return undefined;
    return { ...s, columns: { ...s.columns, ...columns[split] } };
  };
  return {
    ecd: { ...ecd, model: head },
    splits: {
      training: withCache("training")!,
      validation: withCache("validation"),
      test: withCache("test"),
    },
    features: names,
    buildSeconds,
    hit,
    dtype,
  };
}

type Symbolic = tf.SymbolicTensor;

function markerOutput(ecd: EcdModel, name: string): Symbolic {
  return ecd.model.getLayer(cacheableOutputName(tensorName(name))).output as Symbolic;
}

/**
 * Run an encoder sub-model over a column in inference mode; row-major float32 outputs, each
 * batch read back asynchronously.
 */
export async function embedColumn(
  encoder: tf.LayersModel,
  column: EncodedColumn,
  numRows: number,
  batchSize: number,
): Promise<Float32Array> {
  const per = column.shape.reduce((a, b) => a * b, 1);
  let values: Float32Array | undefined;
  let width = 0;
  for (let start = 0; start < numRows; start += batchSize) {
    const n = Math.min(batchSize, numRows - start);
    const out = tf.tidy(() => {
      const data = column.data.subarray(start * per, (start + n) * per);
      const x = tf.tensor(
        column.dtype === "int32" ? data as Int32Array : Float32Array.from(data),
        [n, ...column.shape],
        column.dtype === "int32" ? "int32" : "float32",
      );
      return encoder.predict(x) as tf.Tensor;
    });
    let part: Float32Array;
    try {
      part = await out.data() as Float32Array;
    } finally {
      out.dispose();
    }
    if (!values) {
      width = part.length / n;
      values = new Float32Array(numRows * width);
    }
    values.set(part, start * width);
  }
  return values ?? new Float32Array(0);
}

/**
 * The model from `replaced` inputs (in place of the `cut` tensors) to the model's outputs: every
 * layer after the cut applied again to the new tensors, so the layers (and weights) are the
 * model's own.
 */
function headModel(
  ecd: EcdModel,
  replaced: ReadonlyMap<string, Symbolic>,
  cut: ReadonlyMap<string, Symbolic>,
): tf.LayersModel {
  const map = new Map<number, Symbolic>();
  const inputs: Symbolic[] = [];
  ecd.inputNames.forEach((name, i) => {
    const original = ecd.model.inputs[i];
    const fresh = replaced.get(name);
    if (fresh) {
      map.set(cut.get(name)!.id, fresh);
      inputs.push(fresh);
    } else {
      const x = tf.input({
        shape: (original.shape as (number | null)[]).slice(1) as number[],
        dtype: original.dtype as "float32" | "int32",
        name: original.name.replace(/\/.*$/, "").replace(/:.*$/, ""),
      });
      map.set(original.id, x);
      inputs.push(x);
    }
  });
  const cachedInputs = new Set(
    ecd.inputNames.flatMap((n, i) => (replaced.has(n) ? [ecd.model.inputs[i].id] : [])),
  );
  const calls = new Map<string, Symbolic | Symbolic[]>();
  const rebuild = (t: Symbolic): Symbolic => {
    const done = map.get(t.id);
    if (done) return done;
    if (cachedInputs.has(t.id)) {
      throw new TypeError(
        `Cannot cache encoder embeddings: a layer after the encoder reads the token ids of a ` +
          `cached feature directly (${t.name})`,
      );
    }
    const layer = t.sourceLayer;
    const args = (t.inputs ?? []).map(rebuild);
    const callKey = `${layer.name}#${t.nodeIndex}`;
    let out = calls.get(callKey);
    if (!out) {
      out = layer.apply(args.length === 1 ? args[0] : args, t.callArgs ?? {}) as
        | Symbolic
        | Symbolic[];
      calls.set(callKey, out);
    }
    const result = Array.isArray(out) ? out[t.outputTensorIndex ?? 0] : out;
    map.set(t.id, result);
    return result;
  };
  const outputs = ecd.model.outputs.map(rebuild);
  return tf.model({ inputs, outputs, name: `${ecd.model.name}_cached` });
}

async function entryKey(
  config: ModelConfig,
  name: string,
  preprocessingKey: string,
  dtype: string,
): Promise<string> {
  const f = config.input_features.find((x) => x.name === name)!;
  const entry = encoderEntry(f.type, f.encoder.type);
  const impl = (await entry?.load?.()) as
    | { cacheFingerprint?: (c: unknown) => Promise<string> }
    | undefined;
  if (typeof impl?.cacheFingerprint !== "function") {
    throw new TypeError(
      `Cannot cache the encoder embeddings of input feature "${name}": the encoder ` +
        `"${f.encoder.type}" has no cacheFingerprint`,
    );
  }
  const fingerprint = await impl.cacheFingerprint(f.encoder);
  return await sha256Hex(JSON.stringify({
    v: 1,
    preprocessingKey,
    feature: name,
    type: f.type,
    encoder: f.encoder,
    fingerprint,
    dtype,
  }));
}

async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

interface EntryMeta {
  dtype: "float32" | "float16";
  splits: Record<string, { length: number; sha256: string }>;
}

async function writeEntry(
  dir: string,
  key: string,
  stored: Partial<Record<SplitName, Float32Array>>,
  dtype: "float32" | "float16",
): Promise<void> {
  const meta: EntryMeta = { dtype, splits: {} };
  for (const [split, values] of Object.entries(stored)) {
    const bytes = dtype === "float16" ? float16Bytes(values) : new Uint8Array(values.buffer.slice(
      values.byteOffset,
      values.byteOffset + values.byteLength,
    ));
    await writeFileAtomic(join(dir, `${key}.${split}.bin`), bytes);
    meta.splits[split] = { length: values.length, sha256: await sha256Hex(bytes) };
  }
  await writeFileAtomic(join(dir, `${key}.json`), JSON.stringify(meta));
}

async function readEntry(
  dir: string,
  key: string,
  onWarning?: (message: string) => void,
): Promise<Partial<Record<SplitName, Float32Array>> | undefined> {
  let meta: EntryMeta;
  try {
    meta = JSON.parse(await Deno.readTextFile(join(dir, `${key}.json`)));
  } catch {
    return undefined;
  }
  const out: Partial<Record<SplitName, Float32Array>> = {};
  for (const [split, info] of Object.entries(meta.splits)) {
    const file = join(dir, `${key}.${split}.bin`);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch {
      bytes = new Uint8Array(0);
    }
    if ((await sha256Hex(bytes)) !== info.sha256) {
      (onWarning ?? warn)(
        `sonata: the cached encoder embeddings ${file} do not match their checksum; recomputing`,
      );
      return undefined;
    }
    out[split as SplitName] = meta.dtype === "float16"
      ? fromFloat16(bytes, info.length)
      : new Float32Array(bytes.buffer, bytes.byteOffset, info.length);
  }
  return out;
}

function warn(message: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${message}\n`));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half precision of a float (round to nearest even; overflow to infinity). */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  e = half;
  return sign | e;
}

/** The float a half-precision bit pattern stands for. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function float16Bytes(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalf(values[i]);
  return new Uint8Array(out.buffer);
}

function fromFloat16(bytes: Uint8Array, length: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = fromHalf(view.getUint16(2 * i, true));
  return out;
}

/** Values as float16 storage keeps them (so a fresh and a cached run train on the same). */
function roundToFloat16(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = fromHalf(toHalf(values[i]));
  return out;
}

/** What `trainer.use_mixed_precision` does on an engine (none here computes in float16). */
export function mixedPrecisionNote(engine: string): string {
  return `use_mixed_precision: the "${engine}" engine has no float16 compute, so training runs ` +
    "in float32 (as Ludwig on CPU); cached encoder embeddings are stored as float16";
}

/** Say once per training run, on stderr, what `use_mixed_precision` does. */
export function noteMixedPrecision(config: ModelConfig, engine: string): void {
  if (config.trainer.use_mixed_precision) warn(`sonata: ${mixedPrecisionNote(engine)}`);
}

/** The description.json entries of mixed precision and the embedding cache. */
export function trainingNotes(
  config: ModelConfig,
  engine: string,
  cached: CachedTraining | undefined,
): Record<string, unknown> {
  return {
    ...(config.trainer.use_mixed_precision
      ? {
        mixed_precision: {
          requested: true,
          compute_dtype: "float32",
          note: mixedPrecisionNote(engine),
        },
      }
      : {}),
    ...(cached
      ? {
        encoder_embedding_cache: {
          features: cached.features,
          dtype: cached.dtype,
          hit: cached.hit,
          build_seconds: cached.buildSeconds,
        },
      }
      : {}),
  };
}

/** Share of the available memory `batch_size: auto` may plan for a step's activations. */
const MEMORY_SHARE = 0.25;

/**
 * The largest batch `batch_size: auto` may try given the encoders' memory estimate: the
 * available memory share divided by the activation bytes per row of the features whose encoders
 * run in training (implementation modules exporting `activationBytesPerRow(config, metadata)`;
 * cached features run none), rounded down to a power of two; undefined when no encoder gives an
 * estimate. Ludwig's issues #2455/#3007: huge auto batches crashed later.
 */
export async function autoBatchSizeCap(
  config: ModelConfig,
  metadata: Readonly<Record<string, Obj>>,
  availableBytes: number = availableMemory(),
): Promise<number | undefined> {
  const cached = new Set(cachedFeatures(config));
  let perRow = 0;
  for (const f of config.input_features) {
    if (cached.has(f.name)) continue;
    const impl = (await encoderEntry(f.type, f.encoder.type)?.load?.()) as
      | { activationBytesPerRow?: (c: unknown, m: Obj | undefined) => number }
      | undefined;
    if (typeof impl?.activationBytesPerRow === "function") {
      perRow += impl.activationBytesPerRow(f.encoder, metadata[f.name]);
    }
  }
  if (perRow === 0) return undefined;
  const rows = Math.max(1, Math.floor((availableBytes * MEMORY_SHARE) / perRow));
  return 2 ** Math.floor(Math.log2(rows));
}

function availableMemory(): number {
  try {
    return Deno.systemMemoryInfo().available;
  } catch {
    return 4 * 2 ** 30;
  }
}
