/**
 * Image decoding and shaping: bytes → {@linkcode RawImage} (PNG, JPEG, WebP, GIF's first frame,
 * TIFF and AVIF/HEIF through sharp; BMP through the decoder of `bmp.ts`), channel conversion
 * with torchvision's read modes (as Ludwig reads images), resizing by interpolation or
 * centered crop-or-pad with edge padding (Ludwig's `resize_method`), and the inference
 * transform of pretrained torchvision encoders (resize the shorter side, center crop:
 * {@linkcode torchvisionTransform}).
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
  /**
   * A pretrained torchvision encoder's transform: when set, images are resized (shorter side)
   * and center-cropped by {@linkcode torchvisionTransform} instead of `resize`/`resizeMethod`;
   * `height` and `width` must be its `cropSize`.
   */
  torchvision?: TorchvisionTransform | null;
}

/** torchvision's inference transform of a pretrained encoder (its weights' `transforms()`). */
export interface TorchvisionTransform {
  /** `Resize(resize_size)`: the shorter side becomes this. */
  resizeSize: number;
  /** `CenterCrop(crop_size)`. */
  cropSize: number;
  /** The resize interpolation. */
  interpolation: "bilinear" | "bicubic" | "nearest";
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
  if (target.torchvision) {
    const t = target.torchvision;
    if (target.height !== t.cropSize || target.width !== t.cropSize) {
      throw new TypeError(
        `the torchvision transform crops to ${t.cropSize}x${t.cropSize}, but the target is ` +
          `${target.height}x${target.width}`,
      );
    }
    if (img.channels !== target.channels) img = convertChannels(img, target.channels);
    return torchvisionTransform(img, t).data;
  }
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

// ---------------------------------------------------------------------------------------------
// torchvision's Resize + CenterCrop

/** One output pixel of a resampling pass: the first input pixel and the normalized weights. */
interface Taps {
  start: number;
  weights: Float64Array;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** The cubic convolution kernel with a = −0.5 (PIL's, and torch's with antialiasing). */
function cubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/**
 * The taps of an antialiased resampling from `n` to `m` pixels (torch's `antialias=True`, which
 * is PIL's algorithm): output pixel i is centered at `(i + 0.5)·n/m`; when shrinking, the
 * filter is stretched by the scale, so every input pixel contributes.
 */
function antialiasTaps(n: number, m: number, filter: (x: number) => number, support: number) {
  const scale = n / m;
  const stretch = Math.max(scale, 1);
  const reach = support * stretch;
  const taps: Taps[] = [];
  for (let i = 0; i < m; i++) {
    const center = scale * (i + 0.5);
    const start = Math.max(Math.trunc(center - reach + 0.5), 0);
    const end = Math.min(Math.trunc(center + reach + 0.5), n);
    const weights = new Float64Array(Math.max(end - start, 0));
    let total = 0;
    for (let j = 0; j < weights.length; j++) {
      const w = filter((j + start - center + 0.5) / stretch);
      weights[j] = w;
      total += w;
    }
    if (total !== 0) { for (let j = 0; j < weights.length; j++) weights[j] /= total; }
    taps.push({ start, weights });
  }
  return taps;
}

/** torch's `nearest` (the tensor path): input pixel `floor(i·n/m)`. */
function nearestTaps(n: number, m: number): Taps[] {
  const scale = n / m;
  return Array.from({ length: m }, (_, i) => ({
    start: Math.min(Math.floor(i * scale), n - 1),
    weights: new Float64Array([1]),
  }));
}

function tapsOf(n: number, m: number, interpolation: TorchvisionTransform["interpolation"]) {
  if (interpolation === "nearest") return nearestTaps(n, m);
  return interpolation === "bicubic"
    ? antialiasTaps(n, m, cubic, 2)
    : antialiasTaps(n, m, triangle, 1);
}

/** Python's `round` (half to even) of a value within 0–255 after clamping. */
function toByte(v: number): number {
  const c = v < 0 ? 0 : v > 255 ? 255 : v;
  const f = Math.floor(c);
  const d = c - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * torchvision's `Resize(size)` of a uint8 image tensor (`antialias=True`, its default since
 * 0.17, and what PIL does): the shorter side becomes `size`, the longer
 * `int(size · long / short)`; the resampling runs in floating point (width, then height) and
 * rounds half to even once, as torchvision casts back to uint8. An image whose shorter side is
 * already `size` is returned as it is.
 *
 * @param image The image (any channel count).
 * @param size The shorter side's new length.
 * @param interpolation `bilinear`, `bicubic` (a = −0.5, clamped to 0–255) or `nearest`.
 * @returns The resized image.
 *
 * @example A 2×4 image: the shorter side becomes 1 (antialiased: each output pixel weighs the
 * column means 20, 30, 40 by the triangle filter 0.75, 0.75, 0.25, so 27.1 → 27, and 43)
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { resizeShorterSide } from "./decode.ts";
 * const image = { data: new Uint8Array([0, 10, 20, 30, 40, 50, 60, 70]), height: 2, width: 4, channels: 1 };
 * const out = resizeShorterSide(image, 1, "bilinear");
 * assertEquals([out.height, out.width, Array.from(out.data)], [1, 2, [27, 43]]);
 * ```
 */
export function resizeShorterSide(
  image: RawImage,
  size: number,
  interpolation: TorchvisionTransform["interpolation"],
): RawImage {
  const { height: h, width: w, channels: c } = image;
  const short = Math.min(h, w);
  const long = Math.max(h, w);
  if (short === size) return image;
  const newLong = Math.trunc(size * long / short);
  const [oh, ow] = w <= h ? [newLong, size] : [size, newLong];
  const across = tapsOf(w, ow, interpolation);
  const down = tapsOf(h, oh, interpolation);
  const src = image.data;
  // horizontal pass: h × ow × c, in floating point
  const mid = new Float64Array(h * ow * c);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < ow; x++) {
      const { start, weights } = across[x];
      const o = (y * ow + x) * c;
      for (let k = 0; k < c; k++) {
        let v = 0;
        for (let j = 0; j < weights.length; j++) v += weights[j] * src[(row + start + j) * c + k];
        mid[o + k] = v;
      }
    }
  }
  const out = new Uint8Array(oh * ow * c);
  const line = ow * c;
  for (let y = 0; y < oh; y++) {
    const { start, weights } = down[y];
    const o = y * line;
    for (let i = 0; i < line; i++) {
      let v = 0;
      for (let j = 0; j < weights.length; j++) v += weights[j] * mid[(start + j) * line + i];
      out[o + i] = toByte(v);
    }
  }
  return { data: out, height: oh, width: ow, channels: c };
}

/**
 * torchvision's `CenterCrop(size)`: the window starts at `int(round((h − size) / 2))` rows and
 * `int(round((w − size) / 2))` columns (Python's rounding, half to even); an image smaller than
 * `size` is first padded with zeros (`(size − h) // 2` above, the rest below, the same across).
 *
 * @param image The image.
 * @param size The side of the square crop.
 * @returns The `size × size` crop.
 *
 * @example Crop 2×2 out of 3×3
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { centerCrop } from "./decode.ts";
 * const image = { data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), height: 3, width: 3, channels: 1 };
 * assertEquals(Array.from(centerCrop(image, 2).data), [1, 2, 4, 5]);
 * ```
 */
export function centerCrop(image: RawImage, size: number): RawImage {
  const { height: h, width: w, channels: c } = image;
  if (h === size && w === size) return image;
  const padTop = h < size ? Math.floor((size - h) / 2) : 0;
  const padLeft = w < size ? Math.floor((size - w) / 2) : 0;
  const ph = Math.max(h, size);
  const pw = Math.max(w, size);
  const top = roundHalfEven((ph - size) / 2) - padTop;
  const left = roundHalfEven((pw - size) / 2) - padLeft;
  const out = new Uint8Array(size * size * c);
  for (let y = 0; y < size; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < size; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= w) continue;
      const s = (sy * w + sx) * c;
      const o = (y * size + x) * c;
      for (let k = 0; k < c; k++) out[o + k] = image.data[s + k];
    }
  }
  return { data: out, height: size, width: size, channels: c };
}

/**
 * A pretrained torchvision encoder's image transform on uint8 pixels: `Resize(resizeSize)` with
 * its interpolation ({@linkcode resizeShorterSide}), then `CenterCrop(cropSize)`
 * ({@linkcode centerCrop}). (The scaling to floats and the mean/std normalization are the
 * encoder's first layer.)
 *
 * @param image The image.
 * @param transform Resize size, crop size and interpolation.
 * @returns The `cropSize × cropSize` image.
 *
 * @example ResNet's transform on a 300×400 image
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { torchvisionTransform } from "./decode.ts";
 * const image = { data: new Uint8Array(300 * 400 * 3), height: 300, width: 400, channels: 3 };
 * const out = torchvisionTransform(image, { resizeSize: 256, cropSize: 224, interpolation: "bilinear" });
 * assertEquals([out.height, out.width, out.channels], [224, 224, 3]);
 * ```
 */
export function torchvisionTransform(image: RawImage, transform: TorchvisionTransform): RawImage {
  return centerCrop(
    resizeShorterSide(image, transform.resizeSize, transform.interpolation),
    transform.cropSize,
  );
}
