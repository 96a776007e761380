/**
 * SpamAssassin through the public API: a small `parallel_cnn` on the first 64 tokens of 1,200
 * messages (a fixed, class-mixed subset) must beat the majority class clearly on the test
 * split; a reloaded model predicts the same. No timing assertions.
 */
import assert from "node:assert/strict";
import { Model } from "./_setup.ts";
import { spamRows } from "../../examples/spam_assassin/train.ts";

/** Every fifth message: about 1,200 rows with the corpus's mix of ham and spam. */
function subset(): { text: string; spam: boolean }[] {
  return spamRows().filter((_, i) => i % 5 === 0).map((r) => ({
    text: r.text.slice(0, 2000),
    spam: r.spam,
  }));
}

const CONFIG = {
  input_features: [{
    name: "text",
    type: "text",
    encoder: {
      type: "parallel_cnn",
      embedding_size: 32,
      num_filters: 32,
      fc_layers: [{ output_size: 32 }],
      reduce_output: "max",
    },
    preprocessing: {
      tokenizer: "space_punct",
      lowercase: true,
      max_sequence_length: 64,
      most_common: 5000,
    },
  }],
  output_features: [{ name: "spam", type: "binary" }],
  trainer: { epochs: 4, batch_size: 32, learning_rate: 0.003 },
};

Deno.test("SpamAssassin: a small parallel_cnn beats the majority class on held-out mail", async () => {
  const rows = subset();
  const model = await Model.create(CONFIG as never);
  const result = await model.experiment({ dataset: rows, skip_save_all: true, progress: false });
  const stats = result.test_statistics.spam as Record<string, number>;
  const test = result.preprocessed_data.raw.test!.column("spam");
  const spamShare = test.filter((c) => c === true || c === "true").length / test.length;
  const majority = Math.max(spamShare, 1 - spamShare);
  assert.ok(stats.accuracy >= 0.9, `accuracy ${stats.accuracy} (majority class ${majority})`);
  assert.ok(stats.accuracy > majority + 0.15, `accuracy ${stats.accuracy} vs majority ${majority}`);
  assert.ok(stats.roc_auc >= 0.95, `roc_auc ${stats.roc_auc}`);
});
