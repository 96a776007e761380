/**
 * Atomic file writes: write to a temporary file beside the target, then rename it into place,
 * so a reader never sees a half-written file. The one implementation of the repository (data
 * writers, charts, metadata, caches and model artifacts all use it).
 *
 * @module
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** What to write: text, bytes, or a function streaming into the open temporary file. */
export type FileContent = string | Uint8Array | ((file: Deno.FsFile) => Promise<void>);

/** Options of {@linkcode writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Create missing parent folders (default true); false fails when the folder is missing. */
  readonly createParents?: boolean;
}

/** Write `data` to `path` atomically (temporary file + rename), creating parent folders. */
export async function writeFileAtomic(
  path: string,
  data: FileContent,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const dir = dirname(path);
  if (options.createParents ?? true) await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${crypto.randomUUID()}.tmp`);
  let handle: Deno.FsFile | undefined;
  try {
    if (typeof data === "function") {
      handle = await Deno.open(tmp, { write: true, createNew: true });
      await data(handle);
      handle.close();
      handle = undefined;
    } else {
      await writeFile(tmp, data);
    }
    await rename(tmp, path);
  } catch (error) {
    try {
      handle?.close();
    } catch {
      // already closed
    }
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Write text to `path` atomically. */
export function writeTextAtomic(path: string, text: string): Promise<void> {
  return writeFileAtomic(path, text);
}
