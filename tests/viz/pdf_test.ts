// PDF output (Ludwig's default --file_format): by default a vector page drawn from the chart's
// SVG (paths, text in the standard fonts), or, with mode "raster", the PNG rendering as an image.
// The files are parsed back: every cross-reference offset points at its object, stream lengths
// are exact, every reference resolves. tests/viz/pdf_render_test.ts rasterizes them with poppler.
import assert from "node:assert/strict";
import { Chart, fontsAvailable, svgSize } from "../../lib/viz/chart.ts";
import { imagePdf, standardFont, svgToPdf, textWidth } from "../../lib/viz/pdf.ts";
import { arcToCubics, parsePath, parseSvg, parseTransform } from "../../lib/viz/_svg.ts";
import { apply } from "../../lib/viz/_svg.ts";
import { readPdf, shownStrings } from "./_pdf.ts";
import { withTempDir } from "./_helpers.ts";

const svgDoc = (body: string, size = 'width="200" height="100"') =>
  `<svg xmlns="http://www.w3.org/2000/svg" ${size}>${body}</svg>`;

function barChart(title = "PDF bars") {
  return new Chart({
    title,
    data: { values: [{ m: "a", v: -1 }, { m: "b", v: 3 }] },
    mark: "bar",
    encoding: { x: { field: "m", type: "nominal" }, y: { field: "v", type: "quantitative" } },
  });
}

Deno.test("imagePdf writes a well-formed one-page PDF with the pixels", () => {
  const data = Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => (i * 37) % 256);
  const pdf = imagePdf({ width: 4, height: 2, data }, { pageWidth: 300, title: "A (b) \\ c" });
  const { text, objects, mediaBox } = readPdf(pdf);
  assert.deepEqual(mediaBox, [0, 0, 300, 150]);
  assert.match(text, /\/Title \(A \\\(b\\\) \\\\ c\)/);
  const image = [...objects.values()].find((o) => o.dict.includes("/Subtype /Image"))!;
  assert.match(image.dict, /\/Width 4 \/Height 2 /);
  assert.deepEqual([...image.data!], [...data]);
  assert.throws(
    () => imagePdf({ width: 3, height: 2, data }, { pageWidth: 1 }),
    /expected 3×2×3 bytes of RGB pixels, received 24/,
  );
});

Deno.test("Chart.save(.pdf) writes a vector page: paths, and the title and labels as text", async () => {
  await withTempDir(async (dir) => {
    const chart = barChart();
    const path = await chart.save(`${dir}/chart.pdf`);
    const { text, objects, mediaBox, content } = readPdf(await Deno.readFile(path));
    const size = svgSize(await chart.toSVG())!;
    assert.deepEqual(mediaBox, [0, 0, size.width * 0.75, size.height * 0.75]);
    assert.ok(
      ![...objects.values()].some((o) => o.dict.includes("/Subtype /Image")),
      "no raster image",
    );
    // CSS pixels to points, y axis down.
    assert.ok(
      content.startsWith(`0.75 0 0 -0.75 0 ${size.height * 0.75} cm\n`),
      content.slice(0, 40),
    );
    const strings = shownStrings(content);
    for (const label of ["PDF bars", "a", "b", "m", "v", "0", "3"]) {
      assert.ok(strings.includes(label), `"${label}" is drawn as text (${strings.join(" | ")})`);
    }
    assert.ok(strings.includes("\x811"), "−1 uses the minus glyph (code 129), not a hyphen");
    // The two bars: Vega's rect paths, filled with tableau10's first colour (#4c78a8).
    const bars = content.match(/0\.298 0\.471 0\.659 rg\n[^\n]+ m\n/g) ?? [];
    assert.equal(bars.length, 2, "two filled bar paths");
    assert.match(content, / l\n/);
    assert.match(content, /\nS\n/, "strokes (axes, ticks)");
    const fonts = [...objects.values()].filter((o) => o.dict.includes("/Type /Font"));
    assert.deepEqual(fonts.map((f) => /\/BaseFont \/(\S+)/.exec(f.dict)![1]).sort(), [
      "Helvetica",
      "Helvetica-Bold",
    ]);
    assert.match(
      text,
      /\/Differences \[129 \/minus 141 \/lessequal 143 \/greaterequal 144 \/notequal\]/,
    );
    assert.match(text, /\/Title \(PDF bars\)/);
  });
});

Deno.test({
  name: "toPDF({ mode: 'raster' }) embeds the PNG rendering on a page of the chart's size",
  ignore: !(await fontsAvailable()),
  async fn() {
    const chart = barChart();
    const { objects, mediaBox } = readPdf(await chart.toPDF({ mode: "raster" }));
    const size = svgSize(await chart.toSVG())!;
    assert.ok(Math.abs(mediaBox[2] - size.width * 0.75) < 0.01, String(mediaBox));
    assert.ok(Math.abs(mediaBox[3] - size.height * 0.75) < 0.5, String(mediaBox));
    const image = [...objects.values()].find((o) => o.dict.includes("/Subtype /Image"))!;
    const [, width, height] = /\/Width (\d+) \/Height (\d+)/.exec(image.dict)!.map(Number);
    assert.equal(width, size.width * 3, "scale 3 by default");
    assert.equal(image.data!.length, width * height * 3);
    const dark = image.data!.filter((v) => v < 128).length;
    assert.ok(dark > 1000, `the bars and text are drawn (${dark} dark channel values)`);
    await assert.rejects(
      () => chart.toPDF({ mode: "bitmap" as "raster" }),
      /expected mode "vector" or "raster", received "bitmap"/,
    );
  },
});

Deno.test("parsePath reads every command, relative and absolute, into moves, lines and cubics", () => {
  assert.deepEqual(parsePath("M1,2h3v4H0V1l1 1L5-1zm1,1"), [
    { op: "M", x: 1, y: 2 },
    { op: "L", x: 4, y: 2 },
    { op: "L", x: 4, y: 6 },
    { op: "L", x: 0, y: 6 },
    { op: "L", x: 0, y: 1 },
    { op: "L", x: 1, y: 2 },
    { op: "L", x: 5, y: -1 },
    { op: "Z" },
    { op: "M", x: 2, y: 3 },
  ]);
  // Quadratics become cubics with control points at 2/3; T reflects the last control point.
  assert.deepEqual(parsePath("M0,0Q3,3,6,0T12,0"), [
    { op: "M", x: 0, y: 0 },
    { op: "C", x1: 2, y1: 2, x2: 4, y2: 2, x: 6, y: 0 },
    { op: "C", x1: 8, y1: -2, x2: 10, y2: -2, x: 12, y: 0 },
  ]);
  const s = parsePath("M0,0C1,1,2,1,3,0S5,-1,6,0");
  assert.deepEqual(s[2], { op: "C", x1: 4, y1: -1, x2: 5, y2: -1, x: 6, y: 0 });
  // Implicit lines after M; exponents; compact arc flags.
  assert.deepEqual(parsePath("m1e1,0 5,5").at(-1), { op: "L", x: 15, y: 5 });
  assert.equal(parsePath("M0,0a5,5 0 1110,0").at(-1)?.op, "C");
  assert.throws(() => parsePath("M0,0 X1"), /unknown command "X"/);
  assert.throws(() => parsePath("M0"), /Cannot parse SVG path/);
  assert.throws(() => parsePath("10,10"), /expected a command/);
});

Deno.test("arcs become cubic Béziers that stay on the ellipse", () => {
  // Vega's circle symbol: two half circles of radius 5.
  const segments = parsePath("M5,0A5,5,0,1,1,-5,0A5,5,0,1,1,5,0Z");
  const cubics = segments.filter((s) => s.op === "C");
  assert.equal(cubics.length, 4, "two 180° arcs, two 90° pieces each");
  for (const c of cubics) {
    if (c.op !== "C") continue;
    for (const t of [0.25, 0.5, 0.75]) {
      const u = 1 - t;
      const prev = segments[segments.indexOf(c) - 1] as { x: number; y: number };
      const px = u ** 3 * prev.x + 3 * u * u * t * c.x1 + 3 * u * t * t * c.x2 + t ** 3 * c.x;
      const py = u ** 3 * prev.y + 3 * u * u * t * c.y1 + 3 * u * t * t * c.y2 + t ** 3 * c.y;
      assert.ok(Math.abs(Math.hypot(px, py) - 5) < 0.01, `on the circle: ${Math.hypot(px, py)}`);
    }
  }
  // The sweep flag picks the side: sweep 1 from (5,0) to (-5,0) passes through y > 0.
  const half = arcToCubics(5, 0, 5, 5, 0, false, true, -5, 0);
  assert.ok(
    half.every((c) => c.op !== "C" || c.y >= 0) && half.some((c) => c.op === "C" && c.y > 4.9),
  );
  // Radii too small are scaled up; zero radii draw a line; equal endpoints draw nothing.
  const scaled = arcToCubics(0, 0, 1, 1, 0, false, true, 10, 0).at(-1)!;
  assert.deepEqual([scaled.op, (scaled as { x: number }).x], ["C", 10]);
  assert.deepEqual(arcToCubics(0, 0, 0, 3, 0, false, true, 4, 4), [{ op: "L", x: 4, y: 4 }]);
  assert.deepEqual(arcToCubics(1, 1, 3, 3, 0, false, true, 1, 1), []);
});

Deno.test("parseTransform composes transform lists right to left, as SVG nests them", () => {
  // Vega's rotated axis label: translate, rotate 270°, then the baseline offset.
  const m = parseTransform("translate(9.5,7) rotate(270) translate(0,3)");
  const [x, y] = apply(m, 0, 0);
  assert.ok(Math.abs(x - 12.5) < 1e-9 && Math.abs(y - 7) < 1e-9, `${x},${y}`);
  const [rx, ry] = apply(parseTransform("rotate(90, 10, 10)"), 20, 10);
  assert.ok(Math.abs(rx - 10) < 1e-9 && Math.abs(ry - 20) < 1e-9);
  assert.deepEqual(parseTransform("scale(2) matrix(1,0,0,1,3,4)"), [2, 0, 0, 2, 6, 8]);
  assert.throws(() => parseTransform("spin(3)"), /unknown function spin/);
  assert.throws(() => parseTransform("translate(1,2,3)"), /bad arguments to translate/);
});

Deno.test("text widths come from the standard fonts' Adobe metrics", () => {
  assert.equal(
    standardFont("DejaVu Sans, Helvetica, Arial, sans-serif", "normal", "normal"),
    "Helvetica",
  );
  assert.equal(standardFont("DejaVu Sans", "bold", "normal"), "Helvetica-Bold");
  assert.equal(standardFont("'Fira Code', monospace", "700", "italic"), "Courier-BoldOblique");
  assert.equal(standardFont("Georgia, serif", "400", "italic"), "Times-Italic");
  assert.equal(standardFont("Unknown Face", "normal", "normal"), "Helvetica");
  // H e l l o = 722 + 556 + 222 + 222 + 556 (Helvetica), 722 + 556 + 278 + 278 + 611 (bold).
  assert.ok(Math.abs(textWidth("Hello", "Helvetica") - 2.278) < 1e-9);
  assert.ok(Math.abs(textWidth("Hello", "Helvetica-Bold") - 2.445) < 1e-9);
  assert.ok(Math.abs(textWidth("Hello", "Helvetica-Oblique") - 2.278) < 1e-9);
  assert.equal(textWidth("abc", "Courier"), 1.8);
  assert.ok(Math.abs(textWidth("−", "Helvetica") - 0.584) < 1e-9, "the minus glyph");
  assert.ok(Math.abs(textWidth("α", "Helvetica") - 0.556) < 1e-9, "what the font lacks is '?'");
});

Deno.test("svgToPdf anchors text, keeps it upright, and reports characters the fonts lack", async () => {
  const warnings: string[] = [];
  const pdf = await svgToPdf(
    svgDoc(
      `<text transform="translate(100,50)" text-anchor="middle" font-family="sans-serif" font-size="10px" fill="#000">Hello</text>` +
        `<text transform="translate(190,20)" text-anchor="end" font-size="20" font-weight="bold" fill="red">A&amp;(b)</text>` +
        `<text transform="translate(5,90)" font-size="10" fill="#000">σ <tspan x="0" dy="12">line 2 é</tspan></text>`,
    ),
    { onWarning: (w) => warnings.push(w) },
  );
  const { content } = readPdf(pdf);
  // Middle anchor: x = -width / 2 = -11.39 in the text's own coordinates.
  assert.match(content, /\n1 0 0 1 100 50 cm\n/, "the text element's transform");
  assert.match(content, /BT \/F1 10 Tf 0 Tr 1 0 0 -1 -11\.39 0 Tm \(Hello\) Tj ET/);
  const boldWidth = textWidth("A&(b)", "Helvetica-Bold") * 20;
  assert.match(
    content,
    new RegExp(
      `/F2 20 Tf 0 Tr 1 0 0 -1 ${
        -Math.round(boldWidth * 1000) / 1000
      } 0 Tm \\(A&\\\\\\(b\\\\\\)\\) Tj`,
    ),
  );
  assert.match(content, /1 0 0 rg\nBT \/F2/, "red fill");
  assert.match(content, /Tm \(\? \) Tj/, "σ is not in the encoding");
  assert.match(content, /1 0 0 -1 0 12 Tm \(line 2 \\351\) Tj/, "tspan x/dy; é is WinAnsi 0351");
  assert.deepEqual(warnings, [
    `characters outside the PDF standard fonts' encoding are shown as "?": σ`,
  ]);
});

Deno.test("svgToPdf draws opacity, clipping, dashes, gradients and images", async () => {
  const { default: sharp } = await import("npm:sharp@0.35.5");
  const png = await sharp({
    create: { width: 2, height: 1, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } },
  }).png().toBuffer();
  const warnings: string[] = [];
  const pdf = await svgToPdf(
    svgDoc(
      `<g clip-path="url(#clip1)" opacity="0.5"><path d="M0,0h50v50h-50Z" fill="#00f" fill-opacity="0.5"/></g>` +
        `<line x1="0" y1="60" x2="100" y2="60" stroke="steelblue" stroke-width="2" stroke-dasharray="4,2" stroke-linecap="round"/>` +
        `<path d="M120,10h16v40h-16Z" fill="url(#gradient_1)"/>` +
        `<path d="M150,10h20v20h-20Z" fill="url(#pattern_gradient_2)"/>` +
        `<path class="foreground" d="M0,0h9v9h-9Z" fill="red" display="none"/>` +
        `<image href="data:image/png;base64,${
          png.toString("base64")
        }" x="10" y="70" width="20" height="10" preserveAspectRatio="none"/>` +
        `<image href="https://example.com/x.png" x="0" y="0" width="5" height="5"/>` +
        `<defs><linearGradient id="gradient_1" x1="0" x2="0" y1="1" y2="0"><stop offset="0" stop-color="#fff"/><stop offset="0.5" stop-color="#888"/><stop offset="1" stop-color="#000"/></linearGradient>` +
        `<pattern id="pattern_gradient_2" viewBox="0,0,1,1" width="100%" height="100%" preserveAspectRatio="xMidYMid slice"><rect width="1" height="1" fill="url(#gradient_2)"/></pattern>` +
        `<radialGradient id="gradient_2" fx="0.5" fy="0.5" fr="0" cx="0.5" cy="0.5" r="0.5"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></radialGradient>` +
        `<clipPath id="clip1"><rect x="0" y="0" width="25" height="25"/></clipPath></defs>`,
    ),
    { onWarning: (w) => warnings.push(w) },
  );
  const { text, objects, content } = readPdf(pdf);
  assert.match(content, /q\n0 0 m\n25 0 l\n25 25 l\n0 25 l\nh\nW n\n/, "clipped to the rect");
  assert.match(text, /\/GS1 << \/Type \/ExtGState \/ca 0\.25 \/CA 1 >>/, "group × fill opacity");
  assert.match(content, /0\.275 0\.51 0\.706 RG\n2 w 1 J 0 j 4 M \[4 2\] 0 d\n0 60 m\n100 60 l\nS/);
  assert.ok(!content.includes("9 0 l"), "display=none is not drawn");
  const dicts = [...objects.values()].map((o) => o.dict);
  assert.ok(
    dicts.some((d) =>
      /\/ShadingType 2 \/Coords \[0 1 0 0\]/.test(d) && d.includes("/FunctionType 3")
    ),
  );
  assert.ok(dicts.some((d) => /\/ShadingType 3 \/Coords \[0\.5 0\.5 0 0\.5 0\.5 0\.5\]/.test(d)));
  // The linear gradient's unit square maps onto the bar's box in page space (y flipped).
  assert.ok(
    dicts.some((d) => d.includes("/PatternType 2") && d.includes("/Matrix [12 0 0 -30 90 67.5]")),
    dicts.join("\n"),
  );
  assert.match(content, /\/Pattern cs \/P\d+ scn\n120 10 m/);
  const image = [...objects.values()].find((o) =>
    o.dict.includes("/ColorSpace /DeviceRGB /BitsPerComponent 8 /SMask")
  )!;
  assert.deepEqual([...image.data!], [255, 0, 0, 255, 0, 0]);
  const mask = objects.get(Number(/\/SMask (\d+) 0 R/.exec(image.dict)![1]))!;
  assert.deepEqual([...mask.data!], [128, 128]);
  assert.match(content, /q 20 0 0 -10 10 80 cm \/Im\d+ Do Q/);
  assert.deepEqual(warnings, ["image https://example.com/x.png is not a data: URL; left out"]);
});

Deno.test("svgToPdf rejects what is not a drawable SVG with a clear error", async () => {
  await assert.rejects(
    () => svgToPdf("<svg><g></svg>"),
    /Cannot parse SVG at offset \d+: unexpected <\/svg>/,
  );
  await assert.rejects(() => svgToPdf("<html/>"), /the root is <html>/);
  await assert.rejects(
    () => svgToPdf('<svg width="0" height="10"/>'),
    /expected a positive width and height/,
  );
  assert.equal(
    parseSvg('<?xml version="1.0"?><!-- c --><svg a="&lt;&#65;&#x42;"/>').attrs.a,
    "<AB",
  );
});
