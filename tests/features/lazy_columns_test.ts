// Lazy column sources read from the preprocessing cache's split files give the same tensors as
// the in-memory columns (uint8 and float32 columns), through readBatch.
import assert from "node:assert/strict";
import type { EncodedSplit } from "../../lib/features/_common.ts";
import { decodeSplitFile, encodeSplitFile, openSplitColumns } from "../../lib/features/cache.ts";
import { batchTensor, memorySource, readBatch } from "../../lib/train/batches.ts";
import { takeRows } from "../../lib/features/preprocess.ts";

function split(): EncodedSplit {
  const n = 7;
  // A 2×3 "image" of uint8 per row (values up to 255), a float32 vector, an int32 scalar.
  const pixels = Uint8Array.from({ length: n * 6 }, (_, i) => (i * 37 + 11) % 256);
  const vec = Float32Array.from({ length: n * 3 }, (_, i) => i / 3 - 2.5);
  const ids = Int32Array.from({ length: n }, (_, i) => i * 10);
  return {
    numRows: n,
    columns: {
      img: { data: pixels, dtype: "uint8", shape: [2, 3] },
      vec: { data: vec, dtype: "float32", shape: [3] },
      id: { data: ids, dtype: "int32", shape: [] },
    },
  };
}

Deno.test("lazy column reads equal in-memory reads (uint8 and float32)", async () => {
  const s = split();
  const rows = Int32Array.from({ length: s.numRows }, (_, i) => i + 100);
  const bytes = encodeSplitFile(s, rows);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/k.training.bin`;
  await Deno.writeFile(path, bytes);
  const { createHash } = await import("node:crypto");
  const sha = createHash("sha256").update(bytes).digest("hex");
  const lazy = await openSplitColumns(path, { sha256: sha });
  try {
    assert.equal(lazy.numRows, 7);
    assert.deepEqual(Array.from(lazy.rows), Array.from(rows));
    const decoded = decodeSplitFile(bytes).split;
    assert.ok(decoded.columns.img.data instanceof Uint8Array);
    for (const pick of [[0, 1, 2], [6, 2, 2, 0], [3], [4, 5, 6, 0, 1]]) {
      for (const name of ["img", "vec", "id"]) {
        const memory = batchTensor(s.columns[name], pick);
        const fromFile = await readBatch(lazy.columns[name], pick);
        const fromMemorySource = await readBatch(memorySource(s.columns[name]), pick);
        const viaColumn = await readBatch(s.columns[name], pick);
        for (const t of [fromFile, fromMemorySource, viaColumn]) {
          assert.deepEqual(t.shape, memory.shape, name);
          assert.equal(t.dtype, memory.dtype, name);
          assert.deepEqual(Array.from(await t.data()), Array.from(await memory.data()), name);
          t.dispose();
        }
        memory.dispose();
      }
    }
    // uint8 columns become float32 tensors of the raw values.
    const img = await readBatch(lazy.columns.img, [1]);
    assert.equal(img.dtype, "float32");
    assert.deepEqual(img.shape, [1, 2, 3]);
    assert.deepEqual(Array.from(await img.data()), Array.from(s.columns.img.data.subarray(6, 12)));
    img.dispose();
    await assert.rejects(() => lazy.columns.vec.read(Int32Array.of(7)), RangeError);
  } finally {
    await lazy.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lazy split rejects a file that does not match its checksum", async () => {
  const s = split();
  const bytes = encodeSplitFile(s, Int32Array.from({ length: s.numRows }, (_, i) => i));
  bytes[bytes.length - 1] ^= 1;
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/x.bin`, bytes);
    await assert.rejects(
      () => openSplitColumns(`${dir}/x.bin`, { sha256: "0".repeat(64) }),
      /does not match its checksum/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("uint8 columns survive takeRows and the split file round trip", () => {
  const s = split();
  const taken = takeRows(s, Int32Array.of(2, 2, 0));
  assert.ok(taken.columns.img.data instanceof Uint8Array);
  assert.deepEqual(
    Array.from(taken.columns.img.data),
    [
      ...s.columns.img.data.subarray(12, 18),
      ...s.columns.img.data.subarray(12, 18),
      ...s.columns.img.data.subarray(0, 6),
    ],
  );
  const back = decodeSplitFile(encodeSplitFile(taken, Int32Array.of(0, 1, 2))).split;
  assert.deepEqual(Array.from(back.columns.img.data), Array.from(taken.columns.img.data));
  assert.equal(back.columns.img.dtype, "uint8");
});
