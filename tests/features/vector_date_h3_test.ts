import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import { h3Components, parseH3 } from "../../lib/features/_h3.ts";
import { postprocessPredictions, preprocessForPrediction } from "../../lib/features/preprocess.ts";
import { assertClose, assertDataError, config, train, values } from "./_helpers.ts";

const out = [{ name: "y", type: "binary" }];
const Y = [true, false, true, false];

Deno.test("vector size is inferred, checked and filled", async (t) => {
  await t.step("inferred from strings and arrays", async () => {
    const r = await train(config([{ name: "v", type: "vector" }], out), {
      v: ["1 2 3", " 4  5 6 ", [7, 8, 9], "0 0 1e-1"],
      y: Y,
    });
    assert.equal(r.metadata.v.vector_size, 3);
    assert.deepEqual(r.training.columns.v.shape, [3]);
    assertClose(values(r, "v"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0.1]);
  });
  await t.step("a wrong-length row names column and row", async () => {
    const e = await assertDataError(
      () =>
        train(config([{ name: "v", type: "vector" }], out), {
          v: ["1 2", "3 4", "5", "6 7"],
          y: Y,
        }),
      'Cannot preprocess data: column "v": data row 3: expected a vector of 2 values (vector_size), found 1',
    );
    assert.equal(e.row, 2);
    await assertDataError(
      () =>
        train(
          config([{ name: "v", type: "vector", preprocessing: { vector_size: 3 } }], out),
          { v: ["1 2", "3 4", "5 6", "6 7"], y: Y },
        ),
      /column "v": data row 1: expected a vector of 3 values \(vector_size\), found 2/,
    );
    await assertDataError(
      () =>
        train(config([{ name: "v", type: "vector" }], out), {
          v: ["1 2", "3 x", "5 6", "6 7"],
          y: Y,
        }),
      /column "v": data row 2: cannot parse "x" \(value 2 of "3 x"\) as a number/,
    );
  });
  await t.step("missing values: zeros by default, fill_value, mode, drop_row", async () => {
    const v = ["1 2", null, "1 2", "3 4"];
    const run = (prep: Record<string, unknown>) =>
      train(config([{ name: "v", type: "vector", preprocessing: prep }], out), { v, y: Y });
    assert.deepEqual(values(await run({}), "v"), [1, 2, 0, 0, 1, 2, 3, 4]);
    assert.deepEqual(values(await run({ fill_value: "9 9" }), "v"), [1, 2, 9, 9, 1, 2, 3, 4]);
    const m = await run({ missing_value_strategy: "fill_with_mode" });
    assert.deepEqual(values(m, "v"), [1, 2, 1, 2, 1, 2, 3, 4]);
    assert.equal(
      (m.metadata.v.preprocessing as Record<string, unknown>).computed_fill_value,
      "1 2",
    );
    assert.equal((await run({ missing_value_strategy: "drop_row" })).training.numRows, 3);
  });
  await t.step("prediction checks the size and postprocessing returns arrays", async () => {
    const cfg = config([{ name: "x", type: "number" }], [{
      name: "v",
      type: "vector",
      softmax: true,
    }]);
    const r = await train(cfg, { v: ["1 2", "3 4", "5 6", "7 8"], x: [1, 2, 3, 4] });
    await assertDataError(
      () =>
        preprocessForPrediction(cfg, r.metadata, Dataset.fromColumns({ x: [1], v: ["1 2 3"] }), {
          includeOutputs: true,
        }),
      /column "v": data row 1: expected a vector of 2 values/,
    );
    const cols = postprocessPredictions(cfg, r.metadata, {
      v: { values: new Float32Array([0, 0, 0, Math.log(3)]), shape: [2, 2] },
    });
    assertClose((cols.v_predictions as number[][])[0], [0.5, 0.5]);
    assertClose((cols.v_predictions as number[][])[1], [0.25, 0.75]);
  });
});

Deno.test("date components follow Ludwig's vector", async (t) => {
  // Python: datetime(2024, 3, 1, 13, 45, 30).weekday() == 4, yearday 61
  const expected1 = [2024, 3, 1, 4, 61, 13, 45, 30, 13 * 3600 + 45 * 60 + 30];
  // datetime(2023, 12, 31): weekday 6 (Sunday), yearday 365
  const expected2 = [2023, 12, 31, 6, 365, 0, 0, 0, 0];
  await t.step("automatic parsing", async () => {
    const r = await train(config([{ name: "d", type: "date" }], out), {
      d: ["2024-03-01 13:45:30", "2023-12-31", "March 1, 2024", "1970-01-01T00:00:00Z"],
      y: Y,
    });
    assert.deepEqual(r.training.columns.d.shape, [9]);
    assert.equal(r.training.columns.d.dtype, "int32");
    const v = values(r, "d");
    assert.deepEqual(v.slice(0, 9), expected1);
    assert.deepEqual(v.slice(9, 18), expected2);
    assert.deepEqual(v.slice(18, 21), [2024, 3, 1]);
    assert.deepEqual(v.slice(27, 36), [1970, 1, 1, 3, 1, 0, 0, 0, 0]);
  });
  await t.step("datetime_format", async () => {
    const f = { name: "d", type: "date", preprocessing: { datetime_format: "%d/%m/%Y %H:%M:%S" } };
    const r = await train(config([f], out), {
      d: [
        "01/03/2024 13:45:30",
        "31/12/2023 00:00:00",
        "02/01/2024 00:00:00",
        "03/01/2024 00:00:00",
      ],
      y: Y,
    });
    const v = values(r, "d");
    assert.deepEqual(v.slice(0, 9), expected1);
    assert.deepEqual(v.slice(9, 18), expected2);
    assert.deepEqual(v.slice(18, 23), [2024, 1, 2, 1, 2]);
  });
  await t.step("numeric timestamps in seconds and milliseconds", async () => {
    const r = await train(config([{ name: "d", type: "date" }], out), {
      d: [1709300730, 1709300730000, "1709300730", 0],
      y: Y,
    });
    const v = values(r, "d");
    assert.deepEqual(v.slice(0, 9), expected1);
    assert.deepEqual(v.slice(9, 18), expected1);
    assert.deepEqual(v.slice(18, 27), expected1);
  });
  await t.step("missing values and errors", async () => {
    const r = await train(config([{ name: "d", type: "date" }], out), {
      d: ["2024-03-01 13:45:30", null, "", "2023-12-31"],
      y: Y,
    });
    assert.deepEqual(values(r, "d").slice(9, 18), [1970, 1, 1, 3, 1, 0, 0, 0, 0]);
    const f = { name: "d", type: "date", preprocessing: { fill_value: "2023-12-31" } };
    const k = await train(config([f], out), {
      d: ["2024-03-01 13:45:30", null, "", "2023-12-31"],
      y: Y,
    });
    assert.deepEqual(values(k, "d").slice(9, 18), expected2);
    await assertDataError(
      () =>
        train(config([{ name: "d", type: "date" }], out), {
          d: ["2024-01-01", "soon", null, null],
          y: Y,
        }),
      'Cannot preprocess data: column "d": data row 2: cannot parse "soon" as a date',
    );
  });
});

/** Reference decomposition from the bit string (slow, independent of the fast path). */
function reference(id: bigint): number[] {
  const b = id.toString(2).padStart(64, "0");
  const bits = (from: number, len: number) => parseInt(b.slice(from, from + len), 2);
  const res = bits(8, 4);
  const cells = Array.from({ length: 15 }, (_, i) => (i < res ? bits(19 + 3 * i, 3) : 7));
  return [bits(1, 4), bits(5, 3), res, bits(12, 7), ...cells];
}

Deno.test("h3 decomposition matches the bit layout", async (t) => {
  await t.step("known cells", () => {
    const out = new Int32Array(19);
    // 0x8928308280fffff (H3 docs' example, resolution 9), worked out from its 64 bits
    h3Components(0x8928308280fffffn, out);
    assert.deepEqual(Array.from(out), [1, 0, 9, 20, 0, 6, 0, 4, 0, 5, 0, 0, 3, 7, 7, 7, 7, 7, 7]);
    // Ludwig's default fill 576495936675512319 = 0x08001fffffffffff: resolution 0, base cell 0
    h3Components(576495936675512319n, out);
    assert.deepEqual(Array.from(out), [1, 0, 0, 0, ...Array(15).fill(7)]);
    for (
      const id of [0x8928308280fffffn, 0x8f2830828052d25n, 0x85283473fffffffn, 0x832830fffffffffn]
    ) {
      h3Components(id, out);
      assert.deepEqual(Array.from(out), reference(id), id.toString(16));
    }
  });
  await t.step("ids as decimal strings, hex strings, bigints and safe numbers", () => {
    assert.equal(parseH3("617700169958293503"), 617700169958293503n);
    assert.equal(parseH3("8928308280fffff"), 0x8928308280fffffn);
    assert.equal(parseH3("0x8928308280fffff"), 0x8928308280fffffn);
    assert.equal(parseH3(617700169958293503n), 617700169958293503n);
    assert.equal(parseH3(123), 123n);
    assert.match(parseH3(617700169958293503) as string, /lost precision/);
  });
  await t.step("encoding, default fill and errors", async () => {
    const r = await train(config([{ name: "h", type: "h3" }], out), {
      h: ["617700169958293503", null, 617700169958293503n, "8928308280fffff"],
      y: Y,
    });
    assert.deepEqual(r.training.columns.h.shape, [19]);
    const v = values(r, "h");
    assert.deepEqual(v.slice(0, 19), reference(617700169958293503n));
    assert.deepEqual(v.slice(19, 38), reference(576495936675512319n));
    assert.equal(
      (r.metadata.h.preprocessing as Record<string, unknown>).computed_fill_value,
      "576495936675512319",
    );
    assert.deepEqual(v.slice(57, 76), reference(617700169958293503n));
    await assertDataError(
      () => train(config([{ name: "h", type: "h3" }], out), { h: ["1", "x!", "2", "3"], y: Y }),
      'Cannot preprocess data: column "h": data row 2: cannot parse "x!" as an h3 id',
    );
  });
});
