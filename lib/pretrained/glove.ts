/**
 * Pretrained word embeddings in GloVe text format (`word v1 v2 … vd` per line), aligned to a
 * vocabulary, following Ludwig's `load_glove` and `load_pretrained_embeddings`
 * (`ludwig/utils/data_utils.py`, v0.8.6):
 *
 * - the embedding size is read from the first line (a word2vec-style `count dim` header line
 *   is also recognized and skipped);
 * - a vocabulary word found in the file gets its vector; a missing one (special symbols
 *   included) gets the average of the found vectors plus uniform noise in [-0.01, 0.01), drawn
 *   from a seeded generator so that results are reproducible;
 * - files are streamed line by line, and only the vectors of the requested words are kept, so
 *   multi-gigabyte files load in memory proportional to the vocabulary;
 * - loaded tables are cached per path (and requested word set), invalidated when the file's
 *   size or modification time changes, as Ludwig's `lru_cache` on `load_glove`.
 *
 * Unlike Ludwig, which logs and skips malformed lines, a malformed line or a dimension mismatch
 * is a {@linkcode DataError} naming the file and line, unless `malformed: "skip"`.
 *
 * @module
 */
import { resolve } from "node:path";
import { pythonSplit } from "../data/tokenizers.ts";
import { DataError, quoteValue } from "../data/errors.ts";

const ACTION = "Cannot load embeddings";

/** A {@linkcode DataError} about an embeddings file, naming the file and the 1-based line. */
function fileError(path: string, detail: string, line?: number): DataError {
  return new DataError(detail, { file: path, line, action: ACTION });
}

/** Vectors read from a GloVe file. */
export interface GloVeTable {
  /** The file, as given. */
  path: string;
  /** Values per vector. */
  embeddingSize: number;
  /** Word → row of {@linkcode GloVeTable.vectors}. */
  words: ReadonlyMap<string, number>;
  /** Row-major `[words.size, embeddingSize]` vectors. */
  vectors: Float32Array;
  /** 1-based lines skipped as malformed (only with `malformed: "skip"`). */
  skippedLines: readonly number[];
}

/** Options of {@linkcode loadGloVe}. */
export interface LoadGloVeOptions {
  /** Keep only these words' vectors (all lines are still checked). Default: keep all. */
  only?: Iterable<string>;
  /** `"error"` (default) throws on a malformed line; `"skip"` skips it, as Ludwig does. */
  malformed?: "error" | "skip";
  /** Reuse and store results in the per-path cache. Default `true`. */
  cache?: boolean;
}

interface CacheEntry {
  size: number;
  mtime: number | null;
  table: Promise<GloVeTable>;
}

const CACHE = new Map<string, CacheEntry>();

/**
 * Empty the embeddings cache, for one file or for all.
 *
 * @param path Only drop this file's entries.
 *
 * @example Clear
 * ```ts
 * import { clearEmbeddingsCache } from "./glove.ts";
 * clearEmbeddingsCache();
 * ```
 */
export function clearEmbeddingsCache(path?: string): void {
  if (path === undefined) return CACHE.clear();
  const prefix = `${resolve(path)}\u0000`;
  for (const key of [...CACHE.keys()]) if (key.startsWith(prefix)) CACHE.delete(key);
}

/** FNV-1a over the sorted words: a compact cache key for a word subset. */
function fingerprint(words: ReadonlySet<string>): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const word of [...words].sort()) {
    for (let i = 0; i < word.length; i++) {
      const c = word.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ 0xffff, 0x01000193);
  }
  return `${words.size}:${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}`;
}

const PY_NAN = /^[+-]?nan$/i;
const UNDERSCORED =
  /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;

/** Python `float(text)` for a whitespace-free field; `undefined` where Python raises. */
function parsePythonFloat(text: string): number | undefined {
  const n = Number(text);
  if (!Number.isNaN(n)) {
    // Number() also reads "0x1f", "0b1" and "0o7", which Python rejects; Python reads
    // "inf"/"infinity" in any case, which Number() reads only as "Infinity".
    const c = text.charCodeAt(1) | 0x20;
    if (text.length > 2 && text.charCodeAt(0) === 48 && (c === 120 || c === 98 || c === 111)) {
      return undefined;
    }
    return n;
  }
  if (PY_NAN.test(text)) return NaN;
  const lower = text.toLowerCase();
  if (/^[+-]?inf(inity)?$/.test(lower)) return lower.startsWith("-") ? -Infinity : Infinity;
  if (UNDERSCORED.test(text)) return Number(text.replaceAll("_", ""));
  return undefined;
}

/** Yield the lines of a UTF-8 file (without line terminators), streaming. */
async function* readLines(path: string): AsyncGenerator<string> {
  using file = await Deno.open(path, { read: true });
  const reader = file.readable.pipeThrough(new TextDecoderStream()).getReader();
  let rest = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    const chunk = rest + value;
    let start = 0;
    let nl = chunk.indexOf("\n", start);
    while (nl !== -1) {
      yield chunk.charCodeAt(nl - 1) === 13 ? chunk.slice(start, nl - 1) : chunk.slice(start, nl);
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    rest = chunk.slice(start);
  }
  if (rest.length > 0) yield rest;
}

async function parseGloVe(
  path: string,
  only: ReadonlySet<string> | null,
  malformed: "error" | "skip",
): Promise<GloVeTable> {
  const words = new Map<string, number>();
  let vectors = new Float32Array(0);
  let rows = 0;
  let size = -1;
  const skippedLines: number[] = [];
  let lineNumber = 0;
  const fail = (detail: string): void => {
    if (malformed === "skip") skippedLines.push(lineNumber);
    else throw fileError(path, detail, lineNumber);
  };
  try {
    for await (const line of readLines(path)) {
      lineNumber++;
      const fields = pythonSplit(line);
      if (fields.length === 0) continue;
      if (size === -1) {
        // A word2vec text header ("<count> <dim>") announces the size; otherwise the first
        // line does, as in Ludwig.
        if (fields.length === 2 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1])) {
          size = Number(fields[1]);
          continue;
        }
        size = fields.length - 1;
        if (size < 1) {
          throw fileError(
            path,
            "expected a word followed by its vector values",
            lineNumber,
          );
        }
      }
      if (fields.length !== size + 1) {
        fail(`expected a word and ${size} values, found ${fields.length} fields`);
        continue;
      }
      const word = fields[0];
      if (only !== null && !only.has(word)) {
        for (let k = 1; k <= size; k++) {
          if (parsePythonFloat(fields[k]) === undefined) {
            fail(`cannot parse ${quoteValue(fields[k])} as a number`);
            break;
          }
        }
        continue;
      }
      let row = words.get(word);
      const fresh = row === undefined;
      if (row === undefined) {
        row = rows;
        if ((row + 1) * size > vectors.length) {
          const grown = new Float32Array(Math.max(1024 * size, vectors.length * 2));
          grown.set(vectors);
          vectors = grown;
        }
      }
      const values = new Float32Array(size);
      let ok = true;
      for (let k = 1; k <= size; k++) {
        const v = parsePythonFloat(fields[k]);
        if (v === undefined) {
          fail(`cannot parse ${quoteValue(fields[k])} as a number`);
          ok = false;
          break;
        }
        values[k - 1] = v;
      }
      if (!ok) continue;
      // As in a Python dict, a repeated word keeps its last vector.
      vectors.set(values, row * size);
      if (fresh) {
        words.set(word, row);
        rows++;
      }
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    if (error instanceof Deno.errors.NotFound) {
      throw fileError(path, "the file does not exist");
    }
    if (error instanceof TypeError && /decod|utf/i.test(error.message)) {
      throw fileError(
        path,
        `the file is not valid UTF-8: ${error.message}`,
        lineNumber + 1,
      );
    }
    throw error;
  }
  if (size === -1) throw fileError(path, "the file has no embeddings");
  return {
    path,
    embeddingSize: size,
    words,
    vectors: vectors.slice(0, rows * size),
    skippedLines,
  };
}

/**
 * Read a GloVe-format text file (streamed), cached per path.
 *
 * @param path The file.
 * @param options `only` (keep a subset of words), `malformed`, `cache`.
 * @returns The table of vectors.
 * @throws {DataError} The file is missing, empty or malformed.
 *
 * @example Load a tiny file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { loadGloVe } from "./glove.ts";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "the 0.1 0.2\ncat 0.3 0.4\n");
 * const table = await loadGloVe(path);
 * assertEquals([table.embeddingSize, table.words.get("cat")], [2, 1]);
 * await Deno.remove(path);
 * ```
 */
export async function loadGloVe(path: string, options: LoadGloVeOptions = {}): Promise<GloVeTable> {
  const { malformed = "error", cache = true } = options;
  const only = options.only === undefined ? null : new Set(options.only);
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw fileError(path, "the file does not exist");
    }
    throw error;
  }
  if (!cache) return parseGloVe(path, only, malformed);
  const base = `${resolve(path)}\u0000${malformed}\u0000`;
  const mtime = stat.mtime?.getTime() ?? null;
  const fresh = (entry: CacheEntry | undefined): entry is CacheEntry =>
    entry !== undefined && entry.size === stat.size && entry.mtime === mtime;
  const full = CACHE.get(`${base}*`);
  if (fresh(full)) {
    if (only === null) return full.table;
    return subset(await full.table, only);
  }
  const key = `${base}${only === null ? "*" : fingerprint(only)}`;
  const hit = CACHE.get(key);
  if (fresh(hit)) return hit.table;
  const table = parseGloVe(path, only, malformed);
  CACHE.set(key, { size: stat.size, mtime, table });
  table.catch(() => CACHE.delete(key));
  return table;
}

function subset(table: GloVeTable, only: ReadonlySet<string>): GloVeTable {
  const d = table.embeddingSize;
  const words = new Map<string, number>();
  const rows: number[] = [];
  for (const word of only) {
    const row = table.words.get(word);
    if (row !== undefined) {
      words.set(word, rows.length);
      rows.push(row);
    }
  }
  const vectors = new Float32Array(rows.length * d);
  rows.forEach((row, i) => vectors.set(table.vectors.subarray(row * d, (row + 1) * d), i * d));
  return { ...table, words, vectors };
}

/** Options of {@linkcode loadPretrainedEmbeddings}. */
export interface PretrainedEmbeddingsOptions {
  /** Seed of the noise added for missing words. Default 42 (Ludwig's default `random_seed`). */
  seed?: number;
  /**
   * The expected embedding size; a file of another size is an error (Ludwig's
   * `force_embedding_size`). Default: take the file's size.
   */
  embeddingSize?: number;
  /** `"error"` (default) or `"skip"` malformed lines. */
  malformed?: "error" | "skip";
  /** Use the per-path cache. Default `true`. */
  cache?: boolean;
}

/** An embedding matrix aligned to a vocabulary. */
export interface PretrainedEmbeddings {
  /** Row-major `[vocabSize, embeddingSize]`; row `i` embeds the vocabulary's token `i`. */
  matrix: Float32Array;
  /** `[vocabSize, embeddingSize]`. */
  shape: [number, number];
  /** Values per vector. */
  embeddingSize: number;
  /** Vocabulary entries found in the file. */
  found: number;
  /** Vocabulary entries not in the file (randomly initialized), in index order. */
  missing: string[];
}

/** mulberry32: a small, fast, seedable 32-bit generator returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Build the embedding matrix of a vocabulary from a GloVe file, as Ludwig's
 * `load_pretrained_embeddings`: found words get their vectors; missing ones get the mean of
 * the found vectors plus seeded uniform noise in [-0.01, 0.01).
 *
 * @param path The GloVe file.
 * @param vocab A vocabulary (`lib/data/vocabulary.ts`) or its `idx2str` list.
 * @param options `seed`, `embeddingSize`, `malformed`, `cache`.
 * @returns The matrix, its shape and which words were missing.
 * @throws {DataError} The file is malformed, has another size than `embeddingSize`,
 * or holds none of the vocabulary's words.
 *
 * @example Align a tiny file to a vocabulary
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { loadPretrainedEmbeddings } from "./glove.ts";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "the 1 2\ncat 3 4\n");
 * const emb = await loadPretrainedEmbeddings(path, ["<PAD>", "cat", "the"]);
 * assertEquals(emb.shape, [3, 2]);
 * assertEquals([...emb.matrix.subarray(2, 6)], [3, 4, 1, 2]);
 * assertEquals(emb.missing, ["<PAD>"]);
 * assertEquals(Math.abs(emb.matrix[0] - 2) <= 0.01, true);
 * await Deno.remove(path);
 * ```
 */
export async function loadPretrainedEmbeddings(
  path: string,
  vocab: { readonly idx2str: readonly string[] } | readonly string[],
  options: PretrainedEmbeddingsOptions = {},
): Promise<PretrainedEmbeddings> {
  const { seed = 42, embeddingSize, malformed, cache } = options;
  const idx2str = Array.isArray(vocab)
    ? vocab as readonly string[]
    : (vocab as { readonly idx2str: readonly string[] }).idx2str;
  const table = await loadGloVe(path, { only: idx2str, malformed, cache });
  const d = table.embeddingSize;
  if (embeddingSize !== undefined && embeddingSize !== d) {
    throw fileError(
      path,
      `the vectors have ${d} values, but embedding_size is ${embeddingSize}`,
    );
  }
  const mean = new Float64Array(d);
  let found = 0;
  for (const word of idx2str) {
    const row = table.words.get(word);
    if (row === undefined) continue;
    found++;
    for (let k = 0; k < d; k++) mean[k] += table.vectors[row * d + k];
  }
  if (found === 0) {
    throw fileError(
      path,
      `none of the ${idx2str.length} vocabulary words has a vector in the file`,
    );
  }
  for (let k = 0; k < d; k++) mean[k] /= found;
  const random = mulberry32(seed);
  const matrix = new Float32Array(idx2str.length * d);
  const missing: string[] = [];
  idx2str.forEach((word, i) => {
    const row = table.words.get(word);
    if (row !== undefined) {
      matrix.set(table.vectors.subarray(row * d, (row + 1) * d), i * d);
    } else {
      missing.push(word);
      for (let k = 0; k < d; k++) matrix[i * d + k] = mean[k] + (random() * 0.02 - 0.01);
    }
  });
  return { matrix, shape: [idx2str.length, d], embeddingSize: d, found, missing };
}
