import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import {
  decodeSafetensors,
  encodeSafetensors,
  openSafetensors,
  readSafetensors,
  writeSafetensors,
} from "../../lib/pretrained/safetensors.ts";
import {
  type DType,
  DTYPES,
  type NamedTensors,
  type RawTensor,
  WeightsError,
} from "../../lib/pretrained/tensor.ts";
import {
  assertTensors,
  EXPECTED,
  type ExpectedTensor,
  FIXTURES,
  removeCopy,
  tempCopy,
} from "./_fixtures.ts";

const FILE = `${FIXTURES}tensors.safetensors`;

Deno.test("readSafetensors() reads every value of a file written by hand in Python", async () => {
  const { tensors, metadata } = await readSafetensors(FILE);
  assertTensors(tensors, EXPECTED["tensors.safetensors"] as Record<string, ExpectedTensor>);
  assertEquals(metadata, EXPECTED["safetensors_metadata"]);
  assertEquals([...tensors.keys()][0], "embeddings.word_embeddings.weight");
});

function sample(dtype: DType, n: number): RawTensor {
  const values = Array.from({ length: n }, (_, i) => i - 2);
  switch (dtype) {
    case "F64":
      return { dtype, shape: [n], data: Float64Array.from(values) };
    case "F32":
      return { dtype, shape: [n], data: Float32Array.from(values) };
    case "I64":
      return { dtype, shape: [n], data: BigInt64Array.from(values.map(BigInt)) };
    case "I32":
      return { dtype, shape: [n], data: Int32Array.from(values) };
    case "I16":
      return { dtype, shape: [n], data: Int16Array.from(values) };
    case "I8":
      return { dtype, shape: [n], data: Int8Array.from(values) };
    case "F16":
    case "BF16":
      return { dtype, shape: [n], data: Uint16Array.from(values, (v) => v + 0x3c00) };
    default:
      return { dtype, shape: [n], data: Uint8Array.from(values, (v) => (v + 2) % 2) };
  }
}

Deno.test("writeSafetensors() and openSafetensors() round-trip every dtype", async () => {
  const tensors: NamedTensors = new Map(DTYPES.map((d, i) => [`t.${d}`, sample(d, 3 + i)]));
  tensors.set("scalar", { dtype: "F32", shape: [], data: new Float32Array([7]) });
  tensors.set("empty", { dtype: "F32", shape: [0, 4], data: new Float32Array(0) });
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await writeSafetensors(path, tensors, { format: "pt" });
    const file = await openSafetensors(path);
    try {
      assertEquals([...file.entries.keys()], [...tensors.keys()]);
      assertEquals(file.metadata, { format: "pt" });
      for (const [name, t] of tensors) {
        const got = await file.read(name);
        assertEquals([got.dtype, got.shape, [...got.data]], [t.dtype, t.shape, [...t.data]]);
      }
    } finally {
      file.close();
    }
    const bytes = await Deno.readFile(path);
    assertEquals(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
    assertEquals((await decodeSafetensors(bytes)).tensors.size, tensors.size);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("openSafetensors() reads only the header of a large file", async () => {
  // A sparse 3 GiB file: reading all of it would take long and fail on memory.
  const big = 3 * 1024 ** 3;
  const header = JSON.stringify({
    small: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    huge: { dtype: "U8", shape: [big], data_offsets: [8, 8 + big] },
  });
  const headerBytes = new TextEncoder().encode(header);
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    const head = new Uint8Array(8 + headerBytes.length + 8);
    new DataView(head.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
    head.set(headerBytes, 8);
    head.set(new Uint8Array(new Float32Array([1.5, -2]).buffer), 8 + headerBytes.length);
    await Deno.writeFile(path, head);
    await Deno.truncate(path, 8 + headerBytes.length + 8 + big);
    const file = await openSafetensors(path);
    try {
      assertEquals(file.entries.get("huge")?.shape, [big]);
      assertEquals([...(await file.read("small")).data], [1.5, -2]);
    } finally {
      file.close();
    }
  } finally {
    await Deno.remove(path);
  }
});

function withHeader(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === "string" ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

async function rejectsWith(bytes: Uint8Array, ...parts: string[]): Promise<void> {
  await rejects(decodeSafetensors(bytes, "bad.safetensors"), (error: Error) => {
    ok(error instanceof WeightsError, String(error));
    ok(error.message.startsWith('Cannot read weights "bad.safetensors": '), error.message);
    for (const p of parts) ok(error.message.includes(p), `${error.message} lacks ${p}`);
    return true;
  });
}

Deno.test("safetensors: corrupt files get errors naming the file and tensor", async (t) => {
  await t.step("truncated fixture", async () => {
    const path = await tempCopy("tensors.safetensors", (b) => b.subarray(0, b.length - 3));
    try {
      await rejects(openSafetensors(path), (error: Error) => {
        ok(error instanceof WeightsError);
        ok(
          error.message.includes(path) && error.message.includes('tensor "scalar"'),
          error.message,
        );
        ok(error.message.includes("truncated"), error.message);
        return true;
      });
    } finally {
      await removeCopy(path);
    }
  });
  await t.step(
    "shorter than 8 bytes",
    () => rejectsWith(new Uint8Array(3), "shorter than the 8-byte"),
  );
  await t.step("header longer than the file", async () => {
    const bytes = withHeader({});
    new DataView(bytes.buffer).setBigUint64(0, 1n << 40n, true);
    await rejectsWith(bytes, "exceeds");
  });
  await t.step("header not JSON", () => rejectsWith(withHeader("{nope"), "not valid JSON"));
  await t.step("header not an object", () => rejectsWith(withHeader([1]), "not a JSON object"));
  await t.step("unknown dtype", () =>
    rejectsWith(
      withHeader({ w: { dtype: "F8", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      'tensor "w"',
      'unsupported dtype "F8"',
    ));
  await t.step("bad shape", () =>
    rejectsWith(
      withHeader({ w: { dtype: "U8", shape: [-1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      'tensor "w"',
      "shape",
    ));
  await t.step("byte count not matching the shape", () =>
    rejectsWith(
      withHeader({ w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8)),
      'tensor "w"',
      "needs 8",
    ));
  await t.step("reversed offsets", () =>
    rejectsWith(
      withHeader({ w: { dtype: "U8", shape: [0], data_offsets: [4, 2] } }, new Uint8Array(8)),
      "begin <= end",
    ));
  await t.step("overlapping tensors", () =>
    rejectsWith(
      withHeader({
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
      }, new Uint8Array(8)),
      "overlap",
    ));
  await t.step("a hole between tensors", () =>
    rejectsWith(
      withHeader({
        a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
        b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
      }, new Uint8Array(12)),
      'tensor "b"',
      "unused bytes 4–8",
    ));
  await t.step("trailing bytes", () =>
    rejectsWith(
      withHeader({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(6)),
      "holds 6 bytes, its tensors use 4",
    ));
  await t.step(
    "metadata not strings",
    () => rejectsWith(withHeader({ __metadata__: { a: 1 } }), '"__metadata__" key "a"'),
  );
  await t.step("an unknown tensor name", async () => {
    const file = await openSafetensors(FILE);
    try {
      await rejects(file.read("nope"), /tensor "nope": no such tensor/);
    } finally {
      file.close();
    }
  });
  await t.step(
    "a missing file",
    () =>
      rejects(
        openSafetensors(`${FIXTURES}missing.safetensors`),
        /missing\.safetensors": the file does not exist/,
      ),
  );
});

Deno.test("encodeSafetensors() rejects data that does not match the shape", () => {
  let error: unknown;
  try {
    encodeSafetensors(new Map([["w", { dtype: "F32", shape: [3], data: new Float32Array(2) }]]));
  } catch (e) {
    error = e;
  }
  ok(error instanceof WeightsError && error.message.includes('tensor "w"'));
});
