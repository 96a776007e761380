// Image features with `preprocessing.in_memory: false`: the decoded images stay in the
// preprocessing cache file and training, checkpoint evaluation and experiment read them batch by
// batch. The model is the same as with in_memory: true; a damaged cache file met while
// streaming is a CacheFileError naming the file (never a stack trace or a silently wrong batch).
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { CacheFileError, splitFilePath } from "../../lib/features/cache.ts";
import { preprocessForTraining } from "../../lib/features/preprocess.ts";
import {
  batchTensor,
  isStreamed,
  splitBatches,
  StreamedColumnError,
} from "../../lib/train/batches.ts";
import { ImageBatchPrefetcher } from "../../lib/train/prefetch.ts";
import { Model } from "../../mod.ts";

/** `n` distinct 8×8 RGB PNGs (bright left or right half, varying levels) and a CSV of them. */
async function imageCsv(dir: string, n: number): Promise<string> {
  await Deno.mkdir(join(dir, "images"), { recursive: true });
  const lines = ["image_path,label"];
  for (let i = 0; i < n; i++) {
    const side = i % 2 === 0 ? "left" : "right";
    const px = new Uint8Array(8 * 8 * 3);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const on = side === "left" ? x < 4 : x >= 4;
        for (let c = 0; c < 3; c++) {
          px[(y * 8 + x) * 3 + c] = on ? 200 + ((i * 7 + c) % 50) : (i * 13 + y + c) % 60;
        }
      }
    }
    const name = `images/img_${i}.png`;
    await Deno.writeFile(
      join(dir, name),
      await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toBuffer(),
    );
    lines.push(`${name},${side}`);
  }
  const csv = join(dir, "images.csv");
  await Deno.writeTextFile(csv, lines.join("\n") + "\n");
  return csv;
}

const modelConfig = (inMemory: boolean, more: Record<string, unknown> = {}) => ({
  input_features: [{
    name: "image_path",
    type: "image",
    preprocessing: { in_memory: inMemory },
    encoder: { type: "stacked_cnn", conv_layers: [{ out_channels: 4 }], output_size: 8 },
    ...more,
  }],
  output_features: [{ name: "label", type: "category" }],
  trainer: { epochs: 3, batch_size: 4, learning_rate: 0.01, eval_batch_size: 5 },
  preprocessing: { split: { type: "random", probabilities: [0.6, 0.2, 0.2] } },
});

const trainOptions = (csv: string) => ({
  dataset: csv,
  progress: false as const,
  // No run folder, but the preprocessing cache is written: it is what in_memory: false reads.
  skip_save_all: true,
  skip_save_processed_input: false,
});

function assertAllClose(a: readonly number[], b: readonly number[], eps: number, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= eps, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

Deno.test("image in_memory: false trains the same model as in_memory: true, streamed from the cache", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_stream_" });
  try {
    const csv = await imageCsv(dir, 30);
    const results: Record<string, { stats: Record<string, number[]>; probs: number[][] }> = {};
    for (const inMemory of [true, false]) {
      // evaluate_training_set: the training split is evaluated at each checkpoint too.
      const cfg = modelConfig(inMemory);
      const model = await Model.create({
        ...cfg,
        trainer: { ...cfg.trainer, evaluate_training_set: true },
      });
      const trained = await model.train(trainOptions(csv));
      const pre = trained.preprocessed_data;
      for (const split of ["training", "validation", "test"] as const) {
        const column = pre[split]!.columns.image_path;
        assert.equal(isStreamed(column), !inMemory, `${split} streamed`);
        // The labels stay in memory either way.
        assert.ok(!isStreamed(pre[split]!.columns.label));
      }
      if (!inMemory) {
        assert.throws(() => pre.training.columns.image_path.data, StreamedColumnError);
        assert.throws(() => pre.training.columns.image_path.data, /input feature "image_path"/);
      }
      const stats = trained.train_stats as unknown as Record<
        string,
        Record<string, Record<string, number[]>>
      >;
      const predicted = await model.predict(csv, { skip_save_predictions: true });
      const columns = predicted.predictions.columns as Record<string, unknown[]>;
      results[String(inMemory)] = {
        stats: {
          training: stats.training.label.loss,
          validation: stats.validation.label.loss,
          test: stats.test.label.accuracy,
        },
        probs: columns.label_probabilities as number[][],
      };
    }
    const [a, b] = [results.true, results.false];
    assert.equal(a.stats.training.length, 3);
    for (const key of ["training", "validation", "test"]) {
      assertAllClose(b.stats[key], a.stats[key], 1e-5, `${key} statistics`);
    }
    assert.equal(b.probs.length, 30);
    assertAllClose(b.probs.flat(), a.probs.flat(), 1e-5, "predicted probabilities");
    // A second run hits the cache: its files are checked streaming and the images stay there.
    const hit = await preprocessForTraining(
      (await Model.create(modelConfig(false))).config,
      { dataset: csv },
    );
    assert.equal(hit.cache.hit, true);
    assert.ok(isStreamed(hit.training.columns.image_path));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image in_memory: false with augmentation and experiment (evaluation on the test split)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_stream_" });
  try {
    const csv = await imageCsv(dir, 20);
    const model = await Model.create(
      modelConfig(false, { augmentation: [{ type: "random_horizontal_flip" }] }),
    );
    const result = await model.experiment({ ...trainOptions(csv), skip_save_predictions: true });
    const stats = result.test_statistics as Record<string, Record<string, number>>;
    assert.ok(Number.isFinite(stats.label.loss));
    assert.ok(stats.label.accuracy >= 0 && stats.label.accuracy <= 1);
    assert.ok(isStreamed(result.preprocessed_data!.training.columns.image_path));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image in_memory: false without a cache file keeps the images in memory (as Ludwig)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_stream_" });
  try {
    const csv = await imageCsv(dir, 6);
    const model = await Model.create(modelConfig(false));
    const cfg = model.config;
    const result = await preprocessForTraining(cfg, { dataset: csv }, {
      skipSaveProcessedInput: true,
    });
    assert.ok(!isStreamed(result.training.columns.image_path));
    assert.equal(result.training.columns.image_path.data.length, result.training.numRows * 192);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("streamed batches equal in-memory batches (splitBatches, prefetcher with and without workers)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_stream_" });
  try {
    const csv = await imageCsv(dir, 13);
    const cfg = (await Model.create(modelConfig(false))).config;
    const memCfg = (await Model.create(modelConfig(true))).config;
    const streamed = await preprocessForTraining(cfg, { dataset: csv });
    const memory = await preprocessForTraining(memCfg, { dataset: csv }, {
      skipSaveProcessedInput: true,
    });
    const s = streamed.training;
    const m = memory.training;
    assert.equal(s.numRows, m.numRows);
    const seen: number[] = [];
    for await (const batch of splitBatches(s, ["image_path", "label"], 3)) {
      seen.push(...batch.rows);
      assert.deepEqual(Object.keys(batch.prepared), ["image_path"]);
      const expected = batchTensor(m.columns.image_path, batch.rows);
      assert.deepEqual(Array.from(batch.prepared.image_path), Array.from(expected.dataSync()));
      expected.dispose();
    }
    assert.deepEqual(seen, Array.from({ length: s.numRows }, (_, i) => i));
    // The prefetcher: a streamed column's batches equal the in-memory column's, augmented or
    // not, on this thread or in a worker.
    const dims = { height: 8, width: 8, channels: 3, standardize: null, scale: 255 } as const;
    const order = Int32Array.from([5, 0, 3, 3, 7, 1, 2].filter((r) => r < s.numRows));
    for (const augmentation of [[], [{ type: "random_horizontal_flip" as const }]]) {
      const batches = async (source: boolean, workers: number) => {
        const column = m.columns.image_path;
        using prefetcher = new ImageBatchPrefetcher({
          columns: {
            image_path: {
              ...(source
                ? { source: s.columns.image_path.source }
                : { data: column.data as Uint8Array }),
              ...dims,
              augmentation,
            },
          },
          batchSize: 3,
          seed: 7,
          workers,
        });
        const out: number[][] = [];
        for await (const b of prefetcher.epoch(order, { epoch: 1, augment: true })) {
          out.push(Array.from(b.images.image_path));
        }
        return out;
      };
      const reference = await batches(false, 0);
      assert.equal(reference.length, Math.ceil(order.length / 3));
      assert.deepEqual(await batches(true, 0), reference);
      assert.deepEqual(await batches(true, 1), reference);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a cache file damaged or truncated while streaming is a CacheFileError naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_stream_" });
  try {
    const csv = await imageCsv(dir, 12);
    const cfg = (await Model.create(modelConfig(false))).config;
    const pre = await preprocessForTraining(cfg, { dataset: csv });
    const file = splitFilePath(join(dir, ".sonata_cache"), pre.cache.key, "training");
    const source = pre.training.columns.image_path.source!;
    const good = await source.read(Int32Array.of(0, 1));
    assert.equal(good.length, 2 * 192);
    // Overwrite the first image's bytes in the file (found by content) with other values.
    const bytes = await Deno.readFile(file);
    const first = good.subarray(0, 192);
    const at = bytes.findIndex((_, i) => first.every((v: number, k: number) => bytes[i + k] === v));
    assert.ok(at > 0);
    bytes[at + 10] ^= 0xff;
    await Deno.writeFile(file, bytes);
    await assert.rejects(() => source.read(Int32Array.of(1, 0)), CacheFileError);
    await assert.rejects(
      () => source.read(Int32Array.of(0)),
      new RegExp(
        `Cannot read cached split "${
          file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        }": row 0 of column "image_path" does not match its checksum.*sonata cache clean`,
      ),
    );
    // Other rows still read (row 1 is intact).
    assert.deepEqual(await source.read(Int32Array.of(1)), good.subarray(192));
    // Truncated: rows past the end.
    await Deno.truncate(file, at + 192 * 2);
    await assert.rejects(
      () => source.read(Int32Array.of(pre.training.numRows - 1)),
      /it is shorter than its header says/,
    );
    // Removed.
    await Deno.remove(file);
    await assert.rejects(() => source.read(Int32Array.of(1)), /it was removed while streaming/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("training stops with a CacheFileError when the cache file changes mid-training", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_stream_" });
  try {
    const csv = await imageCsv(dir, 16);
    const model = await Model.create({
      ...modelConfig(false),
      trainer: { epochs: 4, batch_size: 4, learning_rate: 0.01 },
    });
    let damaged = false;
    const damage = {
      onBatchEnd: async () => {
        if (damaged) return;
        damaged = true;
        // Scramble every image row of every split file of the cache.
        for await (const e of Deno.readDir(join(dir, ".sonata_cache"))) {
          if (!e.name.endsWith(".bin")) continue;
          const path = join(dir, ".sonata_cache", e.name);
          const bytes = await Deno.readFile(path);
          for (let i = 1024; i < bytes.length; i += 7) bytes[i] ^= 0x5a;
          await Deno.writeFile(path, bytes);
        }
      },
    };
    await assert.rejects(
      () => model.train({ ...trainOptions(csv), callbacks: [damage] }),
      (error: unknown) => {
        assert.ok(error instanceof CacheFileError, String(error));
        assert.match(error.message, /does not match its checksum|shorter than its header/);
        assert.match(error.message, /\.sonata_cache/);
        return true;
      },
    );
    assert.ok(damaged);
    // The next run finds the entry corrupt, warns, rebuilds it and trains.
    const again = await Model.create(modelConfig(false));
    const trained = await again.train(trainOptions(csv));
    assert.equal(trained.preprocessed_data.cache.hit, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
