/**
 * W4 (../shared/bench/WORKLOADS.md) through the public API: `mobilenetv2` (torchvision's
 * MobileNetV2, random weights: weights do not matter for speed) fine-tuned (`trainable: true`)
 * with a 10-class `category` output on 224×224×3 random images, Adam 0.0001, batch 32, one
 * epoch (`seconds_per_epoch`, from the trainer's start to its last step); and the frozen
 * encoder's forward throughput (`trainable: false`, batch 64, inference mode:
 * `frozen_images_per_second`), what `cache_encoder_embeddings` pays once.
 *
 * `deno task bench w4 [--w4-rows N]`.
 *
 * @module
 */
import { tf } from "../lib/compute/mod.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** What {@linkcode runW4} measures. */
export interface W4Result {
  seconds_per_epoch: number;
  frozen_images_per_second: number;
  rows: number;
  /** Decoding, preprocessing and building before the first step. */
  preprocess_seconds: number;
}

/** W4's rows: random 224×224×3 BMP images and a 10-class label. */
export async function w4Columns(rows: number): Promise<Record<string, unknown[]>> {
  const { encodeBmp } = await import("../lib/data/images/mod.ts");
  const next = rng(4);
  const image: string[] = [];
  const label: string[] = [];
  for (let i = 0; i < rows; i++) {
    const data = new Uint8Array(224 * 224 * 3);
    for (let k = 0; k < data.length; k++) data[k] = Math.floor(next() * 256);
    const bytes = encodeBmp({ data, height: 224, width: 224, channels: 3 });
    let binary = "";
    for (let k = 0; k < bytes.length; k++) binary += String.fromCharCode(bytes[k]);
    image.push(`data:image/bmp;base64,${btoa(binary)}`);
    label.push(`c${i % 10}`);
  }
  return { image, label };
}

/** Options of {@linkcode runW4}. */
export interface W4Options {
  /** Images (256 by default). */
  rows?: number;
  /** Batch size of the fine-tuning (32 by default, as the workload). */
  batchSize?: number;
  /** Skips the frozen-encoder throughput (then `frozen_images_per_second` is NaN). */
  skipFrozen?: boolean;
}

/** Runs W4 (`rows` images, 256 by default). */
export async function runW4(options: W4Options = {}): Promise<W4Result> {
  const rows = options.rows ?? 256;
  const { Model } = await import("../lib/api.ts");
  const { Dataset } = await import("../lib/data/dataset.ts");
  const dataset = Dataset.fromColumns(await w4Columns(rows));
  const model = await Model.create({
    input_features: [{
      name: "image",
      type: "image",
      encoder: { type: "mobilenetv2", use_pretrained: false, trainable: true },
    }],
    output_features: [{ name: "label", type: "category" }],
    // Every row trains, no evaluation inside the timed loop (as the reference).
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
    trainer: {
      evaluate_training_set: false,
      skip_all_evaluation: true,
      epochs: 1,
      batch_size: options.batchSize ?? 32,
      learning_rate: 0.0001,
      optimizer: { type: "adam" },
    },
  } as never);
  let trainStart = 0;
  let lastStep = 0;
  const t0 = performance.now();
  await model.train({
    dataset,
    skip_save_all: true,
    progress: false,
    callbacks: {
      onTrainStart: () => {
        trainStart = performance.now();
      },
      onStep: () => {
        lastStep = performance.now();
      },
    },
  });
  model.tfModel?.dispose();
  const seconds = (lastStep - trainStart) / 1000;
  const preprocess = (trainStart - t0) / 1000;
  if (options.skipFrozen) {
    return {
      seconds_per_epoch: seconds,
      frozen_images_per_second: NaN,
      rows,
      preprocess_seconds: preprocess,
    };
  }
  // The frozen encoder alone, batch 64, inference mode.
  const { build } = await import("../lib/encoders/torchvision/_entries_build.ts");
  const { tvMobilenetV2 } = await import("../lib/encoders/torchvision/entries.ts");
  const { createBuildContext } = await import("../lib/model/ecd.ts");
  const cfg = tvMobilenetV2.schema.parse({
    type: "mobilenetv2",
    use_pretrained: false,
    trainable: false,
  });
  const x = tf.input({ shape: [224, 224, 3] });
  const y = (await build(cfg as never, { ...createBuildContext({ seed: 1 }), scope: "w4" }))(x);
  const encoder = tf.model({ inputs: x, outputs: y });
  const batch = tf.randomUniform([64, 224, 224, 3], 0, 255);
  tf.dispose(encoder.predict(batch) as tf.Tensor); // warm-up
  const rounds = 2;
  const f0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    const out = encoder.predict(batch) as tf.Tensor;
    await out.data();
    out.dispose();
  }
  const frozenSeconds = (performance.now() - f0) / 1000;
  batch.dispose();
  encoder.dispose();
  return {
    seconds_per_epoch: seconds,
    frozen_images_per_second: (rounds * 64) / frozenSeconds,
    rows,
    preprocess_seconds: preprocess,
  };
}
