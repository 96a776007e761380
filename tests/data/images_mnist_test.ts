import assert from "node:assert/strict";
import { join } from "node:path";
import { mnistCount, mnistImage, writeMnist } from "../../examples/mnist/data.ts";
import { decodeImageColumn, inferImageShape } from "../../lib/data/images/mod.ts";
import { ImagePreprocessingSchema } from "../../lib/features/image_schema.ts";
import { withTempDir } from "./_helpers.ts";

Deno.test("the mnist package's digits become PNG files and a CSV that decode back exactly", async () => {
  for (let d = 0; d < 10; d++) assert.ok(mnistCount(d) > 800, `digit ${d}`);
  await withTempDir(async (dir) => {
    const files = await writeMnist(dir, { perDigit: 5, testFraction: 0.2 });
    assert.deepEqual([files.train, files.test], [40, 10]);
    const lines = (await Deno.readTextFile(files.csv)).trim().split("\n");
    assert.equal(lines[0], "image_path,label,split");
    assert.equal(lines.length, 51);
    const rows = lines.slice(1).map((l) => l.split(","));
    assert.deepEqual(rows[4], ["images/0_0004.png", "0", "2"]);
    const paths = rows.map((r) => r[0]);
    const prep = ImagePreprocessingSchema.parse({});
    const ctx = { column: "image_path", file: join(dir, "mnist.csv") };
    const shape = await inferImageShape(paths, prep, ctx);
    assert.deepEqual([shape.height, shape.width, shape.num_channels], [28, 28, 1]);
    const column = await decodeImageColumn(paths, shape, ctx);
    assert.deepEqual(column.data.subarray(0, 784), mnistImage(0, 0));
    assert.deepEqual(column.data.subarray(49 * 784), mnistImage(9, 4));
    assert.ok(mnistImage(3, 0).some((v) => v > 200));
  });
});
