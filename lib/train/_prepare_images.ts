/**
 * One image batch's preparation, shared by the prefetcher's workers and its in-thread mode:
 * gather uint8 rows, scale to [0, 1], augment (training only) and standardize.
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

/** An image column as the prefetcher sees it. */
export interface PrefetchImageColumn extends ImageDims {
  /** The pixels, `rows × height × width × channels` (a `SharedArrayBuffer` view avoids copies). */
  data: Uint8Array;
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
    const batch = gatherImages(column.data, column, job.rows);
    if (job.augment && column.augmentation.length > 0) {
      const seeds = new Uint32Array(job.rows.length);
      for (let i = 0; i < seeds.length; i++) {
        seeds[i] = imageSeed(job.seed + k * 0x3c6ef372, job.epoch, job.position + i);
      }
      augmentBatch(batch, column, column.augmentation, seeds);
    }
    if (column.standardize === "imagenet1k") standardizeImagenet(batch, column.channels);
    const scale = column.scale ?? 1;
    if (scale !== 1) { for (let i = 0; i < batch.length; i++) batch[i] *= scale; }
    out[name] = batch;
    k++;
  }
  return out;
}
