// Augmentation in training: batches of augmented image features come from the prefetcher's
// workers (seeded per image, so two runs are identical), only in training, and change what the
// model sees; a run without augmentation is unchanged by the seam.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Model } from "../../mod.ts";

function records(n: number): Record<string, unknown>[] {
  // 6x6 RGB images as data URIs of uncompressed BMPs; the label is the bright half.
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const left = i % 2 === 0;
    const w = 6;
    const h = 6;
    const rowBytes = Math.ceil((w * 3) / 4) * 4;
    const size = 54 + rowBytes * h;
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    bytes[0] = 0x42;
    bytes[1] = 0x4d;
    view.setUint32(2, size, true);
    view.setUint32(10, 54, true);
    view.setUint32(14, 40, true);
    view.setInt32(18, w, true);
    view.setInt32(22, h, true);
    view.setUint16(26, 1, true);
    view.setUint16(28, 24, true);
    view.setUint32(34, rowBytes * h, true);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const on = left ? x < w / 2 : x >= w / 2;
        const v = on ? 200 + (i % 7) : 30 + (i % 5);
        bytes.fill(v, 54 + y * rowBytes + x * 3, 54 + y * rowBytes + x * 3 + 3);
      }
    }
    const uri = `data:image/bmp;base64,${btoa(String.fromCharCode(...bytes))}`;
    out.push({ img: uri, label: left ? "left" : "right" });
  }
  return out;
}

function augmentedConfig(augmentation: unknown, epochs = 3, steps_per_checkpoint = 0) {
  return {
    input_features: [{
      name: "img",
      type: "image",
      encoder: { type: "stacked_cnn", conv_layers: [{ out_channels: 3 }], output_size: 4 },
      augmentation,
    }],
    output_features: [{ name: "label", type: "category" }],
    trainer: { epochs, batch_size: 4, learning_rate: 0.01, steps_per_checkpoint },
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
  };
}

async function losses(augmentation: unknown): Promise<number[]> {
  const model = await Model.create({
    input_features: [{
      name: "img",
      type: "image",
      encoder: { type: "stacked_cnn", conv_layers: [{ out_channels: 3 }], output_size: 4 },
      ...(augmentation === undefined ? {} : { augmentation }),
    }],
    output_features: [{ name: "label", type: "category" }],
    trainer: { epochs: 3, batch_size: 4, learning_rate: 0.01 },
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
  });
  const result = await model.train({ dataset: records(16), skip_save_all: true, progress: false });
  model.tfModel?.dispose();
  return (result.train_stats.training as Record<string, Record<string, number[]>>).label.loss;
}

Deno.test("augmentation: seeded (two runs agree) and it changes the training batches", async () => {
  const ops = [{ type: "random_horizontal_flip" }, { type: "random_brightness", min: 0.2, max: 2 }];
  const a = await losses(ops);
  const b = await losses(ops);
  assert.deepEqual(a, b);
  const plain = await losses(undefined);
  assert.deepEqual(plain, await losses(false));
  assert.notDeepEqual(a, plain);
  // `true` is Ludwig's default pipeline, resolved in the config.
  const model = await Model.create({
    input_features: [{ name: "img", type: "image", augmentation: true }],
    output_features: [{ name: "label", type: "category" }],
  });
  assert.deepEqual(model.config.input_features[0].augmentation, [
    { type: "random_horizontal_flip" },
    { type: "random_rotate", degree: 15 },
  ]);
});

Deno.test("augmentation: a run interrupted mid-epoch and resumed equals the uninterrupted run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_augment_resume_" });
  try {
    const ops = [{ type: "random_horizontal_flip" }, { type: "random_rotate", degree: 30 }];
    const rows = records(16);
    const whole = await (await Model.create(augmentedConfig(ops, 3, 2))).train({
      dataset: rows,
      output_directory: join(dir, "whole"),
      progress: false,
    });
    // 4 steps per epoch, a checkpoint every 2: stop after 6, in the middle of the second epoch.
    const first = await (await Model.create(augmentedConfig(ops, 3, 2))).train({
      dataset: rows,
      output_directory: join(dir, "parts"),
      progress: false,
      stop_after_steps: 6,
    });
    const resumed = await (await Model.create(augmentedConfig(ops, 3, 2))).train({
      dataset: rows,
      model_resume_path: first.output_directory!,
      progress: false,
    });
    assert.equal(resumed.result.steps, whole.result.steps);
    const predict = async (run: string) =>
      (await (await Model.load(run)).predict(rows)).predictions.columns.label_probability;
    assert.deepEqual(
      await predict(resumed.output_directory!),
      await predict(whole.output_directory!),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
