// The fused Adam kernel updates a variable's array in place only when nothing else can see it:
// the same values as new arrays, clones and read-out values untouched.
import assert from "node:assert/strict";
import { fusedAdam } from "../../lib/compute/mod.ts";
import { NO_NATIVE, rand, tf } from "./_compare.ts";

function storage(t: tf.Tensor): unknown {
  const backend = tf.backend() as unknown as { data: { get(id: object): { values: unknown } } };
  return backend.data.get(t.dataId).values;
}

/** Five steps on a [64, 64] weight; `hold` keeps a clone of it at each step. */
function train(hold: boolean) {
  const w = tf.tidy(() => tf.variable(rand([64, 64], 1)));
  const x = rand([8, 64], 2);
  const optimizer = fusedAdam(0.01);
  const held: tf.Tensor[] = [];
  const heldValues: Float32Array[] = [];
  const arrays = new Set<unknown>();
  for (let i = 0; i < 5; i++) {
    if (hold) {
      const c = w.clone();
      held.push(c);
      heldValues.push(new Float32Array(storage(c) as Float32Array));
    }
    optimizer.minimize(() => tf.matMul(x, w).square().mean() as tf.Scalar);
    if (i > 0) arrays.add(storage(w));
  }
  held.forEach((c, i) => assert.deepEqual(storage(c), heldValues[i], `clone ${i} untouched`));
  const read = w.dataSync();
  const copy = read.slice();
  optimizer.minimize(() => tf.matMul(x, w).square().mean() as tf.Scalar);
  assert.deepEqual(read, copy, "values read out are untouched");
  const final = w.dataSync().slice();
  optimizer.dispose();
  tf.dispose([w, x, ...held]);
  return { final, arrays: arrays.size };
}

Deno.test({
  name: "fusedAdam() on native updates in place only what nothing else sees",
  ignore: NO_NATIVE !== undefined,
  async fn() {
    await tf.setBackend("native");
    const before = tf.memory().numTensors;
    const free = train(false);
    const held = train(true);
    assert.equal(free.arrays, 1, "in place after the first step");
    assert.equal(held.arrays, 4, "new arrays while a clone holds the weight");
    assert.deepEqual(free.final, held.final);
    assert.equal(tf.memory().numTensors, before);
  },
});

Deno.test({
  name: "fusedAdam() on native equals tf.train.adam on native bit for bit (WebAssembly SIMD)",
  ignore: NO_NATIVE !== undefined,
  async fn() {
    await tf.setBackend("native");
    // 67 × 13: an odd length (the SIMD loop's last lanes are padding); 129 × 67: more than one
    // chunk of the module's memory, the last one partial.
    for (const [rows, cols] of [[67, 13], [129, 67]]) {
      assert.deepEqual(run(true, rows, cols), run(false, rows, cols), `${rows}×${cols}`);
    }
    function run(fused: boolean, rows: number, cols: number) {
      const w = tf.tidy(() => tf.variable(rand([rows, cols], 1)));
      const x = rand([8, rows], 2);
      const optimizer = fused ? fusedAdam(0.01) : tf.train.adam(0.01);
      for (let i = 0; i < 5; i++) {
        optimizer.minimize(() => tf.matMul(x, w).square().mean() as tf.Scalar);
      }
      const out = new Uint32Array(w.dataSync().slice().buffer);
      optimizer.dispose();
      tf.dispose([w, x]);
      return out;
    }
  },
});
