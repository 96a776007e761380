// The generator through the Model API: a category input names a word, the sequence output spells
// it. Training teacher-forces through the trainer; evaluation and prediction decode greedily.
import assert from "node:assert/strict";
import { Model } from "../../mod.ts";

const WORDS = ["cat", "dog", "emu", "gnu", "yak", "owl", "ant", "bee", "eel", "elk"];
const DATA = Array.from({ length: 200 }, (_, i) => {
  const w = WORDS[i % WORDS.length];
  return { word: w, letters: w.split("").join(" ") };
});

Deno.test("generator: a Model spells words; sequence metrics and prediction columns", async () => {
  const model = await Model.create({
    input_features: [{ name: "word", type: "category", encoder: { embedding_size: 32 } }],
    output_features: [{
      name: "letters",
      type: "sequence",
      decoder: { type: "generator", cell_type: "gru" },
    }],
    combiner: { type: "concat", output_size: 32, num_fc_layers: 1 },
    trainer: { epochs: 25, batch_size: 20, learning_rate: 0.02 },
  });
  const { train_stats } = await model.train({
    dataset: DATA,
    skip_save_all: true,
    progress: false,
  });
  const training = train_stats.training.letters;
  for (const metric of ["loss", "token_accuracy", "sequence_accuracy", "perplexity"]) {
    assert.ok(training[metric].every(Number.isFinite), metric);
  }
  assert.ok(training.loss.at(-1)! < training.loss[0] / 4, `loss ${training.loss}`);

  const { test_statistics, predictions } = await model.evaluate(DATA.slice(0, 20));
  const m = test_statistics.letters as Record<string, number>;
  assert.ok(m.token_accuracy > 0.95, `token_accuracy ${m.token_accuracy}`);
  assert.ok(m.sequence_accuracy > 0.9, `sequence_accuracy ${m.sequence_accuracy}`);
  const row = predictions.rows[1];
  assert.deepEqual(row.letters_predictions, ["<SOS>", "d", "o", "g", "<EOS>"]);
  assert.equal((row.letters_probabilities as number[]).length, 5);
  assert.ok((row.letters_probability as number) <= 0);
});
