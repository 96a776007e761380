/**
 * The tensor type shared by every weight-file reader of `lib/pretrained/`: a dtype, a shape and
 * the raw values in a typed array (little-endian, row-major, contiguous), with conversion to
 * float32, and {@linkcode WeightsError}, the error every reader throws for a bad file.
 *
 * @module
 */
import { DataError } from "../data/errors.ts";

/** The element types the readers understand (safetensors' names). */
export type DType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** Every {@linkcode DType}, in a fixed order. */
export const DTYPES: readonly DType[] = [
  "F64",
  "F32",
  "F16",
  "BF16",
  "I64",
  "I32",
  "I16",
  "I8",
  "U8",
  "BOOL",
];

/** The typed array that holds each {@linkcode DType}'s values (F16 and BF16 keep their bits). */
export interface DTypeArrays {
  /** 64-bit floats. */
  F64: Float64Array;
  /** 32-bit floats. */
  F32: Float32Array;
  /** IEEE half floats, as their 16-bit patterns. */
  F16: Uint16Array;
  /** bfloat16 values, as their 16-bit patterns. */
  BF16: Uint16Array;
  /** 64-bit signed integers. */
  I64: BigInt64Array;
  /** 32-bit signed integers. */
  I32: Int32Array;
  /** 16-bit signed integers. */
  I16: Int16Array;
  /** 8-bit signed integers. */
  I8: Int8Array;
  /** 8-bit unsigned integers. */
  U8: Uint8Array;
  /** Booleans, one byte each (0 or 1). */
  BOOL: Uint8Array;
}

/** A typed array holding a tensor's values. */
export type TensorData = DTypeArrays[DType];

/**
 * A tensor read from a weights file: dtype, shape and contiguous row-major values.
 *
 * @typeParam D The element type.
 */
export interface RawTensor<D extends DType = DType> {
  /** The element type. */
  dtype: D;
  /** The dimensions (`[]` for a scalar). */
  shape: number[];
  /** The values, `shape` product long. */
  data: DTypeArrays[D];
}

/** Tensors by name, in the file's order. */
export type NamedTensors = Map<string, RawTensor>;

/** Bytes per element of each {@linkcode DType}. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The kind of problem a {@linkcode WeightsError} reports. */
export interface WeightsErrorOptions extends ErrorOptions {
  /** The file being read, as the caller named it. */
  file?: string;
  /** The tensor at fault. */
  tensor?: string;
  /** The archive entry at fault (when no tensor is known). */
  entry?: string;
  /** The action that failed; default `"Cannot read weights"`. */
  action?: string;
}

/**
 * An error in a weights file, or in matching its tensors to a model: names the file and, when
 * known, the tensor. The message reads `<action> "<file>": tensor "<name>": <detail>`. It is a
 * {@linkcode DataError} (a user's input is at fault), so the CLI reports it without a stack.
 *
 * @example Render a message
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { WeightsError } from "./tensor.ts";
 * const error = new WeightsError("the data ends early", { file: "m.safetensors", tensor: "w" });
 * assertEquals(error.message, 'Cannot read weights "m.safetensors": tensor "w": the data ends early');
 * ```
 */
export class WeightsError extends DataError {
  /** The tensor, if any. */
  declare readonly tensor?: string;
  /** The archive entry, if any. */
  declare readonly entry?: string;

  /**
   * Creates a weights error.
   *
   * @param detail What is wrong, in lower case.
   * @param options The file, tensor, action and cause.
   */
  constructor(detail: string, options: WeightsErrorOptions = {}) {
    super(detail, { file: options.file, cause: options.cause });
    const action = options.action ?? "Cannot read weights";
    const subject = options.file === undefined ? "" : ` "${options.file}"`;
    const where = options.tensor !== undefined
      ? `tensor "${options.tensor}": `
      : options.entry !== undefined
      ? `entry "${options.entry}": `
      : "";
    this.message = `${action}${subject}: ${where}${detail}`;
    this.name = "WeightsError";
    if (options.tensor !== undefined) this.tensor = options.tensor;
    if (options.entry !== undefined) this.entry = options.entry;
  }
}

/**
 * The number of elements of a shape.
 *
 * @param shape The dimensions.
 * @returns Their product (1 for a scalar).
 *
 * @example Count
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { sizeOf } from "./tensor.ts";
 * assertEquals(sizeOf([2, 3]), 6);
 * ```
 */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const F16_TABLE = (() => {
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    let value: number;
    if (exponent === 0) value = fraction * 2 ** -24;
    else if (exponent === 31) value = fraction === 0 ? Infinity : NaN;
    else value = (1 + fraction / 1024) * 2 ** (exponent - 15);
    table[bits] = sign * value;
  }
  return table;
})();

/**
 * Decode IEEE half-float bit patterns.
 *
 * @param bits The 16-bit patterns.
 * @returns The values as float32.
 *
 * @example One and minus two
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { float16ToFloat32 } from "./tensor.ts";
 * assertEquals([...float16ToFloat32(new Uint16Array([0x3c00, 0xc000]))], [1, -2]);
 * ```
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = F16_TABLE[bits[i]];
  return out;
}

/**
 * Encode float32 values as IEEE half floats (round to nearest even, overflow to infinity).
 *
 * @param values The values.
 * @returns Their 16-bit patterns.
 *
 * @example Round trip
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { float16ToFloat32, float32ToFloat16 } from "./tensor.ts";
 * assertEquals([...float16ToFloat32(float32ToFloat16(new Float32Array([0.5, 65504])))], [0.5, 65504]);
 * ```
 */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i];
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const m = mant | 0x800000;
      const shift = 14 - e;
      let h = m >>> shift;
      const rest = m & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rest > half || (rest === half && (h & 1))) h++;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
      out[i] = sign | h;
    }
  }
  return out;
}

/**
 * Decode bfloat16 bit patterns (the top half of a float32).
 *
 * @param bits The 16-bit patterns.
 * @returns The values as float32.
 *
 * @example One
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { bfloat16ToFloat32 } from "./tensor.ts";
 * assertEquals([...bfloat16ToFloat32(new Uint16Array([0x3f80]))], [1]);
 * ```
 */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const wide = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i] << 16;
  return new Float32Array(wide.buffer);
}

/**
 * The values of a tensor as float32 (integers and booleans converted, half floats decoded).
 * A float32 tensor's own array is returned, not a copy.
 *
 * @param tensor The tensor.
 * @returns Its values.
 *
 * @example Convert int64
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { toFloat32 } from "./tensor.ts";
 * const t = { dtype: "I64" as const, shape: [2], data: new BigInt64Array([3n, -4n]) };
 * assertEquals([...toFloat32(t)], [3, -4]);
 * ```
 */
export function toFloat32(tensor: RawTensor): Float32Array {
  switch (tensor.dtype) {
    case "F32":
      return tensor.data as Float32Array;
    case "F16":
      return float16ToFloat32(tensor.data as Uint16Array);
    case "BF16":
      return bfloat16ToFloat32(tensor.data as Uint16Array);
    case "I64": {
      const src = tensor.data as BigInt64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return out;
    }
    default:
      return Float32Array.from(tensor.data as ArrayLike<number>);
  }
}

/**
 * View (or copy, when unaligned) little-endian bytes as a {@linkcode DType}'s typed array.
 *
 * @param dtype The element type.
 * @param bytes Exactly `count * DTYPE_SIZE[dtype]` bytes.
 * @returns The typed array.
 *
 * @example Two float32 values
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { fromBytes } from "./tensor.ts";
 * const bytes = new Uint8Array(new Float32Array([1, 2]).buffer);
 * assertEquals([...fromBytes("F32", bytes)], [1, 2]);
 * ```
 */
export function fromBytes<D extends DType>(dtype: D, bytes: Uint8Array): DTypeArrays[D] {
  const size = DTYPE_SIZE[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes are not a whole number of ${dtype} values`);
  }
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset, byteLength } = aligned;
  const n = byteLength / size;
  const arrays: { [K in DType]: () => DTypeArrays[K] } = {
    F64: () => new Float64Array(buffer, byteOffset, n),
    F32: () => new Float32Array(buffer, byteOffset, n),
    F16: () => new Uint16Array(buffer, byteOffset, n),
    BF16: () => new Uint16Array(buffer, byteOffset, n),
    I64: () => new BigInt64Array(buffer, byteOffset, n),
    I32: () => new Int32Array(buffer, byteOffset, n),
    I16: () => new Int16Array(buffer, byteOffset, n),
    I8: () => new Int8Array(buffer, byteOffset, n),
    U8: () => new Uint8Array(buffer, byteOffset, n),
    BOOL: () => new Uint8Array(buffer, byteOffset, n),
  };
  return arrays[dtype]() as DTypeArrays[D];
}

/**
 * The bytes of a tensor's values (a view, not a copy).
 *
 * @param tensor The tensor.
 * @returns Its little-endian bytes.
 *
 * @example Bytes of an int8 tensor
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { tensorBytes } from "./tensor.ts";
 * assertEquals(tensorBytes({ dtype: "I8", shape: [1], data: new Int8Array([-1]) })[0], 255);
 * ```
 */
export function tensorBytes(tensor: RawTensor): Uint8Array {
  const d = tensor.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * Swap the byte order of each `size`-byte element in place (for big-endian files).
 *
 * @param bytes The bytes, changed in place.
 * @param size The element size.
 *
 * @example Swap two 16-bit values
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { swapBytes } from "./tensor.ts";
 * const bytes = new Uint8Array([1, 2, 3, 4]);
 * swapBytes(bytes, 2);
 * assertEquals([...bytes], [2, 1, 4, 3]);
 * ```
 */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}
