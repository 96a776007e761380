// A model folder binds by name and its files must belong together (issue 17 #5): the same
// features listed in another order in model_config.json predict the same; another model's
// metadata, columns or tensor names are refused with "this folder's X does not match its Y".
import { deepStrictEqual, rejects } from "node:assert/strict";
import { join } from "node:path";
import { Model } from "../../mod.ts";

const ROWS = Array.from({ length: 120 }, (_, i) => ({
  x: Math.sin(i * 12.9898) * 2,
  z: Math.cos(i * 3.1) * 5,
  c: ["a", "b", "c"][i % 3],
  y: ["p", "q", "r"][(i * 7) % 3],
  w: i % 2 === 0 ? 1.5 * i : -i,
}));

const CONFIG = {
  input_features: [
    { name: "x", type: "number" },
    { name: "c", type: "category" },
    { name: "z", type: "number" },
  ],
  output_features: [{ name: "y", type: "category" }, { name: "w", type: "number" }],
  trainer: { epochs: 2, batch_size: 32 },
};

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "sonata_binding_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function trained(dir: string, config: unknown, rows = ROWS): Promise<string> {
  const model = await Model.create(config as never);
  await model.train({ dataset: rows, skip_save_all: true, progress: false });
  await model.save(dir);
  return dir;
}

async function editJson(path: string, edit: (value: Record<string, unknown>) => unknown) {
  const value = JSON.parse(await Deno.readTextFile(path));
  await Deno.writeTextFile(path, JSON.stringify(edit(value)));
}

Deno.test("features reordered in a saved model_config.json predict identically", async () => {
  await withDir(async (dir) => {
    const m = await trained(join(dir, "m"), CONFIG);
    const before = (await (await Model.load(m)).predict(ROWS.slice(0, 10))).predictions.columns;
    await editJson(join(m, "model_config.json"), (c) => ({
      ...c,
      input_features: [...(c.input_features as unknown[])].reverse(),
      output_features: [...(c.output_features as unknown[])].reverse(),
    }));
    const after = (await (await Model.load(m)).predict(ROWS.slice(0, 10))).predictions.columns;
    deepStrictEqual(after.y_predictions, before.y_predictions);
    deepStrictEqual(after.y_probabilities, before.y_probabilities);
    deepStrictEqual(after.w_predictions, before.w_predictions);
  });
});

Deno.test("a folder with another model's metadata, columns or names is refused, naming both files", async () => {
  await withDir(async (dir) => {
    const m = await trained(join(dir, "m"), CONFIG);
    // Another model: same features, four classes of y.
    const four = ROWS.map((r, i) => ({ ...r, y: ["p", "q", "r", "s"][i % 4] }));
    const other = await trained(join(dir, "other"), CONFIG, four);
    const meta = join(m, "training_set_metadata.json");
    const original = await Deno.readTextFile(meta);
    await Deno.copyFile(join(other, "training_set_metadata.json"), meta);
    await rejects(
      Model.load(m),
      /This folder's training_set_metadata\.json does not match its model\/model\.json: output feature "y" has 4 values \(vocab_size\), the model's output 3 units/,
    );
    // Another model whose input c has four values: its embedding has another size.
    const cFour = ROWS.map((r, i) => ({ ...r, c: ["a", "b", "c", "d"][i % 4] }));
    const otherC = await trained(join(dir, "other_c"), CONFIG, cFour);
    await Deno.copyFile(join(otherC, "training_set_metadata.json"), meta);
    await rejects(
      Model.load(m),
      /This folder's training_set_metadata\.json does not match its model\/model\.json: input feature "c" has 4 values \(vocab_size\), its embedding 3 rows/,
    );
    // Metadata of a model without feature "z".
    await Deno.writeTextFile(meta, JSON.stringify({ ...JSON.parse(original), z: undefined }));
    await rejects(
      Model.load(m),
      /This folder's training_set_metadata\.json does not match its model_config\.json: feature "z" has no metadata/,
    );
    await Deno.writeTextFile(meta, original);
    // A config with a feature the model does not have.
    const cfg = join(m, "model_config.json");
    const config = await Deno.readTextFile(cfg);
    await editJson(cfg, (c) => ({
      ...c,
      input_features: [...(c.input_features as unknown[]), { name: "extra", type: "number" }],
    }));
    await rejects(
      Model.load(m),
      /This folder's (model_config\.json|tensor_names\.json) does not match/,
    );
    await Deno.writeTextFile(cfg, config);
    await editJson(join(m, "tensor_names.json"), (n) => ({ ...n, x: n.z, z: n.x }));
    // Swapped tensor names bind x to z's input: both are numbers, only the names tell.
    const swapped = await Model.load(m);
    await editJson(join(m, "tensor_names.json"), (n) => ({ ...n, x: n.z, z: n.x }));
    const right = await Model.load(m);
    const a = (await swapped.predict(ROWS.slice(0, 5))).predictions.columns.w_predictions;
    const b = (await right.predict(ROWS.slice(0, 5))).predictions.columns.w_predictions;
    if (JSON.stringify(a) === JSON.stringify(b)) throw new Error("tensor names were not used");
    await editJson(
      join(m, "input_columns.json"),
      (c) => ({ ...c, x: { shape: [3], dtype: "float32" } }),
    );
    await rejects(
      Model.load(m),
      /This folder's input_columns\.json does not match its model\/model\.json: input feature "x" has rows of shape \[3\], the model's input \[1\]/,
    );
  });
});

Deno.test("a model folder written before tensor_names.json still loads (legacy names)", async () => {
  await withDir(async (dir) => {
    const config = {
      ...CONFIG,
      input_features: [...CONFIG.input_features, { name: "my col", type: "number" }],
    };
    const rows = ROWS.map((r, i) => ({ ...r, "my col": i / 10 }));
    const m = await trained(join(dir, "m"), config, rows);
    const before = (await (await Model.load(m)).predict(rows.slice(0, 5))).predictions.columns;
    // Rename "f_my_col_<hash>" to the legacy "my_col" throughout, and drop the mapping.
    const names = JSON.parse(await Deno.readTextFile(join(m, "tensor_names.json")));
    const json = join(m, "model", "model.json");
    await Deno.writeTextFile(
      json,
      (await Deno.readTextFile(json)).replaceAll(names["my col"], "my_col"),
    );
    await Deno.remove(join(m, "tensor_names.json"));
    const after = (await (await Model.load(m)).predict(rows.slice(0, 5))).predictions.columns;
    deepStrictEqual(after.w_predictions, before.w_predictions);
  });
});
