/**
 * Private file helpers of the readers: open with data errors, stream bytes while hashing them,
 * gunzip `.gz` files, and read whole files.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { DataError } from "./errors.ts";

/** A path given to a reader, as a string (URLs are converted). */
export function pathString(path: string | URL): string {
  return path instanceof URL ? decodeURIComponent(path.pathname) : path;
}

/** Maps a file-system error to a {@linkcode DataError} naming the file. */
export function fileError(error: unknown, file: string): unknown {
  if (error instanceof DataError) return error;
  if (error instanceof Deno.errors.NotFound) {
    return new DataError("file not found", { file, cause: error });
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new DataError("permission denied", { file, cause: error });
  }
  if (error instanceof Deno.errors.IsADirectory) {
    return new DataError("expected a file, found a directory", { file, cause: error });
  }
  return error;
}

async function statFile(file: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(file);
  } catch (error) {
    throw fileError(error, file);
  }
  if (info.isDirectory) throw new DataError("expected a file, found a directory", { file });
}

/** Whether a path names a gzip-compressed file. */
export function isGzip(file: string): boolean {
  return file.toLowerCase().endsWith(".gz");
}

/**
 * Streams a file's bytes (gunzipped for `.gz`) to `onChunk`, hashing the raw file bytes with
 * SHA-256. `onChunk` may return `false` to stop early; then no digest is returned.
 */
export async function streamFile(
  file: string,
  onChunk: (chunk: Uint8Array) => boolean | void,
): Promise<{ checksum?: string; bytes: number }> {
  await statFile(file);
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(file, { read: true });
  } catch (error) {
    throw fileError(error, file);
  }
  const hash: Hash = createHash("sha256");
  let bytes = 0;
  const raw = handle.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        bytes += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  const stream = isGzip(file)
    ? raw.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    )
    : raw;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (onChunk(value) === false) {
        await reader.cancel();
        return { bytes };
      }
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    if (error instanceof DataError) throw error;
    if (error instanceof TypeError && isGzip(file)) {
      throw new DataError(`cannot decompress: ${error.message}`, { file, cause: error });
    }
    throw fileError(error, file);
  } finally {
    reader.releaseLock();
  }
  return { checksum: hash.digest("hex"), bytes };
}

/** Reads a whole file (gunzipped for `.gz`) and the SHA-256 of its raw bytes. */
export async function readFileBytes(
  file: string,
): Promise<{ bytes: Uint8Array; checksum: string }> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const { checksum } = await streamFile(file, (chunk) => {
    chunks.push(chunk);
    length += chunk.length;
  });
  const bytes = new Uint8Array(length);
  let pos = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, pos);
    pos += chunk.length;
  }
  return { bytes, checksum: checksum! };
}
