import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { buildWith } from "../../lib/combiners/_sequence_impl.ts";
import type { EncoderImpl, Symbolic } from "../../lib/model/component.ts";
import { reduceSequence } from "../../lib/model/reduce.ts";
import {
  buildModel,
  context,
  cpu,
  FEATURES,
  makeData,
  maxDiff,
  resolveCombiner as resolve,
  roundTrip,
  train,
} from "../_harness.ts";
import { encoderEntry } from "../../lib/config/components.ts";

Deno.test("sequence: an encoder without an implementation is an error at build time", async () => {
  await cpu();
  for (const type of ["parallel_cnn", "rnn", "transformer"]) {
    if (encoderEntry("sequence", type)?.load) continue; // implemented since
    await assert.rejects(
      () => buildModel({ type: "sequence", encoder: { type } }),
      new RegExp(`sequence encoder "${type}" is not implemented yet`),
    );
  }
});

Deno.test("sequence: the encoder runs on the concatenated sequence with should_embed false", async () => {
  await cpu();
  const seen: Record<string, unknown>[] = [];
  // A stand-in encoder: a dense layer per time step, then the requested reduction.
  const fake: EncoderImpl = {
    build(config, ctx) {
      seen.push({ ...config, metadata: ctx.metadata });
      return Promise.resolve((x: Symbolic) => {
        const h = tf.layers.dense({ units: 6, activation: "tanh", name: "fake_encoder" }).apply(
          x,
        ) as Symbolic;
        return reduceSequence(h, config.reduce_output, ctx);
      });
    },
  };
  const symbolic = FEATURES.map((f) => tf.input({ shape: f.shape, name: f.name }));
  const config = resolve({ type: "sequence", encoder: "rnn", reduce_output: "mean" });
  const combined = await buildWith(
    config as Parameters<typeof buildWith>[0],
    context({ scope: "combiner", seed: 1 }),
    FEATURES.map((f, i) => ({
      name: f.name,
      type: f.type,
      tensor: symbolic[i],
    })),
    fake,
  );
  assert.deepEqual(combined.shape, [null, 6]);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].type, "rnn");
  assert.equal(seen[0].should_embed, false);
  assert.equal(seen[0].reduce_output, "mean");
  assert.equal(seen[0].embedding_size, 19);
  assert.equal(seen[0].max_sequence_length, 5);
  assert.deepEqual(seen[0].metadata, { max_sequence_length: 5, embedding_size: 19 });
  const out = tf.layers.dense({ units: 1, name: "head" }).apply(combined) as Symbolic;
  const model = tf.model({ inputs: symbolic, outputs: out });
  const { xs, y } = makeData();
  const losses = train(model, xs, y, 15);
  assert.ok(Math.min(...losses.slice(-3)) < losses[0]);
  const loaded = await roundTrip(model);
  const [a, b] = [model.predict(xs) as tf.Tensor, loaded.predict(xs) as tf.Tensor];
  assert.ok(maxDiff(a, b) < 1e-5);
  tf.dispose([a, b, ...xs, y]);
  loaded.dispose();
  model.dispose();
});
