import assert from "node:assert/strict";
import {
  Chart,
  chartsPage,
  fontsAvailable,
  formatFromPath,
  svgSize,
  VEGA_LITE_SCHEMA,
  type VegaLiteSpec,
} from "../../lib/viz/chart.ts";
import { schemaErrors, withTempDir } from "./_helpers.ts";

function barSpec(title = "Accuracy by model"): VegaLiteSpec {
  return {
    title,
    data: { values: [{ model: "a", accuracy: 0.8 }, { model: "b</script>", accuracy: 0.9 }] },
    mark: "bar",
    encoding: {
      x: { field: "model", type: "nominal" },
      y: { field: "accuracy", type: "quantitative" },
    },
  };
}

function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

Deno.test("Chart sets the Vega-Lite v5 $schema, merges the shared config and copies its input", async () => {
  const input = barSpec();
  input.config = { axis: { labelFontSize: 20 } };
  const before = structuredClone(input);
  const chart = new Chart(input, { name: "acc" });
  assert.deepEqual(input, before, "the input spec is not mutated");
  const spec = chart.toSpec();
  assert.equal(spec.$schema, VEGA_LITE_SCHEMA);
  const config = spec.config as Record<string, Record<string, unknown>>;
  assert.equal(config.axis.labelFontSize, 20);
  assert.equal(config.axis.titleFontSize, 12, "shared config kept under the override");
  assert.deepEqual(config.range.category, { scheme: "tableau10" });
  spec.title = "changed";
  assert.equal(chart.title, "Accuracy by model", "toSpec returns a copy");
  assert.equal(chart.name, "acc");
  assert.equal(JSON.stringify(chart), JSON.stringify(chart.toSpec()));
  assert.deepEqual(await schemaErrors(chart.toSpec()), []);
});

Deno.test("Chart.concat composes a grid, keeps parts and strips top-level-only keys", async () => {
  const a = new Chart(barSpec("A"), { name: "a" });
  const b = new Chart(barSpec("B"), { name: "b" });
  const both = Chart.concat([a, b], { title: "Both", columns: 2, name: "ab" });
  assert.deepEqual(both.parts.map((p) => p.name), ["a", "b"]);
  assert.deepEqual(both.leaves().map((p) => p.name), ["a", "b"]);
  const spec = both.toSpec();
  const concat = spec.concat as VegaLiteSpec[];
  assert.equal(concat.length, 2);
  assert.ok(concat.every((s) => !("$schema" in s) && !("config" in s)));
  assert.equal(spec.columns, 2);
  assert.deepEqual(await schemaErrors(spec), []);
  assert.equal(Chart.concat([a], { title: "ignored" }), a);
  assert.throws(() => Chart.concat([]), /received no charts/);
  const { svg, warnings } = await both.render();
  assert.deepEqual(warnings, []);
  assert.ok(svg.includes(">Both<") && svg.includes(">A<") && svg.includes(">B<"));
});

Deno.test("render() captures Vega-Lite warnings instead of printing them", async () => {
  const spec = barSpec();
  (spec.encoding as Record<string, unknown>).shape = { field: "model", type: "nominal" };
  const { svg, warnings } = await new Chart(spec).render();
  assert.match(svg, /^<svg/);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /shape/);
});

Deno.test("toSVG() renders headlessly and is cached", async () => {
  const chart = new Chart(barSpec());
  const svg = await chart.toSVG();
  assert.match(svg, /^<svg[^>]*width="\d+"/);
  assert.ok(svg.includes("Accuracy by model"));
  assert.ok(svg.includes("b&lt;/script&gt;"), "labels are escaped in SVG");
  assert.equal(await chart.toSVG(), svg);
});

Deno.test("toPNG() rasterizes at the requested scale and text renders with real glyphs", async () => {
  assert.equal(await fontsAvailable(), true, "install fonts-dejavu-core for PNG text");
  const chart = new Chart(barSpec());
  const one = await chart.toPNG({ scale: 1 });
  const two = await chart.toPNG();
  assert.deepEqual([...one.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const s1 = pngSize(one), s2 = pngSize(two);
  assert.ok(Math.abs(s2.width - 2 * s1.width) <= 1 && Math.abs(s2.height - 2 * s1.height) <= 1);
  const other = await new Chart(barSpec("Different title text")).toPNG({ scale: 1 });
  assert.notDeepEqual(other, one);
  await assert.rejects(() => chart.toPNG({ scale: 0 }), /expected a positive scale, received 0/);
});

Deno.test("toPNG() refuses to draw empty boxes when no font is installed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_nofont_" });
  try {
    await Deno.mkdir(`${dir}/fonts`);
    await Deno.writeTextFile(
      `${dir}/fonts.conf`,
      `<?xml version="1.0"?><fontconfig><dir>${dir}/fonts</dir><cachedir>${dir}/cache</cachedir></fontconfig>`,
    );
    const chartUrl = new URL("../../lib/viz/chart.ts", import.meta.url).href;
    const code = `
      const { Chart, fontsAvailable } = await import(${JSON.stringify(chartUrl)});
      const chart = new Chart({ data: { values: [{ a: 1 }] }, mark: "bar", encoding: { x: { field: "a", type: "quantitative" } } });
      console.log(JSON.stringify({ fonts: await fontsAvailable() }));
      try { await chart.toPNG(); console.log("no error"); } catch (e) { console.log(e.message); }
      const png = await chart.toPNG({ allowMissingFonts: true });
      console.log(png.length > 0);
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      env: { FONTCONFIG_FILE: `${dir}/fonts.conf` },
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.deepEqual(lines, [
      JSON.stringify({ fonts: false }),
      "Cannot render chart text to PNG: no font found by fontconfig: install one (Debian/Ubuntu: apt-get install fonts-dejavu-core) or save as .svg or .html",
      "true",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("toHTML() is a standalone page: Vega inlined once, the compiled spec script-safe", async () => {
  const chart = new Chart(barSpec());
  const html = await chart.toHTML();
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes("<title>Accuracy by model</title>"));
  assert.ok(!/<script src=/.test(html), "no external script");
  assert.equal(html.split('t.version="5.33.1"').length, 2, "the Vega 5.33.1 runtime, once");
  assert.ok(!html.includes("vega-embed"), "Sonata's own embed script");
  assert.ok(html.includes("Copyright (c) 2015-2023, University of Washington"), "Vega's notice");
  assert.ok(!html.includes("sourceMappingURL"), "no dangling source map");
  assert.ok(!html.includes("b</script>"), "a </script> inside data must not end the script");
  const json = /<script type="application\/json" class="sonata-spec">(.*)<\/script>/.exec(html)
    ?.[1];
  const vega = JSON.parse(json!);
  assert.equal(vega.$schema, "https://vega.github.io/schema/vega/v5.json", "compiled to Vega");
  assert.equal(vega.data[0].values[1].model, "b</script>");
  assert.deepEqual(vega, JSON.parse(JSON.stringify((await chart.compile()).vega)));
  // The static SVG is the first paint (and what shows without scripts).
  const svg = await chart.toSVG();
  assert.ok(html.includes(`<div class="sonata-static">${svg}</div>`));
  assert.ok(
    (await chart.toHTML({ staticSvg: false })).includes('<div class="sonata-static"></div>'),
  );
  // A CDN page is small and loads only Vega.
  const cdn = await chart.toHTML({ scripts: "cdn" });
  assert.ok(cdn.length < 20_000, `${cdn.length} bytes`);
  assert.ok(
    cdn.includes('<script src="https://cdn.jsdelivr.net/npm/vega@5.33.1/build/vega.min.js">'),
  );
  await assert.rejects(
    () => chart.toHTML({ scripts: "web" as "cdn" }),
    /expected scripts "inline" or "cdn", received "web"/,
  );
});

Deno.test("chartsPage() puts several charts on one page with one runtime", async () => {
  const html = await chartsPage([new Chart(barSpec("A"), { name: "a" }), new Chart(barSpec("B"))], {
    title: "Report <1>",
    heading: true,
  });
  assert.equal(html.split('t.version="5.33.1"').length, 2);
  assert.equal(html.split('class="sonata-spec"').length, 3);
  assert.ok(html.includes('<div class="sonata-chart" id="chart" data-name="a" aria-label="A">'));
  assert.ok(html.includes('<div class="sonata-chart" id="chart2" data-name="chart"'));
  assert.ok(html.includes("<h1>Report &lt;1&gt;</h1>"));
});

Deno.test("save() writes .svg, .png, .html and .vl.json atomically, creating directories", async () => {
  await withTempDir(async (dir) => {
    const chart = new Chart(barSpec());
    const out = `${dir}/nested/out`;
    assert.equal(await chart.save(`${out}/chart.svg`), `${out}/chart.svg`);
    await chart.save(`${out}/chart.png`, { scale: 1 });
    await chart.save(`${out}/chart.html`);
    await chart.save(`${out}/chart.vl.json`);
    await chart.save(`${out}/as_json.txt`, { format: "json" });
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      "as_json.txt",
      "chart.html",
      "chart.png",
      "chart.svg",
      "chart.vl.json",
    ]);
    assert.match(await Deno.readTextFile(`${out}/chart.svg`), /^<svg/);
    assert.deepEqual([...(await Deno.readFile(`${out}/chart.png`)).subarray(1, 4)], [80, 78, 71]);
    const page = await Deno.readTextFile(`${out}/chart.html`);
    assert.match(page, /new vega\.View\(/);
    assert.match(
      page,
      /<div class="sonata-static"><svg[^>]*>/,
      "the saved page carries the static SVG",
    );
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${out}/chart.vl.json`)), chart.toSpec());
    // Overwrites in place.
    await new Chart(barSpec("Second")).save(`${out}/chart.svg`);
    assert.ok((await Deno.readTextFile(`${out}/chart.svg`)).includes("Second"));
    await assert.rejects(
      () => chart.save(`${out}/chart.gif`),
      /expected an extension .svg, .png, .pdf, .html or .vl.json/,
    );
  });
});

Deno.test("formatFromPath() picks the format from the extension", () => {
  assert.equal(formatFromPath("a/b.SVG"), "svg");
  assert.equal(formatFromPath("b.png"), "png");
  assert.equal(formatFromPath("b.htm"), "html");
  assert.equal(formatFromPath("b.vl.json"), "json");
  assert.equal(formatFromPath("b.PDF"), "pdf");
  assert.throws(() => formatFromPath("b.gif"), TypeError);
});

Deno.test("the Jupyter display bundle has the Vega-Lite spec, a PNG (or SVG without fonts) and text", async () => {
  const chart = new Chart(barSpec(), { description: "Accuracy of two models" });
  const display = Symbol.for("Jupyter.display");
  const bundle = await (chart as unknown as Record<symbol, () => Promise<Record<string, unknown>>>)
    [display]();
  // nbconvert < 7.7 prefers SVG to PNG and then empties the SVG: a bundle never carries both.
  const image = (await fontsAvailable()) ? "image/png" : "image/svg+xml";
  assert.deepEqual(Object.keys(bundle).sort(), [
    "application/vnd.vegalite.v5+json",
    image,
    "text/plain",
  ]);
  assert.deepEqual(bundle["application/vnd.vegalite.v5+json"], chart.toSpec());
  if (image === "image/png") {
    const png = Uint8Array.from(atob(bundle["image/png"] as string), (c) => c.charCodeAt(0));
    assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]);
    // Scale 2: twice the SVG's width in pixels (IHDR width, big-endian at byte 16).
    const width = new DataView(png.buffer).getUint32(16);
    assert.equal(width, 2 * svgSize(await chart.toSVG())!.width);
    assert.ok(png.length < 200_000, `display PNG of ${png.length} bytes`);
    const metadata = await (chart as unknown as Record<symbol, () => Promise<unknown>>)[
      Symbol.for("sonata.displayMetadata")
    ]();
    assert.deepEqual(metadata, { "image/png": svgSize(await chart.toSVG()) });
  } else assert.match(bundle["image/svg+xml"] as string, /^<svg/);
  assert.equal(bundle["text/plain"], "Accuracy of two models");
  assert.equal(String(chart), "Accuracy of two models");
  assert.equal(new Chart(barSpec()).description, "Vega-Lite bar chart: Accuracy by model");
});

Deno.test("importing the viz module does not touch Deno.jupyter", async () => {
  const mod = await import("../../lib/viz/mod.ts");
  assert.equal(typeof mod.Chart, "function");
  assert.throws(() => (Deno as unknown as { jupyter: unknown }).jupyter);
});
