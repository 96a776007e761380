// A chart saved as HTML is interactive offline: the page inlines the Vega runtime and draws the
// chart with vega.View at load (the static SVG is only the first paint), and tooltips work.
// Checked in headless Chromium from a file:// URL with every network connection refused (a
// proxy on a closed port); skipped, saying so, where Chromium is not installed (Debian:
// apt-get install chromium).
import assert from "node:assert/strict";
import { Chart, chartsPage } from "../../lib/viz/chart.ts";
import { withTempDir } from "./_helpers.ts";

const chromium = ["chromium", "chromium-browser", "google-chrome"].find((name) => {
  try {
    return new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
});
const skipped = chromium ? "" : " [skipped: Chromium not found; apt-get install chromium]";

/** The DOM of a file after its scripts ran, with every network connection refused. */
async function dumpDom(path: string, dir: string): Promise<string> {
  const out = await new Deno.Command(chromium!, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--no-first-run",
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

/** A script appended to a page: hovers the first bar once the chart is live, records the tooltip. */
const HOVER_PROBE = `<script>
const poll = () => {
  const host = document.querySelector(".sonata-chart.sonata-ready");
  if (!host) return setTimeout(poll, 50);
  const bar = host.querySelector('.sonata-live .mark-rect path[aria-roledescription="bar"]');
  const box = bar.getBoundingClientRect();
  const at = { bubbles: true, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 };
  bar.dispatchEvent(new PointerEvent("pointermove", at));
  bar.dispatchEvent(new MouseEvent("mousemove", at));
  setTimeout(() => {
    const tip = document.querySelector(".sonata-tooltip");
    const out = document.createElement("pre");
    out.id = "probe";
    out.textContent = JSON.stringify({ hidden: tip.hidden, text: tip.textContent });
    document.body.appendChild(out);
  }, 200);
};
poll();
</script>
</body>`;

function barChart(title: string, values = [0.8, 0.9]) {
  return new Chart({
    title,
    data: { values: values.map((accuracy, i) => ({ model: "ab"[i] ?? `m${i}`, accuracy })) },
    mark: "bar",
    encoding: {
      x: { field: "model", type: "nominal" },
      y: { field: "accuracy", type: "quantitative" },
      tooltip: [{ field: "model" }, { field: "accuracy" }],
    },
  });
}

/** The live chart elements of a dumped DOM: one entry per `.sonata-chart`. */
function liveCharts(dom: string) {
  return [...dom.matchAll(/<div class="sonata-chart([^"]*)"[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => ({
      ready: m[1].includes("sonata-ready"),
      staticSvg: m[2].includes('class="sonata-static"'),
      live: /<div class="sonata-live" role="graphics-document"[^>]*><svg\b[^>]*class="marks"/.test(
        m[2],
      ),
      bars: (m[2].match(/aria-roledescription="bar"/g) ?? []).length,
      body: m[2],
    }),
  );
}

Deno.test({
  name: "a chart saved as .html is drawn live by Vega offline, with tooltips" + skipped,
  ignore: !chromium,
  async fn() {
    await withTempDir(async (dir) => {
      const path = await barChart("Offline bars").save(`${dir}/chart.html`);
      const page = await Deno.readTextFile(path);
      assert.ok(!/<script src=/.test(page), "no external script");
      // One load: the page as saved, plus a probe that hovers a bar once the chart is live.
      await Deno.writeTextFile(`${dir}/hover.html`, page.replace("</body>", HOVER_PROBE));
      const dom = await dumpDom(`${dir}/hover.html`, dir);
      const [chart] = liveCharts(dom);
      assert.ok(chart.ready, "the embed script finished");
      assert.ok(chart.live, "vega's SVG renderer drew into the live container at runtime");
      assert.ok(!chart.staticSvg, "the static first paint was replaced");
      assert.equal(chart.bars, 2, "both bars are drawn");
      assert.ok(chart.body.includes(">Offline bars</text>"), "the title is drawn");
      assert.match(dom, /<div class="sonata-actions"><a href="#">Save as SVG<\/a>/);
      const probe = /<pre id="probe">(.*?)<\/pre>/.exec(dom);
      assert.ok(probe, "the hover probe ran");
      const tip = JSON.parse(probe![1].replaceAll("&quot;", '"'));
      assert.deepEqual(tip, { hidden: false, text: "modelaaccuracy0.8" });
    });
  },
});

Deno.test({
  name: "a page that loads Vega from a CDN keeps its static SVG offline and says why" + skipped,
  ignore: !chromium,
  async fn() {
    await withTempDir(async (dir) => {
      const chart = barChart("Static bars");
      await Deno.writeTextFile(`${dir}/cdn.html`, await chart.toHTML({ scripts: "cdn" }));
      const dom = await dumpDom(`${dir}/cdn.html`, dir);
      const [cdn] = liveCharts(dom);
      assert.ok(cdn.staticSvg && !cdn.ready);
      assert.equal(cdn.bars, 2, "the static SVG has both bars");
      assert.ok(
        dom.includes('<div class="sonata-note">Static chart: the Vega runtime did not load'),
        "says why",
      );
    });
  },
});

Deno.test({
  name: "a page of several charts carries the Vega runtime once and draws each chart" + skipped,
  ignore: !chromium,
  async fn() {
    await withTempDir(async (dir) => {
      // The third has an interval selection, a legend-bound point selection and a slider.
      const selections = new Chart({
        data: { values: [{ x: 1, y: 2, k: "a" }, { x: 2, y: 1, k: "b" }] },
        params: [
          { name: "brush", select: "interval" },
          { name: "pick", select: { type: "point", fields: ["k"] }, bind: "legend" },
          { name: "size", value: 60, bind: { input: "range", min: 10, max: 200 } },
        ],
        mark: "point",
        encoding: {
          x: { field: "x", type: "quantitative" },
          y: { field: "y", type: "quantitative" },
          color: { field: "k", type: "nominal" },
          size: { value: { expr: "size" } },
          opacity: { condition: { param: "pick", value: 1 }, value: 0.2 },
        },
      });
      const charts = [barChart("First"), barChart("Second", [0.1, 0.2, 0.3]), selections];
      const html = await chartsPage(charts, { title: "Report", heading: true });
      assert.equal(html.split('t.version="5.33.1"').length, 2, "one runtime");
      await Deno.writeTextFile(`${dir}/report.html`, html);
      const dom = await dumpDom(`${dir}/report.html`, dir);
      const live = liveCharts(dom);
      assert.deepEqual(live.map((c) => [c.ready, c.live, c.staticSvg, c.bars]), [
        [true, true, false, 2],
        [true, true, false, 3],
        [true, true, false, 0],
      ]);
      assert.match(dom, /<input type="range" name="size" min="10" max="200"/, "the slider");
      assert.ok(!dom.includes('<div class="sonata-note">'), "no chart fell back to its static SVG");
      assert.match(dom, /<h1>Report<\/h1>/);
    });
  },
});
