/**
 * Shared contract checks of the combiner tests: build a small functional model (one `tf.input`
 * per feature → combiner → dense head), train it a few steps on a learnable synthetic task, save
 * and reload it from memory, and count tensors before and after.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { COMBINERS } from "../../lib/combiners/mod.ts";
import type { CombinerImpl, CombinerInput, Symbolic } from "../../lib/model/component.ts";
import { resetLayerNames, resetSeeds } from "../../lib/model/component.ts";
import { resetDropoutSeeds } from "../../lib/model/layers.ts";

/** One input of a test model: a feature name, type and per-example shape. */
export interface FeatureSpec {
  name: string;
  type: string;
  shape: number[];
}

/** Three numbers, a category embedding [8] and a sequence encoding [5, 8]. */
export const FEATURES: FeatureSpec[] = [
  { name: "n1", type: "number", shape: [1] },
  { name: "n2", type: "number", shape: [1] },
  { name: "n3", type: "number", shape: [1] },
  { name: "cat", type: "category", shape: [8] },
  { name: "seq", type: "sequence", shape: [5, 8] },
];

/** Select the cpu backend once. */
export async function cpu(): Promise<void> {
  if (tf.getBackend() !== "cpu") await tf.setBackend("cpu");
}

/** The fully defaulted config of a combiner type, as the model builder passes it. */
export function resolve(input: Record<string, unknown>): Record<string, unknown> {
  const entry = COMBINERS.find((c) => c.type === input.type);
  assert.ok(entry, `no combiner ${input.type}`);
  return (entry.schema as unknown as { parse(v: unknown): Record<string, unknown> }).parse(input);
}

/** The implementation module of a combiner type (through its registry entry's `load`). */
export async function loadImpl(type: string): Promise<CombinerImpl> {
  const entry = COMBINERS.find((c) => c.type === type);
  assert.ok(entry?.load, `combiner ${type} has no load()`);
  return await entry.load() as unknown as CombinerImpl;
}

/** A functional model: inputs → combiner → (mean over time if rank 3) → dense(1). */
export interface TestModel {
  model: tf.LayersModel;
  /** The combiner output (symbolic). */
  combined: Symbolic;
}

/** Build a test model around a combiner config (input form; defaults are filled here). */
export async function buildModel(
  input: Record<string, unknown>,
  features: FeatureSpec[] = FEATURES,
  seed = 42,
): Promise<TestModel> {
  resetSeeds();
  resetLayerNames();
  const config = resolve(input);
  const impl = await loadImpl(config.type as string);
  const symbolic = features.map((f) => tf.input({ shape: f.shape, name: f.name }));
  const inputs: CombinerInput[] = features.map((f, i) => ({
    name: f.name,
    type: f.type,
    tensor: symbolic[i],
  }));
  const combined = impl.build(config, { scope: "combiner", seed }, inputs);
  let h = combined;
  if (h.shape.length === 3) h = tf.layers.globalAveragePooling1d({}).apply(h) as Symbolic;
  const out = tf.layers.dense({
    units: 1,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
    name: "head",
  }).apply(h) as Symbolic;
  return { model: tf.model({ inputs: symbolic, outputs: out }), combined };
}

/** Deterministic pseudo-random numbers in [-1, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** Synthetic data: inputs for each feature, target = a fixed function of the inputs. */
export function makeData(
  features: FeatureSpec[] = FEATURES,
  n = 32,
  seed = 1,
): { xs: tf.Tensor[]; y: tf.Tensor2D } {
  const rand = lcg(seed);
  const arrays = features.map((f) => {
    const size = f.shape.reduce((a, b) => a * b, 1);
    return Float32Array.from({ length: n * size }, rand);
  });
  const y = new Float32Array(n);
  features.forEach((f, k) => {
    const size = f.shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++) {
      // target: a weighted sum of the first value of each feature, squashed by tanh
      y[i] += (k % 2 === 0 ? 1 : -1) * arrays[k][i * size];
    }
  });
  return {
    xs: features.map((f, k) => tf.tensor(arrays[k], [n, ...f.shape])),
    y: tf.tensor2d(Array.from(y, Math.tanh), [n, 1]),
  };
}

/** Mean squared error plus the model's registered losses (TabNet's sparsity loss). */
function lossOf(model: tf.LayersModel, xs: tf.Tensor[], y: tf.Tensor): tf.Scalar {
  const pred = model.apply(xs, { training: true }) as tf.Tensor;
  let loss = tf.mean(tf.square(tf.sub(pred, y))) as tf.Scalar;
  for (const extra of model.calculateLosses()) loss = tf.add(loss, extra);
  return loss;
}

/** Train with Adam through `tf.variableGrads`; returns the loss of each step. */
export function train(
  model: tf.LayersModel,
  xs: tf.Tensor[],
  y: tf.Tensor,
  steps = 25,
  learningRate = 0.01,
): number[] {
  resetDropoutSeeds(3);
  const optimizer = tf.train.adam(learningRate);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { value, grads } = tf.variableGrads(() => lossOf(model, xs, y), vars);
    optimizer.applyGradients(grads as tf.NamedTensorMap as never);
    losses.push(value.dataSync()[0]);
    tf.dispose([value, ...Object.values(grads)]);
  }
  optimizer.dispose();
  return losses;
}

/** Save to memory and load back as a new model. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  return await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

/** Largest absolute difference of two tensors' values. */
export function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** What {@linkcode contract} checks. */
export interface ContractOptions {
  /** Features of the model (default {@linkcode FEATURES}). */
  features?: FeatureSpec[];
  /** Expected combiner output shape (without batch). */
  expectedShape?: (number | null)[];
  /** Training steps (default 25). */
  steps?: number;
  /** Learning rate (default 0.01). */
  learningRate?: number;
  /** Required relative fall of the loss from the first step to the best of the last five. */
  minFall?: number;
}

/**
 * The contract of a combiner config: output shape; finite loss that falls over a few training
 * steps; save → load predicts the same; every tensor is released after dispose.
 */
export async function contract(
  input: Record<string, unknown>,
  options: ContractOptions = {},
): Promise<{ losses: number[]; model: TestModel }> {
  await cpu();
  const features = options.features ?? FEATURES;
  const data = makeData(features);
  const baseline = tf.memory().numTensors;
  const built = await buildModel(input, features);
  const { model, combined } = built;
  if (options.expectedShape) assert.deepEqual(combined.shape.slice(1), options.expectedShape);
  const before = model.predict(data.xs) as tf.Tensor;
  assert.equal(before.shape[0], data.y.shape[0]);
  assert.ok(before.dataSync().every(Number.isFinite), "predictions are finite");
  const losses = train(model, data.xs, data.y, options.steps ?? 25, options.learningRate ?? 0.01);
  assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
  const lastBest = Math.min(...losses.slice(-5));
  assert.ok(
    lastBest < losses[0] * (1 - (options.minFall ?? 0.2)),
    `loss falls: ${losses.map((l) => l.toFixed(4)).join(" ")}`,
  );
  const after = model.predict(data.xs) as tf.Tensor;
  assert.ok(maxDiff(before, after) > 0, "training changed the predictions");
  const loaded = await roundTrip(model);
  const reloaded = loaded.predict(data.xs) as tf.Tensor;
  assert.ok(maxDiff(after, reloaded) < 1e-5, "save → load predicts the same");
  tf.dispose([before, after, reloaded]);
  loaded.dispose();
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline, "no tensor leaks");
  tf.dispose([...data.xs, data.y]);
  return { losses, model: built };
}
