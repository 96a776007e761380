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
 * The cache folder is `backend.cache_dir`, else `<dataset dir>/.sonata_cache/` (with a
 * `.gitignore`), else `.cache/sonata`; it keeps one entry per dataset file name and at most
 * `SONATA_CACHE_MAX_BYTES` (default 4 GiB); `sonata cache clean` empties it.
 *
 * Files in the cache folder: `<key>.training.bin`, `<key>.validation.bin`, `<key>.test.bin` and
 * `<key>.meta.json` (the training-set metadata, each split file's size and SHA-256, and the
 * SHA-256 of the metadata's canonical JSON). Each file is written to a temporary name and
 * renamed; `meta.json` is written last, so a hit never sees a partial entry. A hit needs every
 * checksum to match: a flipped data or header byte, a truncated file or edited metadata makes
 * {@linkcode readCache} report the entry as corrupt, and preprocessing rebuilds it with a
 * one-line warning instead of using it.
 *
 * Split file format (little-endian): the 8 bytes `SONATA\0\x01`, a uint32 header length, the
 * UTF-8 JSON header `{ numRows, rows: {offset, length}, columns: [{name, dtype, shape, offset,
 * length}] }`, zero padding to a multiple of 8, then the data section: the source row index of
 * each encoded row (int32) and each column's row-major values (float32, int32 or uint8); offsets
 * and lengths are in bytes from the start of the data section. A uint8 column (images) also has
 * `rowCrc: {offset, length}`: the CRC-32 of each row's bytes (uint32), so a streamed read checks
 * every row it reads. {@linkcode openSplit} and {@linkcode openSplitColumns} read a split's
 * columns lazily from this layout (`in_memory: false`).
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
import { open, readFile } from "node:fs/promises";
import { crc32 } from "node:zlib";
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "../_util/files.ts";
import { type ColumnSource, streamedColumn } from "../train/_streamed.ts";
import type {
  ColumnData,
  ColumnDtype,
  EncodedColumn,
  EncodedSplit,
  TrainingSetMetadata,
} from "./_common.ts";

/**
 * Bumped whenever encodings or the file format change (2: checksums, uint8 columns; 3: per-row
 * CRC-32 of uint8 columns, checked by streamed reads).
 */
export const CACHE_FORMAT_VERSION = 3;

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

/** Bytes per element of a column dtype. */
function bytesOf(dtype: ColumnDtype): number {
  return dtype === "uint8" ? 1 : 4;
}

/** The CRC-32 of each row of a uint8 column. */
function rowChecksums(data: Uint8Array, rowBytes: number, numRows: number): Uint32Array {
  const out = new Uint32Array(numRows);
  for (let r = 0; r < numRows; r++) {
    out[r] = crc32(data.subarray(r * rowBytes, (r + 1) * rowBytes)) >>> 0;
  }
  return out;
}

/** A split file's bytes as pieces: the prefix (magic, header, padding) and the data sections. */
interface SplitLayout {
  /** Magic, header length, header and the zero padding up to the data section. */
  prefix: Uint8Array;
  /** The data sections at their offsets from the start of the data section, in order. */
  sections: { offset: number; bytes: Uint8Array }[];
  /** Total file size in bytes. */
  size: number;
}

function splitLayout(split: EncodedSplit, rows: Int32Array): SplitLayout {
  const entries = Object.entries(split.columns);
  const align = (n: number) => (n + 7) & ~7;
  const sections: { offset: number; bytes: Uint8Array }[] = [{
    offset: 0,
    bytes: new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength),
  }];
  let offset = align(rows.byteLength);
  const columns = entries.map(([name, c]) => {
    const bytes = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
    const entry: SplitHeader["columns"][number] = {
      name,
      dtype: c.dtype,
      shape: c.shape,
      offset,
      length: c.data.byteLength,
    };
    sections.push({ offset, bytes });
    offset = align(offset + c.data.byteLength);
    const rowBytes = c.shape.reduce((a, b) => a * b, 1) * bytesOf(c.dtype);
    if (c.dtype === "uint8" && rowBytes > 0) {
      const crc = rowChecksums(c.data as Uint8Array, rowBytes, split.numRows);
      entry.rowCrc = { offset, length: crc.byteLength };
      sections.push({ offset, bytes: new Uint8Array(crc.buffer) });
      offset = align(offset + crc.byteLength);
    }
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify({
    numRows: split.numRows,
    rows: { offset: 0, length: rows.byteLength },
    columns,
  }));
  const dataStart = align(MAGIC.length + 4 + header.length);
  const prefix = new Uint8Array(dataStart);
  prefix.set(MAGIC, 0);
  new DataView(prefix.buffer).setUint32(MAGIC.length, header.length, true);
  prefix.set(header, MAGIC.length + 4);
  return { prefix, sections, size: dataStart + offset };
}

/** Serializes one split to the split file format. */
export function encodeSplitFile(split: EncodedSplit, rows: Int32Array): Uint8Array {
  const layout = splitLayout(split, rows);
  const out = new Uint8Array(layout.size);
  out.set(layout.prefix, 0);
  for (const s of layout.sections) out.set(s.bytes, layout.prefix.length + s.offset);
  return out;
}

/**
 * Writes one split file atomically, piece by piece (no copy of the whole file in memory), and
 * returns its size and SHA-256 (hex).
 */
async function writeSplitFile(
  path: string,
  split: EncodedSplit,
  rows: Int32Array,
): Promise<{ size: number; sha256: string }> {
  const layout = splitLayout(split, rows);
  const hash = createHash("sha256");
  await writeFileAtomic(path, async (file) => {
    const write = async (bytes: Uint8Array) => {
      hash.update(bytes);
      for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
    };
    await write(layout.prefix);
    let at = 0;
    for (const s of layout.sections) {
      if (s.offset > at) await write(new Uint8Array(s.offset - at));
      await write(s.bytes);
      at = s.offset + s.bytes.length;
    }
    const end = layout.size - layout.prefix.length;
    if (end > at) await write(new Uint8Array(end - at));
  });
  return { size: layout.size, sha256: hash.digest("hex") };
}

/**
 * Parses a split file.
 *
 * @throws {TypeError} When the bytes are not a split file.
 */
export function decodeSplitFile(bytes: Uint8Array): CachedSplit {
  const bad = () => new TypeError("Cannot read cached split: not a Sonata split file");
  const { header, dataStart } = parseHeader(bytes, bad);
  const slice = (offset: number, length: number) => {
    const start = bytes.byteOffset + dataStart + offset;
    if (dataStart + offset + length > bytes.length) throw bad();
    return bytes.buffer.slice(start, start + length) as ArrayBuffer;
  };
  const rows = new Int32Array(slice(header.rows.offset, header.rows.length));
  const columns: Record<string, EncodedColumn> = {};
  for (const c of header.columns) {
    columns[c.name] = {
      data: typed(c.dtype, slice(c.offset, c.length)),
      dtype: c.dtype,
      shape: c.shape,
    };
  }
  return { split: { numRows: header.numRows, columns }, rows };
}

function typed(dtype: ColumnDtype, buffer: ArrayBuffer): ColumnData {
  if (dtype === "int32") return new Int32Array(buffer);
  if (dtype === "uint8") return new Uint8Array(buffer);
  return new Float32Array(buffer);
}

function parseHeader(
  bytes: Uint8Array,
  bad: () => Error,
): { header: SplitHeader; dataStart: number } {
  if (bytes.length < MAGIC.length + 4 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  if (MAGIC.length + 4 + headerLength > bytes.length) throw bad();
  let header: SplitHeader;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength)),
    );
  } catch {
    throw bad();
  }
  return { header, dataStart: (MAGIC.length + 4 + headerLength + 7) & ~7 };
}

interface SplitHeader {
  numRows: number;
  rows: { offset: number; length: number };
  columns: {
    name: string;
    dtype: ColumnDtype;
    shape: number[];
    offset: number;
    length: number;
    /** uint8 columns: the CRC-32 of each row (uint32 little-endian). */
    rowCrc?: { offset: number; length: number };
  }[];
}

function paths(dir: string, key: string) {
  return {
    meta: join(dir, `${key}.meta.json`),
    split: (name: CachedSplitName) => join(dir, `${key}.${name}.bin`),
  };
}

function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** What `<key>.meta.json` holds. */
interface CacheMeta {
  key: string;
  format: number;
  /** Split name → its file's size in bytes and SHA-256 (hex). */
  splits: Record<string, { size: number; sha256: string }>;
  /** SHA-256 of the canonical JSON of `metadata`. */
  metadata_sha256: string;
  metadata: TrainingSetMetadata;
  /** The dataset file's name, when the data came from a file (one entry is kept per name). */
  dataset?: string;
}

/** The folder Sonata keeps its preprocessing cache in, beside a dataset file. */
export const CACHE_FOLDER = ".sonata_cache";

/** The default size cap of one cache folder: 4 GiB (`SONATA_CACHE_MAX_BYTES` overrides it). */
export const CACHE_MAX_BYTES = 4 * 1024 ** 3;

function cacheCap(): number {
  const raw = Deno.env.get("SONATA_CACHE_MAX_BYTES");
  const n = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? (n === 0 ? Infinity : n) : CACHE_MAX_BYTES;
}

/**
 * The default cache folder of a dataset: `<dataset dir>/.sonata_cache/`, or `.cache/sonata` in
 * the working folder for in-memory data.
 */
export function defaultCacheDir(datasetFile: string | undefined): string {
  return datasetFile === undefined
    ? join(".cache", "sonata")
    : join(dirname(datasetFile), CACHE_FOLDER);
}

/** Whether Sonata owns `dir` (a default cache folder), so it may hold a `.gitignore`. */
function ownedFolder(dir: string): boolean {
  return basename(dir) === CACHE_FOLDER || dir.replaceAll("\\", "/").endsWith(".cache/sonata");
}

/** Options of {@linkcode writeCache}. */
export interface WriteCacheOptions {
  /** The dataset file the entry encodes: an older entry of the same file name is replaced. */
  readonly dataset?: string;
}

/**
 * Writes a cache entry (split files first, then `<key>.meta.json` with their checksums, each
 * atomically). Then the folder is kept small: an older entry of the same dataset file name is
 * removed (Ludwig's `<stem>.meta.json` replaced in place), and the oldest entries go while the
 * folder holds more than `SONATA_CACHE_MAX_BYTES` (default 4 GiB; the new entry always stays).
 * A default cache folder gets a `.gitignore` of `*`, so git and `deno fmt`/`lint` skip it.
 *
 * @param dir The cache folder (created when needed).
 * @param key The cache key.
 * @param entry Metadata and splits.
 * @param options The dataset file.
 * @returns The path of the meta file.
 */
export async function writeCache(
  dir: string,
  key: string,
  entry: CacheEntry,
  options: WriteCacheOptions = {},
): Promise<string> {
  const p = paths(dir, key);
  const splits: CacheMeta["splits"] = {};
  for (const name of ["training", "validation", "test"] as const) {
    const s = entry.splits[name];
    if (s === undefined) continue;
    splits[name] = await writeSplitFile(p.split(name), s.split, s.rows);
  }
  const meta: CacheMeta = {
    key,
    format: CACHE_FORMAT_VERSION,
    splits,
    metadata_sha256: sha256(canonicalJson(entry.metadata)),
    metadata: entry.metadata,
    ...(options.dataset !== undefined ? { dataset: basename(options.dataset) } : {}),
  };
  await writeFileAtomic(p.meta, JSON.stringify(meta));
  if (ownedFolder(dir)) {
    await Deno.writeTextFile(join(dir, ".gitignore"), "*\n", { createNew: true }).catch(() => {});
  }
  await pruneCache(dir, key, meta.dataset);
  return p.meta;
}

/** One entry of a cache folder, as {@linkcode listCache} finds it. */
export interface CacheListing {
  /** The cache key. */
  readonly key: string;
  /** The dataset file name recorded, when there is one. */
  readonly dataset?: string;
  /** Bytes of the entry's files together. */
  readonly bytes: number;
  /** When its meta file was written (ms since the epoch). */
  readonly written: number;
  /** Its files. */
  readonly files: readonly string[];
}

const ENTRY_FILE = /^([0-9a-f]{64})\.(meta\.json|training\.bin|validation\.bin|test\.bin)$/;

/**
 * The cache entries of a folder (also the `<64 hex>.*` files older Sonata versions wrote beside
 * the datasets), newest first; an empty list when the folder does not exist.
 */
export async function listCache(dir: string): Promise<CacheListing[]> {
  const byKey = new Map<string, { files: string[]; bytes: number; written: number }>();
  try {
    for await (const e of Deno.readDir(dir)) {
      const m = e.isFile ? ENTRY_FILE.exec(e.name) : null;
      if (!m) continue;
      const path = join(dir, e.name);
      const info = await Deno.stat(path).catch(() => undefined);
      if (!info) continue;
      const item = byKey.get(m[1]) ?? { files: [], bytes: 0, written: 0 };
      item.files.push(path);
      item.bytes += info.size;
      if (m[2] === "meta.json") item.written = info.mtime?.getTime() ?? 0;
      byKey.set(m[1], item);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw error;
  }
  const out: CacheListing[] = [];
  for (const [key, item] of byKey) {
    let dataset: string | undefined;
    try {
      const meta = JSON.parse(await readFile(join(dir, `${key}.meta.json`), "utf8"));
      if (typeof meta?.dataset === "string") dataset = meta.dataset;
    } catch {
      // No or unreadable meta file: a partial entry, listed without a dataset name.
    }
    out.push({ key, ...(dataset ? { dataset } : {}), ...item, files: item.files.sort() });
  }
  return out.sort((a, b) => b.written - a.written || a.key.localeCompare(b.key));
}

async function removeEntry(entry: CacheListing): Promise<void> {
  // The meta file first, so a half-removed entry is a miss, never a hit.
  const files = [...entry.files].sort((a, b) =>
    Number(b.endsWith(".meta.json")) - Number(a.endsWith(".meta.json"))
  );
  for (const f of files) await Deno.remove(f).catch(() => {});
}

async function pruneCache(dir: string, keep: string, dataset: string | undefined): Promise<void> {
  const entries = await listCache(dir);
  let total = entries.reduce((a, e) => a + e.bytes, 0);
  const cap = cacheCap();
  // Oldest first.
  for (const e of [...entries].reverse()) {
    if (e.key === keep) continue;
    const sameDataset = dataset !== undefined && e.dataset === dataset;
    if (sameDataset || total > cap) {
      await removeEntry(e);
      total -= e.bytes;
    }
  }
}

/**
 * Remove cache entries from a folder: those of one dataset file name, or all of them (`dataset`
 * undefined). Returns the entries removed.
 */
export async function cleanCache(dir: string, dataset?: string): Promise<CacheListing[]> {
  const name = dataset === undefined ? undefined : basename(dataset);
  const removed: CacheListing[] = [];
  for (const e of await listCache(dir)) {
    if (name !== undefined && e.dataset !== name) continue;
    await removeEntry(e);
    removed.push(e);
  }
  return removed;
}

/** The outcome of {@linkcode readCache}. */
export type CacheLookup =
  | { status: "hit"; entry: CacheEntry; path: string }
  | { status: "miss" }
  | { status: "corrupt"; path: string; reason: string };

/** Options of {@linkcode lookupCache}. */
export interface LookupOptions {
  /**
   * Columns to stream (`in_memory: false`), by name → the column as errors name it (e.g.
   * `input feature "img"`). With any, each split file is checked against its SHA-256
   * streaming, only the other columns are read into memory, and these become streamed columns
   * (`streamedColumn`: rows read on demand, each row checked against its CRC-32).
   */
  readonly streamed?: ReadonlyMap<string, string>;
}

/**
 * Looks a cache entry up. A miss: no meta file, or one of another key or format. Corrupt: a
 * meta file that does not parse, edited metadata, or a split file that is missing, resized or
 * whose SHA-256 differs (a flipped byte) — never used; the caller rebuilds the entry.
 *
 * @param dir The cache folder.
 * @param key The cache key.
 * @returns A hit (the entry and the meta file's path), a miss, or why the entry is corrupt.
 */
export async function lookupCache(
  dir: string,
  key: string,
  options: LookupOptions = {},
): Promise<CacheLookup> {
  const p = paths(dir, key);
  let text: string;
  try {
    text = await readFile(p.meta, "utf8");
  } catch {
    return { status: "miss" };
  }
  const corrupt = (reason: string): CacheLookup => ({ status: "corrupt", path: p.meta, reason });
  let meta: CacheMeta;
  try {
    meta = JSON.parse(text);
  } catch {
    return corrupt(`${p.meta} is not valid JSON`);
  }
  if (meta?.key !== key || meta.format !== CACHE_FORMAT_VERSION) return { status: "miss" };
  if (
    typeof meta.metadata !== "object" || meta.metadata === null ||
    sha256(canonicalJson(meta.metadata)) !== meta.metadata_sha256
  ) {
    return corrupt(`the metadata in ${p.meta} does not match its checksum`);
  }
  const splits: Partial<Record<CachedSplitName, CachedSplit>> = {};
  const lazy = options.streamed;
  for (const [name, recorded] of Object.entries(meta.splits ?? {})) {
    const file = p.split(name as CachedSplitName);
    if (lazy !== undefined && lazy.size > 0) {
      // Streamed columns: the file is checked streaming and those columns stay on disk.
      try {
        const opened = await openSplit(file, {
          sha256: recorded?.sha256 ?? "",
          size: recorded?.size,
          lazy: new Set(lazy.keys()),
        });
        const columns: Record<string, EncodedColumn> = {};
        for (const [column, c] of Object.entries(opened.columns)) {
          columns[column] = "read" in c ? streamedColumn(c, lazy.get(column)!) : c;
        }
        splits[name as CachedSplitName] = {
          split: { numRows: opened.numRows, columns },
          rows: opened.rows,
        };
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "ENOENT" || error instanceof Deno.errors.NotFound) {
          return corrupt(`${file} is missing`);
        }
        return corrupt(
          /checksum/.test(String(error))
            ? `${file} does not match its checksum`
            : `${file} is not a Sonata split file`,
        );
      }
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch {
      return corrupt(`${file} is missing`);
    }
    if (bytes.length !== recorded?.size || sha256(bytes) !== recorded.sha256) {
      return corrupt(`${file} does not match its checksum`);
    }
    try {
      splits[name as CachedSplitName] = decodeSplitFile(bytes);
    } catch {
      return corrupt(`${file} is not a Sonata split file`);
    }
  }
  if (splits.training === undefined) return corrupt(`${p.meta} lists no training split`);
  return {
    status: "hit",
    entry: { metadata: meta.metadata, splits: splits as CacheEntry["splits"] },
    path: p.meta,
  };
}

/**
 * Reads a cache entry, or `undefined` on a miss or a corrupt entry (see
 * {@linkcode lookupCache}, which tells them apart).
 *
 * @param dir The cache folder.
 * @param key The cache key.
 * @returns The entry and the meta file's path, or `undefined`.
 */
export async function readCache(
  dir: string,
  key: string,
): Promise<{ entry: CacheEntry; path: string } | undefined> {
  const found = await lookupCache(dir, key);
  return found.status === "hit" ? { entry: found.entry, path: found.path } : undefined;
}

/** The path of a cached split file (`<dir>/<key>.<split>.bin`). */
export function splitFilePath(dir: string, key: string, split: CachedSplitName): string {
  return paths(dir, key).split(split);
}

/**
 * A cached split file that cannot be read while streaming (`in_memory: false`): truncated,
 * changed or removed since it was opened, or a row that does not match its CRC-32. The message
 * names the file and says how to recover.
 */
export class CacheFileError extends Error {
  /** The split file. */
  readonly file: string;

  constructor(file: string, detail: string) {
    super(
      `Cannot read cached split "${file}": ${detail}. The preprocessing cache is damaged: ` +
        `remove it (sonata cache clean, or delete the file) and rerun to rebuild it`,
    );
    this.name = "CacheFileError";
    this.file = file;
  }
}

/** A split whose columns are read lazily from its split file. */
export interface LazySplit {
  /** Rows in every column. */
  readonly numRows: number;
  /** Feature name → a column source reading that column's rows from the file. */
  readonly columns: Readonly<Record<string, ColumnSource>>;
  /** 0-based source rows, aligned with the encoded rows. */
  readonly rows: Int32Array;
  /** Releases the split (no file stays open between reads: kept for callers that close). */
  close(): Promise<void>;
}

/** A split with some columns in memory and the others read on demand ({@linkcode openSplit}). */
export interface OpenedSplit {
  /** Rows in every column. */
  readonly numRows: number;
  /** Feature name → its column: in memory, or a source reading the file. */
  readonly columns: Record<string, EncodedColumn | ColumnSource>;
  /** 0-based source rows, aligned with the encoded rows. */
  readonly rows: Int32Array;
}

/** Options of {@linkcode openSplit}. */
export interface OpenSplitOptions {
  /** The file's SHA-256 recorded in the meta file: the whole file is checked first, streaming. */
  readonly sha256?: string;
  /** The file's size recorded in the meta file. */
  readonly size?: number;
  /** Columns to read on demand; the others are read into memory. Default: every column. */
  readonly lazy?: ReadonlySet<string>;
}

/** Reads `length` bytes at `position` of an open file, or fails naming the file. */
async function readExactly(
  handle: Awaited<ReturnType<typeof open>>,
  path: string,
  position: number,
  length: number,
  into?: Uint8Array,
  at = 0,
): Promise<Uint8Array> {
  const buffer = into ?? new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, at + done, length - done, position + done);
    if (bytesRead === 0) throw new CacheFileError(path, "it is shorter than its header says");
    done += bytesRead;
  }
  return buffer;
}

/**
 * Opens a split file (`in_memory: false`): the header, the row index, the per-row CRC-32 of the
 * lazy uint8 columns and the columns not in `lazy` are read now; each `read(rows)` of a lazy
 * column opens the file, reads those rows' bytes (consecutive rows in one read), checks each
 * row's CRC-32 and closes it again, so no file stays open. With `sha256` the whole file is
 * first checked against it, streaming in 1 MiB chunks; a later change, truncation or removal is
 * a {@linkcode CacheFileError} from the read that meets it.
 *
 * @param path The split file.
 * @param options The recorded checksum and size, and the columns to read on demand.
 * @throws {TypeError} When the file is not a split file or does not match the checksum.
 */
export async function openSplit(
  path: string,
  options: OpenSplitOptions = {},
): Promise<OpenedSplit> {
  const bad = (detail = "not a Sonata split file") =>
    new TypeError(`Cannot read cached split "${path}": ${detail}`);
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const readAt = async (position: number, length: number): Promise<Uint8Array> => {
      if (position + length > size) throw bad("it is shorter than its header says");
      return await readExactly(handle, path, position, length);
    };
    if (options.size !== undefined && options.size !== size) {
      throw bad("it does not match its checksum (its size changed)");
    }
    if (options.sha256 !== undefined) {
      const hash = createHash("sha256");
      const chunk = 1 << 20;
      const buffer = new Uint8Array(chunk);
      for (let at = 0; at < size; at += chunk) {
        const n = Math.min(chunk, size - at);
        await readExactly(handle, path, at, n, buffer);
        hash.update(buffer.subarray(0, n));
      }
      if (hash.digest("hex") !== options.sha256) throw bad("it does not match its checksum");
    }
    const prefix = await readAt(0, Math.min(size, MAGIC.length + 4));
    if (prefix.length < MAGIC.length + 4) throw bad();
    const headerLength = new DataView(prefix.buffer).getUint32(MAGIC.length, true);
    const head = await readAt(0, MAGIC.length + 4 + headerLength);
    const { header, dataStart } = parseHeader(head, bad);
    const rows = new Int32Array(
      (await readAt(dataStart + header.rows.offset, header.rows.length)).buffer,
    );
    const columns: Record<string, EncodedColumn | ColumnSource> = {};
    for (const c of header.columns) {
      if (options.lazy !== undefined && !options.lazy.has(c.name)) {
        columns[c.name] = {
          data: typed(
            c.dtype,
            (await readAt(dataStart + c.offset, c.length)).buffer as ArrayBuffer,
          ),
          dtype: c.dtype,
          shape: c.shape,
        };
        continue;
      }
      const rowBytes = c.shape.reduce((a, b) => a * b, 1) * bytesOf(c.dtype);
      if (c.length !== rowBytes * header.numRows) throw bad("a column's length does not match");
      const crcs = c.rowCrc === undefined
        ? undefined
        : new Uint32Array((await readAt(dataStart + c.rowCrc.offset, c.rowCrc.length)).buffer);
      if (crcs !== undefined && crcs.length !== header.numRows) throw bad();
      columns[c.name] = lazyColumn(path, c, dataStart + c.offset, rowBytes, header.numRows, crcs);
    }
    return { numRows: header.numRows, columns, rows };
  } finally {
    await handle.close();
  }
}

/** A column source reading rows of one column of a split file (see {@linkcode openSplit}). */
function lazyColumn(
  path: string,
  c: SplitHeader["columns"][number],
  base: number,
  rowBytes: number,
  numRows: number,
  crcs: Uint32Array | undefined,
): ColumnSource {
  return {
    dtype: c.dtype,
    shape: c.shape,
    numRows,
    async read(wanted: Int32Array): Promise<ColumnData> {
      for (const r of wanted) {
        if (!Number.isInteger(r) || r < 0 || r >= numRows) {
          throw new RangeError(
            `Cannot read rows of cached column "${c.name}": row ${r} is not in 0..${numRows - 1}`,
          );
        }
      }
      const out = new Uint8Array(wanted.length * rowBytes);
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(path, "r");
      } catch (error) {
        const code = (error as { code?: string }).code;
        throw new CacheFileError(
          path,
          code === "ENOENT" ? "it was removed while streaming" : `it cannot be opened (${error})`,
        );
      }
      try {
        for (let i = 0; i < wanted.length;) {
          const first = wanted[i];
          let run = 1;
          while (i + run < wanted.length && wanted[i + run] === first + run) run++;
          await readExactly(
            handle,
            path,
            base + first * rowBytes,
            run * rowBytes,
            out,
            i * rowBytes,
          );
          i += run;
        }
      } finally {
        await handle.close();
      }
      if (crcs !== undefined) {
        for (let i = 0; i < wanted.length; i++) {
          const got = crc32(out.subarray(i * rowBytes, (i + 1) * rowBytes)) >>> 0;
          if (got !== crcs[wanted[i]]) {
            throw new CacheFileError(
              path,
              `row ${
                wanted[i]
              } of column "${c.name}" does not match its checksum (the file changed since it was written)`,
            );
          }
        }
      }
      return typed(c.dtype, out.buffer);
    },
  };
}

/**
 * Opens a split file with every column read on demand (see {@linkcode openSplit}).
 *
 * @param path The split file.
 * @param options `sha256`: the checksum recorded in the meta file.
 * @throws {TypeError} When the file is not a split file or does not match the checksum.
 */
export async function openSplitColumns(
  path: string,
  options: { sha256?: string } = {},
): Promise<LazySplit> {
  const split = await openSplit(path, options);
  return {
    numRows: split.numRows,
    columns: split.columns as Record<string, ColumnSource>,
    rows: split.rows,
    close: () => Promise.resolve(),
  };
}
