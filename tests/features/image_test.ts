// The image feature type: PNG/JPEG fixtures written here, relative paths against the dataset
// file's folder, shape inference stored in the metadata and reused at prediction, missing-value
// strategies, located errors, and the Model API end to end (train → predict → save → load).
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { DataError } from "../../lib/data/errors.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { readDataset } from "../../lib/data/read.ts";
import { preprocessForPrediction, preprocessForTraining } from "../../lib/features/preprocess.ts";
import { Model } from "../../mod.ts";
import { config, train } from "./_helpers.ts";

/** A `size`×`size` image: bright square on the left (label "left") or the right. */
async function picture(
  side: "left" | "right",
  size: number,
  channels: 1 | 3,
  format: "png" | "jpeg",
  jitter = 0,
): Promise<Uint8Array> {
  const px = new Uint8Array(size * size * channels);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const on = side === "left" ? x < size / 2 : x >= size / 2;
      for (let c = 0; c < channels; c++) {
        px[(y * size + x) * channels + c] = on ? 220 - jitter : 20 + jitter;
      }
    }
  }
  const img = sharp(px, { raw: { width: size, height: size, channels } });
  return new Uint8Array(
    await (format === "png" ? img.png() : img.jpeg({ quality: 95 })).toBuffer(),
  );
}

/** Writes `n` images under `<dir>/images` and a CSV naming them by relative path. */
async function imageCsv(dir: string, n: number, options: { size?: number } = {}): Promise<string> {
  await Deno.mkdir(join(dir, "images"), { recursive: true });
  const lines = ["image_path,label"];
  for (let i = 0; i < n; i++) {
    const side = i % 2 === 0 ? "left" : "right";
    const format = i % 3 === 0 ? "jpeg" : "png";
    const name = `images/img_${i}.${format === "jpeg" ? "jpg" : "png"}`;
    await Deno.writeFile(join(dir, name), await picture(side, options.size ?? 8, 3, format, i % 5));
    lines.push(`${name},${side}`);
  }
  const csv = join(dir, "images.csv");
  await Deno.writeTextFile(csv, lines.join("\n") + "\n");
  return csv;
}

const image = (preprocessing: Record<string, unknown> = {}) => ({
  name: "image_path",
  type: "image",
  preprocessing,
});
const label = { name: "label", type: "category" };

Deno.test("image: relative paths resolve against the dataset file, shape fitted and stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_image_" });
  try {
    const csv = await imageCsv(dir, 6);
    const cfg = config([image()], [label]);
    const result = await preprocessForTraining(cfg, { dataset: csv }, {
      skipSaveProcessedInput: true,
    });
    const col = result.training.columns.image_path;
    assert.equal(col.dtype, "uint8");
    assert.deepEqual(col.shape, [8, 8, 3]);
    assert.equal(col.data.length, 6 * 8 * 8 * 3);
    const meta = result.metadata.image_path;
    assert.deepEqual([meta.height, meta.width, meta.num_channels], [8, 8, 3]);
    assert.deepEqual(meta.reshape, [3, 8, 8]);
    const prep = meta.preprocessing as Record<string, unknown>;
    assert.deepEqual([prep.height, prep.width, prep.num_channels], [8, 8, 3]);
    // Left-bright image: first pixel bright, last dark.
    assert.ok(col.data[0] > 150 && col.data[8 * 8 * 3 - 1] < 80);
    // Prediction reuses the stored shape: a 16x16 grayscale image is resized and converted.
    await Deno.writeFile(join(dir, "big.png"), await picture("right", 16, 1, "png"));
    const other = await readDataset(csv);
    const pred = await preprocessForPrediction(
      cfg,
      result.metadata,
      Dataset.fromColumns({
        image_path: [join(dir, "big.png"), join(dir, String(other.column("image_path")[1]))],
      }),
    );
    assert.deepEqual(pred.split.columns.image_path.shape, [8, 8, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image: a missing file is an error naming the file, column and row", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_image_" });
  try {
    const csv = await imageCsv(dir, 4);
    await Deno.remove(join(dir, "images/img_2.png"));
    const cfg = config([image()], [label]);
    const error = await preprocessForTraining(cfg, { dataset: csv }, {
      skipSaveProcessedInput: true,
    }).then(() => undefined, (e) => e);
    assert.ok(error instanceof DataError, String(error));
    assert.match(error.message, /images\.csv/);
    assert.match(error.message, /column "image_path"/);
    assert.match(error.message, /data row 3/);
    assert.match(error.message, /img_2\.png.*file not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image: a corrupt image is a located error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_image_" });
  try {
    await Deno.writeFile(join(dir, "a.png"), await picture("left", 4, 3, "png"));
    await Deno.writeTextFile(join(dir, "b.png"), "not an image");
    const cfg = config([image({ height: 4, width: 4, num_channels: 3 })], [label]);
    const error = await train(cfg, {
      image_path: [join(dir, "a.png"), join(dir, "b.png")],
      label: ["left", "right"],
    }).then(() => undefined, (e) => e);
    assert.ok(error instanceof DataError, String(error));
    assert.match(error.message, /column "image_path": data row 2: cannot read image/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image: missing values: bfill, ffill, drop_row, fill_with_const", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_image_" });
  try {
    const a = join(dir, "a.png");
    const b = join(dir, "b.png");
    await Deno.writeFile(a, await picture("left", 4, 1, "png"));
    await Deno.writeFile(b, await picture("right", 4, 1, "png"));
    const cells = [a, null, b, ""];
    const labels = ["left", "left", "right", "right"];
    const firstPixel = async (prep: Record<string, unknown>) => {
      const r = await train(config([image(prep)], [label]), { image_path: cells, label: labels });
      const d = r.training.columns.image_path.data;
      const size = r.training.columns.image_path.shape.reduce((x, y) => x * y, 1);
      return Array.from({ length: r.training.numRows }, (_, i) => d[i * size]);
    };
    // Row 1 takes b (next), row 3 the last value before it (b): bfill then ffill at the end.
    assert.deepEqual(await firstPixel({}), [220, 20, 20, 20]);
    assert.deepEqual(await firstPixel({ missing_value_strategy: "ffill" }), [220, 220, 20, 20]);
    assert.deepEqual(await firstPixel({ missing_value_strategy: "drop_row" }), [220, 20]);
    assert.deepEqual(
      await firstPixel({ missing_value_strategy: "fill_with_const", fill_value: 7 }),
      [220, 7, 20, 7],
    );
    assert.deepEqual(
      await firstPixel({ missing_value_strategy: "fill_with_const", fill_value: b }),
      [220, 20, 20, 20],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image: imagenet1k standardization needs 3 channels", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_image_" });
  try {
    await Deno.writeFile(join(dir, "a.png"), await picture("left", 4, 1, "png"));
    const cfg = config([image({ standardize_image: "imagenet1k", num_channels: 1 })], [label]);
    const error = await train(cfg, {
      image_path: [join(dir, "a.png"), join(dir, "a.png")],
      label: ["left", "right"],
    })
      .then(() => undefined, (e) => e);
    assert.ok(error instanceof DataError);
    assert.match(error.message, /imagenet1k" needs 3 channels, but the images have 1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image: Model trains, predicts, saves and loads (stacked_cnn, augmentation)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_image_" });
  try {
    const csv = await imageCsv(dir, 24);
    const model = await Model.create({
      input_features: [{
        ...image({ standardize_image: "imagenet1k" }),
        encoder: {
          type: "stacked_cnn",
          conv_layers: [{ out_channels: 4 }],
          output_size: 8,
        },
        augmentation: [{ type: "random_horizontal_flip" }, { type: "random_brightness" }],
      }],
      output_features: [label],
      trainer: { epochs: 8, batch_size: 8, learning_rate: 0.01 },
      preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
    });
    const result = await model.train({ dataset: csv, skip_save_all: true, progress: false });
    const losses = (result.train_stats.training as Record<string, Record<string, number[]>>)
      .label.loss;
    assert.ok(losses.every(Number.isFinite));
    const first = await model.predict(csv, { skip_save_predictions: true });
    const columns = first.predictions.columns as Record<string, unknown[]>;
    assert.equal(columns.label_predictions.length, 24);
    const out = join(dir, "model");
    await model.save(out);
    const loaded = await Model.load(out);
    const second = await loaded.predict(csv, { skip_save_predictions: true });
    assert.deepEqual(
      (second.predictions.columns as Record<string, unknown[]>).label_probability,
      columns.label_probability,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image: num_processes decodes in workers, to the same bytes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_image_" });
  try {
    // More rows than one decoding job (64 images), so that both workers get jobs.
    const csv = await imageCsv(dir, 70, { size: 4 });
    const run = async (num_processes: number) =>
      (await preprocessForTraining(config([image({ num_processes })], [label]), {
        dataset: csv,
      }, { skipSaveProcessedInput: true })).training.columns.image_path.data;
    assert.deepEqual(await run(2), await run(1));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
