import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { EntityComparison } from "../../lib/combiners/_comparator_impl.ts";
import { buildModel, contract, cpu, type FeatureSpec } from "../_harness.ts";

const ENTITIES = { entity_1: ["n1", "cat"], entity_2: ["n2", "n3", "seq"] };

Deno.test("comparator: output size is 2·output_size + 2", async () => {
  const { model } = await contract({ type: "comparator", ...ENTITIES, output_size: 6 }, {
    expectedShape: [14],
  });
  // separate towers
  const dense = model.model.layers.filter((l) => l.getClassName() === "Dense" && l.name !== "head");
  assert.equal(dense.length, 2);
  assert.notEqual(dense[0].name, dense[1].name);
});

Deno.test("comparator: per-layer fc_layers, norm and dropout; last layer sets the size", async () => {
  await contract({
    type: "comparator",
    ...ENTITIES,
    fc_layers: [{ output_size: 10 }, { output_size: 4, activation: "tanh" }],
    norm: "layer",
    dropout: 0.1,
  }, { expectedShape: [10] });
});

Deno.test("comparator: zero FC layers compares equal-size raw encodings", async () => {
  const features: FeatureSpec[] = [
    { name: "a", type: "vector", shape: [4] },
    { name: "b", type: "vector", shape: [4] },
  ];
  await contract({ type: "comparator", entity_1: ["a"], entity_2: ["b"], num_fc_layers: 0 }, {
    features,
    expectedShape: [10],
  });
  await cpu();
  await assert.rejects(
    () =>
      buildModel({ type: "comparator", entity_1: ["n1"], entity_2: ["cat"], num_fc_layers: 0 }, [
        { name: "n1", type: "number", shape: [1] },
        { name: "cat", type: "category", shape: [8] },
      ]),
    /entity_1 gives \[batch, 1\] and entity_2 \[batch, 8\]/,
  );
});

Deno.test("comparator: entity names are checked against the inputs", async () => {
  await cpu();
  await assert.rejects(
    () => buildModel({ type: "comparator", entity_1: ["n1", "nope"], entity_2: ["n2"] }),
    /combiner.entity_1 names "nope", which is not an input feature/,
  );
  await assert.rejects(
    () => buildModel({ type: "comparator", entity_1: ["n1"], entity_2: ["n2"] }),
    /input features "n3", "cat", "seq" are in neither combiner.entity_1 nor combiner.entity_2/,
  );
});

Deno.test("comparator: comparison values", async () => {
  await cpu();
  const layer = new EntityComparison({ initializerSpec: "ones", seed: 1 });
  const e1 = tf.tensor2d([[1, 2]]);
  const e2 = tf.tensor2d([[3, -1]]);
  const out = layer.apply([e1, e2]) as tf.Tensor;
  // dot 1, product [3, -2], |diff| [2, 3], bilinear with W = ones: (1 + 2)(3 − 1) = 6
  assert.deepEqual(out.arraySync(), [[1, 3, -2, 2, 3, 6]]);
  tf.dispose([e1, e2, out]);
  layer.dispose();
});
