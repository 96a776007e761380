/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a
 * JSON header mapping each tensor name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets
 * relative to the data block that follows the header) plus an optional `__metadata__` map of
 * strings, then the tensors' little-endian bytes.
 *
 * {@linkcode openSafetensors} reads only the header; tensors are read one by one on demand, so a
 * multi-gigabyte file costs memory only for the tensors asked for. The header is checked strictly
 * (known dtypes, whole non-negative dimensions, offsets inside the data block, byte counts that
 * match the shape, no overlaps), and every problem is a {@linkcode WeightsError} naming the file
 * and the tensor.
 *
 * @module
 */
import { writeFileAtomic } from "../_util/files.ts";
import { type ByteSource, bytesSource, fileSource } from "./_source.ts";
import {
  type DType,
  DTYPE_SIZE,
  DTYPES,
  fromBytes,
  type NamedTensors,
  type RawTensor,
  sizeOf,
  tensorBytes,
  WeightsError,
} from "./tensor.ts";

/** Where one tensor lies in a safetensors file. */
export interface SafetensorsEntry {
  /** The element type. */
  dtype: DType;
  /** The dimensions. */
  shape: number[];
  /** Absolute byte offsets `[begin, end)` in the file. */
  byteRange: [number, number];
}

/** An open safetensors file: its header, and tensors read on demand. */
export interface SafetensorsFile {
  /** The file name used in messages. */
  readonly name: string;
  /** Tensor entries in the header's order. */
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  /** The `__metadata__` strings (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Read one tensor. */
  read(name: string): Promise<RawTensor>;
  /** Read every tensor. */
  readAll(): Promise<NamedTensors>;
  /** Release the file. */
  close(): void;
}

/** The largest header accepted (the reference implementation's limit is 100 MB). */
const MAX_HEADER = 100_000_000;

async function parseHeader(source: ByteSource): Promise<SafetensorsFile> {
  const file = source.name;
  const fail = (detail: string, tensor?: string) => new WeightsError(detail, { file, tensor });
  if (source.size < 8) {
    throw fail(`the file is ${source.size} bytes long, shorter than the 8-byte header length`);
  }
  const lengthBytes = await source.read(0, 8);
  const headerLength = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8)
    .getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER, source.size - 8))) {
    throw fail(
      `the header length ${headerLength} exceeds the file's ${source.size - 8} remaining bytes` +
        " (a truncated or non-safetensors file)",
    );
  }
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await source.read(8, n)));
  } catch (error) {
    if (error instanceof WeightsError) throw error;
    throw new WeightsError(`the header is not valid JSON: ${(error as Error).message}`, {
      file,
      cause: error,
    });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw fail("the header is not a JSON object");
  }
  const dataStart = 8 + n;
  const dataLength = source.size - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw fail('"__metadata__" is not an object of strings');
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string") throw fail(`"__metadata__" key "${k}" is not a string`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    if (typeof value !== "object" || value === null) throw fail("the entry is not an object", name);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== "string" || !(DTYPES as readonly string[]).includes(dtype)) {
      throw fail(
        `unsupported dtype ${JSON.stringify(dtype)}: expected one of ${DTYPES.join(", ")}`,
        name,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw fail(`the shape ${JSON.stringify(shape)} is not a list of whole numbers >= 0`, name);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[1] < offsets[0]
    ) {
      throw fail(
        `data_offsets ${JSON.stringify(offsets)} are not [begin, end] with begin <= end`,
        name,
      );
    }
    const [begin, end] = offsets as [number, number];
    const expected = sizeOf(shape) * DTYPE_SIZE[dtype as DType];
    if (end - begin !== expected) {
      throw fail(
        `data_offsets [${begin}, ${end}] hold ${
          end - begin
        } bytes, the shape [${shape}] of ${dtype}` +
          ` needs ${expected}`,
        name,
      );
    }
    if (end > dataLength) {
      throw fail(
        `the data ends early: the tensor needs bytes up to ${end} of the data block, which has ${dataLength}` +
          " (a truncated file)",
        name,
      );
    }
    entries.set(name, {
      dtype: dtype as DType,
      shape: [...shape],
      byteRange: [dataStart + begin, dataStart + end],
    });
  }
  // As the reference implementation: the tensors tile the data block, without overlaps, holes
  // or trailing bytes.
  const sorted = [...entries].sort((a, b) =>
    a[1].byteRange[0] - b[1].byteRange[0] || a[1].byteRange[1] - b[1].byteRange[1]
  );
  let covered = dataStart;
  for (let i = 0; i < sorted.length; i++) {
    const [name, entry] = sorted[i];
    if (entry.byteRange[0] < covered) {
      throw fail(`its bytes overlap those of tensor "${sorted[i - 1][0]}"`, name);
    }
    if (entry.byteRange[0] > covered) {
      throw fail(
        `the data block has unused bytes ${covered - dataStart}–${
          entry.byteRange[0] - dataStart
        } before this tensor`,
        name,
      );
    }
    covered = entry.byteRange[1];
  }
  if (covered !== source.size) {
    throw fail(
      `the data block holds ${dataLength} bytes, its tensors use ${covered - dataStart}` +
        " (trailing bytes: a corrupt file)",
    );
  }
  const read = async (name: string): Promise<RawTensor> => {
    const entry = entries.get(name);
    if (entry === undefined) throw fail("no such tensor in the file", name);
    const [begin, end] = entry.byteRange;
    const raw = await source.read(begin, end - begin);
    const bytes = source.fresh ? raw : raw.slice();
    return { dtype: entry.dtype, shape: [...entry.shape], data: fromBytes(entry.dtype, bytes) };
  };
  return {
    name: file,
    entries,
    metadata,
    read,
    async readAll() {
      const out: NamedTensors = new Map();
      for (const name of entries.keys()) out.set(name, await read(name));
      return out;
    },
    close: () => source.close(),
  };
}

/**
 * Open a safetensors file, reading only its header.
 *
 * @param path The file.
 * @returns The open file; call `close()` when done.
 * @throws {WeightsError} The file is missing, truncated or its header is invalid.
 *
 * @example Write then open
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { openSafetensors, writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, new Map([["w", { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]]));
 * const file = await openSafetensors(path);
 * assertEquals(file.entries.get("w")?.shape, [2]);
 * assertEquals([...(await file.read("w")).data], [1, 2]);
 * file.close();
 * await Deno.remove(path);
 * ```
 */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const source = await fileSource(path);
  try {
    return await parseHeader(source);
  } catch (error) {
    source.close();
    throw error;
  }
}

/**
 * Read every tensor of a safetensors file.
 *
 * @param path The file.
 * @returns The tensors and the header's metadata.
 * @throws {WeightsError} The file is missing, truncated or invalid.
 *
 * @example Read all
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, new Map([["b", { dtype: "I32", shape: [], data: new Int32Array([7]) }]]), { format: "pt" });
 * const { tensors, metadata } = await readSafetensors(path);
 * assertEquals([tensors.get("b")?.data[0], metadata.format], [7, "pt"]);
 * await Deno.remove(path);
 * ```
 */
export async function readSafetensors(
  path: string,
): Promise<{ tensors: NamedTensors; metadata: Record<string, string> }> {
  const file = await openSafetensors(path);
  try {
    return { tensors: await file.readAll(), metadata: { ...file.metadata } };
  } finally {
    file.close();
  }
}

/**
 * Parse safetensors bytes already in memory.
 *
 * @param bytes The whole file.
 * @param name The name used in messages.
 * @returns The tensors and metadata.
 * @throws {WeightsError} The bytes are truncated or invalid.
 *
 * @example Round trip in memory
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(new Map([["x", { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) }]]));
 * assertEquals([...(await decodeSafetensors(bytes)).tensors.get("x")!.data], [1, 2, 3]);
 * ```
 */
export async function decodeSafetensors(
  bytes: Uint8Array,
  name = "safetensors bytes",
): Promise<{ tensors: NamedTensors; metadata: Record<string, string> }> {
  const file = await parseHeader(bytesSource(bytes, name));
  return { tensors: await file.readAll(), metadata: { ...file.metadata } };
}

/**
 * Encode tensors in the safetensors format (header padded with spaces to 8 bytes, as the
 * reference implementation does; tensors in the map's order).
 *
 * @param tensors The tensors.
 * @param metadata Optional `__metadata__` strings.
 * @returns The file's bytes.
 *
 * @example Encode
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(new Map([["x", { dtype: "F32", shape: [1], data: new Float32Array([1]) }]]));
 * assertEquals(bytes.length % 8, 4);
 * ```
 */
export function encodeSafetensors(
  tensors: NamedTensors,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const length = sizeOf(t.shape) * DTYPE_SIZE[t.dtype];
    if (t.data.byteLength !== length) {
      throw new WeightsError(
        `the data holds ${t.data.byteLength} bytes, the shape [${t.shape}] of ${t.dtype} needs ${length}`,
        { tensor: name, action: "Cannot write weights" },
      );
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad > 0) {
    json += " ".repeat(pad);
    headerBytes = encoder.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    const b = tensorBytes(t);
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/**
 * Write tensors to a safetensors file atomically (temporary file, then rename).
 *
 * @param path The file.
 * @param tensors The tensors.
 * @param metadata Optional `__metadata__` strings.
 *
 * @example Write
 * ```ts
 * import { writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, new Map([["x", { dtype: "F32", shape: [1], data: new Float32Array([1]) }]]));
 * await Deno.remove(path);
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: NamedTensors,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
