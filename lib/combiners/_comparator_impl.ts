/**
 * `comparator` combiner: two entities, each a list of input features (`entity_1`, `entity_2`).
 * Each entity's encoder outputs are flattened and concatenated, then go through its own FC stack
 * (the same settings, separate weights) to e1, e2 [batch, o]. The output is, as in Ludwig,
 * [e1·e2, e1 ⊙ e2, |e1 − e2|, e1ᵀ W e2]: [batch, 2·o + 2].
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
import { fcSpec, fcStack, initializer } from "../model/layers.ts";
import { flattenAndConcat } from "./_common.ts";
import type * as entries from "./mod.ts";

type Config = ConfigOf<typeof entries.comparator>;

type Obj = Record<string, unknown>;

/**
 * The comparison of two entity representations [batch, o]: inputs [e1, e2], output
 * [dot, e1 ⊙ e2, |e1 − e2|, bilinear] of [batch, 2·o + 2]; the bilinear matrix W [o, o] is
 * trained.
 */
export class EntityComparison extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataEntityComparison";
  readonly seed: number;
  /** Not serialized (TF.js rewrites snake_case strings): a loaded layer takes its saved weights. */
  readonly #initializer: unknown;
  #w?: tf.LayerVariable;

  /** @param args the bilinear matrix's initializer (Ludwig name; default zeros) and seed. */
  constructor(args: { initializerSpec?: unknown; seed: number; name?: string }) {
    super(args);
    this.#initializer = args.initializerSpec ?? "zeros";
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const o = (inputShape as tf.Shape[])[0][1] as number;
    this.#w = this.addWeight(
      "bilinear",
      [o, o],
      "float32",
      initializer(this.#initializer, this.seed),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (inputShape as tf.Shape[])[0];
    return [s[0], 2 * (s[1] as number) + 2];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [e1, e2] = inputs as tf.Tensor2D[];
    return tf.tidy(() => {
      const product = tf.mul(e1, e2);
      const dot = tf.sum(product, 1, true);
      const absDiff = tf.abs(tf.sub(e1, e2));
      const bilinear = tf.sum(tf.mul(tf.matMul(e1, this.#w!.read() as tf.Tensor2D), e2), 1, true);
      return tf.concat([dot, product, absDiff, bilinear], 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
tf.serialization.registerClass(EntityComparison);

/** Build the comparator combiner on the encoder outputs. */
function combine(config: Config, ctx: BuildContext, inputs: CombinerInput[]): Symbolic {
  const entity1 = config.entity_1;
  const entity2 = config.entity_2;
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const pick = (names: string[], key: string) =>
    names.map((name) => {
      const input = byName.get(name);
      if (!input) {
        throw new TypeError(
          `Cannot build combiner "comparator": combiner.${key} names ${JSON.stringify(name)}, ` +
            `which is not an input feature: expected one of ${
              [...byName.keys()].map((n) => JSON.stringify(n)).join(", ")
            }`,
        );
      }
      return input;
    });
  const e1Inputs = pick(entity1, "entity_1");
  const e2Inputs = pick(entity2, "entity_2");
  const listed = new Set([...entity1, ...entity2]);
  const unused = inputs.filter((i) => !listed.has(i.name)).map((i) => JSON.stringify(i.name));
  if (unused.length) {
    throw new TypeError(
      `Cannot build combiner "comparator": input features ${unused.join(", ")} are in neither ` +
        `combiner.entity_1 nor combiner.entity_2`,
    );
  }
  const spec = { ...fcSpec(config), residual: false };
  const e1 = fcStack(flattenAndConcat(e1Inputs, ctx, "comparator"), spec, ctx);
  const e2 = fcStack(flattenAndConcat(e2Inputs, ctx, "comparator"), spec, ctx);
  if (e1.shape[1] !== e2.shape[1]) {
    throw new TypeError(
      `Cannot build combiner "comparator": entity_1 gives [batch, ${e1.shape[1]}] and entity_2 ` +
        `[batch, ${e2.shape[1]}]: the fully connected stacks must end at the same size ` +
        `(with num_fc_layers: 0 the entities' concatenated encodings must match)`,
    );
  }
  return new EntityComparison({
    initializerSpec: config.weights_initializer,
    seed: nextSeed(ctx),
    name: layerName(ctx, "compare"),
  }).apply([e1, e2]) as Symbolic;
}

/** Build the combiner on the encoder outputs (the registry's `load()` shape). */
export const build: CombinerBuildOf<typeof entries.comparator> = immediate(combine);
