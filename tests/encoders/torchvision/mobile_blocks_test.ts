/**
 * The mobile families' blocks and loading: torchvision's rounding helpers, ShuffleNet's channel
 * shuffle in torch's NCHW channel order, input checks, and a state_dict with torchvision's
 * names (head included) written as safetensors, read back and loaded through `applyStateDict`
 * with the family's `ignoreWeights` (`loadFamilyWeights`), giving torchvision's output; a wrong
 * variant's file is refused with the differences listed; a model with the custom layers saves and
 * reloads to the same output; shufflenet_v2 and efficientnet train a step.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import {
  applyFormulaWeights,
  formulaInput,
  formulaStateDict,
  loadFamilyWeights,
} from "../../../lib/encoders/torchvision/_core.ts";
import {
  channelShuffle,
  makeDivisible,
  pyRound,
} from "../../../lib/encoders/torchvision/_blocks_mobile.ts";
import { EFFICIENTNET } from "../../../lib/encoders/torchvision/efficientnet.ts";
import { MOBILENET_V3 } from "../../../lib/encoders/torchvision/mobilenet.ts";
import { mnasnetDepths, roundToMultipleOf } from "../../../lib/encoders/torchvision/mnasnet.ts";
import { REGNET } from "../../../lib/encoders/torchvision/regnet.ts";
import { SHUFFLENET_V2 } from "../../../lib/encoders/torchvision/shufflenet.ts";
import { readWeights, WeightsError, writeSafetensors } from "../../../lib/pretrained/mod.ts";
import { readFixture, relativeError, torchOrder } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

Deno.test("torchvision mobile: rounding helpers equal torchvision's", () => {
  // _make_divisible: nearest multiple, bumped when rounding lost over 10%
  assert.deepEqual(
    [makeDivisible(35.2, 8), makeDivisible(4, 8), makeDivisible(20, 8), makeDivisible(57.6, 8)],
    [32, 8, 24, 56],
  );
  assert.equal(makeDivisible(72 / 4, 8), 24); // mobilenet_v3's SE of 72 expanded channels
  assert.deepEqual([pyRound(2.5), pyRound(3.5), pyRound(2.4), pyRound(2.6)], [2, 4, 2, 3]);
  assert.equal(roundToMultipleOf(16 * 0.5, 8), 8);
  assert.deepEqual(mnasnetDepths(0.5), [16, 8, 16, 24, 40, 48, 96, 160]);
  assert.deepEqual(mnasnetDepths(1.3), [40, 24, 32, 56, 104, 128, 248, 416]);
});

Deno.test("torchvision mobile: channel shuffle follows torch's NCHW channel order", () => {
  const input = tf.input({ shape: [1, 1, 6] });
  const model = tf.model({ inputs: input, outputs: channelShuffle(input, 2, "shuffle") });
  const y = model.predict(tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 1, 1, 6])) as tf.Tensor;
  // view(b, 2, 3, h, w).transpose(1, 2): output channel 2j + i is input channel 3i + j
  assert.deepEqual([...y.dataSync()], [0, 3, 1, 4, 2, 5]);
  y.dispose();
  assert.throws(() => channelShuffle(tf.input({ shape: [2, 2, 5] }), 2, "odd"), /5 channels/);
});

Deno.test("torchvision mobile: unknown variants and non-RGB inputs are refused", () => {
  assert.throws(
    () => REGNET.build(tf.input({ shape: [32, 32, 3] }), "z_1gf"),
    /Unknown regnet model_variant "z_1gf"; expected one of: x_400mf, .*y_128gf/,
  );
  assert.throws(
    () => MOBILENET_V3.build(tf.input({ shape: [32, 32, 1] }), "small"),
    /takes 3-channel images, received 1/,
  );
});

Deno.test("torchvision mobile: a torchvision-named state_dict file loads with the head ignored", async () => {
  const fixture = await readFixture("mobilenetv3_small");
  const build = (variant: string) => {
    const input = tf.input({ shape: [64, 64, 3] });
    return tf.model({
      inputs: input,
      outputs: MOBILENET_V3.build(input, variant, { prefix: "image/" }),
    });
  };
  // the formula's state_dict under torchvision's names, plus the removed head and the
  // num_batches_tracked buffers a real checkpoint has
  const source = build("small");
  const tensors = formulaStateDict(source, "image/");
  source.dispose();
  tensors.set("classifier.3.weight", {
    dtype: "F32",
    shape: [1000, 1024],
    data: new Float32Array(1000 * 1024),
  });
  tensors.set("classifier.3.bias", { dtype: "F32", shape: [1000], data: new Float32Array(1000) });
  tensors.set("features.0.1.num_batches_tracked", {
    dtype: "I64",
    shape: [],
    data: new BigInt64Array(1),
  });
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await writeSafetensors(path, tensors);
    const read = await readWeights(path);
    const model = build("small");
    const loaded = loadFamilyWeights(model, MOBILENET_V3, read, { prefix: "image/", file: path });
    assert.equal(loaded, tensors.size - 3);
    const x = formulaInput(fixture.input_shape);
    const y = model.predict(x) as tf.Tensor;
    const error = relativeError(fixture, torchOrder(y));
    assert.ok(error < 1e-4, `relative error ${error}`);
    tf.dispose([x, y]);
    model.dispose();

    // the small variant's file does not fit the large one
    const large = build("large");
    assert.throws(
      () => loadFamilyWeights(large, MOBILENET_V3, read, { prefix: "image/", file: path }),
      (e: unknown) =>
        e instanceof WeightsError && e.message.includes(path) && /missing/.test(e.message),
    );
    large.dispose();
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("torchvision mobile: shufflenet_v2 (channel split and shuffle layers) saves and reloads", async () => {
  const input = tf.input({ shape: [45, 37, 3] });
  const model = tf.model({
    inputs: input,
    outputs: SHUFFLENET_V2.build(input, "x0_5", { prefix: "image/" }),
  });
  applyFormulaWeights(model, "image/");
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    saved = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  const fixture = await readFixture("shufflenet_v2_x0_5_45x37");
  const x = formulaInput(fixture.input_shape);
  const a = model.predict(x) as tf.Tensor;
  const b = reloaded.predict(x) as tf.Tensor;
  assert.deepEqual(await a.data(), await b.data());
  const error = relativeError(fixture, torchOrder(b));
  assert.ok(error < 1e-4, `relative error ${error}`);
  tf.dispose([x, a, b]);
  model.dispose();
  reloaded.dispose();
});

Deno.test("torchvision mobile: shufflenet_v2 and efficientnet train a step (split, shuffle, stochastic depth)", async () => {
  for (const [family, variant] of [[SHUFFLENET_V2, "x0_5"], [EFFICIENTNET, "b0"]] as const) {
    const input = tf.input({ shape: [32, 32, 3] });
    const features = family.build(input, variant);
    const head = tf.layers.dense({ units: 2, activation: "softmax", name: "head" });
    const model = tf.model({ inputs: input, outputs: head.apply(features) as tf.SymbolicTensor });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
    const stem = model.getLayer(family === SHUFFLENET_V2 ? "conv1.0" : "features.0.0");
    const before = stem.getWeights()[0].dataSync().slice();
    const x = tf.randomUniform([4, 32, 32, 3], -1, 1, "float32", 3);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], "int32"), 2);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    const loss = history.history.loss[0] as number;
    assert.ok(Number.isFinite(loss), `${family.type}: loss ${loss}`);
    const after = stem.getWeights()[0].dataSync();
    assert.ok(after.some((v, i) => v !== before[i]), `${family.type}: the stem did not change`);
    tf.dispose([x, y]);
    model.dispose();
  }
});
