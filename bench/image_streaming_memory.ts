/**
 * Memory of image training with `preprocessing.in_memory: true` vs `false`: N random RGB PNGs
 * (default 2000 of 64×64, 24.6 MB decoded), a small stacked_cnn trained for a few steps through
 * the public API, each run in a fresh process. For every mode it runs twice: a cache miss
 * (decode, write the cache, train) and a cache hit (the cache written by the first run). Each
 * child reports its peak RSS (`VmHWM`), the largest JS heap + external (ArrayBuffer) bytes seen
 * at the end of a training step, and the same after a GC at the end of training (what the
 * process still holds). Run by hand:
 *
 * ```sh
 * deno run -A bench/image_streaming_memory.ts [--rows 2000] [--size 64] [--steps 30]
 * ```
 *
 * Measured (2 shared cores, native engine), MiB: peak RSS / peak heap+external during training
 * / held after training.
 *
 * | data | in_memory true, miss | true, hit | false, miss | false, hit |
 * |---|---|---|---|---|
 * | 2000 × 64×64×3 (23.4 decoded) | 324 / 159 / 97.7 | 269 / 141 / 97.2 | 318 / 142 / 74.8 | 269 / 118 / 74.3 |
 * | 2000 × 128×128×3 (93.8 decoded) | 466 / 260 / 254 | 488 / 365 / 254 | 440 / 217 / 161 | 365 / 164 / 162 |
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string" },
    size: { type: "string" },
    steps: { type: "string" },
    child: { type: "string" },
    dir: { type: "string" },
  },
});
const rows = Number(args.rows ?? 2000);
const size = Number(args.size ?? 64);
const steps = Number(args.steps ?? 30);

function vmHwm(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function child(dir: string, inMemory: boolean): Promise<void> {
  const { Model } = await import("../mod.ts");
  const model = await Model.create({
    input_features: [{
      name: "image_path",
      type: "image",
      preprocessing: { in_memory: inMemory },
      encoder: {
        type: "stacked_cnn",
        conv_layers: [{ out_channels: 4, pool_size: 4 }],
        output_size: 8,
      },
    }],
    output_features: [{ name: "label", type: "category" }],
    trainer: { train_steps: steps, batch_size: 32, eval_batch_size: 64, learning_rate: 0.001 },
  });
  let peakHeld = 0;
  const held = () => {
    const m = Deno.memoryUsage();
    return m.heapUsed + m.external;
  };
  const result = await model.train({
    dataset: join(dir, "images.csv"),
    skip_save_all: true,
    skip_save_processed_input: false,
    progress: false,
    callbacks: [{ onBatchEnd: () => void (peakHeld = Math.max(peakHeld, held())) }],
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((r) => setTimeout(r, 50));
  gc?.();
  // deno-lint-ignore no-console
  console.log(JSON.stringify({
    in_memory: inMemory,
    cache_hit: result.preprocessed_data.cache.hit,
    peak_rss_mb: vmHwm() / 2 ** 20,
    peak_held_during_training_mb: peakHeld / 2 ** 20,
    held_after_training_mb: held() / 2 ** 20,
  }));
}

async function makeImages(dir: string): Promise<void> {
  const { default: sharp } = await import("sharp");
  await Deno.mkdir(join(dir, "images"), { recursive: true });
  const lines = ["image_path,label"];
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < rows; i++) {
    const px = new Uint8Array(size * size * 3);
    for (let k = 0; k < px.length; k++) px[k] = Math.floor(rand() * 256);
    const name = `images/${i}.png`;
    await Deno.writeFile(
      join(dir, name),
      await sharp(px, { raw: { width: size, height: size, channels: 3 } }).png({
        compressionLevel: 1,
      }).toBuffer(),
    );
    lines.push(`${name},${i % 3}`);
  }
  await Deno.writeTextFile(join(dir, "images.csv"), lines.join("\n") + "\n");
}

if (args.child !== undefined) {
  await child(args.dir!, args.child === "true");
} else {
  const dir = await Deno.makeTempDir({ prefix: "sonata_stream_mem_" });
  try {
    await makeImages(dir);
    // deno-lint-ignore no-console
    console.log(
      `${rows} images of ${size}x${size}x3: ${
        (rows * size * size * 3 / 2 ** 20).toFixed(1)
      } MiB decoded`,
    );
    for (const inMemory of [true, false]) {
      for (let run = 0; run < 2; run++) {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--v8-flags=--expose-gc",
            import.meta.filename!,
            "--child",
            String(inMemory),
            "--dir",
            dir,
            "--steps",
            String(steps),
          ],
          stdout: "piped",
          stderr: "inherit",
        }).output();
        const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop();
        // deno-lint-ignore no-console
        console.log(line);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
