import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { MultiHeadSelfAttention } from "../../lib/model/_attention.ts";
import { buildModel, contract, cpu, FEATURES } from "../_harness.ts";

const SMALL = {
  type: "transformer",
  hidden_size: 8,
  num_heads: 2,
  transformer_output_size: 8,
  output_size: 6,
};

Deno.test("transformer: mean reduction, FC stack with residual and norm", async () => {
  await contract({
    ...SMALL,
    num_fc_layers: 2,
    output_size: 8,
    fc_residual: true,
    norm: "layer",
    fc_activation: "tanh",
    fc_dropout: 0.1,
  }, { expectedShape: [8] });
});

Deno.test("transformer: two layers, no dropout, reduce_output null keeps the tokens", async () => {
  const { model } = await contract({ ...SMALL, num_layers: 2, dropout: 0, reduce_output: null }, {
    expectedShape: [FEATURES.length, 8],
  });
  assert.equal(model.model.layers.filter((l) => l instanceof MultiHeadSelfAttention).length, 2);
});

Deno.test("transformer: reduce modes sum, max, concat, attention and last", async (t) => {
  for (const reduce of ["sum", "max", "concat", "attention", "last"]) {
    await t.step(reduce, async () => {
      await cpu();
      const { model, combined } = await buildModel({
        ...SMALL,
        reduce_output: reduce,
        num_fc_layers: 1,
      });
      assert.deepEqual(combined.shape, [null, 6]);
      model.dispose();
    });
  }
  await contract({ ...SMALL, reduce_output: "concat" }, { expectedShape: [FEATURES.length * 8] });
});

Deno.test("transformer: heads must divide hidden_size", async () => {
  await cpu();
  await assert.rejects(
    () => buildModel({ ...SMALL, hidden_size: 6, num_heads: 4 }),
    /hidden_size \(6\) must be divisible by num_heads \(4\)/,
  );
});

Deno.test("transformer: attention matches a direct computation", async () => {
  await cpu();
  const layer = new MultiHeadSelfAttention({ hiddenSize: 4, numHeads: 2, seed: 1 });
  const x = tf.tensor3d([[[1, 0, 2], [0, 1, -1]]]);
  const y = layer.apply(x) as tf.Tensor;
  const [wq, bq, wk, bk, wv, bv, wo, bo] = layer.getWeights().map((w) =>
    w.arraySync() as number[][]
  );
  const rows = x.arraySync()[0];
  const lin = (r: number[], w: number[][], b: number[] | number[][]) =>
    (b as number[]).map((bj, j) => bj + r.reduce((s, ri, i) => s + ri * w[i][j], 0));
  const q = rows.map((r) => lin(r, wq, bq));
  const k = rows.map((r) => lin(r, wk, bk));
  const v = rows.map((r) => lin(r, wv, bv));
  const merged = rows.map(() => [0, 0, 0, 0]);
  for (const head of [0, 1]) {
    const cols = [2 * head, 2 * head + 1];
    for (let i = 0; i < 2; i++) {
      const s = [0, 1].map((j) => cols.reduce((acc, c) => acc + q[i][c] * k[j][c], 0) / Math.SQRT2);
      const e = s.map((z) => Math.exp(z - Math.max(...s)));
      const p = e.map((z) => z / (e[0] + e[1]));
      for (const c of cols) merged[i][c] = p[0] * v[0][c] + p[1] * v[1][c];
    }
  }
  const expected = merged.map((r) => lin(r, wo, bo));
  const got = (y.arraySync() as number[][][])[0];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(got[i][j] - expected[i][j]) < 1e-5);
  }
  tf.dispose([x, y]);
  layer.dispose();
});

Deno.test("transformer: fc_layers overrides, no bias, initializers, ghost norm params", async () => {
  const { model } = await contract({
    ...SMALL,
    fc_layers: [{ output_size: 7 }, { output_size: 5, activation: "elu" }],
    use_bias: false,
    weights_initializer: "kaiming_normal",
    norm: "ghost",
    norm_params: { virtual_batch_size: 8 },
  }, { expectedShape: [5] });
  const dense = model.model.layers.filter((l) => l.name.includes("/dense_"));
  assert.deepEqual(dense.map((l) => l.weights.length), [1, 1]);
  const ghosts = model.model.layers.filter((l) => l.getClassName() === "SonataGhostBatchNorm");
  assert.deepEqual(
    ghosts.map((g) => (g.getConfig() as { virtualBatchSize: number }).virtualBatchSize),
    [8, 8],
  );
});
