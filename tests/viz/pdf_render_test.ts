// The vector PDF looks like the PNG: poppler's pdftoppm rasterizes it at 96 dpi (one pixel per
// CSS pixel) and coarse 8×8-block means are compared with the PNG at scale 1. Fonts differ
// (Helvetica's stand-in against DejaVu Sans), so only coarse statistics are compared; a chart
// with other data is the control that the comparison can fail. Skipped without pdftoppm
// (Debian: apt-get install poppler-utils, which .ci/run installs).
import assert from "node:assert/strict";
import { Chart, fontsAvailable } from "../../lib/viz/chart.ts";
import { VISUALIZATIONS } from "../../lib/viz/visualizations.ts";
import { readPpm } from "./_pdf.ts";
import { loadExperiment, withTempDir } from "./_helpers.ts";

const pdftoppm = (() => {
  try {
    return new Deno.Command("pdftoppm", { args: ["-v"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

async function pdfPixels(pdf: Uint8Array, dir: string) {
  await Deno.writeFile(`${dir}/page.pdf`, pdf);
  const out = await new Deno.Command("pdftoppm", {
    args: ["-r", "96", "-singlefile", `${dir}/page.pdf`, `${dir}/page`],
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return readPpm(await Deno.readFile(`${dir}/page.ppm`));
}

async function pngPixels(chart: Chart) {
  const { default: sharp } = await import("npm:sharp@0.35.5");
  const { data, info } = await sharp(await chart.toPNG({ scale: 1 }))
    .flatten({ background: "#ffffff" }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

type Pixels = { width: number; height: number; data: Uint8Array };

/** Mean absolute difference of 8×8 block means (0-255), and the share of blocks off by > 64. */
function compare(a: Pixels, b: Pixels): { mean: number; far: number } {
  const B = 8;
  const diffs: number[] = [];
  for (let by = 0; by + B <= Math.min(a.height, b.height); by += B) {
    for (let bx = 0; bx + B <= Math.min(a.width, b.width); bx += B) {
      let sa = 0, sb = 0;
      for (let y = by; y < by + B; y++) {
        for (let x = bx; x < bx + B; x++) {
          for (let c = 0; c < 3; c++) {
            sa += a.data[(y * a.width + x) * 3 + c];
            sb += b.data[(y * b.width + x) * 3 + c];
          }
        }
      }
      diffs.push(Math.abs(sa - sb) / (B * B * 3));
    }
  }
  return {
    mean: diffs.reduce((s, d) => s + d, 0) / diffs.length,
    far: diffs.filter((d) => d > 64).length / diffs.length,
  };
}

function bars(values: number[]) {
  return new Chart({
    title: "Vector and raster",
    data: { values: values.map((v, i) => ({ m: `model ${i}`, v, c: i })) },
    mark: "bar",
    encoding: {
      x: { field: "m", type: "nominal" },
      y: { field: "v", type: "quantitative" },
      color: { field: "c", type: "quantitative" }, // a gradient legend
    },
  });
}

Deno.test({
  name: "pdftoppm renders the vector PDF like the PNG (bars, lines, heatmap, gradient legend)" +
    (pdftoppm ? "" : " [skipped: pdftoppm not found; apt-get install poppler-utils]"),
  ignore: !pdftoppm || !(await fontsAvailable()),
  async fn() {
    const e = await loadExperiment();
    const charts = [
      bars([3, -1, 2, 5]),
      VISUALIZATIONS.learning_curves(e.training, { modelNames: e.modelNames }).leaves()[0],
      VISUALIZATIONS.confusion_matrix(e.test, {
        metadata: e.metadata,
        modelNames: e.modelNames,
      }).leaves()[0],
    ];
    await withTempDir(async (dir) => {
      for (const chart of charts) {
        const pdf = await pdfPixels(await chart.toPDF(), dir);
        const png = await pngPixels(chart);
        assert.deepEqual([pdf.width, pdf.height], [png.width, png.height], chart.name);
        const { mean, far } = compare(pdf, png);
        assert.ok(mean < 5 && far < 0.02, `${chart.title}: mean ${mean}, far ${far}`);
      }
      // The control: other data drawn on the same axes is told apart.
      const other = compare(
        await pdfPixels(await bars([3, -1, 2, 5]).toPDF(), dir),
        await pngPixels(bars([-1, 5, 0.5, 3])),
      );
      assert.ok(other.mean > 5 || other.far > 0.02, JSON.stringify(other));
    });
  },
});
