import assert from "node:assert/strict";
import { htmlTable, JUPYTER_DISPLAY } from "../../lib/viz/display.ts";

Deno.test("htmlTable displays as an HTML table and as aligned text", () => {
  const table = htmlTable([
    { metric: "accuracy", value: 0.912345, note: "<best>" },
    { metric: "loss", value: 12, note: undefined },
  ], { caption: "Test metrics & more" });
  assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));
  const bundle = table[JUPYTER_DISPLAY]();
  assert.deepEqual(Object.keys(bundle).sort(), ["text/html", "text/plain"]);
  const html = bundle["text/html"];
  assert.match(html, /^<table>\n<caption>Test metrics &amp; more<\/caption>/);
  assert.ok(html.includes('<th style="text-align: right">value</th>'));
  assert.ok(html.includes('<td style="text-align: left">&lt;best&gt;</td>'), "text left-aligned");
  assert.ok(html.includes('<td style="text-align: right">0.9123</td>'));
  assert.equal(
    bundle["text/plain"],
    [
      "Test metrics & more",
      "metric     value  note",
      "--------  ------  ------",
      "accuracy  0.9123  <best>",
      "loss          12",
    ].join("\n"),
  );
  assert.equal(String(table), bundle["text/plain"]);
  assert.deepEqual(table.columns, ["metric", "value", "note"]);
});

Deno.test("htmlTable accepts array rows with columns and truncates long tables", () => {
  const rows = Array.from({ length: 5 }, (_, i) => [`r${i}`, i]);
  const table = htmlTable(rows, { columns: ["name", "n"], maxRows: 3 });
  assert.ok(table.toHTML().includes('<td colspan="2">… 2 more rows</td>'));
  assert.ok(table.toString().endsWith("… 2 more rows"));
  assert.equal(table.rows.length, 5);
  assert.throws(() => htmlTable([[1, 2]]), /array rows need the columns option/);
});
