// The CLI with an image feature streamed from the cache file (`preprocessing.in_memory: false`):
// `experiment` trains and evaluates, `evaluate` and `predict` read the saved model, and a cache
// file damaged while streaming is reported in one line (the CacheFileError's message).
import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { describeError, main } from "../../lib/cli/main.ts";
import { capture } from "./_helpers.ts";
import { CacheFileError } from "../../lib/features/cache.ts";

async function fixture(dir: string, n: number): Promise<string> {
  await Deno.mkdir(join(dir, "pics"), { recursive: true });
  const lines = ["image_path,label"];
  for (let i = 0; i < n; i++) {
    const top = i % 2 === 0;
    const px = new Uint8Array(6 * 6);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 6; x++) px[y * 6 + x] = (top ? y < 3 : y >= 3) ? 220 : 10 + i;
    }
    const name = `pics/${i}.png`;
    await Deno.writeFile(
      join(dir, name),
      new Uint8Array(
        await sharp(px, { raw: { width: 6, height: 6, channels: 1 } }).png().toBuffer(),
      ),
    );
    lines.push(`${name},${top ? "top" : "bottom"}`);
  }
  const csv = join(dir, "images.csv");
  await Deno.writeTextFile(csv, lines.join("\n") + "\n");
  return csv;
}

const CONFIG = `
input_features:
  - name: image_path
    type: image
    preprocessing:
      in_memory: false
    encoder:
      type: stacked_cnn
      conv_layers:
        - out_channels: 4
      output_size: 8
output_features:
  - name: label
    type: category
trainer:
  epochs: 2
  batch_size: 4
`;

Deno.test("sonata experiment, evaluate and predict with in_memory: false", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_cli_stream_" });
  try {
    const csv = await fixture(dir, 20);
    await Deno.writeTextFile(join(dir, "config.yaml"), CONFIG);
    const exp = capture();
    equal(
      await main([
        "experiment",
        "--config",
        join(dir, "config.yaml"),
        "--dataset",
        csv,
        "--output_directory",
        join(dir, "results"),
      ], exp.io),
      0,
      exp.err.join("\n"),
    );
    const run = join(dir, "results", "experiment_run");
    const stats = JSON.parse(await Deno.readTextFile(join(run, "test_statistics.json")));
    ok(Number.isFinite(stats.label.loss));
    // The split files the images were streamed from are in the cache folder.
    const cached: string[] = [];
    for await (const e of Deno.readDir(join(dir, ".sonata_cache"))) cached.push(e.name);
    ok(cached.some((n) => n.endsWith(".training.bin")), cached.join(", "));
    for (const command of ["evaluate", "predict"]) {
      const c = capture();
      equal(
        await main([
          command,
          "--model_path",
          run,
          "--dataset",
          csv,
          "--output_directory",
          join(dir, command),
        ], c.io),
        0,
        c.err.join("\n"),
      );
    }
    const predictions = await Deno.readTextFile(join(dir, "predict", "predictions.csv"));
    equal(predictions.trim().split("\n").length, 21);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged cache file met while streaming is one line on the command line", () => {
  const line = describeError(
    new CacheFileError(
      "/data/.sonata_cache/k.training.bin",
      'row 3 of column "img" does not match its checksum',
    ),
  );
  match(
    line,
    /^CacheFileError: Cannot read cached split "\/data\/\.sonata_cache\/k\.training\.bin": row 3/,
  );
  match(line, /sonata cache clean/);
  ok(!line.includes("\n"));
});
