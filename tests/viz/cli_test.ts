import assert from "node:assert/strict";
import { runVisualize } from "../../lib/viz/cli.ts";
import { VISUALIZATION_NAMES, type VisualizationName } from "../../lib/viz/visualizations.ts";
import { fixture, withTempDir } from "./_helpers.ts";

interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
}

async function run(args: string[]): Promise<Run> {
  const stdout: string[] = [], stderr: string[] = [];
  const code = await runVisualize(args, {
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
  });
  return { code, stdout, stderr };
}

const META = ["--ground_truth_metadata", fixture("training_set_metadata.json")];
const TRUTH = ["--ground_truth", fixture("dataset.csv"), ...META];
/** `flag` with the fixtures of models a and b (`<stem>_a.<ext>`, `<stem>_b.<ext>`), then their names. */
const both = (flag: string, stem: string, ext: string) => [
  flag,
  fixture(`${stem}_a.${ext}`),
  fixture(`${stem}_b.${ext}`),
  "--model_names",
  "a",
  "b",
];
const PROBS = [...both("--probabilities", "predictions", "csv"), ...TRUTH];
const PREDS = [...both("--predictions", "predictions", "csv"), ...TRUTH];
const TEST = both("--test_statistics", "test_statistics", "json");
/** The test statistics of model a, on the category feature. */
const TEST_A = ["--test_statistics", fixture("test_statistics_a.json"), "-mn", "a", ...META];
const TWO_THRESHOLDS = [
  "--probabilities",
  fixture("predictions_a.csv"),
  ...TRUTH,
  "--threshold_output_feature_names",
  "animal",
  "approved",
];

/** Flags per visualization and the files Ludwig would write (without extension). */
const CASES: Record<VisualizationName, [string[], string[]]> = {
  learning_curves: [
    [
      "--training_statistics",
      fixture("training_statistics_a.json"),
      "--output_feature_name",
      "approved",
    ],
    ["learning_curves_approved_loss", "learning_curves_approved_accuracy"],
  ],
  compare_performance: [TEST, ["compare_performance_animal", "compare_performance_approved"]],
  compare_classifiers_performance_from_prob: [
    [...PROBS, "-ofn", "animal", "-tn", "3"],
    ["compare_classifiers_performance_from_prob"],
  ],
  compare_classifiers_performance_from_pred: [[...PREDS, "-ofn", "animal"], [
    "compare_classifiers_performance_from_pred",
  ]],
  compare_classifiers_performance_subset: [
    [...PROBS, "-ofn", "animal", "--subset", "predictions"],
    ["compare_classifiers_performance_subset"],
  ],
  compare_classifiers_performance_changing_k: [
    [...PROBS, "-ofn", "animal", "--top_k", "4"],
    ["compare_classifiers_performance_changing_k"],
  ],
  compare_classifiers_multiclass_multimetric: [
    [...TEST_A, "-ofn", "animal", "-tn", "2"],
    ["top2", "best2", "worst2", "sorted"].map((s) =>
      `compare_classifiers_multiclass_multimetric_a_animal_${s}`
    ),
  ],
  compare_classifiers_predictions: [[...PREDS, "-ofn", "animal"], [
    "compare_classifiers_predictions_a_b",
  ]],
  compare_classifiers_predictions_distribution: [
    [...PREDS, "-ofn", "animal"],
    ["compare_classifiers_predictions_distribution"],
  ],
  confidence_thresholding: [[...PROBS, "-ofn", "animal"], ["confidence_thresholding"]],
  confidence_thresholding_data_vs_acc: [[...PROBS, "-ofn", "animal"], [
    "confidence_thresholding_data_vs_acc",
  ]],
  confidence_thresholding_data_vs_acc_subset: [
    [...PROBS, "-ofn", "animal", "-tn", "2"],
    ["confidence_thresholding_data_vs_acc_subset"],
  ],
  confidence_thresholding_data_vs_acc_subset_per_class: [
    [...PROBS, "-ofn", "animal", "-tn", "2"],
    ["dog", "cat"].map((c) => `confidence_thresholding_data_vs_acc_subset_per_class_${c}`),
  ],
  confidence_thresholding_2thresholds_2d: [
    TWO_THRESHOLDS,
    ["multiline", "maxline", "maxline_with_thresholds"].map((s) =>
      `confidence_thresholding_2thresholds_2d_${s}`
    ),
  ],
  confidence_thresholding_2thresholds_3d: [
    TWO_THRESHOLDS,
    ["accuracy", "coverage"].map((s) => `confidence_thresholding_2thresholds_3d_${s}`),
  ],
  binary_threshold_vs_metric: [
    [...PROBS, "-ofn", "approved", "--metrics", "f1", "accuracy"],
    ["binary_threshold_vs_metric_f1", "binary_threshold_vs_metric_accuracy"],
  ],
  roc_curves: [[...PROBS, "-ofn", "approved"], ["roc_curves"]],
  roc_curves_from_test_statistics: [[...TEST, "-ofn", "approved"], [
    "roc_curves_from_prediction_statistics",
  ]],
  precision_recall_curves: [[...PROBS, "-ofn", "approved"], ["precision_recall_curve"]],
  precision_recall_curves_from_test_statistics: [
    [...TEST, "-ofn", "approved"],
    ["precision_recall_curves_from_prediction_statistics"],
  ],
  calibration_1_vs_all: [
    [...PROBS, "-ofn", "animal", "-tn", "1"],
    [
      "calibration_1_vs_all_0",
      "calibration_1_vs_all_prediction_distribution_0",
      "calibration_1_vs_all_brier",
    ],
  ],
  calibration_multiclass: [[...PROBS, "-ofn", "animal"], [
    "calibration_multiclass",
    "calibration_multiclass_brier",
  ]],
  confusion_matrix: [
    [...TEST_A, "-ofn", "animal", "-tn", "0", "3", "-n"],
    [
      "confusion_matrix_a_animal_top6",
      "confusion_matrix_entropy_a_animal_top6",
      "confusion_matrix_a_animal_top3",
      "confusion_matrix_entropy_a_animal_top3",
    ],
  ],
  frequency_vs_f1: [
    ["--test_statistics", fixture("test_statistics_a.json"), ...META, "-ofn", "animal"],
    ["frequency_vs_f1_animal_sorted_by_f1", "frequency_vs_f1_animal_sorted_by_frequency"],
  ],
};

Deno.test("sonata visualize writes one file per chart for every visualization", async (t) => {
  assert.deepEqual(Object.keys(CASES).sort(), [...VISUALIZATION_NAMES]);
  await withTempDir(async (dir) => {
    for (const name of VISUALIZATION_NAMES) {
      await t.step(name, async () => {
        const out = `${dir}/${name}`;
        const [flags, files] = CASES[name];
        const r = await run(["--visualization", name, ...flags, "--output_directory", out]);
        assert.equal(r.code, 0, r.stderr.join("\n"));
        assert.deepEqual(r.stderr, []);
        assert.deepEqual(r.stdout, files.map((f) => `${out}/${f}.svg`));
        const written = [...Deno.readDirSync(out)].map((e) => e.name).sort();
        assert.deepEqual(written, files.map((f) => `${f}.svg`).sort());
      });
    }
  });
});

Deno.test("sonata visualize writes png, pdf, html and vl.json files", async () => {
  await withTempDir(async (dir) => {
    for (
      const [format, ext] of [["png", "png"], ["pdf", "pdf"], ["html", "html"], ["json", "vl.json"]]
    ) {
      const r = await run([
        "-v",
        "roc_curves",
        ...PROBS,
        "-ofn",
        "approved",
        "-od",
        dir,
        "-ff",
        format,
      ]);
      assert.equal(r.code, 0, r.stderr.join("\n"));
      assert.deepEqual(r.stdout, [`${dir}/roc_curves.${ext}`]);
    }
    const png = await Deno.readFile(`${dir}/roc_curves.png`);
    assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]);
    const pdf = new TextDecoder("latin1").decode(await Deno.readFile(`${dir}/roc_curves.pdf`));
    assert.match(pdf, /^%PDF-1\.4\n/);
    assert.match(pdf, /\/BaseFont \/Helvetica/, "a vector page with text");
    const html = await Deno.readTextFile(`${dir}/roc_curves.html`);
    assert.ok(html.includes('t.version="5.33.1"') && html.includes("new vega.View("));
    const spec = JSON.parse(await Deno.readTextFile(`${dir}/roc_curves.vl.json`));
    assert.equal(spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  });
});

Deno.test("sonata visualize accepts repeated flags and --flag=value", async () => {
  await withTempDir(async (dir) => {
    const r = await run([
      "--visualization=roc_curves",
      "--probabilities",
      fixture("predictions_a.csv"),
      "--probabilities",
      fixture("predictions_b.csv"),
      ...TRUTH,
      "--output_feature_name=approved",
      `--output_directory=${dir}`,
    ]);
    assert.equal(r.code, 0, r.stderr.join("\n"));
    const svg = await Deno.readTextFile(`${dir}/roc_curves.svg`);
    assert.ok(svg.includes("Model 1 (AUC") && svg.includes("Model 2 (AUC"));
  });
});

Deno.test("sonata visualize: unknown visualization suggests the nearest and exits 2", async () => {
  const r = await run(["--visualization", "roc_curve"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr[0], 'error: unknown visualization "roc_curve": did you mean "roc_curves"?');
  assert.equal(r.stderr[1], "Available visualizations:");
  assert.equal(r.stderr.length, 2 + VISUALIZATION_NAMES.length);
  const far = await run(["--visualization", "zzz"]);
  assert.equal(far.stderr[0], 'error: unknown visualization "zzz"');
});

Deno.test("sonata visualize: usage errors exit 2", async () => {
  const missing = await run([]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr[0], /missing --visualization/);
  const flag = await run(["--visualization", "roc_curves", "--bogus"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr[0], /bogus/);
  const required = await run(["--visualization", "roc_curves", "-ofn", "approved", ...TRUTH]);
  assert.equal(required.code, 2);
  assert.deepEqual(required.stderr, ['error: Visualization "roc_curves" requires --probabilities']);
  const format = await run(["--visualization", "roc_curves", "--file_format", "gif"]);
  assert.equal(format.code, 2);
  assert.match(
    format.stderr[0],
    /--file_format: expected one of "svg", "png", "pdf", "html", "json", received "gif"/,
  );
  const integer = await run([
    "-v",
    "roc_curves",
    ...PROBS,
    "-ofn",
    "approved",
    "--positive_label",
    "x",
  ]);
  assert.equal(integer.code, 2);
  assert.match(integer.stderr[0], /--positive_label: expected an integer, received "x"/);
  const two = await run([
    "-v",
    "compare_classifiers_predictions",
    "--predictions",
    fixture("predictions_a.csv"),
    ...TRUTH,
    "-ofn",
    "animal",
  ]);
  assert.equal(two.code, 2);
});

Deno.test("sonata visualize: input errors exit 1 with the reason", async () => {
  const r = await run(["-v", "roc_curves", ...PROBS, "-ofn", "nope"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr[0],
    /^error: Cannot read ground truth "nope" from ".*dataset.csv": column not found/,
  );
  const missing = await run([
    "-v",
    "compare_performance",
    "--test_statistics",
    "/does/not/exist.json",
  ]);
  assert.equal(missing.code, 1);
});

Deno.test("sonata visualize --help prints the usage with every visualization", async () => {
  const r = await run(["--help"]);
  assert.equal(r.code, 0);
  const text = r.stdout.join("\n");
  assert.match(text, /^Usage: sonata visualize --visualization NAME/);
  for (const name of VISUALIZATION_NAMES) {
    assert.ok(text.includes(`  ${name}\n`) || text.endsWith(`  ${name}`), name);
  }
  assert.equal((await run(["-h"])).code, 0);
});
