// Real pretrained weights in Sonata's `mobilenetv2`: nsfwjs's Keras MobileNetV2 (npm:nsfwjs,
// a TF.js layers model) loaded through `pretrained_weights: <TF.js folder>`:
// - Sonata's encoder computes what TF.js computes running the nsfwjs model itself
//   (tf.loadLayersModel on the same files, up to its pooled features), within 1e-4, on real
//   emoji images and on noise; the same weights in torchvision's conventions (symmetric padding,
//   eps 1e-5) do not, so the Keras conventions are what makes it equal;
// - Keras names that are not MobileNetV2's, TF.js weights for another family, and a missing
//   weight are clear errors; the embedding cache key holds the folder's checksum and the scaling;
// - on a real labelled image set (emoji-datasource-google's PNGs by category), frozen pretrained
//   features classify better than a random-weight control and raw pixels (cached embeddings; the
//   uncached run, equal and slower, is in the slow lane: SONATA_SLOW=1), and the trained model
//   saves and reloads with the Keras conventions and weights (the folder gone).
// Both packages are fetched by `.ci/run` (deno cache); without them the tests say so and skip.
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "npm:sharp@0.35.5";
import { Model } from "../../mod.ts";
import { ready, tf } from "../../lib/compute/mod.ts";
import { torchvisionTransform } from "../../lib/data/images/mod.ts";
import * as encoders from "../../lib/encoders/mod.ts";
import {
  build,
  cacheFingerprint,
  TorchvisionNormalize,
} from "../../lib/encoders/torchvision/_entries_build.ts";
import { kerasMobileNetV2Weights } from "../../lib/encoders/torchvision/_keras.ts";
import { loadFamilyWeights } from "../../lib/encoders/torchvision/mod.ts";
import { MOBILENET_V2 } from "../../lib/encoders/torchvision/mobilenet.ts";
import { readTfjsModel, WeightsError } from "../../lib/pretrained/mod.ts";
import { createBuildContext } from "../../lib/model/ecd.ts";
import { nsfwjsModelDir, writeNsfwjsModelFolder } from "./_nsfwjs.ts";
import { emojiPackageDir, emojiRows } from "../../examples/emoji_transfer/data.ts";
import { armConfig, runEmojiTransfer } from "../../examples/emoji_transfer/train.ts";

type Obj = Record<string, unknown>;

await ready({ quiet: true });
const NSFWJS = await nsfwjsModelDir();
const EMOJI = await emojiPackageDir();
const SLOW = Deno.env.get("SONATA_SLOW") === "1";
if (NSFWJS === null || EMOJI === null) {
  // deno-lint-ignore no-console
  console.warn(
    "skipping the nsfwjs transfer tests: run `deno cache npm:nsfwjs@4.4.0 " +
      "npm:emoji-datasource-google@16.0.0`",
  );
}

async function withModelFolder(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sonata_nsfwjs_" });
  try {
    assert.ok(await writeNsfwjsModelFolder(dir));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function parse(encoder: Obj): Obj {
  return encoders.tvMobilenetV2.schema.parse({ type: "mobilenetv2", ...encoder });
}

async function encoderModel(encoder: Obj, side = 224): Promise<tf.LayersModel> {
  const ctx = { ...createBuildContext({ seed: 1 }), scope: "img" };
  const x = tf.input({ shape: [side, side, 3] });
  const y = (await build(parse(encoder) as never, ctx))(x);
  return tf.model({ inputs: x, outputs: y });
}

/** Two emoji PNGs through mobilenetv2's transform (232, 224) and one 224x224 noise image. */
async function pixels(): Promise<tf.Tensor4D> {
  const rows = (await emojiRows({
    categories: ["Animals & Nature"],
    perCategory: 2,
    background: null,
  }))!;
  const images: Uint8Array[] = [];
  for (const row of rows) {
    const raw = await sharp(await Deno.readFile(row.image)).removeAlpha().raw().toBuffer({
      resolveWithObject: true,
    });
    const image = { data: new Uint8Array(raw.data), height: 64, width: 64, channels: 3 };
    images.push(
      torchvisionTransform(image, { resizeSize: 232, cropSize: 224, interpolation: "bilinear" })
        .data,
    );
  }
  let s = 7;
  images.push(Uint8Array.from({ length: 224 * 224 * 3 }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  }));
  const all = new Float32Array(images.length * 224 * 224 * 3);
  images.forEach((im, i) => all.set(im, i * im.length));
  return tf.tensor4d(all, [images.length, 224, 224, 3]);
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

Deno.test({
  name: "nsfwjs in mobilenetv2: equals TF.js running the nsfwjs model (pooled features, 1e-4)",
  ignore: NSFWJS === null || EMOJI === null,
  async fn() {
    await withModelFolder(async (dir) => {
      const json = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
      const weights = await Deno.readFile(join(dir, "group1-shard1of1.bin"));
      const reference = await tf.loadLayersModel(tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: weights.buffer,
      }));
      const pooled = tf.model({
        inputs: reference.inputs,
        outputs: reference.getLayer("flatten_1").output as tf.SymbolicTensor,
      });
      const x = await pixels();
      // nsfwjs feeds x / 255
      const want = pooled.predict(tf.div(x, 255)) as tf.Tensor;
      const sonata = await encoderModel({
        pretrained_weights: dir,
        input_scaling: "zero_to_one",
        trainable: false,
      });
      const got = sonata.predict(x) as tf.Tensor;
      assert.deepEqual(got.shape, [3, 1280]);
      const scale = tf.max(tf.abs(want)).dataSync()[0];
      assert.ok(scale > 0.5, `the features are not trivial (max ${scale})`);
      const diff = maxDiff(got, want);
      assert.ok(diff <= 1e-4, `max |Sonata − TF.js| = ${diff}`);

      // The same weights in torchvision's conventions (symmetric padding, eps 1e-5) differ.
      const tensors = kerasMobileNetV2Weights(await readTfjsModel(dir)).tensors;
      const input = tf.input({ shape: [224, 224, 3] });
      const torchStyle = tf.model({
        inputs: input,
        outputs: MOBILENET_V2.build(
          new TorchvisionNormalize({ mean: [0, 0, 0], std: [1, 1, 1] }).apply(
            input,
          ) as tf.SymbolicTensor,
          "base",
        ),
      });
      loadFamilyWeights(torchStyle, MOBILENET_V2, tensors, { file: dir });
      const torchOut = torchStyle.predict(x) as tf.Tensor;
      const off = maxDiff(torchOut, want);
      assert.ok(off > 100 * 1e-4, `torchvision's conventions are off by ${off}`);
      // deno-lint-ignore no-console
      console.log(
        `nsfwjs pooled features (max ${scale.toFixed(3)}): Keras conventions off by ` +
          `${diff.toExponential(2)}, torchvision's by ${off.toExponential(2)}`,
      );

      // input_scaling null: the Keras weights' own, x / 127.5 − 1.
      const keras = await encoderModel({ pretrained_weights: dir }, 32);
      const scaled = keras.getLayer("img/normalize")
        .apply(tf.tensor4d([0, 127.5, 255], [1, 1, 1, 3])) as tf.Tensor;
      assert.deepEqual([...scaled.dataSync()].map((v) => Math.round(v * 1e6) / 1e6), [-1, 0, 1]);
      tf.dispose([x, want, got, torchOut, scaled]);
      for (const m of [reference, sonata, torchStyle, keras]) m.dispose();
    });
  },
});

/** A TF.js layers-model folder holding `weights` (float32) and Dense `head` layer names. */
async function fakeKerasFolder(
  dir: string,
  weights: Map<string, { shape: number[]; data: Float32Array }>,
  head: string[] = [],
): Promise<void> {
  const specs = [...weights].map(([name, t]) => ({ name, shape: t.shape, dtype: "float32" }));
  const layers = head.map((name) => ({ class_name: "Dense", config: { name } }));
  await Deno.writeTextFile(
    join(dir, "model.json"),
    JSON.stringify({
      format: "layers-model",
      modelTopology: { model_config: { class_name: "Model", config: { layers } } },
      weightsManifest: [{ paths: ["w.bin"], weights: specs }],
    }),
  );
  const total = [...weights.values()].reduce((s, t) => s + t.data.length, 0);
  const bytes = new Float32Array(total);
  let at = 0;
  for (const t of weights.values()) bytes.set(t.data, at), at += t.data.length;
  await Deno.writeFile(join(dir, "w.bin"), new Uint8Array(bytes.buffer));
}

Deno.test("Keras weights: unknown names, other families and missing weights are clear errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const w = (shape: number[]) => ({
      shape,
      data: new Float32Array(shape.reduce((a, b) => a * b)),
    });
    await fakeKerasFolder(dir, new Map([["conv2d/kernel", w([3, 3, 3, 8])]]));
    await assert.rejects(
      () => encoderModel({ pretrained_weights: dir }, 32),
      (e: Error) =>
        e instanceof WeightsError && /conv2d\/kernel/.test(e.message) &&
        /not a weight of a Keras MobileNetV2/.test(e.message),
    );
    // the head's Dense layers are dropped; a backbone weight missing is listed
    await fakeKerasFolder(
      dir,
      new Map([["Conv1/kernel", w([3, 3, 3, 32])], ["dense_1/kernel", w([1280, 4])]]),
      ["dense_1"],
    );
    await assert.rejects(
      () => encoderModel({ pretrained_weights: dir }, 32),
      /missing.*features\.0\.1\.weight/s,
    );
    const resnet = encoders.tvResnet.schema.parse({ type: "resnet", pretrained_weights: dir });
    const ctx = { ...createBuildContext({ seed: 1 }), scope: "img" };
    await assert.rejects(
      () => build(resnet as never, ctx),
      /Keras weights are read for mobilenetv2 only; give the resnet encoder a torch state_dict/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "Keras weights: the embedding cache key holds the folder's checksum and the scaling",
  ignore: NSFWJS === null,
  async fn() {
    await withModelFolder(async (dir) => {
      const a = await cacheFingerprint(parse({ pretrained_weights: dir }) as never);
      assert.match(a, /^torchvision:mobilenetv2:base:keras:[0-9a-f]{64}:minus_one_to_one$/);
      const b = await cacheFingerprint(
        parse({
          pretrained_weights: join(dir, "model.json"),
          input_scaling: "zero_to_one",
        }) as never,
      );
      assert.equal(b, a.replace(/minus_one_to_one$/, "zero_to_one"));
      const bin = join(dir, "group1-shard1of1.bin");
      const bytes = await Deno.readFile(bin);
      bytes[100] ^= 1;
      await Deno.writeFile(bin, bytes);
      assert.notEqual(await cacheFingerprint(parse({ pretrained_weights: dir }) as never), a);
    });
  },
});

const CATEGORIES = ["Animals & Nature", "Food & Drink", "Travel & Places"];

Deno.test({
  name: "nsfwjs transfer: frozen pretrained features beat random weights and raw pixels on emoji",
  ignore: NSFWJS === null || EMOJI === null,
  sanitizeResources: false,
  async fn() {
    await withModelFolder(async (dir) => {
      const result = await runEmojiTransfer({
        categories: CATEGORIES,
        perCategory: 40,
        epochs: 30,
        modelDir: dir,
        uncached: SLOW,
        uncachedEpochs: 30,
        // each arm as it ends: the slow lane's uncached arms take long, partial figures help
        onArm: (a) =>
          // deno-lint-ignore no-console
          console.log(
            `arm ${a.arm}${a.cached ? "" : " uncached"}: accuracy ${a.accuracy.toFixed(3)}, ` +
              `${a.seconds.toFixed(1)} s`,
          ),
      });
      assert.ok(result.ok);
      const acc = (arm: string, cached = true) =>
        result.arms.find((a) => a.arm === arm && (arm === "pixels" || a.cached === cached))!
          .accuracy;
      const line = result.arms.map((a) =>
        `${a.arm}${a.cached ? "" : " uncached"} ${a.accuracy.toFixed(3)} (${
          a.seconds.toFixed(0)
        } s)`
      ).join(", ");
      // deno-lint-ignore no-console
      console.log(`emoji ${JSON.stringify(result.rows)}: ${line}`);
      assert.ok(acc("pretrained") > acc("random"), line);
      assert.ok(acc("pretrained") > acc("pixels"), line);
      // chance is 1/3; measured 0.71 pretrained vs 0.48 pixels (numpy linear probe, 5 seeds)
      assert.ok(acc("pretrained") >= 0.55, line);
      if (SLOW) {
        assert.equal(acc("pretrained", false), acc("pretrained"), line);
        assert.equal(acc("random", false), acc("random"), line);
      }
    });
  },
});

Deno.test({
  name: "nsfwjs transfer: the trained model saves and reloads with the Keras weights, folder gone",
  ignore: NSFWJS === null || EMOJI === null,
  sanitizeResources: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "sonata_nsfwjs_" });
    try {
      const dir = join(root, "mobilenet_v2");
      assert.ok(await writeNsfwjsModelFolder(dir));
      const rows = (await emojiRows({ categories: CATEGORIES.slice(0, 2), perCategory: 2 }))!
        .map((r) => ({ ...r, split: 0 }));
      const model = await Model.create(
        armConfig("pretrained", dir, { cached: true, epochs: 2 }) as never,
      );
      await model.train({ dataset: rows as never, skip_save_all: true, progress: false });
      const probabilities = async (m: Model) =>
        ((await m.predict(rows as never)).predictions.columns.category_probabilities as number[][])
          .flat();
      const before = await probabilities(model);
      const saved = join(root, "saved");
      await model.save(saved);
      await Deno.remove(dir, { recursive: true });
      const loaded = await Model.load(saved);
      const after = await probabilities(loaded);
      assert.equal(after.length, before.length);
      for (let i = 0; i < before.length; i++) {
        assert.ok(Math.abs(after[i] - before[i]) < 1e-5, `${i}: ${before[i]} vs ${after[i]}`);
      }
      model.tfModel?.dispose();
      loaded.tfModel?.dispose();
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
