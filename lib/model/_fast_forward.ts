/**
 * Private: a "compiled" forward pass of a functional TF.js `LayersModel`.
 *
 * `model.apply(inputs, {training})` on concrete tensors goes through `Layer.apply` for the
 * model, `Container.call`, tfjs-layers' `execute` (a topological sort looked up by string key,
 * a feed dictionary keyed by names) and `Layer.apply` again for every layer (list conversions,
 * symbolic checks, a name scope, input-spec assertions). {@linkcode compileForward} sorts the
 * graph once, in the order `execute` uses, and then calls each layer's `call` directly with
 * the same arguments (the same `kwargs` object, masks propagated the same way, outputs that
 * are inputs cloned as `Layer.apply` clones them), so the kernels, their order (and thus the
 * seeds of random layers) and the results are those of `model.apply`.
 *
 * Layers that add losses keep working: `calculateLosses()` reads what the layer's `call`
 * recorded. Nested models (a tied encoder's sub-model) are compiled the same way. Anything
 * `execute` would handle differently (unbuilt layers, activity regularizers, a layer applied
 * to a multi-output node) makes the compiled function fall back to `model.apply`.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";

/**
 * A compiled forward pass: outputs in the model's output order. `compiled` is false when it
 * is `model.apply` itself (the graph held something the compiled pass does not replicate).
 */
export type ForwardFn = ((inputs: tf.Tensor[], training: boolean) => tf.Tensor[]) & {
  readonly compiled: boolean;
};

// The tfjs-layers internals the compiled pass reads (not in the public typings).
interface SymbolicLike {
  readonly id: number;
  readonly name: string;
  readonly dtype: string;
  readonly sourceLayer: LayerLike;
  readonly inputs: SymbolicLike[];
}
interface NodeLike {
  readonly outputTensors: SymbolicLike[];
}
interface LayerLike {
  readonly name: string;
  readonly built: boolean;
  readonly supportsMasking: boolean;
  readonly activityRegularizer?: unknown;
  readonly inboundNodes: NodeLike[];
  readonly output: SymbolicLike | SymbolicLike[];
  getOutputAt(nodeIndex: number): SymbolicLike | SymbolicLike[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  computeMask(
    inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | tf.Tensor[] | null,
  ): tf.Tensor | tf.Tensor[] | null;
  setMaskMetadata(
    inputs: tf.Tensor | tf.Tensor[],
    outputs: tf.Tensor | tf.Tensor[],
  ): void;
  getClassName(): string;
}
interface ContainerLike extends LayerLike {
  readonly inputs: SymbolicLike[];
  readonly outputs: SymbolicLike[];
}

interface Step {
  readonly layer: LayerLike;
  readonly inputs: readonly number[];
  /** The node's output: its id and dtype (the feed dictionary casts values to it). */
  readonly output: number;
  readonly dtype: string;
  /** The compiled nested model when the layer is itself a functional model. */
  readonly nested?: Compiled;
}

interface Compiled {
  readonly inputIds: readonly number[];
  readonly inputDtypes: readonly string[];
  readonly outputIds: readonly number[];
  readonly steps: readonly Step[];
}

function isContainer(layer: LayerLike): layer is ContainerLike {
  const c = layer as Partial<ContainerLike>;
  return Array.isArray(c.inputs) && Array.isArray(c.outputs) &&
    Array.isArray((layer as unknown as { layers?: unknown }).layers);
}

/** The symbolic outputs of the node that produces `fetch` (tfjs-layers' `getNodeOutputs`). */
function nodeOutputs(fetch: SymbolicLike): SymbolicLike[] {
  const layer = fetch.sourceLayer;
  let outs: SymbolicLike | SymbolicLike[];
  if (layer.inboundNodes.length === 1) {
    outs = layer.output;
  } else {
    let index = -1;
    for (let i = 0; i < layer.inboundNodes.length && index < 0; i++) {
      if (layer.inboundNodes[i].outputTensors.some((t) => t.id === fetch.id)) index = i;
    }
    outs = layer.getOutputAt(index);
  }
  return Array.isArray(outs) ? outs : [outs];
}

/** tfjs-layers' topological sort for one fetch (feeds are visited already). */
function sortOne(fetch: SymbolicLike, feeds: ReadonlySet<string>): SymbolicLike[] {
  const visited = new Set<string>(feeds);
  const sorted: SymbolicLike[] = [];
  const stack: SymbolicLike[] = [fetch];
  const marks: number[] = [];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (visited.has(top.name)) {
      stack.pop();
      continue;
    }
    const topIsMarked = marks[marks.length - 1] === stack.length - 1;
    if (top.inputs.length === 0 || topIsMarked) {
      stack.pop();
      sorted.push(top);
      visited.add(top.name);
      if (topIsMarked) marks.pop();
    } else {
      marks.push(stack.length - 1);
      for (const input of top.inputs) {
        if (!visited.has(input.name)) stack.push(input);
      }
    }
  }
  return sorted;
}

function compile(model: ContainerLike): Compiled | undefined {
  const feeds = new Set(model.inputs.map((x) => x.name));
  let sorted: SymbolicLike[];
  if (model.outputs.length === 1) {
    sorted = sortOne(model.outputs[0], feeds);
  } else {
    sorted = [];
    const seen = new Set<string>();
    for (const fetch of model.outputs) {
      for (const s of sortOne(fetch, feeds)) {
        if (!seen.has(s.name)) {
          sorted.push(s);
          seen.add(s.name);
        }
      }
    }
  }
  const steps: Step[] = [];
  for (const symbolic of sorted) {
    const layer = symbolic.sourceLayer;
    if (layer.getClassName() === "InputLayer") continue;
    if (!layer.built || layer.activityRegularizer != null) return undefined;
    const outs = nodeOutputs(symbolic);
    // `execute` calls a multi-output node once per fetched output; keep its path for those.
    if (outs.length !== 1) return undefined;
    let nested: Compiled | undefined;
    if (isContainer(layer)) {
      nested = compile(layer);
      if (!nested) return undefined;
    }
    steps.push({
      layer,
      inputs: symbolic.inputs.map((x) => x.id),
      output: outs[0].id,
      dtype: outs[0].dtype,
      nested,
    });
  }
  // An output that is an input is fed, not computed: keep `execute` for that.
  if (model.outputs.some((o) => feeds.has(o.name))) return undefined;
  return {
    inputIds: model.inputs.map((x) => x.id),
    inputDtypes: model.inputs.map((x) => x.dtype),
    outputIds: model.outputs.map((x) => x.id),
    steps,
  };
}

function run(
  compiled: Compiled,
  inputs: readonly tf.Tensor[],
  kwargs: Record<string, unknown>,
): tf.Tensor[] {
  // Values as the feed dictionary holds them (cast to the symbolic dtype), and the outputs as
  // the layers returned them (what `execute` returns).
  const values = new Map<number, tf.Tensor>();
  const returned = new Map<number, tf.Tensor>();
  const masks = new Map<number, tf.Tensor | null>();
  compiled.inputIds.forEach((id, i) => values.set(id, feed(inputs[i], compiled.inputDtypes[i])));
  for (const step of compiled.steps) {
    const inputValues: tf.Tensor[] = [];
    const inputMasks: (tf.Tensor | null)[] = [];
    let maskExists = false;
    for (const id of step.inputs) {
      const value = values.get(id);
      if (value === undefined) throw new Error(`Missing value of symbolic tensor ${id}`);
      inputValues.push(value);
      const mask = masks.get(id) ?? null;
      inputMasks.push(mask);
      if (mask != null) maskExists = true;
    }
    // As `execute`: a mask, once present, stays in the shared kwargs for later layers.
    if (maskExists) kwargs.mask = inputMasks[0];
    const layer = step.layer;
    let outputs: tf.Tensor[];
    if (step.nested) {
      // Layer.apply → Container.call (a tidy around `execute`) for a nested model.
      const nested = step.nested;
      outputs = tf.tidy(() => run(nested, inputValues, kwargs));
    } else {
      const out = layer.call(inputValues, kwargs);
      if (layer.supportsMasking) layer.setMaskMetadata(inputValues, out);
      outputs = Array.isArray(out) ? out : [out];
    }
    // Layer.apply clones outputs that are inputs.
    for (let i = 0; i < outputs.length; i++) {
      if (inputValues.indexOf(outputs[i]) !== -1) outputs[i] = outputs[i].clone();
    }
    let outputMask: tf.Tensor | tf.Tensor[] | null = null;
    if (layer.supportsMasking) {
      outputMask = layer.computeMask(inputValues, inputMasks as tf.Tensor[]);
    }
    const id = step.output;
    if (!values.has(id)) {
      values.set(id, feed(outputs[0], step.dtype));
      masks.set(id, Array.isArray(outputMask) ? outputMask[0] : outputMask);
    }
    returned.set(id, outputs[0]);
  }
  return compiled.outputIds.map((id) => returned.get(id)!);
}

/** The feed dictionary's dtype check: a value of another dtype is cast to the key's. */
function feed(value: tf.Tensor, dtype: string): tf.Tensor {
  return dtype == null || dtype === value.dtype ? value : tf.cast(value, dtype as tf.DataType);
}

/**
 * A forward pass of a functional `LayersModel` equivalent to
 * `model.apply(inputs, {training})` (same kernels in the same order, same outputs and
 * gradients) without tfjs-layers' per-layer bookkeeping. Returns `model.apply` itself when the
 * graph holds something the compiled pass does not replicate.
 */
export function compileForward(model: tf.LayersModel): ForwardFn {
  const fallback = Object.assign((inputs: tf.Tensor[], training: boolean) => {
    const out = model.apply(inputs, { training }) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? out : [out];
  }, { compiled: false });
  const container = model as unknown as ContainerLike;
  if (!isContainer(container) || !model.built) return fallback;
  let compiled: Compiled | undefined;
  try {
    compiled = compile(container);
  } catch {
    compiled = undefined;
  }
  if (!compiled) return fallback;
  const graph = compiled;
  return Object.assign((inputs: tf.Tensor[], training: boolean) => {
    if (inputs.length !== graph.inputIds.length) {
      throw new TypeError(
        `The model expects ${graph.inputIds.length} inputs, got ${inputs.length}`,
      );
    }
    // The model's own Layer.apply → Container.call: a tidy around the graph.
    return tf.tidy(() => run(graph, inputs, { training }));
  }, { compiled: true });
}

const compiledByModel = new WeakMap<tf.LayersModel, ForwardFn>();

/** {@linkcode compileForward} of a model, compiled on first use and kept with the model. */
export function forwardOf(model: tf.LayersModel): ForwardFn {
  let fn = compiledByModel.get(model);
  if (!fn) compiledByModel.set(model, fn = compileForward(model));
  return fn;
}
