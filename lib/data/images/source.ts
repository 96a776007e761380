/**
 * Image cells → encoded bytes. A cell is a file path (a relative path resolves against the
 * dataset file's folder, as Ludwig does), an `http(s)` URL (fetched once into an on-disk cache),
 * a `data:` URI, or bytes (`Uint8Array`/`ArrayBuffer`, as Arrow and Parquet binary columns give).
 *
 * @module
 */
import { dirname, isAbsolute, join, resolve } from "node:path";

/** Where an image cell's bytes come from, after resolution. */
export type ImageSource =
  | { kind: "path"; path: string; label: string }
  | { kind: "bytes"; bytes: Uint8Array; label: string };

/** Options of {@linkcode resolveImageCell}. */
export interface ImageSourceOptions {
  /** Folder relative paths resolve against (default: the current directory). */
  baseDir?: string;
  /** Folder of the URL cache (default `.cache/sonata/images` under the current directory). */
  cacheDir?: string;
  /** The fetch function (tests may pass their own). */
  fetch?: typeof globalThis.fetch;
}

/**
 * The folder relative image paths of a dataset resolve against: the dataset file's folder.
 *
 * @param datasetFile The dataset's file, or undefined for in-memory data.
 * @returns The folder, or undefined (the current directory).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { imageBaseDir } from "./source.ts";
 * assertEquals(imageBaseDir("data/train.csv")?.endsWith("data"), true);
 * ```
 */
export function imageBaseDir(datasetFile: string | undefined): string | undefined {
  return datasetFile === undefined ? undefined : dirname(resolve(datasetFile));
}

/** Whether a cell is missing: null, undefined, NaN or a blank string. */
export function isMissingImageCell(cell: unknown): boolean {
  return cell === null || cell === undefined || (typeof cell === "number" && Number.isNaN(cell)) ||
    (typeof cell === "string" && cell.trim() === "");
}

function shortLabel(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function decodeDataUri(uri: string): Uint8Array {
  const comma = uri.indexOf(",");
  if (comma < 0) throw new TypeError("malformed data URI: no comma");
  const meta = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  if (/;base64$/i.test(meta)) {
    let binary: string;
    try {
      binary = atob(payload.replace(/\s+/g, ""));
    } catch {
      throw new TypeError("malformed data URI: invalid base64");
    }
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  }
  try {
    return new TextEncoder().encode(decodeURIComponent(payload));
  } catch {
    throw new TypeError("malformed data URI: invalid percent-encoding");
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** In-flight downloads, so that one URL repeated in a column is fetched once. */
const downloads = new Map<string, Promise<Uint8Array>>();

async function fetchCached(url: string, options: ImageSourceOptions): Promise<Uint8Array> {
  const cacheDir = resolve(options.cacheDir ?? join(".cache", "sonata", "images"));
  const file = join(cacheDir, await sha256Hex(url));
  try {
    return await Deno.readFile(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const key = `${cacheDir}\u0000${url}`;
  let pending = downloads.get(key);
  if (pending === undefined) {
    pending = (async () => {
      const doFetch = options.fetch ?? globalThis.fetch;
      let response: Response;
      try {
        response = await doFetch(url);
      } catch (error) {
        throw new TypeError(`cannot fetch: ${error instanceof Error ? error.message : error}`);
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new TypeError(`cannot fetch: HTTP ${response.status}`);
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      await Deno.mkdir(cacheDir, { recursive: true });
      const tmp = `${file}.${crypto.randomUUID()}.tmp`;
      await Deno.writeFile(tmp, bytes);
      await Deno.rename(tmp, file);
      return bytes;
    })();
    downloads.set(key, pending);
    pending.finally(() => downloads.delete(key)).catch(() => {});
  }
  return await pending;
}

/**
 * Resolves one non-missing cell to its source. URLs are downloaded here (through the cache);
 * paths are only resolved (read later, possibly in a worker). Throws a `TypeError` with the
 * reason for a cell that is no image reference.
 *
 * @param cell The cell.
 * @param options Base folder, cache folder, fetch.
 * @returns The source and its label for messages.
 *
 * @example A data URI
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { resolveImageCell } from "./source.ts";
 * const source = await resolveImageCell("data:image/png;base64,AAEC", {});
 * assertEquals(source.kind === "bytes" && Array.from(source.bytes), [0, 1, 2]);
 * ```
 */
export async function resolveImageCell(
  cell: unknown,
  options: ImageSourceOptions,
): Promise<ImageSource> {
  if (cell instanceof Uint8Array) return { kind: "bytes", bytes: cell, label: "the image bytes" };
  if (cell instanceof ArrayBuffer) {
    return { kind: "bytes", bytes: new Uint8Array(cell), label: "the image bytes" };
  }
  if (typeof cell !== "string") {
    throw new TypeError(
      `expected an image path, URL, data URI or bytes, received a ${
        cell === null ? "null" : typeof cell
      }`,
    );
  }
  const text = cell.trim();
  if (/^data:/i.test(text)) {
    return { kind: "bytes", bytes: decodeDataUri(text), label: `data URI ${shortLabel(text)}` };
  }
  if (/^https?:\/\//i.test(text)) {
    const label = `image ${shortLabel(text)}`;
    try {
      return { kind: "bytes", bytes: await fetchCached(text, options), label };
    } catch (error) {
      throw new TypeError(`cannot read ${label}: ${(error as Error).message}`);
    }
  }
  const path = isAbsolute(text) || options.baseDir === undefined
    ? text
    : join(options.baseDir, text);
  return { kind: "path", path, label: `image ${shortLabel(text)}` };
}

/**
 * Reads a source's bytes. Throws a `TypeError` naming the image and the reason.
 *
 * @param source A resolved source.
 * @returns The encoded bytes.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { readImageSource } from "./source.ts";
 * const bytes = await readImageSource({ kind: "bytes", bytes: new Uint8Array([1]), label: "x" });
 * assertEquals(bytes.length, 1);
 * ```
 */
export async function readImageSource(source: ImageSource): Promise<Uint8Array> {
  if (source.kind === "bytes") return source.bytes;
  try {
    return await Deno.readFile(source.path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found"
      : error instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (error as Error).message;
    throw new TypeError(`cannot read ${source.label}: ${reason}`);
  }
}
