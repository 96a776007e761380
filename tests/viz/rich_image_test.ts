// The rich display of a dataset shows thumbnails of image columns (PNG data URIs), with relative
// paths resolved against the dataset file's folder and unreadable images named in place.
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { readDataset } from "../../lib/data/read.ts";
import { describeDataset } from "../../lib/viz/rich.ts";

Deno.test("describeDataset shows thumbnails of an image column", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_thumbs_" });
  try {
    const lines = ["photo,label"];
    for (let i = 0; i < 4; i++) {
      const px = new Uint8Array(16 * 16 * 3).fill(40 * i);
      await Deno.writeFile(
        join(dir, `p${i}.png`),
        new Uint8Array(
          await sharp(px, { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer(),
        ),
      );
      lines.push(`p${i}.png,${i % 2}`);
    }
    lines.push("gone.png,1");
    await Deno.writeTextFile(join(dir, "photos.csv"), lines.join("\n") + "\n");
    const report = describeDataset(await readDataset(join(dir, "photos.csv")));
    assert.equal(report.tables.length, 2);
    const html = await report.toHTML();
    assert.equal(html.match(/<img [^>]*src="data:image\/png;base64,/g)?.length, 4);
    assert.match(html, /gone\.png.*file not found/);
    assert.match(report.toString(), /\[images\] photo: 5 thumbnails/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
