import assert from "node:assert/strict";
import { ImageBatchPrefetcher, type PreparedImageBatch } from "../../lib/train/prefetch.ts";
import { AugmentationSchema } from "../../lib/features/image_schema.ts";
import { randomPermutation } from "../../lib/_util/random.ts";

function column(rows: number, height: number, width: number, channels: number, salt: number) {
  const data = new Uint8Array(rows * height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + salt) % 256;
  return { data, height, width, channels };
}

const ops = AugmentationSchema.parse([
  { type: "random_horizontal_flip" },
  { type: "random_rotate", degree: 20 },
  { type: "random_brightness" },
]);

async function collect(workers: number, epoch: number, augment: boolean) {
  const prefetcher = new ImageBatchPrefetcher({
    columns: {
      a: { ...column(37, 6, 6, 3, 1), augmentation: ops, standardize: "imagenet1k" },
      b: { ...column(37, 5, 4, 1, 2), augmentation: [], standardize: null },
    },
    batchSize: 8,
    seed: 42,
    workers,
    queueSize: 3,
  });
  try {
    const batches: PreparedImageBatch[] = [];
    for await (const batch of prefetcher.epoch(randomPermutation(37, epoch), { epoch, augment })) {
      batches.push(batch);
    }
    return batches;
  } finally {
    prefetcher.close();
  }
}

Deno.test("ImageBatchPrefetcher gives identical batches with 0, 1 and 2 workers", async () => {
  const inThread = await collect(0, 1, true);
  const one = await collect(1, 1, true);
  const two = await collect(2, 1, true);
  assert.equal(two.length, 5);
  assert.deepEqual(two.map((b) => b.rows.length), [8, 8, 8, 8, 5]);
  assert.deepEqual(one, inThread);
  assert.deepEqual(two, inThread);
  assert.deepEqual(two.map((b) => b.index), [0, 1, 2, 3, 4]);
  // Rows follow the epoch's order.
  assert.deepEqual(
    Int32Array.from(two.flatMap((b) => Array.from(b.rows))),
    randomPermutation(37, 1),
  );
  // Without augmentation a differs (no flips/rotations) and b is the plain scaled data.
  const nextEpoch = await collect(2, 1, false);
  assert.notDeepEqual(nextEpoch[0].images.a, two[0].images.a);
  assert.deepEqual(nextEpoch[0].images.b, two[0].images.b);
  const row = two[0].rows[0];
  const src = column(37, 5, 4, 1, 2).data.subarray(row * 20, row * 20 + 20);
  assert.deepEqual(
    Array.from(two[0].images.b.subarray(0, 20)),
    Array.from(src, (v) => v / 255).map(Math.fround),
  );
});

Deno.test("ImageBatchPrefetcher survives a break and serves the next epoch", async () => {
  const prefetcher = new ImageBatchPrefetcher({
    columns: { a: { ...column(50, 4, 4, 3, 3), augmentation: ops, standardize: null } },
    batchSize: 4,
    seed: 1,
    workers: 2,
  });
  try {
    const order = Int32Array.from({ length: 50 }, (_, i) => i);
    let seen = 0;
    for await (const _ of prefetcher.epoch(order, { epoch: 0, augment: true })) {
      if (++seen === 2) break;
    }
    const all: number[] = [];
    for await (const batch of prefetcher.epoch(order, { epoch: 1, augment: true })) {
      all.push(...batch.rows);
    }
    assert.deepEqual(all, Array.from(order));
  } finally {
    prefetcher.close();
  }
  assert.throws(
    () => new ImageBatchPrefetcher({ columns: {}, batchSize: 0, seed: 1, workers: 0 }),
    RangeError,
  );
});
