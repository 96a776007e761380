import { equal } from "node:assert/strict";
import { createScheduler, type SchedulerConfig } from "../../lib/hyperopt/schedulers.ts";

const base: SchedulerConfig = {
  type: "fifo",
  max_t: 8,
  grace_period: 1,
  reduction_factor: 2,
  brackets: 1,
  min_samples_required: 2,
};

Deno.test("fifo never stops a trial", () => {
  const s = createScheduler(base);
  s.addTrial("a");
  for (let i = 1; i <= 8; i++) equal(s.onResult("a", i, 100 * i), "continue");
});

Deno.test("async_hyperband stops trials outside the best 1/eta at a rung", () => {
  const s = createScheduler({ ...base, type: "async_hyperband" });
  for (const id of ["a", "b", "c", "d"]) s.addTrial(id);
  equal(s.onResult("a", 1, 1.0), "continue"); // first at rung 1
  equal(s.onResult("b", 1, 2.0), "stop"); // worse than the median of {1, 2}
  equal(s.onResult("c", 1, 0.5), "continue"); // best so far
  equal(s.onResult("a", 3, 9.0), "continue"); // not a rung (rungs 1, 2, 4)
  equal(s.onResult("a", 2, 0.9), "continue");
  equal(s.onResult("c", 2, 0.95), "stop");
  equal(s.onResult("d", 1, Number.NaN), "stop"); // a non-finite metric ends the trial
});

Deno.test("hyperband keeps at most n·eta^-(k+1) trials of a bracket past rung k", () => {
  // max_t 8, grace 1, eta 2: s_max 3, first bracket n = ceil(4/4·8) = 8 trials, rungs 1, 2, 4.
  const s = createScheduler({ ...base, type: "hyperband" });
  const ids = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"];
  ids.forEach((id) => s.addTrial(id));
  // Losses in order 8, 7, … 1 at rung 1: the first four always pass (fewer than 4 better),
  // then every later, better one passes too because earlier ones are worse.
  const decisions = ids.map((id, i) => s.onResult(id, 1, 8 - i));
  equal(decisions.filter((d) => d === "continue").length, 8);
  // Rung 2 keeps 2: losses increasing, so the third and later are stopped.
  const r2 = ids.slice(0, 4).map((id, i) => s.onResult(id, 2, i));
  equal(r2.join(), "continue,continue,stop,stop");
});

Deno.test("median stopping rule stops a trial worse than the median of the others' means", () => {
  const s = createScheduler({ ...base, type: "median_stopping_rule", grace_period: 2 });
  for (const id of ["a", "b", "c"]) s.addTrial(id);
  for (let i = 1; i <= 3; i++) {
    s.onResult("a", i, 1);
    s.onResult("b", i, 2);
  }
  equal(s.onResult("c", 1, 10), "continue"); // within the grace period
  equal(s.onResult("c", 2, 10), "stop"); // median of {1, 2} = 1.5 < 10
  s.addTrial("d");
  s.onResult("d", 1, 0.5);
  equal(s.onResult("d", 2, 0.5), "continue");
});
