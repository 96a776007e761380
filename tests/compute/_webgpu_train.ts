/**
 * Run by tests/compute/webgpu_test.ts in a process of its own, once with SONATA_COMPUTE=webgpu
 * and once with SONATA_COMPUTE=cpu: trains small models through Sonata's public API (trainer,
 * running metrics, gradient clipping, validation and test evaluation), predicts and evaluates,
 * and prints one JSON line with the results and the number of device reads of each phase.
 *
 * `deno run -A tests/compute/_webgpu_train.ts [tabular] [image]`
 *
 * @module
 */
import { engineInfo, ready, tf } from "../../lib/compute/mod.ts";
import { Model } from "../../mod.ts";
import { encodeBmp } from "../../lib/data/images/bmp.ts";

type Obj = Record<string, unknown>;

await ready({ quiet: true });
const backend = tf.backend() as unknown as { read(dataId: object): Promise<unknown> };
let reads = 0;
const read = backend.read.bind(backend);
backend.read = (dataId: object) => {
  reads++;
  return read(dataId);
};

function tabularRows(n: number): Obj[] {
  return Array.from({ length: n }, (_, i) => {
    const x = Math.sin(i * 12.9898) * 2;
    const c = ["a", "b", "c"][i % 3];
    return { x, c, y: 2 * x + (i % 3), k: x + (i % 3) > 1 ? "p" : "q" };
  });
}

/** A 6×6 RGB bitmap as a data URI: bright on the left half (even i) or the right. */
function bitmap(i: number): Obj {
  const left = i % 2 === 0;
  const [w, h] = [6, 6];
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const on = left ? x < w / 2 : x >= w / 2;
      data.fill(on ? 200 + (i % 7) : 30 + (i % 5), (y * w + x) * 3, (y * w + x + 1) * 3);
    }
  }
  const bytes = encodeBmp({ data, height: h, width: w, channels: 3 });
  return {
    img: `data:image/bmp;base64,${btoa(String.fromCharCode(...bytes))}`,
    label: left ? "l" : "r",
  };
}

async function run(config: Obj, rows: Obj[]): Promise<Obj> {
  const model = await Model.create(config);
  reads = 0;
  const { result } = await model.train({ dataset: rows, skip_save_all: true, progress: false });
  const trainReads = reads;
  reads = 0;
  const predicted = await model.predict(rows.slice(0, 12));
  const predictReads = reads;
  const evaluated = await model.evaluate(rows.slice(0, 12));
  model.tfModel?.dispose();
  const checkpoints = (result.statistics.training.combined.loss as number[]).length;
  return {
    steps: result.steps,
    checkpoints,
    trainReads,
    predictReads,
    statistics: result.statistics,
    predictions: predicted.predictions.columns,
    evaluation: evaluated.test_statistics ?? evaluated,
  };
}

const which = Deno.args.length ? Deno.args : ["tabular"];
const out: Obj = { engine: engineInfo()?.engine, backend: tf.getBackend() };
if (which.includes("tabular")) {
  out.tabular = await run({
    input_features: [{ name: "x", type: "number" }, { name: "c", type: "category" }],
    output_features: [{ name: "y", type: "number" }, { name: "k", type: "category" }],
    // Ludwig's default clipglobalnorm (0.5) clips here: the on-device clipping runs on webgpu.
    trainer: { epochs: 2, batch_size: 16, learning_rate: 0.01 },
    preprocessing: { split: { type: "random", probabilities: [0.6, 0.2, 0.2] } },
  }, tabularRows(80));
}
if (which.includes("image")) {
  out.image = await run({
    input_features: [{
      name: "img",
      type: "image",
      encoder: { type: "stacked_cnn", conv_layers: [{ out_channels: 3 }], output_size: 4 },
    }],
    output_features: [{ name: "label", type: "category" }],
    trainer: { epochs: 2, batch_size: 4, learning_rate: 0.03 },
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
  }, Array.from({ length: 12 }, (_, i) => bitmap(i)));
}
// deno-lint-ignore no-console
console.log(JSON.stringify(out));
