/**
 * Keras weights for the torchvision encoders: a Keras `MobileNetV2` (`keras.applications`, as
 * `tensorflowjs_converter` writes it to a TF.js layers-model folder; nsfwjs ships one) read into
 * torchvision's `mobilenet_v2` state_dict names and layouts, with the Keras conventions its
 * numbers were trained under, which the `mobilenetv2` build then reproduces:
 *
 * | | torchvision | Keras |
 * |---|---|---|
 * | stride-2 3×3 convolutions | pad 1 on every side | TF "same" (`correct_pad`): on even sizes 0 above/left, 1 below/right |
 * | batch-norm epsilon | 1e-5 | 1e-3 (read from the topology) |
 * | batch-norm momentum | torch 0.1 | Keras 0.999, i.e. torch 0.001 (read from the topology) |
 * | input scaling | ImageNet mean/std | `preprocess_input`: `x / 127.5 − 1` (nsfwjs: `x / 255`) |
 *
 * The activations (ReLU6), block structure and channel widths are the same.
 *
 * Names (Keras layer → torch module; `i` ≥ 1):
 * `Conv1`/`bn_Conv1` → `features.0.0`/`.1`; `expanded_conv_depthwise`/`_BN` →
 * `features.1.conv.0.0`/`.1`; `expanded_conv_project`/`_BN` → `features.1.conv.1`/`.2`;
 * `block_i_expand`/`_BN` → `features.(i+1).conv.0.0`/`.1`; `block_i_depthwise`/`_BN` →
 * `features.(i+1).conv.1.0`/`.1`; `block_i_project`/`_BN` → `features.(i+1).conv.2`/`.3`;
 * `Conv_1`/`Conv_1_bn` → `features.18.0`/`.1`; `Logits` → `classifier.1` (dropped, as Ludwig
 * drops the last classification layer). Leaves: `kernel` (HWIO → OIHW), `depthwise_kernel`
 * (HW·C·1 → C·1·HW), `gamma`/`beta`/`moving_mean`/`moving_variance` → `weight`/`bias`/
 * `running_mean`/`running_var`. The `Dense` layers of a model's own head (nsfwjs' `dense_1`…
 * `dense_3`, after the pooled features) are dropped too; any other weight is an error.
 *
 * @module
 */
import {
  type NamedTensors,
  type RawTensor,
  type TfjsModel,
  transpose,
  WeightsError,
} from "../../pretrained/mod.ts";

/** The batch-norm settings of a Keras model (Keras' epsilon and momentum). */
export interface KerasBatchNorm {
  /** Keras' `epsilon`. */
  epsilon: number;
  /** Keras' `momentum` (moving = momentum · moving + (1 − momentum) · batch). */
  momentum: number;
}

/** Keras weights read into torch names, with the conventions the build must follow. */
export interface KerasWeights {
  /** Torch state_dict names and layouts. */
  tensors: NamedTensors;
  /** The model's batch-norm settings. */
  batchNorm: KerasBatchNorm;
}

/** One layer of a Keras topology. */
interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
}

/** The layers of a TF.js layers-model topology (functional or sequential, nested models flattened). */
export function kerasLayers(topology: unknown): KerasLayer[] {
  const out: KerasLayer[] = [];
  const visit = (node: unknown) => {
    if (typeof node !== "object" || node === null) return;
    const n = node as Record<string, unknown>;
    const config = (n.config ?? {}) as Record<string, unknown>;
    const layers = Array.isArray(config.layers)
      ? config.layers
      : Array.isArray(config)
      ? config
      : null;
    if (layers) {
      for (const l of layers as Record<string, unknown>[]) {
        const cfg = (l.config ?? {}) as Record<string, unknown>;
        if (Array.isArray(cfg.layers)) visit(l);
        else {
          out.push({
            className: String(l.class_name ?? ""),
            name: String(cfg.name ?? l.name ?? ""),
            config: cfg,
          });
        }
      }
    }
  };
  const t = topology as Record<string, unknown> | null;
  visit(t?.model_config ?? t);
  return out;
}

const BN_LEAVES: Record<string, string> = {
  gamma: "weight",
  beta: "bias",
  moving_mean: "running_mean",
  moving_variance: "running_var",
};

/** The torch module of a Keras MobileNetV2 layer, or `null`. */
export function mobileNetV2ModuleOf(layer: string): string | null {
  const fixed: Record<string, string> = {
    Conv1: "features.0.0",
    bn_Conv1: "features.0.1",
    expanded_conv_depthwise: "features.1.conv.0.0",
    expanded_conv_depthwise_BN: "features.1.conv.0.1",
    expanded_conv_project: "features.1.conv.1",
    expanded_conv_project_BN: "features.1.conv.2",
    Conv_1: "features.18.0",
    Conv_1_bn: "features.18.1",
    Logits: "classifier.1",
  };
  if (Object.hasOwn(fixed, layer)) return fixed[layer];
  const m = /^block_(\d+)_(expand|depthwise|project)(_BN)?$/.exec(layer);
  if (!m) return null;
  const index = Number(m[1]) + 1;
  const bn = m[3] !== undefined;
  const at = { expand: ["0.0", "0.1"], depthwise: ["1.0", "1.1"], project: ["2", "3"] }[
    m[2] as "expand" | "depthwise" | "project"
  ];
  return `features.${index}.conv.${bn ? at[1] : at[0]}`;
}

function toTorchLayout(leaf: string, t: RawTensor, file: string, name: string): RawTensor {
  const rank = t.shape.length;
  if (leaf === "kernel" && rank === 4) return transpose(t, [3, 2, 0, 1]);
  if (leaf === "kernel" && rank === 2) return transpose(t, [1, 0]);
  if (leaf === "depthwise_kernel" && rank === 4) {
    // [h, w, c, m] → torch's [c·m, 1, h, w]
    const [h, w, c, m] = t.shape;
    const chw = transpose(t, [2, 3, 0, 1]);
    return { ...chw, shape: [c * m, 1, h, w] };
  }
  if (rank === 1 && (leaf === "bias" || Object.hasOwn(BN_LEAVES, leaf))) return t;
  throw new WeightsError(`a ${leaf} of shape [${t.shape}] has no torch counterpart`, {
    file,
    tensor: name,
  });
}

function uniform(layers: KerasLayer[], key: string, fallback: number, file: string): number {
  const values = new Set(
    layers.filter((l) => l.className === "BatchNormalization").map((l) =>
      typeof l.config[key] === "number" ? l.config[key] as number : fallback
    ),
  );
  if (values.size > 1) {
    throw new WeightsError(
      `the batch normalizations have different ${key} values (${[...values].join(", ")}); ` +
        `expected one, as keras.applications.MobileNetV2 has`,
      { file },
    );
  }
  return values.size === 1 ? [...values][0] : fallback;
}

/**
 * Reads a Keras MobileNetV2 (a TF.js layers model) as torchvision `mobilenet_v2` weights.
 *
 * @param model The model as `readTfjsModel` reads it.
 * @returns The tensors in torch names and layouts, and the batch-norm settings.
 * @throws {WeightsError} A graph model, or a weight that is neither MobileNetV2's nor a head
 *   `Dense` layer's (the message names it).
 */
export function kerasMobileNetV2Weights(model: TfjsModel): KerasWeights {
  const file = model.path;
  if (model.format === "graph-model") {
    throw new WeightsError(
      "a TF.js graph model has no Keras layers: expected a layers model (model.json with " +
        '"format": "layers-model", as tensorflowjs_converter writes a Keras model)',
      { file },
    );
  }
  const layers = kerasLayers(model.modelTopology);
  const dense = new Set(layers.filter((l) => l.className === "Dense").map((l) => l.name));
  const tensors: NamedTensors = new Map();
  for (const [name, t] of model.tensors) {
    const slash = name.lastIndexOf("/");
    const leaf = name.slice(slash + 1);
    const path = name.slice(0, slash);
    const layer = path.slice(path.lastIndexOf("/") + 1);
    const module = mobileNetV2ModuleOf(layer);
    if (module === null) {
      if (dense.has(layer)) continue;
      throw new WeightsError(
        "not a weight of a Keras MobileNetV2 (keras.applications names such as Conv1, " +
          "block_1_expand, Conv_1) nor of a Dense head layer",
        { file, tensor: name },
      );
    }
    const torchLeaf = leaf === "kernel" || leaf === "depthwise_kernel"
      ? "weight"
      : leaf === "bias"
      ? "bias"
      : BN_LEAVES[leaf];
    if (torchLeaf === undefined) {
      throw new WeightsError(`unknown weight "${leaf}" of layer ${layer}`, { file, tensor: name });
    }
    const torchName = `${module}.${torchLeaf}`;
    if (tensors.has(torchName)) {
      throw new WeightsError(`two weights map to ${torchName}`, { file, tensor: name });
    }
    tensors.set(torchName, toTorchLayout(leaf, t, file, name));
  }
  return {
    tensors,
    batchNorm: {
      epsilon: uniform(layers, "epsilon", 1e-3, file),
      momentum: uniform(layers, "momentum", 0.999, file),
    },
  };
}
