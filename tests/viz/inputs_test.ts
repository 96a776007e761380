import assert from "node:assert/strict";
import { parseCsv } from "../../lib/viz/_csv.ts";
import {
  asModelList,
  classLabels,
  featureMetadata,
  modelNames,
  parseJsonWithNonFinite,
  parseNpy,
  readGroundTruth,
  readJson,
  readPredictions,
  readProbabilities,
  toBinaryLabels,
  toLabelIndices,
} from "../../lib/viz/inputs.ts";
import { fixture, withTempDir } from "./_helpers.ts";

Deno.test("parseCsv handles quotes, doubled quotes, CRLF, a BOM and short rows", () => {
  const t = parseCsv('\ufeffa,b,c\r\n1,"x, ""y""",3\r\n4,5\n\n');
  assert.deepEqual(t.header, ["a", "b", "c"]);
  assert.deepEqual(t.rows, [["1", 'x, "y"', "3"], ["4", "5", ""]]);
  assert.throws(() => parseCsv('a\n"open'), /unterminated quoted field/);
});

Deno.test("readProbabilities orders CSV columns by the vocabulary index", async () => {
  const metadata = await readJson<Record<string, { idx2str: string[] }>>(
    fixture("training_set_metadata.json"),
  );
  const probs = await readProbabilities(fixture("predictions_a.csv"), "animal", metadata.animal);
  assert.equal(probs.length, 80);
  assert.equal(probs[0].length, 6);
  const { header, rows } = parseCsv(await Deno.readTextFile(fixture("predictions_a.csv")));
  // Reverse the vocabulary: the columns must follow it, not the file.
  const reversed = { idx2str: [...metadata.animal.idx2str].reverse() };
  const again = await readProbabilities(fixture("predictions_a.csv"), "animal", reversed);
  assert.deepEqual(again[0], [...probs[0]].reverse());
  const dogColumn = header.indexOf("animal_probabilities_dog");
  assert.equal(probs[3][metadata.animal.idx2str.indexOf("dog")], Number(rows[3][dogColumn]));
});

Deno.test("readProbabilities reads binary columns through bool2str, and the single probability column", async () => {
  const probs = await readProbabilities(fixture("predictions_a.csv"), "approved", {
    bool2str: ["no", "yes"],
  });
  assert.equal(probs[0].length, 2);
  assert.ok(Math.abs(probs[0][0] + probs[0][1] - 1) < 1e-6);
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/p.csv`,
      "x_probabilities_False,x_probabilities_True\n0.3,0.7\n",
    );
    assert.deepEqual(await readProbabilities(`${dir}/p.csv`, "x"), [[0.3, 0.7]]);
    await Deno.writeTextFile(`${dir}/q.csv`, "x_probability\n0.25\n");
    assert.deepEqual(await readProbabilities(`${dir}/q.csv`, "x"), [[0.75, 0.25]]);
    await Deno.writeTextFile(`${dir}/p.json`, JSON.stringify({ x_probabilities: [[0.1, 0.9]] }));
    assert.deepEqual(await readProbabilities(`${dir}/p.json`, "x"), [[0.1, 0.9]]);
    await Deno.writeTextFile(`${dir}/m.json`, JSON.stringify([[0.4, 0.6]]));
    assert.deepEqual(await readProbabilities(`${dir}/m.json`, "x"), [[0.4, 0.6]]);
    await Deno.writeTextFile(`${dir}/none.csv`, "y\n1\n");
    await assert.rejects(
      () => readProbabilities(`${dir}/none.csv`, "x"),
      /found no "x_probabilities_<label>" columns/,
    );
  });
});

Deno.test("readGroundTruth keeps the rows of the requested split", async () => {
  const test = await readGroundTruth(fixture("dataset.csv"), "animal", 2);
  const train = await readGroundTruth(fixture("dataset.csv"), "animal", 0);
  const all = await readGroundTruth(fixture("dataset.csv"), "animal");
  assert.deepEqual([test.length, train.length, all.length], [80, 120, 240]);
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/g.json`,
      JSON.stringify([{ y: "a", split: 2 }, { y: "b", split: 0 }]),
    );
    assert.deepEqual(await readGroundTruth(`${dir}/g.json`, "y", 2), ["a"]);
    await Deno.writeTextFile(`${dir}/h.json`, JSON.stringify(["a", "b"]));
    assert.deepEqual(await readGroundTruth(`${dir}/h.json`, "y", 2), ["a", "b"]);
  });
  await assert.rejects(
    () => readGroundTruth(fixture("dataset.csv"), "nope"),
    /column not found: found "animal", "approved", "split"/,
  );
});

Deno.test("readPredictions reads the <feature>_predictions column", async () => {
  const preds = await readPredictions(fixture("predictions_b.csv"), "animal");
  assert.equal(preds.length, 80);
  assert.ok(preds.every((p) => typeof p === "string"));
  await assert.rejects(
    () => readPredictions(fixture("predictions_b.csv"), "x"),
    /found no "x_predictions" column/,
  );
});

Deno.test("parseNpy reads float64, float32 and int64 arrays", () => {
  const npy = (descr: string, shape: string, data: ArrayBufferView) => {
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
    while ((10 + header.length + 1) % 64 !== 0) header += " ";
    header += "\n";
    const head = new Uint8Array(10 + header.length);
    head.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0]);
    new DataView(head.buffer).setUint16(8, header.length, true);
    head.set(new TextEncoder().encode(header), 10);
    const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return out;
  };
  assert.deepEqual(parseNpy(npy("<f8", "(2, 2)", new Float64Array([0.1, 0.9, 0.7, 0.3]))), [[
    0.1,
    0.9,
  ], [0.7, 0.3]]);
  assert.deepEqual(parseNpy(npy("<f4", "(1, 2)", new Float32Array([0.5, 0.25]))), [[0.5, 0.25]]);
  assert.deepEqual(parseNpy(npy("<i8", "(3,)", new BigInt64Array([2n, 0n, 1n]))), [[2], [0], [1]]);
  assert.throws(
    () => parseNpy(npy(">f8", "(1,)", new Float64Array([1]))),
    /unsupported dtype ">f8"/,
  );
  assert.throws(() => parseNpy(new Uint8Array(16)), /NUMPY magic/);
});

Deno.test("toLabelIndices maps labels through str2idx, str2bool and conventional booleans", () => {
  const meta = { idx2str: ["dog", "cat"], str2idx: { dog: 0, cat: 1 } };
  assert.deepEqual(toLabelIndices(["cat", " dog ", 1], meta), [1, 0, 1]);
  assert.deepEqual(
    toLabelIndices(["yes", "no"], { str2bool: { yes: true, no: false }, bool2str: ["no", "yes"] }),
    [1, 0],
  );
  assert.deepEqual(toLabelIndices(["True", "false", "1", true]), [1, 0, 1, 1]);
  assert.throws(
    () => toLabelIndices(["cow"], meta, "animal"),
    /Cannot map label "cow" of "animal" to a class index: expected one of "dog", "cat"/,
  );
  assert.throws(
    () => toLabelIndices([1.5]),
    /expected non-negative integer class indices, received 1.5/,
  );
});

Deno.test("toBinaryLabels: category features compare with the positive label, binary ones use truth", () => {
  const category = { idx2str: ["a", "b", "c"], str2idx: { a: 0, b: 1, c: 2 } };
  assert.deepEqual(toBinaryLabels(["a", "c", "b"], category, 2), {
    labels: [false, true, false],
    positiveColumn: 2,
  });
  const binary = { str2bool: { no: false, yes: true }, bool2str: ["no", "yes"] };
  assert.deepEqual(toBinaryLabels(["yes", "no"], binary, 0), {
    labels: [true, false],
    positiveColumn: 1,
  });
});

Deno.test("featureMetadata, classLabels, asModelList and modelNames", () => {
  const whole = { y: { idx2str: ["p", "q"] } };
  assert.equal(featureMetadata(whole, "y"), whole.y);
  assert.equal(featureMetadata(whole.y, "anything"), whole.y);
  assert.equal(featureMetadata(whole, "z"), undefined);
  assert.deepEqual(classLabels({ bool2str: ["n", "y"] }, 2), ["n", "y"]);
  assert.deepEqual(classLabels(undefined, 3), ["0", "1", "2"]);
  assert.deepEqual(classLabels({}, 2), ["False", "True"]);
  assert.equal(asModelList([[0.1, 0.9]]).length, 1);
  assert.equal(asModelList([[[0.1, 0.9]], [[0.2, 0.8]]]).length, 2);
  assert.deepEqual(modelNames(1), ["Model"]);
  assert.deepEqual(modelNames(3, ["a"]), ["a", "Model 2", "Model 3"]);
});

Deno.test("readJson accepts Python's NaN and Infinity tokens and names the file on errors", async () => {
  assert.deepEqual(parseJsonWithNonFinite('{"t": [Infinity, 0.5], "p": NaN, "s": "Infinity"}'), {
    t: [Infinity, 0.5],
    p: null,
    s: "Infinity",
  });
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/bad.json`, "{ nope");
    await assert.rejects(() => readJson(`${dir}/bad.json`), /Cannot parse JSON file ".*bad.json"/);
  });
});
