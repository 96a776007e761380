/**
 * One training run for the distributed tests: trains a small regression model on fixed rows
 * (no shuffle, explicit splits) and writes the test rows' predictions and the optimizer state
 * size to `<out>.rank<R>.json`. Run as one process or as a rank under `mpirun`.
 *
 * Usage: deno run -A _worker.ts '<json: {out, backend, batch_size, learning_rate, …}>' (or `@file`)
 *
 * @module
 */
import { Model } from "../../lib/api.ts";
import { distributionFor, processRank } from "../../lib/distributed/mod.ts";
import type { TrainingCallback } from "../../lib/train/trainer.ts";
import { rows } from "./_rows.ts";

// The spec, or `@file` holding it (through launchers that re-split the command line).
const raw = Deno.args[0].startsWith("@")
  ? Deno.readTextFileSync(Deno.args[0].slice(1))
  : Deno.args[0];
const args = JSON.parse(raw) as {
  out: string;
  backend: Record<string, unknown>;
  batch_size: number | "auto";
  learning_rate: number;
  epochs?: number;
  die_at_step?: number;
  stall_at_step?: number;
  /** Write a run folder here (rank 0), so the run can be interrupted and resumed. */
  output_directory?: string;
  stop_after_steps?: number;
  model_resume_path?: string;
};

const config = {
  input_features: [
    ...[0, 1, 2, 3].map((k) => ({ name: `x${k}`, type: "number" })),
    { name: "c", type: "category", encoder: { type: "dense", embedding_size: 4 } },
  ],
  output_features: [{ name: "y", type: "number" }],
  combiner: { type: "concat", num_fc_layers: 2, output_size: 16 },
  trainer: {
    batch_size: args.batch_size,
    learning_rate: args.learning_rate,
    epochs: args.epochs ?? 3,
    should_shuffle: false,
  },
  backend: { compute: "cpu", ...args.backend },
};

const model = await Model.create(config);
let stateElements = 0;
/** Bytes of parameters and optimizer state between two steps (after the third). */
let between: { parameterBytes: number; optimizerBytes: number } | undefined;
const probe: TrainingCallback = {
  async onBatchEnd(ctx) {
    if (ctx.state.step === 3) {
      const dist = distributionFor(model.config);
      between = dist ? await dist.memory(ctx.optimizer, model.tfModel!) : undefined;
    }
    if (
      args.die_at_step !== undefined && processRank() === 1 && ctx.state.step >= args.die_at_step
    ) {
      Deno.kill(Deno.pid, "SIGKILL"); // a rank dies mid-run
    }
    if (
      args.stall_at_step !== undefined && processRank() === 1 &&
      ctx.state.step >= args.stall_at_step
    ) {
      // A rank that hangs (never reaches the next collective).
      const cell = new Int32Array(new SharedArrayBuffer(4));
      for (;;) Atomics.wait(cell, 0, 0, 1000);
    }
  },
  async onTrainEnd(ctx) {
    const dist = distributionFor(model.config);
    if (dist) stateElements = await dist.optimizerStateElements(ctx.optimizer);
    else {
      const weights = await ctx.optimizer.getWeights();
      stateElements = weights.reduce((s, w) => s + w.tensor.size, 0);
    }
  },
};
const result = await model.train({
  training_set: rows(256),
  validation_set: rows(64, 1000),
  test_set: rows(64, 2000),
  skip_save_all: args.output_directory === undefined && args.model_resume_path === undefined,
  output_directory: args.output_directory,
  stop_after_steps: args.stop_after_steps,
  model_resume_path: args.model_resume_path,
  progress: false,
  callbacks: [probe],
});
const { predictions } = await model.predict(rows(64, 3000));
await Deno.writeTextFile(
  `${args.out}.rank${processRank()}.json`,
  JSON.stringify({
    predictions: predictions.columns.y_predictions,
    steps: result.result.steps,
    learningRate: result.result.learningRate,
    batchSize: result.result.batchSize,
    stateElements,
    between,
    parameters: model.tfModel!.countParams(),
  }),
);
