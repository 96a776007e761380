/**
 * The preprocessing cache (reference §10, with Sonata's changes): encoded splits are stored
 * under a key that hashes everything that changes them, so a second run with the same data and
 * preprocessing skips preprocessing.
 *
 * Key: SHA-256 (hex) of the canonical JSON (object keys sorted) of
 * `{ format: CACHE_FORMAT_VERSION, datasets: { <role>: <Dataset.checksum()> }, preprocessing:
 * <global section>, features: [{ name, column, type, role, preprocessing }], seed }`. Encoder,
 * decoder, combiner and trainer settings are not part of it. Unlike Ludwig, in-memory data is
 * cached too (its checksum hashes the cells).
 *
 * Files in the cache folder: `<key>.training.bin`, `<key>.validation.bin`, `<key>.test.bin` and
 * `<key>.meta.json` (the training-set metadata plus the split files' sizes). Each file is
 * written to a temporary name and renamed; `meta.json` is written last, so a hit (meta.json
 * with the same key, split files of the recorded sizes) never sees a partial entry.
 *
 * Split file format (little-endian): the 8 bytes `SONATA\0\x01`, a uint32 header length, the
 * UTF-8 JSON header `{ numRows, rows: {offset, length}, columns: [{name, dtype, shape, offset,
 * length}] }`, zero padding to a multiple of 8, then the data section: the source row index of
 * each encoded row (int32) and each column's row-major values (float32 or int32); offsets and
 * lengths are in bytes from the start of the data section.
 *
 * @example Canonical key
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { cacheKey } from "./cache.ts";
 * assertEquals(await cacheKey({ a: 1, b: [2] }), await cacheKey({ b: [2], a: 1 }));
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../_util/files.ts";
import type { EncodedColumn, EncodedSplit, TrainingSetMetadata } from "./_common.ts";

/** Bumped whenever encodings or the file format change. */
export const CACHE_FORMAT_VERSION = 1;

const MAGIC = new Uint8Array([0x53, 0x4f, 0x4e, 0x41, 0x54, 0x41, 0x00, 0x01]);

/** The names of the cached splits. */
export type CachedSplitName = "training" | "validation" | "test";

/** One cached split: its encoded columns and the source row of each encoded row. */
export interface CachedSplit {
  /** The encoded columns. */
  split: EncodedSplit;
  /** 0-based source rows (into the split's source dataset), aligned with the encoded rows. */
  rows: Int32Array;
}

/** What the cache stores for one key. */
export interface CacheEntry {
  /** The training-set metadata. */
  metadata: TrainingSetMetadata;
  /** The splits; validation and test may be absent. */
  splits: Partial<Record<CachedSplitName, CachedSplit>> & { training: CachedSplit };
}

/**
 * JSON with object keys sorted at every level (`undefined` members dropped, bigints as strings).
 *
 * @param value Any JSON-like value.
 * @returns The canonical text.
 *
 * @example Sorted keys
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { canonicalJson } from "./cache.ts";
 * assertEquals(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * The SHA-256 hex digest of the canonical JSON of `parts`.
 *
 * @param parts What the key depends on.
 * @returns The key.
 *
 * @example A key
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { cacheKey } from "./cache.ts";
 * assertEquals((await cacheKey({ x: 1 })).length, 64);
 * ```
 */
export function cacheKey(parts: Record<string, unknown>): Promise<string> {
  return Promise.resolve(createHash("sha256").update(canonicalJson(parts)).digest("hex"));
}

/** Serializes one split to the split file format. */
export function encodeSplitFile(split: EncodedSplit, rows: Int32Array): Uint8Array {
  const entries = Object.entries(split.columns);
  let offset = rows.byteLength;
  const align = (n: number) => (n + 7) & ~7;
  offset = align(offset);
  const columns = entries.map(([name, c]) => {
    const entry = { name, dtype: c.dtype, shape: c.shape, offset, length: c.data.byteLength };
    offset = align(offset + c.data.byteLength);
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify({
    numRows: split.numRows,
    rows: { offset: 0, length: rows.byteLength },
    columns,
  }));
  const dataStart = align(MAGIC.length + 4 + header.length);
  const out = new Uint8Array(dataStart + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  out.set(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength), dataStart);
  entries.forEach(([, c], k) => {
    out.set(
      new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength),
      dataStart + columns[k].offset,
    );
  });
  return out;
}

/**
 * Parses a split file.
 *
 * @throws {TypeError} When the bytes are not a split file.
 */
export function decodeSplitFile(bytes: Uint8Array): CachedSplit {
  const bad = () => new TypeError("Cannot read cached split: not a Sonata split file");
  if (bytes.length < MAGIC.length + 4 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength)),
  ) as {
    numRows: number;
    rows: { offset: number; length: number };
    columns: {
      name: string;
      dtype: "float32" | "int32";
      shape: number[];
      offset: number;
      length: number;
    }[];
  };
  const dataStart = (MAGIC.length + 4 + headerLength + 7) & ~7;
  const slice = (offset: number, length: number) => {
    const start = bytes.byteOffset + dataStart + offset;
    if (dataStart + offset + length > bytes.length) throw bad();
    return bytes.buffer.slice(start, start + length) as ArrayBuffer;
  };
  const rows = new Int32Array(slice(header.rows.offset, header.rows.length));
  const columns: Record<string, EncodedColumn> = {};
  for (const c of header.columns) {
    const buffer = slice(c.offset, c.length);
    columns[c.name] = {
      data: c.dtype === "int32" ? new Int32Array(buffer) : new Float32Array(buffer),
      dtype: c.dtype,
      shape: c.shape,
    };
  }
  return { split: { numRows: header.numRows, columns }, rows };
}

function paths(dir: string, key: string) {
  return {
    meta: join(dir, `${key}.meta.json`),
    split: (name: CachedSplitName) => join(dir, `${key}.${name}.bin`),
  };
}

/**
 * Writes a cache entry (split files first, then `<key>.meta.json`, each atomically).
 *
 * @param dir The cache folder (created when needed).
 * @param key The cache key.
 * @param entry Metadata and splits.
 * @returns The path of the meta file.
 */
export async function writeCache(dir: string, key: string, entry: CacheEntry): Promise<string> {
  const p = paths(dir, key);
  const sizes: Record<string, number> = {};
  for (const name of ["training", "validation", "test"] as const) {
    const s = entry.splits[name];
    if (s === undefined) continue;
    const bytes = encodeSplitFile(s.split, s.rows);
    await writeFileAtomic(p.split(name), bytes);
    sizes[name] = bytes.length;
  }
  const meta = { key, format: CACHE_FORMAT_VERSION, splits: sizes, metadata: entry.metadata };
  await writeFileAtomic(p.meta, JSON.stringify(meta));
  return p.meta;
}

/**
 * Reads a cache entry, or `undefined` on a miss (no meta file, another key or format, a
 * missing or resized split file, an unreadable file).
 *
 * @param dir The cache folder.
 * @param key The cache key.
 * @returns The entry and the meta file's path, or `undefined`.
 */
export async function readCache(
  dir: string,
  key: string,
): Promise<{ entry: CacheEntry; path: string } | undefined> {
  const p = paths(dir, key);
  try {
    const meta = JSON.parse(await readFile(p.meta, "utf8")) as {
      key: string;
      format: number;
      splits: Record<string, number>;
      metadata: TrainingSetMetadata;
    };
    if (meta.key !== key || meta.format !== CACHE_FORMAT_VERSION) return undefined;
    const splits: Partial<Record<CachedSplitName, CachedSplit>> = {};
    for (const [name, size] of Object.entries(meta.splits)) {
      const file = p.split(name as CachedSplitName);
      if ((await stat(file)).size !== size) return undefined;
      splits[name as CachedSplitName] = decodeSplitFile(new Uint8Array(await readFile(file)));
    }
    if (splits.training === undefined) return undefined;
    return {
      entry: { metadata: meta.metadata, splits: splits as CacheEntry["splits"] },
      path: p.meta,
    };
  } catch {
    return undefined;
  }
}
