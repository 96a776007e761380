import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { SequenceLengthMask } from "../../lib/combiners/_sequence_concat_impl.ts";
import { buildModel, contract, cpu, FEATURES, type FeatureSpec } from "../_harness.ts";

const TWO_SEQUENCES: FeatureSpec[] = [
  { name: "n1", type: "number", shape: [1] },
  { name: "s1", type: "sequence", shape: [5, 4] },
  { name: "cat", type: "category", shape: [3] },
  { name: "s2", type: "text", shape: [5, 2] },
];

Deno.test("sequence_concat: vectors tiled on the first sequence, kept as a sequence", async () => {
  // seq [5, 8] + n1, n2, n3 (1 each) + cat (8) → [5, 19]
  await contract({ type: "sequence_concat" }, { expectedShape: [5, 19] });
});

Deno.test("sequence_concat: reduce modes", async (t) => {
  for (
    const [mode, shape] of [["sum", [19]], ["mean", [19]], ["concat", [95]], ["last", [
      19,
    ]]] as const
  ) {
    await t.step(mode, async () => {
      await cpu();
      const { model, combined } = await buildModel({
        type: "sequence_concat",
        reduce_output: mode,
      });
      assert.deepEqual(combined.shape.slice(1), shape);
      model.dispose();
    });
  }
  await contract({ type: "sequence_concat", reduce_output: "max" }, { expectedShape: [19] });
});

Deno.test("sequence_concat: main_sequence_feature picks the time axis and goes first", async () => {
  await cpu();
  const { model, combined } = await buildModel(
    { type: "sequence_concat", main_sequence_feature: "s2" },
    TWO_SEQUENCES,
  );
  assert.deepEqual(combined.shape, [null, 5, 2 + 1 + 4 + 3]);
  const concat = model.layers.find((l) => l.getClassName() === "Concatenate")!;
  const sources = concat.inboundNodes[0].inboundLayers.map((l) => l.name);
  assert.equal(sources[0], "s2");
  assert.match(sources[1], /repeat_n1/);
  assert.equal(sources[2], "s1");
  assert.match(sources[3], /repeat_cat/);
  model.dispose();
});

Deno.test("sequence_concat: sequences of different lengths are an error", async () => {
  await cpu();
  await assert.rejects(
    () =>
      buildModel({ type: "sequence_concat" }, [
        { name: "s1", type: "sequence", shape: [5, 4] },
        { name: "s2", type: "sequence", shape: [7, 4] },
      ]),
    /input feature "s2" gives a sequence of length 7 \[batch, 7, 4\], but the main sequence feature "s1" has length 5/,
  );
  await assert.rejects(
    () => buildModel({ type: "sequence_concat" }, FEATURES.slice(0, 4)),
    /no input feature gives a sequence/,
  );
  await assert.rejects(
    () => buildModel({ type: "sequence_concat", main_sequence_feature: "n1" }),
    /main_sequence_feature "n1" gives \[batch, 1\]: expected a sequence/,
  );
  await assert.rejects(
    () => buildModel({ type: "sequence_concat", main_sequence_feature: "nope" }),
    /main_sequence_feature "nope" is not an input feature/,
  );
});

Deno.test("sequence_concat: steps past the main sequence's length are zeroed", async () => {
  await cpu();
  const layer = new SequenceLengthMask({});
  // lengths 2 and 3 (trailing all-zero steps are padding)
  const main = tf.tensor3d([[[1, 0], [0, -2], [0, 0]], [[1, 1], [0, 3], [4, 0]]]);
  const combined = tf.ones([2, 3, 3]);
  const out = layer.apply([main, combined]) as tf.Tensor;
  assert.deepEqual(out.sum(2).arraySync(), [[3, 3, 0], [3, 3, 3]]);
  tf.dispose([main, combined, out]);
});
