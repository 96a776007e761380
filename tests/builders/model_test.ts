import { deepStrictEqual, equal, notStrictEqual, ok, throws } from "node:assert/strict";
import { feature, fromConfig, model } from "../../lib/builders/mod.ts";
import type { EncoderOptions, EncoderType } from "../../lib/builders/mod.ts";
import { ConfigValidationError, loadConfig } from "../../lib/config/mod.ts";

const ROOT = new URL("../../", import.meta.url);

type IsExact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AssertTrue<T extends true> = T;

// Encoder names are derived from the registry, per feature type.
export type _NumberEncoders = AssertTrue<IsExact<EncoderType<"number">, "passthrough" | "dense">>;
export type _CategoryEncoders = AssertTrue<
  IsExact<EncoderType<"category">, "passthrough" | "dense" | "sparse" | "onehot">
>;
export type _RnnOptions = AssertTrue<
  IsExact<EncoderOptions<"text", "rnn">["cell_type"], "rnn" | "lstm" | "gru" | undefined>
>;

Deno.test("the builder gives the config of examples/boston_housing/config.yaml", async () => {
  const numbers = [
    "crim",
    "zn",
    "indus",
    "nox",
    "rm",
    "age",
    "dis",
    "tax",
    "ptratio",
    "b",
    "lstat",
  ];
  let m = model();
  for (
    const name of [
      "crim",
      "zn",
      "indus",
      "chas",
      "nox",
      "rm",
      "age",
      "dis",
      "rad",
      "tax",
      "ptratio",
      "b",
      "lstat",
    ]
  ) {
    m = m.input(
      numbers.includes(name)
        ? feature.number(name)
        : name === "chas"
        ? feature.binary(name)
        : feature.category(name),
    );
  }
  const built = m
    .output(feature.number("medv"))
    .combiner("concat", { num_fc_layers: 2, output_size: 64 })
    .trainer({ epochs: 60, batch_size: 32, learning_rate: 0.003, early_stop: 10 })
    .preprocessing({ split: { type: "random", probabilities: [0.7, 0.1, 0.2] } })
    .toConfig();
  deepStrictEqual(
    built,
    await loadConfig(new URL("examples/boston_housing/config.yaml", ROOT).pathname),
  );
});

Deno.test("the builder gives the config of examples/spam_assassin/config.yaml", async () => {
  const built = model()
    .input(
      feature.text("text")
        .encoder("parallel_cnn", { embedding_size: 64, num_filters: 64, output_size: 64 })
        .preprocessing({
          tokenizer: "space_punct",
          lowercase: true,
          max_sequence_length: 256,
          most_common: 20000,
        }),
    )
    .output(feature.binary("spam"))
    .trainer({ epochs: 5, batch_size: 64, learning_rate: 0.001, validation_metric: "accuracy" })
    .toConfig();
  deepStrictEqual(
    built,
    await loadConfig(new URL("examples/spam_assassin/config.yaml", ROOT).pathname),
  );
});

Deno.test("the builder gives the config of the text classification fixture", async () => {
  const built = model()
    .input(
      feature.text("review").encoder("parallel_cnn").preprocessing({
        tokenizer: "space_punct",
        max_sequence_length: 128,
      }),
    )
    .input(
      feature.text("title").encoder("rnn", {
        cell_type: "lstm",
        bidirectional: true,
        reduce_output: "attention",
      }),
    )
    .output(
      feature.category("sentiment").options({ top_k: 2 }).loss("softmax_cross_entropy", {
        class_weights: [1, 2, 1],
      }),
    )
    .defaults("text", {
      encoder: { type: "parallel_cnn", num_filters: 64 },
      preprocessing: { most_common: 5000 },
    })
    .trainer({ epochs: 5, early_stop: 3, validation_metric: "accuracy" })
    .toConfig();
  deepStrictEqual(
    built,
    await loadConfig(
      new URL("tests/fixtures/configs/valid/text_classification.yaml", ROOT).pathname,
    ),
  );
});

Deno.test("builders are immutable", () => {
  const base = model().input(feature.number("x")).output(feature.binary("y"));
  const a = base.trainer({ epochs: 3 });
  const b = base.trainer({ epochs: 4 });
  notStrictEqual(a, base);
  equal(a.toConfig().trainer.epochs, 3);
  equal(b.toConfig().trainer.epochs, 4);
  equal(base.toConfig().trainer.epochs, 100);
  const f = feature.text("t");
  const g = f.encoder("rnn");
  deepStrictEqual(f.toObject(), { name: "t", type: "text" });
  deepStrictEqual(g.toObject(), { name: "t", type: "text", encoder: { type: "rnn" } });
  const obj = a.toObject();
  (obj.trainer as Record<string, unknown>).epochs = 99;
  equal(a.toConfig().trainer.epochs, 3);
});

Deno.test("toYAML() and toJSON() round-trip through loadConfig, and fromConfig() is equivalent", async () => {
  const b = model()
    .input(
      feature.category("c").encoder("dense", { embedding_size: 8 }).preprocessing({
        most_common: 20,
      }),
    )
    .input(feature.set("s"))
    .output(feature.number("n").loss("huber", { delta: 2 }).options({ clip: [0, 10] }))
    .output(feature.binary("flag").dependencies(["n"]).options({ threshold: 0.7 }))
    .combiner("tabnet", { size: 8 })
    .hyperopt({
      parameters: { "trainer.learning_rate": { space: "loguniform", lower: 1e-4, upper: 1e-2 } },
    })
    .backend({ compute: "cpu" });
  const config = b.toConfig();
  deepStrictEqual(await loadConfig(b.toYAML()), config);
  deepStrictEqual(await loadConfig(b.toJSON()), config);
  deepStrictEqual(fromConfig(b.toObject()).toConfig(), config);
  deepStrictEqual(fromConfig(config).toConfig(), config, "a resolved config is a fixed point");
});

Deno.test("builders run through the same validation", () => {
  throws(
    () =>
      model().input(feature.number("x")).output(feature.binary("y"))
        .trainer({ epochs: 0 }).toConfig(),
    (e: Error) => e instanceof ConfigValidationError && /trainer.epochs/.test(e.message),
  );
  throws(
    () =>
      model().input(feature.text("t").encoder("acme/unknown")).output(feature.binary("y"))
        .toConfig(),
    /encoder.type: expected one of/,
  );
  ok(
    model().input(feature.h3("cell").encoder("rnn", { cell_type: "gru" })).output(
      feature.vector("v"),
    ).toConfig(),
  );
});

Deno.test("a builder displays itself in Jupyter as its YAML", () => {
  const b = model().input(feature.number("x")).output(feature.binary("y<z>"));
  const bundle = (b as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ]();
  equal(bundle["text/plain"], b.toYAML());
  ok(bundle["text/html"].startsWith("<pre>") && bundle["text/html"].includes("y&lt;z&gt;"));
});

Deno.test("the builder gives the config of examples/sequence_tagging/config.yaml", async () => {
  const built = model()
    .input(
      feature.sequence("tokens")
        .encoder("embed", { embedding_size: 64, reduce_output: null })
        .preprocessing({ tokenizer: "space", lowercase: false, sequence_length: 18 }),
    )
    .output(
      feature.sequence("tags")
        .decoder("tagger", {
          use_attention: true,
          attention_embedding_size: 64,
          attention_num_heads: 4,
        })
        .preprocessing({ tokenizer: "space", sequence_length: 18 }),
    )
    .combiner("sequence_concat")
    .trainer({
      epochs: 8,
      batch_size: 64,
      learning_rate: 0.003,
      validation_field: "tags",
      validation_metric: "token_accuracy",
    })
    .toConfig();
  deepStrictEqual(
    built,
    await loadConfig(new URL("examples/sequence_tagging/config.yaml", ROOT).pathname),
  );
});
