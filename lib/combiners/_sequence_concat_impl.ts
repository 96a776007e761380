/**
 * `sequence_concat` combiner: the encoder outputs are concatenated on the hidden axis along the
 * time steps of the main sequence feature (`main_sequence_feature`, or the first input whose
 * encoder output is [batch, seq, hidden]). Vectors [batch, h] are repeated on every step; other
 * sequences must have the same length. As in Ludwig, steps past the main sequence's length
 * (counted as its steps with any non-zero value) are zeroed. Then `reduce_output` (null keeps
 * [batch, seq, Σ hidden]).
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
  type Symbolic,
} from "../model/component.ts";
import { reduceSequence } from "../model/reduce.ts";
import type * as entries from "./mod.ts";

type Config = ConfigOf<typeof entries.sequenceConcat>;

type Obj = Record<string, unknown>;

/**
 * Inputs [main, combined], both [batch, seq, ·]: combined with the steps t ≥ length zeroed,
 * where length = the number of steps of `main` with a non-zero value (Ludwig's
 * `sequence_length_3D` and sequence mask).
 */
export class SequenceLengthMask extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataSequenceLengthMask";

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [main, combined] = inputs as tf.Tensor3D[];
    return tf.tidy(() => {
      const used = tf.sign(tf.max(tf.abs(main), 2)); // [b, t]
      const length = tf.sum(used, 1, true); // [b, 1]
      const steps = tf.range(0, main.shape[1], 1, "float32"); // [t]
      // steps < length as 1/0 without a comparison op (TF.js has no gradient for Less, and the
      // length depends on trained encoder outputs).
      const mask = tf.relu(tf.sign(tf.sub(length, steps))); // [b, t]
      return tf.mul(combined, tf.expandDims(mask, 2));
    });
  }
}
tf.serialization.registerClass(SequenceLengthMask);

/**
 * The features concatenated on the main sequence's time steps: [batch, seq, Σ hidden] (not
 * reduced). `combiner` names the combiner in error messages.
 */
export function concatOnSequence(
  inputs: readonly CombinerInput[],
  mainName: string | null,
  ctx: BuildContext,
  combiner: string,
): Symbolic {
  const fail = (detail: string) => new TypeError(`Cannot build combiner "${combiner}": ${detail}`);
  let main: CombinerInput | undefined;
  if (mainName !== null && mainName !== undefined) {
    main = inputs.find((i) => i.name === mainName);
    if (!main) {
      throw fail(
        `main_sequence_feature ${
          JSON.stringify(mainName)
        } is not an input feature: expected one of ${
          inputs.map((i) => JSON.stringify(i.name)).join(", ")
        }`,
      );
    }
    if (main.tensor.shape.length !== 3) {
      throw fail(
        `main_sequence_feature ${JSON.stringify(mainName)} gives [batch, ${
          main.tensor.shape.slice(1).join(", ")
        }]: expected a sequence [batch, seq, hidden]: set its encoder's reduce_output to null`,
      );
    }
  } else {
    main = inputs.find((i) => i.tensor.shape.length === 3);
    if (!main) {
      throw fail(
        "no input feature gives a sequence [batch, seq, hidden]: set a sequence encoder's " +
          "reduce_output to null",
      );
    }
  }
  const steps = main.tensor.shape[1];
  if (steps === null) {
    throw fail(`main sequence feature ${JSON.stringify(main.name)} has an unknown length`);
  }
  const parts: Symbolic[] = [main.tensor];
  for (const input of inputs) {
    if (input === main) continue;
    const shape = input.tensor.shape;
    if (shape.length === 3) {
      if (shape[1] !== steps) {
        throw fail(
          `input feature ${JSON.stringify(input.name)} gives a sequence of length ${shape[1]} ` +
            `[batch, ${shape.slice(1).join(", ")}], but the main sequence feature ` +
            `${JSON.stringify(main.name)} has length ${steps}: give both the same ` +
            `max_sequence_length, or reduce the output of ${JSON.stringify(input.name)}`,
        );
      }
      parts.push(input.tensor);
    } else if (shape.length === 2) {
      parts.push(
        tf.layers.repeatVector({ n: steps, name: layerName(ctx, `repeat_${input.name}`) })
          .apply(input.tensor) as Symbolic,
      );
    } else {
      throw fail(
        `input feature ${JSON.stringify(input.name)} gives rank ${shape.length} ` +
          `[batch, ${shape.slice(1).join(", ")}]: expected rank 2 or 3`,
      );
    }
  }
  const joined = parts.length === 1
    ? parts[0]
    : tf.layers.concatenate({ axis: -1, name: layerName(ctx, "concat") }).apply(parts) as Symbolic;
  return new SequenceLengthMask({ name: layerName(ctx, "sequence_mask") })
    .apply([main.tensor, joined]) as Symbolic;
}

/** Build the sequence_concat combiner on the encoder outputs. */
function combine(config: Config, ctx: BuildContext, inputs: CombinerInput[]): Symbolic {
  const h = concatOnSequence(
    inputs,
    config.main_sequence_feature as string | null,
    ctx,
    "sequence_concat",
  );
  return reduceSequence(h, config.reduce_output, ctx);
}

/** Build the combiner on the encoder outputs (the registry's `load()` shape). */
export const build: CombinerBuildOf<typeof entries.sequenceConcat> = immediate(combine);
