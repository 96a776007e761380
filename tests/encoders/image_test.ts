/**
 * Image encoders: default and non-default configs build with the right output shapes, one
 * training step changes the weights with a finite loss, a model saves and reloads to the same
 * predictions, tensors are freed, and settings TF.js cannot honour are rejected.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../lib/compute/mod.ts";
import {
  MlpMixerSchema,
  ResnetLegacySchema,
  StackedCnnSchema,
  VitLegacySchema,
} from "../../lib/encoders/image_schemas.ts";
import {
  type ImageEncoderNaming,
  mlpMixer,
  resnetLegacy,
  stackedCnn,
  stackedCnnLayers,
  type Symbolic,
  vitLegacy,
} from "../../lib/encoders/_image_impl.ts";

await ready({ compute: "auto", quiet: true });

function naming(scope = "img"): ImageEncoderNaming {
  let n = 0;
  let seed = 17;
  return { name: (what) => `${scope}/${what}_${++n}`, seed: () => ++seed };
}

type Encode = (x: Symbolic, naming: ImageEncoderNaming) => Symbolic;

function build(shape: [number, number, number], encode: Encode): tf.LayersModel {
  const input = tf.input({ shape, name: "image" });
  const output = encode(input, naming());
  return tf.model({ inputs: input, outputs: output });
}

function batch(n: number, shape: [number, number, number], seed = 1): tf.Tensor4D {
  return tf.randomUniform([n, ...shape], 0, 1, "float32", seed) as tf.Tensor4D;
}

/** One Adam step on a random regression target; returns the loss and whether weights moved. */
async function trainStep(
  model: tf.LayersModel,
  x: tf.Tensor,
): Promise<{ loss: number; moved: boolean }> {
  const outShape = model.outputs[0].shape.slice(1) as number[];
  const y = tf.randomNormal([x.shape[0], ...outShape], 0, 1, "float32", 3);
  const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
  model.compile({ optimizer: tf.train.adam(0.01), loss: "meanSquaredError" });
  const history = await model.fit(x, y, { epochs: 1, batchSize: x.shape[0], verbose: 0 });
  const after = model.trainableWeights.map((w) => w.read().dataSync());
  const moved = before.some((b, i) => b.some((v, k) => v !== after[i][k]));
  y.dispose();
  return { loss: history.history.loss[0] as number, moved };
}

async function roundTrip(model: tf.LayersModel, x: tf.Tensor): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  const a = model.predict(x) as tf.Tensor;
  const b = loaded.predict(x) as tf.Tensor;
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  assert.ok(diff < 1e-5, `reloaded predictions differ by ${diff}`);
  tf.dispose([a, b]);
  loaded.dispose();
}

async function contract(
  shape: [number, number, number],
  encode: Encode,
  expected: (number | null)[],
) {
  const start = tf.memory().numTensors;
  const model = build(shape, encode);
  assert.deepEqual(model.outputs[0].shape, expected);
  const x = batch(4, shape);
  const out = model.predict(x) as tf.Tensor;
  assert.deepEqual(out.shape, [4, ...expected.slice(1)]);
  assert.ok(out.dataSync().every(Number.isFinite));
  out.dispose();
  const { loss, moved } = await trainStep(model, x);
  assert.ok(Number.isFinite(loss), `loss ${loss}`);
  assert.ok(moved, "no weight changed");
  await roundTrip(model, x);
  x.dispose();
  model.dispose();
  // The optimizer's slots live on; everything else is freed.
  assert.ok(
    tf.memory().numTensors - start < 400,
    `leaked ${tf.memory().numTensors - start} tensors`,
  );
}

Deno.test("stacked_cnn: Ludwig's defaults (32 and 64 filters, max pool 2, fc 128)", async () => {
  const opts = StackedCnnSchema.parse({ type: "stacked_cnn" });
  assert.deepEqual(stackedCnnLayers(opts).map((l) => l.out_channels), [32, 64]);
  // 28 → conv3 valid 26 → pool 13 → conv 11 → pool 5
  await contract([28, 28, 1], (x, n) => stackedCnn(x, opts, n), [null, 128]);
  const model = build([28, 28, 1], (x, n) => stackedCnn(x, opts, n));
  const flat = model.layers.find((l) => l.name.includes("flatten"))!;
  assert.deepEqual(flat.outputShape, [null, 5 * 5 * 64]);
  model.dispose();
});

Deno.test("stacked_cnn: per-layer settings, numeric and reflect padding, norms, strides", async () => {
  const opts = StackedCnnSchema.parse({
    type: "stacked_cnn",
    conv_layers: [
      { out_channels: 4, kernel_size: [3, 5], padding: [1, 2], norm: "batch", dropout: 0.1 },
      { out_channels: 6, padding: "same", padding_mode: "reflect", pool_function: "avg" },
      {
        out_channels: 5,
        kernel_size: 5,
        padding: "same",
        pool_kernel_size: null,
        norm: "layer",
        activation: "gelu",
      },
      { out_channels: 3, stride: 2, pool_kernel_size: 2, pool_stride: 1, pool_padding: 1 },
    ],
    fc_layers: [{ output_size: 7, norm: "layer" }, { output_size: 5, activation: null }],
  });
  // 20x20 → pad [1, 2] → conv [3, 5] 20x20 → pool 10 → reflect-same conv 10 → avg pool 5 →
  // same conv 5x5: 5 → stride-2 conv 2 → pool padding 1: 4 → pool 2 stride 1: 3x3x3
  await contract([20, 20, 2], (x, n) => stackedCnn(x, opts, n), [null, 5]);
  const perLayer = build([20, 20, 2], (x, n) => stackedCnn(x, opts, n));
  const flat = perLayer.layers.find((l) => l.name.includes("flatten"))!;
  assert.deepEqual(flat.outputShape, [null, 27]);
  perLayer.dispose();
  const tiny = {
    ...opts,
    conv_layers: opts.conv_layers!.map((l, i) => i === 2 ? { ...l, padding: "valid" as const } : l),
  };
  assert.throws(
    () => build([20, 20, 2], (x, n) => stackedCnn(x, tiny, n)),
    /too small for conv_layers\[3\] \(output 0x0\)/,
  );
  const numbered = StackedCnnSchema.parse({
    type: "stacked_cnn",
    num_conv_layers: 3,
    out_channels: 4,
    padding: "same",
    num_fc_layers: 0,
  });
  const model = build([16, 16, 3], (x, n) => stackedCnn(x, numbered, n));
  assert.deepEqual(model.outputs[0].shape, [null, 2 * 2 * 4]); // 16 → 8 → 4 → 2
  model.dispose();
});

Deno.test("stacked_cnn: rejects what TF.js cannot do, and too-small images, with the reason", () => {
  assert.equal(StackedCnnSchema.safeParse({ type: "stacked_cnn", groups: 2 }).success, false);
  assert.equal(
    StackedCnnSchema.safeParse({ type: "stacked_cnn", padding_mode: "circular" }).success,
    false,
  );
  assert.equal(
    StackedCnnSchema.safeParse({ type: "stacked_cnn", pool_dilation: 2 }).success,
    false,
  );
  assert.equal(
    StackedCnnSchema.safeParse({ type: "stacked_cnn", conv_layers: [{ filters: 3 }] }).success,
    false,
  );
  assert.equal(StackedCnnSchema.safeParse({ type: "stacked_cnn", dilation: 2 }).success, false);
  assert.equal(
    StackedCnnSchema.safeParse({ type: "stacked_cnn", conv_layers: [{ dilation: [1, 2] }] })
      .success,
    false,
  );
  const deep = StackedCnnSchema.parse({ type: "stacked_cnn", num_conv_layers: 4 });
  assert.throws(
    () => build([12, 12, 1], (x, n) => stackedCnn(x, deep, n)),
    /too small for conv_layers\[\d\]/,
  );
});

Deno.test("_resnet_legacy: basic and bottleneck blocks, first pooling, FC output", async () => {
  const basic = ResnetLegacySchema.parse({
    type: "_resnet_legacy",
    resnet_size: 8,
    out_channels: 4,
    output_size: 6,
  });
  await contract([16, 16, 3], (x, n) => resnetLegacy(x, basic, n), [null, 6]);
  const deep = ResnetLegacySchema.parse({
    type: "_resnet_legacy",
    resnet_size: 50,
    out_channels: 2,
    kernel_size: 7,
    conv_stride: 2,
    first_pool_kernel_size: 3,
    first_pool_stride: 2,
    num_fc_layers: 0,
  });
  const model = build([32, 32, 1], (x, n) => resnetLegacy(x, deep, n));
  // bottleneck: last stage has 4 · (2 · 2³) channels
  assert.deepEqual(model.outputs[0].shape, [null, 4 * 16]);
  const convs = model.layers.filter((l) => l.getClassName() === "Conv2D").length;
  assert.equal(convs, 1 + 16 * 3 + 4); // stem + 3 per bottleneck block + 4 projections
  model.dispose();
  assert.equal(
    ResnetLegacySchema.safeParse({ type: "_resnet_legacy", resnet_size: 20 }).success,
    false,
  );
  assert.equal(ResnetLegacySchema.parse({ type: "_resnet_legacy" }).resnet_size, 50);
});

Deno.test("mlp_mixer: pooled and per-patch outputs", async () => {
  const opts = MlpMixerSchema.parse({
    type: "mlp_mixer",
    patch_size: 4,
    embed_size: 8,
    token_size: 6,
    channel_dim: 10,
    num_layers: 2,
    dropout: 0.1,
  });
  await contract([8, 12, 3], (x, n) => mlpMixer(x, opts, n), [null, 8]);
  const seq = { ...opts, avg_pool: false };
  const model = build([8, 12, 3], (x, n) => mlpMixer(x, seq, n));
  assert.deepEqual(model.outputs[0].shape, [null, 6, 8]);
  model.dispose();
  assert.throws(
    () => build([10, 12, 3], (x, n) => mlpMixer(x, opts, n)),
    /patch_size 4 must divide the image height \(10\)/,
  );
  const defaults = MlpMixerSchema.parse({ type: "mlp_mixer" });
  assert.deepEqual(
    [
      defaults.patch_size,
      defaults.embed_size,
      defaults.token_size,
      defaults.channel_dim,
      defaults.num_layers,
      defaults.avg_pool,
    ],
    [16, 512, 2048, 256, 8, true],
  );
});

Deno.test("_vit_legacy: class token pooled output; frozen when not trainable", async () => {
  const opts = VitLegacySchema.parse({
    type: "_vit_legacy",
    hidden_size: 8,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 12,
    patch_size: 4,
  });
  await contract([8, 8, 3], (x, n) => vitLegacy(x, opts, n), [null, 8]);
  const model = build([8, 8, 3], (x, n) => vitLegacy(x, opts, n));
  // 4 patches + class token, 8 wide
  const emb = model.layers.find((l) => l.name.includes("embeddings"))!;
  assert.deepEqual(emb.outputShape, [null, 5, 8]);
  model.dispose();
  const frozen = build([8, 8, 3], (x, n) => vitLegacy(x, { ...opts, trainable: false }, n));
  assert.equal(frozen.trainableWeights.length, 0);
  frozen.dispose();
  // With attention dropout, inference stays deterministic (dropout only acts in training).
  const withDropout = build(
    [8, 8, 3],
    (x, n) => vitLegacy(x, { ...opts, attention_probs_dropout_prob: 0.5 }, n),
  );
  const x = batch(2, [8, 8, 3]);
  const a = withDropout.predict(x) as tf.Tensor;
  const b = withDropout.predict(x) as tf.Tensor;
  assert.deepEqual(a.dataSync(), b.dataSync());
  tf.dispose([a, b, x]);
  withDropout.dispose();
  assert.equal(
    VitLegacySchema.safeParse({ type: "_vit_legacy", use_pretrained: true }).success,
    false,
  );
  assert.equal(
    VitLegacySchema.safeParse({ type: "_vit_legacy", gradient_checkpointing: true }).success,
    false,
  );
  const bad = { ...opts, num_attention_heads: 3 };
  assert.throws(
    () => build([8, 8, 3], (x, n) => vitLegacy(x, bad, n)),
    /divisible by num_attention_heads/,
  );
  const defaults = VitLegacySchema.parse({ type: "_vit_legacy" });
  assert.deepEqual(
    [
      defaults.hidden_size,
      defaults.num_hidden_layers,
      defaults.num_attention_heads,
      defaults.intermediate_size,
      defaults.patch_size,
    ],
    [768, 12, 12, 3072, 16],
  );
});

Deno.test("the image encoders reject inputs that are not NHWC images", () => {
  const opts = StackedCnnSchema.parse({ type: "stacked_cnn" });
  const input = tf.input({ shape: [28, 28] });
  assert.throws(() => stackedCnn(input, opts, naming()), /expected an input of rank 4/);
});
