/**
 * `tabtransformer` combiner (Huang et al. 2020, https://arxiv.org/abs/2012.06678), with Ludwig's
 * semantics:
 *
 * - every input feature that is not `number` or `binary` is flattened and projected (a dense layer
 *   per feature) to a token of `hidden_size`; with `embed_input_feature_name`, a learned embedding
 *   of the feature's position is added (`add`) or concatenated (an integer width w: the projection
 *   is then hidden_size − w wide); the tokens go through the transformer stack and
 *   `reduce_output` (concat by default: [batch, n_tokens·hidden_size]);
 * - `number` and `binary` features are flattened, concatenated and layer-normalized (skipped when
 *   they total one column: a layer norm of one value is always zero);
 * - both parts are concatenated and go through the FC stack. With `reduce_output: null` the
 *   numeric part is repeated on every token, the FC stack runs per token and the output is
 *   [batch, n_tokens, output_size].
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import {
  type BuildContext,
  type CombinerBuildOf,
  type CombinerInput,
  type ConfigOf,
  immediate,
  layerName,
  nextSeed,
  type Symbolic,
} from "../model/component.ts";
import { fcStack, initializer } from "../model/layers.ts";
import { reduceSequence } from "../model/reduce.ts";
import { transformerStack } from "../model/_attention.ts";
import { flatten, project, stackTokens, transformerFcSpec } from "./_common.ts";
import type * as entries from "./mod.ts";

type Config = ConfigOf<typeof entries.tabtransformer>;

type Obj = Record<string, unknown>;

/** Feature types that are layer-normalized instead of becoming tokens. */
export const UNEMBEDDABLE_TYPES: readonly string[] = ["number", "binary"];

/**
 * A learned embedding per token position [n, width], added to the tokens [batch, n, width]
 * (`add`) or concatenated to them on the last axis (`concat`).
 */
export class FeatureNameEmbedding extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataFeatureNameEmbedding";
  readonly mode: "add" | "concat";
  readonly width: number;
  readonly seed: number;
  #embeddings?: tf.LayerVariable;

  /** @param args mode, embedding width and initializer seed. */
  constructor(args: { mode: "add" | "concat"; width: number; seed: number; name?: string }) {
    super(args);
    this.mode = args.mode;
    this.width = args.width;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShape as tf.Shape;
    this.#embeddings = this.addWeight(
      "embeddings",
      [s[1] as number, this.width],
      "float32",
      initializer("xavier_uniform", this.seed),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return this.mode === "add" ? s : [s[0], s[1], (s[2] as number) + this.width];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const e = tf.expandDims(this.#embeddings!.read(), 0); // [1, n, width]
      if (this.mode === "add") return tf.add(x, e);
      return tf.concat([x, tf.tile(e, [x.shape[0], 1, 1])], -1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, width: this.width, seed: this.seed };
  }
}
tf.serialization.registerClass(FeatureNameEmbedding);

/** Build the tabtransformer combiner on the encoder outputs. */
function combine(config: Config, ctx: BuildContext, inputs: CombinerInput[]): Symbolic {
  if (!inputs.length) {
    throw new TypeError('Cannot build combiner "tabtransformer": it received no input features');
  }
  const hidden = config.hidden_size;
  const embedName = config.embed_input_feature_name as "add" | number | null;
  if (typeof embedName === "number" && embedName >= hidden) {
    throw new RangeError(
      `Cannot build combiner "tabtransformer": embed_input_feature_name (${embedName}) must be ` +
        `smaller than hidden_size (${hidden})`,
    );
  }
  const projectorSize = typeof embedName === "number" ? hidden - embedName : hidden;
  const embeddable = inputs.filter((i) => !UNEMBEDDABLE_TYPES.includes(i.type));
  const unembeddable = inputs.filter((i) => UNEMBEDDABLE_TYPES.includes(i.type));
  const reduceMode = config.reduce_output === "none" ? null : config.reduce_output;

  let tokens: Symbolic | null = null;
  if (embeddable.length) {
    const projected = embeddable.map((input) =>
      project(flatten(input, ctx), projectorSize, ctx, `project_${input.name}`)
    );
    let h = stackTokens(projected, ctx);
    if (embedName !== null && embedName !== undefined) {
      h = new FeatureNameEmbedding({
        mode: embedName === "add" ? "add" : "concat",
        width: embedName === "add" ? hidden : embedName,
        seed: nextSeed(ctx),
        name: layerName(ctx, "feature_name_embedding"),
      }).apply(h) as Symbolic;
    }
    h = transformerStack(h, {
      numLayers: config.num_layers,
      hiddenSize: hidden,
      numHeads: config.num_heads,
      outputSize: config.transformer_output_size,
      dropout: config.dropout,
    }, ctx);
    tokens = reduceMode === null ? h : reduceSequence(h, reduceMode, ctx);
  }

  let numeric: Symbolic | null = null;
  if (unembeddable.length) {
    const flat = unembeddable.map((input) => flatten(input, ctx));
    numeric = flat.length === 1
      ? flat[0]
      : tf.layers.concatenate({ axis: -1, name: layerName(ctx, "numeric_concat") })
        .apply(flat) as Symbolic;
    if ((numeric.shape[1] as number) > 1) {
      numeric = tf.layers.layerNormalization({
        epsilon: 1e-5,
        name: layerName(ctx, "numeric_norm"),
      })
        .apply(numeric) as Symbolic;
    }
    if (tokens && tokens.shape.length === 3) {
      numeric = tf.layers.repeatVector({
        n: tokens.shape[1] as number,
        name: layerName(ctx, "repeat"),
      })
        .apply(numeric) as Symbolic;
    }
  }

  const parts = [tokens, numeric].filter((p): p is Symbolic => p !== null);
  const joined = parts.length === 1
    ? parts[0]
    : tf.layers.concatenate({ axis: -1, name: layerName(ctx, "concat") }).apply(parts) as Symbolic;
  return fcStack(joined, transformerFcSpec(config), ctx);
}

/** Build the combiner on the encoder outputs (the registry's `load()` shape). */
export const build: CombinerBuildOf<typeof entries.tabtransformer> = immediate(combine);
