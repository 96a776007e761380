// The compiled forward pass (lib/model/_fast_forward.ts) computes what model.apply computes:
// the same outputs bit for bit, in inference and training mode (seeded dropout, batch norm
// moving statistics), the same gradients under tf.variableGrads, the same auxiliary losses
// (TabNet's sparsity loss), for every tabular encoder, the combiners and a tied encoder.
import { deepEqual, equal, ok } from "node:assert/strict";
import { Model } from "../../mod.ts";
import { tf } from "../../lib/compute/mod.ts";
import { compileForward, forwardOf } from "../../lib/model/_fast_forward.ts";
import { resetDropoutSeeds } from "../../lib/model/layers.ts";
import { inputTensors } from "../../lib/train/evaluate.ts";
import type { Obj } from "./_types.ts";

const COLORS = ["red", "green", "blue", "black", "white"];
const TAGS = ["a", "b", "c", "d"];
const H3 = ["8928308280fffff", "8928308280bffff", "89283082807ffff", "89283082803ffff"];

function rows(n: number): Obj[] {
  let seed = 5;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, (_, i) => {
    const x = rand() * 4 - 2;
    const tags = TAGS.filter(() => rand() > 0.5);
    return {
      b: x > 0 ? "true" : "false",
      n: x,
      n2: rand(),
      c: COLORS[i % COLORS.length],
      s: tags.join(" "),
      g: `${tags.join(" ")} ${tags[0] ?? "a"}`,
      v: `${x.toFixed(3)} ${(x * x).toFixed(3)} ${rand().toFixed(3)}`,
      d: `2021-${String(1 + (i % 12)).padStart(2, "0")}-${String(1 + (i % 28)).padStart(2, "0")}`,
      h: H3[i % H3.length],
      t: ["good movie", "bad film", "great fun", "dull plot"][i % 4],
      y_cat: x < -0.7 ? "low" : x < 0.7 ? "mid" : "high",
      y_num: 3 * x,
    };
  });
}

const DATA = rows(64);

function bits(t: tf.Tensor): number[] {
  const v = t.dataSync();
  return Array.from(
    v instanceof Float32Array ? new Uint32Array(v.buffer, v.byteOffset, v.length) : v,
  );
}

function sameTensors(a: tf.Tensor[], b: tf.Tensor[], what: string) {
  equal(a.length, b.length, `${what}: count`);
  a.forEach((x, i) => {
    deepEqual(x.shape, b[i].shape, `${what} ${i}: shape`);
    equal(x.dtype, b[i].dtype, `${what} ${i}: dtype`);
    deepEqual(bits(x), bits(b[i]), `${what} ${i}: values`);
  });
}

/** Every weight's values (trainable or not: batch norm's moving statistics included). */
function weightBits(model: tf.LayersModel): number[][] {
  return model.getWeights().map(bits);
}

async function check(config: Obj) {
  const model = await Model.create({
    ...config,
    trainer: { epochs: 1, batch_size: 16, learning_rate: 0.01, ...(config.trainer as Obj ?? {}) },
  });
  const trained = await model.train({ dataset: DATA, skip_save_all: true, progress: false });
  const tfModel = model.tfModel!;
  const ecd = {
    model: tfModel,
    inputNames: model.config.input_features.map((f) => f.name),
    outputNames: model.config.output_features.map((f) => f.name),
  };
  const split = trained.preprocessed_data.training;
  const batch = Int32Array.from({ length: Math.min(24, split.numRows) }, (_, i) => i);
  const inputs = inputTensors(ecd, split, batch);
  const forward = compileForward(tfModel);
  ok(forward.compiled, "compiled (not the model.apply fallback)");
  const before = tf.memory().numTensors;
  const asList = (o: tf.Tensor | tf.Tensor[]) => Array.isArray(o) ? o : [o];

  // Inference.
  tf.tidy(() => {
    sameTensors(
      forward(inputs, false),
      asList(tfModel.apply(inputs, { training: false }) as tf.Tensor | tf.Tensor[]),
      "inference",
    );
    sameTensors(
      forward(inputs, false),
      asList(tfModel.predict(inputs, { batchSize: batch.length }) as tf.Tensor | tf.Tensor[]),
      "predict",
    );
  });

  // Training: outputs, auxiliary losses, gradients and state updates (batch norm statistics).
  const weights = tfModel.getWeights().map((w) => w.clone());
  const trainingPass = (run: () => tf.Tensor[]) => {
    tfModel.setWeights(weights);
    resetDropoutSeeds(3);
    let outputs: tf.Tensor[] = [];
    let aux: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      outputs = run().map((t) => tf.keep(t));
      let total = tf.scalar(0);
      for (const o of outputs) total = tf.add(total, tf.sum(tf.square(o)));
      aux = tfModel.calculateLosses().map((t) => tf.keep(t.clone()));
      for (const a of aux) total = tf.add(total, a);
      return total as tf.Scalar;
    });
    const names = Object.keys(grads).sort();
    const result = {
      outputs,
      aux,
      value,
      names,
      grads: names.map((n) => grads[n]),
      state: weightBits(tfModel),
    };
    return result;
  };
  const slow = trainingPass(() =>
    asList(tfModel.apply(inputs, { training: true }) as tf.Tensor | tf.Tensor[])
  );
  const fast = trainingPass(() => forward(inputs, true));
  sameTensors(fast.outputs, slow.outputs, "training outputs");
  sameTensors(fast.aux, slow.aux, "auxiliary losses");
  sameTensors([fast.value], [slow.value], "loss");
  deepEqual(fast.names, slow.names, "gradient names");
  sameTensors(fast.grads, slow.grads, "gradients");
  deepEqual(fast.state, slow.state, "weights after the pass");
  for (const r of [fast, slow]) tf.dispose([...r.outputs, ...r.aux, r.value, ...r.grads]);
  tfModel.setWeights(weights);
  tf.dispose(weights);
  // (A layer that adds a loss keeps its latest loss alive until the next pass.)
  if (fast.aux.length === 0) equal(tf.memory().numTensors, before, "tensors leaked");
  tf.dispose(inputs);
  equal(forwardOf(tfModel), forwardOf(tfModel), "compiled once per model");
  return { model, fast, slow };
}

const OUT = [{ name: "y_cat", type: "category" }, { name: "y_num", type: "number" }];

const ENCODERS: [string, string, Obj][] = [
  ["binary", "b", { type: "dense", output_size: 8 }],
  ["number", "n", { type: "dense", output_size: 8, num_layers: 2, norm: "batch" }],
  ["number", "n", {
    type: "dense",
    fc_layers: [{ output_size: 8, norm: "layer" }, { output_size: 4, activation: "tanh" }],
  }],
  ["category", "c", { type: "dense", embedding_size: 4, dropout: 0.3 }],
  ["category", "c", { type: "sparse" }],
  ["category", "c", { type: "onehot" }],
  // (category passthrough is left out: with these outputs its training diverges at step 1,
  // with or without the compiled pass.)
  ["set", "s", { type: "embed", embedding_size: 4, num_fc_layers: 1, output_size: 8 }],
  ["bag", "g", { type: "embed", embedding_size: 4 }],
  ["vector", "v", { type: "dense", output_size: 8 }],
  ["vector", "v", { type: "passthrough" }],
  ["date", "d", { type: "embed", embedding_size: 4 }],
  ["date", "d", { type: "wave" }],
  ["h3", "h", { type: "embed", embedding_size: 4 }],
  ["h3", "h", { type: "weighted_sum", should_softmax: true }],
  ["h3", "h", { type: "rnn", cell_type: "gru", hidden_size: 4 }],
];

Deno.test("the compiled forward pass equals model.apply for every tabular encoder", async (t) => {
  for (const [type, name, encoder] of ENCODERS) {
    await t.step(`${type} ${JSON.stringify(encoder)}`, async () => {
      await check({
        input_features: [{ name, type, encoder }, { name: "n2", type: "number" }],
        output_features: OUT,
        combiner: { type: "concat", fc_layers: [{ output_size: 8, dropout: 0.2 }] },
      });
    });
  }
});

const COMBINERS: Obj[] = [
  { type: "concat", num_fc_layers: 2, output_size: 8, norm: "batch", dropout: 0.2 },
  { type: "tabnet", size: 8, output_size: 8, num_steps: 2, sparsity: 0.001 },
  { type: "transformer", num_layers: 1, hidden_size: 8, num_heads: 2, transformer_output_size: 8 },
  {
    type: "tabtransformer",
    num_layers: 1,
    hidden_size: 8,
    num_heads: 2,
    embed_input_feature_name: 4,
  },
  { type: "project_aggregate", projection_size: 8 },
];

Deno.test("the compiled forward pass equals model.apply for the combiners", async (t) => {
  for (const combiner of COMBINERS) {
    await t.step(JSON.stringify(combiner), async () => {
      const { fast } = await check({
        input_features: [
          { name: "n", type: "number" },
          { name: "n2", type: "number" },
          { name: "c", type: "category", encoder: { type: "dense", embedding_size: 8 } },
          { name: "b", type: "binary" },
        ],
        output_features: OUT,
        combiner,
      });
      // TabNet's sparsity loss reaches calculateLosses() through the compiled pass too.
      if (combiner.type === "tabnet") ok(fast.aux.length > 0, "TabNet adds a loss");
    });
  }
});

Deno.test("the compiled forward pass runs a tied encoder's sub-model", async () => {
  const { model } = await check({
    input_features: [
      { name: "c", type: "category", encoder: { type: "dense", embedding_size: 4 } },
      {
        name: "c2",
        column: "c",
        type: "category",
        tied: "c",
        encoder: { type: "dense", embedding_size: 4 },
      },
      { name: "n", type: "number" },
    ],
    output_features: OUT,
  });
  ok(model.tfModel!.layers.some((l) => "layers" in l), "a nested model");
});

Deno.test("the compiled forward pass handles a sequence input", async () => {
  await check({
    input_features: [
      { name: "t", type: "text", encoder: { type: "parallel_cnn", embedding_size: 8 } },
      { name: "n", type: "number" },
    ],
    output_features: OUT,
  });
});
