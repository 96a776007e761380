/**
 * Real weight files through the torchvision loader: a `torch.save` state_dict of torchvision
 * squeezenet1_1's first five feature modules (torch's own random init, full-model names) loads
 * with `applyStateDict` and reproduces torch's output; the same tensors written as
 * `.safetensors` load identically; a file with one tensor missing and one of another shape
 * fails with a WeightsError that names the file and lists both; a family load of a whole
 * model's formula state_dict skips the removed head.
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import {
  applyStateDict,
  conv2d,
  formulaInput,
  formulaStateDict,
  loadFamilyWeights,
  maxPool2d,
  relu,
  type Symbolic,
} from "../../../lib/encoders/torchvision/_core.ts";
import { fire } from "../../../lib/encoders/torchvision/squeezenet.ts";
import { RESNET } from "../../../lib/encoders/torchvision/resnet.ts";
import { readWeights, WeightsError, writeSafetensors } from "../../../lib/pretrained/mod.ts";
import { readFixture, relativeError, torchOrder } from "./_fixture.ts";

await ready({ compute: "auto", quiet: true });

const dir = new URL("../../fixtures/torchvision/", import.meta.url);
const pth = new URL("squeezenet_trunk.pth", dir).pathname;
const badPth = new URL("squeezenet_trunk_bad.pth", dir).pathname;

function trunk(): tf.LayersModel {
  const input = tf.input({ shape: [24, 24, 3] });
  let h: Symbolic = conv2d(input, { name: "features.0", outChannels: 64, kernel: 3, stride: 2 });
  h = relu(h, "features.1");
  h = maxPool2d(h, { name: "features.2", kernel: 3, stride: 2, ceilMode: true });
  h = fire(h, "features.3", 16, 64, 64);
  h = fire(h, "features.4", 16, 64, 64);
  return tf.model({ inputs: input, outputs: h });
}

async function run(model: tf.LayersModel): Promise<Float32Array> {
  const fixture = await readFixture("squeezenet_trunk");
  const x = formulaInput(fixture.input_shape);
  const y = model.predict(x) as tf.Tensor;
  const values = torchOrder(y);
  x.dispose();
  y.dispose();
  return values;
}

Deno.test("torchvision real format: a torch.save state_dict loads and matches torch", async () => {
  const model = trunk();
  const loaded = applyStateDict(model, await readWeights(pth), { file: pth });
  assert.equal(loaded, 14);
  const error = relativeError(await readFixture("squeezenet_trunk"), await run(model));
  model.dispose();
  assert.ok(error < 1e-5, `relative error ${error}`);
});

Deno.test("torchvision real format: the same tensors as safetensors load identically", async () => {
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await writeSafetensors(path, await readWeights(pth));
    const a = trunk();
    applyStateDict(a, await readWeights(pth), { file: pth });
    const b = trunk();
    applyStateDict(b, await readWeights(path), { file: path });
    assert.deepEqual(await run(a), await run(b));
    a.dispose();
    b.dispose();
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("torchvision real format: a missing and a mis-shaped tensor are listed", async () => {
  const model = trunk();
  const tensors = await readWeights(badPth);
  assert.throws(
    () => applyStateDict(model, tensors, { file: badPth }),
    (e: unknown) =>
      e instanceof WeightsError &&
      e.message.startsWith(`Cannot load weights "${badPth}"`) &&
      e.message.includes('1 missing: "features.4.expand3x3.bias"') &&
      e.message.includes(
        '1 with another shape: "features.3.squeeze.weight" expected [16,64,1,1], received [16,64,3,3]',
      ),
  );
  model.dispose();
});

Deno.test("torchvision real format: a family load skips the removed head and module. prefixes", () => {
  const input = tf.input({ shape: [32, 32, 3] });
  const model = tf.model({ inputs: input, outputs: RESNET.build(input, "18", { prefix: "img/" }) });
  const sd = formulaStateDict(model, "img/");
  const file = new Map([...sd].map(([n, t]) => [`module.${n}`, t]));
  file.set("module.fc.weight", {
    dtype: "F32",
    shape: [1000, 512],
    data: new Float32Array(512000),
  });
  file.set("module.fc.bias", { dtype: "F32", shape: [1000], data: new Float32Array(1000) });
  assert.equal(
    loadFamilyWeights(model, RESNET, file, { prefix: "img/", file: "r18.pth" }),
    sd.size,
  );
  file.delete("module.layer4.1.bn2.running_var");
  assert.throws(
    () => loadFamilyWeights(model, RESNET, file, { prefix: "img/", file: "r18.pth" }),
    /1 missing: "layer4\.1\.bn2\.running_var"/,
  );
  model.dispose();
});
