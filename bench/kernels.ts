/**
 * Median time of single kernels at the workloads' shapes:
 * `deno run -A bench/kernels.ts [--engine native] [--filter name]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type ComputeOption, ready, tf } from "../lib/compute/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    engine: { type: "string", default: "native" },
    filter: { type: "string", default: "" },
    reps: { type: "string", default: "15" },
  },
});
await ready({ compute: values.engine as ComputeOption, quiet: true });

function rand(shape: number[]): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, "float32", 1);
}

function time(
  name: string,
  make: () => tf.Tensor[],
  run: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
) {
  if (values.filter && !name.includes(values.filter)) return;
  const inputs = make();
  const once = () => {
    const t = performance.now();
    const out = run(...inputs);
    const dt = performance.now() - t;
    tf.dispose(out);
    return dt;
  };
  once();
  const times = Array.from({ length: Number(values.reps) }, once).sort((a, b) => a - b);
  tf.dispose(inputs);
  // deno-lint-ignore no-console
  console.log(`${name.padEnd(44)} ${(times[times.length >> 1] * 1000).toFixed(0).padStart(8)} us`);
}

const x1 = [128, 28, 28, 32];
const x2 = [128, 14, 14, 64];
time("maxPool 128x28x28x32", () => [rand(x1)], (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid"));
time(
  "maxPoolGrad 128x28x28x32",
  () => {
    const x = rand(x1);
    return [x, tf.maxPool(x as tf.Tensor4D, 2, 2, "valid"), rand([128, 14, 14, 32])];
  },
  (x, y, dy) =>
    tf.engine().runKernel("MaxPoolGrad", { dy, input: x, output: y }, {
      filterSize: 2,
      strides: 2,
      pad: "valid",
    }) as tf.Tensor,
);
time(
  "conv2d 128x14x14x32 -> 64",
  () => [rand([128, 14, 14, 32]), rand([3, 3, 32, 64])],
  (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same"),
);
time(
  "conv2d 128x28x28x1 -> 32",
  () => [rand([128, 28, 28, 1]), rand([3, 3, 1, 32])],
  (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same"),
);
time(
  "conv2dBackpropInput 128x14x14x64 -> 32",
  () => [rand(x2), rand([3, 3, 32, 64])],
  (dy, w) => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [128, 14, 14, 32], 1, "same"),
);
time(
  "conv2dBackpropFilter 3x3x32x64",
  () => [rand([128, 14, 14, 32]), rand(x2)],
  (x, dy) =>
    tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
      strides: 1,
      pad: "same",
      dataFormat: "NHWC",
      filterShape: [3, 3, 32, 64],
    }) as tf.Tensor,
);
time(
  "conv2dBackpropFilter 3x3x1x32",
  () => [rand([128, 28, 28, 1]), rand(x1)],
  (x, dy) =>
    tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
      strides: 1,
      pad: "same",
      dataFormat: "NHWC",
      filterShape: [3, 3, 1, 32],
    }) as tf.Tensor,
);
time("relu 128x28x28x32", () => [rand(x1)], (x) => tf.relu(x));
time("step 128x28x28x32", () => [rand(x1)], (x) => tf.step(x));
time("add bias 128x28x28x32", () => [rand(x1), rand([32])], (x, b) => tf.add(x, b));
time("mul 128x28x28x32", () => [rand(x1), rand(x1)], (x, y) => tf.mul(x, y));
time("sum bias grad 128x28x28x32", () => [rand(x1)], (x) => tf.sum(x, [0, 1, 2]));
time("matMul 256x256x256", () => [rand([256, 256]), rand([256, 256])], (a, b) => tf.matMul(a, b));
time("matMul 1024x256x256", () => [rand([1024, 256]), rand([256, 256])], (a, b) => tf.matMul(a, b));
time(
  "fused relu 1024x210x256",
  () => [rand([1024, 210]), rand([210, 256]), rand([256])],
  (a, b, bias) =>
    tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: "relu" }),
);
time("relu 256x256", () => [rand([256, 256])], (x) => tf.relu(x));
time("adam 1000x50", () => [rand([1000, 50])], (x) => tf.add(x, 1));
// W1's dense layers (batch 256): the fused forward and gradient kernels and their sgemm calls.
for (const [k, m] of [[210, 256], [256, 256]]) {
  time(
    `SonataDense relu 256x${k}x${m}`,
    () => [rand([256, k]), rand([k, m]), rand([m])],
    (x, w, b) =>
      tf.engine().runKernel("SonataDense", { x, w, bias: b }, { activation: "relu" }) as tf.Tensor,
  );
  time(
    `SonataDenseGrad relu 256x${k}x${m}`,
    () => {
      const x = rand([256, k]);
      const w = rand([k, m]);
      const y = tf.relu(rand([256, m]));
      return [rand([256, m]), x, w, y];
    },
    (dy, x, w, y) =>
      tf.engine().runKernel("SonataDenseGrad", { dy, x, w, y }, {
        activation: "relu",
        hasBias: true,
      }) as tf.Tensor[],
  );
  time(`matMul 256x${k}x${m}`, () => [rand([256, k]), rand([k, m])], (a, b) => tf.matMul(a, b));
  time(
    `matMul dx 256x${m}x${k} (b transposed)`,
    () => [rand([256, m]), rand([k, m])],
    (a, b) => tf.matMul(a, b, false, true),
  );
  time(
    `matMul dw ${k}x256x${m} (a transposed)`,
    () => [rand([256, k]), rand([256, m])],
    (a, b) => tf.matMul(a, b, true, false),
  );
}

// W4 (mobilenet_v2, batch 8): depthwise 3×3 on a zero-padded input (torch's explicit pad 1),
// strides 1 and 2; batch norm with its gradient; relu6 and its gradient.
for (const [h, c, s] of [[112, 32, 1], [112, 96, 2], [56, 144, 1], [14, 384, 1]]) {
  const xs = [8, h + 2, h + 2, c];
  const ys = [8, Math.floor((h + 2 - 3) / s) + 1, Math.floor((h + 2 - 3) / s) + 1, c];
  const tag = `8x${h + 2}x${h + 2}x${c} s${s}`;
  time(
    `depthwise 3x3 ${tag}`,
    () => [rand(xs), rand([3, 3, c, 1])],
    (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, "valid"),
  );
  time(
    `depthwise dx ${tag}`,
    () => [rand(ys), rand([3, 3, c, 1])],
    (dy, w) =>
      tf.engine().runKernel("DepthwiseConv2dNativeBackpropInput", { dy, filter: w }, {
        strides: s,
        pad: "valid",
        dilations: 1,
        inputShape: xs,
      }) as tf.Tensor,
  );
  time(
    `depthwise dw ${tag}`,
    () => [rand(xs), rand(ys)],
    (x, dy) =>
      tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x, dy }, {
        strides: s,
        pad: "valid",
        dilations: 1,
        filterShape: [3, 3, c, 1],
      }) as tf.Tensor,
  );
}
{
  const xs = [8, 56, 56, 144];
  const axes = [0, 1, 2];
  const train = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, axes);
    return tf.batchNorm(x, mean, variance, b, g, 1e-5);
  };
  time(
    "batchNorm train 8x56x56x144",
    () => [rand(xs), rand([144]), rand([144])],
    (x, g, b) => train(x, g, b),
  );
  time(
    "batchNorm train + grads 8x56x56x144",
    () => [rand(xs), rand([144]), rand([144]), rand(xs)],
    (x, g, b, dy) => tf.grads((x, g, b) => train(x, g, b).mul(dy).sum())([x, g, b]),
  );
  time("relu6 8x56x56x144", () => [rand(xs)], (x) => tf.relu6(x));
  time(
    "relu6 + grad 8x56x56x144",
    () => [rand(xs), rand(xs)],
    (x, dy) => tf.grad((x) => tf.relu6(x).mul(dy).sum())(x),
  );
  time(
    "pad 8x112x112x32 by 1",
    () => [rand([8, 112, 112, 32])],
    (x) => tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]),
  );
}
