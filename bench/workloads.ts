/**
 * The benchmark workloads of `/work/shared/bench/WORKLOADS.md`, built directly with
 * tf.layers until the training pipeline exists (their JSON lines say `"via": "layers"`).
 *
 * Shapes, sizes, batch sizes and layer widths follow the PyTorch reference
 * (`shared/bench/reference/workloads.py`); data values do not matter for speed.
 *
 * @module
 */
import { fusedAdam, tf } from "../lib/compute/mod.ts";
import { probeBlas } from "../lib/compute/_blas.ts";
import { wasmSgemm } from "../lib/compute/_wasm_sgemm.ts";

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normals(n: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next() + 1e-12));
    const t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

function integers(n: number, max: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * max);
  return out;
}

/** Options of the optimizer used by the workloads. */
export interface WorkloadOptions {
  /** Use tfjs's stock Adam instead of the fused one. */
  stockAdam?: boolean;
}

function adam(options: WorkloadOptions): tf.Optimizer {
  return options.stockAdam ? tf.train.adam(1e-3) : fusedAdam(1e-3);
}

/** The W1 tabular model and data. */
export interface W1 {
  model: tf.LayersModel;
  inputs: tf.Tensor[];
  labels: tf.Tensor;
  rows: number;
  dispose(): void;
}

/** W1's cardinalities of the four category columns. */
export const W1_CARDS = [10, 100, 1000, 50];

/** Builds W1: 8 numbers, 4 categories (embedding 50), 2 binaries → 256 → 256 → 5. */
export function buildW1(rows = 100_000, options: WorkloadOptions = {}): W1 {
  const next = rng(1);
  const num = tf.input({ shape: [8], name: "numbers" });
  const cats = W1_CARDS.map((_, i) => tf.input({ shape: [1], name: `category_${i}` }));
  const bin = tf.input({ shape: [2], name: "binaries" });
  const embedded = cats.map((input, i) =>
    tf.layers.flatten().apply(
      tf.layers.embedding({ inputDim: W1_CARDS[i], outputDim: 50 }).apply(input),
    ) as tf.SymbolicTensor
  );
  const concat = tf.layers.concatenate().apply([num, ...embedded, bin]) as tf.SymbolicTensor;
  const h1 = tf.layers.dense({ units: 256, activation: "relu" }).apply(concat);
  const h2 = tf.layers.dense({ units: 256, activation: "relu" }).apply(h1);
  const out = tf.layers.dense({ units: 5, activation: "softmax" }).apply(h2) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [num, ...cats, bin], outputs: out });
  model.compile({ optimizer: adam(options), loss: "sparseCategoricalCrossentropy" });
  const inputs = [
    tf.tensor2d(normals(rows * 8, next), [rows, 8]),
    ...W1_CARDS.map((c) => tf.tensor2d(integers(rows, c, next), [rows, 1])),
    tf.tensor2d(integers(rows * 2, 2, next), [rows, 2]),
  ];
  const labels = tf.tensor2d(integers(rows, 5, next), [rows, 1]);
  return {
    model,
    inputs,
    labels,
    rows,
    dispose() {
      model.dispose();
      tf.dispose([...inputs, labels]);
    },
  };
}

/** Trains W1 (batch 256, shuffled) and times training and prediction (batch 1024). */
export async function runW1(
  options: WorkloadOptions & { rows?: number; epochs?: number } = {},
): Promise<{ train_seconds: number; seconds_per_epoch: number; predict_rows_per_second: number }> {
  const epochs = options.epochs ?? 3;
  const w = buildW1(options.rows, options);
  const t0 = performance.now();
  await w.model.fit(w.inputs, w.labels, { batchSize: 256, epochs, shuffle: true, verbose: 0 });
  const train = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  for (let i = 0; i < w.rows; i += 1024) {
    const size = Math.min(1024, w.rows - i);
    tf.tidy(() => {
      const batch = w.inputs.map((t) => t.slice([i, 0], [size, -1]));
      (w.model.predict(batch, { batchSize: 1024 }) as tf.Tensor).dataSync();
    });
  }
  const predict = (performance.now() - t1) / 1000;
  w.dispose();
  return {
    train_seconds: train,
    seconds_per_epoch: train / epochs,
    predict_rows_per_second: w.rows / predict,
  };
}

/** The W3 CNN and data. */
export interface W3 {
  model: tf.LayersModel;
  images: tf.Tensor;
  labels: tf.Tensor;
  dispose(): void;
}

/** Builds W3: conv 32 → pool → conv 64 → pool → fc 128 → 10, on 28×28×1 images. */
export function buildW3(rows = 10_000, options: WorkloadOptions = {}): W3 {
  const next = rng(3);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: adam(options), loss: "sparseCategoricalCrossentropy" });
  const images = tf.tensor4d(normals(rows * 28 * 28, next), [rows, 28, 28, 1]);
  const labels = tf.tensor2d(integers(rows, 10, next), [rows, 1]);
  return {
    model,
    images,
    labels,
    dispose() {
      model.dispose();
      tf.dispose([images, labels]);
    },
  };
}

/** Trains W3 for one epoch (batch 128, shuffled) and times it. */
export async function runW3(
  options: WorkloadOptions & { rows?: number; epochs?: number } = {},
): Promise<{ seconds_per_epoch: number }> {
  const epochs = options.epochs ?? 1;
  const w = buildW3(options.rows, options);
  const t0 = performance.now();
  await w.model.fit(w.images, w.labels, { batchSize: 128, epochs, shuffle: true, verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  w.dispose();
  return { seconds_per_epoch: seconds / epochs };
}

/** GFLOP/s of `tf.matMul` on n×n float32 matrices (the median of a few runs). */
export function runMatMul(n = 1024, minSeconds = 1): { n: number; gflops: number; runs: number } {
  const next = rng(7);
  const a = tf.tensor2d(normals(n * n, next), [n, n]);
  const b = tf.tensor2d(normals(n * n, next), [n, n]);
  const once = () => {
    const t = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    const dt = (performance.now() - t) / 1000;
    c.dispose();
    return dt;
  };
  once(); // warm up
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start) / 1000 < minSeconds) {
    times.push(once());
    if (times.length >= 50) break;
  }
  times.sort((x, y) => x - y);
  const median = times[Math.floor(times.length / 2)];
  tf.dispose([a, b]);
  return { n, gflops: (2 * n * n * n) / median / 1e9, runs: times.length };
}

/**
 * GFLOP/s of each matrix-product path of the native engine on n×n float32 matrices, one
 * thread each, in the same run: the portable WebAssembly SIMD sgemm, the system BLAS pinned
 * to one thread (when one opens), and tfjs's cpu backend matMul (the kernel native replaces;
 * a single run, as it is slow).
 */
export async function runSgemmPaths(
  n = 1024,
  minSeconds = 1,
): Promise<
  { n: number; wasm_simd_gflops: number; blas_1thread_gflops?: number; cpu_gflops: number }
> {
  const next = rng(11);
  const a = new Float32Array(normals(n * n, next));
  const b = new Float32Array(normals(n * n, next));
  const c = new Float32Array(n * n);
  const gflops = (run: () => void, minRuns = 3) => {
    if (minRuns > 1) run(); // warm up (and tier up the WebAssembly)
    const times: number[] = [];
    const start = performance.now();
    while (times.length < minRuns || (performance.now() - start) / 1000 < minSeconds) {
      const t = performance.now();
      run();
      times.push((performance.now() - t) / 1000);
      if (times.length >= 30) break;
    }
    times.sort((x, y) => x - y);
    return (2 * n * n * n) / times[Math.floor(times.length / 2)] / 1e9;
  };
  const wasm = gflops(() => wasmSgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n));
  const probe = probeBlas();
  let blas: number | undefined;
  if (probe.ok) {
    // The small-product bound keeps products under it on one thread; this one is far above
    // it, so pin the library to one thread for the measurement and restore it after.
    const threads = probe.blas.threads;
    const { openBlas } = await import("../lib/compute/_blas.ts");
    const one = openBlas({ threads: 1 });
    blas = gflops(() => one.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n));
    if (threads > 0) openBlas({ threads });
  }
  const previous = tf.getBackend();
  await tf.setBackend("cpu");
  // As `ready` does: the cpu backend's one-time "install tfjs-node" hint is noise here.
  const cpuBackend = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
  if (cpuBackend) cpuBackend.firstUse = false;
  const ta = tf.tensor2d(a, [n, n]), tb = tf.tensor2d(b, [n, n]);
  // About 1 GFLOP/s: one run (seconds) is enough.
  const cpu = gflops(() => tf.matMul(ta, tb).dispose(), 1);
  tf.dispose([ta, tb]);
  await tf.setBackend(previous);
  return {
    n,
    wasm_simd_gflops: wasm,
    ...(blas !== undefined ? { blas_1thread_gflops: blas } : {}),
    cpu_gflops: cpu,
  };
}

/** The W1 config of WORKLOADS.md in Sonata's (Ludwig's) config language. */
export function w1Config(epochs = 3): Record<string, unknown> {
  return {
    input_features: [
      ...Array.from({ length: 8 }, (_, i) => ({
        name: `num_${i}`,
        type: "number",
        encoder: { type: "passthrough" },
      })),
      ...W1_CARDS.map((_, i) => ({
        name: `cat_${i}`,
        type: "category",
        encoder: { type: "dense", embedding_size: 50 },
      })),
      ...[0, 1].map((i) => ({
        name: `bin_${i}`,
        type: "binary",
        encoder: { type: "passthrough" },
      })),
    ],
    output_features: [{ name: "label", type: "category" }],
    combiner: {
      type: "concat",
      fc_layers: [{ output_size: 256 }, { output_size: 256 }],
      activation: "relu",
    },
    // All rows train; no validation or test split (the reference evaluates nothing).
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
    trainer: {
      epochs,
      batch_size: 256,
      learning_rate: 0.001,
      optimizer: { type: "adam" },
      evaluate_training_set: false,
      should_shuffle: true,
      // Ludwig evaluates at each checkpoint (epoch end); the reference's timed loop does not.
      skip_all_evaluation: true,
      // The reference does not clip gradients (Ludwig's default clips the global norm at 0.5).
      gradient_clipping: { clipglobalnorm: null },
    },
  };
}

/** W1's raw rows as dataset columns: 8 numbers, 4 categories, 2 binaries and the label. */
export function w1Columns(rows = 100_000): Record<string, unknown[]> {
  const next = rng(1);
  const columns: Record<string, unknown[]> = {};
  for (let i = 0; i < 8; i++) columns[`num_${i}`] = Array.from(normals(rows, next));
  W1_CARDS.forEach((c, i) => {
    columns[`cat_${i}`] = Array.from(integers(rows, c, next), (v) => `c${v}`);
  });
  for (let i = 0; i < 2; i++) {
    columns[`bin_${i}`] = Array.from(integers(rows, 2, next), (v) => v === 1);
  }
  columns.label = Array.from(integers(rows, 5, next), (v) => `y${v}`);
  return columns;
}

/** What {@linkcode runW1Api} measures. */
export interface W1ApiResult {
  train_seconds: number;
  seconds_per_epoch: number;
  predict_rows_per_second: number;
  /** Preprocessing and model building before the first step (not in train_seconds). */
  preprocess_seconds: number;
  /** The final checkpoint after the last step (training metrics; not in train_seconds). */
  final_checkpoint_seconds: number;
  /** `model.predict` on raw rows including their preprocessing and postprocessing. */
  predict_rows_per_second_with_preprocessing: number;
}

/**
 * W1 through the public API: `Model.create(config)` then `model.train({dataset})`, timed from
 * the trainer's start (`onTrainStart`) to the end of its last step (`onStep`), so
 * preprocessing and the final checkpoint's metrics are excluded as in the reference; prediction is timed on the preprocessed rows
 * (`predictSplit`, batch 1024, probabilities computed) and, separately, through
 * `model.predict` on the raw rows.
 */
export async function runW1Api(
  options: { rows?: number; epochs?: number; skipPredict?: boolean } = {},
): Promise<W1ApiResult> {
  const { Model } = await import("../lib/api.ts");
  const { Dataset } = await import("../lib/data/dataset.ts");
  const { outputHeads, predictSplit } = await import("../lib/train/evaluate.ts");
  const rows = options.rows ?? 100_000;
  const epochs = options.epochs ?? 3;
  const dataset = Dataset.fromColumns(w1Columns(rows));
  const model = await Model.create(w1Config(epochs) as never);
  let trainStart = 0;
  let trainEnd = 0;
  let lastStep = 0;
  const t0 = performance.now();
  const trained = await model.train({
    dataset,
    skip_save_all: true,
    progress: false,
    callbacks: {
      onTrainStart: () => {
        trainStart = performance.now();
      },
      // The last step's end: the final checkpoint's metrics (which Ludwig would skip with
      // skip_all_evaluation) are not part of the reference's timed loop.
      onStep: () => {
        lastStep = performance.now();
      },
      onTrainEnd: () => {
        trainEnd = performance.now();
      },
    },
  });
  const train = (lastStep - trainStart) / 1000;
  const preprocess = (trainStart - t0) / 1000;
  const split = trained.preprocessed_data.training;
  const ecd = {
    model: model.tfModel!,
    inputNames: model.config.input_features.map((f) => f.name),
    outputNames: model.config.output_features.map((f) => f.name),
  };
  if (options.skipPredict) {
    model.tfModel?.dispose();
    return {
      train_seconds: train,
      seconds_per_epoch: train / epochs,
      predict_rows_per_second: NaN,
      preprocess_seconds: preprocess,
      final_checkpoint_seconds: (trainEnd - lastStep) / 1000,
      predict_rows_per_second_with_preprocessing: NaN,
    };
  }
  const heads = outputHeads(ecd, model.config, model.metadata as never);
  const t1 = performance.now();
  await predictSplit(ecd, heads, split, 1024);
  const predict = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  await model.predict(dataset, { batch_size: 1024 });
  const predictRaw = (performance.now() - t2) / 1000;
  model.tfModel?.dispose();
  return {
    train_seconds: train,
    seconds_per_epoch: train / epochs,
    predict_rows_per_second: split.numRows / predict,
    preprocess_seconds: preprocess,
    final_checkpoint_seconds: (trainEnd - lastStep) / 1000,
    predict_rows_per_second_with_preprocessing: rows / predictRaw,
  };
}

/** The W3 config of WORKLOADS.md in Sonata's (Ludwig's) config language. */
export function w3Config(
  epochs = 1,
  augmentation: unknown = false,
): Record<string, unknown> {
  const conv = { kernel_size: 3, padding: "same", pool_kernel_size: 2 };
  return {
    input_features: [{
      name: "image",
      type: "image",
      preprocessing: { height: 28, width: 28, num_channels: 1 },
      encoder: {
        type: "stacked_cnn",
        conv_layers: [{ out_channels: 32, ...conv }, { out_channels: 64, ...conv }],
        fc_layers: [{ output_size: 128 }],
      },
      augmentation,
    }],
    output_features: [{ name: "label", type: "category" }],
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
    trainer: {
      epochs,
      batch_size: 128,
      learning_rate: 0.001,
      optimizer: { type: "adam" },
      evaluate_training_set: false,
      should_shuffle: true,
      skip_all_evaluation: true,
      gradient_clipping: { clipglobalnorm: null },
    },
  };
}

/** W3's raw rows: 28×28 gray images (BMP data URIs) and a label of 10 classes. */
export async function w3Columns(rows = 10_000): Promise<Record<string, unknown[]>> {
  const { encodeBmp } = await import("../lib/data/images/mod.ts");
  const next = rng(3);
  const image: string[] = [];
  const labels = integers(rows, 10, next);
  for (let i = 0; i < rows; i++) {
    const data = new Uint8Array(28 * 28);
    for (let k = 0; k < data.length; k++) data[k] = Math.floor(next() * 256);
    const bytes = encodeBmp({ data, height: 28, width: 28, channels: 1 });
    let binary = "";
    for (let k = 0; k < bytes.length; k++) binary += String.fromCharCode(bytes[k]);
    image.push(`data:image/bmp;base64,${btoa(binary)}`);
  }
  return { image, label: Array.from(labels, (v) => `d${v}`) };
}

/** What {@linkcode runW3Api} measures. */
export interface W3ApiResult {
  seconds_per_epoch: number;
  /** Preprocessing (decoding the images) and model building before the first step. */
  preprocess_seconds: number;
}

/**
 * W3 through the public API: `Model.create(w3Config())` then `model.train({dataset})` on raw
 * image rows, timed from the trainer's start to the end of its last step (preprocessing
 * excluded, as in the reference). With `augmentation` the training batches come from the
 * prefetcher's workers, overlapped with the steps.
 */
export async function runW3Api(
  options: { rows?: number; epochs?: number; augmentation?: unknown } = {},
): Promise<W3ApiResult> {
  const { Model } = await import("../lib/api.ts");
  const { Dataset } = await import("../lib/data/dataset.ts");
  const epochs = options.epochs ?? 1;
  const dataset = Dataset.fromColumns(await w3Columns(options.rows));
  const model = await Model.create(w3Config(epochs, options.augmentation ?? false) as never);
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
  return {
    seconds_per_epoch: (lastStep - trainStart) / 1000 / epochs,
    preprocess_seconds: (trainStart - t0) / 1000,
  };
}
