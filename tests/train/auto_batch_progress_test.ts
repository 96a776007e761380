// `batch_size: auto` from an estimate (reproducible), and the terminal progress's layout.
import { equal, match, ok } from "node:assert/strict";
import { Model } from "../../mod.ts";
import { autoBatchSize } from "../../lib/train/trainer.ts";
import { metricsTable, progressLine, rate, terminalProgress } from "../../lib/train/progress.ts";
import type { StepInfo } from "../../lib/train/callbacks.ts";

const ROWS = Array.from({ length: 400 }, (_, i) => {
  const x = Math.sin(i * 12.9898) * 2;
  return { x, c: ["a", "b", "c"][i % 3], y: 2 * x + (i % 3) };
});
const CONFIG = {
  input_features: [{ name: "x", type: "number" }, { name: "c", type: "category" }],
  output_features: [{ name: "y", type: "number" }],
  trainer: { batch_size: "auto", epochs: 1 },
};

Deno.test("batch_size auto gives one size for one seed and data, and logs why", async () => {
  const sizes: number[] = [];
  const logged: string[] = [];
  for (let run = 0; run < 3; run++) {
    const model = await Model.create(CONFIG);
    const result = await model.train({
      dataset: ROWS,
      skip_save_all: true,
      progress: false,
      callbacks: terminalProgress({ write: (s) => logged.push(s), tty: false }),
    });
    sizes.push(result.result.batchSize);
  }
  equal(new Set(sizes).size, 1, `sizes ${sizes}`);
  // 400 rows, 70% training: 20% of 280 = 56 -> 32.
  equal(sizes[0], 32);
  const reason = logged.find((l) => l.startsWith("batch_size auto: 32"));
  ok(reason, logged.join(""));
  match(reason!, /20% of 280 training rows -> 56/);
  match(reason!, /bound by 20% of 280 training rows/);
});

Deno.test("autoBatchSize caps by memory, work and the CPU limit, not by the GPU's", async () => {
  const model = await Model.create(CONFIG);
  await model.train({ dataset: ROWS, skip_save_all: true, progress: false });
  const ecd = { model: model.tfModel!, inputNames: ["x", "c"], outputNames: ["y"] };
  const config = { ...model.config, trainer: { ...model.config.trainer, max_batch_size: 100000 } };
  equal(autoBatchSize(ecd, config as never, 1e6, "native", 64 * 1024 ** 3).batchSize, 128);
  const gpu = autoBatchSize(ecd, config as never, 1e6, "tensorflow-gpu", 64 * 1024 ** 3);
  ok(gpu.batchSize > 128, gpu.reason);
  // A machine with almost no memory: the memory limit binds.
  const tiny = autoBatchSize(ecd, config as never, 1e6, "native", 512 * 1024);
  ok(tiny.batchSize < 128, tiny.reason);
  match(tiny.reason, /bound by memory/);
});

const STEP: StepInfo = {
  step: 40,
  totalSteps: 100,
  epoch: 1,
  epochs: 10,
  loss: 0.25,
  learningRate: 0.001,
  batchSize: 32,
  elapsedSeconds: 8,
};

Deno.test("the progress line fits the width and shows elapsed time, ETA and it/s", () => {
  for (const columns of [50, 80, 120, 200]) {
    const line = progressLine(STEP, columns);
    ok(line.length < columns, `${columns}: ${line.length} ${line}`);
    match(line, /40\/100 \[8s<12s, 5\.00it\/s\] loss 0\.2500/);
  }
  ok(progressLine(STEP, 200).length > progressLine(STEP, 80).length);
  equal(rate(1, 4), "4.00s/it");
  equal(rate(0, 4), "?it/s");
});

Deno.test("each evaluation prints Ludwig's train/validation/test table and the last improvement", async () => {
  const lines: string[] = [];
  const progress = terminalProgress({
    validationField: "y",
    validationMetric: "loss",
    write: (s) => lines.push(s),
    tty: false,
  });
  const statistics = {
    training: { y: { loss: [0.5, 0.4] }, combined: { loss: [0.5, 0.4] } },
    validation: { y: { loss: [0.6, 0.7] }, combined: { loss: [0.6, 0.7] } },
    test: { y: { loss: [0.65, 0.72] }, combined: { loss: [0.65, 0.72] } },
  };
  await progress.onCheckpoint?.({ ...STEP, epoch: 1, statistics, improved: true });
  await progress.onCheckpoint?.({ ...STEP, epoch: 3, statistics, improved: false });
  const text = lines.join("");
  match(text, /│ y\s+│\s+train │ validation │\s+test │/);
  match(text, /│ loss │ 0\.4000 │\s+0\.7000 │ 0\.7200 │/);
  match(text, /validation loss on y improved to 0\.7000/);
  match(text, /Last improvement of validation loss on y happened 2 epochs ago/);
  match(metricsTable(statistics), /combined/);
});
