/**
 * ECD assembly (reference §2 "Flow"): every input feature's encoder (or its `tied` feature's),
 * the combiner, then the output features in topological order of `dependencies`, each with
 * its reduce_input, dependency hidden states, FC stack and decoder. The result is one TF.js
 * functional `LayersModel` with an input per input feature and a logits output per output
 * feature, named by feature: it saves in the TF.js layers format and runs in a browser.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { combinerEntry, decoderEntry, encoderEntry } from "../config/components.ts";
import type { Loader } from "../config/registry.ts";
import type { InputFeatureConfig, ModelConfig, OutputFeatureConfig } from "../config/model.ts";
import {
  type BuildContext,
  type CombinerImpl,
  type CombinerInput,
  createCounters,
  createWeightsStore,
  type DecoderImpl,
  type EncoderImpl,
  type EncoderResolver,
  layerName,
  type Symbolic,
  type WeightsStore,
} from "./component.ts";
import { TeacherForcing } from "./teacher.ts";
import { featureTensorNames } from "./names.ts";
import { fcSpec, fcStack } from "./layers.ts";
import { reduceSequence } from "./reduce.ts";

type Obj = Record<string, unknown>;

/** Per-row shape and dtype of an input or target column (from preprocessing). */
export interface ColumnSpec {
  readonly shape: readonly number[];
  readonly dtype: "float32" | "int32";
}

/** An assembled ECD model. */
export interface EcdModel {
  /** The functional model: inputs by input feature, logits outputs by output feature. */
  readonly model: tf.LayersModel;
  /** Input feature names, in the model's input order. */
  readonly inputNames: readonly string[];
  /** Output feature names, in the model's output order. */
  readonly outputNames: readonly string[];
  /**
   * Feature name → tensor name (input layers, layer scopes, `<name>__logits` outputs); saved
   * in the model folder as `tensor_names.json`.
   */
  readonly tensorNames?: ReadonlyMap<string, string>;
  /**
   * The teacher-forcing channel of this model's decoders (`teacher.run(targets, fn)`); absent
   * for a model loaded from a file, whose decoders read `withTeacherTargets`' scope. Internal
   * plumbing between the trainer and the decoders, not part of the public API.
   *
   * @ignore
   */
  readonly teacher?: TeacherForcing;
}

/** Raised when a config asks for a component whose implementation does not exist yet. */
export class NotImplementedError extends TypeError {
  /** @param what e.g. `text encoder "bert"` */
  constructor(what: string, where: string) {
    super(
      `Cannot build ${where}: ${what} is accepted by the config language but not implemented in Sonata yet`,
    );
    this.name = "NotImplementedError";
  }
}

async function loadImpl<T>(load: Loader | undefined, what: string, where: string): Promise<T> {
  if (!load) throw new NotImplementedError(what, where);
  return await load() as T;
}

/**
 * Import the implementations of every component of a config, which registers their custom
 * layer classes with TF.js: needed before loading a saved model in a fresh process.
 */
export async function loadImplementations(config: ModelConfig): Promise<void> {
  const loads = [
    ...config.input_features.map((f) => encoderEntry(f.type, f.encoder.type)?.load),
    combinerEntry(config.combiner.type)?.load,
    ...config.output_features.map((f) => decoderEntry(f.type, f.decoder.type)?.load),
  ];
  await Promise.all(loads.map((load) => load?.()));
}

/** Row shape as the model sees it: scalars become [1]. */
export function modelShape(spec: ColumnSpec): number[] {
  return spec.shape.length === 0 ? [1] : [...spec.shape];
}

/**
 * Layer-safe name of a feature alone (TF.js names allow letters, digits, `_ . - /`); a model's
 * names are {@linkcode featureTensorNames} of all its features (unique among them).
 */
export { safeTensorName as tensorName } from "./names.ts";

/** Feature name → tensor name of a config's features (inputs, then outputs). */
export function configTensorNames(config: ModelConfig): Map<string, string> {
  return featureTensorNames([
    ...config.input_features.map((f) => f.name),
    ...config.output_features.map((f) => f.name),
  ]);
}

/** An own property of a per-feature record (never one of `Object.prototype`'s). */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Units of an output feature's decoder, from its metadata and target column. */
function outputSize(f: OutputFeatureConfig, metadata: Obj, target: ColumnSpec | undefined): number {
  if (typeof metadata.vocab_size === "number" && metadata.vocab_size) return metadata.vocab_size;
  if (target && target.shape.length > 0) return target.shape[target.shape.length - 1];
  if (typeof metadata.vector_size === "number") return metadata.vector_size;
  return typeof f.vector_size === "number" ? f.vector_size : 1;
}

/** The live registry's encoders, built through their entries' `load()`. */
export const resolveEncoder: EncoderResolver = async (featureType, config, ctx) => {
  const entry = encoderEntry(featureType, config.type);
  const what = `${featureType} encoder ${JSON.stringify(config.type)}`;
  if (!entry) throw new TypeError(`Cannot build ${ctx.scope}: unknown ${what}`);
  const impl = await loadImpl<EncoderImpl>(entry.load, what, ctx.scope);
  return await impl.build(config as Parameters<EncoderImpl["build"]>[0], ctx);
};

/** What {@linkcode createBuildContext} may set; the rest is fresh per build. */
export interface BuildContextOptions {
  /** Name scope (default "model"). */
  scope?: string;
  /** The run's random seed (default 42). */
  seed?: number;
  metadata?: Readonly<Record<string, unknown>>;
  preprocessing?: Readonly<Record<string, unknown>>;
  /** Share these instead of fresh ones (contexts of one model build). */
  counters?: BuildContext["counters"];
  weights?: WeightsStore;
  teacher?: TeacherForcing;
  encoders?: EncoderResolver;
}

/**
 * A context for one build: fresh counters, weights store and teacher channel unless given, and
 * the live registry's encoders. `buildEcd` makes one per model; tests build components with it.
 */
export function createBuildContext(options: BuildContextOptions = {}): BuildContext {
  return {
    scope: options.scope ?? "model",
    seed: options.seed ?? 42,
    counters: options.counters ?? createCounters(),
    weights: options.weights ?? createWeightsStore(),
    encoders: options.encoders ?? resolveEncoder,
    teacher: options.teacher ?? new TeacherForcing(),
    metadata: options.metadata,
    preprocessing: options.preprocessing,
  };
}

/** Every layer of a model, nested models' layers included. */
function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const walk = (layers: readonly tf.layers.Layer[]) => {
    for (const l of layers) {
      out.push(l);
      if (l instanceof tf.LayersModel) walk(l.layers);
    }
  };
  walk(model.layers);
  return out;
}

/**
 * Make the variables of layers built with `trainable: false` (frozen embeddings) untrainable:
 * TF.js creates them trainable and only hides them from `layer.trainableWeights`, so a gradient
 * step over all trainable variables (`tf.variableGrads(f)` without a list) would still move them.
 */
function freezeUntrainable(model: tf.LayersModel): void {
  for (const layer of allLayers(model)) {
    if (!layer.trainable) layer.trainable = false;
  }
}

/**
 * Set the initial weights registered in a build's {@linkcode WeightsStore} on the built model.
 * Errors name the layer, the weight and where the values came from.
 */
export function applyInitialWeights(model: tf.LayersModel, store: WeightsStore): void {
  const assignments = store.assignments();
  if (assignments.size === 0) return;
  const layers = new Map(allLayers(model).map((l) => [l.name, l]));
  for (const [name, { values, description }] of assignments) {
    const layer = layers.get(name);
    if (!layer) {
      throw new TypeError(
        `Cannot apply initial weights from ${description}: the model has no layer "${name}"`,
      );
    }
    const weights = layer.weights;
    if (weights.length !== values.length) {
      throw new TypeError(
        `Cannot apply initial weights from ${description} to layer "${name}": it has ` +
          `${weights.length} weights, ${values.length} were given`,
      );
    }
    const tensors = values.map((v, i) => {
      const want = weights[i].shape;
      if (want.length !== v.shape.length || want.some((d, k) => d !== v.shape[k])) {
        throw new TypeError(
          `Cannot apply initial weights from ${description} to "${weights[i].name}": shape ` +
            `[${v.shape.join(", ")}] where the layer has [${want.join(", ")}]`,
        );
      }
      return tf.tensor(v.values, [...v.shape], weights[i].dtype as "float32" | "int32");
    });
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
}

/** Output features ordered so that each comes after its dependencies. */
export function topologicalOutputs(config: ModelConfig): OutputFeatureConfig[] {
  const byName = new Map(config.output_features.map((f) => [f.name, f]));
  const done = new Set<string>();
  const order: OutputFeatureConfig[] = [];
  const visit = (f: OutputFeatureConfig) => {
    if (done.has(f.name)) return;
    done.add(f.name);
    for (const d of f.dependencies) visit(byName.get(d)!);
    order.push(f);
  };
  config.output_features.forEach(visit);
  return order;
}

/**
 * Build the ECD model of a resolved config.
 *
 * @param config the resolved config
 * @param metadata training-set metadata, by feature name
 * @param columns per-row shape and dtype of every input (and target) column, by feature name
 * @param seed the run's random seed
 */
export async function buildEcd(
  config: ModelConfig,
  metadata: Readonly<Record<string, Obj>>,
  columns: Readonly<Record<string, ColumnSpec>>,
  seed: number,
): Promise<EcdModel> {
  // One build's shared state: names, seeds, initial weights and the teacher channel.
  const names = configTensorNames(config);
  const tensorName = (feature: string) => names.get(feature)!;
  const shared = createBuildContext({ seed, teacher: new TeacherForcing(names) });
  const contextOf = (scope: string, extra: Partial<BuildContext> = {}): BuildContext => ({
    ...shared,
    scope,
    ...extra,
  });
  const inputs: tf.SymbolicTensor[] = [];
  const encoded: CombinerInput[] = [];
  const encoderModels = new Map<string, tf.LayersModel>();

  const buildEncoder = async (f: InputFeatureConfig, input: Symbolic): Promise<Symbolic> => {
    const where = `input feature ${JSON.stringify(f.name)}`;
    const entry = encoderEntry(f.type, f.encoder.type);
    const impl = await loadImpl<EncoderImpl>(
      entry?.load,
      `${f.type} encoder ${JSON.stringify(f.encoder.type)}`,
      where,
    );
    const ctx = contextOf(tensorName(f.name), {
      metadata: own(metadata, f.name),
      preprocessing: f.preprocessing,
    });
    // The config was parsed by the entry's schema when the model config was resolved.
    const config = f.encoder as Parameters<EncoderImpl["build"]>[0];
    return (await impl.build(config, ctx))(input);
  };

  for (const f of config.input_features) {
    const spec = own(columns, f.name);
    if (!spec) {
      throw new TypeError(
        `Cannot build the model: no preprocessed column for input feature "${f.name}"`,
      );
    }
    const input = tf.input({
      shape: modelShape(spec),
      dtype: spec.dtype,
      name: tensorName(f.name),
    });
    inputs.push(input);
  }
  // Tied features share one encoder: build it once as a sub-model and apply it to each input.
  const tiedTargets = new Set(
    config.input_features.map((f) => f.tied).filter((t): t is string => t !== null),
  );
  for (const [i, f] of config.input_features.entries()) {
    const owner = f.tied ?? (tiedTargets.has(f.name) ? f.name : undefined);
    let out: Symbolic;
    if (owner !== undefined) {
      let shared = encoderModels.get(owner);
      if (!shared) {
        const ownerFeature = config.input_features.find((g) => g.name === owner)!;
        const spec = own(columns, owner)!;
        const inner = tf.input({
          shape: modelShape(spec),
          dtype: spec.dtype,
          name: `${tensorName(owner)}_shared_input`,
        });
        const innerOut = await buildEncoder(ownerFeature, inner);
        shared = tf.model({
          inputs: inner,
          outputs: innerOut,
          name: `${tensorName(owner)}_encoder`,
        });
        encoderModels.set(owner, shared);
      }
      out = shared.apply(inputs[i]) as Symbolic;
    } else {
      out = await buildEncoder(f, inputs[i]);
    }
    encoded.push({ name: f.name, type: f.type, tensor: out });
  }

  const combiner = combinerEntry(config.combiner.type);
  const combinerImpl = await loadImpl<CombinerImpl>(
    combiner?.load,
    `combiner ${JSON.stringify(config.combiner.type)}`,
    "the combiner",
  );
  const combined = await combinerImpl.build(
    config.combiner as Parameters<CombinerImpl["build"]>[0],
    contextOf("combiner"),
    encoded,
  );

  const hidden = new Map<string, Symbolic>();
  const logits = new Map<string, Symbolic>();
  for (const f of topologicalOutputs(config)) {
    const ctx = contextOf(tensorName(f.name), { metadata: own(metadata, f.name) });
    let h = reduceSequence(combined, f.reduce_input, ctx);
    if (f.dependencies.length) {
      const deps = f.dependencies.map((d) => {
        const dh = hidden.get(d)!;
        return h.shape.length === 3 ? dh : reduceSequence(dh, f.reduce_dependencies, ctx);
      });
      h = tf.layers.concatenate({ name: layerName(ctx, "dependencies") }).apply([
        h,
        ...deps,
      ]) as Symbolic;
    }
    h = fcStack(h, fcSpec(f.decoder as Obj, "fc_"), ctx);
    hidden.set(f.name, h);
    const entry = decoderEntry(f.type, f.decoder.type);
    const impl = await loadImpl<DecoderImpl>(
      entry?.load,
      `${f.type} decoder ${JSON.stringify(f.decoder.type)}`,
      `output feature ${JSON.stringify(f.name)}`,
    );
    const size = outputSize(f, own(metadata, f.name) ?? {}, own(columns, f.name));
    const decoder = f.decoder as Parameters<DecoderImpl["build"]>[0];
    logits.set(f.name, (await impl.build(decoder, { ...ctx, outputSize: size }))(h));
  }
  const outputNames = config.output_features.map((f) => f.name);
  const outputs = outputNames.map((n) =>
    tf.layers.activation({ activation: "linear", name: `${tensorName(n)}__logits` }).apply(
      logits.get(n)!,
    ) as Symbolic
  );
  const model = tf.model({ inputs, outputs, name: "ecd" });
  try {
    applyInitialWeights(model, shared.weights);
    freezeUntrainable(model);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return {
    model,
    inputNames: config.input_features.map((f) => f.name),
    outputNames,
    tensorNames: names,
    teacher: shared.teacher,
  };
}
