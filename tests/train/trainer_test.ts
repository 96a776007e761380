// Trainer keys of reference §3 that the end-to-end tests do not already cover.
import { equal, ok } from "node:assert/strict";
import { Model } from "../../mod.ts";

type Obj = Record<string, unknown>;

const ROWS = Array.from({ length: 400 }, (_, i) => {
  const x = Math.sin(i * 12.9898) * 2;
  return { x, c: ["a", "b", "c"][i % 3], y: 2 * x + (i % 3) };
});

async function train(trainer: Obj, extra: Obj = {}) {
  const model = await Model.create({
    input_features: [{ name: "x", type: "number" }, { name: "c", type: "category" }],
    output_features: [{ name: "y", type: "number" }],
    trainer,
    ...extra,
  });
  return (await model.train({ dataset: ROWS, skip_save_all: true, progress: false })).result;
}

Deno.test("batch_size auto picks a power of two within Ludwig's caps and reports it", async () => {
  const result = await train({ batch_size: "auto", epochs: 1 });
  ok(Number.isInteger(Math.log2(result.batchSize)), `batch size ${result.batchSize}`);
  ok(result.batchSize <= 128 && result.batchSize <= 0.2 * 280, `batch size ${result.batchSize}`);
});

Deno.test("learning_rate auto resolves to Ludwig's heuristic (tabular: 1e-3)", async () => {
  equal((await train({ learning_rate: "auto", epochs: 1, batch_size: 64 })).learningRate, 0.001);
});

Deno.test("train_steps overrides epochs, and checkpoints follow steps_per_checkpoint", async () => {
  const result = await train({
    train_steps: 7,
    epochs: 100,
    batch_size: 64,
    steps_per_checkpoint: 2,
  });
  equal(result.steps, 7);
  // checkpoints at steps 2, 4, 5 (end of the 5-step epoch), 7
  equal(result.statistics.training.combined.loss.length, 4);
});

Deno.test("checkpoints_per_epoch evaluates several times an epoch", async () => {
  const result = await train({ epochs: 2, batch_size: 28, checkpoints_per_epoch: 2 });
  equal(result.statistics.training.combined.loss.length, 4);
  equal(result.statistics.validation.combined.loss.length, 4);
});

Deno.test("early_stop stops after that many evaluations without improvement", async () => {
  const result = await train({
    epochs: 200,
    batch_size: 64,
    early_stop: 2,
    learning_rate: 0.5,
    optimizer: { type: "sgd" },
  });
  ok(result.stoppedEarly, `ran ${result.epochs} epochs`);
  ok(result.epochs < 200);
});

Deno.test("increase_batch_size_on_plateau grows the batch up to max_batch_size", async () => {
  const result = await train({
    epochs: 12,
    batch_size: 16,
    learning_rate: 0.5,
    optimizer: { type: "sgd" },
    early_stop: -1,
    increase_batch_size_on_plateau: 2,
    increase_batch_size_on_plateau_patience: 0,
    increase_batch_size_eval_split: "validation",
    max_batch_size: 48,
  });
  ok(result.batchSize > 16 && result.batchSize <= 48, `batch size ${result.batchSize}`);
});

Deno.test("should_shuffle false gives the same batches every epoch (and still a repeatable run)", async () => {
  const a = await train({ epochs: 2, batch_size: 64, should_shuffle: false });
  const b = await train({ epochs: 2, batch_size: 64, should_shuffle: false });
  equal(JSON.stringify(a.statistics), JSON.stringify(b.statistics));
});

Deno.test("skip_all_evaluation records only the running losses and evaluates nothing", async () => {
  const result = await train({ epochs: 2, batch_size: 64, skip_all_evaluation: true });
  equal(Object.keys(result.statistics.validation).length, 0);
  equal(Object.keys(result.statistics.test).length, 0);
  equal(JSON.stringify(Object.keys(result.statistics.training.y)), JSON.stringify(["loss"]));
  equal(result.statistics.training.combined.loss.length, 1);
});

Deno.test("model_load_path starts from a trained model's weights, and refuses other vocabularies", async () => {
  const dir = await Deno.makeTempDir();
  const config = {
    input_features: [{ name: "x", type: "number" }, { name: "c", type: "category" }],
    output_features: [{ name: "y", type: "number" }],
    trainer: { epochs: 1, batch_size: 64 },
  };
  const first = await (await Model.create(config)).train({
    dataset: ROWS,
    output_directory: dir,
    progress: false,
  });
  const again = await (await Model.create(config)).train({
    dataset: ROWS,
    output_directory: dir,
    model_load_path: first.output_directory,
    progress: false,
  });
  ok(again.result.steps > 0);
  const other = ROWS.map((r) => ({ ...r, c: r.c.toUpperCase() }));
  const error = await (await Model.create(config)).train({
    dataset: other,
    skip_save_all: true,
    model_load_path: first.output_directory,
    progress: false,
  }).then(() => undefined, (e: Error) => e);
  ok(error && /feature "c" has another vocabulary/.test(error.message), String(error));
  await Deno.remove(dir, { recursive: true });
});
