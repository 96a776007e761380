// deno-lint-ignore-file no-console
/**
 * Per-kernel time of a workload on an engine: `deno run -A bench/profile.ts w1|w3|w3api|w4|w1predict
 * [--engine native] [--rows N] [--top 25]`. Each kernel of the current backend is wrapped
 * with a timer; the table lists the kernels by total time (self time, nested kernel calls
 * excluded), plus the time spent outside kernels.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ready, tf } from "../lib/compute/mod.ts";
import { buildW1, buildW3, runW1Api, runW3Api } from "./workloads.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    engine: { type: "string", default: "native" },
    rows: { type: "string" },
    top: { type: "string", default: "25" },
    batch: { type: "string" },
    "stock-adam": { type: "boolean", default: false },
  },
});

const info = await ready({ compute: values.engine as "native" });
const backendName = info.backend;

const totals = new Map<string, { ms: number; calls: number }>();
let depth = 0;
let childMs = 0;
for (const config of tf.getKernelsForBackend(backendName)) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, backendName);
  tf.registerKernel({
    ...config,
    kernelFunc: ((args: Parameters<typeof inner>[0]) => {
      const savedChild = childMs;
      childMs = 0;
      depth++;
      const t = performance.now();
      try {
        return inner(args);
      } finally {
        const dt = performance.now() - t;
        depth--;
        const self = dt - childMs;
        childMs = savedChild + (depth > 0 ? dt : 0);
        const entry = totals.get(config.kernelName) ?? { ms: 0, calls: 0 };
        entry.ms += self;
        entry.calls++;
        totals.set(config.kernelName, entry);
      }
    }) as typeof inner,
  });
}

const which = positionals[0] ?? "w1";
const stockAdam = values["stock-adam"];
let wall = 0;
if (which === "w1api") {
  // Through the public API: warm up on a few rows, then profile the training loop of one
  // epoch (and prediction; preprocessing is outside the kernels and listed separately).
  const rows = Number(values.rows ?? 25_600);
  await runW1Api({ rows: 2_048, epochs: 1 });
  totals.clear();
  const r = await runW1Api({ rows, epochs: 1, skipPredict: true });
  wall = r.train_seconds * 1000;
  console.log(`w1api: ${rows} rows, ${JSON.stringify(r)} on ${info.engine}`);
} else if (which === "w3api") {
  // W3 as `deno task bench w3` measures it: the config language, an image feature with the
  // stacked_cnn encoder (warm-up on a few rows first).
  const rows = Number(values.rows ?? 2_560);
  await runW3Api({ rows: 512 });
  totals.clear();
  const r = await runW3Api({ rows });
  wall = r.seconds_per_epoch * 1000;
  console.log(`w3api: ${rows} rows, ${JSON.stringify(r)} on ${info.engine}`);
} else if (which === "w1loop") {
  const rows = Number(values.rows ?? 25_600);
  const w = buildW1(rows, { stockAdam });
  const optimizer = w.model.optimizer;
  const step = (i: number) => {
    tf.tidy(() => {
      const xs = w.inputs.map((x) => x.slice([i, 0], [256, -1]));
      const y = w.labels.slice([i, 0], [256, -1]);
      optimizer.minimize(() => {
        const p = w.model.apply(xs) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(tf.oneHot(y.reshape([-1]).toInt(), 5), p) as tf.Scalar;
      });
    });
  };
  step(0);
  totals.clear();
  const t = performance.now();
  for (let i = 0; i + 256 <= rows; i += 256) step(i);
  wall = performance.now() - t;
  console.log(`w1loop: ${rows} rows, ${(wall / 1000).toFixed(3)} s on ${info.engine}`);
} else if (which === "w1" || which === "w1predict") {
  const rows = Number(values.rows ?? 25_600);
  const w = buildW1(rows, { stockAdam });
  // Warm up one small fit so that compilation does not count.
  await w.model.fit(w.inputs.map((t) => t.slice(0, 512)), w.labels.slice(0, 512), {
    batchSize: 256,
    epochs: 1,
    verbose: 0,
  });
  totals.clear();
  const t = performance.now();
  if (which === "w1") {
    await w.model.fit(w.inputs, w.labels, { batchSize: 256, epochs: 1, shuffle: true, verbose: 0 });
  } else {
    for (let i = 0; i < rows; i += 1024) {
      tf.tidy(() => {
        const batch = w.inputs.map((x) => x.slice([i, 0], [Math.min(1024, rows - i), -1]));
        (w.model.predict(batch, { batchSize: 1024 }) as tf.Tensor).dataSync();
      });
    }
  }
  wall = performance.now() - t;
  console.log(`${which}: ${rows} rows, ${(wall / 1000).toFixed(3)} s on ${info.engine}`);
} else if (which === "w3") {
  const rows = Number(values.rows ?? 2_560);
  const w = buildW3(rows, { stockAdam });
  await w.model.fit(w.images.slice(0, 256), w.labels.slice(0, 256), {
    batchSize: 128,
    epochs: 1,
    verbose: 0,
  });
  totals.clear();
  const t = performance.now();
  await w.model.fit(w.images, w.labels, { batchSize: 128, epochs: 1, shuffle: true, verbose: 0 });
  wall = performance.now() - t;
  console.log(`w3: ${rows} rows, ${(wall / 1000).toFixed(3)} s on ${info.engine}`);
} else if (which === "w4") {
  // Through the public API: one warm-up step of 2 images, then `rows` images (8 by default)
  // fine-tuned in batches of `--batch` (8 by default; the workload's is 32).
  const { runW4 } = await import("./w4.ts");
  const rows = Number(values.rows ?? 8);
  const batchSize = Number(values.batch ?? 8);
  await runW4({ rows: 2, batchSize: 2, skipFrozen: true });
  totals.clear();
  const r = await runW4({ rows, batchSize, skipFrozen: true });
  wall = r.seconds_per_epoch * 1000;
  console.log(`w4: ${rows} rows, batch ${batchSize}, ${JSON.stringify(r)} on ${info.engine}`);
} else {
  throw new TypeError(
    `Cannot profile "${which}": expected one of "w1api", "w1", "w1loop", "w1predict", "w3", "w4"`,
  );
}

const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, v]) => s + v.ms, 0);
console.log(
  `kernels ${kernelMs.toFixed(0)} ms, outside kernels ${(wall - kernelMs).toFixed(0)} ms`,
);
for (const [name, v] of rows.slice(0, Number(values.top))) {
  console.log(
    `${name.padEnd(36)} ${v.ms.toFixed(1).padStart(9)} ms ${String(v.calls).padStart(7)} calls ${
      (v.ms / v.calls * 1000).toFixed(1).padStart(9)
    } us/call ${(100 * v.ms / wall).toFixed(1).padStart(5)}%`,
  );
}
