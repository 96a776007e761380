/**
 * The decoder tests' helpers: the shared contract harness's (`tests/_harness.ts`, kept under
 * their old names for the tests that import them from here), and the scaffolding of the
 * sequence decoder tests (generator, tagger): their vocabulary, build context, loss, metrics and
 * save→load check.
 *
 * @module
 */
import { tf } from "../../lib/compute/mod.ts";
import { sequenceLoss } from "../../lib/train/_sequence_losses.ts";
import { createMetricAccumulator } from "../../lib/train/metrics.ts";
import { context, roundTrip } from "../_harness.ts";

export {
  context,
  cpu,
  loadDecoder as loadImpl,
  random,
  resolveDecoder as resolve,
  roundTrip,
} from "../_harness.ts";

/** A decoder build context: a fresh build context plus the output size. */
export function decoderContext(
  { outputSize, ...options }: Parameters<typeof context>[0] & { outputSize: number },
): ReturnType<typeof context> & { outputSize: number } {
  return { ...context(options), outputSize };
}

/** The sequence decoders' vocabulary in Ludwig's order: <EOS> 0, <SOS> 1, <PAD> 2, <UNK> 3, then a, b, c. */
export const IDX2STR: readonly string[] = ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "a", "b", "c"];
/** Its size. */
export const V: number = IDX2STR.length;
/** The index of `<PAD>`. */
const PAD = 2;

/** The build context of a sequence decoder over {@linkcode IDX2STR}, sequences of `length` steps. */
export function sequenceContext(
  scope: string,
  seed: number,
  length: number,
): ReturnType<typeof decoderContext> {
  return decoderContext({
    scope,
    seed,
    outputSize: V,
    metadata: { idx2str: [...IDX2STR], vocab_size: V, max_sequence_length: length },
  });
}

/** Softmax cross-entropy over {@linkcode IDX2STR}, `<PAD>` steps left out. */
export function sequenceCrossEntropy(
  feature: string,
): ReturnType<typeof sequenceLoss> {
  return sequenceLoss({ type: "sequence_softmax_cross_entropy" }, {
    feature,
    vocabSize: V,
    paddingId: PAD,
  });
}

/** The sequence metrics of logits [n, length, V] against targets [n, length]. */
export function sequenceMetrics(
  logits: tf.Tensor,
  targets: tf.Tensor,
  length: number,
): ReturnType<ReturnType<typeof createMetricAccumulator>["compute"]> {
  const acc = createMetricAccumulator("sequence", {
    sequenceLength: length,
    vocabSize: V,
    paddingId: PAD,
  });
  acc.update({
    targets: targets.dataSync() as Int32Array,
    predictions: tf.tidy(() => tf.argMax(logits, -1).dataSync() as Int32Array),
    scores: logits.dataSync() as Float32Array,
  });
  return acc.compute();
}

/** The largest difference between `logits` and the predictions of a saved and loaded copy. */
export async function reloadedDifference(
  model: tf.LayersModel,
  x: tf.Tensor,
  logits: tf.Tensor,
): Promise<number> {
  const loaded = await roundTrip(model);
  const again = loaded.predict(x) as tf.Tensor;
  const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(logits, again))).dataSync()[0]);
  again.dispose();
  loaded.dispose();
  return difference;
}
