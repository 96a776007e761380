/**
 * MNIST through the public API, from PNG files written from the `mnist` package (data.ts) and a
 * CSV with its fixed split. The fast case trains Ludwig's MNIST `stacked_cnn` config on 100
 * images per digit; `SONATA_SLOW=1` also runs the full 10,000 images and asserts Ludwig's ≥ 98%
 * test accuracy (measured figures in examples/mnist/README.md). No timing assertions.
 */
import assert from "node:assert/strict";
import { runMnist } from "../../examples/mnist/train.ts";

Deno.test("MNIST (100 images per digit): stacked_cnn learns the digits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_mnist_" });
  try {
    const config = new URL("../../examples/mnist/config.yaml", import.meta.url).pathname;
    const { parse } = await import("yaml");
    const parsed = parse(await Deno.readTextFile(config));
    parsed.trainer = { ...parsed.trainer, epochs: 6, batch_size: 32 };
    const run = await runMnist(dir, parsed, 100);
    assert.equal(run.train + run.test, 1000);
    assert.ok(run.accuracy >= 0.85, `test accuracy ${run.accuracy}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "MNIST (all 10,000 images): Ludwig's stacked_cnn reaches 98% test accuracy",
  ignore: Deno.env.get("SONATA_SLOW") !== "1",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sonata_mnist_" });
    try {
      const run = await runMnist(dir);
      assert.equal(run.train + run.test, 10000);
      assert.ok(run.accuracy >= 0.98, `test accuracy ${run.accuracy}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
