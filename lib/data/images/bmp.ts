/**
 * A decoder of Windows BMP files, which sharp (libvips) does not read: uncompressed 1, 4, 8-bit
 * palette images, 16-bit (5-5-5 or bit fields), 24-bit and 32-bit (with or without bit fields),
 * bottom-up or top-down. RLE-compressed files are reported as unsupported.
 *
 * @module
 */

/** A decoded image: `height × width × channels` bytes, row-major, channels interleaved (HWC). */
export interface RawImage {
  /** The pixels, `height * width * channels` bytes. */
  data: Uint8Array;
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
  /** Channels per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: number;
}

/**
 * Whether `bytes` start with the BMP signature `BM`.
 *
 * @param bytes The file's bytes.
 * @returns True for a BMP file.
 *
 * @example Detect a BMP
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { isBmp } from "./bmp.ts";
 * assertEquals(isBmp(new Uint8Array([0x42, 0x4d, 0, 0])), true);
 * ```
 */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/**
 * Decodes a BMP file into RGB (3 channels) or, for 32-bit files with an alpha mask, RGBA.
 *
 * @param bytes The file's bytes.
 * @returns The decoded image.
 * @throws {TypeError} When the file is truncated, malformed or uses an unsupported compression.
 *
 * @example Decode a 1×1 24-bit BMP
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { decodeBmp, encodeBmp } from "./bmp.ts";
 * const bmp = encodeBmp({ data: new Uint8Array([10, 20, 30]), height: 1, width: 1, channels: 3 });
 * assertEquals(Array.from(decodeBmp(bmp).data), [10, 20, 30]);
 * ```
 */
export function decodeBmp(bytes: Uint8Array): RawImage {
  if (!isBmp(bytes) || bytes.length < 26) throw new TypeError("not a BMP file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end: number) => {
    if (end > bytes.length) throw new TypeError("truncated BMP file");
  };
  need(54);
  const offset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize < 40) throw new TypeError(`unsupported BMP header of ${headerSize} bytes`);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bpp = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw new TypeError(`invalid BMP size ${width}x${height}`);
  if (compression !== 0 && compression !== 3 && compression !== 6) {
    throw new TypeError(`unsupported BMP compression ${compression} (RLE or embedded JPEG/PNG)`);
  }
  let masks: [number, number, number, number] | undefined;
  if (compression === 3 || compression === 6) {
    // Masks follow a 40-byte header, or sit inside V4/V5 headers at the same place.
    need(14 + 40 + 12);
    masks = [
      view.getUint32(54, true),
      view.getUint32(58, true),
      view.getUint32(62, true),
      headerSize >= 56 || compression === 6 ? view.getUint32(66, true) : 0,
    ];
  } else if (bpp === 16) masks = [0x7c00, 0x03e0, 0x001f, 0];
  else if (bpp === 32) masks = [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    if (bpp !== 1 && bpp !== 4 && bpp !== 8) throw new TypeError(`unsupported BMP depth ${bpp}`);
    let colors = view.getUint32(46, true);
    if (colors === 0) colors = 1 << bpp;
    const start = 14 + headerSize;
    need(start + colors * 4);
    palette = bytes.subarray(start, start + colors * 4);
  } else if (bpp !== 16 && bpp !== 24 && bpp !== 32) {
    throw new TypeError(`unsupported BMP depth ${bpp}`);
  }
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  need(offset + stride * height);
  const alpha = bpp === 32 && masks !== undefined && masks[3] !== 0;
  const channels = alpha ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  const fields = masks?.map(maskShift);
  for (let y = 0; y < height; y++) {
    const srcRow = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette !== undefined) {
        let index: number;
        if (bpp === 8) index = bytes[srcRow + x];
        else if (bpp === 4) index = (bytes[srcRow + (x >> 1)] >> ((x & 1) === 0 ? 4 : 0)) & 0xf;
        else index = (bytes[srcRow + (x >> 3)] >> (7 - (x & 7))) & 1;
        if (index * 4 + 2 >= palette.length) throw new TypeError("BMP palette index out of range");
        out[o] = palette[index * 4 + 2];
        out[o + 1] = palette[index * 4 + 1];
        out[o + 2] = palette[index * 4];
      } else if (bpp === 24) {
        const p = srcRow + x * 3;
        out[o] = bytes[p + 2];
        out[o + 1] = bytes[p + 1];
        out[o + 2] = bytes[p];
      } else {
        const value = bpp === 16
          ? view.getUint16(srcRow + x * 2, true)
          : view.getUint32(srcRow + x * 4, true);
        for (let c = 0; c < channels; c++) {
          const { shift, max } = fields![c];
          out[o + c] = max === 0 ? 0 : Math.round((((value & masks![c]) >>> shift) * 255) / max);
        }
      }
    }
  }
  return { data: out, height, width, channels };
}

/**
 * Encodes an RGB or gray image as an uncompressed 24-bit BMP (used by tests and fixtures).
 *
 * @param image A 1- or 3-channel image.
 * @returns The BMP file's bytes.
 *
 * @example Round trip
 * ```ts
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { decodeBmp, encodeBmp } from "./bmp.ts";
 * const image = { data: new Uint8Array([1, 2, 3, 4, 5, 6]), height: 2, width: 1, channels: 3 };
 * assertEquals(Array.from(decodeBmp(encodeBmp(image)).data), [1, 2, 3, 4, 5, 6]);
 * ```
 */
export function encodeBmp(image: RawImage): Uint8Array {
  const { width, height, channels, data } = image;
  if (channels !== 1 && channels !== 3) throw new TypeError("encodeBmp takes 1 or 3 channels");
  const stride = Math.floor((24 * width + 31) / 32) * 4;
  const size = 54 + stride * height;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x42;
  bytes[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, stride * height, true);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const r = data[i],
        g = data[i + (channels === 3 ? 1 : 0)],
        b = data[i + (channels === 3 ? 2 : 0)];
      bytes[row + x * 3] = b;
      bytes[row + x * 3 + 1] = g;
      bytes[row + x * 3 + 2] = r;
    }
  }
  return bytes;
}
