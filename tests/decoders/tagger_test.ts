import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import {
  cpu,
  loadImpl,
  random,
  reloadedDifference,
  resolve,
  sequenceContext,
  sequenceCrossEntropy,
  sequenceMetrics,
  V,
} from "./_helpers.ts";

const L = 6;
const H = 8;

/** Rows of step features [L, H] and their tags [L]: step k shows its tag in one of dims 1..3. */
function data(n: number, seed: number) {
  const rand = random(seed);
  const x = new Float32Array(n * L * H);
  const y = new Int32Array(n * L).fill(2);
  for (let r = 0; r < n; r++) {
    const len = 1 + Math.floor(rand() * (L - 2));
    const at = (t: number, d: number, v: number) => (x[(r * L + t) * H + d] = v);
    at(0, 0, 1);
    y[r * L] = 1;
    for (let t = 1; t <= len; t++) {
      const tag = Math.floor(rand() * 3);
      at(t, 1 + tag, 1);
      for (let d = 5; d < H; d++) at(t, d, rand() - 0.5);
      y[r * L + t] = 4 + tag;
    }
    at(len + 1, 4, 1);
    y[r * L + len + 1] = 0;
  }
  return { x: tf.tensor3d(x, [n, L, H]), y: tf.tensor2d(y, [n, L], "int32") };
}

async function build(config: Record<string, unknown>, steps = L, hidden = H) {
  const impl = await loadImpl("tagger");
  const input = tf.input({ shape: [steps, hidden] });
  const out = (await impl.build(
    resolve({ type: "tagger", ...config }),
    sequenceContext("tags", 7, L),
  ))(input);
  return tf.model({ inputs: input, outputs: out });
}

Deno.test("tagger: logits [batch, length, vocab], with and without attention", async () => {
  await cpu();
  for (
    const config of [{}, {
      use_attention: true,
      attention_embedding_size: 8,
      attention_num_heads: 2,
    }]
  ) {
    const model = await build(config);
    assert.deepEqual(model.outputs[0].shape, [null, L, V]);
    const { x, y } = data(3, 1);
    const out = model.predict(x) as tf.Tensor;
    assert.deepEqual(out.shape, [3, L, V]);
    tf.dispose([x, y, out]);
    model.dispose();
  }
});

Deno.test("tagger: a hidden state without a time axis or of another length is an error", async () => {
  await cpu();
  const impl = await loadImpl("tagger");
  const ctx = sequenceContext("tags", 1, L);
  await assert.rejects(
    async () => (await impl.build(resolve({ type: "tagger" }), ctx))(tf.input({ shape: [H] })),
    /tagger decoder of output feature "tags": expected a hidden state \[batch, length, hidden\], received \[batch, 8\]/,
  );
  await assert.rejects(
    async () =>
      (await impl.build(resolve({ type: "tagger" }), ctx))(tf.input({ shape: [L + 2, H] })),
    /has 8 steps \[batch, 8, 8\], but the output sequences have max_sequence_length 6/,
  );
});

Deno.test("tagger: trains to high token accuracy; save→load predicts the same", async () => {
  await cpu();
  const model = await build({
    use_attention: true,
    attention_embedding_size: 8,
    attention_num_heads: 2,
  });
  const loss = sequenceCrossEntropy("tags");
  const train = data(96, 2);
  const optimizer = tf.train.adam(0.03);
  const baseline = tf.memory().numTensors;
  const losses: number[] = [];
  for (let step = 0; step < 60; step++) {
    const value = optimizer.minimize(
      () => loss(model.apply(train.x, { training: true }) as tf.Tensor, train.y),
      true,
    )!;
    losses.push(value.dataSync()[0]);
    value.dispose();
  }
  assert.ok(losses.at(-1)! < losses[0] / 5, `loss ${losses[0]} → ${losses.at(-1)}`);
  assert.ok(tf.memory().numTensors <= baseline + 64, "no tensor leak per step");

  const test = data(64, 3);
  const logits = model.predict(test.x) as tf.Tensor;
  const m = sequenceMetrics(logits, test.y, L);
  assert.ok(m.token_accuracy > 0.95, `token_accuracy ${m.token_accuracy}`);

  assert.ok((await reloadedDifference(model, test.x, logits)) < 1e-5);
  tf.dispose([train.x, train.y, test.x, test.y, logits]);
  optimizer.dispose();
  model.dispose();
});
