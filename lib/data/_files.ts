/**
 * Private file helpers of the readers: open with data errors, stream bytes while hashing them,
 * gunzip `.gz` files, and read whole files.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { envLimit, formatBytes } from "../_util/guard.ts";
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

async function statFile(file: string): Promise<number> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(file);
  } catch (error) {
    throw fileError(error, file);
  }
  if (info.isDirectory) throw new DataError("expected a file, found a directory", { file });
  return info.size;
}

/** The smallest decompressed size a `.gz` file may always reach (256 MiB). */
export const MIN_DECOMPRESSED_LIMIT = 256 * 2 ** 20;

/** How many times its compressed size a `.gz` file may decompress to, above 256 MiB. */
export const MAX_GZIP_RATIO = 200;

/**
 * The decompressed-size limit of a `.gz` file of `size` bytes: the environment variable
 * `SONATA_MAX_DECOMPRESSED_BYTES` (bytes; `0` for none), else the larger of 256 MiB and 200
 * times the compressed size (a gzip bomb expands about 1000 times; real tables 3 to 30 times).
 */
export function decompressedLimit(size: number): number {
  return envLimit(
    "SONATA_MAX_DECOMPRESSED_BYTES",
    Math.max(MIN_DECOMPRESSED_LIMIT, MAX_GZIP_RATIO * size),
  );
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
  const size = await statFile(file);
  const limit = isGzip(file) ? decompressedLimit(size) : Infinity;
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
  let decompressed = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      decompressed += value.length;
      if (decompressed > limit) {
        throw new DataError(
          `decompresses to more than ${formatBytes(limit)} from ${
            formatBytes(size)
          } (a gzip bomb?); set SONATA_MAX_DECOMPRESSED_BYTES to a larger number of bytes, or 0 for no limit`,
          { file },
        );
      }
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
