/**
 * The torch-compatible blocks of lib/encoders/torchvision/_core.ts against torch on tiny
 * fixtures (formula weights and inputs), the formula itself, and the state_dict loader's
 * mismatch report.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import * as core from "../../../lib/encoders/torchvision/_core.ts";
import type { Symbolic } from "../../../lib/encoders/torchvision/_core.ts";
import { WeightsError } from "../../../lib/pretrained/mod.ts";
import { compareWithTorch } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

const CASES: Record<string, (x: Symbolic) => Symbolic> = {
  core_conv_s2: (x) =>
    core.conv2d(x, { name: "op", outChannels: 5, kernel: 3, stride: 2, padding: 1 }),
  core_conv_7x7: (x) =>
    core.conv2d(x, { name: "op", outChannels: 4, kernel: 7, stride: 2, padding: 3, bias: false }),
  core_conv_grouped: (x) =>
    core.conv2d(x, { name: "op", outChannels: 6, kernel: 3, padding: 1, groups: 2, bias: false }),
  core_conv_depthwise: (x) =>
    core.conv2d(x, { name: "op", outChannels: 8, kernel: 3, stride: 2, padding: 1, groups: 4 }),
  core_conv_dilated: (x) =>
    core.conv2d(x, { name: "op", outChannels: 2, kernel: 3, padding: 2, dilation: 2 }),
  core_bn: (x) => core.batchNorm(x, { name: "op" }),
  core_bn_eps: (x) => core.batchNorm(x, { name: "op", eps: 1e-3 }),
  core_maxpool_ceil: (x) => core.maxPool2d(x, { name: "op", kernel: 3, stride: 2, ceilMode: true }),
  core_maxpool_pad_ceil: (x) =>
    core.maxPool2d(x, { name: "op", kernel: 3, stride: 2, padding: 1, ceilMode: true }),
  core_maxpool_pad: (x) => core.maxPool2d(x, { name: "op", kernel: 3, stride: 2, padding: 1 }),
  core_avgpool_excl: (x) =>
    core.avgPool2d(x, {
      name: "op",
      kernel: 3,
      stride: 2,
      padding: 1,
      ceilMode: true,
      countIncludePad: false,
    }),
  core_avgpool_incl: (x) => core.avgPool2d(x, { name: "op", kernel: 3, stride: 1, padding: 1 }),
  core_avgpool_incl_ceil: (x) =>
    core.avgPool2d(x, { name: "op", kernel: 3, stride: 2, padding: 1, ceilMode: true }),
  core_adaptive_7: (x) => core.adaptiveAvgPool2d(x, 7, "op"),
  core_adaptive_up: (x) => core.adaptiveAvgPool2d(x, 7, "op"),
  core_adaptive_1: (x) => core.adaptiveAvgPool2d(x, 1, "op"),
  core_gelu: (x) => core.activation(x, "gelu", "op"),
  core_hardswish: (x) => core.activation(x, "hardswish", "op"),
  core_hardsigmoid: (x) => core.activation(x, "hardsigmoid", "op"),
  core_silu: (x) => core.activation(x, "silu", "op"),
  core_layernorm: (x) => core.layerNorm(x, { name: "op", eps: 1e-6 }),
  core_head: (x) => {
    const h = core.conv2d(x, { name: "conv", outChannels: 4, kernel: 3, padding: 1 });
    const p = core.adaptiveAvgPool2d(h, 3, "pool");
    return core.linear(core.flatten(p, "flatten"), { name: "fc", outFeatures: 5 });
  },
};

for (const [stem, encode] of Object.entries(CASES)) {
  Deno.test(`torchvision core: ${stem} equals torch within 1e-5`, async () => {
    const { error, model } = await compareWithTorch(stem, encode);
    model.dispose();
    assert.ok(error < 1e-5, `${stem}: relative error ${error}`);
  });
}

Deno.test("torchvision core: the formula is the documented hash (known values)", () => {
  // FNV-1a("") = 0x811c9dc5; FNV-1a("a") = 0xe40c292c
  assert.equal(core.fnv1a32(""), 0x811c9dc5);
  assert.equal(core.fnv1a32("a"), 0xe40c292c);
  const w = core.formulaValues("x.weight", [4, 3], "weight");
  const limit = Math.sqrt(3 / 3);
  assert.ok(w.every((v) => Math.abs(v) <= limit));
  const bn = core.formulaValues("bn.running_var", [16], "running_var");
  assert.ok(bn.every((v) => v >= 0.5 && v < 1.5));
  assert.equal(core.formulaRole("a.bn.weight", 1, true), "norm_weight");
  assert.equal(core.formulaRole("a.in_proj_weight", 2, false), "weight");
  assert.equal(core.formulaRole("a.in_proj_bias", 1, false), "bias");
  assert.equal(core.formulaRole("class_token", 3, false), "other");
});

Deno.test("torchvision core: applyStateDict lists missing and mis-shaped tensors", () => {
  const input = tf.input({ shape: [6, 6, 3] });
  let h = core.conv2d(input, { name: "enc/conv1", outChannels: 4, kernel: 3, padding: 1 });
  h = core.batchNorm(h, { name: "enc/bn1" });
  const model = tf.model({ inputs: input, outputs: h });
  const sd = core.formulaStateDict(model, "enc/");
  assert.deepEqual([...sd.keys()].sort(), [
    "bn1.bias",
    "bn1.running_mean",
    "bn1.running_var",
    "bn1.weight",
    "conv1.bias",
    "conv1.weight",
  ]);
  sd.delete("bn1.running_var");
  sd.set("conv1.weight", { dtype: "F32", shape: [4, 3, 1, 1], data: new Float32Array(12) });
  sd.set("fc.weight", { dtype: "F32", shape: [2, 4], data: new Float32Array(8) });
  assert.throws(
    () => core.applyStateDict(model, sd, { prefix: "enc/", file: "w.pth", ignore: [/^fc\./] }),
    (e: unknown) =>
      e instanceof WeightsError &&
      e.message.includes('"w.pth"') &&
      e.message.includes('1 missing: "bn1.running_var"') &&
      e.message.includes('"conv1.weight" expected [4,3,3,3], received [4,3,1,1]') &&
      !e.message.includes("fc.weight"),
  );
  model.dispose();
});

Deno.test("torchvision core: a model of every custom layer saves and reloads to the same output", async () => {
  const input = tf.input({ shape: [9, 9, 3] });
  let h = core.transformInput(input, "enc/transform_input");
  h = core.conv2d(h, { name: "enc/c1", outChannels: 4, kernel: 3, padding: 1 });
  h = core.conv2d(h, { name: "enc/c2", outChannels: 4, kernel: 3, padding: 1, groups: 2 });
  h = core.conv2d(h, { name: "enc/c3", outChannels: 4, kernel: 3, padding: 1, groups: 4 });
  h = core.activation(h, "hardswish", "enc/act");
  h = core.squeezeExcitation(h, { name: "enc/se", squeezeChannels: 2 });
  h = core.stochasticDepth(h, 0.2, "row", "enc/sd");
  h = core.maxPool2d(h, { name: "enc/mp", kernel: 3, stride: 2, padding: 1, ceilMode: true });
  h = core.avgPool2d(h, {
    name: "enc/ap",
    kernel: 3,
    stride: 1,
    padding: 1,
    countIncludePad: false,
  });
  h = core.adaptiveAvgPool2d(h, 3, "enc/pool");
  h = core.linear(core.flatten(h, "enc/flatten"), { name: "enc/fc", outFeatures: 3 });
  const model = tf.model({ inputs: input, outputs: h });
  core.applyFormulaWeights(model, "enc/");
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    saved = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  const x = core.formulaInput([1, 3, 9, 9]);
  const a = model.predict(x) as tf.Tensor;
  const b = reloaded.predict(x) as tf.Tensor;
  assert.deepEqual(await a.data(), await b.data());
  tf.dispose([x, a, b]);
  model.dispose();
  reloaded.dispose();
});

Deno.test("torchvision core: the custom layers train (finite loss, every weight moves)", async () => {
  const input = tf.input({ shape: [9, 9, 3] });
  let h = core.conv2d(input, { name: "c1", outChannels: 4, kernel: 3, padding: 1, bias: false });
  h = core.batchNorm(h, { name: "bn" });
  h = core.conv2d(h, { name: "c2", outChannels: 4, kernel: 3, stride: 2, padding: 1, groups: 2 });
  h = core.activation(h, "gelu", "act");
  h = core.maxPool2d(h, { name: "mp", kernel: 3, stride: 2, padding: 1, ceilMode: true });
  h = core.avgPool2d(h, { name: "ap", kernel: 3, stride: 1, padding: 1, countIncludePad: false });
  h = core.adaptiveAvgPool2d(h, 2, "pool");
  h = core.linear(core.flatten(h, "flatten"), { name: "fc", outFeatures: 2 });
  const model = tf.model({ inputs: input, outputs: h });
  core.applyFormulaWeights(model);
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
  const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
  const x = core.formulaInput([2, 3, 9, 9]);
  const y = tf.ones([2, 2]);
  const history = await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
  assert.ok(Number.isFinite(history.history.loss[0] as number));
  model.trainableWeights.forEach((w, i) => {
    const after = w.read().dataSync();
    assert.ok(after.some((v, j) => v !== before[i][j]), `${w.name} did not change`);
  });
  tf.dispose([x, y]);
  model.dispose();
});
