/**
 * Image batch preparation on NHWC float32 data: uint8 gather and scaling to [0, 1], Ludwig 0.7's
 * augmentation operations, and ImageNet standardization.
 *
 * Unlike Ludwig, which draws one decision per batch and round-trips through uint8, each image
 * draws its own decisions from its own seeded generator (see {@linkcode imageSeed}), in float:
 * the result depends only on the seed, the epoch and the image's position, never on how
 * batches are split among workers. Each operation fires with probability 0.5.
 *
 * @module
 */
import { seededRandom } from "../_util/random.ts";
import type { AugmentationOperation } from "../features/image_schema.ts";

/** ImageNet-1k channel means (RGB), as torchvision's weights use. */
export const IMAGENET1K_MEAN = [0.485, 0.456, 0.406] as const;
/** ImageNet-1k channel standard deviations (RGB). */
export const IMAGENET1K_STD = [0.229, 0.224, 0.225] as const;

/** The size of one image in a batch. */
export interface ImageDims {
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
  /** Channels (1 to 4; a last channel of 2 or 4 is alpha and is not color-adjusted). */
  channels: number;
}

/**
 * A 32-bit seed for one image: a hash of the run's seed, the epoch and the image's position in
 * the epoch's order.
 *
 * @param seed The run's seed.
 * @param epoch The epoch (0-based).
 * @param index The image's position in the epoch.
 * @returns The image's seed.
 *
 * @example Different positions, different seeds
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { imageSeed } from "./augment.ts";
 * assert(imageSeed(42, 0, 1) !== imageSeed(42, 0, 2));
 * ```
 */
export function imageSeed(seed: number, epoch: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  for (const v of [epoch >>> 0, index >>> 0]) {
    h ^= v + 0x7f4a7c15 + (h << 6) + (h >>> 2);
    h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
    h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * Gathers rows of a uint8 image column into float32 values scaled to [0, 1].
 *
 * @param data The column's pixels, `rows × height × width × channels`.
 * @param dims One image's size.
 * @param rows The rows to gather, in batch order.
 * @param out Optional output of `rows.length * size` floats.
 * @returns The batch, NHWC.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { gatherImages } from "./augment.ts";
 * const batch = gatherImages(new Uint8Array([0, 255]), { height: 1, width: 1, channels: 1 }, [1, 0]);
 * assertEquals(Array.from(batch), [1, 0]);
 * ```
 */
export function gatherImages(
  data: Uint8Array,
  dims: ImageDims,
  rows: ArrayLike<number>,
  out?: Float32Array,
): Float32Array {
  const size = dims.height * dims.width * dims.channels;
  const batch = out ?? new Float32Array(rows.length * size);
  const scale = 1 / 255;
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i] * size;
    const dst = i * size;
    for (let k = 0; k < size; k++) batch[dst + k] = data[src + k] * scale;
  }
  return batch;
}

/**
 * Standardizes a [0, 1] batch in place with ImageNet-1k statistics (`standardize_image:
 * imagenet1k`, 3 channels only).
 *
 * @param batch NHWC values in [0, 1].
 * @param channels Channels per pixel (must be 3).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { standardizeImagenet } from "./augment.ts";
 * const batch = new Float32Array([0.485, 0.456, 0.406]);
 * standardizeImagenet(batch, 3);
 * assertEquals(Array.from(batch, (v) => Math.abs(v) < 1e-6), [true, true, true]);
 * ```
 */
export function standardizeImagenet(batch: Float32Array, channels: number): void {
  if (channels !== 3) {
    throw new RangeError(
      `standardize_image "imagenet1k" needs 3 channels, but the images have ${channels}`,
    );
  }
  for (let i = 0; i < batch.length; i += 3) {
    batch[i] = (batch[i] - IMAGENET1K_MEAN[0]) / IMAGENET1K_STD[0];
    batch[i + 1] = (batch[i + 1] - IMAGENET1K_MEAN[1]) / IMAGENET1K_STD[1];
    batch[i + 2] = (batch[i + 2] - IMAGENET1K_MEAN[2]) / IMAGENET1K_STD[2];
  }
}

function colorChannels(channels: number): number {
  return channels === 2 || channels === 4 ? channels - 1 : channels;
}

function flipHorizontal(img: Float32Array, d: ImageDims): void {
  const { height, width, channels } = d;
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width >> 1; x++) {
      const a = row + x * channels;
      const b = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) {
        const t = img[a + c];
        img[a + c] = img[b + c];
        img[b + c] = t;
      }
    }
  }
}

function flipVertical(img: Float32Array, d: ImageDims): void {
  const rowSize = d.width * d.channels;
  const tmp = new Float32Array(rowSize);
  for (let y = 0; y < d.height >> 1; y++) {
    const a = y * rowSize;
    const b = (d.height - 1 - y) * rowSize;
    tmp.set(img.subarray(a, a + rowSize));
    img.copyWithin(a, b, b + rowSize);
    img.set(tmp, b);
  }
}

/**
 * Rotates counter-clockwise by `degrees` about the image center, nearest pixel, zero fill (as
 * torchvision's `rotate` with its defaults).
 */
function rotate(img: Float32Array, d: ImageDims, degrees: number, scratch: Float32Array): void {
  const { height, width, channels } = d;
  const theta = (degrees * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  scratch.set(img.subarray(0, height * width * channels));
  for (let y = 0; y < height; y++) {
    const dy = y - cy;
    for (let x = 0; x < width; x++) {
      const dx = x - cx;
      const sx = Math.round(cos * dx - sin * dy + cx);
      const sy = Math.round(sin * dx + cos * dy + cy);
      const o = (y * width + x) * channels;
      if (sx < 0 || sy < 0 || sx >= width || sy >= height) {
        for (let c = 0; c < channels; c++) img[o + c] = 0;
      } else {
        const s = (sy * width + sx) * channels;
        for (let c = 0; c < channels; c++) img[o + c] = scratch[s + c];
      }
    }
  }
}

/** torchvision's default sigma for a kernel size. */
function blurSigma(kernelSize: number): number {
  return 0.3 * ((kernelSize - 1) * 0.5 - 1) + 0.8;
}

function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  let j = i;
  while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
  return j;
}

/** Separable Gaussian blur with reflect padding (torchvision's `gaussian_blur`). */
function blur(img: Float32Array, d: ImageDims, kernelSize: number, scratch: Float32Array): void {
  if (kernelSize <= 1) return;
  const { height, width, channels } = d;
  const half = (kernelSize - 1) / 2;
  const sigma = blurSigma(kernelSize);
  const kernel = new Float32Array(kernelSize);
  let sum = 0;
  for (let k = 0; k < kernelSize; k++) {
    kernel[k] = Math.exp(-(((k - half) / sigma) ** 2) / 2);
    sum += kernel[k];
  }
  for (let k = 0; k < kernelSize; k++) kernel[k] /= sum;
  // Horizontal pass into scratch, vertical pass back into img.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < kernelSize; k++) {
          acc += kernel[k] * img[(y * width + reflect(x + k - half, width)) * channels + c];
        }
        scratch[(y * width + x) * channels + c] = acc;
      }
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < kernelSize; k++) {
          acc += kernel[k] * scratch[(reflect(y + k - half, height) * width + x) * channels + c];
        }
        img[(y * width + x) * channels + c] = acc;
      }
    }
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function brightness(img: Float32Array, d: ImageDims, factor: number): void {
  const color = colorChannels(d.channels);
  for (let p = 0; p < d.height * d.width; p++) {
    const o = p * d.channels;
    for (let c = 0; c < color; c++) img[o + c] = clamp01(img[o + c] * factor);
  }
}

/** Blend with the mean gray level (ITU-R 601 luma for color), torchvision's `adjust_contrast`. */
function contrast(img: Float32Array, d: ImageDims, factor: number): void {
  const color = colorChannels(d.channels);
  const n = d.height * d.width;
  let mean = 0;
  for (let p = 0; p < n; p++) {
    const o = p * d.channels;
    mean += color >= 3 ? 0.2989 * img[o] + 0.587 * img[o + 1] + 0.114 * img[o + 2] : img[o];
  }
  mean /= n;
  const offset = (1 - factor) * mean;
  for (let p = 0; p < n; p++) {
    const o = p * d.channels;
    for (let c = 0; c < color; c++) img[o + c] = clamp01(factor * img[o + c] + offset);
  }
}

/**
 * Applies the operations in order to one image in place, drawing from `random` (each operation
 * fires with probability 0.5, then draws its parameter).
 *
 * @param img One image, HWC float32 in [0, 1].
 * @param dims Its size.
 * @param ops The resolved operations.
 * @param random A uniform generator in [0, 1).
 * @param scratch Optional scratch space of at least one image.
 *
 * @example A sure flip
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { augmentImage } from "./augment.ts";
 * const img = new Float32Array([0, 1]);
 * augmentImage(img, { height: 1, width: 2, channels: 1 }, [{ type: "random_horizontal_flip" }], () => 0);
 * assertEquals(Array.from(img), [1, 0]);
 * ```
 */
export function augmentImage(
  img: Float32Array,
  dims: ImageDims,
  ops: readonly AugmentationOperation[],
  random: () => number,
  scratch?: Float32Array,
): void {
  const size = dims.height * dims.width * dims.channels;
  let work = scratch;
  const space = () => (work ??= new Float32Array(size));
  for (const op of ops) {
    if (random() >= 0.5) continue;
    switch (op.type) {
      case "random_horizontal_flip":
        flipHorizontal(img, dims);
        break;
      case "random_vertical_flip":
        flipVertical(img, dims);
        break;
      case "random_rotate":
        rotate(img, dims, (2 * random() - 1) * op.degree, space());
        break;
      case "random_blur":
        blur(img, dims, op.kernel_size, space());
        break;
      case "random_brightness":
        brightness(img, dims, op.min + (op.max - op.min) * random());
        break;
      case "random_contrast":
        contrast(img, dims, op.min + (op.max - op.min) * random());
        break;
    }
  }
}

/**
 * Augments every image of an NHWC batch in place, image `i` from a generator seeded with
 * `seeds[i]` (see {@linkcode imageSeed}), so the result does not depend on batching.
 *
 * @param batch `seeds.length` images, NHWC float32 in [0, 1].
 * @param dims One image's size.
 * @param ops The resolved operations (an empty list leaves the batch unchanged).
 * @param seeds One seed per image.
 *
 * @example Same seeds, same output
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { augmentBatch } from "./augment.ts";
 * const ops = [{ type: "random_rotate" as const, degree: 30 }];
 * const a = new Float32Array(2 * 16).map((_, i) => i / 32);
 * const b = a.slice();
 * augmentBatch(a, { height: 4, width: 4, channels: 1 }, ops, [7, 8]);
 * augmentBatch(b, { height: 4, width: 4, channels: 1 }, ops, [7, 8]);
 * assertEquals(a, b);
 * ```
 */
export function augmentBatch(
  batch: Float32Array,
  dims: ImageDims,
  ops: readonly AugmentationOperation[],
  seeds: ArrayLike<number>,
): void {
  if (ops.length === 0) return;
  const size = dims.height * dims.width * dims.channels;
  if (batch.length !== seeds.length * size) {
    throw new RangeError(
      `augmentBatch: expected ${seeds.length} images of ${size} values, received ${batch.length} values`,
    );
  }
  const scratch = new Float32Array(size);
  for (let i = 0; i < seeds.length; i++) {
    augmentImage(
      batch.subarray(i * size, (i + 1) * size),
      dims,
      ops,
      seededRandom(seeds[i]),
      scratch,
    );
  }
}
