/**
 * Reading and writing Ludwig's `training_set_metadata.json`: one entry per feature name with the
 * fitted vocabularies and statistics plus the resolved `preprocessing` block (including
 * `computed_fill_value`), which is everything prediction needs.
 *
 * @example Round trip
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readMetadata, writeMetadata } from "./metadata.ts";
 * const dir = await Deno.makeTempDir();
 * const metadata = { age: { mean: 40, std: 12, preprocessing: { normalization: "zscore" } } };
 * await writeMetadata(`${dir}/training_set_metadata.json`, metadata);
 * assertEquals(await readMetadata(`${dir}/training_set_metadata.json`), metadata);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../_util/files.ts";
import type { TrainingSetMetadata } from "./_common.ts";

/** Ludwig's file name of the training-set metadata. */
export const TRAINING_SET_METADATA_FILE = "training_set_metadata.json";

/**
 * Writes training-set metadata as JSON, atomically (temporary file + rename).
 *
 * @param path The file to write.
 * @param metadata The metadata.
 *
 * @example Write metadata
 * ```ts
 * import { writeMetadata } from "./metadata.ts";
 * const dir = await Deno.makeTempDir();
 * await writeMetadata(`${dir}/m.json`, { label: { idx2str: ["a", "b"] } });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeMetadata(path: string, metadata: TrainingSetMetadata): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(metadata, null, 2)}\n`);
}

/**
 * Reads training-set metadata written by {@linkcode writeMetadata} (or by Ludwig).
 *
 * @param path The file to read.
 * @returns The metadata.
 * @throws {TypeError} When the file is not a JSON object of feature entries.
 *
 * @example Read metadata
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readMetadata, writeMetadata } from "./metadata.ts";
 * const dir = await Deno.makeTempDir();
 * await writeMetadata(`${dir}/m.json`, { x: { vector_size: 3 } });
 * assertEquals((await readMetadata(`${dir}/m.json`)).x.vector_size, 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readMetadata(path: string): Promise<TrainingSetMetadata> {
  const text = await readFile(path, "utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TypeError(
      `Cannot read metadata "${path}": invalid JSON: ${(error as Error).message}`,
    );
  }
  return checkMetadata(value, path);
}

/** Checks the shape of parsed metadata: an object of objects. */
export function checkMetadata(value: unknown, path = "metadata"): TrainingSetMetadata {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Cannot read metadata "${path}": expected an object of feature entries`);
  }
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new TypeError(
        `Cannot read metadata "${path}": entry "${name}": expected an object, received ${
          JSON.stringify(entry)
        }`,
      );
    }
  }
  return value as TrainingSetMetadata;
}
