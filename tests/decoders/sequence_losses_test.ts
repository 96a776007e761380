// The sequence losses the sequence decoders train with (lib/train/_sequence_losses.ts, through
// createLoss): masks, shift, weights, soft targets, unique, robust lambda, confidence penalty.
import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { validateConfig } from "../../lib/config/mod.ts";
import { firstOccurrenceMask, sequenceLoss } from "../../lib/train/_sequence_losses.ts";
import { createLoss, probabilitiesFromLogits } from "../../lib/train/losses.ts";
import { cpu } from "./_helpers.ts";

const V = 5;
const opts = { feature: "tags", vocabSize: V, paddingId: 2 };
const close = (a: number, b: number, tol = 1e-5) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

/** −log softmax(row)[k] in plain JS. */
function nll(row: number[], k: number): number {
  const max = Math.max(...row);
  const sum = row.reduce((s, x) => s + Math.exp(x - max), 0);
  return -(row[k] - max - Math.log(sum));
}

const LOGITS = [[[1, 2, 0, 0, 3], [0, 0, 5, 0, 0], [2, 1, 0, 1, 0]]];
const TARGETS = [[4, 2, 0]]; // the middle position is padding

function value(loss: Record<string, unknown>, logits = LOGITS, targets = TARGETS): number {
  return tf.tidy(() =>
    sequenceLoss(loss, opts)(tf.tensor3d(logits), tf.tensor2d(targets, undefined, "int32"))
      .dataSync()[0]
  );
}

Deno.test("sequence_softmax_cross_entropy: mean over the non-padding positions", async () => {
  await cpu();
  const expected = (nll(LOGITS[0][0], 4) + nll(LOGITS[0][2], 0)) / 2;
  close(value({ type: "sequence_softmax_cross_entropy" }), expected);
});

Deno.test("next_token_softmax_cross_entropy: position i scored against target i + 1", async () => {
  await cpu();
  // targets shifted: [2 (pad, ignored), 0]; logits [0], [1]
  close(value({ type: "next_token_softmax_cross_entropy" }), nll(LOGITS[0][1], 0));
});

Deno.test("sequence losses: class weights give a weighted mean; robust lambda; confidence penalty", async () => {
  await cpu();
  const w = [3, 1, 1, 1, 0.5];
  const expected = (0.5 * nll(LOGITS[0][0], 4) + 3 * nll(LOGITS[0][2], 0)) / 3.5;
  close(value({ type: "sequence_softmax_cross_entropy", class_weights: w }), expected);
  const base = value({ type: "sequence_softmax_cross_entropy" });
  close(
    value({ type: "sequence_softmax_cross_entropy", robust_lambda: 0.2 }),
    0.8 * base + 0.2 / V,
  );
  assert.ok(value({ type: "sequence_softmax_cross_entropy", confidence_penalty: 1 }) > base);
  assert.throws(
    () => sequenceLoss({ type: "sequence_softmax_cross_entropy", class_weights: [1, 2] }, opts),
    /loss.class_weights has 2 values: expected one per vocabulary entry \(5\)/,
  );
});

Deno.test("sequence losses: class similarities give soft targets", async () => {
  await cpu();
  const sim = Array.from(
    { length: V },
    (_, i) => Array.from({ length: V }, (_, j) => (i === j ? 1 : 0)),
  );
  // A sharp identity similarity (temperature → 0) is the hard loss.
  close(
    value({
      type: "sequence_softmax_cross_entropy",
      class_similarities: sim,
      class_similarities_temperature: 0.01,
    }),
    value({ type: "sequence_softmax_cross_entropy" }),
    1e-4,
  );
  assert.throws(
    () =>
      sequenceLoss({
        type: "sequence_softmax_cross_entropy",
        class_similarities: [[1]],
        class_similarities_temperature: 1,
      }, opts),
    /class_similarities must be 5×5/,
  );
});

Deno.test("sequence losses: unique counts each target token once per row", async () => {
  await cpu();
  const mask = tf.tidy(() =>
    firstOccurrenceMask(tf.tensor2d([[1, 4, 4, 0, 4]], undefined, "int32")).arraySync()
  );
  assert.deepEqual(mask, [[1, 1, 0, 1, 0]]);
  const logits = [[[0, 0, 0, 0, 2], [0, 0, 0, 0, 5], [1, 0, 0, 0, 0]]];
  const targets = [[4, 4, 0]];
  close(
    value({ type: "sequence_softmax_cross_entropy", unique: true }, logits, targets),
    (nll(logits[0][0], 4) + nll(logits[0][2], 0)) / 2,
  );
});

Deno.test("createLoss: sequence outputs get the sequence losses; probabilities per position", async () => {
  await cpu();
  const config = validateConfig({
    input_features: [{ name: "x", type: "number" }],
    output_features: [{ name: "tags", type: "sequence", decoder: { type: "generator" } }],
  });
  const metadata = { idx2str: ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "a"], pad_idx: 2 };
  const fn = createLoss(config.output_features[0], metadata, V);
  close(
    tf.tidy(() => fn(tf.tensor3d(LOGITS), tf.tensor2d(TARGETS, undefined, "int32")).dataSync()[0]),
    value({ type: "sequence_softmax_cross_entropy" }),
  );
  const p = probabilitiesFromLogits(
    "sequence_softmax_cross_entropy",
    "sequence",
    tf.tensor3d(LOGITS),
    V,
  )!;
  assert.deepEqual(p.shape, [1, 3, V]);
  close(tf.sum(p).dataSync()[0], 3);
  p.dispose();
  assert.throws(
    () => fn(tf.tensor2d([[1, 2, 3, 4, 5]]), tf.tensor2d([[4]], undefined, "int32")),
    /expected logits \[batch, length, 5\], received \[1, 5\]/,
  );
});
