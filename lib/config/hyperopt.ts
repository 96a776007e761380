/**
 * The hyperopt section (reference §9): search space per parameter path, search algorithm,
 * executor and scheduler.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { choice, encodeIssue, obj } from "./fields.ts";

const bounds = () => ({
  lower: z.number().describe("Lower bound"),
  upper: z.number().describe("Upper bound"),
});
const q = () => ({ q: z.number().positive().describe("Quantization step") });
const base = () => ({ base: z.number().positive().default(10).describe("Logarithm base") });
const intBounds = () => ({
  lower: z.int().describe("Lower bound (inclusive)"),
  upper: z.int().describe("Upper bound (exclusive)"),
});
// Ray Tune's quantized integer spaces include their upper bound.
const qIntBounds = () => ({
  lower: z.int().describe("Lower bound (inclusive)"),
  upper: z.int().describe("Upper bound (inclusive)"),
});

const space = <const N extends string, S extends z.ZodRawShape>(name: N, shape: S, d: string) =>
  obj({ space: z.literal(name), ...shape }, { id: `hyperopt.space.${name}`, description: d });

/** Parameter spaces. */
export const SPACES = [
  space("choice", {
    categories: z.array(z.unknown()).min(1).describe("Values to choose from (may be objects)"),
  }, "One of the categories"),
  space("grid_search", {
    values: z.array(z.unknown()).min(1).describe("Every value is tried"),
  }, "Every value"),
  space("uniform", bounds(), "Uniform real value"),
  space("quniform", { ...bounds(), ...q() }, "Quantized uniform real value"),
  space("loguniform", { ...bounds(), ...base() }, "Log-uniform real value"),
  space("qloguniform", { ...bounds(), ...q(), ...base() }, "Quantized log-uniform value"),
  space("randn", {
    mean: z.number().default(0).describe("Mean"),
    sd: z.number().positive().default(1).describe("Standard deviation"),
  }, "Normal real value"),
  space("qrandn", {
    mean: z.number().default(0).describe("Mean"),
    sd: z.number().positive().default(1).describe("Standard deviation"),
    ...q(),
  }, "Quantized normal value"),
  space("randint", intBounds(), "Uniform integer"),
  space("qrandint", { ...qIntBounds(), ...q() }, "Quantized uniform integer"),
  space("lograndint", { ...intBounds(), ...base() }, "Log-uniform integer"),
  space("qlograndint", { ...qIntBounds(), ...q(), ...base() }, "Quantized log-uniform integer"),
] as const;

const SPACE_NAMES = SPACES.map((s) => s.shape.space.value);

/** One parameter's search space, discriminated by `space`. */
export const ParameterSpaceSchema = z.discriminatedUnion("space", SPACES, {
  error: (issue) =>
    issue.code === "invalid_union"
      ? encodeIssue({ code: "unknown_type", kind: "search space", options: SPACE_NAMES })
      : undefined,
}).refine((s) => !("lower" in s && "upper" in s) || s.lower < s.upper, {
  error: (issue) => {
    const s = issue.input as { lower: number; upper: number };
    return encodeIssue({
      code: "invalid_value",
      expected: "lower < upper",
      received: `lower ${s.lower}, upper ${s.upper}`,
    });
  },
});

/** The search algorithms Sonata runs; the others exist in Ludwig (through Ray Tune). */
const SearchAlgSchema = obj({
  type: choice(["variant_generator", "random", "hyperopt"] as const, {
    kind: "search algorithm",
    ludwigOnly: [
      "optuna",
      "ax",
      "bayesopt",
      "blendsearch",
      "bohb",
      "cfo",
      "dragonfly",
      "hebo",
      "nevergrad",
      "skopt",
      "zoopt",
    ],
  }).default("variant_generator").describe("How trial parameters are drawn"),
  random_state: z.int().nullable().default(null).describe("Seed of the draws"),
  points_to_evaluate: z.array(z.record(z.string(), z.unknown())).nullable().default(null).describe(
    "Parameter sets evaluated first",
  ),
  max_concurrent: z.int().min(0).default(0).describe("Concurrent trials (0: unlimited)"),
  random_state_seed: z.int().nullable().default(null).describe(
    "hyperopt (TPE): seed of the draws (random_state is used when null)",
  ),
  n_initial_points: z.int().min(1).default(20).describe(
    "hyperopt (TPE): random trials before the Parzen estimators are used",
  ),
  gamma: z.number().gt(0).lt(1).default(0.25).describe(
    "hyperopt (TPE): fraction (of the square root of the trials) counted as good",
  ),
}, { id: "hyperopt.search_alg", description: "Search algorithm" });

const SchedulerSchema = obj({
  type: choice(["fifo", "async_hyperband", "asha", "hyperband", "median_stopping_rule"] as const, {
    kind: "scheduler",
    ludwigOnly: ["pbt", "pbt_replay", "pb2", "hb_bohb", "resource_changing"],
  }).default("fifo").describe("Trial scheduler"),
  time_attr: z.string().default("training_iteration").describe("Time unit of the scheduler"),
  metric: z.string().nullable().default(null).describe("Metric (default: the hyperopt metric)"),
  mode: z.enum(["min", "max"]).nullable().default(null).describe("Direction (default: goal)"),
  max_t: z.int().min(1).default(81).describe("Longest trial, in time_attr units"),
  grace_period: z.int().min(1).default(1).describe("Shortest trial before stopping is allowed"),
  reduction_factor: z.number().gt(1).default(4).describe("Fraction of trials kept per rung"),
  brackets: z.int().min(1).default(1).describe("Number of brackets"),
  min_samples_required: z.int().min(1).default(3).describe(
    "Median stopping rule: trials needed before stopping",
  ),
}, { id: "hyperopt.scheduler", description: "Trial scheduler" });

const ExecutorSchema = obj({
  type: z.enum(["ray", "local"]).default("ray").describe(
    "Executor (Sonata runs trials in worker processes on this machine; ray is Ludwig's name)",
  ),
  num_samples: z.int().min(1).nullable().default(null).describe(
    "Trials (null: 10, or 1 per grid point when a grid_search space is present)",
  ),
  time_budget_s: z.number().positive().default(3600).describe("Time budget of the search"),
  cpu_resources_per_trial: z.number().positive().default(1).describe("CPUs per trial"),
  gpu_resources_per_trial: z.number().min(0).default(0).describe("GPUs per trial"),
  max_concurrent_trials: z.union([z.int().min(1), z.literal("auto")]).nullable().default("auto")
    .describe("Trials run at once"),
  kubernetes_namespace: z.string().nullable().default(null).describe("Unused by Sonata"),
  trial_driver_resources: z.record(z.string(), z.number()).nullable().default(null).describe(
    "Resources of the search driver ({CPU: n}): held back from the trials' CPUs",
  ),
  scheduler: SchedulerSchema.prefault({}),
}, { id: "hyperopt.executor", description: "How trials are run" });

/** The hyperopt section. */
export const HyperoptSchema = obj({
  goal: z.enum(["minimize", "maximize"]).default("minimize").describe("Direction of the metric"),
  metric: z.string().default("loss").describe("Metric optimized"),
  output_feature: z.string().default("combined").describe("Output feature of the metric"),
  split: z.enum(["training", "validation", "test"]).default("validation").describe(
    "Split on which the metric is measured",
  ),
  parameters: z.record(z.string(), ParameterSpaceSchema).default({}).describe(
    "Search space: dotted config path (trainer.learning_rate, <feature>.encoder.type, .) to space",
  ),
  search_alg: SearchAlgSchema.prefault({}),
  executor: ExecutorSchema.prefault({}),
}, { id: "hyperopt", description: "Hyperparameter search" }).superRefine((h, ctx) => {
  const sch = h.executor.scheduler;
  if (sch.type !== "fifo" && sch.time_attr !== "training_iteration") {
    ctx.addIssue({
      code: "custom",
      path: ["executor", "scheduler", "time_attr"],
      message:
        `Sonata's schedulers count epochs: time_attr must be "training_iteration", received "${sch.time_attr}"`,
    });
  }
  if (sch.metric !== null && sch.metric !== h.metric) {
    ctx.addIssue({
      code: "custom",
      path: ["executor", "scheduler", "metric"],
      message:
        `the scheduler prunes on the hyperopt metric: expected null or "${h.metric}", received "${sch.metric}"`,
    });
  }
  const mode = h.goal === "maximize" ? "max" : "min";
  if (sch.mode !== null && sch.mode !== mode) {
    ctx.addIssue({
      code: "custom",
      path: ["executor", "scheduler", "mode"],
      message: `goal ${h.goal} means mode "${mode}", received "${sch.mode}"`,
    });
  }
  for (const [path, s] of Object.entries(h.parameters)) {
    if (/log/.test(s.space) && "lower" in s && s.lower <= 0) {
      ctx.addIssue({
        code: "custom",
        path: ["parameters", path, "lower"],
        message:
          `a ${s.space} space needs lower > 0 (it samples on a log scale), received ${s.lower}`,
      });
    }
    if (s.space === "grid_search" && h.search_alg.type === "hyperopt") {
      ctx.addIssue({
        code: "custom",
        path: ["parameters", path, "space"],
        message:
          "grid_search is not supported by search_alg hyperopt (TPE): use choice, or search_alg variant_generator",
      });
    }
  }
});
