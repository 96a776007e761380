import { equal, match, ok } from "node:assert/strict";
import { main } from "../../lib/cli/main.ts";
import { toYAML } from "../../lib/config/parse.ts";
import { bostonConfig, bostonCsv } from "./_fixture.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) },
    out,
    err,
  };
}

Deno.test({
  name: "sonata hyperopt: TPE search from the CLI; an invalid sampled config is a failed trial",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { dir, csv } = await bostonCsv();
    const config = bostonConfig({
      parameters: {
        "trainer.learning_rate": { space: "uniform", lower: 0.001, upper: 0.05 },
        "trainer.optimizer": {
          space: "choice",
          categories: [{ type: "adam" }, { type: "sgd", momentum: 0.9 }],
        },
        "medv.decoder.num_fc_layers": { space: "randint", lower: 0, upper: 2 },
      },
      search_alg: {
        type: "hyperopt",
        random_state_seed: 5,
        n_initial_points: 2,
        // The first trial's optimizer does not exist: the trial config fails validation.
        points_to_evaluate: [{ "trainer.optimizer": { type: "no_such_optimizer" } }],
      },
      executor: { type: "local", num_samples: 4, max_concurrent_trials: 2 },
    }, { epochs: 1 });
    await Deno.writeTextFile(`${dir}/config.yaml`, toYAML(config));
    const c = capture();
    const code = await main([
      "hyperopt",
      "--config",
      `${dir}/config.yaml`,
      "--dataset",
      csv,
      "--output_directory",
      `${dir}/out`,
      "--experiment_name",
      "tpe",
    ], c.io);
    equal(code, 0, c.err.join("\n"));
    match(
      c.out[0],
      /Hyperopt finished: 3 scored trial\(s\), 1 failed; statistics in .*tpe\/hyperopt_statistics.json/,
    );
    match(c.out[1], /Best model: .*tpe\/trial_00\d\/model/);
    ok(
      c.err.some((l) => /^trial_000 failed: invalid trial config: .*no_such_optimizer/.test(l)),
      c.err.join("\n"),
    );
    ok(!c.err.some((l) => /executor type "ray"/.test(l)), "executor local: no Ray line");
    const stats = JSON.parse(await Deno.readTextFile(`${dir}/out/tpe/hyperopt_statistics.json`));
    equal(stats.hyperopt_config.search_alg.type, "hyperopt");
    equal(stats.failed_trials[0].trial_id, "trial_000");
    match(stats.failed_trials[0].error, /trainer\.optimizer\.type/);
    equal(stats.hyperopt_results.length, 3);

    // Usage errors.
    const missing = capture();
    equal(await main(["hyperopt", "--config", `${dir}/config.yaml`], missing.io), 2);
    match(missing.err[0], /Missing --dataset/);
    const noSection = capture();
    await Deno.writeTextFile(`${dir}/plain.yaml`, toYAML({ ...config, hyperopt: undefined }));
    equal(await main(["hyperopt", "-c", `${dir}/plain.yaml`, "--dataset", csv], noSection.io), 2);
    match(noSection.err[0], /no hyperopt section/);
    const badData = capture();
    equal(
      await main(
        ["hyperopt", "-c", `${dir}/config.yaml`, "--dataset", `${dir}/nope.csv`],
        badData.io,
      ),
      2,
    );
    match(badData.err[0], /dataset ".*nope.csv" does not exist/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("sonata hyperopt: unsupported search algorithms are rejected at validation", async () => {
  const { dir, csv } = await bostonCsv();
  const config = bostonConfig({
    parameters: { "trainer.learning_rate": { space: "uniform", lower: 0.001, upper: 0.05 } },
    search_alg: { type: "optuna" },
  });
  await Deno.writeTextFile(`${dir}/config.yaml`, toYAML(config));
  const c = capture();
  equal(await main(["hyperopt", "-c", `${dir}/config.yaml`, "--dataset", csv], c.io), 2);
  match(
    c.err.join("\n"),
    /search algorithm "optuna" exists in Ludwig but is not available in Sonata/,
  );
  await Deno.remove(dir, { recursive: true });
});
