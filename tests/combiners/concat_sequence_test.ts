// Ludwig's concat combiner passes a single sequence input (its encoder's reduce_output null)
// through its FC stack unreduced, so a tagger decodes it: Ludwig's documented tagging example
// uses the default combiner this way.
import assert from "node:assert/strict";
import { validateConfig } from "../../lib/config/mod.ts";
import { Model } from "../../mod.ts";

const WORDS: Record<string, string> = {
  the: "DET",
  a: "DET",
  cat: "NOUN",
  dog: "NOUN",
  bird: "NOUN",
  runs: "VERB",
  eats: "VERB",
  sees: "VERB",
  big: "ADJ",
  small: "ADJ",
};

/** Sentences of 3-7 words with each word's part of speech (a deterministic generator). */
function rows(n: number, seed: number) {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const vocabulary = Object.keys(WORDS);
  return Array.from({ length: n }, () => {
    const words = Array.from(
      { length: 3 + Math.floor(next() * 5) },
      () => vocabulary[Math.floor(next() * vocabulary.length)],
    );
    return { words: words.join(" "), tags: words.map((w) => WORDS[w]).join(" ") };
  });
}

const CONFIG = {
  input_features: [{
    name: "words",
    type: "sequence",
    encoder: { type: "embed", reduce_output: null },
  }],
  output_features: [{ name: "tags", type: "sequence", decoder: { type: "tagger" } }],
  trainer: { epochs: 8, batch_size: 32, learning_rate: 0.01 },
};

Deno.test("concat with a single unreduced sequence input feeds a tagger (accepted)", () => {
  const config = validateConfig(CONFIG);
  assert.equal(config.combiner.type, "concat");
  // Two inputs cannot be concatenated as sequences: still rejected, naming the decoder.
  assert.throws(
    () =>
      validateConfig({
        ...CONFIG,
        input_features: [...CONFIG.input_features, { name: "n", type: "number" }],
      }),
    /decoder "tagger" needs a sequence-shaped combiner output/,
  );
  // flatten_inputs flattens the sequence: no time steps remain for the tagger.
  assert.throws(
    () => validateConfig({ ...CONFIG, combiner: { type: "concat", flatten_inputs: true } }),
    /decoder "tagger" needs a sequence-shaped combiner output/,
  );
  // A reduced sequence has no time steps either.
  assert.throws(
    () =>
      validateConfig({
        ...CONFIG,
        input_features: [{ name: "words", type: "sequence", encoder: { type: "embed" } }],
      }),
    /decoder "tagger" needs a sequence-shaped combiner output/,
  );
});

Deno.test("concat + tagger trains to a high token accuracy on a part-of-speech task", async () => {
  const model = await Model.create({
    ...CONFIG,
    combiner: { type: "concat", num_fc_layers: 1, output_size: 32 },
  } as never);
  const { train_stats } = await model.train({
    dataset: rows(600, 7),
    skip_save_all: true,
    progress: false,
  });
  const loss = train_stats.training.tags.loss;
  assert.ok(loss.at(-1)! < loss[0] / 2, `training loss falls: ${loss}`);
  const { test_statistics, predictions } = await model.evaluate(rows(100, 99));
  const tags = test_statistics.tags as Record<string, number>;
  assert.ok(tags.token_accuracy > 0.95, `token_accuracy ${tags.token_accuracy}`);
  const first = predictions.rows[0];
  assert.ok(Array.isArray(first.tags_predictions));
});
