/**
 * Image decoding for image features: cells (paths, URLs, data URIs, bytes) → uint8 HWC images of
 * one fitted shape, with Ludwig's size and channel inference, in Deno workers when asked.
 *
 * @example Decode a column of data URIs
 * ```ts
 * import sharp from "npm:sharp@0.35.5";
 * import { assertEquals } from "../../_util/_assert.ts";
 * import { decodeImageColumn, inferImageShape } from "./mod.ts";
 * const png = await sharp(new Uint8Array(12).fill(200), { raw: { width: 2, height: 2, channels: 3 } })
 *   .png().toBuffer();
 * const uri = `data:image/png;base64,${btoa(String.fromCharCode(...png))}`;
 * const shape = await inferImageShape([uri], {
 *   height: null, width: null, num_channels: null, resize_method: "interpolate",
 *   infer_image_dimensions: true, infer_image_num_channels: true, infer_image_max_height: 256,
 *   infer_image_max_width: 256, infer_image_sample_size: 100, requires_equal_dimensions: false,
 * }, { column: "image" });
 * const column = await decodeImageColumn([uri], shape, { column: "image" });
 * assertEquals([column.length, column.height, column.width, column.channels], [1, 2, 2, 3]);
 * ```
 *
 * @module
 */
export { decodeBmp, encodeBmp, isBmp, type RawImage } from "./bmp.ts";
export {
  centerCrop,
  convertChannels,
  cropOrPad,
  decodeImage,
  type ImageTarget,
  interpolate,
  resizeShorterSide,
  shapeImage,
  type TorchvisionTransform,
  torchvisionTransform,
} from "./decode.ts";
export {
  imageBaseDir,
  type ImageSource,
  type ImageSourceOptions,
  isMissingImageCell,
  readImageSource,
  resolveImageCell,
} from "./source.ts";
export {
  decodeImageColumn,
  type DecodeImageColumnOptions,
  imageCellError,
  type ImageColumn,
  type ImageColumnContext,
  type ImageShape,
  type ImageShapeSettings,
  imageTarget,
  inferImageShape,
  inferNumChannels,
} from "./column.ts";
