// Sequence tagging end to end on a real corpus (examples/sequence_tagging): SpamAssassin mail
// tokens → sequence input (embed, reduce_output null) → sequence_concat → tagger with
// self-attention → per-token shape tags. Trains a small version of the example's config, then
// checks token accuracy, Ludwig's prediction columns and save → load.
import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config/mod.ts";
import { taggingRows } from "../../examples/sequence_tagging/data.ts";
import { Model } from "./_setup.ts";

const CONFIG = new URL("../../examples/sequence_tagging/config.yaml", import.meta.url).pathname;
const ROWS = taggingRows({ rows: 1200 });
const TRAIN = ROWS.slice(0, 1000);
const TEST = ROWS.slice(1000);

Deno.test("sequence tagging: the tagger learns token shapes of SpamAssassin mails", async () => {
  const config = await loadConfig(CONFIG);
  const model = await Model.create({
    ...config,
    trainer: { ...config.trainer, epochs: 6 },
    preprocessing: { split: { type: "fixed", column: "split" } },
  } as never);
  const dataset = [
    ...TRAIN.map((r, i) => ({ ...r, split: i < 900 ? 0 : 1 })),
  ];
  const { train_stats } = await model.train({ dataset, skip_save_all: true, progress: false });
  const validation = train_stats.validation.tags;
  for (
    const metric of [
      "loss",
      "token_accuracy",
      "sequence_accuracy",
      "perplexity",
      "next_token_perplexity",
    ]
  ) {
    assert.ok(validation[metric]?.length > 0, `validation ${metric}`);
    assert.ok(validation[metric].every(Number.isFinite), `validation ${metric} finite`);
  }
  assert.ok(validation.loss.at(-1)! < validation.loss[0], "validation loss falls");

  const { test_statistics, predictions } = await model.evaluate(TEST);
  const tags = test_statistics.tags as Record<string, number>;
  // About 10% of test tokens are outside the training vocabulary (<UNK>): their shape is unseen.
  assert.ok(tags.token_accuracy > 0.85, `token_accuracy ${tags.token_accuracy}`);
  assert.ok(
    Number.isFinite(tags.perplexity) && tags.perplexity < 3,
    `perplexity ${tags.perplexity}`,
  );

  const first = predictions.rows[0];
  const tokens = first.tags_predictions as string[];
  assert.equal(tokens.length, 18);
  assert.equal((first.tags_probabilities as number[]).length, 18);
  assert.equal(typeof first.tags_probability, "number");
  const expected = TEST[0].tags.split(" ");
  const right = expected.filter((t, i) => tokens[i + 1] === t).length;
  assert.ok(right >= 12, `first row: ${tokens.join(" ")} vs ${expected.join(" ")}`);

  const dir = await Deno.makeTempDir();
  try {
    await model.save(dir);
    const loaded = await Model.load(dir);
    const again = await loaded.predict(TEST.slice(0, 8));
    const before = await model.predict(TEST.slice(0, 8));
    assert.deepEqual(
      again.predictions.columns.tags_predictions,
      before.predictions.columns.tags_predictions,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
