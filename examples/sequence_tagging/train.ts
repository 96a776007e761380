/**
 * Trains the sequence tagger of `config.yaml` on 4,000 windows of 16 tokens from SpamAssassin
 * mail bodies (3,200 train / 400 validation / 400 test, in corpus order), reports the test
 * split's token and sequence accuracy against a lookup baseline (each known token's most frequent
 * tag in training, `word` for unknown tokens), and shows one tagged window.
 *
 * Run: `deno run -A examples/sequence_tagging/train.ts [--rows N] [--epochs N]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Model } from "../../mod.ts";
import { loadConfig } from "../../lib/config/mod.ts";
import { taggingRows } from "./data.ts";

const write = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${s}\n`));
const { values } = parseArgs({
  args: Deno.args,
  options: { rows: { type: "string", default: "4000" }, epochs: { type: "string" } },
});
const rows = taggingRows({ rows: Number(values.rows) });
const nTrain = Math.floor(rows.length * 0.8);
const nValidation = Math.floor(rows.length * 0.1);
const dataset = rows.map((r, i) => ({
  ...r,
  split: i < nTrain ? 0 : i < nTrain + nValidation ? 1 : 2,
}));
const test = rows.slice(nTrain + nValidation);
write(`SpamAssassin token shapes: ${rows.length} windows of 16 tokens`);

const config = await loadConfig(new URL("./config.yaml", import.meta.url).pathname);
const model = await Model.create({
  ...config,
  trainer: { ...config.trainer, ...(values.epochs ? { epochs: Number(values.epochs) } : {}) },
  preprocessing: { ...config.preprocessing, split: { type: "fixed", column: "split" } },
} as never);
const started = performance.now();
await model.train({ dataset, skip_save_all: true, progress: false });
write(`trained in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const { test_statistics, predictions } = await model.evaluate(test);
const m = test_statistics.tags as Record<string, number>;

// Lookup baseline: the most frequent training tag of each token.
const counts = new Map<string, Map<string, number>>();
for (const r of rows.slice(0, nTrain)) {
  const tags = r.tags.split(" ");
  r.tokens.split(" ").forEach((t, i) => {
    const c = counts.get(t) ?? new Map<string, number>();
    c.set(tags[i], (c.get(tags[i]) ?? 0) + 1);
    counts.set(t, c);
  });
}
let right = 0, total = 0;
for (const r of test) {
  const tags = r.tags.split(" ");
  r.tokens.split(" ").forEach((t, i) => {
    const c = counts.get(t);
    const guess = c ? [...c.entries()].sort((a, b) => b[1] - a[1])[0][0] : "word";
    if (guess === tags[i]) right++;
    total++;
  });
}
write(`\nTest split (${test.length} windows):`);
write(
  `  token_accuracy     ${m.token_accuracy.toFixed(4)}  (lookup baseline ${
    (right / total).toFixed(4)
  })`,
);
write(`  sequence_accuracy  ${m.sequence_accuracy.toFixed(4)}`);
write(`  perplexity         ${m.perplexity.toFixed(3)}`);
const first = predictions.rows[0];
write(`\n  tokens     ${test[0].tokens}`);
write(`  tags       ${test[0].tags}`);
write(`  predicted  ${(first.tags_predictions as string[]).slice(1, 17).join(" ")}`);
