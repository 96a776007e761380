import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { withTeacherTargets } from "../../lib/decoders/_generator_impl.ts";
import {
  cpu,
  decoderContext,
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
const H = 16;

async function build(config: Record<string, unknown>, hidden = H) {
  const impl = await loadImpl("generator");
  const input = tf.input({ shape: [hidden] });
  const out = (await impl.build(
    resolve({ type: "generator", ...config }),
    sequenceContext("words", 3, L),
  ))(input);
  return tf.model({ inputs: input, outputs: out });
}

/**
 * Hidden states that name a token and a count, and targets `<SOS> token×count <EOS> <PAD>…`
 * (count 1..3).
 */
function data(n: number, seed: number) {
  const rand = random(seed);
  const x = new Float32Array(n * H);
  const y = new Int32Array(n * L).fill(2);
  for (let r = 0; r < n; r++) {
    const token = Math.floor(rand() * 3);
    const count = 1 + Math.floor(rand() * 3);
    x[r * H + token] = 1;
    x[r * H + 3 + count] = 1;
    y[r * L] = 1;
    for (let t = 1; t <= count; t++) y[r * L + t] = 4 + token;
    y[r * L + count + 1] = 0;
  }
  return { x: tf.tensor2d(x, [n, H]), y: tf.tensor2d(y, [n, L], "int32") };
}

Deno.test("generator: logits [batch, max_sequence_length, vocab] for every cell type", async (t) => {
  await cpu();
  for (const cell_type of ["rnn", "gru", "lstm"]) {
    await t.step(cell_type, async () => {
      const model = await build({ cell_type, num_layers: 2 });
      assert.deepEqual(model.outputs[0].shape, [null, L, V]);
      const x = tf.randomNormal([3, H], 0, 1, "float32", 1);
      const out = model.predict(x) as tf.Tensor;
      assert.deepEqual(out.shape, [3, L, V]);
      assert.ok(Number.isFinite(tf.sum(out).dataSync()[0]));
      tf.dispose([x, out]);
      model.dispose();
    });
  }
});

Deno.test("generator: a sequence-shaped hidden state is an error (set reduce_input)", async () => {
  await cpu();
  const impl = await loadImpl("generator");
  await assert.rejects(
    async () =>
      (await impl.build(
        resolve({ type: "generator" }),
        decoderContext({
          scope: "words",
          seed: 1,
          outputSize: V,
          metadata: { max_sequence_length: L },
        }),
      ))(tf.input({ shape: [L, H] })),
    /expected a hidden state \[batch, hidden\], received \[batch, 6, 16\]: set reduce_input/,
  );
});

Deno.test("generator: greedy decoding emits <PAD> after <EOS>", async () => {
  await cpu();
  const model = await build({ cell_type: "gru" });
  const layer = model.layers.find((l) => l.getClassName() === "SonataSequenceGenerator")!;
  // Make <EOS> the argmax at the first step through the output bias.
  const weights = layer.getWeights();
  const biasAt = layer.weights.findIndex((w) => w.name.includes("output_bias"));
  const bias = new Float32Array(V);
  bias[0] = 100;
  const newBias = tf.tensor1d(bias);
  weights[biasAt] = newBias;
  layer.setWeights(weights);
  const x = tf.randomNormal([4, H], 0, 1, "float32", 2);
  const ids = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, -1).arraySync()) as number[][];
  for (const row of ids) assert.deepEqual(row, [0, 2, 2, 2, 2, 2]);
  tf.dispose([x, newBias]);
  model.dispose();
});

Deno.test("generator: teacher forcing trains; greedy decoding then reproduces the targets", async () => {
  await cpu();
  const model = await build({ cell_type: "gru" });
  const loss = sequenceCrossEntropy("words");
  const train = data(96, 4);
  const optimizer = tf.train.adam(0.03);
  const losses: number[] = [];
  for (let step = 0; step < 80; step++) {
    const value = optimizer.minimize(
      () =>
        withTeacherTargets(
          { words: train.y },
          () => loss(model.apply(train.x, { training: true }) as tf.Tensor, train.y),
        ),
      true,
    )!;
    losses.push(value.dataSync()[0]);
    value.dispose();
  }
  assert.ok(losses.at(-1)! < losses[0] / 10, `loss ${losses[0]} → ${losses.at(-1)}`);

  // Teacher forcing applies only in training with targets: inference decodes greedily.
  const forced = tf.tidy(() =>
    withTeacherTargets(
      { words: train.y },
      () => model.apply(train.x, { training: true }) as tf.Tensor,
    )
  );
  const greedy = model.predict(train.x) as tf.Tensor;
  assert.deepEqual(forced.shape, greedy.shape);

  const test = data(48, 5);
  const logits = model.predict(test.x) as tf.Tensor;
  const m = sequenceMetrics(logits, test.y, L);
  assert.ok(m.sequence_accuracy > 0.9, `sequence_accuracy ${m.sequence_accuracy}`);

  assert.ok((await reloadedDifference(model, test.x, logits)) < 1e-4);
  tf.dispose([train.x, train.y, test.x, test.y, forced, greedy, logits]);
  optimizer.dispose();
  model.dispose();
});
