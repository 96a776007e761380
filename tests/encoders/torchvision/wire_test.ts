// The torchvision entries wired: the digest the entries read equals the family tables; configs
// validate with Ludwig's names; frozen means frozen (no gradient, batch-norm in inference mode);
// `pretrained_weights` loads a local state_dict (mismatches listed); torchvision's weights come
// from the torch cache, and a missing file is a clear error naming the cache path and the URL.
import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../lib/compute/mod.ts";
import * as encoders from "../../../lib/encoders/mod.ts";
import { variantDigest } from "../../../lib/encoders/torchvision/_gen_variants.ts";
import { VARIANTS } from "../../../lib/encoders/torchvision/_variants.ts";
import { blockOf, build } from "../../../lib/encoders/torchvision/_entries_build.ts";
import { formulaStateDict } from "../../../lib/encoders/torchvision/mod.ts";
import { writeSafetensors } from "../../../lib/pretrained/safetensors.ts";
import { createBuildContext } from "../../../lib/model/ecd.ts";
import { lcg, train } from "../../_harness.ts";

type Obj = Record<string, unknown>;

const SIDE = 32;

function config(extra: Obj = {}): Obj {
  return encoders.tvShufflenetV2.schema.parse({
    type: "shufflenet_v2",
    model_variant: "x0_5",
    use_pretrained: false,
    ...extra,
  });
}

async function encoderModel(cfg: Obj, seed = 3): Promise<tf.LayersModel> {
  const ctx = { ...createBuildContext({ seed }), scope: "img" };
  const x = tf.input({ shape: [SIDE, SIDE, 3] });
  const y = (await build(cfg as never, ctx))(x);
  return tf.model({ inputs: x, outputs: y });
}

function images(n: number, seed: number): tf.Tensor {
  const r = lcg(seed);
  return tf.tensor4d(
    Array.from({ length: n * SIDE * SIDE * 3 }, () => Math.floor((r() + 1) * 127.5)),
    [n, SIDE, SIDE, 3],
  );
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

Deno.test("torchvision entries: the digest equals the family tables", () => {
  assert.deepEqual(
    JSON.parse(JSON.stringify(variantDigest())),
    JSON.parse(JSON.stringify(VARIANTS)),
  );
});

Deno.test("torchvision entries: Ludwig's names, variants and defaults", () => {
  assert.equal(encoders.TORCHVISION_ENCODERS.length, 19);
  const resnet = encoders.tvResnet.schema.parse({ type: "resnet" });
  assert.equal(resnet.model_variant, 50);
  assert.equal(resnet.use_pretrained, true);
  assert.equal(resnet.trainable, true);
  assert.equal(
    encoders.tvResnet.schema.parse({ type: "resnet", model_variant: 18 }).model_variant,
    18,
  );
  assert.equal(
    encoders.tvVgg.schema.parse({ type: "vgg", model_variant: "11_bn" }).model_variant,
    "11_bn",
  );
  assert.equal(
    encoders.tvResnext.schema.safeParse({ type: "resnext", model_variant: "101_32x8d" }).success,
    true,
  );
  assert.equal(
    encoders.tvResnet.schema.safeParse({ type: "resnet", model_variant: 19 }).success,
    false,
  );
  assert.equal(encoders.tvVit.schema.parse({ type: "vit" }).model_variant, "b_16");
});

Deno.test("torchvision entries: blocks of torch module paths", () => {
  assert.equal(blockOf("layer4.1.conv2"), "layer4.1");
  assert.equal(blockOf("features.17.conv.0.0"), "features.17");
  assert.equal(blockOf("encoder.layers.encoder_layer_11.ln_1"), "encoder.layers.encoder_layer_11");
  assert.equal(blockOf("fc"), "fc");
  assert.equal(blockOf("inception5b.branch1.conv"), "inception5b");
});

Deno.test("torchvision entries: trainable false keeps the outputs (batch-norm in inference mode)", async () => {
  const xs = images(4, 11);
  const y = tf.tensor2d([[0.3], [-0.5], [0.9], [0.1]]);
  for (const trainable of [false, true]) {
    const enc = await encoderModel(config({ trainable }));
    const before = enc.predict(xs) as tf.Tensor;
    const head = tf.layers.dense({ units: 1, name: "head" }).apply(
      enc.outputs[0],
    ) as tf.SymbolicTensor;
    const model = tf.model({ inputs: enc.inputs, outputs: head });
    train(model, [xs], y, 2, 0.05);
    const after = enc.predict(xs) as tf.Tensor;
    const diff = maxDiff(before, after);
    if (trainable) assert.ok(diff > 1e-3, `trainable: true changes the outputs (${diff})`);
    else assert.equal(diff, 0, "trainable: false: identical outputs after training");
    tf.dispose([before, after]);
    model.dispose();
  }
  tf.dispose([xs, y]);
});

Deno.test("torchvision entries: unfreeze_last_n_blocks trains only the last blocks", async () => {
  const enc = await encoderModel(config({ unfreeze_last_n_blocks: 1 }));
  const trainable = enc.layers.filter((l) => l.trainable && l.weights.length > 0).map((l) =>
    l.name
  );
  assert.ok(trainable.length > 0);
  assert.ok(trainable.every((n) => n.startsWith("img/conv5")), trainable.join(", "));
  enc.dispose();
  await assert.rejects(
    () => encoderModel(config({ unfreeze_last_n_blocks: 1, trainable: false })),
    /unfreeze_last_n_blocks needs trainable: true/,
  );
});

Deno.test("torchvision entries: pretrained_weights loads a local state_dict, mismatches listed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const donor = await encoderModel(config(), 9);
    const stateDict = formulaStateDict(donor, "img/");
    donor.dispose();
    const file = join(dir, "weights.safetensors");
    await writeSafetensors(file, stateDict);
    const enc = await encoderModel(config({ pretrained_weights: file }));
    const bn = enc.getLayer("img/conv1.1");
    const mean = bn.getWeights()[2].dataSync();
    const want = stateDict.get("conv1.1.running_mean")!.data as Float32Array;
    assert.deepEqual(Array.from(mean), Array.from(want));
    enc.dispose();
    stateDict.delete("conv1.1.running_mean");
    stateDict.set("extra.weight", { dtype: "F32", shape: [1], data: new Float32Array(1) });
    const bad = join(dir, "bad.safetensors");
    await writeSafetensors(bad, stateDict);
    await assert.rejects(
      () => encoderModel(config({ pretrained_weights: bad })),
      (e: Error) => /conv1\.1\.running_mean/.test(e.message) && /extra\.weight/.test(e.message),
    );
    await assert.rejects(
      () => encoderModel(config({ pretrained_weights: join(dir, "none.pth") })),
      /none\.pth.*no such file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("torchvision entries: weights from the torch cache (hash-checked); a missing file names the path and URL", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A cached file whose content does not match the hash prefix in its name is refused.
    const url = VARIANTS.shufflenet_v2.variants.x0_5.weightsUrl;
    const name = url.slice(url.lastIndexOf("/") + 1);
    await Deno.mkdir(join(dir, "hub", "checkpoints"), { recursive: true });
    await Deno.writeFile(join(dir, "hub", "checkpoints", name), new Uint8Array([1, 2, 3]));
    await assert.rejects(
      () => encoderModel(config({ use_pretrained: true, model_cache_dir: dir })),
      (e: Error) => e.message.includes(name) && /hash|SHA-256/i.test(e.message),
    );
    await Deno.remove(join(dir, "hub", "checkpoints", name));
    // Offline: the download fails; the message names the cache path and the URL.
    const offline = globalThis.fetch;
    globalThis.fetch = () => Promise.reject(new TypeError("error sending request (offline)"));
    try {
      await assert.rejects(
        () => encoderModel(config({ use_pretrained: true, model_cache_dir: dir })),
        (e: Error) =>
          e.message.includes(join(dir, "hub", "checkpoints", name)) && e.message.includes(url) &&
          e.message.includes("pretrained_weights"),
      );
    } finally {
      globalThis.fetch = offline;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
