/**
 * Binding a loaded model folder by name (issue 17 #5): the TF.js model's inputs and outputs are
 * matched to the config's features through the folder's tensor names, whatever order
 * `model_config.json` lists them in, and the folder's config, metadata, input columns and
 * weights are checked to belong together ("this folder's X does not match its Y").
 *
 * @module
 */
import type { tf } from "../compute/mod.ts";
import type { ModelConfig } from "../config/model.ts";
import { type ColumnSpec, modelShape } from "./ecd.ts";

type Obj = Record<string, unknown>;

/** Feature names in the loaded model's input and output order. */
export interface Binding {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

const CONFIG = "model_config.json";
const MODEL = "model/model.json";
const METADATA = "training_set_metadata.json";
const COLUMNS = "input_columns.json";

function mismatch(x: string, y: string, what: string): Error {
  return new TypeError(`This folder's ${x} does not match its ${y}: ${what}`);
}

/**
 * Match a loaded model's inputs and outputs to a config's features by tensor name, and check
 * the metadata and input columns against both.
 *
 * @param names feature name → tensor name (the folder's `tensor_names.json`, or the legacy names)
 * @throws TypeError naming the two files that disagree and the feature
 */
export function bindLoadedModel(
  model: tf.LayersModel,
  config: ModelConfig,
  names: ReadonlyMap<string, string>,
  metadata: Readonly<Obj>,
  columns: Readonly<Obj>,
): Binding {
  const featureOf = new Map<string, string>();
  for (const [feature, tensor] of names) featureOf.set(tensor, feature);
  const bind = (
    tensorNames: readonly string[],
    features: readonly string[],
    kind: "input" | "output",
    strip: (t: string) => string,
  ): string[] => {
    const bound = tensorNames.map((t) => {
      const feature = featureOf.get(strip(t));
      if (feature === undefined || !features.includes(feature)) {
        throw mismatch(
          CONFIG,
          MODEL,
          `the model has ${kind} "${t}", which is no ${kind} feature of the config`,
        );
      }
      return feature;
    });
    for (const f of features) {
      if (!bound.includes(f)) {
        throw mismatch(
          CONFIG,
          MODEL,
          `${kind} feature ${JSON.stringify(f)} is not an ${kind} of the model`,
        );
      }
    }
    return bound;
  };
  const inputNames = bind(
    model.inputNames,
    config.input_features.map((f) => f.name),
    "input",
    (t) => t,
  );
  const outputNames = bind(
    model.outputNames,
    config.output_features.map((f) => f.name),
    "output",
    (t) => t.replace(/__logits$/, ""),
  );
  for (const f of [...config.input_features, ...config.output_features]) {
    const meta = Object.hasOwn(metadata, f.name) ? metadata[f.name] : undefined;
    if (meta === null || typeof meta !== "object") {
      throw mismatch(METADATA, CONFIG, `feature ${JSON.stringify(f.name)} has no metadata`);
    }
  }
  inputNames.forEach((name, i) => {
    const spec = Object.hasOwn(columns, name) ? columns[name] as ColumnSpec : undefined;
    if (!spec || !Array.isArray(spec.shape)) {
      throw mismatch(COLUMNS, CONFIG, `input feature ${JSON.stringify(name)} has no column`);
    }
    const want = model.inputs[i].shape.slice(1).join(", ");
    const have = modelShape(spec).join(", ");
    if (want !== have) {
      throw mismatch(
        COLUMNS,
        MODEL,
        `input feature ${
          JSON.stringify(name)
        } has rows of shape [${have}], the model's input [${want}]`,
      );
    }
  });
  outputNames.forEach((name, i) => {
    const vocab = (metadata[name] as Obj).vocab_size;
    const shape = model.outputs[i].shape;
    const units = shape[shape.length - 1];
    if (typeof vocab === "number" && vocab > 0 && units !== vocab) {
      throw mismatch(
        METADATA,
        MODEL,
        `output feature ${
          JSON.stringify(name)
        } has ${vocab} values (vocab_size), the model's output ${units} units`,
      );
    }
  });
  // Embeddings index vocabularies: an input's embedding has one row per value of its metadata.
  const layers = allLayers(model);
  for (const name of inputNames) {
    const vocab = (metadata[name] as Obj).vocab_size;
    if (typeof vocab !== "number") continue;
    const scope = `${names.get(name)}/embedding_`;
    for (const layer of layers) {
      if (!layer.name.startsWith(scope) || layer.getClassName() !== "Embedding") continue;
      const rows = layer.getConfig().inputDim;
      if (rows !== vocab) {
        throw mismatch(
          METADATA,
          MODEL,
          `input feature ${
            JSON.stringify(name)
          } has ${vocab} values (vocab_size), its embedding ${rows} rows`,
        );
      }
    }
  }
  return { inputNames, outputNames };
}

function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const walk = (layers: readonly tf.layers.Layer[]) => {
    for (const l of layers) {
      out.push(l);
      if ("layers" in l && Array.isArray(l.layers)) walk(l.layers as tf.layers.Layer[]);
    }
  };
  walk(model.layers);
  return out;
}

/**
 * Before resuming: a weight of this model whose shape differs from the checkpoint's because a
 * feature's vocabulary differs (the data has more, or fewer, values) is reported as that, naming
 * the feature and both sizes. Other mismatches are left to the checkpoint reader.
 *
 * @param manifest the checkpoint's `checkpoint.json` (its `tensors` list), as read
 * @throws Error naming the feature and the two vocabulary sizes
 */
export function checkResumeVocabularies(
  runDir: string,
  manifest: unknown,
  model: tf.LayersModel,
  names: ReadonlyMap<string, string>,
  metadata: Readonly<Obj>,
): void {
  const tensors = (manifest as { tensors?: unknown } | null)?.tensors;
  if (!Array.isArray(tensors)) return;
  const stored = (tensors as { group?: unknown; shape?: unknown }[])
    .filter((t) => t?.group === "model" && Array.isArray(t.shape))
    .map((t) => t.shape as number[]);
  const ours = model.weights;
  if (stored.length !== ours.length) return;
  const features = [...names].sort((a, b) => b[1].length - a[1].length);
  ours.forEach((w, i) => {
    const theirs = stored[i];
    if (theirs.join() === w.shape.join()) return;
    const owner = features.find(([, t]) => w.name.startsWith(`${t}/`));
    if (!owner) return;
    const meta = Object.hasOwn(metadata, owner[0]) ? metadata[owner[0]] as Obj : undefined;
    const vocab = meta?.vocab_size;
    if (typeof vocab !== "number") return;
    const k = w.shape.findIndex((d, j) => d === vocab && theirs[j] !== vocab);
    if (k < 0) return;
    throw new Error(
      `Cannot resume from "${runDir}": feature ${
        JSON.stringify(owner[0])
      } has ${vocab} values (vocabulary size) in this data but ${
        theirs[k]
      } in the checkpoint; a checkpoint cannot grow a vocabulary, train a new model instead`,
    );
  });
}
