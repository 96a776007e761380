import assert from "node:assert/strict";
import { readDataset } from "../../lib/data/read.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { readMetadata, writeMetadata } from "../../lib/features/metadata.ts";
import { preprocessForPrediction, preprocessForTraining } from "../../lib/features/preprocess.ts";
import { assertDataError, config, train, values, withTempDir } from "./_helpers.ts";

Deno.test("drop_row drops a row in every feature and keeps raw rows aligned", async () => {
  const cfg = config(
    [
      {
        name: "a",
        type: "number",
        preprocessing: { missing_value_strategy: "drop_row", normalization: null },
      },
      { name: "c", type: "category" },
    ],
    [{ name: "y", type: "binary" }],
  );
  const r = await train(cfg, {
    a: [1, null, 3, 4, 5],
    c: ["p", "q", null, "p", "q"],
    y: [true, false, true, null, false],
  });
  assert.deepEqual(values(r, "a"), [1, 3, 5]);
  assert.equal(r.training.columns.c.data.length, 3);
  assert.deepEqual(values(r, "y"), [1, 1, 0]);
  assert.deepEqual(r.raw.training.column("c"), ["p", null, "q"]);
  // Metadata is fitted on the kept rows only: "q" at row 2 was dropped, so "p" and "q" tie 1:1.
  assert.deepEqual(r.metadata.c.idx2str, ["p", "<UNK>", "q"]);
  const p = await preprocessForPrediction(
    cfg,
    r.metadata,
    Dataset.fromColumns({ a: [null, 2], c: ["q", "p"] }),
  );
  assert.deepEqual(Array.from(p.keptRows), [1]);
  assert.equal(p.split.numRows, 1);
});

Deno.test("absent columns and bad cells in files name the file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/data.csv`;
    await Deno.writeTextFile(path, "age,label\n1,yes\n2,no\nabc,yes\n");
    const cfg = config([{ name: "agee", type: "number" }], [{ name: "label", type: "binary" }]);
    await assertDataError(
      () => preprocessForTraining(cfg, { dataset: path }, { skipSaveProcessedInput: true }),
      `Cannot read "${path}": column "agee": not found: did you mean "age"?`,
    );
    const cfg2 = config([{ name: "age", type: "number" }], [{ name: "label", type: "binary" }]);
    const e = await assertDataError(
      () => preprocessForTraining(cfg2, { dataset: path }, { skipSaveProcessedInput: true }),
      `Cannot preprocess "${path}": column "age": data row 3: cannot parse "abc" as a number`,
    );
    assert.equal(e.file, path);
    assert.equal(e.row, 2);
    // `column` reads another column than the feature name
    const cfg3 = config([{ name: "years", column: "age", type: "number" }], [{
      name: "label",
      type: "binary",
    }]);
    await Deno.writeTextFile(path, "age,label\n1,yes\n2,no\n3,yes\n");
    const r = await preprocessForTraining(cfg3, { dataset: path }, {
      skipSaveProcessedInput: true,
    });
    assert.deepEqual(Object.keys(r.training.columns), ["years", "label"]);
  });
});

function bigData(n: number) {
  const x = Array.from({ length: n }, (_, i) => (i * 7) % 13);
  const c = Array.from({ length: n }, (_, i) => ["a", "b", "c"][i % 3]);
  const y = Array.from({ length: n }, (_, i) => i % 4 === 0);
  return { x, c, y };
}

Deno.test("the cache hits on equal preprocessing and misses on any change", async () => {
  await withTempDir(async (dir) => {
    const base = {
      input_features: [{ name: "x", type: "number" }, { name: "c", type: "category" }],
      output_features: [{ name: "y", type: "binary" }],
    };
    const { validateConfig } = await import("../../lib/config/mod.ts");
    const dataset = Dataset.fromColumns(bigData(200));
    const opts = { cacheDir: dir };
    const first = await preprocessForTraining(validateConfig(base), { dataset }, opts);
    assert.equal(first.cache.hit, false);
    assert.ok(first.cache.path?.startsWith(dir));
    assert.deepEqual([first.training.numRows, first.validation?.numRows, first.test?.numRows], [
      140,
      20,
      40,
    ]);
    // Same preprocessing, other trainer and encoder settings, same data rebuilt in memory.
    const again = await preprocessForTraining(
      validateConfig({
        ...base,
        input_features: [
          { name: "x", type: "number", encoder: { type: "dense" } },
          base.input_features[1],
        ],
        trainer: { epochs: 3, learning_rate: 0.1 },
      }),
      { dataset: Dataset.fromColumns(bigData(200)) },
      opts,
    );
    assert.equal(again.cache.hit, true);
    assert.equal(again.cache.key, first.cache.key);
    assert.deepEqual(again.metadata, first.metadata);
    for (const split of ["training", "validation", "test"] as const) {
      for (const [name, col] of Object.entries(first[split]!.columns)) {
        assert.deepEqual(again[split]!.columns[name], col, `${split}.${name}`);
      }
    }
    assert.deepEqual(again.raw.test!.toRecords(), first.raw.test!.toRecords());
    // Changes that must miss.
    const misses = [
      validateConfig({
        ...base,
        input_features: [
          { name: "x", type: "number", preprocessing: { normalization: "minmax" } },
          base.input_features[1],
        ],
      }),
      validateConfig({ ...base, preprocessing: { sample_ratio: 0.5 } }),
      validateConfig({
        ...base,
        preprocessing: { split: { type: "random", probabilities: [0.8, 0.1, 0.1] } },
      }),
    ];
    for (const cfg of misses) {
      const r = await preprocessForTraining(cfg, { dataset }, opts);
      assert.equal(r.cache.hit, false);
      assert.notEqual(r.cache.key, first.cache.key);
    }
    const otherData = bigData(200);
    otherData.x[5] = 99;
    const changed = await preprocessForTraining(validateConfig(base), {
      dataset: Dataset.fromColumns(otherData),
    }, opts);
    assert.equal(changed.cache.hit, false);
    const seeded = await preprocessForTraining(validateConfig(base), { dataset }, {
      ...opts,
      seed: 7,
    });
    assert.equal(seeded.cache.hit, false);
    // skipSaveProcessedInput writes nothing.
    const skipDir = `${dir}/skip`;
    await preprocessForTraining(validateConfig(base), { dataset }, {
      cacheDir: skipDir,
      skipSaveProcessedInput: true,
    });
    await assert.rejects(() => Deno.stat(skipDir));
  });
});

Deno.test("the cache sits beside a dataset file by default", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/d.csv`,
      "x,y\n" + Array.from({ length: 20 }, (_, i) => `${i},${i % 2}`).join("\n"),
    );
    const cfg = config([{ name: "x", type: "number" }], [{ name: "y", type: "binary" }]);
    const a = await preprocessForTraining(cfg, { dataset: `${dir}/d.csv` });
    // In <dataset dir>/.sonata_cache/ (issue 18: cache files no longer pile up beside the data).
    assert.equal(a.cache.path, `${dir}/.sonata_cache/${a.cache.key}.meta.json`);
    await Deno.stat(`${dir}/.sonata_cache/${a.cache.key}.training.bin`);
    const b = await preprocessForTraining(cfg, { dataset: await readDataset(`${dir}/d.csv`) });
    assert.equal(b.cache.hit, true);
  });
});

Deno.test("metadata round trip gives identical prediction arrays", async () => {
  await withTempDir(async (dir) => {
    const cfg = config(
      [
        {
          name: "n",
          type: "number",
          preprocessing: { missing_value_strategy: "fill_with_mean", normalization: "iq" },
        },
        { name: "b", type: "binary", preprocessing: { missing_value_strategy: "fill_with_true" } },
        { name: "c", type: "category", preprocessing: { most_common: 2 } },
        { name: "s", type: "set" },
        { name: "t", type: "text" },
        { name: "v", type: "vector" },
        { name: "d", type: "date" },
        { name: "h", type: "h3" },
      ],
      [{ name: "y", type: "category" }],
    );
    const data = {
      n: [1, null, 3, 7, 9],
      b: ["up", "down", null, "up", "down"],
      c: ["x", "y", "z", "x", "x"],
      s: ["a b", "b", "", "c", "a"],
      t: ["Hi there", "bye", "hi", null, "ok then"],
      v: ["1 2", "3 4", null, "5 6", "7 8"],
      d: ["2024-01-01", "2024-02-29 10:00", null, "2023-05-05", "2020-12-31"],
      h: ["8928308280fffff", null, "617700169958293503", "8928308280fffff", "85283473fffffff"],
      y: ["p", "q", "p", "q", "p"],
    };
    const r = await train(cfg, data);
    await writeMetadata(`${dir}/training_set_metadata.json`, r.metadata);
    const back = await readMetadata(`${dir}/training_set_metadata.json`);
    const dataset = Dataset.fromColumns(data);
    const a = await preprocessForPrediction(cfg, r.metadata, dataset, { includeOutputs: true });
    const b = await preprocessForPrediction(cfg, back, dataset, { includeOutputs: true });
    assert.deepEqual(b.split, a.split);
    for (const [name, col] of Object.entries(r.training.columns)) {
      assert.deepEqual(a.split.columns[name], col, name);
    }
    const { y: _y, ...inputsOnly } = data;
    const noOutputs = await preprocessForPrediction(cfg, back, Dataset.fromColumns(inputsOnly));
    assert.equal(noOutputs.split.columns.y, undefined);
  });
});

Deno.test("sampling, splits and balancing", async (t) => {
  await t.step("sample_ratio and sample_size are seeded and keep order", async () => {
    const cfg = config([{ name: "x", type: "number", preprocessing: { normalization: null } }], [{
      name: "y",
      type: "binary",
    }], { sample_ratio: 0.5 });
    const data = {
      x: Array.from({ length: 20 }, (_, i) => i),
      y: Array.from({ length: 20 }, (_, i) => i % 2 === 0),
    };
    const a = await train(cfg, data);
    const b = await train(cfg, data);
    assert.equal(a.training.numRows, 10);
    assert.deepEqual(values(a, "x"), values(b, "x"));
    const xs = values(a, "x");
    assert.deepEqual(xs, [...xs].sort((p, q) => p - q));
    const size = config([{ name: "x", type: "number" }], [{ name: "y", type: "binary" }], {
      sample_size: 7,
    });
    assert.equal((await train(size, data)).training.numRows, 7);
  });
  await t.step("fixed split and separate sets", async () => {
    const cfg = config([{ name: "x", type: "number", preprocessing: { normalization: null } }], [{
      name: "y",
      type: "binary",
    }], { split: { type: "fixed" } });
    const r = await train(cfg, { x: [1, 2, 3, 4], y: [1, 0, 1, 0], split: [0, 1, 2, 0] });
    assert.deepEqual(values(r, "x"), [1, 4]);
    assert.deepEqual(Array.from(r.validation!.columns.x.data), [2]);
    assert.deepEqual(r.raw.test!.column("x"), [3]);
    const s = await preprocessForTraining(cfg, {
      training_set: [{ x: 1, y: 1 }, { x: 2, y: 0 }],
      test_set: [{ x: 9, y: 1 }],
    }, { skipSaveProcessedInput: true });
    assert.equal(s.validation, undefined);
    assert.deepEqual(Array.from(s.test!.columns.x.data), [9]);
  });
  await t.step("oversample_minority and undersample_majority on the training split", async () => {
    const data = {
      x: Array.from({ length: 100 }, (_, i) => i),
      y: Array.from({ length: 100 }, (_, i) => i % 5 === 0),
    };
    const count = (r: Awaited<ReturnType<typeof train>>) => {
      const ys = values(r, "y");
      return [ys.filter((v) => v === 1).length, ys.filter((v) => v === 0).length];
    };
    const over = await train(
      config([{ name: "x", type: "number" }], [{ name: "y", type: "binary" }], {
        oversample_minority: 0.5,
      }),
      data,
    );
    assert.deepEqual(count(over), [40, 80]);
    assert.equal(over.raw.training.numRows, 120);
    const under = await train(
      config([{ name: "x", type: "number" }], [{ name: "y", type: "binary" }], {
        undersample_majority: 0.5,
      }),
      data,
    );
    assert.deepEqual(count(under), [20, 40]);
  });
});

Deno.test("100k rows × 15 columns preprocess quickly", async () => {
  const n = 100_000;
  const columns: Record<string, unknown[]> = {};
  const inputs: Record<string, unknown>[] = [];
  for (let k = 0; k < 8; k++) {
    columns[`n${k}`] = Array.from({ length: n }, (_, i) => ((i * (k + 3)) % 1000) / 7);
    inputs.push({ name: `n${k}`, type: "number" });
  }
  for (let k = 0; k < 4; k++) {
    columns[`c${k}`] = Array.from({ length: n }, (_, i) => `v${(i * (k + 1)) % 50}`);
    inputs.push({ name: `c${k}`, type: "category" });
  }
  for (let k = 0; k < 2; k++) {
    columns[`b${k}`] = Array.from({ length: n }, (_, i) => (i + k) % 3 === 0);
    inputs.push({ name: `b${k}`, type: "binary" });
  }
  columns.y = Array.from({ length: n }, (_, i) => `k${i % 5}`);
  const cfg = config(inputs, [{ name: "y", type: "category" }], { split: { type: "random" } });
  const dataset = Dataset.fromColumns(columns);
  await dataset.checksum();
  const start = performance.now();
  const r = await preprocessForTraining(cfg, { dataset }, { skipSaveProcessedInput: true });
  const ms = performance.now() - start;
  assert.equal(r.training.numRows + r.validation!.numRows + r.test!.numRows, n);
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
});
