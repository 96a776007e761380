/**
 * Losses of sequence and text outputs (reference §1b, §6): logits `[batch, length, vocab]`
 * against int32 targets `[batch, length]` (`<SOS> tokens… <EOS> <PAD>…`).
 *
 * - `sequence_softmax_cross_entropy`: softmax cross entropy at every position, averaged over the
 *   positions whose target is not the padding symbol (PyTorch's `ignore_index`, as Ludwig).
 * - `next_token_softmax_cross_entropy`: the logits at position i scored against the target at
 *   i + 1 (Ludwig's shift for language models), padding ignored as above.
 *
 * Both take the softmax cross entropy parameters: `class_weights` (list or label → weight; the
 * mean is weighted, PyTorch's `CrossEntropyLoss(weight=…)`), `class_similarities` with
 * `class_similarities_temperature` (soft targets, rows of softmax(similarities / temperature)),
 * `robust_lambda` ((1 − λ)·loss + λ / vocab) and `confidence_penalty` (mean normalized negative
 * entropy of the non-padding positions), and `unique` (each distinct target token counts once
 * per row: its first occurrence).
 *
 * Differences from Ludwig 0.8.6, on purpose: Ludwig's sequence loss slices `preds[1:]` (it drops
 * the batch's first row, not the first position), its next-token loss averages over padding too,
 * and it ignores `robust_lambda`, `confidence_penalty`, `class_similarities` and `unique` for
 * sequences. Sonata scores every row, ignores padding in both losses, and applies the options.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import type { LossImpl } from "./losses/_common.ts";

type Obj = Record<string, unknown>;

/** A sequence loss: logits [batch, length, vocab], targets [batch, length] → scalar. */
export type SequenceLossFn = (logits: tf.Tensor, targets: tf.Tensor) => tf.Scalar;

/** What {@linkcode sequenceLoss} needs besides the loss config. */
export interface SequenceLossOptions {
  /** The output feature's name (for error messages). */
  readonly feature: string;
  /** Vocabulary size (the logits' last axis). */
  readonly vocabSize: number;
  /** Index of the padding symbol (Ludwig: 2). */
  readonly paddingId: number;
  /** The vocabulary, for `class_weights` given by label. */
  readonly idx2str?: readonly string[];
}

/** The padding index of a sequence/text output's metadata (Ludwig's `<PAD>`, index 2). */
export function paddingIdOf(metadata: Readonly<Obj>): number {
  if (typeof metadata.pad_idx === "number") return metadata.pad_idx;
  const idx2str = metadata.idx2str as string[] | undefined;
  const prep = (metadata.preprocessing ?? {}) as Obj;
  const symbol = (prep.padding_symbol as string | undefined) ?? "<PAD>";
  const at = idx2str?.indexOf(symbol) ?? -1;
  return at >= 0 ? at : 2;
}

function weightVector(
  weights: unknown,
  options: SequenceLossOptions,
): Float32Array | undefined {
  if (weights === null || weights === undefined) return undefined;
  const v = options.vocabSize;
  if (Array.isArray(weights)) {
    if (weights.length !== v) {
      throw new RangeError(
        `Cannot train output feature ${
          JSON.stringify(options.feature)
        }: loss.class_weights has ${weights.length} values: expected one per vocabulary entry (${v})`,
      );
    }
    return Float32Array.from(weights as number[]);
  }
  const map = weights as Record<string, number>;
  const labels = options.idx2str ?? [];
  for (const key of Object.keys(map)) {
    if (!labels.includes(key)) {
      throw new RangeError(
        `Cannot train output feature ${JSON.stringify(options.feature)}: loss.class_weights names ${
          JSON.stringify(key)
        }, which is not in the vocabulary`,
      );
    }
  }
  return Float32Array.from({ length: v }, (_, i) => map[labels[i]] ?? 1);
}

/** 1 where the target is the first occurrence of its token in the row, else 0: [batch, length]. */
export function firstOccurrenceMask(targets: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const length = targets.shape[1]!;
    const t = tf.cast(targets, "int32");
    const same = tf.equal(tf.expandDims(t, 2), tf.expandDims(t, 1)); // [b, i, j]
    // strictly earlier positions: j < i
    const earlier = tf.linalg.bandPart(tf.ones([length, length]), -1, 0).sub(tf.eye(length));
    const repeats = tf.sum(tf.mul(tf.cast(same, "float32"), earlier), 2);
    return tf.cast(tf.equal(repeats, 0), "float32");
  });
}

/**
 * A sequence loss function for a loss config (`sequence_softmax_cross_entropy` or
 * `next_token_softmax_cross_entropy`).
 *
 * @param loss the resolved loss config
 * @param options vocabulary size, padding index, labels
 * @returns logits [batch, length, vocab], targets [batch, length] → the scalar loss
 *
 * @example Padding positions do not count
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "../compute/mod.ts";
 * import { sequenceLoss } from "./_sequence_losses.ts";
 * await tf.setBackend("cpu");
 * const loss = sequenceLoss({ type: "sequence_softmax_cross_entropy" }, {
 *   feature: "tags",
 *   vocabSize: 4,
 *   paddingId: 2,
 * });
 * const logits = tf.tensor3d([[[9, 0, 0, 0], [0, 0, 0, 0]]]); // 2nd position: padding target
 * const value = loss(logits, tf.tensor2d([[0, 2]], undefined, "int32")).dataSync()[0];
 * assert.ok(value < 0.001);
 * ```
 */
export function sequenceLoss(loss: Readonly<Obj>, options: SequenceLossOptions): SequenceLossFn {
  const v = options.vocabSize;
  const shift = loss.type === "next_token_softmax_cross_entropy";
  const weights = weightVector(loss.class_weights, options);
  const similarities = (loss.class_similarities ?? null) as number[][] | null;
  const temperature = (loss.class_similarities_temperature as number | undefined) ?? 0;
  if (similarities && (similarities.length !== v || similarities.some((r) => r.length !== v))) {
    throw new RangeError(
      `Cannot train output feature ${
        JSON.stringify(options.feature)
      }: loss.class_similarities must be ${v}×${v} (one row and column per vocabulary entry)`,
    );
  }
  const lambda = (loss.robust_lambda as number | undefined) ?? 0;
  const penalty = (loss.confidence_penalty as number | undefined) ?? 0;
  const unique = loss.unique === true;
  return (logits, targets) => {
    if (logits.rank !== 3) {
      throw new RangeError(
        `Cannot compute ${loss.type} of output feature ${
          JSON.stringify(options.feature)
        }: expected logits [batch, length, ${v}], received [${logits.shape.join(", ")}]`,
      );
    }
    const [b, length] = logits.shape;
    let t = tf.cast(tf.reshape(targets, [b, -1]), "int32");
    let y = logits;
    if (t.shape[1] !== length) {
      throw new RangeError(
        `Cannot compute ${loss.type} of output feature ${
          JSON.stringify(options.feature)
        }: logits have ${length} positions, targets ${t.shape[1]}`,
      );
    }
    if (shift) {
      y = tf.slice(y, [0, 0, 0], [-1, length - 1, -1]);
      t = tf.slice(t, [0, 1], [-1, length - 1]);
    }
    const steps = y.shape[1]!;
    const flatLogits = tf.reshape(y, [b * steps, v]);
    const ids = tf.reshape(t, [b * steps]) as tf.Tensor1D;
    let mask = tf.cast(tf.notEqual(ids, options.paddingId), "float32");
    if (unique) mask = tf.mul(mask, tf.reshape(firstOccurrenceMask(t), [b * steps]));
    const soft = similarities && temperature > 0
      ? tf.softmax(tf.div(tf.tensor2d(similarities), temperature), -1)
      : undefined;
    const dist = soft ? tf.gather(soft, ids) : tf.oneHot(ids, v);
    const logp = tf.logSoftmax(flatLogits, -1);
    const perToken = tf.neg(tf.sum(tf.mul(dist, logp), -1));
    const w = weights ? tf.mul(tf.gather(tf.tensor1d(weights), ids), mask) : mask;
    let out = tf.div(tf.sum(tf.mul(perToken, w)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
    if (lambda > 0) out = tf.add(tf.mul(out, 1 - lambda), lambda / v) as tf.Scalar;
    if (penalty > 0) {
      const maxEntropy = Math.log(v);
      const p = tf.clipByValue(tf.exp(logp), 1e-12, 1);
      const entropy = tf.neg(tf.sum(tf.mul(p, tf.log(p)), -1));
      const perTokenPenalty = tf.div(tf.sub(maxEntropy, entropy), maxEntropy);
      const meanPenalty = tf.div(
        tf.sum(tf.mul(perTokenPenalty, mask)),
        tf.maximum(tf.sum(mask), 1e-12),
      );
      out = tf.add(out, tf.mul(penalty, meanPenalty)) as tf.Scalar;
    }
    return out;
  };
}

function sequenceImpl(): LossImpl {
  return {
    create: (loss, { feature, classes, metadata }) =>
      sequenceLoss(loss, {
        feature,
        vocabSize: classes,
        paddingId: paddingIdOf(metadata),
        idx2str: metadata.idx2str as string[] | undefined,
      }),
  };
}

/** `sequence_softmax_cross_entropy` (its registry entry's implementation). */
export const sequenceSoftmaxCrossEntropy: LossImpl = sequenceImpl();

/** `next_token_softmax_cross_entropy` (its registry entry's implementation). */
export const nextTokenSoftmaxCrossEntropy: LossImpl = sequenceImpl();
