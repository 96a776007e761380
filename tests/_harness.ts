/**
 * The contract harness of every registry entry, in the shape of Keras' `run_layer_test`.
 *
 * Component cases (encoders, combiners, decoders): the entry's defaults parse; the parsed config
 * survives a JSON round trip; the implementation builds (through the entry's `load()`, with a
 * fresh {@linkcode createBuildContext}) on tiny symbolic inputs; the output has the expected
 * shape and dtype; one training step (the component → dense head, mean squared error) gives a
 * finite loss and changes the weights; save → load predicts the same; and every tensor is
 * released (`tf.memory().numTensors` back to its baseline).
 *
 * Feature-type and loss cases go through the public `Model` API only (create → train → predict →
 * save → load → predict), as those internals are free to change.
 *
 * The per-folder helpers of the combiner and decoder tests live here too.
 *
 * @module
 */
import assert from "node:assert/strict";
import { NATIVE_BACKEND, registerNativeBackend, tf } from "../lib/compute/mod.ts";
import { COMBINERS } from "../lib/combiners/mod.ts";
import { DECODERS } from "../lib/decoders/mod.ts";
import type {
  CombinerEntry,
  ComponentSchema,
  DecoderEntry,
  EncoderEntry,
  FeatureEntry,
  LossEntry,
} from "../lib/config/registry.ts";
import type {
  BuildContext,
  CombinerImpl,
  CombinerInput,
  DecoderImpl,
  EncoderImpl,
  Symbolic,
} from "../lib/model/component.ts";
import { clearPool } from "../lib/compute/_pool.ts";
import { type BuildContextOptions, createBuildContext } from "../lib/model/ecd.ts";
import { resetDropoutSeeds } from "../lib/model/layers.ts";
import { encodeBmp } from "../lib/data/images/mod.ts";
import { Model } from "../mod.ts";

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** Select the cpu backend once (the harness does not depend on `SONATA_COMPUTE`). */
export async function cpu(): Promise<void> {
  if (tf.getBackend() !== "cpu") await tf.setBackend("cpu");
}

/** Select the backend of a component case: cpu, or Sonata's native engine (registered once). */
async function backendOf(engine: "cpu" | "native"): Promise<void> {
  if (engine === "cpu") return await cpu();
  registerNativeBackend();
  if (tf.getBackend() !== NATIVE_BACKEND) await tf.setBackend(NATIVE_BACKEND);
}

/** Deterministic pseudo-random numbers in [-1, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** A seeded uniform [0, 1) source. */
export function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** A fresh build context (fresh counters, weights store and teacher channel). */
export function context(options: BuildContextOptions = {}): BuildContext {
  return createBuildContext(options);
}

/** Save a model to memory and load it back. */
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

function parse(schema: ComponentSchema, input: Obj): Obj {
  return (schema as unknown as { parse(v: unknown): Obj }).parse(input);
}

/** The fully defaulted config of a combiner type, as the model builder passes it. */
export function resolveCombiner(input: Obj): Obj {
  const entry = COMBINERS.find((c) => c.type === input.type);
  assert.ok(entry, `no combiner ${input.type}`);
  return parse(entry.schema, input);
}

/** The fully defaulted config of a decoder type. */
export function resolveDecoder(input: Obj): Obj {
  const entry = DECODERS.find((d) => d.type === input.type);
  assert.ok(entry, `no decoder ${input.type}`);
  return parse(entry.schema, input);
}

/** The implementation module of a combiner type (through its registry entry's `load`). */
export async function loadCombiner(type: string): Promise<CombinerImpl> {
  const entry = COMBINERS.find((c) => c.type === type);
  assert.ok(entry?.load, `combiner ${type} has no load()`);
  return await entry.load() as unknown as CombinerImpl;
}

/** The implementation of a decoder type (through its registry entry's `load`). */
export async function loadDecoder(type: string): Promise<DecoderImpl> {
  const entry = DECODERS.find((d) => d.type === type);
  assert.ok(entry?.load, `decoder ${type} has no load()`);
  return await entry.load() as unknown as DecoderImpl;
}

// ---------------------------------------------------------------------------------------------
// Combiner models (the combiner tests' contract)

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

/** A functional model: inputs → combiner → (mean over time if rank 3) → dense(1). */
export interface TestModel {
  model: tf.LayersModel;
  /** The combiner output (symbolic). */
  combined: Symbolic;
}

/** Build a test model around a combiner config (input form; defaults are filled here). */
export async function buildModel(
  input: Obj,
  features: FeatureSpec[] = FEATURES,
  seed = 42,
): Promise<TestModel> {
  const config = resolveCombiner(input);
  const impl = await loadCombiner(config.type as string);
  const symbolic = features.map((f) => tf.input({ shape: f.shape, name: f.name }));
  const inputs: CombinerInput[] = features.map((f, i) => ({
    name: f.name,
    type: f.type,
    tensor: symbolic[i],
  }));
  const combined = await impl.build(
    config as Parameters<CombinerImpl["build"]>[0],
    context({ scope: "combiner", seed }),
    inputs,
  );
  return { model: headed(symbolic, combined), combined };
}

function headed(inputs: Symbolic[], out: Symbolic): tf.LayersModel {
  let h = out;
  if (h.shape.length === 3) h = tf.layers.globalAveragePooling1d({}).apply(h) as Symbolic;
  const y = tf.layers.dense({
    units: 1,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
    name: "head",
  }).apply(h) as Symbolic;
  return tf.model({ inputs, outputs: y });
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
  input: Obj,
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

// ---------------------------------------------------------------------------------------------
// Component cases (run_layer_test)

/** One symbolic input of a component case, with how to fill it. */
export interface CaseInput {
  /** Per-example shape. */
  shape: number[];
  dtype?: "float32" | "int32";
  /** Value of element `i` of the flattened batch (default: random in [-1, 1)). */
  value?: (i: number, rand: () => number) => number;
  /** Feature name and type, for combiner inputs. */
  name?: string;
  type?: string;
}

/** A harness case of an encoder, combiner or decoder entry. */
export interface ComponentCase {
  readonly entry: EncoderEntry | CombinerEntry | DecoderEntry;
  /** Case name (default: the entry's kind and type). */
  readonly name?: string;
  /** Config keys besides `type` (minimal: tiny sizes). */
  readonly config?: Obj;
  /** The inputs: one for encoders and decoders (the hidden state), several for combiners. */
  readonly inputs: readonly CaseInput[];
  /** Feature metadata the build reads (vocab_size, idx2str ...). */
  readonly metadata?: Obj;
  /** Resolved feature preprocessing. */
  readonly preprocessing?: Obj;
  /** Decoder output units. */
  readonly outputSize?: number;
  /** Expected output shape without the batch axis. */
  readonly outputShape: readonly (number | null)[];
  /** Whether the case's training step must change the component's weights (default true). */
  readonly trains?: boolean;
  /** Teacher-forcing targets of the training step (through the build's teacher channel). */
  readonly teacher?: CaseInput;
  /** A costly case (a large pretrained architecture): run only with `SONATA_SLOW=1`. */
  readonly slow?: boolean;
  /**
   * The engine of the case (default `cpu`, the reference). `native` (Sonata's default engine,
   * checked against cpu kernel by kernel in tests/compute) is for cases whose training step is
   * out of reach of tfjs's cpu kernels, e.g. its convolution filter gradient (see
   * tests/encoders/torchvision/_cases.ts).
   */
  readonly engine?: "cpu" | "native";
}

const BATCH = 4;

function inputTensor(input: CaseInput, rand: () => number): tf.Tensor {
  const size = input.shape.reduce((a, b) => a * b, 1) * BATCH;
  const fill = input.value ?? ((_i: number, r: () => number) => r());
  const values = Array.from({ length: size }, (_, i) => fill(i, rand));
  return tf.tensor(values, [BATCH, ...input.shape], input.dtype ?? "float32");
}

/** Name of a component case. */
export function caseName(c: ComponentCase): string {
  return c.name ?? `${c.entry.kind} ${c.entry.type}`;
}

/** Run one component case's contract; throws (an assertion) naming what broke. */
export async function runComponentCase(c: ComponentCase): Promise<void> {
  await backendOf(c.engine ?? "cpu");
  try {
    await runComponentCaseOnBackend(c);
  } finally {
    // The native engine's free lists may keep up to the largest working set seen (maxvit's
    // training step: ~10 GB): hand them back before the next case.
    if (c.engine === "native") clearPool();
    await cpu();
  }
}

async function runComponentCaseOnBackend(c: ComponentCase): Promise<void> {
  const { entry } = c;
  // Defaults parse, and the parsed config survives JSON.
  const config = parse(entry.schema, { type: entry.type, ...c.config });
  assert.deepEqual(parse(entry.schema, JSON.parse(JSON.stringify(config))), config);
  assert.ok(entry.load, `${caseName(c)}: no implementation`);
  const baseline = tf.memory().numTensors;
  const symbolic = c.inputs.map((input, i) =>
    tf.input({
      shape: input.shape,
      dtype: input.dtype ?? "float32",
      name: input.name ?? `input_${i}`,
    })
  );
  const ctx = context({
    scope: entry.kind === "combiner" ? "combiner" : "feature",
    seed: 5,
    metadata: c.metadata,
    preprocessing: c.preprocessing,
  });
  const impl = await entry.load() as Obj;
  let out: Symbolic;
  if (entry.kind === "encoder") {
    out = (await (impl as unknown as EncoderImpl).build(config as never, ctx))(symbolic[0]);
  } else if (entry.kind === "decoder") {
    const build = (impl as unknown as DecoderImpl).build;
    out = (await build(config as never, { ...ctx, outputSize: c.outputSize ?? 1 }))(symbolic[0]);
  } else {
    const inputs = c.inputs.map((input, i) => ({
      name: input.name ?? `input_${i}`,
      type: input.type ?? "number",
      tensor: symbolic[i],
    }));
    out = await (impl as unknown as CombinerImpl).build(config as never, ctx, inputs);
  }
  assert.deepEqual(out.shape.slice(1), [...c.outputShape], `${caseName(c)}: output shape`);
  assert.equal(out.dtype, "float32", `${caseName(c)}: output dtype`);
  const model = headed(symbolic, out);
  const rand = lcg(3);
  const xs = c.inputs.map((input) => inputTensor(input, rand));
  const y = tf.tensor2d(Array.from({ length: BATCH }, () => rand()), [BATCH, 1]);
  const component = model.trainableWeights.filter((w) => !w.originalName.startsWith("head/"));
  const initial = component.map((w) => w.read().dataSync().slice());
  const targets = c.teacher ? inputTensor(c.teacher, rand) : undefined;
  const losses = targets
    ? ctx.teacher.run({ [ctx.scope]: targets }, () => train(model, xs, y, 1, 0.05))
    : train(model, xs, y, 1, 0.05);
  targets?.dispose();
  assert.ok(losses.every(Number.isFinite), `${caseName(c)}: finite loss ${losses}`);
  if (c.trains !== false) {
    const changed = component.some((w, i) =>
      w.read().dataSync().some((v, k) => v !== initial[i][k])
    );
    assert.ok(changed, `${caseName(c)}: one training step changed the component's weights`);
  }
  const a = model.predict(xs) as tf.Tensor;
  const loaded = await roundTrip(model);
  const b = loaded.predict(xs) as tf.Tensor;
  assert.ok(maxDiff(a, b) < 1e-5, `${caseName(c)}: save → load predicts the same`);
  tf.dispose([a, b, y, ...xs]);
  // TF.js counts a layer's references per call, so a deserialized block shared across depth
  // (ALBERT) keeps its variables after `dispose()`: free what the reloaded copy still holds.
  const held = loaded.weights;
  loaded.dispose();
  for (const w of held) {
    try {
      w.dispose();
    } catch {
      // disposed with the model
    }
  }
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline, `${caseName(c)}: no leaked tensors`);
}

// ---------------------------------------------------------------------------------------------
// Feature-type and loss cases (public Model API)

/** A harness case of a feature type or a loss: a model config over tiny records. */
export interface ModelCase {
  readonly entry: FeatureEntry | LossEntry;
  readonly name: string;
  /** Input and output features of the model. */
  readonly input_features: readonly Obj[];
  readonly output_features: readonly Obj[];
}

/** Two prediction tables agree (numbers within 1e-5). */
function assertSame(actual: Record<string, unknown[]>, expected: Record<string, unknown[]>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  const close = (a: unknown, b: unknown, where: string): void => {
    if (typeof a === "number" && typeof b === "number") {
      assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${where}: ${a} != ${b}`);
    } else if (Array.isArray(a) && Array.isArray(b)) {
      assert.equal(a.length, b.length, where);
      a.forEach((v, i) => close(v, b[i], `${where}[${i}]`));
    } else if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
      close(Array.from(a as Float32Array), Array.from(b as Float32Array), where);
    } else assert.deepEqual(a, b, where);
  };
  for (const [k, v] of Object.entries(expected)) {
    close(actual[k], v, `save → load predicts the same: ${k}`);
  }
}

/** Tiny records with an `in_<type>` and an `out_<type>` column of every feature type. */
export function records(n = 24): Obj[] {
  return typedRecords(n).map((r) =>
    Object.fromEntries(
      Object.entries(r).flatMap(([type, v]) => [[`in_${type}`, v], [`out_${type}`, v]]),
    )
  );
}

function typedRecords(n: number): Obj[] {
  const rand = random(17);
  const words = ["a", "b", "c", "d"];
  const h3 = ["8928308280fffff", "8928308280bffff", "89283082807ffff", "89283082803ffff"];
  return Array.from({ length: n }, (_, i) => {
    const x = rand() * 2 - 1;
    const picks = words.filter(() => rand() > 0.5);
    const tokens = picks.length ? picks : ["a"];
    return {
      binary: x > 0 ? "true" : "false",
      number: x,
      category: words[i % 3],
      set: tokens.join(" "),
      bag: `${tokens.join(" ")} ${tokens[0]}`,
      sequence: tokens.join(" "),
      text: tokens.join(" "),
      vector: `${x.toFixed(3)} ${(x * x).toFixed(3)}`,
      date: `2021-${String(1 + (i % 12)).padStart(2, "0")}-${
        String(1 + (i % 28)).padStart(2, "0")
      }`,
      h3: h3[i % h3.length],
      image: imageUri(i),
    };
  });
}

/** A 12x12 RGB BMP as a data URI: a bright square whose place depends on `i`. */
function imageUri(i: number): string {
  const size = 12;
  const data = new Uint8Array(size * size * 3);
  const [y0, x0] = [(i % 2) * 6, (Math.floor(i / 2) % 2) * 6];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const on = y >= y0 && y < y0 + 6 && x >= x0 && x < x0 + 6;
      data.fill(on ? 200 : 20 + (i % 9), (y * size + x) * 3, (y * size + x + 1) * 3);
    }
  }
  const bytes = encodeBmp({ data, height: size, width: size, channels: 3 });
  return `data:image/bmp;base64,${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * Run model cases through `Model`: create → train (a step or two) → finite losses → predict →
 * save → load → same predictions. The cases share one model (every case's features), so the
 * whole set trains once.
 */
export async function runModelCases(cases: readonly ModelCase[]): Promise<void> {
  // The reference engine, whatever SONATA_COMPUTE says (the engines have their own tests).
  const engine = Deno.env.get("SONATA_COMPUTE");
  Deno.env.set("SONATA_COMPUTE", "cpu");
  try {
    await runModelCasesOnCpu(cases);
  } finally {
    if (engine === undefined) Deno.env.delete("SONATA_COMPUTE");
    else Deno.env.set("SONATA_COMPUTE", engine);
  }
}

async function runModelCasesOnCpu(cases: readonly ModelCase[]): Promise<void> {
  await cpu();
  for (const c of cases) {
    if (c.entry.kind === "loss") {
      const parsed = parse(c.entry.schema, { type: c.entry.type });
      assert.deepEqual(parse(c.entry.schema, JSON.parse(JSON.stringify(parsed))), parsed);
    } else {
      for (const role of [c.entry.input, c.entry.output]) {
        if (!role) continue;
        const parsed = (role.preprocessing as unknown as { parse(v: unknown): Obj }).parse({});
        assert.deepEqual(
          (role.preprocessing as unknown as { parse(v: unknown): Obj }).parse(
            JSON.parse(JSON.stringify(parsed)),
          ),
          parsed,
        );
      }
    }
  }
  const inputs = new Map<string, Obj>();
  const outputs = new Map<string, Obj>();
  for (const c of cases) {
    for (const f of c.input_features) inputs.set(f.name as string, f);
    for (const f of c.output_features) outputs.set(f.name as string, f);
  }
  const data = records();
  const config = {
    input_features: [...inputs.values()],
    output_features: [...outputs.values()],
    combiner: { type: "concat", output_size: 8, num_fc_layers: 1 },
    trainer: { epochs: 1, batch_size: 8, learning_rate: 0.01 },
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
  };
  const model = await Model.create(config);
  // The resolved config survives JSON.
  const json = JSON.parse(JSON.stringify(model.config));
  assert.deepEqual(json, JSON.parse(JSON.stringify((await Model.create(json)).config)));
  const baseline = tf.memory().numTensors;
  const result = await model.train({ dataset: data, skip_save_all: true, progress: false });
  for (const [feature, metrics] of Object.entries(result.train_stats.training ?? {})) {
    const loss = (metrics as Record<string, number[]>).loss;
    assert.ok(loss?.length, `training loss of ${feature} is reported`);
    assert.ok(loss.every(Number.isFinite), `training loss of ${feature} is finite: ${loss}`);
  }
  const first = await model.predict(data, { skip_save_predictions: true });
  const dir = await Deno.makeTempDir({ prefix: "sonata_harness_" });
  try {
    await model.save(dir);
    const loaded = await Model.load(dir);
    const second = await loaded.predict(data, { skip_save_predictions: true });
    const columns = first.predictions.columns as Record<string, unknown[]>;
    for (const f of outputs.keys()) {
      const mine = Object.keys(columns).filter((k) => k.startsWith(`${f}_`));
      assert.ok(mine.length, `predictions of ${f}`);
      for (const k of mine) assert.equal(columns[k].length, data.length, `rows of ${k}`);
    }
    assertSame(second.predictions.columns as Record<string, unknown[]>, columns);
    loaded.tfModel?.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  model.tfModel?.dispose();
  assert.ok(
    tf.memory().numTensors <= baseline,
    `no leaked tensors: ${tf.memory().numTensors} > ${baseline}`,
  );
}
