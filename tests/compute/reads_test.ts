// readAll: the host values of several tensors, in order, packed into one read or not.
import assert from "node:assert/strict";
import { readAll, ready, tf } from "../../lib/compute/mod.ts";

Deno.test("readAll returns every tensor's values in order, packed or not", async () => {
  await ready({ compute: "cpu", quiet: true });
  const tensors = [
    tf.scalar(0.25),
    tf.tensor2d([[1, 2, 3], [4, 5, 6]]),
    tf.tensor1d([7, -8], "int32"),
    tf.zeros([0, 3]),
    tf.tensor3d([[[9.5]], [[-10.5]]]),
    tf.tensor1d([true, false], "bool"),
  ];
  const expected = await Promise.all(tensors.map((t) => t.data()));
  for (const pack of [false, true]) {
    const before = tf.memory().numTensors;
    const got = await readAll(tensors, { pack });
    assert.equal(tf.memory().numTensors, before, `pack ${pack}: no tensor left behind`);
    assert.equal(got.length, tensors.length);
    got.forEach((values, i) => {
      assert.deepEqual(Array.from(values), Array.from(expected[i]), `pack ${pack}, tensor ${i}`);
      // int32 and bool tensors keep their own arrays; float32 ones are float32 arrays.
      assert.equal(values.constructor, expected[i].constructor, `pack ${pack}, tensor ${i} type`);
    });
  }
  assert.deepEqual(await readAll([]), []);
  tf.dispose(tensors);
});

Deno.test("readAll refuses string tensors, saying so", async () => {
  await ready({ compute: "cpu", quiet: true });
  const s = tf.tensor1d(["a"], "string");
  await assert.rejects(() => readAll([s]), /Cannot read a string tensor with readAll/);
  s.dispose();
});
