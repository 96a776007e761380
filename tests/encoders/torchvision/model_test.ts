// A torchvision encoder through the public Model API: the image preprocessing is forced to the
// variant's crop size (a contradicting height is an error); weights from `pretrained_weights`
// are stored with the saved model (it loads and predicts the same with the file gone);
// `cache_encoder_embeddings` with the frozen encoder gives the uncached model, and is timed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Model } from "../../../mod.ts";
import { tf } from "../../../lib/compute/mod.ts";
import { encodeBmp } from "../../../lib/data/images/mod.ts";
import * as encoders from "../../../lib/encoders/mod.ts";
import { build } from "../../../lib/encoders/torchvision/_entries_build.ts";
import { formulaStateDict } from "../../../lib/encoders/torchvision/mod.ts";
import { writeSafetensors } from "../../../lib/pretrained/safetensors.ts";
import { createBuildContext } from "../../../lib/model/ecd.ts";

type Obj = Record<string, unknown>;

/** A 16x16 RGB BMP data URI: a bright square in one of four corners (the label). */
function imageUri(i: number): string {
  const size = 16;
  const data = new Uint8Array(size * size * 3);
  const [y0, x0] = [(i % 2) * 8, (Math.floor(i / 2) % 2) * 8];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const on = y >= y0 && y < y0 + 8 && x >= x0 && x < x0 + 8;
      data.fill(on ? 210 : 20 + ((i * 7) % 30), (y * size + x) * 3, (y * size + x + 1) * 3);
    }
  }
  const bytes = encodeBmp({ data, height: size, width: size, channels: 3 });
  return `data:image/bmp;base64,${btoa(String.fromCharCode(...bytes))}`;
}

const rows = Array.from({ length: 16 }, (_, i) => ({
  image: imageUri(i),
  label: i % 2 === 0 ? "left" : "right",
}));

function modelConfig(encoder: Obj, preprocessing: Obj = {}): Obj {
  return {
    input_features: [{
      name: "image",
      type: "image",
      encoder: { type: "mobilenetv3", model_variant: "small", use_pretrained: false, ...encoder },
      preprocessing,
    }],
    output_features: [{ name: "label", type: "category" }],
    combiner: { type: "concat", output_size: 8, num_fc_layers: 1 },
    trainer: { epochs: 2, batch_size: 8, learning_rate: 0.01 },
  };
}

async function probabilities(model: Model): Promise<number[]> {
  const out = await model.predict(rows);
  return (out.predictions.columns.label_probabilities as number[][]).flat();
}

/** A formula state_dict of mobilenetv3 small written as safetensors. */
async function weightsFile(dir: string): Promise<string> {
  const cfg = encoders.tvMobilenetV3.schema.parse({ type: "mobilenetv3", use_pretrained: false });
  const x = tf.input({ shape: [32, 32, 3] });
  const y = (await build(cfg as never, { ...createBuildContext({ seed: 1 }), scope: "w" }))(x);
  const m = tf.model({ inputs: x, outputs: y });
  const file = join(dir, "mobilenet_v3_small.safetensors");
  await writeSafetensors(file, formulaStateDict(m, "w/"));
  m.dispose();
  return file;
}

Deno.test("torchvision model: a height that contradicts the encoder's transform is an error", async () => {
  const model = await Model.create(modelConfig({}, { height: 64 }) as never);
  await assert.rejects(
    () => model.train({ dataset: rows, skip_save_all: true, progress: false }),
    /height: 64.*contradicts the torchvision encoder's transform \(224x224 RGB/,
  );
});

Deno.test("torchvision model: pretrained weights travel with the saved model; cached = uncached", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = await weightsFile(dir);
    const encoder = { pretrained_weights: file, trainable: false };
    let t = performance.now();
    const plain = await Model.create(modelConfig(encoder) as never);
    await plain.train({ dataset: rows, skip_save_all: true, progress: false, random_seed: 5 });
    const plainSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const cached = await Model.create(
      modelConfig(encoder, { cache_encoder_embeddings: true }) as never,
    );
    await cached.train({ dataset: rows, skip_save_all: true, progress: false, random_seed: 5 });
    const cachedSeconds = (performance.now() - t) / 1000;
    const a = await probabilities(plain);
    const b = await probabilities(cached);
    for (let i = 0; i < a.length; i++) {
      assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `row value ${i}: ${a[i]} vs ${b[i]}`);
    }
    // deno-lint-ignore no-console
    console.log(
      `mobilenetv3 small, 16 images 224x224, 2 epochs: uncached ${plainSeconds.toFixed(1)} s, ` +
        `cached ${cachedSeconds.toFixed(1)} s`,
    );
    const saved = join(dir, "saved");
    await plain.save(saved);
    await Deno.remove(file);
    const loaded = await Model.load(saved);
    const c = await probabilities(loaded);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - c[i]) < 1e-5, `loaded ${i}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
