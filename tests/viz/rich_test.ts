// Rich display for notebooks: MIME bundles of every view, and live progress that does nothing
// outside the Deno Jupyter kernel.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { feature, model } from "../../lib/builders/mod.ts";
import { loadConfig } from "../../lib/config/mod.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { Chart } from "../../lib/viz/chart.ts";
import {
  describeDataset,
  display,
  displayConfig,
  evaluationReport,
  inJupyter,
  notebookProgress,
  predictionsTable,
  Report,
  trainingReport,
  withEvaluationDisplay,
  withPredictionsDisplay,
  withTrainingDisplay,
} from "../../lib/viz/rich.ts";
import { checkExecuted } from "../integration/_run_notebooks.ts";

const DISPLAY = Symbol.for("Jupyter.display");
type Displayable = { [DISPLAY]: () => Record<string, unknown> | Promise<Record<string, unknown>> };
const bundleOf = async (x: unknown) => await (x as Displayable)[DISPLAY]();

const stats = {
  training: {
    y: { loss: [0.9, 0.5, 0.4], accuracy: [0.5, 0.7, 0.8] },
    combined: { loss: [0.9, 0.5, 0.4] },
  },
  validation: {
    y: { loss: [1.0, 0.7, 0.6], accuracy: [0.4, 0.6, 0.7] },
    combined: { loss: [1.0, 0.7, 0.6] },
  },
  test: {},
};

Deno.test("displayConfig() shows highlighted YAML as text/html and the YAML as text/plain", async () => {
  const builder = model().input(feature.number("x")).output(feature.category("y"))
    .trainer({ epochs: 3 });
  const bundle = await bundleOf(displayConfig(builder, { caption: "Model <1>" }));
  deepStrictEqual(Object.keys(bundle).sort(), ["text/html", "text/plain"]);
  const html = bundle["text/html"] as string;
  ok(html.includes('<span style="color: #0451a5">input_features</span>'), html);
  ok(html.includes('<span style="color: #098658">3</span>'), "numbers coloured");
  ok(html.includes("Model &lt;1&gt;"), "caption escaped");
  equal(bundle["text/plain"], `Model <1>\n${builder.toYAML().trimEnd()}`);
  const resolved = await loadConfig(
    "input_features: [{name: x, type: number}]\noutput_features: [{name: y, type: binary}]",
  );
  ok(displayConfig(resolved).yaml.includes("model_type: ecd"));
  equal(displayConfig("a: 1\n").toString(), "a: 1");
});

Deno.test("describeDataset() lists column types and statistics, then the first rows", async () => {
  const ds = Dataset.fromRecords([
    { x: 1, c: "a", t: "<b>" },
    { x: 2, c: "b", t: null },
    { x: 6, c: "a", t: "z" },
  ]);
  const report = describeDataset(ds, { rows: 2 });
  const [summary, head] = report.tables;
  deepStrictEqual(summary.rows.map((r) => [r.column, r.missing, r.distinct]), [
    ["x", 0, 3],
    ["c", 0, 2],
    ["t", 1, 2],
  ]);
  equal(summary.rows[0].mean, 3);
  equal(summary.rows[0].max, 6);
  equal(summary.rows[1]["most common"], "a (2)");
  equal(head.rows.length, 2);
  const bundle = await bundleOf(report);
  ok((bundle["text/html"] as string).includes("&lt;b&gt;"), "cells escaped");
  ok((bundle["text/plain"] as string).startsWith('Dataset "in-memory": 3 rows × 3 columns'));
});

Deno.test("training results display a metrics table and learning curves (SVG in the HTML)", async () => {
  const report = trainingReport({ train_stats: stats });
  deepStrictEqual(report.tables[0].rows[0], {
    feature: "y",
    metric: "loss",
    training: 0.4,
    validation: 0.6,
  });
  equal(report.charts.length, 1);
  const chartBundle = await bundleOf(report.charts[0]);
  ok("application/vnd.vegalite.v5+json" in chartBundle);
  const result = withTrainingDisplay({ train_stats: stats, other: 1 });
  deepStrictEqual(Object.keys(result), ["train_stats", "other"]); // the display is not enumerable
  const bundle = await bundleOf(result);
  deepStrictEqual(Object.keys(bundle).sort(), ["text/html", "text/plain"]);
  ok((bundle["text/html"] as string).includes("<svg"), "chart inlined as SVG");
  ok((bundle["text/plain"] as string).includes("[chart] "));
  // No checkpoints yet: the table alone.
  equal(
    trainingReport({ train_stats: { training: {}, validation: {}, test: {} } }).charts.length,
    0,
  );
});

Deno.test("evaluation results display metrics, confusion matrices and ROC curves", async () => {
  const evaluation = {
    test_statistics: {
      y: {
        accuracy: 0.75,
        roc_auc: 0.8,
        confusion_matrix: [[2, 0], [1, 1]],
        roc_curve: { false_positive_rate: [0, 0, 1], true_positive_rate: [0, 0.5, 1] },
      },
      band: { accuracy: 0.5, confusion_matrix: [[1, 1, 0], [0, 1, 0], [1, 0, 1]] },
      n: { mean_squared_error: 2 },
      combined: { loss: 0.4 },
    },
  };
  const metadata = { band: { idx2str: ["lo", "mid", "hi"] }, y: { bool2str: ["no", "yes"] } };
  const report = evaluationReport(evaluation, { metadata });
  equal(report.tables[0].rows.length, 5);
  deepStrictEqual(report.charts.map((c) => c.name), [
    "confusion_matrix",
    "roc_curves_from_prediction_statistics",
    "confusion_matrix",
  ]);
  ok(JSON.stringify(report.charts[2].toSpec()).includes('"hi"'), "class names from metadata");
  const bundle = await bundleOf(withEvaluationDisplay(evaluation, metadata));
  ok((bundle["text/html"] as string).includes("<svg"));
});

Deno.test("predictions display as a table with arrays as JSON", async () => {
  const predictions = {
    rows: [{ y_predictions: "a", y_probabilities: new Float32Array([0.25, 0.75]) }],
  };
  const table = predictionsTable(predictions);
  equal(table.rows[0].y_probabilities, "[0.25,0.75]");
  const bundle = await bundleOf(withPredictionsDisplay({ predictions }));
  ok((bundle["text/html"] as string).includes('<td style="text-align: left">a</td>'));
});

Deno.test("Report puts tables and charts in one HTML output", async () => {
  const chart = new Chart({
    data: { values: [{ a: 1 }] },
    mark: "point",
    encoding: { x: { field: "a", type: "quantitative" } },
  });
  const report = new Report("R", [chart]);
  equal(report.tables.length, 0);
  ok((await report.toHTML()).includes("<svg"));
});

Deno.test("outside the kernel: no Jupyter, empty progress callbacks, display() prints text", async () => {
  equal(inJupyter(), false);
  deepStrictEqual(notebookProgress(), {});
  deepStrictEqual(notebookProgress({ chart: false, minIntervalMs: 0 }), {});
  const written: string[] = [];
  const original = Deno.stdout.writeSync;
  Deno.stdout.writeSync = (bytes: Uint8Array) => {
    written.push(new TextDecoder().decode(bytes));
    return bytes.length;
  };
  try {
    await display(displayConfig({ trainer: { epochs: 1 } }));
    await display("plain");
  } finally {
    Deno.stdout.writeSync = original;
  }
  deepStrictEqual(written, ["trainer:\n  epochs: 1\n", "plain\n"]);
});

Deno.test("the notebook runner flags errors, lost display outputs and notebooks without charts", () => {
  const chart = { output_type: "display_data", data: { "application/vnd.vegalite.v5+json": {} } };
  deepStrictEqual(
    checkExecuted({
      cells: [{
        cell_type: "code",
        execution_count: 1,
        source: "await display(c)",
        outputs: [chart],
      }],
    }),
    { problems: [], lost: [], charts: 1, outputs: 1 },
  );
  const bad = checkExecuted({
    cells: [
      { cell_type: "markdown", source: "display(" },
      { cell_type: "code", execution_count: 1, source: ["await display(x)"], outputs: [] },
      {
        cell_type: "code",
        execution_count: 2,
        outputs: [{ output_type: "error", ename: "TypeError", evalue: "boom" }],
      },
      { cell_type: "code", execution_count: null, outputs: [] },
    ],
  });
  deepStrictEqual(bad.lost, [2]);
  deepStrictEqual(bad.problems, [
    "cell 3 raised TypeError: boom",
    "cell 4 did not run",
    "no output from display() in cells 2",
    "no application/vnd.vegalite.v5+json output",
  ]);
});
