// Displays that survive every renderer (issue 18): collapsible long configs, left-aligned text
// columns, numeric CSV columns with statistics, the training table at the best checkpoint, and
// the notebook runner's check of HTML exports.
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { loadConfig } from "../../lib/config/mod.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import type { TrainResult } from "../../lib/train/callbacks.ts";
import { describeDataset, displayConfig, trainingReport } from "../../lib/viz/rich.ts";
import { checkExported } from "../integration/_run_notebooks.ts";

const DISPLAY = Symbol.for("Jupyter.display");
const html = (x: unknown) =>
  ((x as Record<symbol, () => Record<string, string>>)[DISPLAY]())["text/html"];

Deno.test("a long (resolved) config displays folded in <details>; a short one open", async () => {
  const resolved = await loadConfig(
    "input_features: [{name: x, type: number}]\noutput_features: [{name: y, type: binary}]",
  );
  const long = html(displayConfig(resolved, { caption: "Resolved <config>" }));
  match(long, /^<details class="sonata-config"><summary[^>]*>Resolved &lt;config&gt; \(\d+ lines/);
  ok(long.includes("<pre"), "the YAML is inside");
  ok(long.endsWith("</details>"));
  const short = html(displayConfig("trainer:\n  epochs: 1\n"));
  ok(short.startsWith('<div class="sonata-config">'), short);
});

Deno.test("describeDataset() gives statistics of numeric columns stored as text (CSV)", () => {
  const ds = Dataset.fromRecords([
    { n: "1.5", s: "a", id: "007" },
    { n: "", s: "2", id: "8" },
    { n: "4.5", s: "b", id: "9" },
  ]);
  const [summary] = describeDataset(ds).tables;
  const n = summary.rows[0];
  equal(n.column, "n");
  equal(n.mean, 3);
  equal(n.min, 1.5);
  equal(n.max, 4.5);
  equal(n.missing, 1, "an empty cell of a numeric column is missing");
  equal(n["most common"], "");
  equal(summary.rows[1].mean, undefined, "a text column has no mean");
  equal(summary.rows[2].max, 9);
  // The text column "s" is left-aligned, numbers right-aligned.
  const table = summary.toHTML();
  ok(table.includes('<td style="text-align: left">s</td>'), table);
  ok(table.includes('<td style="text-align: right">3</td>'), table);
});

Deno.test("the training report's table shows the best checkpoint, and says which", () => {
  const train_stats = {
    training: { y: { loss: [0.9, 0.5, 0.3] }, combined: { loss: [0.9, 0.5, 0.3] } },
    validation: { y: { loss: [1.0, 0.6, 0.8] }, combined: { loss: [1.0, 0.6, 0.8] } },
    test: { y: { loss: [1.1, 0.65, 0.85] }, combined: { loss: [1.1, 0.65, 0.85] } },
  };
  const result = {
    statistics: train_stats,
    batchSize: 8,
    learningRate: 0.01,
    steps: 30,
    epochs: 3,
    bestStep: 20,
    bestMetric: 0.6,
    stoppedEarly: false,
    interrupted: false,
  } as unknown as TrainResult;
  const report = trainingReport({ train_stats, result });
  deepStrictEqual(report.tables[0].rows[0], {
    feature: "y",
    metric: "loss",
    training: 0.5,
    validation: 0.6,
    test: 0.65,
  });
  match(report.toString(), /Metrics at the best checkpoint \(evaluation 2 of 3, step 20\)/);
  // Without a result saying which is best: the last checkpoint, said so.
  const last = trainingReport({ train_stats });
  equal(last.tables[0].rows[0].validation, 0.8);
  match(last.toString(), /Metrics at the last checkpoint/);
});

Deno.test("the notebook runner counts charts really drawn in an HTML export", () => {
  const png = `<img src="data:image/png;base64,${"A".repeat(200)}" width="300">`;
  const svg = '<svg width="10" height="10"><g><rect width="10" height="10"/></g></svg>';
  const emptied = '<svg width="10" height="10"></svg>'; // what nbconvert 6.5's sanitizer leaves
  deepStrictEqual(checkExported(`${png}${svg}`, 2), { problems: [], images: 1, svgs: 1 });
  deepStrictEqual(checkExported(`${emptied}${emptied}`, 2), {
    problems: ["HTML export draws 0 PNG and 0 SVG images for 2 charts"],
    images: 0,
    svgs: 0,
  });
});
