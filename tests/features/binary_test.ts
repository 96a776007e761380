import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import { postprocessPredictions, preprocessForPrediction } from "../../lib/features/preprocess.ts";
import { assertClose, assertDataError, config, train, values } from "./_helpers.ts";

const num = [{ name: "n", type: "number", preprocessing: { normalization: null } }];
const N = [1, 2, 3, 4, 5];

Deno.test("binary encodes conventional columns without a mapping", async () => {
  const r = await train(config([{ name: "b", type: "binary" }], num), {
    b: [true, false, "TRUE", "0", 1],
    n: N,
  });
  assert.deepEqual(values(r, "b"), [1, 0, 1, 0, 1]);
  assert.equal(r.metadata.b.str2bool, undefined);
  assert.equal(r.training.columns.b.dtype, "float32");
});

Deno.test("binary maps two labels with str2bool and bool2str like Ludwig", async (t) => {
  await t.step("boolean strings", async () => {
    const r = await train(config([{ name: "b", type: "binary" }], num), {
      b: ["yes", "no", "no", "yes", "yes"],
      n: N,
    });
    assert.deepEqual(values(r, "b"), [1, 0, 0, 1, 1]);
    assert.deepEqual(r.metadata.b.str2bool, { no: false, yes: true });
    assert.deepEqual(r.metadata.b.bool2str, ["no", "yes"]);
  });
  await t.step("unconventional labels: the first sorted label is true by default", async () => {
    const r = await train(config([{ name: "b", type: "binary" }], num), {
      b: ["spam", "ham", "spam", "ham", "ham"],
      n: N,
    });
    assert.deepEqual(values(r, "b"), [0, 1, 0, 1, 1]);
    assert.equal(r.metadata.b.fallback_true_label, "ham");
    assert.deepEqual(r.metadata.b.bool2str, ["spam", "ham"]);
  });
  await t.step("fallback_true_label", async () => {
    const f = { name: "b", type: "binary", preprocessing: { fallback_true_label: "spam" } };
    const r = await train(config([f], num), { b: ["spam", "ham", "spam", "ham", "ham"], n: N });
    assert.deepEqual(values(r, "b"), [1, 0, 1, 0, 0]);
    assert.deepEqual(r.metadata.b.bool2str, ["ham", "spam"]);
  });
  await t.step("more than 2 labels is an error", async () => {
    await assertDataError(
      () =>
        train(config([{ name: "b", type: "binary" }], num), { b: ["a", "b", "c", "a", "b"], n: N }),
      'Cannot preprocess data: column "b": expected at most 2 distinct values, found 3: "a", "b", "c": use a category feature for more classes',
    );
  });
});

Deno.test("binary missing-value strategies", async (t) => {
  const b = ["spam", null, "ham", "", "ham"];
  const run = (strategy: string, extra: Record<string, unknown> = {}) =>
    train(
      config([{
        name: "b",
        type: "binary",
        preprocessing: { missing_value_strategy: strategy, fallback_true_label: "spam", ...extra },
      }], num),
      { b, n: N },
    );
  await t.step("fill_with_false (input default) fills the false label", async () => {
    const r = await run("fill_with_false");
    assert.deepEqual(values(r, "b"), [1, 0, 0, 0, 0]);
    assert.equal(
      (r.metadata.b.preprocessing as Record<string, unknown>).computed_fill_value,
      "ham",
    );
  });
  await t.step("fill_with_true", async () => {
    const r = await run("fill_with_true");
    assert.deepEqual(values(r, "b"), [1, 1, 0, 1, 0]);
    assert.equal(
      (r.metadata.b.preprocessing as Record<string, unknown>).computed_fill_value,
      "spam",
    );
  });
  await t.step("fill_with_mode, bfill, ffill, drop_row", async () => {
    assert.deepEqual(values(await run("fill_with_mode"), "b"), [1, 0, 0, 0, 0]);
    assert.deepEqual(values(await run("bfill"), "b"), [1, 0, 0, 0, 0]);
    assert.deepEqual(values(await run("ffill"), "b"), [1, 1, 0, 0, 0]);
    const d = await run("drop_row");
    assert.deepEqual(values(d, "b"), [1, 0, 0]);
    assert.deepEqual(values(d, "n"), [1, 3, 5]);
  });
  await t.step("conventional columns fill booleans", async () => {
    const r = await train(config([{ name: "b", type: "binary" }], num), {
      b: [true, null, true, false, true],
      n: N,
    });
    assert.deepEqual(values(r, "b"), [1, 0, 1, 0, 1]);
    assert.equal(
      (r.metadata.b.preprocessing as Record<string, unknown>).computed_fill_value,
      false,
    );
  });
  await t.step("output default drops rows", async () => {
    const r = await train(config(num, [{ name: "b", type: "binary" }]), { b, n: N });
    assert.equal(r.training.numRows, 3);
  });
});

Deno.test("binary prediction maps unseen labels and postprocessing restores labels", async () => {
  const cfg = config(num, [{ name: "b", type: "binary", threshold: 0.6 }]);
  const r = await train(cfg, { b: ["yes", "no", "no", "yes", "yes"], n: N });
  const p = await preprocessForPrediction(
    cfg,
    r.metadata,
    Dataset.fromColumns({ n: [1, 2, 3], b: ["no", "YES", "y"] }),
    { includeOutputs: true },
  );
  assert.deepEqual(Array.from(p.split.columns.b.data), [0, 1, 1]);
  const logit = (p: number) => Math.log(p / (1 - p));
  const cols = postprocessPredictions(cfg, r.metadata, {
    b: { logits: new Float32Array([logit(0.9), logit(0.55), logit(0.2)]), shape: [3] },
  });
  assert.deepEqual(cols.b_predictions, ["yes", "no", "no"]);
  assertClose(cols.b_probabilities_yes as number[], [0.9, 0.55, 0.2]);
  assertClose(cols.b_probabilities_no as number[], [0.1, 0.45, 0.8]);
  assertClose(cols.b_probability as number[], [0.9, 0.55, 0.8]);
  assertClose((cols.b_probabilities as number[][])[0], [0.1, 0.9]);
  const plain = config(num, [{ name: "b", type: "binary" }]);
  const r2 = await train(plain, { b: [true, false, true, false, true], n: N });
  const c2 = postprocessPredictions(plain, r2.metadata, {
    b: { probabilities: new Float32Array([0.7, 0.3]), shape: [2, 1] },
  });
  assert.deepEqual(c2.b_predictions, [true, false]);
  assertClose(c2.b_probabilities_True as number[], [0.7, 0.3]);
});
