/**
 * PyTorch weight files as `torch.save` writes them (`.pth`, `.pt`, Hugging Face's
 * `pytorch_model.bin`): a zip archive holding `<name>/data.pkl` (the pickled object),
 * `<name>/data/<key>` (one entry per storage, raw little-endian bytes), `<name>/byteorder` and
 * `<name>/version`.
 *
 * The pickle is read by a restricted unpickler that executes nothing: protocols 2 to 5, only the
 * opcodes plain data needs, and only these globals, each a TypeScript function of this module:
 * `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter`,
 * `torch._utils._rebuild_parameter_with_state` and the typed storages `torch.FloatStorage`,
 * `HalfStorage`, `BFloat16Storage`, `DoubleStorage`, `LongStorage`, `IntStorage`, `ShortStorage`,
 * `CharStorage`, `ByteStorage`, `BoolStorage`. Anything else (a pickle that would call
 * `os.system`, a custom class) is a {@linkcode WeightsError} naming the global or opcode, raised
 * before anything runs. Tensors honour their storage offset and strides: a non-contiguous tensor
 * (a saved transpose) is copied into contiguous row-major order.
 *
 * Opening reads the central directory and the pickle only; storages are read when a tensor is.
 * Nested dicts (a checkpoint `{"model": state_dict, "epoch": 3}`) are flattened with dotted names;
 * values that are not tensors are kept in `values`. The legacy pre-1.6 format and TorchScript
 * archives are rejected with a message saying how to re-save the file.
 *
 * @module
 */
import { type ByteSource, bytesSource, fileSource } from "./_source.ts";
import { isZip, openZip, type ZipArchive } from "./_zip.ts";
import { PickleDict, unpickle } from "./_pickle.ts";
import {
  type DType,
  DTYPE_SIZE,
  fromBytes,
  type NamedTensors,
  type RawTensor,
  sizeOf,
  swapBytes,
  type TensorData,
  WeightsError,
} from "./tensor.ts";

/** Where one tensor of a torch file lies. */
export interface TorchTensorInfo {
  /** The element type. */
  dtype: DType;
  /** The dimensions. */
  shape: number[];
  /** Element strides into the storage. */
  stride: number[];
  /** Element offset into the storage. */
  storageOffset: number;
  /** The storage's key (its entry `<name>/data/<key>`). */
  storageKey: string;
}

/** An open torch file: its tensors' layout, other values, and tensors read on demand. */
export interface TorchFile {
  /** The file name used in messages. */
  readonly name: string;
  /** Tensors by flattened name, in the pickle's order. */
  readonly entries: ReadonlyMap<string, TorchTensorInfo>;
  /** Values that are not tensors, by flattened name (such as `epoch`). */
  readonly values: ReadonlyMap<string, unknown>;
  /** Read one tensor (contiguous, row-major). */
  read(name: string): Promise<RawTensor>;
  /** Read every tensor. */
  readAll(): Promise<NamedTensors>;
  /** Release the file. */
  close(): void;
}

const STORAGES: Record<string, DType> = {
  FloatStorage: "F32",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  DoubleStorage: "F64",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};

class StorageType {
  constructor(readonly dtype: DType) {}
}

class StorageRef {
  constructor(readonly key: string, readonly dtype: DType, readonly numel: number) {}
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

function isIntList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && v >= 0);
}

function makeGlobals(fail: (detail: string) => WeightsError): Map<string, unknown> {
  const globals = new Map<string, unknown>();
  globals.set("collections.OrderedDict", (args: unknown[]) => {
    const dict = new PickleDict();
    if (args.length > 0 && Array.isArray(args[0])) {
      for (const pair of args[0]) {
        if (Array.isArray(pair) && pair.length === 2) dict.set(pair[0], pair[1]);
      }
    }
    return dict;
  });
  globals.set("torch._utils._rebuild_tensor_v2", (args: unknown[]) => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof StorageRef)) throw fail("_rebuild_tensor_v2 without a storage");
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
      throw fail(`_rebuild_tensor_v2 with a bad storage offset ${String(offset)}`);
    }
    if (!isIntList(size) || !isIntList(stride) || size.length !== stride.length) {
      throw fail("_rebuild_tensor_v2 with a bad size or stride");
    }
    return new TensorRef(storage, offset as number, [...size], [...stride]);
  });
  const parameter = (args: unknown[]) => {
    if (!(args[0] instanceof TensorRef)) throw fail("_rebuild_parameter without a tensor");
    return args[0];
  };
  globals.set("torch._utils._rebuild_parameter", parameter);
  globals.set("torch._utils._rebuild_parameter_with_state", parameter);
  for (const [name, dtype] of Object.entries(STORAGES)) {
    globals.set(`torch.${name}`, new StorageType(dtype));
  }
  return globals;
}

function flatten(
  value: unknown,
  prefix: string,
  tensors: Map<string, TensorRef>,
  values: Map<string, unknown>,
): void {
  if (value instanceof TensorRef) {
    tensors.set(prefix, value);
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      flatten(v, prefix === "" ? String(k) : `${prefix}.${k}`, tensors, values);
    }
  } else if (
    Array.isArray(value) && value.some((v) => v instanceof TensorRef || v instanceof Map)
  ) {
    value.forEach((v, i) =>
      flatten(v, prefix === "" ? String(i) : `${prefix}.${i}`, tensors, values)
    );
  } else {
    values.set(prefix, value);
  }
}

/** Copy a strided view of a storage into a contiguous array. */
function gather(storage: TensorData, t: TensorRef): TensorData {
  const n = sizeOf(t.shape);
  const Ctor = storage.constructor as new (n: number) => TensorData;
  const out = new Ctor(n);
  if (n === 0) return out;
  const rank = t.shape.length;
  let contiguous = true;
  for (let d = rank - 1, expect = 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.shape[d];
  }
  if (contiguous) {
    return storage.slice(t.storageOffset, t.storageOffset + n) as TensorData;
  }
  const src = storage as unknown as { [i: number]: number | bigint };
  const dst = out as unknown as { [i: number]: number | bigint };
  const index = new Array(rank).fill(0);
  const inner = rank - 1;
  const innerSize = t.shape[inner];
  const innerStride = t.stride[inner];
  let base = t.storageOffset;
  for (let o = 0; o < n; o += innerSize) {
    for (let j = 0, s = base; j < innerSize; j++, s += innerStride) dst[o + j] = src[s];
    for (let d = inner - 1; d >= 0; d--) {
      index[d]++;
      base += t.stride[d];
      if (index[d] < t.shape[d]) break;
      base -= t.stride[d] * t.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

async function openTorchSource(source: ByteSource): Promise<TorchFile> {
  const file = source.name;
  const head = await source.read(0, Math.min(16, source.size));
  if (!isZip(head)) {
    if (head[0] === 0x80) {
      throw new WeightsError(
        "the legacy (pre-1.6) torch.save format is not supported: re-save the file with" +
          " torch.save(obj, path), which writes the zip format since PyTorch 1.6",
        { file },
      );
    }
    throw new WeightsError("not a PyTorch zip archive (torch.save format)", { file });
  }
  const zip: ZipArchive = await openZip(source);
  const names = [...zip.entries.keys()];
  if (names.some((n) => /^[^/]+\/(constants\.pkl$|code\/)/.test(n))) {
    throw new WeightsError(
      "this is a TorchScript archive (torch.jit.save), not a state_dict: save" +
        " model.state_dict() with torch.save instead",
      { file },
    );
  }
  const pkl = names.find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl === undefined) {
    throw new WeightsError("the archive has no <name>/data.pkl entry (not a torch.save file)", {
      file,
    });
  }
  const prefix = pkl.slice(0, -"data.pkl".length);
  let bigEndian = false;
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(await zip.read(`${prefix}byteorder`)).trim();
    if (order !== "little" && order !== "big") {
      throw new WeightsError(`unknown byte order "${order}"`, {
        file,
        entry: `${prefix}byteorder`,
      });
    }
    bigEndian = order === "big";
  }
  const fail = (detail: string) => new WeightsError(detail, { file, entry: pkl });
  const storages = new Map<string, StorageRef>();
  const root = unpickle(await zip.read(pkl), {
    file,
    entry: pkl,
    globals: makeGlobals(fail),
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5) {
        throw fail(`unsupported persistent id ${JSON.stringify(String(pid))}`);
      }
      const [, type, key, , numel] = pid;
      if (!(type instanceof StorageType)) throw fail("a storage without a known storage type");
      if (typeof key !== "string" || !Number.isSafeInteger(numel)) {
        throw fail("a storage with a bad key or size");
      }
      let ref = storages.get(key);
      if (ref === undefined) {
        ref = new StorageRef(key, type.dtype, numel as number);
        storages.set(key, ref);
      }
      return ref;
    },
  });
  const tensors = new Map<string, TensorRef>();
  const values = new Map<string, unknown>();
  flatten(root, "", tensors, values);
  const entries = new Map<string, TorchTensorInfo>();
  for (const [name, t] of tensors) {
    let last = t.storageOffset;
    for (let d = 0; d < t.shape.length; d++) {
      if (t.shape[d] === 0) last = -1;
      if (last >= 0) last += (t.shape[d] - 1) * t.stride[d];
    }
    if (last >= t.storage.numel) {
      throw new WeightsError(
        `the tensor's view (offset ${t.storageOffset}, shape [${t.shape}], stride [${t.stride}])` +
          ` reaches element ${last} of a storage of ${t.storage.numel}`,
        { file, tensor: name },
      );
    }
    entries.set(name, {
      dtype: t.storage.dtype,
      shape: [...t.shape],
      stride: [...t.stride],
      storageOffset: t.storageOffset,
      storageKey: t.storage.key,
    });
  }
  const cache = new Map<string, Promise<TensorData>>();
  const loadStorage = (ref: StorageRef, tensor: string): Promise<TensorData> => {
    let promise = cache.get(ref.key);
    if (promise === undefined) {
      promise = (async () => {
        const entry = `${prefix}data/${ref.key}`;
        if (!zip.entries.has(entry)) {
          throw new WeightsError(`its storage "${entry}" is missing from the archive`, {
            file,
            tensor,
          });
        }
        // Tensors are gathered into their own arrays below, so the storage may stay a view;
        // only a byte swap, done in place, needs a private copy.
        const raw = await zip.read(entry);
        const bytes = bigEndian ? raw.slice() : raw;
        const size = DTYPE_SIZE[ref.dtype];
        if (bytes.length !== ref.numel * size) {
          throw new WeightsError(
            `its storage "${entry}" holds ${bytes.length} bytes, ${ref.numel} ${ref.dtype} values need ${
              ref.numel * size
            }`,
            { file, tensor },
          );
        }
        if (bigEndian) swapBytes(bytes, size);
        return fromBytes(ref.dtype, bytes);
      })();
      cache.set(ref.key, promise);
    }
    return promise;
  };
  const read = async (name: string): Promise<RawTensor> => {
    const t = tensors.get(name);
    if (t === undefined) {
      throw new WeightsError("no such tensor in the file", { file, tensor: name });
    }
    const storage = await loadStorage(t.storage, name);
    return { dtype: t.storage.dtype, shape: [...t.shape], data: gather(storage, t) } as RawTensor;
  };
  return {
    name: file,
    entries,
    values,
    read,
    async readAll() {
      const out: NamedTensors = new Map();
      try {
        for (const name of tensors.keys()) out.set(name, await read(name));
      } finally {
        cache.clear();
      }
      return out;
    },
    close: () => {
      cache.clear();
      source.close();
    },
  };
}

/**
 * Open a `torch.save` file, reading its directory and pickle (not its storages).
 *
 * @param path The `.pth`, `.pt` or `.bin` file.
 * @returns The open file; call `close()` when done.
 * @throws {WeightsError} A missing, truncated or corrupt file, a legacy or TorchScript file, or a
 * pickle that uses a global or opcode outside the allowlist.
 *
 * @example Open a fixture
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { openTorch } from "./torch.ts";
 * const path = new URL("../../tests/fixtures/pretrained/state_dict.pth", import.meta.url).pathname;
 * const file = await openTorch(path);
 * assertEquals(file.entries.get("linear.weight")?.shape, [3, 4]);
 * file.close();
 * ```
 */
export async function openTorch(path: string): Promise<TorchFile> {
  const source = await fileSource(path);
  try {
    return await openTorchSource(source);
  } catch (error) {
    source.close();
    throw error;
  }
}

/**
 * Read every tensor of a `torch.save` file.
 *
 * @param path The file.
 * @returns The tensors by flattened name.
 * @throws {WeightsError} As {@linkcode openTorch}, or a storage that is missing or corrupt.
 *
 * @example Read a fixture
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readTorch } from "./torch.ts";
 * const path = new URL("../../tests/fixtures/pretrained/state_dict.pth", import.meta.url).pathname;
 * const tensors = await readTorch(path);
 * assertEquals(tensors.get("linear.bias")?.dtype, "F32");
 * ```
 */
export async function readTorch(path: string): Promise<NamedTensors> {
  const file = await openTorch(path);
  try {
    return await file.readAll();
  } finally {
    file.close();
  }
}

/**
 * Read a `torch.save` archive already in memory.
 *
 * @param bytes The archive.
 * @param name The name used in messages.
 * @returns The open file (its reads come from `bytes`).
 * @throws {WeightsError} As {@linkcode openTorch}.
 *
 * @example Reject bytes that are not an archive
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { decodeTorch } from "./torch.ts";
 * const error = await decodeTorch(new Uint8Array([1, 2, 3]), "x.pth").catch((e) => e);
 * assert(error.message.includes("not a PyTorch zip archive"));
 * ```
 */
export function decodeTorch(bytes: Uint8Array, name = "torch bytes"): Promise<TorchFile> {
  return openTorchSource(bytesSource(bytes, name));
}
