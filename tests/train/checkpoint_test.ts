// Binary checkpoints: layout, verification on read (flipped byte, truncation, edited manifest),
// non-finite weights refused, partial folders of a killed write cleaned up.
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import {
  cleanupPartialWrites,
  readCheckpoint,
  writeCheckpoint,
} from "../../lib/train/checkpoint.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "sonata_ckpt_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function sample() {
  return {
    model: [
      { name: "dense/kernel", tensor: tf.tensor2d([[1, 2], [3, 4.5]]) },
      { name: "dense/bias", tensor: tf.tensor1d([-1, 0.25]) },
    ],
    optimizer: [{ name: "iter", tensor: tf.scalar(7, "int32") }],
  };
}

Deno.test("a checkpoint is a small manifest plus one binary file, and reads back exactly", async () => {
  await withDir(async (dir) => {
    const ckpt = `${dir}/latest`;
    const groups = sample();
    await writeCheckpoint(ckpt, { step: 7, note: "x" }, groups, { "model_config.json": { a: 1 } });
    deepStrictEqual(
      [...Deno.readDirSync(ckpt)].map((e) => e.name).sort(),
      ["checkpoint.json", "model_config.json", "tensors.bin"],
    );
    equal(Deno.statSync(`${ckpt}/tensors.bin`).size, (4 + 2 + 1) * 4);
    const back = await readCheckpoint<{ step: number }>(ckpt);
    equal(back.state.step, 7);
    deepStrictEqual(back.groups.model.map((w) => w.name), ["dense/kernel", "dense/bias"]);
    deepStrictEqual(Array.from(back.groups.model[0].tensor.dataSync()), [1, 2, 3, 4.5]);
    deepStrictEqual(back.groups.model[0].tensor.shape, [2, 2]);
    equal(back.groups.optimizer[0].tensor.dtype, "int32");
    equal(back.groups.optimizer[0].tensor.dataSync()[0], 7);
    // Written atomically: nothing else is left beside the folder.
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["latest"]);
  });
});

Deno.test("a flipped byte, a truncation or an edited manifest is refused, naming the file", async () => {
  await withDir(async (dir) => {
    const ckpt = `${dir}/latest`;
    await writeCheckpoint(ckpt, { step: 1 }, sample(), { "model_config.json": { a: 1 } });
    const bin = Deno.readFileSync(`${ckpt}/tensors.bin`);
    const flipped = bin.slice();
    flipped[5] ^= 0x10;
    Deno.writeFileSync(`${ckpt}/tensors.bin`, flipped);
    await rejects(readCheckpoint(ckpt), /tensors\.bin is corrupted/);
    Deno.writeFileSync(`${ckpt}/tensors.bin`, bin.subarray(0, bin.length - 3));
    await rejects(readCheckpoint(ckpt), /tensors\.bin is truncated \(25 of 28 bytes\)/);
    Deno.writeFileSync(`${ckpt}/tensors.bin`, bin);
    await readCheckpoint(ckpt);
    const manifest = Deno.readTextFileSync(`${ckpt}/checkpoint.json`);
    Deno.writeTextFileSync(`${ckpt}/checkpoint.json`, manifest.replace('"step":1', '"step":9'));
    await rejects(readCheckpoint(ckpt), /checkpoint\.json is corrupted/);
    Deno.writeTextFileSync(`${ckpt}/checkpoint.json`, manifest.slice(0, 40));
    await rejects(readCheckpoint(ckpt), /checkpoint\.json is truncated or not JSON/);
    Deno.writeTextFileSync(`${ckpt}/checkpoint.json`, manifest);
    Deno.writeTextFileSync(`${ckpt}/model_config.json`, '{"a": 2}\n');
    await rejects(readCheckpoint(ckpt), /model_config\.json is (corrupted|truncated)/);
    Deno.removeSync(`${ckpt}/model_config.json`);
    await rejects(readCheckpoint(ckpt), /model_config\.json is missing/);
  });
});

Deno.test("non-finite weights are neither saved nor loaded", async () => {
  await withDir(async (dir) => {
    const bad = { model: [{ name: "w", tensor: tf.tensor1d([1, NaN]) }] };
    const error = await writeCheckpoint(`${dir}/c`, {}, bad).then(() => undefined, (e) => e);
    ok(error instanceof Error);
    match(error.message, /weight "w" holds a non-finite value \(NaN at index 1\)/);
    equal([...Deno.readDirSync(dir)].length, 0, "nothing written, no temporary folder left");
  });
});

Deno.test("partial folders of a killed write are removed; an orphaned old copy is put back", async () => {
  await withDir(async (dir) => {
    const uuid = crypto.randomUUID();
    Deno.mkdirSync(`${dir}/.latest.${uuid}.tmp`);
    Deno.writeTextFileSync(`${dir}/.latest.${uuid}.tmp/x`, "partial");
    Deno.mkdirSync(`${dir}/latest`);
    // A kill between writeFolderAtomic's two renames: `best` is gone, its old copy remains.
    const other = crypto.randomUUID();
    Deno.mkdirSync(`${dir}/.best.${other}.tmp.old`);
    Deno.writeTextFileSync(`${dir}/.best.${other}.tmp.old/x`, "previous best");
    Deno.writeTextFileSync(`${dir}/.keep.me`, "not ours");
    await cleanupPartialWrites(dir);
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      ".keep.me",
      "best",
      "latest",
    ]);
    equal(Deno.readTextFileSync(`${dir}/best/x`), "previous best");
  });
});
