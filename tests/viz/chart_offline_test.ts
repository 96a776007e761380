// A chart saved as HTML shows offline: the page carries the static SVG, which stays when the
// CDN scripts cannot load. Checked in headless Chromium with the network cut off (a proxy that
// refuses every connection); skipped where Chromium is not installed.
import assert from "node:assert/strict";
import { Chart } from "../../lib/viz/chart.ts";
import { withTempDir } from "./_helpers.ts";

const chromium = ["chromium", "chromium-browser", "google-chrome"].find((name) => {
  try {
    return new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
});

/** The DOM of a file after its scripts ran, with every network connection refused. */
async function dumpDom(path: string, dir: string): Promise<string> {
  const out = await new Deno.Command(chromium!, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      `--user-data-dir=${dir}/profile`,
      "--proxy-server=127.0.0.1:9",
      "--proxy-bypass-list=<-loopback>",
      "--virtual-time-budget=5000",
      "--dump-dom",
      `file://${path}`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "a chart saved as .html draws its marks offline in headless Chromium",
  ignore: !chromium,
  async fn() {
    await withTempDir(async (dir) => {
      const chart = new Chart({
        title: "Offline bars",
        data: { values: [{ model: "a", accuracy: 0.8 }, { model: "b", accuracy: 0.9 }] },
        mark: "bar",
        encoding: {
          x: { field: "model", type: "nominal" },
          y: { field: "accuracy", type: "quantitative" },
        },
      });
      const path = await chart.save(`${dir}/chart.html`);
      const dom = await dumpDom(path, dir);

      assert.match(dom, /<div id="chart"><svg\b/, "the static SVG is in the page");
      const bars = dom.match(/<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/)?.[1] ?? "";
      assert.equal(bars.match(/<path\b/g)?.length, 2, "both bars are drawn");
      assert.ok(dom.includes("Offline bars"), "the title is drawn");
      // A page without the static SVG (toHTML() alone) says why it is empty offline.
      await Deno.writeTextFile(`${dir}/bare.html`, chart.toHTML());
      assert.match(
        await dumpDom(`${dir}/bare.html`, dir),
        /<div id="chart">The chart needs vega-embed/,
      );
    });
  },
});
