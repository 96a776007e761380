import { deepEqual, equal, match, ok } from "node:assert/strict";
import { hyperopt, type TrialRecord } from "../../lib/hyperopt/run.ts";
import { contains, type ParameterSpace } from "../../lib/hyperopt/spaces.ts";
import { Model } from "../../lib/api.ts";
import { readDataset } from "../../lib/data/read.ts";
import { runVisualize } from "../../lib/viz/cli.ts";
import { liveHyperoptTable } from "../../lib/viz/hyperopt.ts";
import { bostonConfig, bostonCsv } from "./_fixture.ts";

type Stats = Record<string, Record<string, Record<string, number[]>>>;

const PARAMETERS: Record<string, ParameterSpace> = {
  "trainer.learning_rate": { space: "loguniform", lower: 1e-4, upper: 0.3, base: 10 },
  "combiner.output_size": { space: "choice", categories: [8, 16, 32] },
  "combiner.num_fc_layers": { space: "randint", lower: 1, upper: 3 },
  "trainer.batch_size": { space: "qrandint", lower: 32, upper: 128, q: 32 },
  "defaults.number.preprocessing.normalization": {
    space: "choice",
    categories: ["zscore", "minmax"],
  },
};

Deno.test({
  name:
    "hyperopt on Boston housing: 6 trials 2 at a time, ASHA prunes, a killed trial is recorded, best model reloads",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { dir, csv } = await bostonCsv();
    const config = bostonConfig({
      goal: "minimize",
      metric: "loss",
      output_feature: "combined",
      split: "validation",
      parameters: PARAMETERS,
      search_alg: { type: "variant_generator", random_state: 3 },
      executor: {
        num_samples: 6,
        max_concurrent_trials: 2,
        scheduler: { type: "async_hyperband", max_t: 4, grace_period: 1, reduction_factor: 2 },
      },
    });
    let maxRunning = 0;
    let running = 0;
    const lines: string[] = [];
    const result = await hyperopt(config, {
      dataset: csv,
      output_directory: `${dir}/results`,
      experiment_name: "boston",
      log: (l) => lines.push(l),
      callbacks: [{
        onTrialStart(trial, { pid }) {
          maxRunning = Math.max(maxRunning, ++running);
          // A crash: the third trial's process dies.
          if (trial.index === 2) Deno.kill(pid, "SIGKILL");
        },
        onTrialEnd() {
          running--;
        },
      }],
    });
    const exp = `${dir}/results/boston`;
    equal(result.output_directory, exp);
    equal(result.interrupted, false);
    equal(maxRunning, 2, "two trials at a time");
    match(lines[0], /executor type "ray": Sonata runs the trials on its own executor/);

    // The crashed trial is recorded and did not end the search.
    equal(result.failed_trials.length, 1);
    equal(result.failed_trials[0].trial_id, "trial_002");
    match(result.failed_trials[0].error!, /killed by SIGKILL/);
    equal(result.hyperopt_results.length, 5);

    // Every sampled value is in its space; all trials differ.
    const all = [...result.hyperopt_results, ...result.failed_trials];
    for (const t of all) {
      deepEqual(Object.keys(t.parameters), Object.keys(PARAMETERS));
      for (const [path, space] of Object.entries(PARAMETERS)) {
        ok(contains(space, t.parameters[path]), `${t.trial_id} ${path}=${t.parameters[path]}`);
      }
    }
    equal(new Set(all.map((t) => JSON.stringify(t.parameters))).size, 6);

    // Ludwig's statistics file: sorted best first, each trial with its statistics.
    const stats = JSON.parse(await Deno.readTextFile(`${exp}/hyperopt_statistics.json`));
    equal(stats.hyperopt_config.executor.scheduler.type, "async_hyperband");
    equal(stats.hyperopt_results.length, 5);
    const scores = stats.hyperopt_results.map((r: TrialRecord) => r.metric_score);
    deepEqual(scores, [...scores].sort((a: number, b: number) => a - b));
    for (const r of stats.hyperopt_results as TrialRecord[]) {
      deepEqual(Object.keys(r).slice(0, 4), [
        "parameters",
        "metric_score",
        "training_stats",
        "eval_stats",
      ]);
      const losses = (r.training_stats as Stats).validation.combined.loss;
      equal(r.metric_score, Math.min(...losses));
      equal(losses.length, r.epochs);
      ok("mean_squared_error" in (r.eval_stats as Record<string, object>).medv);
    }

    // Pruning stopped bad trials early (partial statistics kept); others ran to max_t.
    const pruned = result.hyperopt_results.filter((t) => t.status === "pruned");
    ok(pruned.length >= 1, `no trial pruned: ${result.hyperopt_results.map((t) => t.status)}`);
    ok(pruned.every((t) => t.epochs < 4 && /pruned by async_hyperband/.test(t.stop_reason!)));
    ok(result.hyperopt_results.some((t) => t.status === "completed" && t.epochs === 4));

    // The best trial's model is saved and reloads with its sampled config.
    const best = result.hyperopt_results[0];
    equal(result.best_model_path, `${best.trial_dir}/model`);
    const model = await Model.load(result.best_model_path!);
    equal(model.config.trainer.learning_rate, best.parameters["trainer.learning_rate"]);
    equal(model.config.combiner.output_size as number, best.parameters["combiner.output_size"]);
    const predicted = await model.predict(csv);
    equal(predicted.predictions.rows.length, 506);
    ok(predicted.predictions.rows.every((r) => Number.isFinite(r.medv_predictions as number)));

    // Both visualizations from the statistics file.
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (l: string) => void out.push(l), stderr: (l: string) => void err.push(l) };
    equal(
      await runVisualize([
        "--visualization",
        "hyperopt_report",
        "--hyperopt_stats_path",
        `${exp}/hyperopt_statistics.json`,
        "--output_directory",
        `${dir}/viz`,
      ], io),
      0,
      err.join("\n"),
    );
    equal(out.length, 5 + 10); // one chart per parameter, one per pair
    ok(out.includes(`${dir}/viz/hyperopt_trainer.learning_rate.svg`));
    ok(out.includes(`${dir}/viz/hyperopt_pair_trainer.learning_rate_combiner.output_size.svg`));
    const svg = await Deno.readTextFile(`${dir}/viz/hyperopt_trainer.learning_rate.svg`);
    match(svg, /<svg/);
    out.length = 0;
    equal(
      await runVisualize([
        "-v",
        "hyperopt_hiplot",
        "-hyp",
        `${exp}/hyperopt_statistics.json`,
        "-od",
        `${dir}/viz`,
      ], io),
      0,
      err.join("\n"),
    );
    deepEqual(out, [`${dir}/viz/hyperopt_hiplot.html`]);
    const html = await Deno.readTextFile(out[0]);
    ok(!/<script src|<link [^>]*href=|https?:\/\/(?!www\.w3\.org)/.test(html), "offline page");
    equal((html.match(/<polyline class="trial"/g) ?? []).length, 5);
    ok(html.includes("trial_002") && html.includes("killed by SIGKILL"));
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "hyperopt resumes an interrupted search: finished trials are not run again",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { dir, csv } = await bostonCsv();
    const config = bostonConfig({
      parameters: {
        "trainer.learning_rate": { space: "loguniform", lower: 1e-3, upper: 0.1 },
        "combiner.output_size": { space: "grid_search", values: [8, 16] },
      },
      search_alg: { type: "variant_generator", random_state: 9 },
      executor: { num_samples: 2, max_concurrent_trials: 2 },
    }, { epochs: 1 });
    const options = { dataset: csv, output_directory: dir, experiment_name: "resume" };
    const controller = new AbortController();
    let ended = 0;
    const first = await hyperopt(config, {
      ...options,
      progress: false,
      signal: controller.signal,
      callbacks: [{
        onTrialEnd() {
          if (++ended === 2) controller.abort();
        },
      }],
    });
    equal(first.interrupted, true);
    ok(!(await exists(`${dir}/resume/hyperopt_statistics.json`)));
    const state = JSON.parse(await Deno.readTextFile(`${dir}/resume/hyperopt_state.json`));
    const done = (state.trials as TrialRecord[]).filter((t) => t.status !== "running");
    ok(done.length >= 2 && done.length < 4, `finished before the interruption: ${done.length}`);
    const mtimes = await Promise.all(
      done.map((t) => Deno.stat(`${t.trial_dir}/test_statistics.json`).then((s) => s.mtime)),
    );

    const started: string[] = [];
    const lines: string[] = [];
    const published: { update: boolean; html: string }[] = [];
    const live = liveHyperoptTable({
      minIntervalMs: 0,
      publish: (bundle, o) =>
        Promise.resolve(
          void published.push({ update: o.update, html: String(bundle["text/html"]) }),
        ),
    });
    const second = await hyperopt(config, {
      ...options,
      log: (l) => lines.push(l),
      callbacks: [{ onTrialStart: (t) => void started.push(t.trial_id) }, live.callback],
    });
    await live.done();
    // The notebook table was redrawn in place while the trials ran.
    ok(published.length >= 3, `published ${published.length} times`);
    deepEqual(published.map((p) => p.update), [false, ...published.slice(1).map(() => true)]);
    ok(published.some((p) => /Hyperopt running: \d finished, [12] running/.test(p.html)));
    equal(second.interrupted, false);
    match(lines[0], new RegExp(`Resuming hyperopt .*: ${done.length} of 4 trials finished`));
    deepEqual(
      started.sort(),
      ["trial_000", "trial_001", "trial_002", "trial_003"].filter((id) =>
        !done.some((t) => t.trial_id === id)
      ),
    );
    equal(second.hyperopt_results.length, 4);
    // The grid is covered twice; finished trials kept their parameters and files.
    deepEqual(
      second.hyperopt_results.map((t) => t.parameters["combiner.output_size"]).sort(),
      [16, 16, 8, 8],
    );
    for (const [i, t] of done.entries()) {
      const again = second.hyperopt_results.find((r) => r.trial_id === t.trial_id)!;
      deepEqual(again.parameters, t.parameters);
      equal(again.metric_score, t.metric_score);
      const s = await Deno.stat(`${t.trial_dir}/test_statistics.json`);
      equal(s.mtime?.getTime(), mtimes[i]?.getTime());
    }
    await Deno.remove(dir, { recursive: true });
  },
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "time_budget_s: no trial starts after the budget, running ones stop at their next epoch",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { dir, csv } = await bostonCsv();
    const config = bostonConfig({
      parameters: { "trainer.learning_rate": { space: "uniform", lower: 0.001, upper: 0.05 } },
      search_alg: { random_state: 1 },
      // Starting a trial process (Deno, TensorFlow.js) alone takes longer than a quarter second.
      executor: { num_samples: 6, max_concurrent_trials: 1, time_budget_s: 0.25 },
    }, { epochs: 3 });
    const lines: string[] = [];
    const result = await hyperopt(config, {
      dataset: await readDataset(csv), // in memory: written to the experiment folder for trials
      output_directory: dir,
      log: (l) => lines.push(l),
    });
    ok(await exists(`${dir}/hyperopt/dataset.parquet`));
    equal(result.hyperopt_results.length, 1);
    const [t] = result.hyperopt_results;
    equal(t.status, "stopped");
    equal(t.epochs, 1);
    match(t.stop_reason!, /time budget of 0.25s spent/);
    ok(
      lines.some((l) => /time budget of 0.25s spent: 5 trial\(s\) not started/.test(l)),
      lines.join("\n"),
    );
    await Deno.remove(dir, { recursive: true });
  },
});
