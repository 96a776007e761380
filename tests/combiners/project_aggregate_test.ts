import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { buildModel, contract, cpu } from "../_harness.ts";

Deno.test("project_aggregate: defaults (residual, layer norm) at small sizes", async () => {
  const { model } = await contract({
    type: "project_aggregate",
    projection_size: 8,
    output_size: 8,
  }, { expectedShape: [8] });
  const layers = model.model.layers;
  assert.equal(layers.filter((l) => l.name.includes("residual")).length, 2);
  assert.equal(layers.filter((l) => l.getClassName() === "LayerNormalization").length, 2);
  assert.equal(layers.filter((l) => l.name.includes("project_")).length, 5);
});

Deno.test("project_aggregate: no residual where sizes differ, batch norm, dropout", async () => {
  const { model } = await contract({
    type: "project_aggregate",
    projection_size: 8,
    output_size: 5,
    num_fc_layers: 2,
    residual: true,
    norm: "batch",
    dropout: 0.1,
  }, { expectedShape: [5] });
  // first layer 8 → 5 has no skip; second 5 → 5 has one
  assert.equal(model.model.layers.filter((l) => l.name.includes("residual")).length, 1);
});

Deno.test("project_aggregate: aggregate is the mean of the projections", async () => {
  await cpu();
  const { model } = await buildModel({
    type: "project_aggregate",
    projection_size: 4,
    num_fc_layers: 0,
  });
  const xs = model.inputs.map((i) => tf.ones([2, ...(i.shape.slice(1) as number[])]));
  const projections = model.layers.filter((l) => l.name.includes("project_"));
  const probe = tf.model({
    inputs: model.inputs,
    outputs: [
      ...projections.map((l) => l.output as tf.SymbolicTensor),
      model.layers.find((l) => l.name.includes("aggregate"))!.output as tf.SymbolicTensor,
    ],
  });
  const outs = probe.predict(xs) as tf.Tensor[];
  const mean = tf.div(tf.addN(outs.slice(0, -1)), projections.length);
  assert.ok(tf.max(tf.abs(tf.sub(mean, outs[outs.length - 1]))).dataSync()[0] < 1e-6);
  tf.dispose([...xs, ...outs, mean]);
  model.dispose();
});
