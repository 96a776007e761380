// collect_summary / collect_weights / collect_activations, the .npy writer, and the flag parser
// (Ludwig's short flags, --config_str as text, "did you mean" for unknown flags).
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { main } from "../../lib/cli/main.ts";
import { capture } from "./_helpers.ts";
import { decodeNpy, encodeNpy, readNpy } from "../../lib/data/npy.ts";
import { Model } from "../../mod.ts";

const ROWS = Array.from({ length: 60 }, (_, i) => {
  const x = Math.sin(i * 1.7) * 2;
  return { x, c: ["a", "b", "c"][i % 3], y: 2 * x + (i % 3) };
});
const CSV = ["x,c,y", ...ROWS.map((r) => `${r.x},${r.c},${r.y}`)].join("\n");
const CONFIG = {
  input_features: [{ name: "x", type: "number" }, {
    name: "c",
    type: "category",
    encoder: { type: "dense", embedding_size: 4 },
  }],
  combiner: { type: "concat", output_size: 6, num_fc_layers: 1 },
  output_features: [{ name: "y", type: "number" }],
  trainer: { epochs: 2, batch_size: 16 },
};

let fixture: Promise<{ dir: string; model: string; csv: string }> | undefined;
function trained() {
  fixture ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "sonata_collect_" });
    await Deno.writeTextFile(`${dir}/data.csv`, CSV);
    const model = await Model.create(CONFIG);
    await model.train({ dataset: `${dir}/data.csv`, skip_save_all: true, progress: false });
    await model.save(`${dir}/model`);
    return { dir, model: `${dir}/model`, csv: `${dir}/data.csv` };
  })();
  return fixture;
}

Deno.test(".npy round-trips: format 1.0 header padded to 64 bytes, little-endian float32", () => {
  const data = Float32Array.of(1.5, -2, 3.25, 0, 1e-7, 6);
  const bytes = encodeNpy(data, [2, 3]);
  equal(new TextDecoder().decode(bytes.subarray(1, 6)), "NUMPY");
  equal(bytes[6], 1);
  const headerLength = bytes[8] | (bytes[9] << 8);
  equal((10 + headerLength) % 64, 0);
  match(new TextDecoder().decode(bytes.subarray(10, 10 + headerLength)), /'shape': \(2, 3\)/);
  equal(bytes[10 + headerLength - 1], 0x0a);
  const back = decodeNpy(bytes);
  deepEqual(back.shape, [2, 3]);
  deepEqual([...back.data], [...data]);
  deepEqual(decodeNpy(encodeNpy(Float32Array.of(7), [1])).shape, [1]);
});

Deno.test("collect_summary lists layers, parameters and the names collect_* accept", async () => {
  const { model } = await trained();
  const c = capture();
  equal(await main(["collect_summary", "-m", model], c.io), 0, c.err.join("\n"));
  const text = c.out.join("\n");
  match(text, /Total parameters: \d+ \(trainable \d+/);
  match(text, /"x", "c", "combiner"/);
  match(text, /combiner\/\S+\s+Dense/);
  match(text, /collect_weights --tensors accepts:/);
});

Deno.test("collect_activations writes one .npy per layer, rows in dataset order", async () => {
  const { dir, model, csv } = await trained();
  const out = `${dir}/activations`;
  const c = capture();
  equal(
    await main([
      "collect_activations",
      "--model_path",
      model,
      "--dataset",
      csv,
      "--layers",
      "c",
      "combiner",
      "y__logits",
      "-od",
      out,
    ], c.io),
    0,
    c.err.join("\n"),
  );
  const enc = await readNpy(`${out}/c.npy`);
  deepEqual(enc.shape, [60, 4]);
  const comb = await readNpy(`${out}/combiner.npy`);
  deepEqual(comb.shape, [60, 6]);
  const logits = await readNpy(`${out}/y__logits.npy`);
  deepEqual(logits.shape, [60, 1]);
  // The logits are the model's predictions, row by row.
  const loaded = await Model.load(model);
  const { predictions } = await loaded.predict(csv, { batch_size: 7 });
  const predicted = predictions.columns.y_predictions as number[];
  for (let i = 0; i < 60; i++) ok(Math.abs(predicted[i] - logits.data[i]) < 1e-4, `row ${i}`);
  // Rows with the same category share the encoder output: rows 0 and 3 are both "a".
  deepEqual([...enc.data.subarray(0, 4)], [...enc.data.subarray(12, 16)]);
  // The API gives the same arrays.
  const [api] = await loaded.collectActivations(csv, ["combiner"]);
  deepEqual([...api.data], [...comb.data]);
});

Deno.test("collect_activations and collect_weights reject unknown names clearly", async () => {
  const { dir, model, csv } = await trained();
  const c = capture();
  equal(
    await main(["collect_activations", "-m", model, "--dataset", csv, "--layers", "nope"], c.io),
    2,
  );
  match(c.err.join("\n"), /Invalid layer name "nope".*collect_summary/);
  const w = capture();
  equal(
    await main(["collect_weights", "-m", model, "-t", "nope", "-od", `${dir}/w`], w.io),
    2,
  );
  match(w.err.join("\n"), /Invalid tensor name "nope"/);
  const m = capture();
  equal(await main(["collect_activations", "-m", model, "--dataset", csv], m.io), 2);
  match(m.err.join("\n"), /Missing --layers/);
});

Deno.test("collect_weights writes each tensor's .npy with its values", async () => {
  const { dir, model } = await trained();
  const loaded = await Model.load(model);
  const weight = loaded.tfModel!.weights.find((w) => w.shape.length === 2)!;
  const name = weight.originalName ?? weight.name;
  const c = capture();
  equal(
    await main(["collect_weights", "-m", model, "--tensors", name, "-od", `${dir}/weights`], c.io),
    0,
    c.err.join("\n"),
  );
  const file = `${dir}/weights/${name.replace(/[^A-Za-z0-9_.\-]/g, "_")}.npy`;
  const back = await readNpy(file);
  deepEqual(back.shape, weight.shape);
  deepEqual([...back.data], [...(weight.read().dataSync() as Float32Array)]);
});

Deno.test("--config_str is parsed as YAML or JSON, never taken for a path", async () => {
  const yaml = capture();
  equal(
    await main([
      "validate",
      "-cs",
      "{input_features: [{name: a, type: number}], output_features: [{name: b, type: binary}]}",
    ], yaml.io),
    0,
    yaml.err.join("\n"),
  );
  const json = capture();
  equal(
    await main(
      ["render_config", "--config_str", JSON.stringify(CONFIG), "--format", "json"],
      json.io,
    ),
    0,
    json.err.join("\n"),
  );
  equal(JSON.parse(json.out.join("")).combiner.output_size, 6);
  const path = capture();
  equal(await main(["validate", "--config_str", "model.yaml"], path.io), 2);
  match(path.err.join("\n"), /expected a YAML or JSON mapping.*--config FILE/);
});

Deno.test("unknown flags get a did-you-mean", async () => {
  const c = capture();
  equal(await main(["validate", "--confg", "x.yaml"], c.io), 2);
  match(c.err.join("\n"), /Unknown option '--confg': did you mean "--config"\?/);
  const t = capture();
  equal(await main(["train", "--output_dir", "x"], t.io), 2);
  match(t.err.join("\n"), /did you mean "--output_directory"\?/);
});

Deno.test("collectActivations: a text encoder's output past its mask, and a pass-through combiner", async () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({
    t: ["good day", "bad night", "fine sun"][i % 3] + ` x${i % 5}`,
    y: i % 2 === 0,
  }));
  const model = await Model.create({
    input_features: [{ name: "t", type: "text", encoder: { type: "embed" } }],
    output_features: [{ name: "y", type: "binary" }],
    trainer: { epochs: 1, batch_size: 8 },
  });
  await model.train({ dataset: rows, skip_save_all: true, progress: false });
  const [t, combiner] = await model.collectActivations(rows, ["t", "combiner"]);
  // The reduced embedding [rows, embedding], not the [rows, tokens] mask beside it.
  equal(t.shape.length, 2);
  equal(t.shape[0], 30);
  const reduce = model.tfModel!.layers.find((l) => l.name.startsWith("t/reduce_sum"))!;
  deepEqual(t.shape.slice(1), (reduce.outputShape as number[]).slice(1));
  // concat over one input adds no layer: the combiner output is the encoder output.
  deepEqual([...combiner.data], [...t.data]);
});
