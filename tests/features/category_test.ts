import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import { postprocessPredictions, preprocessForPrediction } from "../../lib/features/preprocess.ts";
import { assertClose, assertDataError, config, train, values } from "./_helpers.ts";

const out = [{ name: "y", type: "binary" }];
const Y = [true, false, true, false, true, false];

Deno.test("category vocabularies follow Ludwig", async (t) => {
  await t.step("by frequency, no <UNK> unless needed", async () => {
    const r = await train(config([{ name: "c", type: "category" }], out), {
      c: ["b", "a", "b", "c", "b", "a"],
      y: Y,
    });
    assert.deepEqual(r.metadata.c.idx2str, ["b", "a", "c"]);
    assert.deepEqual({ ...(r.metadata.c.str2freq as object) }, { b: 3, a: 2, c: 1 });
    assert.equal(r.metadata.c.vocab_size, 3);
    assert.deepEqual(values(r, "c"), [0, 1, 0, 2, 0, 1]);
    assert.equal(r.training.columns.c.dtype, "int32");
  });
  await t.step("most_common cuts and adds <UNK> at 0", async () => {
    const f = { name: "c", type: "category", preprocessing: { most_common: 2 } };
    const r = await train(config([f], out), { c: ["b", "a", "b", "c", "b", "a"], y: Y });
    assert.deepEqual(r.metadata.c.idx2str, ["<UNK>", "b", "a"]);
    assert.deepEqual(values(r, "c"), [1, 2, 1, 0, 1, 2]);
  });
  await t.step("lowercase", async () => {
    const f = { name: "c", type: "category", preprocessing: { lowercase: true } };
    const r = await train(config([f], out), { c: ["A", "a", "B", "b", "a", "b"], y: Y });
    assert.deepEqual(r.metadata.c.idx2str, ["a", "b"]);
  });
  await t.step("an output needs 2 classes", async () => {
    await assertDataError(
      () =>
        train(config([{ name: "y", type: "binary" }], [{ name: "c", type: "category" }]), {
          c: ["a", "a", "a", "a", "a", "a"],
          y: Y,
        }),
      'Cannot preprocess data: column "c": expected at least 2 distinct values for a category output feature, found "a"',
    );
  });
});

Deno.test("category missing values", async (t) => {
  const c = ["a", null, "b", "a", "", "c"];
  const run = (strategy: string, extra: Record<string, unknown> = {}) =>
    train(
      config([{
        name: "c",
        type: "category",
        preprocessing: { missing_value_strategy: strategy, ...extra },
      }], out),
      { c, y: Y },
    );
  await t.step("fill_with_const <UNK> (input default)", async () => {
    const r = await run("fill_with_const");
    assert.deepEqual(r.metadata.c.idx2str, ["a", "<UNK>", "b", "c"]);
    assert.deepEqual(values(r, "c"), [0, 1, 2, 0, 1, 3]);
  });
  await t.step("fill_with_const, mode, bfill, ffill, drop_row", async () => {
    const k = await run("fill_with_const", { fill_value: "zz" });
    assert.deepEqual(k.raw.training.column("c"), c);
    assert.deepEqual((k.metadata.c.idx2str as string[]).includes("zz"), true);
    const m = await run("fill_with_mode");
    assert.deepEqual(m.metadata.c.idx2str, ["a", "b", "c"]);
    assert.deepEqual(values(m, "c"), [0, 0, 1, 0, 0, 2]);
    assert.deepEqual(values(await run("bfill"), "c"), [0, 1, 1, 0, 2, 2]);
    assert.deepEqual(values(await run("ffill"), "c"), [0, 0, 1, 0, 0, 2]);
    const d = await run("drop_row");
    assert.deepEqual(values(d, "y"), [1, 1, 0, 0]);
  });
});

Deno.test("unseen categories at prediction map to <UNK> or the most frequent value", async () => {
  const cfg = config([{ name: "c", type: "category" }], out);
  const withUnk = await train(cfg, { c: ["a", null, "b", "a", "b", "c"], y: Y });
  const p = await preprocessForPrediction(
    cfg,
    withUnk.metadata,
    Dataset.fromColumns({ c: ["b", "new", null] }),
  );
  const unk = (withUnk.metadata.c.idx2str as string[]).indexOf("<UNK>");
  const b = (withUnk.metadata.c.idx2str as string[]).indexOf("b");
  assert.deepEqual(Array.from(p.split.columns.c.data), [b, unk, unk]);
  const noUnk = await train(cfg, { c: ["a", "b", "b", "a", "b", "c"], y: Y });
  const q = await preprocessForPrediction(cfg, noUnk.metadata, Dataset.fromColumns({ c: ["new"] }));
  assert.deepEqual(Array.from(q.split.columns.c.data), [0]); // "b", the most frequent
});

Deno.test("category postprocessing", async () => {
  const cfg = config([{ name: "x", type: "number" }], [{ name: "c", type: "category", top_k: 2 }]);
  const r = await train(cfg, { c: ["b", "a", "b", "c", "b", "a"], x: [1, 2, 3, 4, 5, 6] });
  const cols = postprocessPredictions(cfg, r.metadata, {
    c: { logits: new Float32Array([0, 0, Math.log(2), 5, 0, 0]), shape: [2, 3] },
  });
  assert.deepEqual(cols.c_predictions, ["c", "b"]);
  assertClose(cols.c_probabilities_c as number[], [0.5, 1 / (2 + Math.exp(5))]);
  assertClose(cols.c_probability as number[], [0.5, Math.exp(5) / (2 + Math.exp(5))]);
  assert.deepEqual(cols.c_predictions_top_k, [["c", "b"], ["b", "a"]]);
  assertClose((cols.c_probabilities as number[][])[0], [0.25, 0.25, 0.5]);
});

Deno.test("set and bag encode multi-hot and counts", async (t) => {
  await t.step("set", async () => {
    const r = await train(config([{ name: "s", type: "set" }], out), {
      s: ["x y", "y", "y z", "x", null, "y y"],
      y: Y,
    });
    assert.deepEqual(r.metadata.s.idx2str, ["y", "x", "z", "<UNK>"]);
    assert.equal(r.metadata.s.max_set_size, 2);
    assert.deepEqual(r.training.columns.s.shape, [4]);
    assert.deepEqual(values(r, "s").slice(0, 12), [1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0]);
    assert.deepEqual(values(r, "s").slice(16, 24), [0, 0, 0, 1, 1, 0, 0, 0]);
    const p = await preprocessForPrediction(
      config([{ name: "s", type: "set" }], out),
      r.metadata,
      Dataset.fromColumns({ s: ["q x"] }),
    );
    assert.deepEqual(Array.from(p.split.columns.s.data), [0, 1, 0, 1]);
  });
  await t.step("bag", async () => {
    const r = await train(config([{ name: "b", type: "bag" }], out), {
      b: ["x y x", "y", "x", "x", "y", "z"],
      y: Y,
    });
    assert.deepEqual(r.metadata.b.idx2str, ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "x", "y", "z"]);
    assert.deepEqual(values(r, "b").slice(0, 7), [0, 0, 0, 0, 2, 1, 0]);
  });
  await t.step("set output postprocessing", async () => {
    const cfg = config([{ name: "x", type: "number" }], [{
      name: "s",
      type: "set",
      threshold: 0.5,
    }]);
    const r = await train(cfg, { s: ["a b", "a", "b", "a", "a b", "b"], x: [1, 2, 3, 4, 5, 6] });
    const idx2str = r.metadata.s.idx2str as string[];
    const logits = new Float32Array(idx2str.map((l) => (l === "a" ? 2 : -2)));
    const cols = postprocessPredictions(cfg, r.metadata, {
      s: { logits, shape: [1, idx2str.length] },
    });
    assert.deepEqual(cols.s_predictions, [["a"]]);
    assertClose((cols.s_probabilities as number[][])[0], [1 / (1 + Math.exp(-2))]);
  });
});
