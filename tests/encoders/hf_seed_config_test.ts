// The seed's fine-tuning config from issue 12 validates and trains on the tiny bert fixture;
// the config rules of the Hugging Face encoders, the embedding cache and mixed precision.
import assert from "node:assert/strict";
import { Model } from "../../mod.ts";
import { ConfigValidationError, validateConfig } from "../../lib/config/mod.ts";
import { autoBatchSizeCap } from "../../lib/features/embedding_cache.ts";
import { textRows } from "./_hf_text_helpers.ts";

const FIXTURE = new URL("../fixtures/hf/bert", import.meta.url).pathname;

const SEED = {
  defaults: {
    text: {
      preprocessing: { cache_encoder_embeddings: true },
      encoder: { type: "bert", trainable: false },
    },
  },
  input_features: [
    { name: "review", type: "text", encoder: { pretrained_model_name_or_path: FIXTURE } },
  ],
  output_features: [{ name: "label", type: "category" }],
  combiner: { type: "concat", norm: "ghost" },
  trainer: {
    batch_size: "auto",
    learning_rate: 0.00002,
    learning_rate_scheduler: { warmup_fraction: 0.2, decay: "linear" },
    optimizer: { type: "adamw" },
    use_mixed_precision: true,
    evaluate_training_set: false,
    epochs: 2,
  },
};

Deno.test("the seed's config validates and trains (cached frozen bert, mixed precision)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await Model.create(SEED as never);
    const f = model.config.input_features[0];
    assert.equal(f.encoder.type, "bert");
    assert.equal((f.encoder as Record<string, unknown>).trainable, false);
    assert.equal(f.preprocessing.tokenizer, "hf_tokenizer");
    const rows = textRows(60, 9).map((r) => ({ review: r.text, label: r.label }));
    const result = await model.train({
      dataset: rows,
      output_directory: dir,
      progress: false,
      skip_save_processed_input: true,
    });
    const description = JSON.parse(
      await Deno.readTextFile(`${result.output_directory}/description.json`),
    );
    assert.equal(description.mixed_precision.compute_dtype, "float32");
    assert.match(description.mixed_precision.note, /float32/);
    assert.equal(description.encoder_embedding_cache.dtype, "float16");
    assert.deepEqual(description.encoder_embedding_cache.features, ["review"]);
    const out = await model.predict(rows.slice(0, 5));
    assert.equal((out.predictions.columns.label_predictions as unknown[]).length, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function issues(config: Record<string, unknown>): string[] {
  try {
    validateConfig(config);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigValidationError)) throw e;
    return e.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  }
}

const text = (encoder: Record<string, unknown>, preprocessing: Record<string, unknown> = {}) => ({
  input_features: [{ name: "t", type: "text", encoder, preprocessing }],
  output_features: [{ name: "y", type: "binary" }],
});

Deno.test("cache_encoder_embeddings is refused, with the reason, where it cannot work", () => {
  const cache = { cache_encoder_embeddings: true };
  assert.match(
    issues(text({ type: "parallel_cnn" }, cache)).join("\n"),
    /cache_encoder_embeddings.*"parallel_cnn" cannot be cached/,
  );
  assert.match(
    issues(text({ type: "bert", trainable: true }, cache)).join("\n"),
    /"bert" is trainable; caching its outputs needs trainable: false/,
  );
  assert.deepEqual(issues(text({ type: "bert" }, cache)), []);
  assert.match(
    issues(text({ type: "xlnet" })).join("\n"),
    /"xlnet" exists in Ludwig but is not available in Sonata yet \(its two-stream/,
  );
  assert.match(
    issues(text({ type: "parallel_cnn" }, { tokenizer: "hf_tokenizer" })).join("\n"),
    /hf_tokenizer needs pretrained_model_name_or_path/,
  );
  // auto_transformer has no default model: preprocessing says so, naming the feature.
  assert.deepEqual(issues(text({ type: "auto_transformer" })), []);
});

Deno.test("encoder defaults follow Ludwig and rewrite the feature's preprocessing", () => {
  const r = validateConfig(text({ type: "distilbert", max_sequence_length: 32 }));
  const f = r.input_features[0];
  const enc = f.encoder as Record<string, unknown>;
  assert.equal(enc.pretrained_model_name_or_path, "distilbert-base-uncased");
  assert.equal(enc.reduce_output, "sum");
  assert.equal(enc.trainable, false);
  assert.equal(enc.use_pretrained, true);
  assert.equal(enc.saved_weights_in_checkpoint, false);
  assert.equal(f.preprocessing.tokenizer, "hf_tokenizer");
  assert.equal(f.preprocessing.pretrained_model_name_or_path, "distilbert-base-uncased");
  assert.equal(f.preprocessing.max_sequence_length, 32);
  const b = validateConfig(text({ type: "bert" }));
  assert.equal(
    (b.input_features[0].encoder as Record<string, unknown>).reduce_output,
    "cls_pooled",
  );
});

Deno.test("batch_size auto is capped by the encoder's activation memory", async () => {
  const r = validateConfig({ ...text({ type: "bert" }), trainer: { batch_size: "auto" } });
  const base = {
    hf_config: {
      hidden_size: 768,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 3072,
    },
    max_sequence_length: 512,
  };
  // bert-base at 512 tokens keeps about 0.8 GB per training row: a quarter of 16 GB allows 4.
  const cap = await autoBatchSizeCap(r, { t: base }, 16 * 2 ** 30);
  assert.equal(cap, 4);
  const small = await autoBatchSizeCap(r, {
    t: { ...base, max_sequence_length: 16 },
  }, 16 * 2 ** 30);
  assert.ok(small! > 128, `short rows: ${small}`);
  const cached = validateConfig({
    ...text({ type: "bert" }, { cache_encoder_embeddings: true }),
    trainer: { batch_size: "auto" },
  });
  assert.equal(await autoBatchSizeCap(cached, { t: base }, 16 * 2 ** 30), undefined);
});
