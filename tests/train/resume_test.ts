// Run folders and checkpoints through Model.train (issue 17 items 1, 2, 6, 11; issue 9's binary
// checkpoints): resume restores the best weights, concurrent runs get their own folders,
// non-finite weights are refused, checkpoints hold tensors only in binary files.
import { deepStrictEqual, equal, match, notEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { Model } from "../../mod.ts";

const ROWS = Array.from({ length: 400 }, (_, i) => {
  const x = Math.sin(i * 12.9898) * 2;
  return { x, c: ["a", "b", "c"][i % 3], y: 2 * x + (i % 3) };
});

const CONFIG = {
  input_features: [{ name: "x", type: "number" }, { name: "c", type: "category" }],
  output_features: [{ name: "y", type: "number" }],
};

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "sonata_resume_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function files(dir: string, prefix = ""): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...files(path, `${prefix}${e.name}/`));
    else out.push({ path: `${prefix}${e.name}`, size: Deno.statSync(path).size });
  }
  return out;
}

async function predictions(model: Model): Promise<unknown[]> {
  return (await model.predict(ROWS.slice(0, 8))).predictions.columns.y_predictions;
}

Deno.test("resuming a finished run saves its best weights, not its last (issue 17 #1)", async () => {
  await withDir(async (dir) => {
    // Noisy SGD: the best evaluation comes before the last one.
    const config = {
      ...CONFIG,
      trainer: { epochs: 8, batch_size: 64, learning_rate: 0.5, optimizer: { type: "sgd" } },
    };
    const first = await (await Model.create(config)).train({
      dataset: ROWS,
      output_directory: dir,
      progress: false,
    });
    ok(first.result.bestStep < first.result.steps, `best ${first.result.bestStep}`);
    const runDir = first.output_directory!;
    const best = await predictions(await Model.load(runDir));
    const resumed = await (await Model.create(config)).train({
      dataset: ROWS,
      model_resume_path: runDir,
      progress: false,
    });
    equal(resumed.output_directory, runDir);
    equal(resumed.result.bestStep, first.result.bestStep);
    equal(resumed.result.bestMetric, first.result.bestMetric);
    deepStrictEqual(await predictions(await Model.load(runDir)), best);
    const description = JSON.parse(Deno.readTextFileSync(join(runDir, "description.json")));
    equal(description.best_step, first.result.bestStep);
  });
});

Deno.test("a corrupted checkpoint is refused on resume, naming the file; partial folders are removed", async () => {
  await withDir(async (dir) => {
    const config = { ...CONFIG, trainer: { epochs: 2, batch_size: 64 } };
    const first = await (await Model.create(config)).train({
      dataset: ROWS,
      output_directory: dir,
      progress: false,
      stop_after_steps: 6,
    });
    const ckpts = join(first.output_directory!, "training_checkpoints");
    const partial = join(ckpts, `.latest.${crypto.randomUUID()}.tmp`);
    Deno.mkdirSync(partial);
    const bin = join(ckpts, "latest", "tensors.bin");
    const bytes = Deno.readFileSync(bin);
    bytes[bytes.length - 1] ^= 1;
    Deno.writeFileSync(bin, bytes);
    const error = await (await Model.create(config)).train({
      dataset: ROWS,
      model_resume_path: first.output_directory,
      progress: false,
    }).then(() => undefined, (e: Error) => e);
    ok(error);
    match(error.message, /^Cannot resume: checkpoint file .*latest\/tensors\.bin is corrupted/);
    ok(
      !Deno.statSync(ckpts).isFile &&
        ![...Deno.readDirSync(ckpts)].some((e) => e.name.endsWith(".tmp")),
    );
  });
});

Deno.test("two runs started together into one output directory get two run folders (issue 17 #2)", async () => {
  await withDir(async (dir) => {
    const config = { ...CONFIG, trainer: { epochs: 1, batch_size: 64 } };
    const [a, b] = await Promise.all(
      [0, 1].map(async () =>
        await (await Model.create(config)).train({
          dataset: ROWS,
          output_directory: dir,
          experiment_name: "same",
          progress: false,
        })
      ),
    );
    notEqual(a.output_directory, b.output_directory);
    deepStrictEqual(
      [a.output_directory, b.output_directory].map((d) => d!.slice(dir.length + 1)).sort(),
      ["same_run", "same_run_1"],
    );
    for (const r of [a, b]) await Model.load(r.output_directory!);
  });
});

Deno.test("non-finite weights are not saved or loaded, and a NaN probability gets no label (issue 17 #6)", async () => {
  await withDir(async (dir) => {
    const model = await Model.create({
      ...CONFIG,
      output_features: [{ name: "y", type: "binary" }],
      trainer: { epochs: 1, batch_size: 64 },
    });
    const rows = ROWS.map((r) => ({ ...r, y: r.x > 0 }));
    await model.train({ dataset: rows, skip_save_all: true, progress: false });
    await model.save(join(dir, "good"));
    const weights = model.tfModel!.getWeights();
    const poisoned = weights.map((w, i) => i === weights.length - 1 ? w.mul(NaN) : w);
    model.tfModel!.setWeights(poisoned);
    await rejects(model.save(join(dir, "bad")), /non-finite value \(NaN/);
    ok(![...Deno.readDirSync(dir)].some((e) => e.name !== "good"), "nothing written");
    const out = (await model.predict(rows.slice(0, 3))).predictions;
    deepStrictEqual(out.columns.y_predictions, [null, null, null]);
    deepStrictEqual(out.columns.y_probability, [null, null, null]);
    // A saved model whose weights file holds a NaN is refused on load.
    const bin = join(dir, "good", "model", "weights.bin");
    const bytes = Deno.readFileSync(bin);
    new DataView(bytes.buffer).setFloat32(0, NaN, true);
    Deno.writeFileSync(bin, bytes);
    await rejects(Model.load(join(dir, "good")), /Cannot load the model .*non-finite value/);
  });
});

Deno.test("a 3000×64 embedding model's run folder holds tensors only in binary files", async () => {
  await withDir(async (dir) => {
    const rows = Array.from({ length: 4300 }, (_, i) => ({ id: `v${i}`, y: (i * 7) % 5 }));
    const model = await Model.create({
      input_features: [{
        name: "id",
        type: "category",
        encoder: { type: "dense", embedding_size: 64 },
        preprocessing: { most_common: 5000 },
      }],
      output_features: [{ name: "y", type: "number" }],
      trainer: { train_steps: 1, batch_size: 32 },
    });
    const { output_directory } = await model.train({
      dataset: rows,
      output_directory: dir,
      progress: false,
      skip_save_processed_input: true,
    });
    const all = files(output_directory!);
    const json = all.filter((f) => f.path.endsWith(".json"));
    // Vocabularies are not tensors: training_set_metadata.json lists the 3000 values; the
    // resolved config (model_config.json, description.json) is ~16 KB of defaults whatever the
    // model. Before binary checkpoints, optimizer.json alone was 8.7 MB here.
    const big = json.filter((f) =>
      f.size > 20_000 && !f.path.endsWith("training_set_metadata.json")
    );
    deepStrictEqual(big, []);
    for (const f of json.filter((f) => f.path.endsWith("checkpoint.json"))) {
      ok(f.size < 4096, `${f.path} is ${f.size} bytes`);
    }
    const latest = all.find((f) => f.path === "training_checkpoints/latest/tensors.bin")!;
    // The training split's 3010 values, 64 floats each: the model's weights, then Adam's slots.
    const model_ = all.find((f) => f.path === "model/model/weights.bin")!;
    ok(model_.size >= 3000 * 64 * 4, `weights.bin is ${model_.size} bytes`);
    ok(latest.size >= 3 * model_.size, `tensors.bin is ${latest.size} bytes`);
    ok(all.some((f) => f.path === "training_checkpoints/best/tensors.bin"));
    ok(!all.some((f) => /\.tmp/.test(f.path)));
  });
});

Deno.test("callbacks of the older progress shape still receive every event", async () => {
  const events: string[] = [];
  const model = await Model.create({ ...CONFIG, trainer: { epochs: 1, batch_size: 128 } });
  await model.train({
    dataset: ROWS,
    skip_save_all: true,
    progress: false,
    callbacks: {
      onTrainStart: (i) => void events.push(`start ${i.totalSteps}`),
      onStep: () => void events.push("step"),
      onCheckpoint: (i) => void events.push(`checkpoint ${i.step}`),
      onTrainEnd: () => void events.push("end"),
    },
  });
  deepStrictEqual(events, ["start 3", "step", "step", "step", "checkpoint 3", "end"]);
});

Deno.test("a run that fails before writing anything leaves no empty run folder", async () => {
  await withDir(async (dir) => {
    const model = await Model.create({ ...CONFIG, trainer: { epochs: 1 } });
    await rejects(
      model.train({
        dataset: ROWS.map(({ x, c }) => ({ x, c })),
        output_directory: dir,
        progress: false,
      }),
    );
    deepStrictEqual([...Deno.readDirSync(dir)], []);
  });
});
