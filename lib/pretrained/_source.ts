/**
 * Random-access byte sources for the readers: a file read by offset (so that opening a large
 * file reads only its header), or bytes already in memory.
 *
 * @module
 */
import { WeightsError } from "./tensor.ts";

/** Bytes that can be read at any offset. */
export interface ByteSource {
  /** The name used in messages (the path as given, or a label). */
  readonly name: string;
  /** The total length in bytes. */
  readonly size: number;
  /** Whether `read` returns fresh memory (a file) rather than a view of shared bytes. */
  readonly fresh: boolean;
  /** Read exactly `length` bytes at `offset` (an error if they are not all there). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Release the file handle, if any. */
  close(): void;
}

/** A source over bytes in memory. */
export function bytesSource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    fresh: false,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.byteLength) {
        return Promise.reject(
          new WeightsError(
            `the file ends early: needed bytes ${offset}–${
              offset + length
            }, it has ${bytes.byteLength}`,
            { file: name },
          ),
        );
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
    close() {},
  };
}

/** Open a file as a source; a missing file is a {@linkcode WeightsError}. */
export async function fileSource(path: string): Promise<ByteSource> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    const detail = error instanceof Deno.errors.NotFound
      ? "the file does not exist"
      : `cannot open the file: ${(error as Error).message}`;
    throw new WeightsError(detail, { file: path, cause: error });
  }
  const { size, isFile } = await file.stat();
  if (!isFile) {
    file.close();
    throw new WeightsError("not a regular file", { file: path });
  }
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const readAt = async (offset: number, length: number): Promise<Uint8Array> => {
    if (offset < 0 || length < 0 || offset + length > size) {
      throw new WeightsError(
        `the file ends early: needed bytes ${offset}–${offset + length}, it has ${size}`,
        { file: path },
      );
    }
    const out = new Uint8Array(length);
    await file.seek(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < length) {
      const n = await file.read(out.subarray(done));
      if (n === null) throw new WeightsError("the file changed while being read", { file: path });
      done += n;
    }
    return out;
  };
  return {
    name: path,
    size,
    fresh: true,
    read(offset, length) {
      // Reads share one file position: run them one after another.
      const next = queue.then(() => readAt(offset, length));
      queue = next.catch(() => {});
      return next;
    },
    close() {
      if (!closed) file.close();
      closed = true;
    },
  };
}
