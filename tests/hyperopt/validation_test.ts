import { equal, match, throws } from "node:assert/strict";
import { resolveConfigValue } from "../../lib/config/load.ts";
import { concurrency, sortTrials, type TrialRecord } from "../../lib/hyperopt/run.ts";

const base = (hyperopt: Record<string, unknown>) => ({
  input_features: [{ name: "x", type: "number" }],
  output_features: [{ name: "y", type: "number" }],
  hyperopt: {
    parameters: { "trainer.learning_rate": { space: "uniform", lower: 0.001, upper: 0.1 } },
    ...hyperopt,
  },
});
const messageOf = (value: unknown) => {
  try {
    resolveConfigValue(value);
  } catch (error) {
    return (error as Error).message;
  }
  return "";
};

Deno.test("hyperopt validation: log spaces need lower > 0; TPE has no grid; schedulers count epochs", () => {
  match(
    messageOf(
      base({
        parameters: { "trainer.learning_rate": { space: "loguniform", lower: 0, upper: 1 } },
      }),
    ),
    /hyperopt\.parameters\["trainer\.learning_rate"\]\.lower: a loguniform space needs lower > 0/,
  );
  match(
    messageOf(base({
      search_alg: { type: "hyperopt" },
      parameters: { "combiner.output_size": { space: "grid_search", values: [8, 16] } },
    })),
    /grid_search is not supported by search_alg hyperopt/,
  );
  match(
    messageOf(
      base({ executor: { scheduler: { type: "async_hyperband", time_attr: "time_total_s" } } }),
    ),
    /scheduler\.time_attr: Sonata's schedulers count epochs/,
  );
  match(
    messageOf(base({ executor: { scheduler: { type: "hyperband", metric: "accuracy" } } })),
    /scheduler\.metric: the scheduler prunes on the hyperopt metric/,
  );
  match(
    messageOf(base({ goal: "minimize", executor: { scheduler: { type: "asha", mode: "max" } } })),
    /scheduler\.mode: goal minimize means mode "min"/,
  );
  match(messageOf(base({ search_alg: { type: "bohb" } })), /"bohb" exists in Ludwig/);
  equal(messageOf(base({ search_alg: { type: "hyperopt", n_initial_points: 5 } })), "");
  throws(() => resolveConfigValue(base({ search_alg: { type: "hyperopt", gamma: 1.5 } })));
});

Deno.test("concurrency: max_concurrent_trials, or CPUs left by the driver per trial", () => {
  const h = (executor: Record<string, unknown>, search_alg: Record<string, unknown> = {}) =>
    resolveConfigValue(base({ executor, search_alg })).config.hyperopt!;
  equal(concurrency(h({ max_concurrent_trials: 3 }), 16), 3);
  equal(concurrency(h({ max_concurrent_trials: "auto", cpu_resources_per_trial: 2 }), 16), 8);
  equal(
    concurrency(
      h({
        max_concurrent_trials: "auto",
        cpu_resources_per_trial: 2,
        trial_driver_resources: { CPU: 4 },
      }),
      16,
    ),
    6,
  );
  equal(concurrency(h({ max_concurrent_trials: 8 }, { max_concurrent: 2 }), 16), 2);
  equal(concurrency(h({ cpu_resources_per_trial: 4 }), 2), 1);
});

Deno.test("results sort best first for either goal", () => {
  const t = (index: number, metric_score: number) => ({ index, metric_score }) as TrialRecord;
  const trials = [t(0, 0.5), t(1, 0.9), t(2, 0.1), t(3, 0.9)];
  equal(sortTrials(trials, "minimize").map((x) => x.index).join(), "2,0,1,3");
  equal(sortTrials(trials, "maximize").map((x) => x.index).join(), "1,3,0,2");
});
