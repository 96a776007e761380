/**
 * The build of the torchvision encoder entries (`entries.ts`): a normalization layer (the raw
 * 0–255 pixels ÷ 255, then the variant's mean/std, or the `input_scaling` asked for), the
 * family's model under the feature's scope (layer names `<scope>/<torch module path>`), its
 * weights (torchvision's file from the torch cache, or `pretrained_weights`: a torch state_dict,
 * or for families with a `fromKeras` reader a Keras model in TF.js layers format, which also
 * switches the build to Keras' padding and batch-norm settings) read once per build through the
 * build's weights store and written into the layers, the freezing rule, and the cacheable-output
 * marker.
 *
 * Freezing: `trainable: false` makes every layer untrainable, and untrainable layers run in
 * inference mode (`TorchBatchNorm`, `TorchDropout`, `StochasticDepth` of `_core.ts`): a frozen
 * encoder's outputs never change while the rest of the model trains. `unfreeze_last_n_blocks: N`
 * freezes all but the last N blocks ({@linkcode blockOf}).
 *
 * @module
 */
import { resolve } from "node:path";
import { tf } from "../../compute/mod.ts";
import {
  detectWeightsFormat,
  type NamedTensors,
  readTfjsModel,
  readWeights,
  resolveTorchHubWeights,
  sha256File,
  tfjsModelChecksum,
  WeightsError,
} from "../../pretrained/mod.ts";
import type { BuildContext, EncoderBuild, Symbolic } from "../../model/component.ts";
import { markCacheableOutput } from "../_cacheable.ts";
import {
  type BuildOptions,
  type FamilyTable,
  loadFamilyWeights,
  type VariantEntry,
  variantEntry,
} from "./_core.ts";
import { type INPUT_SCALINGS, variantKey } from "./entries.ts";
import { FAMILIES } from "./mod.ts";

/** The parsed config of a torchvision entry. */
export interface TorchvisionConfig {
  type: string;
  model_variant: string | number;
  use_pretrained: boolean;
  trainable: boolean;
  model_cache_dir: string | null;
  saved_weights_in_checkpoint: boolean;
  pretrained_weights: string | null;
  input_scaling: InputScaling | null;
  unfreeze_last_n_blocks: number | null;
}

/** An `input_scaling` value. */
export type InputScaling = typeof INPUT_SCALINGS[number];

/**
 * Raw pixels (any dtype) to torchvision's normalized input: `(x / 255 − mean[c]) / std[c]`.
 */
export class TorchvisionNormalize extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataTorchvisionNormalize";
  /** Channel means. */
  readonly mean: number[];
  /** Channel standard deviations. */
  readonly std: number[];

  /** @param args mean, std and the layer name. */
  constructor(args: { mean: readonly number[]; std: readonly number[]; name?: string }) {
    super(args);
    this.mean = [...args.mean];
    this.std = [...args.std];
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, "float32");
      const scale = tf.tensor1d(this.std.map((s) => 1 / (255 * s)));
      const offset = tf.tensor1d(this.mean.map((m, c) => -m / this.std[c]));
      return tf.add(tf.mul(x, scale), offset);
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mean: this.mean, std: this.std };
  }
}
tf.serialization.registerClass(TorchvisionNormalize);

function familyOf(config: TorchvisionConfig): {
  table: FamilyTable;
  key: string;
  entry: VariantEntry;
} {
  const table = FAMILIES[config.type];
  if (!table) throw new RangeError(`Unknown torchvision encoder type "${config.type}"`);
  const key = variantKey(config.type, config.model_variant);
  return { table, key, entry: variantEntry(table, key) };
}

/** Whether the build loads weights from a file (not random, not the saved model's). */
function loadsWeights(config: TorchvisionConfig): boolean {
  return !config.saved_weights_in_checkpoint &&
    (config.pretrained_weights !== null || config.use_pretrained);
}

/**
 * The weights file of a config: `pretrained_weights` (resolved against the working folder), or
 * torchvision's file in the torch cache (hash-checked; downloaded when missing).
 *
 * @throws {WeightsError} A missing `pretrained_weights` file, or torchvision's file neither
 *   cached nor downloadable (the message names the cache path and the URL).
 */
export async function weightsFile(config: TorchvisionConfig): Promise<string> {
  const { entry } = familyOf(config);
  if (config.pretrained_weights !== null) {
    const path = resolve(config.pretrained_weights);
    try {
      const info = await Deno.stat(path);
      // a folder is a TF.js model (model.json + shards)
      if (info.isFile || info.isDirectory) return path;
    } catch { /* reported below */ }
    throw new WeightsError("no such file (encoder.pretrained_weights)", {
      file: path,
      action: `Cannot build the ${config.type} encoder`,
    });
  }
  return await resolveTorchHubWeights(entry.weights.url, {
    modelCacheDir: config.model_cache_dir ?? undefined,
  });
}

/**
 * Whether `pretrained_weights` names a TF.js model (a Keras model's weights): a folder or a
 * `.json` file, as `detectWeightsFormat` tells them apart. Decided from the path alone when the
 * weights are not read (`saved_weights_in_checkpoint`) and the path is gone.
 */
async function isKerasWeights(config: TorchvisionConfig): Promise<boolean> {
  if (config.pretrained_weights === null) return false;
  const path = resolve(config.pretrained_weights);
  try {
    return await detectWeightsFormat(path) === "tfjs";
  } catch {
    return path.endsWith(".json") && !path.endsWith(".index.json");
  }
}

/** The normalization of a config: `input_scaling`, or the weights' own. */
function scalingOf(config: TorchvisionConfig, keras: boolean): InputScaling {
  return config.input_scaling ?? (keras ? "minus_one_to_one" : "imagenet");
}

/** The per-channel mean and std (of x / 255) of a scaling. */
function meanStd(
  scaling: InputScaling,
  entry: VariantEntry,
): { mean: readonly number[]; std: readonly number[] } {
  if (scaling === "minus_one_to_one") return { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
  if (scaling === "zero_to_one") return { mean: [0, 0, 0], std: [1, 1, 1] };
  return { mean: entry.preprocessing.mean, std: entry.preprocessing.std };
}

/**
 * Cache-key part of a frozen encoder: type, variant, the weights' SHA-256 (a TF.js folder's
 * {@linkcode tfjsModelChecksum}; `random` for random initialization, whose values the run's seed
 * decides) and the input scaling.
 */
export async function cacheFingerprint(config: TorchvisionConfig): Promise<string> {
  const { key } = familyOf(config);
  const keras = await isKerasWeights(config);
  let weights = "random";
  if (loadsWeights(config)) {
    const file = await weightsFile(config);
    weights = keras ? `keras:${await tfjsModelChecksum(file)}` : await sha256File(file);
  }
  return `torchvision:${config.type}:${key}:${weights}:${scalingOf(config, keras)}`;
}

/** The layers computed from `input` (excluded) up to `output`. */
export function layersBetween(input: Symbolic, output: Symbolic): tf.layers.Layer[] {
  const layers: tf.layers.Layer[] = [];
  const seenLayers = new Set<tf.layers.Layer>();
  const seen = new Set<number>();
  const stack: Symbolic[] = [output];
  while (stack.length) {
    const t = stack.pop()!;
    if (t.id === input.id || seen.has(t.id)) continue;
    seen.add(t.id);
    const layer = t.sourceLayer as tf.layers.Layer | undefined;
    if (layer && !seenLayers.has(layer)) {
      seenLayers.add(layer);
      layers.push(layer);
    }
    for (const i of t.inputs ?? []) stack.push(i);
  }
  return layers.reverse();
}

/**
 * The block of a torch module path, for `unfreeze_last_n_blocks`: a first segment naming a
 * numbered module by itself (`inception5b`, `Mixed_6e`) is the block; otherwise the path up to
 * its first numbered segment (an integer, or a name ending in digits such as `layer4` or
 * `encoder_layer_11`), extended by an integer segment right after it (`layer4.1`,
 * `features.3.0`); a path without a numbered segment is its first segment (`fc`, `classifier`).
 */
export function blockOf(path: string): string {
  const parts = path.split(".");
  const numbered = (s: string) => /\d$/.test(s);
  if (/\d/.test(parts[0]) && !numbered(parts[0])) return parts[0];
  const i = parts.findIndex(numbered);
  if (i < 0) return parts[0];
  const end = /^\d+$/.test(parts[i + 1] ?? "") ? i + 2 : i + 1;
  return parts.slice(0, end).join(".");
}

function where(ctx: BuildContext): string {
  return `the image encoder of feature "${ctx.scope}"`;
}

/** The build of every torchvision entry. */
export const build: EncoderBuild = async (raw, ctx) => {
  const config = raw as unknown as TorchvisionConfig;
  const { table, key, entry } = familyOf(config);
  let tensors: NamedTensors | undefined;
  let file = "";
  const keras = await isKerasWeights(config);
  let kerasOptions: BuildOptions["keras"];
  if (keras && !table.fromKeras) {
    throw new RangeError(
      `Cannot build ${where(ctx)}: encoder.pretrained_weights "${config.pretrained_weights}" is ` +
        `a TF.js (Keras) model, and Keras weights are read for mobilenetv2 only; give the ` +
        `${config.type} encoder a torch state_dict (.pth, .pt, .bin or .safetensors)`,
    );
  }
  if (keras && !loadsWeights(config)) {
    // the weights come from the saved model: only the conventions are needed (Keras' defaults)
    kerasOptions = { epsilon: 1e-3, momentum: 0.999 };
  }
  if (loadsWeights(config)) {
    try {
      file = await weightsFile(config);
    } catch (e) {
      if (e instanceof WeightsError) {
        e.message = `Cannot build ${where(ctx)} (${config.type} ${
          JSON.stringify(config.model_variant)
        }): ${e.message}; or set encoder.pretrained_weights to a local file, or use_pretrained: false`;
      }
      throw e;
    }
    if (keras) {
      const fromKeras = table.fromKeras!;
      const read = await ctx.weights.read(
        `keras:${config.type}:${file}`,
        async () => fromKeras(await readTfjsModel(file)),
      );
      tensors = read.tensors;
      kerasOptions = read.batchNorm;
    } else {
      tensors = await ctx.weights.read(`torchvision:${file}`, () => readWeights(file));
    }
  }
  const { mean, std } = meanStd(scalingOf(config, keras), entry);
  const prefix = `${ctx.scope.replace(/[^A-Za-z0-9_.\-/]/g, "_")}/`;
  const pretrained = config.use_pretrained || config.pretrained_weights !== null;
  return (x) => {
    const normalized = new TorchvisionNormalize({ mean, std, name: `${prefix}normalize` })
      .apply(x) as Symbolic;
    const y = table.build(normalized, key, { prefix, pretrained, keras: kerasOptions });
    const layers = layersBetween(normalized, y);
    if (tensors) {
      loadFamilyWeights({ layers } as unknown as tf.LayersModel, table, tensors, { prefix, file });
    }
    const n = config.unfreeze_last_n_blocks;
    if (n !== null && !config.trainable) {
      throw new RangeError(
        `Cannot build ${where(ctx)}: unfreeze_last_n_blocks needs trainable: true ` +
          `(trainable: false freezes every block)`,
      );
    }
    if (!config.trainable) {
      for (const l of layers) l.trainable = false;
    } else if (n !== null) {
      const weighted = layers.filter((l) => l.weights.length > 0 && l.name.startsWith(prefix));
      const blocks: string[] = [];
      for (const l of weighted) {
        const b = blockOf(l.name.slice(prefix.length));
        const at = blocks.indexOf(b);
        if (at >= 0) blocks.splice(at, 1);
        blocks.push(b);
      }
      if (n > blocks.length) {
        throw new RangeError(
          `Cannot build ${where(ctx)}: unfreeze_last_n_blocks is ${n}, but the ${config.type} ` +
            `${JSON.stringify(config.model_variant)} encoder has ${blocks.length} blocks`,
        );
      }
      const open = new Set(blocks.slice(blocks.length - n));
      for (const l of layers) {
        if (!l.name.startsWith(prefix)) continue;
        const b = blockOf(l.name.slice(prefix.length));
        if (!open.has(b)) l.trainable = false;
      }
    }
    return markCacheableOutput(ctx, y);
  };
};
