import { equal, match, ok } from "node:assert/strict";
import { Model } from "../../lib/api.ts";
import { hyperopt, trialRanks } from "../../lib/hyperopt/run.ts";
import { resolveConfigValue } from "../../lib/config/load.ts";
import { HAVE_MPI, withMpiLock } from "../distributed/_mpi.ts";
import { bostonConfig, bostonCsv } from "./_fixture.ts";

Deno.test("trialRanks: num_workers of the mpi and horovod backends, else 1", () => {
  const ranks = (backend: Record<string, unknown>) =>
    trialRanks(resolveConfigValue({ ...bostonConfig({ parameters: {} }), backend }).config);
  equal(ranks({ type: "mpi", trainer: { num_workers: 2 } }), 2);
  equal(ranks({ type: "horovod", trainer: { num_workers: 3 } }), 3);
  equal(ranks({ type: "mpi" }), 1);
  equal(ranks({ type: "local" }), 1);
});

Deno.test({
  name: "hyperopt with backend mpi: each trial trains on 2 MPI ranks; pruning stops every rank",
  ignore: !HAVE_MPI,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withMpiLock(async () => {
      const { dir, csv } = await bostonCsv();
      const config = {
        ...bostonConfig({
          goal: "minimize",
          metric: "loss",
          output_feature: "combined",
          split: "validation",
          // A good learning rate first, then one so small that ASHA prunes it at its first rung.
          parameters: { "trainer.learning_rate": { space: "grid_search", values: [0.03, 1e-7] } },
          executor: {
            num_samples: 1,
            max_concurrent_trials: 1,
            scheduler: { type: "async_hyperband", max_t: 3, grace_period: 1, reduction_factor: 2 },
          },
        }, { epochs: 3, batch_size: 32 }),
        backend: { type: "mpi", compute: "cpu", trainer: { strategy: "ddp", num_workers: 2 } },
      };
      const lines: string[] = [];
      const result = await hyperopt(config, {
        dataset: csv,
        output_directory: `${dir}/results`,
        experiment_name: "mpi",
        log: (l) => lines.push(l),
      });
      ok(
        lines.some((l) => /every trial trains on 2 MPI ranks \(mpirun -np 2\)/.test(l)),
        lines.join("\n"),
      );
      equal(result.failed_trials.length, 0, JSON.stringify(result.failed_trials));
      equal(result.hyperopt_results.length, 2);
      const [best, worst] = result.hyperopt_results;
      equal(best.parameters["trainer.learning_rate"], 0.03);
      ok(best.metric_score! < worst.metric_score!);
      equal(best.status, "completed");
      equal(best.epochs, 3);
      // Pruned after its first epoch: every rank stopped there (a rank going on would hang).
      equal(worst.status, "pruned");
      equal(worst.epochs, 1);
      for (const t of result.hyperopt_results) {
        const log = await Deno.readTextFile(`${t.trial_dir}/trial.log`);
        match(log, /sonata hyperopt trial: rank 0 of 2/);
        match(log, /sonata hyperopt trial: rank 1 of 2/);
      }
      const stats = JSON.parse(
        await Deno.readTextFile(`${dir}/results/mpi/hyperopt_statistics.json`),
      );
      equal(stats.hyperopt_results.length, 2);
      equal(stats.hyperopt_results[0].trial_id, best.trial_id);
      // Rank 0 wrote the best trial's model; it reloads and predicts.
      const model = await Model.load(result.best_model_path!);
      const { predictions } = await model.predict(csv);
      ok(predictions.rows.length > 100);
      await Deno.remove(dir, { recursive: true });
    }),
});
