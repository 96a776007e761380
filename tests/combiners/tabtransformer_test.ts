import assert from "node:assert/strict";
import { FeatureNameEmbedding } from "../../lib/combiners/_tabtransformer_impl.ts";
import { MultiHeadSelfAttention } from "../../lib/model/_attention.ts";
import { buildModel, contract, cpu, type FeatureSpec } from "../_harness.ts";

const SMALL = {
  type: "tabtransformer",
  hidden_size: 8,
  num_heads: 2,
  transformer_output_size: 8,
  output_size: 6,
};

Deno.test("tabtransformer: default concat reduction, numbers layer-normed, FC stack", async () => {
  // tokens: cat and seq (2 × 8) + 3 numbers → FC
  const { model } = await contract({ ...SMALL, num_fc_layers: 1 }, { expectedShape: [6] });
  const norm = model.model.layers.find((l) => l.name.includes("numeric_norm"))!;
  assert.deepEqual(norm.outputShape, [null, 3]);
  const attention = model.model.layers.find((l) => l instanceof MultiHeadSelfAttention)!;
  assert.deepEqual(attention.outputShape, [null, 2, 8]);
});

Deno.test("tabtransformer: embed_input_feature_name add", async () => {
  const { model } = await contract({ ...SMALL, embed_input_feature_name: "add" }, {
    expectedShape: [2 * 8 + 3],
  });
  const embed = model.model.layers.find((l) => l instanceof FeatureNameEmbedding)!;
  assert.deepEqual(embed.weights[0].shape, [2, 8]);
});

Deno.test("tabtransformer: embed_input_feature_name width, mean reduction, residual FC", async () => {
  const { model } = await contract({
    ...SMALL,
    embed_input_feature_name: 3,
    reduce_output: "mean",
    num_fc_layers: 2,
    output_size: 11,
    fc_residual: true,
    norm: "batch",
  }, { expectedShape: [11] });
  const project = model.model.layers.find((l) => l.name.includes("project_cat"))!;
  assert.deepEqual(project.outputShape, [null, 5]);
  const embed = model.model.layers.find((l) => l instanceof FeatureNameEmbedding)!;
  assert.deepEqual(embed.outputShape, [null, 2, 8]);
});

Deno.test("tabtransformer: embed_input_feature_name must be smaller than hidden_size", async () => {
  await cpu();
  await assert.rejects(
    () => buildModel({ ...SMALL, embed_input_feature_name: 8 }),
    /embed_input_feature_name \(8\) must be smaller than hidden_size \(8\)/,
  );
});

Deno.test("tabtransformer: reduce_output null repeats the numeric part on each token", async () => {
  await cpu();
  const { model, combined } = await buildModel({ ...SMALL, reduce_output: null, num_fc_layers: 1 });
  assert.deepEqual(combined.shape, [null, 2, 6]);
  model.dispose();
});

Deno.test("tabtransformer: only numbers, or only categorical features", async (t) => {
  const numbers: FeatureSpec[] = [
    { name: "a", type: "number", shape: [1] },
    { name: "b", type: "binary", shape: [1] },
  ];
  const categories: FeatureSpec[] = [
    { name: "c1", type: "category", shape: [4] },
    { name: "c2", type: "set", shape: [6] },
  ];
  await t.step("numbers", async () => {
    const { model } = await contract({ ...SMALL, num_fc_layers: 1 }, {
      features: numbers,
      expectedShape: [6],
    });
    assert.ok(!model.model.layers.some((l) => l instanceof MultiHeadSelfAttention));
  });
  await t.step("one number: no layer norm", async () => {
    await cpu();
    const { model, combined } = await buildModel(SMALL, [numbers[0], categories[0]]);
    assert.ok(!model.layers.some((l) => l.name.includes("numeric_norm")));
    assert.deepEqual(combined.shape, [null, 9]);
    model.dispose();
  });
  await t.step("categories", async () => {
    await contract({ ...SMALL, reduce_output: "sum" }, {
      features: categories,
      expectedShape: [8],
    });
  });
});
