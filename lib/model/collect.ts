/**
 * What Ludwig's `collect_summary`, `collect_weights` and `collect_activations` read from a
 * trained model: its layers (names, output shapes, parameter counts), its weight tensors, and
 * the outputs of named layers over a dataset.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import type { ModelConfig } from "../config/model.ts";
import { batchRanges, type Columns } from "../train/batches.ts";
import { inputTensors } from "../train/evaluate.ts";
import { type EcdModel, tensorName } from "./ecd.ts";

type Layer = tf.layers.Layer;
type Symbolic = tf.SymbolicTensor;

/** One row of {@linkcode layerSummary}. */
export interface LayerRow {
  /** The layer's name (what `collect_activations --layers` accepts). */
  readonly name: string;
  /** Its class (`Dense`, `Embedding`, …). */
  readonly type: string;
  /** Its output shape, `null` for the batch dimension. */
  readonly outputShape: unknown;
  /** Its parameter count. */
  readonly params: number;
}

/** Every layer in topological order, with its output shape and parameter count. */
export function layerSummary(model: tf.LayersModel): LayerRow[] {
  return model.layers.map((layer) => ({
    name: layer.name,
    type: layer.getClassName(),
    outputShape: layer.outputShape,
    params: layer.countParams(),
  }));
}

/** Every weight tensor: its name (what `collect_weights --tensors` accepts) and shape. */
export function weightSummary(model: tf.LayersModel): { name: string; shape: number[] }[] {
  return model.weights.map((w) => ({
    name: w.originalName ?? w.name,
    shape: w.shape.map((d) => d ?? 0),
  }));
}

/** The weight tensors named, as float32 arrays with their shapes, in the order asked. */
export function collectWeights(
  model: tf.LayersModel,
  names: readonly string[],
): { name: string; shape: number[]; data: Float32Array }[] {
  const byName = new Map(model.weights.map((w) => [w.originalName ?? w.name, w]));
  return names.map((name) => {
    const w = byName.get(name);
    if (!w) {
      throw new RangeError(
        `Invalid tensor name ${
          JSON.stringify(name)
        }: the model has no such weight (run collect_summary for the names)`,
      );
    }
    const value = w.read();
    return {
      name,
      shape: w.shape.map((d) => d ?? 0),
      data: Float32Array.from(value.dataSync() as ArrayLike<number>),
    };
  });
}

/** Layers whose names start with `prefix/`, in topological order. */
function scoped(model: tf.LayersModel, prefix: string): Layer[] {
  return model.layers.filter((l) => l.name.startsWith(`${prefix}/`));
}

function singleOutput(layer: Layer, what: string): Symbolic {
  if (layer.inboundNodes.length !== 1) {
    throw new RangeError(
      `Cannot collect ${what}: layer ${
        JSON.stringify(layer.name)
      } is applied ${layer.inboundNodes.length} times (a shared layer); name a layer applied once`,
    );
  }
  const out = layer.output;
  if (Array.isArray(out)) {
    throw new RangeError(
      `Cannot collect ${what}: layer ${JSON.stringify(layer.name)} has several outputs`,
    );
  }
  return out as Symbolic;
}

/** The encoder output of input feature `name`. */
function encoderOutput(ecd: EcdModel, config: ModelConfig, name: string): Symbolic {
  const features = config.input_features;
  const f = features.find((g) => g.name === name)!;
  const owner = f.tied ?? (features.some((g) => g.tied === f.name) ? f.name : undefined);
  if (owner !== undefined) {
    const shared = ecd.model.layers.find((l) => l.name === `${tensorName(owner)}_encoder`);
    if (shared) {
      const users = features.filter((g) => g.name === owner || g.tied === owner);
      const node = users.findIndex((g) => g.name === name);
      return shared.getOutputAt(node) as Symbolic;
    }
  }
  const prefix = tensorName(name);
  const own = scoped(ecd.model, prefix);
  // The encoder's output is what leaves its scope (side branches such as masks stay inside).
  const leaving = own.filter((l) =>
    l.outboundNodes.length === 0 ||
    l.outboundNodes.some((node) => !node.outboundLayer.name.startsWith(`${prefix}/`))
  );
  const last = (leaving.length ? leaving : own).at(-1);
  if (last) return singleOutput(last, `the encoder of "${name}"`);
  // An encoder without layers (passthrough): its output is the input itself.
  return ecd.model.inputs[ecd.inputNames.indexOf(name)];
}

/** The combiner's output. */
function combinerOutput(ecd: EcdModel, config: ModelConfig): Symbolic {
  const own = scoped(ecd.model, "combiner");
  if (own.length) return singleOutput(own[own.length - 1], "the combiner");
  if (config.input_features.length === 1) {
    // A combiner that adds no layer to a single input passes the encoder output through.
    return encoderOutput(ecd, config, config.input_features[0].name);
  }
  throw new RangeError("Cannot collect the combiner output: the model has no combiner layer");
}

/**
 * The names `collect_activations` accepts: every input feature (its encoder output),
 * `combiner`, and every layer name.
 */
export function activationNames(ecd: EcdModel, config: ModelConfig): string[] {
  return [
    ...config.input_features.map((f) => f.name),
    "combiner",
    ...ecd.model.layers.map((l) => l.name),
  ];
}

/** The tensor a name of {@linkcode activationNames} stands for. */
function activationTensor(ecd: EcdModel, config: ModelConfig, name: string): Symbolic {
  if (config.input_features.some((f) => f.name === name)) return encoderOutput(ecd, config, name);
  if (name === "combiner") return combinerOutput(ecd, config);
  const layer = ecd.model.layers.find((l) => l.name === name);
  if (!layer) {
    throw new RangeError(
      `Invalid layer name ${
        JSON.stringify(name)
      }: not an input feature, "combiner" or a layer of the model (run collect_summary for the names)`,
    );
  }
  return singleOutput(layer, `layer "${name}"`);
}

/** One collected activation: the name asked for, the shape (rows first) and the values. */
export interface Activation {
  /** The name asked for (an input feature, `combiner`, or a layer). */
  readonly name: string;
  /** The shape, rows first. */
  readonly shape: number[];
  /** The values, row-major. */
  readonly data: Float32Array;
}

/**
 * The outputs of the named layers over every row of a preprocessed split, in row order
 * (inference mode: no dropout).
 */
export function collectActivations(
  ecd: EcdModel,
  config: ModelConfig,
  split: Columns,
  names: readonly string[],
  batchSize = 256,
): Activation[] {
  if (names.length === 0) throw new RangeError("Missing layer names: name at least one layer");
  const asked = names.map((n) => activationTensor(ecd, config, n));
  // One model output per distinct tensor (a combiner that adds no layer returns its input).
  const outputs = [...new Set(asked)];
  const slot = asked.map((t) => outputs.indexOf(t));
  const probe = tf.model({ inputs: ecd.model.inputs, outputs, name: "collect_activations" });
  const n = split.numRows;
  const rowSizes = outputs.map((o) => o.shape.slice(1).reduce((a: number, b) => a * (b ?? 1), 1));
  const chunks: Float32Array[][] = outputs.map(() => []);
  const shapes: number[][] = outputs.map((o) => [n, ...o.shape.slice(1).map((d) => d ?? 0)]);
  for (const [start, end] of batchRanges(n, batchSize)) {
    const rows = Int32Array.from({ length: end - start }, (_, i) => start + i);
    tf.tidy(() => {
      const result = probe.predict(inputTensors(ecd, split, rows), { batchSize }) as
        | tf.Tensor
        | tf.Tensor[];
      const list = Array.isArray(result) ? result : [result];
      list.forEach((t, i) => {
        shapes[i] = [n, ...t.shape.slice(1)];
        chunks[i].push(Float32Array.from(t.dataSync() as ArrayLike<number>));
      });
    });
  }
  return names.map((name, k) => {
    const i = slot[k];
    const size = shapes[i].slice(1).reduce((a, b) => a * b, 1) || rowSizes[i];
    const data = new Float32Array(n * size);
    let offset = 0;
    for (const c of chunks[i]) data.set(c, offset), offset += c.length;
    return { name, shape: [...shapes[i]], data };
  });
}
