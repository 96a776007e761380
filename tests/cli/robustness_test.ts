/**
 * A careless user's mistakes through the CLI, each in a fresh `sonata` process: bad numeric
 * flags, names that are not one folder name, model folders that are missing, interrupted,
 * truncated or a checkpoint, output folders that are files; none may end in a stack trace.
 */
import { equal, match, ok } from "node:assert/strict";

const CLI = new URL("../../lib/cli/main.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

async function sonata(...args: string[]): Promise<{ code: number; err: string; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, out: decoder.decode(stdout), err: decoder.decode(stderr) };
}

/** One line of message (no stack trace, no "Uncaught"). */
function assertOneLine(err: string, context: string) {
  ok(!/Uncaught|^\s+at /m.test(err), `${context}: stack trace in\n${err}`);
}

const CONFIG = `input_features:
  - { name: a, type: number }
output_features:
  - { name: y, type: binary }
trainer: { epochs: 1, batch_size: 8 }
`;

async function fixture() {
  const dir = await Deno.makeTempDir({ prefix: "sonata_robust_" });
  const rows = ["a,y"];
  for (let i = 0; i < 20; i++) rows.push(`${i / 20},${i % 2}`);
  await Deno.writeTextFile(`${dir}/data.csv`, rows.join("\n"));
  await Deno.writeTextFile(`${dir}/c.yaml`, CONFIG);
  return { dir, csv: `${dir}/data.csv`, config: `${dir}/c.yaml` };
}

/** A model folder with the layout `Model.save` writes, but made-up weights. */
async function fakeModel(dir: string, weightBytes: number, declared = 8) {
  await Deno.mkdir(`${dir}/model`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/model_config.json`,
    JSON.stringify({
      input_features: [{ name: "a", type: "number" }],
      output_features: [{ name: "y", type: "binary" }],
    }),
  );
  await Deno.writeTextFile(`${dir}/training_set_metadata.json`, "{}");
  await Deno.writeTextFile(`${dir}/input_columns.json`, "{}");
  await Deno.writeTextFile(
    `${dir}/model/model.json`,
    JSON.stringify({
      weightsManifest: [{
        paths: ["weights.bin"],
        weights: [{ name: "w", shape: [declared / 4], dtype: "float32" }],
      }],
    }),
  );
  await Deno.writeFile(`${dir}/model/weights.bin`, new Uint8Array(weightBytes));
}

Deno.test("numeric flags are validated: --batch_size 0 and -5 exit 2 with the flag named", async () => {
  const { dir, csv } = await fixture();
  await fakeModel(`${dir}/m`, 8);
  for (const flag of [["--batch_size", "0"], ["--batch_size=-5"], ["--batch_size", "1.5"]]) {
    for (const command of ["predict", "evaluate"]) {
      const r = await sonata(command, "-m", `${dir}/m`, "--dataset", csv, ...flag);
      equal(r.code, 2, `${command} ${flag.join(" ")}: ${r.err}`);
      match(r.err, /Invalid --batch_size "(0|-5|1\.5)": expected a positive integer/);
      assertOneLine(r.err, flag.join(" "));
    }
  }
  const seed = await sonata("train", "--random_seed", "x", "--dataset", csv, "-c", `${dir}/c.yaml`);
  equal(seed.code, 2);
  match(seed.err, /Invalid --random_seed "x": expected an integer >= 0/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("experiment and model names are single folder names", async () => {
  const { dir, csv, config } = await fixture();
  const out = `${dir}/out/inner`;
  const cases: [string, string, RegExp][] = [
    [
      "--experiment_name",
      "../../x",
      /Invalid --experiment_name "\.\.\/\.\.\/x": a name is one folder name/,
    ],
    ["--model_name", "a/b", /Invalid --model_name "a\/b": a name is one folder name/],
    ["--experiment_name", "", /Invalid --experiment_name "": the name is empty/],
    ["--model_name", "..", /Invalid --model_name "\.\.": "\.\." is not a folder name/],
  ];
  for (const [flag, value, message] of cases) {
    const r = await sonata(
      "train",
      "-c",
      config,
      "--dataset",
      csv,
      "--output_directory",
      out,
      flag,
      value,
    );
    equal(r.code, 2, `${flag} ${value}: ${r.err}`);
    match(r.err, message);
  }
  // Nothing was written anywhere, inside or outside the output directory.
  equal([...Deno.readDirSync(dir)].map((e) => e.name).sort().join(), "c.yaml,data.csv");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bad model folders are one located line with exit 2, for predict, evaluate and --model_load_path", async () => {
  const { dir, csv, config } = await fixture();
  // An interrupted run: checkpoints and the temporary folder of a save, no model/.
  await Deno.mkdir(`${dir}/interrupted/training_checkpoints/latest`, { recursive: true });
  await Deno.mkdir(`${dir}/interrupted/.model.1234.tmp`);
  // A checkpoint folder passed as a model.
  const ckpt = `${dir}/run/training_checkpoints/latest`;
  await Deno.mkdir(`${ckpt}/model`, { recursive: true });
  await Deno.writeTextFile(`${ckpt}/model_config.json`, "{}");
  await Deno.writeTextFile(`${ckpt}/state.json`, "{}");
  // Truncated files.
  await fakeModel(`${dir}/short_weights`, 5);
  await fakeModel(`${dir}/short_json`, 8);
  await Deno.writeTextFile(`${dir}/short_json/training_set_metadata.json`, '{"y": {"idx2');
  await Deno.writeTextFile(`${dir}/file.txt`, "not a folder");

  const cases: [string, RegExp][] = [
    [`${dir}/nowhere`, /nowhere": no such folder/],
    [`${dir}/file.txt`, /file\.txt": it is a file, not a model folder/],
    [`${dir}/interrupted`, /interrupted": this run has no saved model/],
    [ckpt, /latest": this is a training checkpoint, not a trained model/],
    [`${dir}/run/training_checkpoints`, /training_checkpoints": this is a training checkpoint/],
    [
      `${dir}/short_weights`,
      /weights\.bin" is truncated or corrupted: 5 bytes where .*model\.json" describes 8/,
    ],
    [`${dir}/short_json`, /training_set_metadata\.json" is truncated or corrupted: not valid JSON/],
  ];
  for (const [path, message] of cases) {
    for (
      const args of [
        ["predict", "-m", path, "--dataset", csv],
        ["evaluate", "--model_path", path, "--dataset", csv],
        ["train", "-c", config, "--dataset", csv, "--model_load_path", path],
      ]
    ) {
      const r = await sonata(...args);
      equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      match(r.err, message);
      match(r.err, new RegExp(`--(model_path|model_load_path) `));
      equal(r.err.trim().split("\n").length, 1, r.err);
    }
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an output directory that is a file (or under one) exits 2 before any work", async () => {
  const { dir, csv, config } = await fixture();
  await Deno.writeTextFile(`${dir}/taken`, "x");
  for (const out of [`${dir}/taken`, `${dir}/taken/sub`]) {
    const r = await sonata("train", "-c", config, "--dataset", csv, "--output_directory", out);
    equal(r.code, 2, r.err);
    match(
      r.err,
      /Invalid --output_directory ".*taken(\/sub)?": (it|".*taken") is a file, not a folder/,
    );
    assertOneLine(r.err, out);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "an unwritable output directory exits 2",
  ignore: Deno.build.os === "windows" || Deno.uid() === 0, // root writes anywhere
  fn: async () => {
    const { dir, csv, config } = await fixture();
    await Deno.mkdir(`${dir}/ro`, { mode: 0o555 });
    const r = await sonata(
      "train",
      "-c",
      config,
      "--dataset",
      csv,
      "--output_directory",
      `${dir}/ro/x`,
    );
    equal(r.code, 2, r.err);
    match(r.err, /cannot write there .*permission denied/);
    await Deno.chmod(`${dir}/ro`, 0o755);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("an unexpected error is one line and a --debug hint; --debug prints the trace", async () => {
  const { dir, csv } = await fixture();
  // Whole-looking files whose content TF.js cannot use (no model topology).
  await fakeModel(`${dir}/m`, 8);
  const r = await sonata(
    "predict",
    "-m",
    `${dir}/m`,
    "--dataset",
    csv,
    "--output_directory",
    `${dir}/p`,
  );
  equal(r.code, 1, r.err);
  assertOneLine(r.err, "predict");
  match(r.err, /\(rerun with --debug for the stack trace\)\s*$/);
  const [message, hint] = r.err.trim().split("\n").slice(-2);
  match(message, /^\w*Error: \S/);
  match(hint, /^\(rerun with --debug/);
  const debug = await sonata(
    "predict",
    "--debug",
    "-m",
    `${dir}/m`,
    "--dataset",
    csv,
    "--output_directory",
    `${dir}/p`,
  );
  equal(debug.code, 1);
  match(debug.err, /^\s+at /m);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a trained model with a truncated weights file or a missing file: one line, no trace", async () => {
  const { dir, csv, config } = await fixture();
  const train = await sonata("train", "-c", config, "--dataset", csv, "--output_directory", dir);
  equal(train.code, 0, train.err);
  const run = `${dir}/experiment_run`;
  const weights = `${run}/model/model/weights.bin`;
  const bytes = await Deno.readFile(weights);
  await Deno.writeFile(weights, bytes.subarray(0, bytes.length - 4));
  const truncated = await sonata("predict", "-m", run, "--dataset", csv);
  equal(truncated.code, 2, truncated.err);
  match(
    truncated.err,
    /weights\.bin" is truncated or corrupted: \d+ bytes where .*model\.json" describes \d+/,
  );
  assertOneLine(truncated.err, "truncated");
  await Deno.writeFile(weights, bytes);
  await Deno.remove(`${run}/model/input_columns.json`);
  const missing = await sonata(
    "predict",
    "-m",
    run,
    "--dataset",
    csv,
    "--output_directory",
    `${dir}/p`,
  );
  // A usage mistake found before any work (issue 17 #9): exit 2, the file named.
  equal(missing.code, 2, missing.err);
  match(
    missing.err,
    /".*model\/input_columns\.json" is missing \(the model folder is incomplete\)/,
  );
  assertOneLine(missing.err, "missing file");
  await Deno.remove(dir, { recursive: true });
});
