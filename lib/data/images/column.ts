/**
 * A column of image cells → one contiguous uint8 tensor `[rows, height, width, channels]`:
 * Ludwig's size and channel inference (`infer_image_dimensions`, `infer_image_num_channels`,
 * the first `infer_image_sample_size` images) and decoding in `num_processes` Deno workers, in
 * row order. A bad cell raises a {@linkcode DataError} naming the dataset file, the column, the
 * row and the image.
 *
 * @module
 */
import { DataError } from "../errors.ts";
import type { ImageTarget } from "./decode.ts";
import { decodeImage, type RawImage } from "./decode.ts";
import {
  imageBaseDir,
  type ImageSourceOptions,
  isMissingImageCell,
  readImageSource,
  resolveImageCell,
} from "./source.ts";
import { type JobItem, runShapeJob, ShapeJobError } from "./_shape_job.ts";
import type { ImageWorkerReply, ImageWorkerRequest } from "../_image_worker.ts";

/** The image preprocessing keys the column functions read (a subset of the feature's schema). */
export interface ImageShapeSettings {
  /** Explicit height, or null. */
  height: number | null;
  /** Explicit width, or null. */
  width: number | null;
  /** Explicit channel count, or null. */
  num_channels: number | null;
  /** `interpolate` or `crop_or_pad`. */
  resize_method: "interpolate" | "crop_or_pad";
  /** Infer the size from the sample. */
  infer_image_dimensions: boolean;
  /** Infer the channel count from the sample. */
  infer_image_num_channels: boolean;
  /** Cap on the inferred height. */
  infer_image_max_height: number;
  /** Cap on the inferred width. */
  infer_image_max_width: number;
  /** Number of first cells sampled. */
  infer_image_sample_size: number;
  /** Force a square size (the smaller side). */
  requires_equal_dimensions: boolean;
  /** A pretrained torchvision encoder's transform (resize the shorter side, center crop). */
  torchvision_transform?: TorchvisionTransformSettings | null;
}

/** `preprocessing.torchvision_transform` (set from a torchvision encoder). */
export interface TorchvisionTransformSettings {
  /** The shorter side after resizing. */
  resize_size: number;
  /** The center crop's side. */
  crop_size: number;
  /** The resize interpolation. */
  interpolation: "bilinear" | "bicubic" | "nearest";
}

/**
 * The fitted shape of an image column, stored in the training-set metadata (snake_case, JSON).
 */
export interface ImageShape {
  /** Rows of every image. */
  height: number;
  /** Columns of every image. */
  width: number;
  /** Channels of every image. */
  num_channels: number;
  /** Whether images of another size are resized (false: they are an error). */
  should_resize: boolean;
  /** Whether images of another channel count are converted (false: they are an error). */
  convert_channels: boolean;
  /** `interpolate` or `crop_or_pad`. */
  resize_method: "interpolate" | "crop_or_pad";
  /** A torchvision encoder's transform, which replaces `resize_method` when set. */
  torchvision_transform?: TorchvisionTransformSettings | null;
}

/** Where the column comes from, for resolution and messages. */
export interface ImageColumnContext extends ImageSourceOptions {
  /** The column's name. */
  column: string;
  /** The dataset's file, if any: messages name it, and relative paths resolve against its folder. */
  file?: string;
}

/** Options of {@linkcode decodeImageColumn}. */
export interface DecodeImageColumnOptions extends ImageColumnContext {
  /** Number of decoding workers (`num_processes`); 1 decodes on the calling thread. */
  numProcesses?: number;
  /** Pixel value of missing cells (`fill_with_const` with a number); without it they are errors. */
  missingFill?: number;
  /** Images per job sent to a worker (default 64). */
  jobSize?: number;
  /**
   * Allocate the result in a `SharedArrayBuffer`, so that the prefetcher's workers
   * (`lib/train/prefetch.ts`) read it without a copy.
   */
  shared?: boolean;
}

/** A decoded image column: `length × height × width × channels` bytes, HWC per image. */
export interface ImageColumn {
  /** The pixels. */
  data: Uint8Array;
  /** Number of images. */
  length: number;
  /** Rows per image. */
  height: number;
  /** Columns per image. */
  width: number;
  /** Channels per image. */
  channels: number;
}

/**
 * A {@linkcode DataError} at one cell, in the style of the feature layer's `cellError`:
 * `Cannot preprocess "<file>": column "<c>": data row <n>: <detail>` (`row` is 0-based, the
 * message 1-based).
 */
export function imageCellError(ctx: ImageColumnContext, row: number, detail: string): DataError {
  const error = new DataError(`data row ${row + 1}: ${detail}`, {
    action: "Cannot preprocess",
    file: ctx.file,
    column: ctx.column,
    featureType: "image",
  });
  Object.defineProperty(error, "row", { value: row, enumerable: true });
  return error;
}

function baseOptions(ctx: ImageColumnContext): ImageSourceOptions {
  return { ...ctx, baseDir: ctx.baseDir ?? imageBaseDir(ctx.file) };
}

async function readCell(cell: unknown, options: ImageSourceOptions): Promise<RawImage> {
  const source = await resolveImageCell(cell, options);
  const bytes = await readImageSource(source);
  try {
    return await decodeImage(bytes);
  } catch (error) {
    throw new TypeError(`cannot read ${source.label}: ${(error as Error).message}`);
  }
}

/**
 * Ludwig's channel inference: the majority (more than half) of the sample when it is 1, 2 or 4
 * channels, else 3 (web images are mostly RGB).
 *
 * @param counts Channel counts of the sampled images.
 * @returns The inferred count.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { inferNumChannels } from "./column.ts";
 * assertEquals(inferNumChannels([1, 1, 3]), 1);
 * assertEquals(inferNumChannels([1, 4, 3, 4]), 3);
 * ```
 */
export function inferNumChannels(counts: readonly number[]): number {
  for (const c of [1, 2, 4]) {
    if (counts.filter((x) => x === c).length > counts.length / 2) return c;
  }
  return 3;
}

/**
 * Fits the shape of an image column (Ludwig's `_finalize_preprocessing_parameters`):
 * explicit `height`/`width` resize to them (one alone takes the other from the inference or the
 * first image); otherwise, with `infer_image_dimensions`, the rounded mean size of the readable
 * images among the first `infer_image_sample_size` cells, capped by `infer_image_max_*`;
 * otherwise the first image's size, and other sizes are errors. Channels: explicit
 * `num_channels`, else the inferred majority (`infer_image_num_channels`), else the first
 * image's count (then other counts are errors). `requires_equal_dimensions` takes the smaller
 * side for both.
 *
 * @param cells The column's cells (training split).
 * @param settings The preprocessing keys.
 * @param ctx Column name, dataset file, base and cache folders.
 * @returns The fitted shape.
 * @throws {DataError} When no readable image is found where one is needed.
 *
 * @example Explicit size
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { inferImageShape } from "./column.ts";
 * const shape = await inferImageShape([], {
 *   height: 8, width: 8, num_channels: 3, resize_method: "interpolate",
 *   infer_image_dimensions: true, infer_image_num_channels: true, infer_image_max_height: 256,
 *   infer_image_max_width: 256, infer_image_sample_size: 100, requires_equal_dimensions: false,
 * }, { column: "image" });
 * assertEquals([shape.height, shape.width, shape.num_channels], [8, 8, 3]);
 * ```
 */
export async function inferImageShape(
  cells: readonly unknown[],
  settings: ImageShapeSettings,
  ctx: ImageColumnContext,
): Promise<ImageShape> {
  const explicitHeight = settings.height !== null;
  const explicitWidth = settings.width !== null;
  const explicitChannels = settings.num_channels !== null;
  const needSize = !(explicitHeight && explicitWidth);
  const sampleSize = settings.infer_image_sample_size;
  const options = baseOptions(ctx);
  const sample: RawImage[] = [];
  let first: RawImage | undefined;
  const wantSample = (needSize && settings.infer_image_dimensions) ||
    (!explicitChannels && settings.infer_image_num_channels);
  if (needSize || !explicitChannels) {
    let firstError: { row: number; detail: string } | undefined;
    const limit = wantSample ? Math.min(sampleSize, cells.length) : cells.length;
    for (let row = 0; row < limit; row++) {
      if (isMissingImageCell(cells[row])) continue;
      try {
        const image = await readCell(cells[row], options);
        first ??= image;
        sample.push(image);
      } catch (error) {
        firstError ??= { row, detail: (error as Error).message };
        // Ludwig skips unreadable images while sampling; the first image must be readable
        // when nothing is inferred.
        if (!wantSample) throw imageCellError(ctx, row, firstError.detail);
        continue;
      }
      if (!wantSample) break;
    }
    if (sample.length === 0) {
      const where = wantSample ? `the first ${limit} rows` : "the column";
      const why = firstError === undefined
        ? "every cell is missing"
        : `first failure at data row ${firstError.row + 1}: ${firstError.detail}`;
      throw new DataError(
        `no readable image in ${where} to infer the image size and channels from (${why}): set preprocessing.height, width and num_channels`,
        { action: "Cannot preprocess", file: ctx.file, column: ctx.column, featureType: "image" },
      );
    }
  }
  let height: number;
  let width: number;
  let shouldResize: boolean;
  if (!needSize) {
    height = settings.height!;
    width = settings.width!;
    shouldResize = true;
  } else if (settings.infer_image_dimensions) {
    const meanH = sample.reduce((a, x) => a + x.height, 0) / sample.length;
    const meanW = sample.reduce((a, x) => a + x.width, 0) / sample.length;
    height = settings.height ?? Math.round(Math.min(meanH, settings.infer_image_max_height));
    width = settings.width ?? Math.round(Math.min(meanW, settings.infer_image_max_width));
    shouldResize = true;
  } else {
    height = settings.height ?? first!.height;
    width = settings.width ?? first!.width;
    shouldResize = explicitHeight || explicitWidth;
  }
  if (settings.requires_equal_dimensions && height !== width) {
    height = width = Math.min(height, width);
    shouldResize = true;
  }
  let numChannels: number;
  let convert: boolean;
  if (explicitChannels) {
    numChannels = settings.num_channels!;
    convert = true;
  } else if (settings.infer_image_num_channels) {
    numChannels = inferNumChannels(sample.map((x) => x.channels));
    convert = true;
  } else {
    numChannels = first!.channels;
    convert = false;
  }
  return {
    height,
    width,
    num_channels: numChannels,
    should_resize: shouldResize,
    convert_channels: convert,
    resize_method: settings.resize_method,
    ...(settings.torchvision_transform
      ? { torchvision_transform: settings.torchvision_transform }
      : {}),
  };
}

/** The decoding target of a fitted shape. */
export function imageTarget(shape: ImageShape): ImageTarget {
  return {
    height: shape.height,
    width: shape.width,
    channels: shape.num_channels,
    resize: shape.should_resize,
    resizeMethod: shape.resize_method,
    convertChannels: shape.convert_channels,
    torchvision: shape.torchvision_transform
      ? {
        resizeSize: shape.torchvision_transform.resize_size,
        cropSize: shape.torchvision_transform.crop_size,
        interpolation: shape.torchvision_transform.interpolation,
      }
      : null,
  };
}

const WORKER_URL = new URL("../_image_worker.ts", import.meta.url);

/**
 * Decodes a column into one uint8 buffer, in row order, on the calling thread
 * (`numProcesses` 1) or in that many module workers (each job's pixels come back as a
 * transferred buffer). Missing cells must have been filled by the missing-value strategy, or
 * `missingFill` given.
 *
 * @param cells The column's cells.
 * @param shape The fitted shape (from {@linkcode inferImageShape} or the metadata).
 * @param options Column context and parallelism.
 * @returns The decoded column.
 * @throws {DataError} At the first bad cell (lowest row), naming file, column, row and image.
 *
 * @example Decode data URIs
 * ```ts
 * import sharp from "npm:sharp@0.35.5";
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { decodeImageColumn } from "./column.ts";
 * const png = await sharp(new Uint8Array([1, 2, 3, 4]), { raw: { width: 2, height: 2, channels: 1 } })
 *   .png().toBuffer();
 * const uri = `data:image/png;base64,${btoa(String.fromCharCode(...png))}`;
 * const shape = { height: 2, width: 2, num_channels: 1, should_resize: true, convert_channels: true, resize_method: "interpolate" as const };
 * const column = await decodeImageColumn([uri, uri], shape, { column: "image" });
 * assertEquals(Array.from(column.data), [1, 2, 3, 4, 1, 2, 3, 4]);
 * ```
 */
export async function decodeImageColumn(
  cells: readonly unknown[],
  shape: ImageShape,
  options: DecodeImageColumnOptions,
): Promise<ImageColumn> {
  const target = imageTarget(shape);
  const sourceOptions = baseOptions(options);
  const size = target.height * target.width * target.channels;
  const n = cells.length;
  const data = options.shared
    ? new Uint8Array(new SharedArrayBuffer(n * size))
    : new Uint8Array(n * size);
  const jobSize = Math.max(1, options.jobSize ?? 64);
  const processes = Math.max(1, Math.min(options.numProcesses ?? 1, Math.ceil(n / jobSize)));
  let firstFailure: { row: number; detail: string } | undefined;
  const fail = (row: number, detail: string) => {
    if (firstFailure === undefined || row < firstFailure.row) firstFailure = { row, detail };
  };

  async function makeJob(start: number): Promise<JobItem[] | undefined> {
    const items: JobItem[] = [];
    for (let row = start; row < Math.min(n, start + jobSize); row++) {
      const cell = cells[row];
      if (isMissingImageCell(cell)) {
        if (options.missingFill === undefined) {
          fail(row, "the image is missing (no missing-value strategy filled it)");
          return undefined;
        }
        items.push({
          row,
          source: { kind: "constant", value: options.missingFill, label: "fill" },
        });
        continue;
      }
      try {
        items.push({ row, source: await resolveImageCell(cell, sourceOptions) });
      } catch (error) {
        fail(row, (error as Error).message);
        return undefined;
      }
    }
    return items;
  }

  const starts: number[] = [];
  for (let s = 0; s < n; s += jobSize) starts.push(s);

  if (processes === 1) {
    for (const start of starts) {
      if (firstFailure !== undefined) break;
      const items = await makeJob(start);
      if (items === undefined) break;
      try {
        data.set(await runShapeJob(items, target), start * size);
      } catch (error) {
        if (error instanceof ShapeJobError) fail(error.failure.row, error.failure.detail);
        else throw error;
      }
    }
  } else {
    const workers = Array.from(
      { length: processes },
      () => new Worker(WORKER_URL, { type: "module" }),
    );
    try {
      let nextJob = 0;
      const lane = async (worker: Worker) => {
        while (firstFailure === undefined && nextJob < starts.length) {
          const start = starts[nextJob++];
          const items = await makeJob(start);
          if (items === undefined) return;
          const reply = await new Promise<ImageWorkerReply>((resolve, reject) => {
            worker.onmessage = (event: MessageEvent<ImageWorkerReply>) => resolve(event.data);
            worker.onerror = (event) => {
              event.preventDefault();
              reject(new Error(`image decoding worker failed: ${event.message}`));
            };
            // Input bytes are copied (they may belong to the caller's dataset); pixels come back
            // transferred.
            worker.postMessage({ id: start, items, target } satisfies ImageWorkerRequest);
          });
          if ("data" in reply) data.set(reply.data, start * size);
          else if ("failure" in reply) fail(reply.failure.row, reply.failure.detail);
          else throw new Error(`image decoding worker failed: ${reply.crash}`);
        }
      };
      await Promise.all(workers.map(lane));
    } finally {
      for (const worker of workers) worker.terminate();
    }
  }
  if (firstFailure !== undefined) {
    const failure = firstFailure as { row: number; detail: string };
    throw imageCellError(options, failure.row, failure.detail);
  }
  return { data, length: n, height: target.height, width: target.width, channels: target.channels };
}
