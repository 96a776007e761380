// The CLI on an image CSV: `init_config` recognizes the image path column, `experiment` trains
// a Ludwig MNIST-style config (legacy flat stacked_cnn layout) whose relative image paths
// resolve against the CSV's folder, `predict` reads the saved model, and a missing image is a
// located error without a stack trace.
import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { cli, exists } from "./_helpers.ts";

async function fixture(n = 24): Promise<{ dir: string; csv: string }> {
  const dir = await Deno.makeTempDir({ prefix: "sonata_cli_image_" });
  await Deno.mkdir(join(dir, "data", "pics"), { recursive: true });
  const lines = ["image_path,label"];
  for (let i = 0; i < n; i++) {
    const top = i % 2 === 0;
    const px = new Uint8Array(10 * 10);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++) px[y * 10 + x] = (top ? y < 5 : y >= 5) ? 230 : 10 + i;
    }
    const img = sharp(px, { raw: { width: 10, height: 10, channels: 1 } });
    const jpeg = i % 4 === 0;
    const name = `pics/${i}.${jpeg ? "jpg" : "png"}`;
    await Deno.writeFile(
      join(dir, "data", name),
      new Uint8Array(await (jpeg ? img.jpeg() : img.png()).toBuffer()),
    );
    lines.push(`${name},${top ? "top" : "bottom"}`);
  }
  const csv = join(dir, "data", "images.csv");
  await Deno.writeTextFile(csv, lines.join("\n") + "\n");
  return { dir, csv };
}

const CONFIG = `
input_features:
  - name: image_path
    type: image
    preprocessing:
      num_channels: 1
    encoder: stacked_cnn
    conv_layers:
      - num_filters: 4
        filter_size: 3
        pool_size: 2
        pool_stride: 2
    fc_layers:
      - output_size: 8
output_features:
  - name: label
    type: category
trainer:
  epochs: 6
  batch_size: 8
  learning_rate: 0.01
`;

Deno.test("sonata init_config, experiment and predict on an image CSV", async () => {
  const { dir, csv } = await fixture();
  try {
    await cli([
      "init_config",
      "--dataset",
      csv,
      "--target",
      "label",
      "--output",
      `${dir}/auto.yaml`,
    ]);
    match(await Deno.readTextFile(`${dir}/auto.yaml`), /name: image_path\n\s+type: image/);

    await Deno.writeTextFile(`${dir}/config.yaml`, CONFIG);
    await cli([
      "experiment",
      "--config",
      `${dir}/config.yaml`,
      "--dataset",
      csv,
      "--output_directory",
      `${dir}/results`,
    ]);
    const run = `${dir}/results/experiment_run`;
    const meta = JSON.parse(await Deno.readTextFile(`${run}/model/training_set_metadata.json`));
    equal(meta.image_path.preprocessing.height, 10);
    equal(meta.image_path.preprocessing.num_channels, 1);
    ok(await exists(`${run}/test_statistics.json`));

    await cli([
      "predict",
      "--model_path",
      run,
      "--dataset",
      csv,
      "--output_directory",
      `${dir}/pred`,
    ]);
    const predictions = await Deno.readTextFile(`${dir}/pred/predictions.csv`);
    equal(predictions.trim().split("\n").length, 25);
    match(predictions.split("\n")[0], /label_predictions/);

    await Deno.remove(join(dir, "data", "pics", "3.png"));
    const bad = await cli(
      ["predict", "--model_path", run, "--dataset", csv, "--output_directory", dir],
      2,
    );
    const message = bad.err.join("");
    match(
      message,
      /images\.csv.*column "image_path": data row 4: cannot read image "pics\/3\.png": file not found/,
    );
    ok(!/\n\s+at /.test(message), message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
