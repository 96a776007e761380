// PDF output (Ludwig's default --file_format): one page the chart's size holding its rendering.
// No PDF reader is installed here, so the file's structure is checked: every cross-reference
// offset points at its object, stream lengths are exact, and the image inflates to the pixels.
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { Chart, fontsAvailable, svgSize } from "../../lib/viz/chart.ts";
import { imagePdf } from "../../lib/viz/pdf.ts";
import { withTempDir } from "./_helpers.ts";

const latin1 = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

function checkStructure(pdf: Uint8Array) {
  const text = latin1(pdf);
  assert.match(text, /^%PDF-1\.4\n/);
  assert.match(text, /%%EOF\n$/);
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
  assert.equal(text.slice(startxref, startxref + 5), "xref\n");
  const [, count] = /^xref\n0 (\d+)\n/.exec(text.slice(startxref))!.map(Number);
  const entries = text.slice(startxref).split("\n").slice(3, 3 + count - 1);
  entries.forEach((line, i) => {
    const offset = Number(line.slice(0, 10));
    assert.equal(text.slice(offset, offset + `${i + 1} 0 obj`.length), `${i + 1} 0 obj`, line);
  });
  for (const m of text.matchAll(/\/Length (\d+)[^]*?>>\nstream\n/g)) {
    const start = m.index! + m[0].length;
    assert.equal(text.slice(start + Number(m[1]), start + Number(m[1]) + 10), "\nendstream");
  }
  return text;
}

Deno.test("imagePdf writes a well-formed one-page PDF with the pixels", () => {
  const data = Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => (i * 37) % 256);
  const pdf = imagePdf({ width: 4, height: 2, data }, { pageWidth: 300, title: "A (b) \\ c" });
  const text = checkStructure(pdf);
  assert.match(text, /\/MediaBox \[0 0 300 150\]/);
  assert.match(text, /\/Title \(A \\\(b\\\) \\\\ c\)/);
  const image = /\/Width 4 \/Height 2 [^]*?\/Length (\d+) >>\nstream\n/.exec(text)!;
  const start = image.index! + image[0].length;
  const pixels = inflateSync(pdf.subarray(start, start + Number(image[1])));
  assert.deepEqual([...pixels], [...data]);
  assert.throws(
    () => imagePdf({ width: 3, height: 2, data }, { pageWidth: 1 }),
    /expected 3×2×3 bytes of RGB pixels, received 24/,
  );
});

Deno.test({
  name: "Chart.save(.pdf) renders the chart onto a page of its size",
  ignore: !(await fontsAvailable()),
  async fn() {
    await withTempDir(async (dir) => {
      const chart = new Chart({
        title: "PDF bars",
        data: { values: [{ m: "a", v: 1 }, { m: "b", v: 3 }] },
        mark: "bar",
        encoding: { x: { field: "m", type: "nominal" }, y: { field: "v", type: "quantitative" } },
      });
      const path = await chart.save(`${dir}/chart.pdf`);
      const pdf = await Deno.readFile(path);
      const text = checkStructure(pdf);
      const size = svgSize(await chart.toSVG())!;
      const box = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(text)!;
      assert.ok(Math.abs(Number(box[1]) - size.width * 0.75) < 0.01, box[0]);
      assert.ok(Math.abs(Number(box[2]) - size.height * 0.75) < 0.5, box[0]);
      const image = /\/Width (\d+) \/Height (\d+) [^]*?\/Length (\d+) >>\nstream\n/.exec(text)!;
      assert.equal(Number(image[1]), size.width * 3, "scale 3 by default");
      const start = image.index! + image[0].length;
      const pixels = inflateSync(pdf.subarray(start, start + Number(image[3])));
      assert.equal(pixels.length, Number(image[1]) * Number(image[2]) * 3);
      const dark = pixels.filter((v) => v < 128).length;
      assert.ok(dark > 1000, `the bars and text are drawn (${dark} dark channel values)`);
      assert.match(text, /\/Title \(PDF bars\)/);
    });
  },
});
