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
import { loadPretrainedEmbeddings } from "../pretrained/glove.ts";
import {
  type BuildContext,
  type CombinerImpl,
  type CombinerInput,
  type DecoderImpl,
  type EncoderImpl,
  layerName,
  resetLayerNames,
  resetSeeds,
  type Symbolic,
} from "./component.ts";
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

/** Layer-safe name of a feature (TF.js names allow letters, digits, `_ . - /`). */
export function tensorName(feature: string): string {
  return feature.replace(/[^A-Za-z0-9_.\-]/g, "_");
}

/** Units of an output feature's decoder, from its metadata and target column. */
function outputSize(f: OutputFeatureConfig, metadata: Obj, target: ColumnSpec | undefined): number {
  const vocab = metadata.vocab_size as number | undefined;
  if (vocab) return vocab;
  if (target && target.shape.length > 0) return target.shape[target.shape.length - 1];
  const vectorSize = (metadata.vector_size as number | undefined) ??
    (f.vector_size as number | undefined);
  return vectorSize ?? 1;
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
  resetSeeds();
  resetLayerNames();
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
    const pretrainedPath = f.encoder.pretrained_embeddings;
    let pretrainedEmbeddings: BuildContext["pretrainedEmbeddings"];
    if (typeof pretrainedPath === "string") {
      const idx2str = (metadata[f.name]?.idx2str ?? []) as string[];
      const loaded = await loadPretrainedEmbeddings(pretrainedPath, idx2str, { seed });
      pretrainedEmbeddings = { matrix: loaded.matrix, shape: loaded.shape as [number, number] };
    }
    const ctx: BuildContext = {
      scope: tensorName(f.name),
      seed,
      metadata: metadata[f.name],
      preprocessing: f.preprocessing,
      pretrainedEmbeddings,
    };
    return impl.build(f.encoder as Obj, ctx)(input);
  };

  for (const f of config.input_features) {
    const spec = columns[f.name];
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
        const spec = columns[owner];
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
  const combined = combinerImpl.build(config.combiner as Obj, { scope: "combiner", seed }, encoded);

  const hidden = new Map<string, Symbolic>();
  const logits = new Map<string, Symbolic>();
  for (const f of topologicalOutputs(config)) {
    const ctx: BuildContext = { scope: tensorName(f.name), seed, metadata: metadata[f.name] };
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
    const size = outputSize(f, metadata[f.name] ?? {}, columns[f.name]);
    logits.set(f.name, impl.build(f.decoder as Obj, { ...ctx, outputSize: size })(h));
  }
  const outputNames = config.output_features.map((f) => f.name);
  const outputs = outputNames.map((n) =>
    tf.layers.activation({ activation: "linear", name: `${tensorName(n)}__logits` }).apply(
      logits.get(n)!,
    ) as Symbolic
  );
  const model = tf.model({ inputs, outputs, name: "ecd" });
  return { model, inputNames: config.input_features.map((f) => f.name), outputNames };
}
