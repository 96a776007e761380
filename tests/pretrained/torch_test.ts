import { deepStrictEqual as assertEquals, ok, rejects, throws } from "node:assert/strict";
import { decodeTorch, openTorch, readTorch } from "../../lib/pretrained/torch.ts";
import { PickleDict, PickleTuple, unpickle } from "../../lib/pretrained/_pickle.ts";
import { bytesSource } from "../../lib/pretrained/_source.ts";
import { crc32, crc32Js, openZip } from "../../lib/pretrained/_zip.ts";
import { WeightsError } from "../../lib/pretrained/tensor.ts";
import {
  assertTensors,
  EXPECTED,
  type ExpectedTensor,
  FIXTURES,
  removeCopy,
  tempCopy,
} from "./_fixtures.ts";

type Expected = Record<string, ExpectedTensor>;

Deno.test("readTorch() reads every value of a torch.save state_dict", async () => {
  const tensors = await readTorch(`${FIXTURES}state_dict.pth`);
  assertTensors(tensors, EXPECTED["state_dict.pth"] as Expected);
  assertEquals([...tensors.keys()].slice(0, 3), ["linear.weight", "linear.bias", "half.weight"]);
});

Deno.test("openTorch() reports strides and offsets, and copies views contiguously", async () => {
  const file = await openTorch(`${FIXTURES}state_dict.pth`);
  try {
    assertEquals(file.entries.get("transposed"), {
      dtype: "F32",
      shape: [3, 4],
      stride: [1, 3],
      storageOffset: 0,
      storageKey: file.entries.get("transposed")!.storageKey,
    });
    assertEquals(file.entries.get("conv.weight")?.stride, [18, 1, 6, 2]);
    assertEquals(file.entries.get("shared.view")?.storageOffset, 6);
    assertEquals(
      file.entries.get("shared.view")?.storageKey,
      file.entries.get("shared.all")?.storageKey,
    );
    const view = await file.read("shared.view");
    assertEquals([...view.data], Array.from({ length: 12 }, (_, i) => (i + 6) / 8));
  } finally {
    file.close();
  }
});

Deno.test("readTorch() flattens a nested checkpoint and keeps its other values", async () => {
  const path = `${FIXTURES}checkpoint.pth`;
  assertTensors(await readTorch(path), EXPECTED["checkpoint.pth"] as Expected);
  const file = await openTorch(path);
  try {
    assertEquals(Object.fromEntries(file.values), EXPECTED["checkpoint_values"]);
  } finally {
    file.close();
  }
});

Deno.test("readTorch() reads pickle protocol 5 and deflated archives", async () => {
  assertTensors(await readTorch(`${FIXTURES}protocol5.pth`), EXPECTED["protocol5.pth"] as Expected);
  assertTensors(await readTorch(`${FIXTURES}deflated.pth`), EXPECTED["state_dict.pth"] as Expected);
});

Deno.test("readTorch() rejects a pickle that calls os.system, without executing it", async () => {
  const marker = EXPECTED["malicious_marker"] as string;
  await Deno.remove(marker).catch(() => {});
  await rejects(readTorch(`${FIXTURES}malicious.pth`), (error: Error) => {
    ok(error instanceof WeightsError);
    ok(/global "(posix|os)\.system", which is not allowed/.test(error.message), error.message);
    ok(
      error.message.includes("malicious.pth") &&
        error.message.includes('entry "malicious/data.pkl"'),
    );
    return true;
  });
  await rejects(Deno.stat(marker), Deno.errors.NotFound);
});

Deno.test("readTorch() rejects the legacy format and other files clearly", async () => {
  await rejects(
    readTorch(`${FIXTURES}legacy.pth`),
    /legacy \(pre-1\.6\) torch\.save format is not supported/,
  );
  await rejects(readTorch(`${FIXTURES}expected.json`), /not a PyTorch zip archive/);
  await rejects(readTorch(`${FIXTURES}nope.pth`), /nope\.pth": the file does not exist/);
});

Deno.test("readTorch(): truncated and corrupt archives get located errors", async (t) => {
  await t.step("truncated", async () => {
    const path = await tempCopy("state_dict.pth", (b) => b.subarray(0, Math.floor(b.length / 2)));
    try {
      await rejects(readTorch(path), (error: Error) => {
        ok(error instanceof WeightsError && error.message.includes(path), error.message);
        ok(error.message.includes("truncated"), error.message);
        return true;
      });
    } finally {
      await removeCopy(path);
    }
  });
  await t.step("a flipped byte in a storage fails its CRC-32", async () => {
    const original = await Deno.readFile(`${FIXTURES}state_dict.pth`);
    const zip = await openZip(bytesSource(original, "x"));
    const entry = zip.entries.get("state_dict/data/0")!;
    const local = new DataView(original.buffer, entry.localHeaderOffset);
    const start = entry.localHeaderOffset + 30 + local.getUint16(26, true) +
      local.getUint16(28, true);
    const path = await tempCopy("state_dict.pth", (b) => {
      const c = b.slice();
      c[start + 1] ^= 0xff;
      return c;
    });
    try {
      const file = await openTorch(path);
      try {
        const name = [...file.entries].find(([, e]) => e.storageKey === "0")![0];
        await rejects(file.read(name), (error: Error) => {
          ok(
            error.message.includes('entry "state_dict/data/0": the CRC-32 check failed'),
            error.message,
          );
          return true;
        });
      } finally {
        file.close();
      }
    } finally {
      await removeCopy(path);
    }
  });
  await t.step("bytes that are not an archive", async () => {
    await rejects(
      decodeTorch(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), "cut.pth"),
      /cut\.pth": the zip archive has no end-of-directory record/,
    );
  });
});

Deno.test("crc32() matches the zip polynomial", () => {
  const check = new TextEncoder().encode("123456789");
  assertEquals([crc32(check), crc32Js(check)], [0xcbf43926, 0xcbf43926]);
  const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31) & 0xff);
  assertEquals(crc32Js(bytes), crc32(bytes));
});

const enc = new TextEncoder();
function pickle(...parts: (number[] | string)[]): Uint8Array {
  const bytes: number[] = [];
  for (const p of parts) bytes.push(...(typeof p === "string" ? enc.encode(p) : p));
  return new Uint8Array(bytes);
}
const GLOBALS = new Map<string, unknown>([["collections.OrderedDict", () => new PickleDict()]]);
const run = (bytes: Uint8Array) => unpickle(bytes, { file: "p.pkl", globals: GLOBALS });

Deno.test("unpickle() reads plain data of protocols 2 to 5", () => {
  // {"a": [1, -2, 3.5, None, True], "b": (b"xy", 2**40)}, protocol 4 with FRAME and MEMOIZE.
  const value = run(pickle(
    [0x80, 4, 0x95, 40, 0, 0, 0, 0, 0, 0, 0],
    [0x7d, 0x94, 0x28],
    [0x8c, 1],
    "a",
    [
      0x94,
      0x5d,
      0x94,
      0x28,
      0x4b,
      1,
      0x4a,
      0xfe,
      0xff,
      0xff,
      0xff,
      0x47,
      0x40,
      0x0c,
      0,
      0,
      0,
      0,
      0,
      0,
    ],
    [0x4e, 0x88, 0x65],
    [0x8c, 1],
    "b",
    [0x43, 2],
    "xy",
    [0x8a, 6, 0, 0, 0, 0, 0, 1, 0x86, 0x75, 0x2e],
  )) as PickleDict;
  assertEquals(value.get("a"), [1, -2, 3.5, null, true]);
  const b = value.get("b") as PickleTuple;
  ok(b instanceof PickleTuple);
  assertEquals([[...(b[0] as Uint8Array)], b[1]], [[120, 121], 2 ** 40]);
});

Deno.test("unpickle() rejects globals and opcodes outside the allowlist", async (t) => {
  const rejectsWith = (bytes: Uint8Array, pattern: RegExp) =>
    throws(() => run(bytes), (error: Error) => {
      ok(error instanceof WeightsError, String(error));
      ok(pattern.test(error.message), error.message);
      return true;
    });
  await t.step("STACK_GLOBAL builtins.eval", () =>
    rejectsWith(
      pickle([0x80, 4, 0x8c, 8], "builtins", [0x8c, 4], "eval", [0x93, 0x8c, 1], "1", [
        0x85,
        0x52,
        0x2e,
      ]),
      /global "builtins\.eval", which is not allowed/,
    ));
  await t.step(
    "GLOBAL subprocess.Popen",
    () => rejectsWith(pickle([0x80, 2], "csubprocess\nPopen\n", [0x2e]), /"subprocess\.Popen"/),
  );
  await t.step(
    "INST",
    () =>
      rejectsWith(pickle([0x80, 2, 0x28], "ios\nsystem\n", [0x2e]), /opcode INST .* not allowed/),
  );
  await t.step(
    "NEWOBJ",
    () => rejectsWith(pickle([0x80, 2, 0x4e, 0x29, 0x81, 0x2e]), /opcode NEWOBJ .* not allowed/),
  );
  await t.step("protocol 0", () => rejectsWith(pickle("I1\n."), /protocol 2 or later/));
  await t.step(
    "protocol 6",
    () => rejectsWith(pickle([0x80, 6, 0x4e, 0x2e]), /unsupported pickle protocol 6/),
  );
  await t.step(
    "truncated",
    () => rejectsWith(pickle([0x80, 2, 0x58, 9, 0, 0, 0, 0x61]), /ends early/),
  );
  await t.step(
    "BUILD on a non-dict",
    () => rejectsWith(pickle([0x80, 2, 0x5d, 0x7d, 0x62, 0x2e]), /BUILD .* not allowed/),
  );
  await t.step(
    "a memo never stored",
    () => rejectsWith(pickle([0x80, 2, 0x68, 5, 0x2e]), /memo 5/),
  );
});

Deno.test("readTorch() reads an archive written with byteorder big", async () => {
  assertTensors(
    await readTorch(`${FIXTURES}big_endian.pth`),
    EXPECTED["big_endian.pth"] as Expected,
  );
});

Deno.test("readTorch() rejects a TorchScript archive with a hint", async () => {
  await rejects(
    readTorch(`${FIXTURES}torchscript.pt`),
    /torchscript\.pt": this is a TorchScript archive \(torch\.jit\.save\), not a state_dict: save model\.state_dict\(\) with torch\.save instead/,
  );
});

/** Re-write an archive's entries as a zip64 archive (as writers do past 4 GiB), by hand. */
function zip64Of(entries: { name: string; data: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const u8 = (n: number, f: (v: DataView) => void) => {
    const b = new Uint8Array(n);
    f(new DataView(b.buffer));
    return b;
  };
  for (const { name, data } of entries) {
    const nameBytes = enc.encode(name);
    const crc = crc32(data);
    const local = u8(30 + nameBytes.length + 20, (v) => {
      v.setUint32(0, 0x04034b50, true);
      v.setUint16(4, 45, true);
      v.setUint32(14, crc, true);
      v.setUint32(18, 0xffffffff, true);
      v.setUint32(22, 0xffffffff, true);
      v.setUint16(26, nameBytes.length, true);
      v.setUint16(28, 20, true);
      v.setUint16(30 + nameBytes.length, 1, true);
      v.setUint16(32 + nameBytes.length, 16, true);
      v.setBigUint64(34 + nameBytes.length, BigInt(data.length), true);
      v.setBigUint64(42 + nameBytes.length, BigInt(data.length), true);
    });
    local.set(nameBytes, 30);
    const record = u8(46 + nameBytes.length + 28, (v) => {
      v.setUint32(0, 0x02014b50, true);
      v.setUint16(4, 45, true);
      v.setUint16(6, 45, true);
      v.setUint32(16, crc, true);
      v.setUint32(20, 0xffffffff, true);
      v.setUint32(24, 0xffffffff, true);
      v.setUint16(28, nameBytes.length, true);
      v.setUint16(30, 28, true);
      v.setUint32(42, 0xffffffff, true);
      const e = 46 + nameBytes.length;
      v.setUint16(e, 1, true);
      v.setUint16(e + 2, 24, true);
      v.setBigUint64(e + 4, BigInt(data.length), true);
      v.setBigUint64(e + 12, BigInt(data.length), true);
      v.setBigUint64(e + 20, BigInt(offset), true);
    });
    record.set(nameBytes, 46);
    central.push(record);
    parts.push(local, data);
    offset += local.length + data.length;
  }
  const dirSize = central.reduce((s, c) => s + c.length, 0);
  const eocd64 = u8(56, (v) => {
    v.setUint32(0, 0x06064b50, true);
    v.setBigUint64(4, 44n, true);
    v.setBigUint64(24, BigInt(entries.length), true);
    v.setBigUint64(32, BigInt(entries.length), true);
    v.setBigUint64(40, BigInt(dirSize), true);
    v.setBigUint64(48, BigInt(offset), true);
  });
  const locator = u8(20, (v) => {
    v.setUint32(0, 0x07064b50, true);
    v.setBigUint64(8, BigInt(offset + dirSize), true);
    v.setUint32(16, 1, true);
  });
  const eocd = u8(22, (v) => {
    v.setUint32(0, 0x06054b50, true);
    v.setUint16(8, 0xffff, true);
    v.setUint16(10, 0xffff, true);
    v.setUint32(12, 0xffffffff, true);
    v.setUint32(16, 0xffffffff, true);
  });
  const all = [...parts, ...central, eocd64, locator, eocd];
  const out = new Uint8Array(all.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of all) out.set(p, at), at += p.length;
  return out;
}

Deno.test("readTorch() reads zip64 archives (sizes and offsets in zip64 records)", async () => {
  const original = await Deno.readFile(`${FIXTURES}protocol5.pth`);
  const zip = await openZip(bytesSource(original, "protocol5.pth"));
  const entries = [];
  for (const name of zip.entries.keys()) {
    entries.push({ name, data: (await zip.read(name)).slice() });
  }
  const file = await decodeTorch(zip64Of(entries), "zip64.pth");
  assertTensors(await file.readAll(), EXPECTED["protocol5.pth"] as Expected);
});
