/**
 * NumPy's `.npy` format (version 1.0): a little-endian float32 array with its shape, as
 * `numpy.load` reads it. `collect_activations` and `collect_weights` write these.
 *
 * @module
 */
import { writeFileAtomic } from "../_util/files.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A float32 array and its shape (row-major, C order). */
export interface NpyArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * The bytes of a `.npy` file (format 1.0, `<f4`, C order) holding `data` with `shape`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { decodeNpy, encodeNpy } from "./npy.ts";
 * const bytes = encodeNpy(Float32Array.of(1, 2, 3, 4), [2, 2]);
 * assertEquals(decodeNpy(bytes).shape, [2, 2]);
 * ```
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || size !== data.length) {
    throw new RangeError(
      `Cannot write .npy: shape [${
        shape.join(", ")
      }] holds ${size} values, the data ${data.length}`,
    );
  }
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  // Magic (6), version (2), header length (2), header, padded with spaces to a multiple of 64
  // and ended by a newline.
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const headerBytes = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + headerBytes.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerBytes.length, true);
  out.set(headerBytes, 10);
  const view = new DataView(out.buffer, 10 + headerBytes.length);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

/**
 * Read a `.npy` file's bytes written as float32 (`<f4`, C order, format 1.x or 2.x).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { decodeNpy, encodeNpy } from "./npy.ts";
 * assertEquals([...decodeNpy(encodeNpy(Float32Array.of(5, 6), [2])).data], [5, 6]);
 * ```
 */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new TypeError("Not a .npy file: it does not start with \\x93NUMPY");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  if (descr !== "<f4") throw new TypeError(`Cannot read .npy of dtype ${descr}: expected <f4`);
  if (/'fortran_order':\s*True/.test(header)) {
    throw new TypeError("Cannot read a Fortran-ordered .npy");
  }
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (dims === undefined) throw new TypeError("Not a .npy file: its header has no shape");
  const shape = dims.split(",").map((d) => d.trim()).filter((d) => d !== "").map(Number);
  const size = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  if (bytes.length - offset < size * 4) {
    throw new RangeError(`Truncated .npy: ${size} values need ${size * 4} bytes after the header`);
  }
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = view.getFloat32(offset + i * 4, true);
  return { shape, data };
}

/** Write `data` with `shape` to `path` as `.npy`, atomically. */
export async function writeNpy(
  path: string,
  data: Float32Array,
  shape: readonly number[],
): Promise<void> {
  await writeFileAtomic(path, encodeNpy(data, shape));
}

/** Read a float32 `.npy` file. */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await Deno.readFile(path));
}
