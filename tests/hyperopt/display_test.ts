import { deepEqual, equal, match, ok } from "node:assert/strict";
import { hyperoptTable, liveHyperoptTable, withHyperoptDisplay } from "../../lib/viz/hyperopt.ts";
import { JUPYTER_DISPLAY } from "../../lib/viz/display.ts";

const trial = (id: string, status: string, score: number | null, lr: number) => ({
  trial_id: id,
  status,
  metric_score: score,
  epochs: 2,
  parameters: { "trainer.learning_rate": lr, "trainer.optimizer": { type: "adam" } },
  epoch_values: [5, 4],
});

Deno.test("a hyperopt result displays as a table of its trials", () => {
  const result = withHyperoptDisplay({
    hyperopt_config: { metric: "loss", goal: "minimize" },
    hyperopt_results: [trial("trial_001", "completed", 1.5, 0.01)],
    failed_trials: [{
      ...trial("trial_000", "failed", null, 0.1),
      error: "invalid trial config\nmore",
    }],
  });
  const bundle = (result as unknown as Record<symbol, () => unknown>)[JUPYTER_DISPLAY]() as Record<
    string,
    string
  >;
  match(
    bundle["text/html"],
    /<caption>Hyperopt: 1 scored trial\(s\), 1 failed \(minimize loss\)<\/caption>/,
  );
  match(bundle["text/html"], /trial_001.*completed.*1\.5/s);
  match(bundle["text/plain"], /invalid trial config/);
  ok(!bundle["text/plain"].includes("more"));
  deepEqual(Object.keys(result), ["hyperopt_config", "hyperopt_results", "failed_trials"]);
  const table = hyperoptTable([trial("trial_002", "running", null, 0.2)]);
  equal(table.rows[0].metric_score, 4); // a running trial shows its last epoch's value
  equal(table.rows[0]["trainer.optimizer"], '{"type":"adam"}');
});

Deno.test("the live table is published once, then updated in place, throttled", async () => {
  const sent: { id: string; update: boolean; html: string }[] = [];
  const live = liveHyperoptTable({
    minIntervalMs: 60_000,
    publish: (bundle, o) =>
      Promise.resolve(
        void sent.push({ id: o.displayId, update: o.update, html: String(bundle["text/html"]) }),
      ),
  });
  live.callback.onUpdate([trial("trial_000", "running", null, 0.1)]);
  live.callback.onUpdate([trial("trial_000", "completed", 2, 0.1)]); // throttled
  live.finish({
    hyperopt_config: { metric: "loss" },
    hyperopt_results: [trial("trial_000", "completed", 2, 0.1)],
  });
  await live.done();
  equal(sent.length, 2);
  deepEqual(sent.map((s) => s.update), [false, true]);
  equal(sent[0].id, sent[1].id);
  match(sent[0].html, /Hyperopt running: 0 finished, 1 running/);
  match(sent[1].html, /Hyperopt finished: 1 scored, 0 failed/);
});
