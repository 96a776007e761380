import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToFloat16,
  fromBytes,
  toFloat32,
  WeightsError,
} from "../../lib/pretrained/tensor.ts";
import { DataError } from "../../lib/data/errors.ts";

Deno.test("float16: every finite half value survives float32 and back", () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const values = float16ToFloat32(all);
  const back = float32ToFloat16(values);
  for (let i = 0; i < 65536; i++) {
    const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (isNaN) {
      ok(Number.isNaN(values[i]) && Number.isNaN(float16ToFloat32(back.subarray(i, i + 1))[0]));
    } else assertEquals(back[i], i, `0x${i.toString(16)}`);
  }
  assertEquals([...float16ToFloat32(new Uint16Array([0x3555, 0x0001, 0x7c00, 0xfbff]))], [
    0.333251953125,
    2 ** -24,
    Infinity,
    -65504,
  ]);
  // Rounding: to nearest even, overflow to infinity, underflow to zero.
  assertEquals([
    ...float32ToFloat16(new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 2 ** -26])),
  ], [
    0x3c00,
    0x3c02,
    0x7c00,
    0,
  ]);
});

Deno.test("bfloat16ToFloat32() keeps the top half of a float32", () => {
  assertEquals([...bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc040, 0x7f80]))], [
    1,
    -3,
    Infinity,
  ]);
});

Deno.test("toFloat32() converts every dtype", () => {
  assertEquals([
    ...toFloat32({ dtype: "I64", shape: [2], data: new BigInt64Array([-5n, 1n << 40n]) }),
  ], [-5, 2 ** 40]);
  assertEquals([...toFloat32({ dtype: "BOOL", shape: [2], data: new Uint8Array([1, 0]) })], [1, 0]);
  assertEquals([...toFloat32({ dtype: "I8", shape: [1], data: new Int8Array([-7]) })], [-7]);
  assertEquals([...toFloat32({ dtype: "F64", shape: [1], data: new Float64Array([0.5]) })], [0.5]);
  assertEquals([...toFloat32({ dtype: "F16", shape: [1], data: new Uint16Array([0xc000]) })], [-2]);
});

Deno.test("fromBytes() copies unaligned bytes and rejects partial values", () => {
  const bytes = new Uint8Array(9);
  bytes.set(new Uint8Array(new Float32Array([1, 2]).buffer), 1);
  assertEquals([...fromBytes("F32", bytes.subarray(1))], [1, 2]);
  throws(() => fromBytes("F32", new Uint8Array(3)), RangeError);
});

Deno.test("WeightsError names the file and tensor or entry", () => {
  assertEquals(
    new WeightsError("bad", { file: "f", entry: "a/b" }).message,
    'Cannot read weights "f": entry "a/b": bad',
  );
  assertEquals(new WeightsError("bad").message, "Cannot read weights: bad");
  ok(new WeightsError("x") instanceof TypeError);
  // A DataError, so the CLI reports it as a user's mistake (exit code 2, no stack).
  const error = new WeightsError("bad", { file: "f", tensor: "t" });
  ok(error instanceof DataError);
  assertEquals([error.file, error.tensor, error.detail, error.name], [
    "f",
    "t",
    "bad",
    "WeightsError",
  ]);
});
