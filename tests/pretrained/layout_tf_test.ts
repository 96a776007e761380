/**
 * The layout transposes checked numerically: torch layers' weights, read from a `torch.save`
 * file and converted, give TF.js ops the outputs torch computed.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { ready, tf } from "../../lib/compute/mod.ts";
import {
  convTorchToTf,
  depthwiseTorchToTf,
  linearTorchToTf,
  nchwToNhwc,
} from "../../lib/pretrained/layout.ts";
import { type RawTensor, toFloat32 } from "../../lib/pretrained/tensor.ts";
import { readTorch } from "../../lib/pretrained/torch.ts";
import { FIXTURES } from "./_fixtures.ts";

await ready({ compute: "cpu", quiet: true });
const W = await readTorch(`${FIXTURES}layout.pth`);
const get = (name: string) => W.get(name)!;
const tfOf = (t: RawTensor) => tf.tensor(toFloat32(t), t.shape, "float32");

function assertClose(actual: tf.Tensor, expected: RawTensor, what: string): void {
  assertEquals(actual.shape, expected.shape, what);
  const a = actual.dataSync();
  const b = toFloat32(expected);
  for (let i = 0; i < b.length; i++) {
    ok(
      Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])),
      `${what}[${i}]: ${a[i]} vs torch ${b[i]}`,
    );
  }
}

Deno.test("convTorchToTf(): tf.conv2d on NHWC matches torch's Conv2d", () => {
  tf.tidy(() => {
    const x = tfOf(nchwToNhwc(get("conv.input")));
    const y = tf.add(
      tf.conv2d(
        x as tf.Tensor4D,
        tfOf(convTorchToTf(get("conv.weight"))) as tf.Tensor4D,
        1,
        "same",
      ),
      tfOf(get("conv.bias")),
    );
    assertClose(y, nchwToNhwc(get("conv.output")), "conv");
  });
});

Deno.test("depthwiseTorchToTf(): tf.depthwiseConv2d matches a grouped torch Conv2d (multiplier 2)", () => {
  tf.tidy(() => {
    const x = tfOf(nchwToNhwc(get("conv.input")));
    const kernel = tfOf(depthwiseTorchToTf(get("depthwise.weight"), 3)) as tf.Tensor4D;
    const y = tf.add(
      tf.depthwiseConv2d(x as tf.Tensor4D, kernel, 1, "same"),
      tfOf(get("depthwise.bias")),
    );
    assertClose(y, nchwToNhwc(get("depthwise.output")), "depthwise");
  });
});

Deno.test("linearTorchToTf(): x · kernel + bias matches torch's Linear", () => {
  tf.tidy(() => {
    const y = tf.add(
      tf.matMul(
        tfOf(get("linear.input")) as tf.Tensor2D,
        tfOf(linearTorchToTf(get("linear.weight"))) as tf.Tensor2D,
      ),
      tfOf(get("linear.bias")),
    );
    assertClose(y, get("linear.output"), "linear");
  });
});
