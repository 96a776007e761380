/**
 * One image batch's preparation, shared by the prefetcher's workers and its in-thread mode:
 * gather uint8 rows (from the in-memory column, or the batch's pixels read from a streamed
 * column's source), scale to [0, 1], augment (training only) and standardize. A batch that is
 * neither augmented nor standardized, for a model that normalizes itself (`scale` 255), is the
 * raw pixel values as float32, exactly what the in-memory batch gatherer gives.
 *
 * @module
 */
import {
  augmentBatch,
  gatherImages,
  type ImageDims,
  imageSeed,
  standardizeImagenet,
} from "../data/augment.ts";
import type { AugmentationOperation } from "../features/image_schema.ts";
import type { ColumnSource } from "./batches.ts";

/** An image column as the prefetcher sees it. */
export interface PrefetchImageColumn extends ImageDims {
  /**
   * The pixels, `rows × height × width × channels` (a `SharedArrayBuffer` view avoids copies);
   * absent for a column read from `source`.
   */
  data?: Uint8Array;
  /**
   * A streamed column (`in_memory: false`): the prefetcher reads each batch's rows from it
   * ahead of time on the calling thread and hands them to the worker with the job (never sent
   * to workers itself).
   */
  source?: ColumnSource;
  /** Augmentation applied when the epoch asks for it (resolved operations; [] for none). */
  augmentation: readonly AugmentationOperation[];
  /** `imagenet1k` or null. */
  standardize: "imagenet1k" | null;
  /**
   * Multiply the prepared values by this (255: back to the 0–255 range of a model whose first
   * layer normalizes, as the image encoders' does); default 1.
   */
  scale?: number;
}

/** What one batch needs beyond the columns. */
export interface BatchJob {
  /** The dataset rows of the batch, in order. */
  rows: Int32Array;
  /** The position of the batch's first row in the epoch's order (for per-image seeds). */
  position: number;
  /** The epoch (0-based). */
  epoch: number;
  /** The run's seed. */
  seed: number;
  /** Whether to augment (training batches only). */
  augment: boolean;
  /** The batch's pixels of the streamed columns, by name, rows in batch order. */
  pixels?: Record<string, Uint8Array>;
}

/**
 * Prepares the images of one batch for every column. Column `k` (in the object's key order)
 * draws from seeds offset by `k`, so two image features of a row do not share decisions.
 */
export function prepareImageBatch(
  columns: Readonly<Record<string, PrefetchImageColumn>>,
  job: BatchJob,
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  let k = 0;
  for (const [name, column] of Object.entries(columns)) {
    const pixels = job.pixels?.[name];
    const augment = job.augment && column.augmentation.length > 0;
    const scale = column.scale ?? 1;
    if (!augment && column.standardize === null && scale === 255) {
      // The raw values, as the in-memory gatherer gives them (no ÷255 × 255 round trip).
      out[name] = pixels !== undefined
        ? Float32Array.from(pixels)
        : rawRows(dataOf(column, name), column, job.rows);
      k++;
      continue;
    }
    const batch = pixels !== undefined
      ? gatherImages(pixels, column, identity(job.rows.length))
      : gatherImages(dataOf(column, name), column, job.rows);
    if (augment) {
      const seeds = new Uint32Array(job.rows.length);
      for (let i = 0; i < seeds.length; i++) {
        seeds[i] = imageSeed(job.seed + k * 0x3c6ef372, job.epoch, job.position + i);
      }
      augmentBatch(batch, column, column.augmentation, seeds);
    }
    if (column.standardize === "imagenet1k") standardizeImagenet(batch, column.channels);
    if (scale !== 1) { for (let i = 0; i < batch.length; i++) batch[i] *= scale; }
    out[name] = batch;
    k++;
  }
  return out;
}

function dataOf(column: PrefetchImageColumn, name: string): Uint8Array {
  if (column.data === undefined) {
    throw new TypeError(`Cannot prepare image batch: column "${name}" has neither data nor pixels`);
  }
  return column.data;
}

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** The rows `rows` of an image column as float32 values 0–255. */
function rawRows(data: Uint8Array, dims: ImageDims, rows: Int32Array): Float32Array {
  const size = dims.height * dims.width * dims.channels;
  const out = new Float32Array(rows.length * size);
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i] * size;
    const dst = i * size;
    for (let j = 0; j < size; j++) out[dst + j] = data[src + j];
  }
  return out;
}
