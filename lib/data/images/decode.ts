/**
 * Image decoding and shaping: bytes → {@linkcode RawImage} (PNG, JPEG, WebP, GIF's first frame,
 * TIFF and AVIF/HEIF through sharp; BMP through the decoder of `bmp.ts`), channel conversion
 * with torchvision's read modes (as Ludwig reads images), and resizing by interpolation or
 * centered crop-or-pad with edge padding (Ludwig's `resize_method`).
 *
 * @module
 */
import sharp from "npm:sharp@0.35.5";
import { decodeBmp, isBmp, type RawImage } from "./bmp.ts";

export type { RawImage } from "./bmp.ts";

/** The target of {@linkcode shapeImage}: size, channels and how to get there. */
export interface ImageTarget {
  /** Output rows. */
  height: number;
  /** Output columns. */
  width: number;
  /** Output channels (1-4). */
  channels: number;
  /** Resize to `height × width` (false: the image must already have that size). */
  resize: boolean;
  /** `interpolate` (bilinear) or `crop_or_pad` (centered, edge-padded). */
  resizeMethod: "interpolate" | "crop_or_pad";
  /**
   * Convert channels to `channels` (Ludwig's user-specified or inferred count); when false, an
   * image with another channel count is an error, as in Ludwig.
   */
  convertChannels: boolean;
}

/**
 * Decodes an encoded image. GIF yields its first frame; an image of more than 4 bands or 16-bit
 * samples is reduced to 8 bits. Throws a `TypeError` whose message is the reason, in lower case.
 *
 * @param bytes The encoded image.
 * @returns The decoded pixels (HWC, uint8).
 *
 * @example Decode a PNG
 * ```ts
 * import sharp from "npm:sharp@0.35.5";
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { decodeImage } from "./decode.ts";
 * const png = await sharp(new Uint8Array([0, 255]), { raw: { width: 2, height: 1, channels: 1 } })
 *   .toColourspace("b-w").png().toBuffer();
 * const image = await decodeImage(new Uint8Array(png));
 * assertEquals([image.height, image.width, image.channels], [1, 2, 1]);
 * ```
 */
export async function decodeImage(bytes: Uint8Array): Promise<RawImage> {
  if (bytes.length === 0) throw new TypeError("the image is empty");
  if (isBmp(bytes)) return decodeBmp(bytes);
  let result: { data: Uint8Array; info: { width: number; height: number; channels: number } };
  let format: string | undefined;
  try {
    const image = sharp(bytes, { pages: 1, failOn: "error" });
    const meta = await image.metadata();
    format = meta.format;
    // sharp's raw output is sRGB unless asked otherwise: keep gray images gray (1 or 2 bands).
    const gray = meta.space === "b-w" || meta.space === "grey16" ||
      (meta.channels !== undefined && meta.channels <= 2);
    const pipeline = gray ? image.toColourspace("b-w") : image;
    const out = await pipeline.raw({ depth: "uchar" }).toBuffer({
      resolveWithObject: true,
    });
    result = {
      data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length),
      info: out.info,
    };
  } catch (error) {
    throw new TypeError(`cannot decode the image: ${decodeReason(error)}`);
  }
  let { data } = result;
  const { width, height } = result.info;
  let channels = result.info.channels as number;
  // libvips gives GIFs an alpha band; drop it when every pixel is opaque (torchvision gives RGB).
  if (format === "gif" && channels === 4 && allOpaque(data, 4)) {
    data = dropAlpha(data, 4);
    channels = 3;
  }
  if (channels > 4) {
    throw new TypeError(`the image has ${channels} channels (at most 4 are supported)`);
  }
  return { data, height, width, channels };
}

function decodeReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split("\n")[0].trim();
  if (/unsupported image format/i.test(first)) return "unsupported or corrupt image format";
  return first.length > 0 ? first.charAt(0).toLowerCase() + first.slice(1) : "unknown error";
}

function allOpaque(data: Uint8Array, channels: number): boolean {
  for (let i = channels - 1; i < data.length; i += channels) if (data[i] !== 255) return false;
  return true;
}

function dropAlpha(data: Uint8Array, channels: number): Uint8Array {
  const n = data.length / channels;
  const out = new Uint8Array(n * (channels - 1));
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < channels - 1; c++) out[p * (channels - 1) + c] = data[p * channels + c];
  }
  return out;
}

/**
 * Converts an image to `channels` channels the way torchvision's read modes (`GRAY`,
 * `GRAY_ALPHA`, `RGB`, `RGB_ALPHA`) do: color to gray by ITU-R 601 luma (0.2989 R + 0.587 G +
 * 0.114 B), gray to color by repetition, an added alpha channel opaque (255), a removed alpha
 * channel dropped.
 *
 * @param image The image.
 * @param channels The wanted count, 1 to 4.
 * @returns The converted image (the same object when nothing changes).
 *
 * @example RGB to gray
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { convertChannels } from "./decode.ts";
 * const gray = convertChannels({ data: new Uint8Array([255, 0, 0]), height: 1, width: 1, channels: 3 }, 1);
 * assertEquals(Array.from(gray.data), [76]);
 * ```
 */
export function convertChannels(image: RawImage, channels: number): RawImage {
  const from = image.channels;
  if (from === channels) return image;
  if (channels < 1 || channels > 4 || from < 1 || from > 4) {
    throw new TypeError(`cannot convert an image of ${from} channels to ${channels} channels`);
  }
  const n = image.height * image.width;
  const src = image.data;
  const out = new Uint8Array(n * channels);
  const fromColor = from >= 3;
  const fromAlpha = from === 2 || from === 4;
  const toColor = channels >= 3;
  const toAlpha = channels === 2 || channels === 4;
  for (let p = 0; p < n; p++) {
    const s = p * from;
    const o = p * channels;
    if (toColor) {
      if (fromColor) {
        out[o] = src[s];
        out[o + 1] = src[s + 1];
        out[o + 2] = src[s + 2];
      } else out[o] = out[o + 1] = out[o + 2] = src[s];
    } else {
      out[o] = fromColor
        ? Math.min(255, Math.round(0.2989 * src[s] + 0.587 * src[s + 1] + 0.114 * src[s + 2]))
        : src[s];
    }
    if (toAlpha) out[o + channels - 1] = fromAlpha ? src[s + from - 1] : 255;
  }
  return { data: out, height: image.height, width: image.width, channels };
}

/** Python's `round` (half to even), as torchvision's center crop uses. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Ludwig's `crop_or_pad`: pad with edge pixels (floor of half the missing size before, ceiling
 * after) to at least the target, then center-crop to it.
 *
 * @param image The image.
 * @param height Target rows.
 * @param width Target columns.
 * @returns The cropped or padded image.
 *
 * @example Pad a 1×1 image to 1×3
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { cropOrPad } from "./decode.ts";
 * const out = cropOrPad({ data: new Uint8Array([7]), height: 1, width: 1, channels: 1 }, 1, 3);
 * assertEquals(Array.from(out.data), [7, 7, 7]);
 * ```
 */
export function cropOrPad(image: RawImage, height: number, width: number): RawImage {
  if (image.height === height && image.width === width) return image;
  const { channels } = image;
  const padTop = Math.max(0, Math.floor((height - image.height) / 2));
  const padLeft = Math.max(0, Math.floor((width - image.width) / 2));
  const paddedH = Math.max(height, image.height);
  const paddedW = Math.max(width, image.width);
  const cropTop = roundHalfEven((paddedH - height) / 2);
  const cropLeft = roundHalfEven((paddedW - width) / 2);
  const out = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.max(0, y + cropTop - padTop));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.max(0, x + cropLeft - padLeft));
      const s = (sy * image.width + sx) * channels;
      const o = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = image.data[s + c];
    }
  }
  return { data: out, height, width, channels };
}

/**
 * Bilinear resize through sharp (`fit: fill`, the aspect ratio is not kept, as torchvision's
 * `resize` with a (height, width) pair).
 *
 * @param image The image.
 * @param height Target rows.
 * @param width Target columns.
 * @returns The resized image.
 *
 * @example Upscale
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { interpolate } from "./decode.ts";
 * const out = await interpolate({ data: new Uint8Array([9, 9, 9, 9]), height: 2, width: 2, channels: 1 }, 4, 4);
 * assertEquals(out.data.length, 16);
 * ```
 */
export async function interpolate(
  image: RawImage,
  height: number,
  width: number,
): Promise<RawImage> {
  if (image.height === height && image.width === width) return image;
  const { channels } = image;
  const out = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: channels as 1 | 2 | 3 | 4 },
  }).resize(width, height, { fit: "fill", kernel: "linear" })
    // sharp writes sRGB unless told otherwise: keep 1- and 2-channel images gray.
    .toColourspace(channels <= 2 ? "b-w" : "srgb").raw().toBuffer({
      resolveWithObject: true,
    });
  if (out.info.channels !== channels) {
    throw new TypeError(
      `resizing changed the channel count from ${channels} to ${out.info.channels}`,
    );
  }
  return {
    data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length),
    height,
    width,
    channels,
  };
}

/**
 * Brings a decoded image to a target (channels first, then size). Throws a `TypeError` with the
 * reason when the channels or size differ and the target forbids converting them.
 *
 * @param image The decoded image.
 * @param target Size, channels and method.
 * @returns `target.height * target.width * target.channels` bytes, HWC.
 *
 * @example Gray to RGB with padding
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { shapeImage } from "./decode.ts";
 * const out = await shapeImage({ data: new Uint8Array([5]), height: 1, width: 1, channels: 1 }, {
 *   height: 2, width: 2, channels: 3, resize: true, resizeMethod: "crop_or_pad", convertChannels: true,
 * });
 * assertEquals(out.length, 12);
 * ```
 */
export async function shapeImage(image: RawImage, target: ImageTarget): Promise<Uint8Array> {
  let img = image;
  if (img.channels !== target.channels) {
    if (!target.convertChannels) {
      throw new TypeError(
        `the image has ${img.channels} channels, unlike the first image, which has ${target.channels}: make all images have the same number of channels or set preprocessing.num_channels`,
      );
    }
    img = convertChannels(img, target.channels);
  }
  if (img.height !== target.height || img.width !== target.width) {
    if (!target.resize) {
      throw new TypeError(
        `the image is ${img.height}x${img.width}, unlike the expected ${target.height}x${target.width}: make all images the same size or set preprocessing.height and width`,
      );
    }
    img = target.resizeMethod === "crop_or_pad"
      ? cropOrPad(img, target.height, target.width)
      : await interpolate(img, target.height, target.width);
  }
  return img.data;
}
