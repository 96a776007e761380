// Every tabular encoder, the decoders and every loss of these output types train: each model
// below builds, takes training steps on data generated with learnable structure, reports finite
// metrics, and (for the first) lowers its loss.
import { equal, ok } from "node:assert/strict";
import { Model } from "../../mod.ts";
import type { Obj } from "./_types.ts";

const H3 = ["8928308280fffff", "8928308280bffff", "89283082807ffff", "89283082803ffff"];
const COLORS = ["red", "green", "blue", "black", "white"];
const TAGS = ["a", "b", "c", "d"];

function rows(n: number): Obj[] {
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, (_, i) => {
    const x = rand() * 4 - 2;
    const c = COLORS[i % COLORS.length];
    const tags = TAGS.filter(() => rand() > 0.5);
    const month = 1 + (i % 12);
    return {
      b: x > 0 ? "true" : "false",
      n: x,
      c,
      s: tags.join(" "),
      g: `${tags.join(" ")} ${tags[0] ?? "a"}`,
      v: `${x.toFixed(3)} ${(x * x).toFixed(3)} ${rand().toFixed(3)}`,
      d: `2021-${String(month).padStart(2, "0")}-${String(1 + (i % 28)).padStart(2, "0")}`,
      h: H3[i % H3.length],
      y_bin: x + (c === "red" ? 1 : 0) > 0.5 ? "yes" : "no",
      y_cat: x < -0.7 ? "low" : x < 0.7 ? "mid" : "high",
      y_num: 3 * x + (month > 6 ? 1 : 0),
      y_set: [x > 0 ? "pos" : "neg", tags.includes("a") ? "has_a" : "no_a"].join(" "),
      y_vec: `${x.toFixed(3)} ${(-x).toFixed(3)}`,
    };
  });
}

const DATA = rows(240);
const INPUTS = [
  { name: "b", type: "binary" },
  { name: "n", type: "number" },
  { name: "c", type: "category" },
  { name: "s", type: "set" },
  { name: "g", type: "bag" },
  { name: "v", type: "vector" },
  { name: "d", type: "date" },
  { name: "h", type: "h3" },
];

async function trainOn(config: Obj, epochs = 3) {
  const model = await Model.create({
    ...config,
    trainer: { epochs, batch_size: 32, learning_rate: 0.01, ...(config.trainer as Obj ?? {}) },
  });
  const result = await model.train({ dataset: DATA, skip_save_all: true, progress: false });
  return { model, stats: result.train_stats };
}

function finite(stats: Record<string, Record<string, Record<string, number[]>>>) {
  for (const [split, features] of Object.entries(stats)) {
    for (const [feature, metrics] of Object.entries(features)) {
      for (const [metric, values] of Object.entries(metrics)) {
        for (const v of values) {
          ok(Number.isFinite(v) || Number.isNaN(v), `${split}.${feature}.${metric} = ${v}`);
        }
        ok(values.length > 0);
      }
    }
  }
}

Deno.test("a model with every tabular input and output type trains and its loss falls", async () => {
  const { model, stats } = await trainOn({
    input_features: INPUTS,
    output_features: [
      { name: "y_bin", type: "binary" },
      { name: "y_cat", type: "category" },
      { name: "y_num", type: "number" },
      { name: "y_set", type: "set" },
      { name: "y_vec", type: "vector" },
    ],
    combiner: { type: "concat", num_fc_layers: 1, output_size: 32 },
  }, 6);
  finite(stats);
  const loss = stats.training.combined.loss;
  ok(loss[loss.length - 1] < loss[0], `combined loss ${loss.join(", ")}`);
  const { predictions } = await model.predict(DATA.slice(0, 4));
  equal(predictions.rows.length, 4);
  for (
    const key of [
      "y_bin_predictions",
      "y_cat_predictions",
      "y_num_predictions",
      "y_set_predictions",
      "y_vec_predictions",
    ]
  ) {
    ok(key in predictions.columns, key);
  }
});

const ENCODER_VARIANTS: [string, string, Obj][] = [
  ["binary", "b", { type: "dense", output_size: 8 }],
  ["number", "n", { type: "dense", output_size: 8, num_layers: 2, norm: "batch" }],
  ["number", "n", {
    type: "dense",
    fc_layers: [{ output_size: 8, norm: "layer" }, { output_size: 4, activation: "tanh" }],
  }],
  ["category", "c", { type: "dense", embedding_size: 4, dropout: 0.1 }],
  ["category", "c", { type: "sparse" }],
  ["category", "c", { type: "onehot" }],
  ["category", "c", { type: "passthrough" }],
  ["set", "s", { type: "embed", embedding_size: 4, num_fc_layers: 1, output_size: 8 }],
  ["set", "s", { type: "embed", representation: "sparse" }],
  ["bag", "g", { type: "embed", embedding_size: 4 }],
  ["vector", "v", { type: "dense", output_size: 8 }],
  ["vector", "v", { type: "passthrough" }],
  ["date", "d", { type: "embed", embedding_size: 4 }],
  ["date", "d", { type: "wave" }],
  ["h3", "h", { type: "embed", embedding_size: 4 }],
  ["h3", "h", { type: "weighted_sum", should_softmax: true }],
  ["h3", "h", { type: "rnn", cell_type: "gru", hidden_size: 4 }],
  ["h3", "h", { type: "rnn", cell_type: "lstm", bidirectional: true, hidden_size: 4 }],
];

Deno.test("every tabular encoder trains", async (t) => {
  for (const [type, name, encoder] of ENCODER_VARIANTS) {
    await t.step(`${type} ${JSON.stringify(encoder)}`, async () => {
      const { stats } = await trainOn({
        input_features: [{ name, type, encoder }, { name: "n2", column: "n", type: "number" }],
        output_features: [{ name: "y_num", type: "number" }],
      }, 1);
      finite(stats);
    });
  }
});

Deno.test("tied input features share one encoder", async () => {
  const { model } = await trainOn({
    input_features: [
      { name: "c", type: "category", encoder: { type: "dense", embedding_size: 4 } },
      {
        name: "c2",
        column: "c",
        type: "category",
        tied: "c",
        encoder: { type: "dense", embedding_size: 4 },
      },
    ],
    output_features: [{ name: "y_cat", type: "category" }],
  }, 1);
  const embeddings = model.tfModel!.weights.filter((w) => w.name.includes("embedding"));
  equal(embeddings.length, 1, embeddings.map((w) => w.name).join(", "));
});

const LOSS_VARIANTS: [string, Obj, Obj?][] = [
  ["y_bin", {
    type: "binary_weighted_cross_entropy",
    positive_class_weight: 2,
    robust_lambda: 0.1,
    confidence_penalty: 0.1,
  }],
  ["y_cat", {
    type: "softmax_cross_entropy",
    class_weights: [1, 2, 1],
    robust_lambda: 0.1,
    confidence_penalty: 0.1,
  }],
  ["y_cat", { type: "softmax_cross_entropy", class_weights: { low: 2 } }],
  ["y_cat", {
    type: "softmax_cross_entropy",
    class_similarities: [[1, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 1]],
    class_similarities_temperature: 1,
  }],
  ["y_cat", { type: "corn" }],
  ["y_num", { type: "mean_squared_error" }],
  ["y_num", { type: "mean_absolute_error" }],
  ["y_num", { type: "mean_absolute_percentage_error" }],
  ["y_num", { type: "root_mean_squared_error" }],
  ["y_num", { type: "root_mean_squared_percentage_error" }],
  ["y_num", { type: "huber", delta: 0.5 }],
  ["y_set", { type: "sigmoid_cross_entropy", class_weights: [1, 1, 2, 1, 1] }],
  ["y_vec", { type: "huber" }],
  ["y_vec", { type: "mean_absolute_error" }],
];

Deno.test("every loss of the tabular output types trains", async (t) => {
  const types: Record<string, string> = {
    y_bin: "binary",
    y_cat: "category",
    y_num: "number",
    y_set: "set",
    y_vec: "vector",
  };
  for (const [name, loss] of LOSS_VARIANTS) {
    await t.step(`${name} ${JSON.stringify(loss)}`, async () => {
      const { stats } = await trainOn({
        input_features: [{ name: "n", type: "number" }, { name: "c", type: "category" }],
        output_features: [{ name, type: types[name], loss }],
      }, 1);
      finite(stats);
    });
  }
});

Deno.test("class weights and similarities must match the classes", async () => {
  const config = (loss: Obj) => ({
    input_features: [{ name: "n", type: "number" }],
    output_features: [{ name: "y_cat", type: "category", loss }],
  });
  for (
    const loss of [
      { type: "softmax_cross_entropy", class_weights: [1, 2] },
      { type: "softmax_cross_entropy", class_weights: { nope: 2 } },
      {
        type: "softmax_cross_entropy",
        class_similarities: [[1, 0], [0, 1]],
        class_similarities_temperature: 1,
      },
    ]
  ) {
    const error = await trainOn(config(loss), 1).then(() => undefined, (e: Error) => e);
    ok(error instanceof RangeError && /^Cannot train/.test(error.message), String(error));
  }
});

Deno.test("output dependencies, reductions, regularization and clipping options train", async () => {
  const { stats } = await trainOn({
    input_features: [{ name: "n", type: "number" }, { name: "c", type: "category" }],
    output_features: [
      { name: "y_num", type: "number", decoder: { num_fc_layers: 1, fc_output_size: 8 } },
      { name: "y_bin", type: "binary", dependencies: ["y_num"], threshold: 0.4 },
    ],
    trainer: {
      regularization_type: "l1_l2",
      regularization_lambda: 0.001,
      gradient_clipping: { clipglobalnorm: 1, clipvalue: 0.5 },
      optimizer: { type: "sgd", momentum: 0.9, nesterov: true },
      learning_rate_scheduler: { decay: "exponential", decay_steps: 5, warmup_fraction: 0.2 },
      evaluate_training_set: true,
    },
  }, 2);
  finite(stats);
});

Deno.test("every tabular combiner trains through the Model API and saves/loads", async (t) => {
  const combiners: Obj[] = [
    { type: "tabnet", size: 8, output_size: 8, num_steps: 2, bn_virtual_bs: 16 },
    { type: "transformer", hidden_size: 8, num_heads: 2, transformer_output_size: 16 },
    { type: "tabtransformer", hidden_size: 8, num_heads: 2, embed_input_feature_name: "add" },
    { type: "comparator", entity_1: ["n", "c"], entity_2: ["v", "b"], output_size: 8 },
    { type: "project_aggregate", projection_size: 8, output_size: 8 },
  ];
  for (const combiner of combiners) {
    await t.step(combiner.type as string, async () => {
      const { model, stats } = await trainOn({
        input_features: [
          { name: "n", type: "number" },
          { name: "c", type: "category" },
          { name: "v", type: "vector" },
          { name: "b", type: "binary" },
        ],
        output_features: [{ name: "y_cat", type: "category" }],
        combiner,
      }, 2);
      finite(stats);
      const dir = await Deno.makeTempDir();
      await model.save(dir);
      const loaded = await Model.load(dir);
      const a = (await model.predict(DATA.slice(0, 8))).predictions.columns.y_cat_probability;
      const b = (await loaded.predict(DATA.slice(0, 8))).predictions.columns.y_cat_probability;
      equal(JSON.stringify(a), JSON.stringify(b));
      await Deno.remove(dir, { recursive: true });
    });
  }
});
