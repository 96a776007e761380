/**
 * The image feature type (Ludwig's `ImageFeatureMixin`): cells are image references (file paths
 * resolved against the dataset file's folder, URLs, data URIs, bytes) decoded through
 * `lib/data/images`.
 *
 * - parse: on the training split the target shape is fitted first (Ludwig's inference over the
 *   first `infer_image_sample_size` images, `inferImageShape`); at prediction the shape stored in
 *   the metadata's `preprocessing` (`height`, `width`, `num_channels`) is reused. Every
 *   non-missing cell is then decoded (in `num_processes` workers) to uint8 HWC pixels; a bad cell
 *   is a `DataError` naming the file, the column, the data row and the image.
 * - missing values: `bfill`, `ffill`, `drop_row`, or `fill_with_const` with a pixel value 0–255
 *   (a constant image) or an image reference (decoded once).
 * - fit: the fitted `height`, `width`, `num_channels` are written into the feature's
 *   `preprocessing` (as Ludwig does, so prediction decodes to the same shape) and recorded beside
 *   Ludwig's `reshape` (`[channels, height, width]`).
 * - encode: a uint8 column of shape `[height, width, channels]`. Normalization (÷255, optional
 *   ImageNet standardization) is the encoder's first layer, so every path that runs the model
 *   (training, evaluation, prediction, saved models, serving) applies it.
 *
 * @module
 */
import {
  decodeImageColumn,
  type ImageShape,
  inferImageShape,
  isMissingImageCell,
} from "../data/images/mod.ts";
import { DataError } from "../data/errors.ts";
import type { Cell } from "../data/dataset.ts";
import type { ImagePreprocessingConfig } from "./image_schema.ts";
import {
  cellError,
  columnError,
  type EncodedColumn,
  type FeatureContext,
  type FeatureImpl,
  type FeatureMetadata,
  type Parsed,
} from "./_common.ts";

/** The shape each context's parse fitted or reused (read by parseFill, fit and encode). */
const shapes = new WeakMap<FeatureContext, ImageShape>();
/** Decoded `fill_with_const` images given as image references, by context and reference. */
const fillImages = new WeakMap<FeatureContext, Map<string, Uint8Array>>();
/** The JSON form of each parsed fill image. */
const fillJson = new WeakMap<Uint8Array, unknown>();

function settingsOf(ctx: FeatureContext): ImagePreprocessingConfig {
  return ctx.preprocessing as unknown as ImagePreprocessingConfig;
}

function shapeOf(ctx: FeatureContext): ImageShape {
  const shape = shapes.get(ctx);
  if (shape === undefined) {
    throw new TypeError(
      `Cannot preprocess feature "${ctx.name}": the image shape is not known before parsing`,
    );
  }
  return shape;
}

const imageSize = (s: ImageShape) => s.height * s.width * s.num_channels;

/** Re-locates an error of `lib/data/images` at entry `i` of `cells` to the dataset row. */
function relocate(error: unknown, ctx: FeatureContext, rowOf: (i: number) => number): never {
  if (error instanceof DataError) {
    const at = (error as DataError & { row?: number }).row;
    if (typeof at === "number") {
      throw cellError(ctx, rowOf(at), error.detail.replace(/^data row \d+: /, ""));
    }
    throw columnError(ctx, error.detail);
  }
  throw error;
}

/**
 * A torchvision encoder's transform (`torchvision_transform`, copied from the encoder config):
 * the images become `crop_size` × `crop_size` RGB, as Ludwig forces them; a `height`, `width` or
 * `num_channels` that says otherwise is an error naming it.
 */
function forceTorchvisionShape(ctx: FeatureContext): void {
  const prep = ctx.preprocessing;
  const tv = prep.torchvision_transform as { crop_size: number } | null | undefined;
  if (!tv) return;
  const forced = { height: tv.crop_size, width: tv.crop_size, num_channels: 3 };
  for (const [key, want] of Object.entries(forced)) {
    const given = prep[key];
    if (given !== null && given !== undefined && given !== want) {
      throw columnError(
        ctx,
        `"preprocessing.${key}: ${given}" contradicts the torchvision encoder's transform ` +
          `(${tv.crop_size}x${tv.crop_size} RGB images): remove it or set it to ${want}`,
      );
    }
    prep[key] = want;
  }
}

async function parse(
  cells: readonly Cell[],
  rows: Int32Array,
  ctx: FeatureContext,
): Promise<Parsed> {
  const prep = settingsOf(ctx);
  forceTorchvisionShape(ctx);
  const n = rows.length;
  const sub = Array.from(rows, (r) => cells[r] as unknown);
  const where = { column: ctx.column, file: ctx.file };
  let shape: ImageShape;
  try {
    shape = await inferImageShape(sub, prep, where);
  } catch (error) {
    relocate(error, ctx, (i) => rows[i]);
  }
  if (prep.standardize_image === "imagenet1k" && shape.num_channels !== 3) {
    throw columnError(
      ctx,
      `"standardize_image: imagenet1k" needs 3 channels, but the images have ${shape.num_channels}: set "num_channels: 3" or "standardize_image: null"`,
    );
  }
  shapes.set(ctx, shape);
  const missing = new Uint8Array(n);
  const present: number[] = [];
  for (let i = 0; i < n; i++) {
    if (isMissingImageCell(sub[i])) missing[i] = 1;
    else present.push(i);
  }
  let decoded: Uint8Array;
  try {
    decoded = (await decodeImageColumn(present.map((i) => sub[i]), shape, {
      ...where,
      numProcesses: prep.num_processes,
    })).data;
  } catch (error) {
    relocate(error, ctx, (k) => rows[present[k]]);
  }
  const size = imageSize(shape);
  const values = new Array<unknown>(n).fill(null);
  present.forEach((i, k) => values[i] = decoded.subarray(k * size, (k + 1) * size));
  // A fill image given as a reference is decoded now (parseFill is synchronous).
  if (prep.missing_value_strategy === "fill_with_const") {
    const refs = [prep.computed_fill_value, prep.fill_value].filter((v): v is string =>
      typeof v === "string"
    );
    const table = new Map<string, Uint8Array>();
    for (const ref of refs) {
      try {
        table.set(ref, (await decodeImageColumn([ref], shape, where)).data);
      } catch (error) {
        const detail = error instanceof DataError
          ? error.detail.replace(/^data row \d+: /, "")
          : String(error);
        throw columnError(ctx, `cannot use "fill_value" ${JSON.stringify(ref)}: ${detail}`);
      }
    }
    fillImages.set(ctx, table);
  }
  return { values, missing, rows: rows.slice() };
}

function parseFill(value: unknown, ctx: FeatureContext): unknown {
  const shape = shapeOf(ctx);
  let image: Uint8Array | undefined;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 255) {
    image = new Uint8Array(imageSize(shape)).fill(value);
  } else if (typeof value === "string") {
    image = fillImages.get(ctx)?.get(value);
  }
  if (image === undefined) {
    throw columnError(
      ctx,
      `"fill_value" must be a pixel value 0-255 or an image reference, received ${
        JSON.stringify(value)
      }`,
    );
  }
  fillJson.set(image, value);
  return image;
}

function fillToJson(value: unknown): unknown {
  return value instanceof Uint8Array ? fillJson.get(value) ?? null : value;
}

function fit(_parsed: Parsed, ctx: FeatureContext): FeatureMetadata {
  const shape = shapeOf(ctx);
  const prep = ctx.preprocessing;
  // As Ludwig: the fitted size is written into the preprocessing parameters, so prediction
  // decodes (and resizes) to it.
  prep.height = shape.height;
  prep.width = shape.width;
  prep.num_channels = shape.num_channels;
  return {
    height: shape.height,
    width: shape.width,
    num_channels: shape.num_channels,
    reshape: [shape.num_channels, shape.height, shape.width],
  };
}

function encode(parsed: Parsed, metadata: FeatureMetadata, ctx: FeatureContext): EncodedColumn {
  const shape = shapeOf(ctx);
  if (
    typeof metadata.height === "number" &&
    (metadata.height !== shape.height || metadata.width !== shape.width ||
      metadata.num_channels !== shape.num_channels)
  ) {
    throw columnError(
      ctx,
      `the images were decoded to ${shape.height}x${shape.width}x${shape.num_channels}, but the training-set metadata says ${metadata.height}x${metadata.width}x${metadata.num_channels}`,
    );
  }
  const size = imageSize(shape);
  const n = parsed.missing.length;
  const shapeOut = [shape.height, shape.width, shape.num_channels];
  // Every image where parse decoded it, in order (nothing filled or dropped): the decoded
  // buffer is the column already, with no second copy of every image.
  const whole = wholeBuffer(parsed, n, size);
  if (whole !== undefined) return { dtype: "uint8", shape: shapeOut, data: whole };
  const data = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    const v = parsed.values[i];
    if (parsed.missing[i] || !(v instanceof Uint8Array)) {
      throw cellError(ctx, parsed.rows[i], "the image is missing");
    }
    data.set(v, i * size);
  }
  return { dtype: "uint8", shape: shapeOut, data };
}

/** The one buffer holding every row's image back to back, in row order, if there is one. */
function wholeBuffer(parsed: Parsed, n: number, size: number): Uint8Array | undefined {
  if (n === 0) return undefined;
  const first = parsed.values[0];
  if (!(first instanceof Uint8Array) || first.length !== size) return undefined;
  for (let i = 0; i < n; i++) {
    const v = parsed.values[i];
    if (
      parsed.missing[i] || !(v instanceof Uint8Array) || v.buffer !== first.buffer ||
      v.byteOffset !== first.byteOffset + i * size || v.length !== size
    ) return undefined;
  }
  if (first.byteOffset + n * size > first.buffer.byteLength) return undefined;
  return new Uint8Array(first.buffer, first.byteOffset, n * size);
}

/** The image feature's implementation. */
export const image: FeatureImpl = { parse, parseFill, fillToJson, fit, encode };
