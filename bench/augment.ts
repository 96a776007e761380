/**
 * `deno run -A bench/augment.ts [--rows 10000] [--workers 1] [--train] [--api] [--rounds 2] [--engine auto]`
 *
 * Image batch preparation on W3-shaped data (10,000 images 28×28×1, batch 128; see
 * `../shared/bench/WORKLOADS.md`): one epoch of gather → [0, 1] → augment through
 * {@linkcode ImageBatchPrefetcher}, without and with augmentation (`augmentation: true`, and
 * Ludwig's full list of six operations), on the calling thread and in workers. With `--train`
 * it also trains W3's CNN (`stacked_cnn`, conv 32 → pool → conv 64 → pool → fc 128 →
 * 10 classes, Adam 0.001) for one epoch fed by the prefetcher, without and with augmentation,
 * which is the overhead the training loop sees when preparation overlaps the step. With `--api`
 * it trains W3 through the public API (`bench/workloads.ts` `runW3Api`: an image feature with
 * `augmentation: false` and `augmentation: true`), where the trainer takes augmented batches from
 * the prefetcher: the `w3_api_epoch_augmentation` line.
 *
 * Prints one JSON line per measurement. Not registered in `deno task bench`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type ComputeOption, ready, tf } from "../lib/compute/mod.ts";
import { type AugmentationOperation, AugmentationSchema } from "../lib/features/image_schema.ts";
import { ImageBatchPrefetcher } from "../lib/train/prefetch.ts";
import { randomPermutation } from "../lib/_util/random.ts";
import { StackedCnnSchema } from "../lib/encoders/image_schemas.ts";
import { stackedCnn } from "../lib/encoders/_image_impl.ts";
import { runW3Api } from "./workloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "10000" },
    workers: { type: "string", default: "1" },
    train: { type: "boolean", default: false },
    api: { type: "boolean", default: false },
    engine: { type: "string", default: "auto" },
    rounds: { type: "string", default: "2" },
  },
});
const rows = Number(values.rows);
const workers = Number(values.workers);
const BATCH = 128;
const dims = { height: 28, width: 28, channels: 1 };

const data = new Uint8Array(rows * 28 * 28);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
const labels = Int32Array.from({ length: rows }, (_, i) => i % 10);

const PIPELINES: Record<string, AugmentationOperation[]> = {
  none: [],
  default: AugmentationSchema.parse(true),
  all_six: AugmentationSchema.parse([
    { type: "random_horizontal_flip" },
    { type: "random_vertical_flip" },
    { type: "random_rotate" },
    { type: "random_blur" },
    { type: "random_brightness" },
    { type: "random_contrast" },
  ]),
};

function print(line: Record<string, unknown>): void {
  // deno-lint-ignore no-console
  console.log(JSON.stringify(line));
}

async function prepEpoch(ops: AugmentationOperation[], nWorkers: number): Promise<number> {
  const prefetcher = new ImageBatchPrefetcher({
    columns: { image: { data, ...dims, augmentation: ops, standardize: null } },
    batchSize: BATCH,
    seed: 42,
    workers: nWorkers,
  });
  try {
    // Warm-up epoch (worker start, JIT), then the timed one.
    for await (
      const _ of prefetcher.epoch(randomPermutation(rows, 0), { epoch: 0, augment: true })
    ) {
      // drain
    }
    const t0 = performance.now();
    for await (
      const _ of prefetcher.epoch(randomPermutation(rows, 1), { epoch: 1, augment: true })
    ) {
      // drain
    }
    return (performance.now() - t0) / 1000;
  } finally {
    prefetcher.close();
  }
}

for (const [name, ops] of Object.entries(PIPELINES)) {
  for (const n of [0, workers]) {
    const seconds = await prepEpoch(ops, n);
    print({
      bench: "image_batch_prep",
      rows,
      batch: BATCH,
      augmentation: name,
      workers: n,
      seconds,
    });
  }
}

if (values.train) {
  const info = await ready({ compute: values.engine as ComputeOption, quiet: true });
  const opts = StackedCnnSchema.parse({
    type: "stacked_cnn",
    conv_layers: [{ out_channels: 32 }, { out_channels: 64 }],
    padding: "same",
  });
  let counter = 0;
  const naming = { name: (w: string) => `w3/${w}_${++counter}`, seed: () => ++counter };
  const input = tf.input({ shape: [28, 28, 1] });
  const hidden = stackedCnn(input, opts, naming);
  const logits = tf.layers.dense({ units: 10, name: "classifier" }).apply(
    hidden,
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits });
  const optimizer = tf.train.adam(0.001);
  const trainEpoch = async (ops: AugmentationOperation[], epoch: number): Promise<number> => {
    const prefetcher = new ImageBatchPrefetcher({
      columns: { image: { data, ...dims, augmentation: ops, standardize: null } },
      batchSize: BATCH,
      seed: 42,
      workers,
    });
    const order = randomPermutation(rows, epoch);
    const t0 = performance.now();
    try {
      for await (const batch of prefetcher.epoch(order, { epoch, augment: true })) {
        const n = batch.rows.length;
        const x = tf.tensor4d(batch.images.image, [n, 28, 28, 1]);
        const y = tf.oneHot(
          tf.tensor1d(Int32Array.from(batch.rows, (r) => labels[r]), "int32"),
          10,
        );
        const loss = optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor),
          true,
        );
        await loss!.data();
        tf.dispose([x, y, loss!]);
      }
    } finally {
      prefetcher.close();
    }
    return (performance.now() - t0) / 1000;
  };
  await trainEpoch([], 0); // warm-up
  // Alternate the two so that drift of a shared machine hits both; report every run and the best.
  const plain: number[] = [];
  const augmented: number[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    plain.push(await trainEpoch([], 1 + 2 * round));
    augmented.push(await trainEpoch(PIPELINES.default, 2 + 2 * round));
  }
  const best = (xs: number[]) => Math.min(...xs);
  print({
    bench: "w3_epoch_with_prefetch",
    engine: info.engine,
    rows,
    batch: BATCH,
    workers,
    seconds_no_augmentation: plain,
    seconds_augmentation_default: augmented,
    overhead_of_best: best(augmented) / best(plain) - 1,
  });
}

if (values.api) {
  const info = await ready({ compute: values.engine as ComputeOption, quiet: true });
  // Alternate the two so that drift of a shared machine hits both; report every run and the best.
  const plain: number[] = [];
  const augmented: number[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    plain.push((await runW3Api({ rows })).seconds_per_epoch);
    augmented.push((await runW3Api({ rows, augmentation: true })).seconds_per_epoch);
  }
  const best = (xs: number[]) => Math.min(...xs);
  print({
    bench: "w3_api_epoch_augmentation",
    via: "api",
    engine: info.engine,
    rows,
    batch: BATCH,
    seconds_no_augmentation: plain,
    seconds_augmentation_default: augmented,
    overhead_of_best: best(augmented) / best(plain) - 1,
  });
}
