import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import { postprocessPredictions, preprocessForPrediction } from "../../lib/features/preprocess.ts";
import { assertClose, assertDataError, config, train, values } from "./_helpers.ts";

const X = [1, 2, 3, 4, 10];
const out = [{ name: "y", type: "binary" }];
const Y = [true, false, true, false, true];

Deno.test("number normalizations match Ludwig's definitions", async (t) => {
  await t.step("zscore uses the population std", async () => {
    const r = await train(config([{ name: "x", type: "number" }], out), { x: X, y: Y });
    // mean 4, population variance (9+4+1+0+36)/5 = 10
    assert.equal(r.metadata.x.mean, 4);
    assertClose([r.metadata.x.std as number], [Math.sqrt(10)]);
    assertClose(values(r, "x"), X.map((x) => (x - 4) / Math.sqrt(10)));
    assert.deepEqual(r.training.columns.x.shape, []);
    assert.equal(r.training.columns.x.dtype, "float32");
  });
  await t.step("minmax", async () => {
    const f = { name: "x", type: "number", preprocessing: { normalization: "minmax" } };
    const r = await train(config([f], out), { x: X, y: Y });
    assert.deepEqual([r.metadata.x.min, r.metadata.x.max], [1, 10]);
    assertClose(values(r, "x"), [0, 1 / 9, 2 / 9, 3 / 9, 1]);
  });
  await t.step("iq uses numpy's linear percentiles", async () => {
    const f = { name: "x", type: "number", preprocessing: { normalization: "iq" } };
    const r = await train(config([f], out), { x: X, y: Y });
    // sorted [1,2,3,4,10]: q1 at 1.0 → 2, q2 at 2.0 → 3, q3 at 3.0 → 4
    assert.deepEqual([r.metadata.x.q1, r.metadata.x.q2, r.metadata.x.q3], [2, 3, 4]);
    assertClose(values(r, "x"), [-1, -0.5, 0, 0.5, 3.5]);
  });
  await t.step("log1p", async () => {
    const f = { name: "x", type: "number", preprocessing: { normalization: "log1p" } };
    const r = await train(config([f], out), { x: [0, 1, Math.E - 1, 3, 4], y: Y });
    assertClose(values(r, "x"), [0, Math.log(2), 1, Math.log(4), Math.log(5)]);
  });
  await t.step("null keeps raw values", async () => {
    const f = { name: "x", type: "number", preprocessing: { normalization: null } };
    const r = await train(config([f], out), { x: X, y: Y });
    assert.deepEqual(values(r, "x"), X);
    assert.deepEqual(Object.keys(r.metadata.x), ["preprocessing"]);
  });
  await t.step("zscore of a constant column is an error", async () => {
    await assertDataError(
      () => train(config([{ name: "x", type: "number" }], out), { x: [2, 2, 2, 2, 2], y: Y }),
      /column "x": cannot apply zscore normalization: the standard deviation is 0/,
    );
  });
});

Deno.test("number missing-value strategies", async (t) => {
  const x = ["1", "", "3", null, "8"];
  const run = (strategy: string, extra: Record<string, unknown> = {}) =>
    train(
      config([{
        name: "x",
        type: "number",
        preprocessing: { missing_value_strategy: strategy, normalization: null, ...extra },
      }], out),
      { x, y: Y },
    );
  await t.step("fill_with_const (input default, fill_value 0)", async () => {
    const r = await run("fill_with_const");
    assert.deepEqual(values(r, "x"), [1, 0, 3, 0, 8]);
    assert.equal((r.metadata.x.preprocessing as Record<string, unknown>).computed_fill_value, 0);
  });
  await t.step("fill_with_const with a fill_value", async () => {
    assert.deepEqual(values(await run("fill_with_const", { fill_value: -1 }), "x"), [
      1,
      -1,
      3,
      -1,
      8,
    ]);
  });
  await t.step("fill_with_mean", async () => {
    const r = await run("fill_with_mean");
    assert.deepEqual(values(r, "x"), [1, 4, 3, 4, 8]);
    assert.equal((r.metadata.x.preprocessing as Record<string, unknown>).computed_fill_value, 4);
  });
  await t.step("fill_with_mode (ties go to the first value)", async () => {
    assert.deepEqual(values(await run("fill_with_mode"), "x"), [1, 1, 3, 1, 8]);
  });
  await t.step("bfill and ffill", async () => {
    assert.deepEqual(values(await run("bfill"), "x"), [1, 3, 3, 8, 8]);
    assert.deepEqual(values(await run("ffill"), "x"), [1, 1, 3, 3, 8]);
    const r = await train(
      config([{
        name: "x",
        type: "number",
        preprocessing: { missing_value_strategy: "ffill", normalization: null },
      }], out),
      { x: [null, 2, null], y: [true, false, true] },
    );
    assert.deepEqual(values(r, "x"), [2, 2, 2]); // leading gap filled backward, as Ludwig
  });
  await t.step("drop_row", async () => {
    const r = await run("drop_row");
    assert.deepEqual(values(r, "x"), [1, 3, 8]);
    assert.deepEqual(values(r, "y"), [1, 1, 1]);
    assert.deepEqual(r.raw.training.column("x"), ["1", "3", "8"]);
  });
  await t.step("output default is drop_row and no normalization", async () => {
    const r = await train(
      config([{ name: "y", type: "binary" }], [{ name: "x", type: "number" }]),
      { x, y: Y },
    );
    assert.deepEqual(values(r, "x"), [1, 3, 8]);
    assert.equal((r.metadata.x.preprocessing as Record<string, unknown>).normalization, null);
  });
  await t.step("computed fill values are reused at prediction", async () => {
    const cfg = config([{
      name: "x",
      type: "number",
      preprocessing: { missing_value_strategy: "fill_with_mean", normalization: null },
    }], out);
    const r = await train(cfg, { x, y: Y });
    const p = await preprocessForPrediction(
      cfg,
      r.metadata,
      Dataset.fromColumns({ x: [null, 100] }),
    );
    assert.deepEqual(Array.from(p.split.columns.x.data), [4, 100]);
    assert.deepEqual(Array.from(p.keptRows), [0, 1]);
  });
});

Deno.test("number outliers are replaced by the outlier strategy", async (t) => {
  // 9 values of 0 and one 100: mean 10, std 30; |100-10|/30 = 3 → not > 3 at threshold 3
  const base = [0, 0, 0, 0, 0, 0, 0, 0, 0, 100];
  const y = base.map((_, i) => i % 2 === 0);
  const run = (prep: Record<string, unknown>) =>
    train(
      config([{ name: "x", type: "number", preprocessing: { normalization: null, ...prep } }], out),
      { x: base, y },
    );
  await t.step("threshold 3 keeps the value", async () => {
    assert.equal(values(await run({ outlier_strategy: "fill_with_mean" }), "x")[9], 100);
  });
  await t.step("threshold 2: fill_with_mean uses the mean of the raw column", async () => {
    const r = await run({ outlier_strategy: "fill_with_mean", outlier_threshold: 2 });
    assert.equal(values(r, "x")[9], 10);
    assert.equal(r.metadata.x.mean, 10);
    assert.equal(r.metadata.x.std, 30);
    const prep = r.metadata.x.preprocessing as Record<string, unknown>;
    assert.equal(prep.computed_outlier_fill_value, 10);
  });
  await t.step("fill_with_const and ffill", async () => {
    const c = await run({
      outlier_strategy: "fill_with_const",
      outlier_threshold: 2,
      fill_value: -5,
    });
    assert.equal(values(c, "x")[9], -5);
    const f = await run({ outlier_strategy: "ffill", outlier_threshold: 2 });
    assert.equal(values(f, "x")[9], 0);
  });
  await t.step("drop_row drops the row in every feature", async () => {
    const r = await run({ outlier_strategy: "drop_row", outlier_threshold: 2 });
    assert.equal(r.training.numRows, 9);
    assert.equal(r.training.columns.y.data.length, 9);
    assert.equal(r.raw.training.numRows, 9);
  });
  await t.step("prediction uses the training mean and std", async () => {
    const cfg = config([{
      name: "x",
      type: "number",
      preprocessing: {
        normalization: null,
        outlier_strategy: "fill_with_mean",
        outlier_threshold: 2,
      },
    }], out);
    const r = await train(cfg, { x: base, y });
    const p = await preprocessForPrediction(cfg, r.metadata, Dataset.fromColumns({ x: [50, 80] }));
    assert.deepEqual(Array.from(p.split.columns.x.data), [50, 10]);
  });
});

Deno.test("number data errors name file, column and 1-based data row", async () => {
  const cfg = config([{ name: "x", type: "number" }], out);
  const e = await assertDataError(
    () => train(cfg, { x: ["1", "2", "abc", "4", "5"], y: Y }),
    'Cannot preprocess data: column "x": data row 3: cannot parse "abc" as a number',
  );
  assert.equal(e.row, 2);
  assert.equal(e.featureType, "number");
  await assertDataError(
    () => train(cfg, { x: [1, 2, NaN, 4, 5], y: Y }),
    /column "x": data row 3: found NaN, which is not a finite number/,
  );
  await assertDataError(
    () => train(cfg, { x: ["1", "inf", "3", "4", "5"], y: Y }),
    /column "x": data row 2: found "inf", which is not a finite number/,
  );
});

Deno.test("number postprocessing denormalizes and clips like Ludwig", async () => {
  const cfg = config(
    [{ name: "y", type: "binary" }],
    [{ name: "x", type: "number", preprocessing: { normalization: "zscore" }, clip: [-1, 1] }],
  );
  const r = await train(cfg, { x: X, y: Y });
  const std = Math.sqrt(10);
  const cols = postprocessPredictions(cfg, r.metadata, {
    x: { values: new Float32Array([0, 0.5, 3]), shape: [3, 1] },
  });
  assertClose(cols.x_predictions as number[], [4, 4 + 0.5 * std, 4 + std], 1e-4);
});
