import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { z } from "zod";
import { registerEncoder } from "../../lib/config/components.ts";
import { defineEncoder } from "../../lib/config/registry.ts";
import {
  autoLearningRate,
  type AutoLearningRateConfig,
  createSchedule,
} from "../../lib/train/schedule.ts";

function rates(schedule: { learningRate(step: number): number }, steps: number): number[] {
  return Array.from({ length: steps }, (_, s) => schedule.learningRate(s));
}

function closeAll(actual: readonly number[], expected: readonly number[]): void {
  equal(actual.length, expected.length);
  actual.forEach((v, i) =>
    ok(Math.abs(v - expected[i]) <= 1e-12, `step ${i}: expected ${expected[i]}, received ${v}`)
  );
}

const RUN = { baseLearningRate: 1, totalSteps: 10, stepsPerCheckpoint: 4 };

Deno.test("no decay and no warmup keep the base rate", () => {
  const s = createSchedule({}, { ...RUN, baseLearningRate: 0.003 });
  equal(s.warmupSteps, 0);
  deepStrictEqual(rates(s, 3), [0.003, 0.003, 0.003]);
});

Deno.test("linear decay reaches 0 at the last step; warmup starts at 0", () => {
  closeAll(rates(createSchedule({ decay: "linear" }, { ...RUN, totalSteps: 4 }), 5), [
    1,
    0.75,
    0.5,
    0.25,
    0,
  ]);
  // warmup_fraction 0.2 of 10 steps = 2 warmup steps; the decay then counts from 0.
  closeAll(rates(createSchedule({ decay: "linear", warmup_fraction: 0.2 }, RUN), 10), [
    0,
    0.5,
    1,
    7 / 8,
    6 / 8,
    5 / 8,
    4 / 8,
    3 / 8,
    2 / 8,
    1 / 8,
  ]);
});

Deno.test("warmup takes the larger of fraction and evaluations, and may be fractional", () => {
  const both = createSchedule({ warmup_fraction: 0.1, warmup_evaluations: 1 }, RUN);
  equal(both.warmupSteps, 4); // max(0.1 × 10, 1 × 4)
  closeAll(rates(both, 6), [0, 0.25, 0.5, 0.75, 1, 1]);
  // 2.5 warmup steps: the decay (PyTorch SequentialLR) starts at step 3.
  const frac = createSchedule({ decay: "linear", warmup_fraction: 0.25 }, RUN);
  closeAll(rates(frac, 5), [0, 0.4, 0.8, 1, 6.5 / 7.5]);
});

Deno.test("exponential decay is rate^(1 + step / decay_steps), ceiled when staircase", () => {
  const smooth = createSchedule({ decay: "exponential", decay_rate: 0.5, decay_steps: 2 }, RUN);
  closeAll(rates(smooth, 3), [0.5, 0.5 ** 1.5, 0.25]);
  const stairs = createSchedule(
    { decay: "exponential", decay_rate: 0.5, decay_steps: 2, staircase: true },
    RUN,
  );
  closeAll(rates(stairs, 4), [0.5, 0.25, 0.25, 0.125]);
});

Deno.test("cosine annealing with warm restarts", () => {
  const c = Math.cos;
  const pi = Math.PI;
  // t_0 defaults to steps per checkpoint (4).
  closeAll(rates(createSchedule({ decay: "cosine" }, RUN), 6), [
    1,
    (1 + c(pi / 4)) / 2,
    0.5,
    (1 + c((3 * pi) / 4)) / 2,
    1,
    (1 + c(pi / 4)) / 2,
  ]);
  // Periods 2, 4, 8 with t_mult 2; eta_min raises the floor.
  closeAll(rates(createSchedule({ decay: "cosine", t_0: 2, t_mult: 2 }, RUN), 7), [
    1,
    0.5,
    1,
    (1 + c(pi / 4)) / 2,
    0.5,
    (1 + c((3 * pi) / 4)) / 2,
    1,
  ]);
  closeAll(rates(createSchedule({ decay: "cosine", t_0: 4, eta_min: 0.1 }, RUN), 3), [
    1,
    0.1 + 0.9 * (1 + c(pi / 4)) / 2,
    0.55,
  ]);
  // After warmup the cosine starts its first period.
  closeAll(
    rates(
      createSchedule({ decay: "cosine", t_0: 2, warmup_evaluations: 1 }, {
        ...RUN,
        stepsPerCheckpoint: 2,
      }),
      5,
    ),
    [0, 0.5, 1, 0.5, 1],
  );
});

Deno.test("reduce on plateau: patience, capped reductions and Ludwig's extra step", () => {
  const s = createSchedule(
    { reduce_on_plateau: 2, reduce_on_plateau_patience: 1, reduce_on_plateau_rate: 0.5 },
    RUN,
  );
  equal(s.onEvaluation(1.0, 4), false); // best
  equal(s.onEvaluation(1.0, 8), false); // 1 bad evaluation: not more than patience
  equal(s.onEvaluation(0.99995, 12), true); // within the 1e-4 relative threshold: bad
  equal(s.numReductions, 1);
  deepStrictEqual([s.learningRate(12), s.learningRate(13)], [0.5, 0.5]);
  equal(s.onEvaluation(0.5, 16), false); // improvement
  equal(s.onEvaluation(0.5, 20), false);
  equal(s.onEvaluation(0.5, 24), true);
  // The step after the reduction gets 0.5 (previous) × 0.25 (both reductions), then 0.25.
  deepStrictEqual([s.learningRate(24), s.learningRate(25)], [0.125, 0.25]);
  // The cap is reached: nothing more happens.
  for (let i = 0; i < 5; i++) equal(s.onEvaluation(9, 28 + i), false);
  equal(s.learningRate(40), 0.25);
});

Deno.test("plateau reductions multiply the scheduled rate and follow the metric goal", () => {
  const s = createSchedule(
    {
      decay: "linear",
      reduce_on_plateau: 1,
      reduce_on_plateau_patience: 0,
      reduce_on_plateau_rate: 0.1,
      reduce_eval_metric: "accuracy",
    },
    RUN,
  );
  equal(s.onEvaluation(0.5, 2), false);
  equal(s.onEvaluation(0.6, 4), false); // accuracy maximizes: an improvement
  equal(s.onEvaluation(0.6, 5), true);
  ok(Math.abs(s.learningRate(6) - 0.04) < 1e-12); // 0.4 × 0.1
  // A reduction smaller than 1e-8 is not applied (PyTorch's eps).
  const tiny = createSchedule(
    { reduce_on_plateau: 1, reduce_on_plateau_patience: 0, reduce_on_plateau_rate: 0.5 },
    { ...RUN, baseLearningRate: 1e-8 },
  );
  tiny.onEvaluation(1);
  ok(tiny.onEvaluation(1));
  equal(tiny.learningRate(3), 1e-8);
});

Deno.test("plateau state survives a checkpoint", () => {
  const config = { reduce_on_plateau: 3, reduce_on_plateau_patience: 1 };
  const a = createSchedule(config, RUN);
  a.onEvaluation(1, 4);
  a.onEvaluation(2, 8);
  const b = createSchedule(config, RUN);
  b.setState(a.getState());
  deepStrictEqual(
    [a.onEvaluation(2, 12), a.learningRate(12)],
    [b.onEvaluation(2, 12), b.learningRate(12)],
  );
  equal(b.numReductions, 1);
});

Deno.test("createSchedule rejects an unknown decay", () => {
  throws(
    () =>
      createSchedule(
        { decay: "polynomial" as unknown as "linear" },
        RUN,
      ),
    TypeError,
  );
});

const PRETRAINED_TYPE = "sonata_test/pretrained_text";
registerEncoder(defineEncoder({
  featureTypes: ["text"],
  schema: z.strictObject({
    type: z.literal(PRETRAINED_TYPE),
    trainable: z.boolean().default(false),
  }),
  capabilities: { outputRank: () => 2, pretrained: true },
}));

function inputs(...features: Array<[string, string, boolean?]>): AutoLearningRateConfig {
  return {
    input_features: features.map(([type, encoder, trainable]) => ({
      name: `${type}_${encoder}`,
      type,
      column: type,
      active: true,
      tied: null,
      preprocessing: {},
      encoder: { type: encoder, ...(trainable === undefined ? {} : { trainable }) },
    })),
  };
}

Deno.test("autoLearningRate follows Ludwig's heuristic through registry capabilities", () => {
  equal(autoLearningRate(inputs(["number", "passthrough"], ["category", "dense"])), 1e-3);
  equal(autoLearningRate(inputs(["number", "passthrough"], ["text", "parallel_cnn"])), 1e-4);
  equal(autoLearningRate(inputs(["sequence", "embed"])), 1e-4);
  equal(autoLearningRate(inputs(["text", PRETRAINED_TYPE, false])), 2e-5);
  equal(autoLearningRate(inputs(["text", PRETRAINED_TYPE, true])), 1e-5);
  // Any trainable encoder counts, as in Ludwig.
  equal(
    autoLearningRate(inputs(["text", PRETRAINED_TYPE, false], ["category", "dense", true])),
    1e-5,
  );
});
