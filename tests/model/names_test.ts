// Feature names that are not TF.js tensor names (issue 17 #3): prototype keys, a leading `_`,
// non-ASCII letters, names that collide once sanitized and `/` train, save, load and predict,
// through the API and the CLI; each maps to a safe, unique tensor name kept in the model folder.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { Model } from "../../mod.ts";
import { featureTensorNames } from "../../lib/model/names.ts";

const NAMES = ["constructor", "__proto__", "_x", "été", "my col", "my_col", "toString", "a/b"];

function rows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const row: Record<string, unknown> = Object.create(null);
    NAMES.forEach((name, k) => row[name] = Math.sin(i * 1.7 + k));
    row["hasOwnProperty"] = ["a", "b", "c"][i % 3];
    row["valueOf"] = i % 2 === 0 ? "yes" : "no";
    return row;
  });
}

const CONFIG = {
  input_features: NAMES.map((name) => ({ name, type: "number" })),
  output_features: [
    { name: "hasOwnProperty", type: "category" },
    { name: "valueOf", type: "binary" },
  ],
  trainer: { epochs: 2, batch_size: 16 },
};

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "sonata_names_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tensor names: safe, unique, stable; plain names keep themselves", () => {
  const names = featureTensorNames([...NAMES, "age", "x.1-b"]);
  const values = [...names.values()];
  equal(new Set(values).size, values.length, `not unique: ${values}`);
  for (const v of values) ok(/^[A-Za-z][A-Za-z0-9_.\-]*$/.test(v), v);
  for (const v of values) ok(!(v in Object.prototype), v);
  equal(names.get("age"), "age");
  equal(names.get("x.1-b"), "x.1-b");
  // Stable: the same name maps to the same tensor name whatever the order.
  const reversed = featureTensorNames([...NAMES].reverse());
  for (const n of NAMES) equal(reversed.get(n), names.get(n), n);
});

Deno.test("features named constructor, __proto__, _x, été, my col + my_col, toString, a/b: train, save, load, predict (API)", async () => {
  await withDir(async (dir) => {
    const model = await Model.create(CONFIG);
    await model.train({ dataset: rows(64), skip_save_all: true, progress: false });
    const before = (await model.predict(rows(8))).predictions.columns;
    ok(Object.hasOwn(before, "hasOwnProperty_predictions"));
    ok(Object.hasOwn(before, "valueOf_predictions"));
    await model.save(join(dir, "m"));
    const names = JSON.parse(await Deno.readTextFile(join(dir, "m", "tensor_names.json")));
    equal(Object.keys(names).length, NAMES.length + 2);
    ok(Object.hasOwn(names, "__proto__"));
    const loaded = await Model.load(join(dir, "m"));
    const after = (await loaded.predict(rows(8))).predictions.columns;
    deepStrictEqual(after.hasOwnProperty_predictions, before.hasOwnProperty_predictions);
    deepStrictEqual(after.valueOf_probabilities, before.valueOf_probabilities);
    ok(Object.hasOwn(loaded.metadata!, "__proto__"));
  });
});

Deno.test("odd feature names through the CLI: train, then predict writes their columns", async () => {
  await withDir(async (dir) => {
    const header = [...NAMES, "hasOwnProperty", "valueOf"];
    const quote = (s: string) => s.includes(" ") || s.includes("/") ? `"${s}"` : s;
    const lines = [header.map(quote).join(",")];
    for (const r of rows(48)) lines.push(header.map((h) => String(r[h])).join(","));
    await Deno.writeTextFile(join(dir, "data.csv"), lines.join("\n") + "\n");
    await Deno.writeTextFile(join(dir, "c.json"), JSON.stringify(CONFIG));
    const cli = new URL("../../lib/cli/main.ts", import.meta.url).pathname;
    const run = async (...args: string[]) => {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", cli, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(r.stderr);
      equal(r.code, 0, `${args[0]}: ${err}`);
    };
    await run(
      "train",
      "-c",
      join(dir, "c.json"),
      "--dataset",
      join(dir, "data.csv"),
      "--output_directory",
      join(dir, "out"),
    );
    const runDir = join(dir, "out", "experiment_run");
    await run(
      "predict",
      "-m",
      join(runDir, "model"),
      "--dataset",
      join(dir, "data.csv"),
      "--output_directory",
      join(dir, "pred"),
    );
    const csv = await Deno.readTextFile(join(dir, "pred", "predictions.csv"));
    const head = csv.split("\n")[0];
    ok(head.includes("hasOwnProperty_predictions"), head);
    ok(head.includes("valueOf_predictions"), head);
    equal(csv.trim().split("\n").length, 49);
  });
});

Deno.test("prototype keys as output and category features: metadata, predictions and CSV keep them", async () => {
  await withDir(async (dir) => {
    const data = Array.from({ length: 48 }, (_, i) => {
      const row: Record<string, unknown> = Object.create(null);
      row["constructor"] = ["a", "b", "c"][i % 3];
      row["x"] = Math.sin(i);
      row["__proto__"] = i % 3 === 0 ? "yes" : "no";
      row["toString"] = ["p", "q"][i % 2];
      return row;
    });
    const model = await Model.create({
      input_features: [{ name: "constructor", type: "category" }, { name: "x", type: "number" }],
      output_features: [
        { name: "__proto__", type: "binary" },
        { name: "toString", type: "category" },
      ],
      trainer: { epochs: 2, batch_size: 16 },
    });
    await model.train({ dataset: data, skip_save_all: true, progress: false });
    const meta = model.metadata!;
    ok(Object.hasOwn(meta, "__proto__"), "metadata of __proto__");
    ok(Object.hasOwn(meta, "constructor"), "metadata of constructor");
    equal((meta["constructor"] as { vocab_size: number }).vocab_size, 3);
    await model.save(join(dir, "m"));
    const saved = JSON.parse(await Deno.readTextFile(join(dir, "m", "training_set_metadata.json")));
    ok(Object.hasOwn(saved, "__proto__"), "saved metadata of __proto__");
    const loaded = await Model.load(join(dir, "m"));
    const r = await loaded.predict(data, { output_directory: join(dir, "pred") });
    equal(r.predictions.columns["__proto___predictions"].length, 48);
    equal(r.predictions.columns["toString_predictions"].length, 48);
    const csv = (await Deno.readTextFile(join(dir, "pred", "predictions.csv"))).split("\n")[0];
    ok(csv.includes("__proto___predictions") && csv.includes("toString_predictions"), csv);
    const evaluated = await loaded.evaluate(data);
    ok(Object.hasOwn(evaluated.test_statistics, "__proto__"), "statistics of __proto__");
  });
});
