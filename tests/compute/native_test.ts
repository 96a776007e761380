import assert from "node:assert/strict";
import { nativeBackendInfo } from "../../lib/compute/mod.ts";
import { assertSameOnBackends, NO_NATIVE, rand, tf } from "./_compare.ts";

const ignore = NO_NATIVE !== undefined;

Deno.test({
  name: "registerNativeBackend() replaces the heavy kernels and keeps every cpu kernel",
  ignore,
  fn() {
    const info = nativeBackendInfo()!;
    assert.equal(info.backend, "native");
    for (
      const k of [
        "BatchMatMul",
        "_FusedMatMul",
        "Conv2D",
        "FusedConv2D",
        "Conv2DBackpropInput",
        "Conv2DBackpropFilter",
        "DepthwiseConv2dNative",
        "DepthwiseConv2dNativeBackpropInput",
        "DepthwiseConv2dNativeBackpropFilter",
        "UnsortedSegmentSum",
        "MaxPoolGrad",
        "Add",
        "Multiply",
        "Sum",
      ]
    ) assert.ok(info.kernels.includes(k), `${k} is native`);
    const cpu = new Set(tf.getKernelsForBackend("cpu").map((k) => k.kernelName));
    const native = new Set(tf.getKernelsForBackend("native").map((k) => k.kernelName));
    for (const k of cpu) assert.ok(native.has(k), `${k} is registered for native`);
  },
});

Deno.test({
  name: "BatchMatMul matches cpu for batches, transposes and broadcast batches",
  ignore,
  async fn(t) {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[1, 1], [1, 1], false, false],
      [[3, 5], [5, 4], false, false],
      [[5, 3], [5, 4], true, false],
      [[3, 5], [4, 5], false, true],
      [[5, 3], [4, 5], true, true],
      [[2, 3, 5], [2, 5, 4], false, false],
      [[4, 7, 6], [4, 5, 6], false, true],
      [[4, 6, 7], [4, 6, 5], true, false],
      [[3, 2, 6, 7], [3, 2, 7, 5], false, false],
      [[5, 6, 7], [7, 3], false, false],
      [[5, 7, 6], [7, 3], true, false],
      [[6, 7], [4, 7, 3], false, false],
      [[1, 6, 7], [4, 7, 3], false, false],
      [[64, 33], [33, 65], false, false],
      [[0, 3], [3, 4], false, false],
      [[3, 0], [0, 4], false, false],
    ];
    for (const [as, bs, ta, tb] of cases) {
      const label = `${as}${ta ? "ᵀ" : ""} × ${bs}${tb ? "ᵀ" : ""}`;
      await t.step(
        label,
        () => assertSameOnBackends(() => tf.matMul(rand(as, 1), rand(bs, 2), ta, tb), 1e-5, label),
      );
    }
  },
});

Deno.test({
  name: "BatchMatMul gradients through tf.grads match cpu",
  ignore,
  async fn(t) {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[3, 5], [5, 4], false, false],
      [[5, 3], [4, 5], true, true],
      [[2, 3, 5], [2, 4, 5], false, true],
    ];
    for (const [as, bs, ta, tb] of cases) {
      const label = `${as} × ${bs} ${ta} ${tb}`;
      await t.step(label, () =>
        assertSameOnBackends(
          () =>
            tf.grads((a, b) => tf.matMul(a, b, ta, tb).square().sum())([rand(as, 1), rand(bs, 2)]),
          1e-5,
          label,
        ));
    }
  },
});

Deno.test({
  name: "_FusedMatMul matches cpu for biases and every activation, with gradients",
  ignore,
  async fn(t) {
    const activations = [
      "linear",
      "relu",
      "relu6",
      "elu",
      "leakyrelu",
      "prelu",
      "sigmoid",
    ] as const;
    const biases: Array<number[] | undefined> = [undefined, [6], [1], [1, 6], [4, 6]];
    for (const activation of activations) {
      for (const bias of biases) {
        const label = `${activation} bias ${bias ?? "none"}`;
        await t.step(label, () =>
          assertSameOnBackends(
            () =>
              tf.fused.matMul({
                a: rand([4, 5], 1) as tf.Tensor2D,
                b: rand([5, 6], 2) as tf.Tensor2D,
                bias: bias ? rand(bias, 3).mul(3) : undefined,
                activation,
                preluActivationWeights: activation === "prelu" ? rand([6], 4) : undefined,
                leakyreluAlpha: 0.3,
              }),
            1e-5,
            label,
          ));
      }
    }
    await t.step("transposed and batched", () =>
      assertSameOnBackends(
        () =>
          tf.fused.matMul({
            a: rand([2, 5, 4], 1) as tf.Tensor3D,
            b: rand([2, 6, 5], 2) as tf.Tensor3D,
            transposeA: true,
            transposeB: true,
            bias: rand([6], 3),
            activation: "relu",
          }),
        1e-5,
        "batched",
      ));
    for (const activation of ["linear", "relu"] as const) {
      await t.step(`gradient ${activation}`, () =>
        assertSameOnBackends(
          () =>
            tf.grads((a, b, bias) =>
              tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation })
                .square().sum()
            )([rand([4, 5], 1), rand([5, 6], 2), rand([6], 3)]),
          1e-5,
          activation,
        ));
    }
  },
});

interface ConvCase {
  x: number[];
  w: number[];
  strides: number | [number, number];
  pad: "same" | "valid" | number | [
    [number, number],
    [number, number],
    [number, number],
    [number, number],
  ];
  dilations?: number | [number, number];
}

const CONV_CASES: ConvCase[] = [
  { x: [1, 5, 5, 1], w: [3, 3, 1, 1], strides: 1, pad: "same" },
  { x: [2, 7, 6, 3], w: [3, 3, 3, 4], strides: 1, pad: "valid" },
  { x: [3, 8, 8, 2], w: [3, 2, 2, 5], strides: 2, pad: "same" },
  { x: [2, 9, 7, 3], w: [2, 3, 3, 2], strides: [2, 1], pad: "valid" },
  { x: [2, 6, 6, 4], w: [1, 1, 4, 3], strides: 1, pad: "valid" },
  { x: [1, 6, 6, 4], w: [1, 1, 4, 3], strides: 2, pad: "same" },
  { x: [2, 6, 7, 2], w: [3, 3, 2, 3], strides: 1, pad: 1 },
  { x: [2, 6, 7, 2], w: [3, 3, 2, 3], strides: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [4, 28, 28, 1], w: [3, 3, 1, 8], strides: 1, pad: "same" },
  { x: [2, 14, 14, 8], w: [5, 5, 8, 16], strides: 3, pad: "same" },
];

Deno.test({
  name: "Conv2D and FusedConv2D match cpu for strides, paddings, dilations and channels",
  ignore,
  async fn(t) {
    const cases: ConvCase[] = [
      ...CONV_CASES,
      { x: [2, 9, 9, 3], w: [3, 3, 3, 4], strides: 1, pad: "same", dilations: 2 },
      { x: [1, 10, 8, 2], w: [2, 3, 2, 3], strides: 1, pad: "valid", dilations: [2, 3] },
    ];
    for (const c of cases) {
      const label = `x ${c.x} w ${c.w} s ${c.strides} pad ${JSON.stringify(c.pad)} d ${
        c.dilations ?? 1
      }`;
      await t.step(label, () =>
        assertSameOnBackends(
          () =>
            tf.conv2d(
              rand(c.x, 1) as tf.Tensor4D,
              rand(c.w, 2) as tf.Tensor4D,
              c.strides,
              c.pad as "same",
              "NHWC",
              c.dilations ?? 1,
            ),
          1e-5,
          label,
        ));
      await t.step(`fused ${label}`, () =>
        assertSameOnBackends(
          () =>
            tf.fused.conv2d({
              x: rand(c.x, 1) as tf.Tensor4D,
              filter: rand(c.w, 2) as tf.Tensor4D,
              strides: c.strides,
              pad: c.pad as "same",
              dilations: c.dilations ?? 1,
              bias: rand([c.w[3]], 3),
              activation: "relu",
            }),
          1e-5,
          label,
        ));
    }
    await t.step("NCHW falls back to cpu", () =>
      assertSameOnBackends(
        () =>
          tf.conv2d(
            rand([2, 3, 6, 6], 1) as tf.Tensor4D,
            rand([3, 3, 3, 2], 2) as tf.Tensor4D,
            1,
            "same",
            "NCHW",
          ),
        1e-5,
        "NCHW",
      ));
  },
});

Deno.test({
  name: "Conv2DBackpropInput and Conv2DBackpropFilter match cpu through tf.grads",
  ignore,
  async fn(t) {
    for (const c of CONV_CASES) {
      const label = `x ${c.x} w ${c.w} s ${c.strides} pad ${JSON.stringify(c.pad)}`;
      await t.step(label, () =>
        assertSameOnBackends(
          () =>
            tf.grads((x, w) =>
              tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad as "same").square()
                .sum()
            )([rand(c.x, 1), rand(c.w, 2)]),
          1e-5,
          label,
        ));
    }
    await t.step("fused conv with bias and relu", () =>
      assertSameOnBackends(
        () =>
          tf.grads((x, w, b) =>
            tf.fused.conv2d({
              x: x as tf.Tensor4D,
              filter: w as tf.Tensor4D,
              strides: 1,
              pad: "same",
              bias: b,
              activation: "relu",
            }).square().sum()
          )([rand([2, 6, 6, 3], 1), rand([3, 3, 3, 4], 2), rand([4], 3)]),
        1e-5,
        "fused",
      ));
    await t.step("conv2dTranspose", () =>
      assertSameOnBackends(
        () =>
          tf.conv2dTranspose(
            rand([2, 4, 4, 5], 1) as tf.Tensor4D,
            rand([3, 3, 2, 5], 2) as tf.Tensor4D,
            [2, 8, 8, 2],
            2,
            "same",
          ),
        1e-5,
        "transpose",
      ));
  },
});

Deno.test({
  name: "depthwise convolutions and their gradients match cpu",
  ignore,
  async fn(t) {
    const cases: Array<{ x: number[]; w: number[]; s: number; pad: "same" | "valid"; d?: number }> =
      [
        { x: [1, 5, 5, 1], w: [3, 3, 1, 1], s: 1, pad: "same" },
        { x: [2, 7, 7, 3], w: [3, 3, 3, 2], s: 2, pad: "same" },
        { x: [2, 6, 8, 4], w: [2, 3, 4, 1], s: 1, pad: "valid" },
        { x: [1, 9, 9, 2], w: [3, 3, 2, 3], s: 1, pad: "same", d: 2 },
      ];
    for (const c of cases) {
      const label = `x ${c.x} w ${c.w} s ${c.s} ${c.pad} d ${c.d ?? 1}`;
      await t.step(label, () =>
        assertSameOnBackends(
          () =>
            tf.depthwiseConv2d(
              rand(c.x, 1) as tf.Tensor4D,
              rand(c.w, 2) as tf.Tensor4D,
              c.s,
              c.pad,
              "NHWC",
              c.d ?? 1,
            ),
          1e-5,
          label,
        ));
      if (c.d === undefined) {
        await t.step(`gradients ${label}`, () =>
          assertSameOnBackends(
            () =>
              tf.grads((x, w) =>
                tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad).square().sum()
              )([rand(c.x, 1), rand(c.w, 2)]),
            1e-5,
            label,
          ));
        await t.step(`fused ${label}`, () =>
          assertSameOnBackends(
            () =>
              tf.fused.depthwiseConv2d({
                x: rand(c.x, 1) as tf.Tensor4D,
                filter: rand(c.w, 2) as tf.Tensor4D,
                strides: c.s,
                pad: c.pad,
                bias: rand([c.w[2] * c.w[3]], 3),
                activation: "relu6",
              }),
            1e-5,
            label,
          ));
      }
    }
  },
});

Deno.test({
  name: "pooling and its gradients match cpu",
  ignore,
  async fn(t) {
    const cases: Array<
      { x: number[]; f: number | [number, number]; s: number; pad: "same" | "valid" }
    > = [
      { x: [2, 8, 8, 3], f: 2, s: 2, pad: "valid" },
      { x: [2, 7, 7, 3], f: 2, s: 2, pad: "valid" },
      { x: [2, 6, 6, 2], f: 2, s: 2, pad: "same" },
      { x: [1, 7, 7, 2], f: 2, s: 2, pad: "same" },
      { x: [1, 7, 7, 2], f: 3, s: 2, pad: "same" },
      { x: [2, 9, 6, 4], f: [3, 2], s: 1, pad: "valid" },
      { x: [3, 5, 5, 1], f: 2, s: 1, pad: "same" },
    ];
    for (const c of cases) {
      const label = `x ${c.x} f ${c.f} s ${c.s} ${c.pad}`;
      await t.step(
        `max ${label}`,
        () =>
          assertSameOnBackends(
            () => tf.maxPool(rand(c.x, 1) as tf.Tensor4D, c.f, c.s, c.pad),
            0,
            label,
          ),
      );
      await t.step(
        `avg ${label}`,
        () =>
          assertSameOnBackends(
            () => tf.avgPool(rand(c.x, 1) as tf.Tensor4D, c.f, c.s, c.pad),
            1e-6,
            label,
          ),
      );
      await t.step(`max grad ${label}`, () =>
        assertSameOnBackends(
          () =>
            tf.grad((x) =>
              tf.maxPool(x as tf.Tensor4D, c.f, c.s, c.pad).mul(rand([1], 5).add(2)).sum()
            )(rand(c.x, 1)),
          1e-6,
          label,
        ));
      await t.step(`avg grad ${label}`, () =>
        assertSameOnBackends(
          () =>
            tf.grad((x) => tf.avgPool(x as tf.Tensor4D, c.f, c.s, c.pad).square().sum())(
              rand(c.x, 1),
            ),
          1e-5,
          label,
        ));
    }
    await t.step(
      "max of values of very different magnitude (lowest-float padding)",
      () =>
        assertSameOnBackends(
          () => {
            // A window holding 6 and the lowest float32 once gave 0 (a branchless max lost the 6).
            const low = -3.4028234663852886e38;
            const x = tf.tensor4d([6, low, -2, low, low, low, 1e-30, -7], [1, 2, 4, 1]);
            return tf.maxPool(x, 2, 2, "valid");
          },
          0,
          "magnitudes",
        ),
    );
    await t.step("max pooling skips NaN like cpu", () =>
      assertSameOnBackends(
        () => tf.maxPool(tf.tensor4d([1, NaN, 3, 4, NaN, 0, 2, 2], [1, 2, 4, 1]), 2, 2, "valid"),
        0,
        "nan",
      ));
    await t.step("max grad with ties goes to the first maximum", () =>
      assertSameOnBackends(
        () =>
          tf.grad((x) => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid").sum())(tf.ones([1, 4, 4, 2])),
        0,
        "ties",
      ));
    await t.step("max grad of relu outputs (zeros tie)", () =>
      assertSameOnBackends(
        () =>
          tf.grad((x) => tf.maxPool(tf.relu(x) as tf.Tensor4D, 2, 2, "same").sum())(
            rand([2, 6, 6, 3], 9),
          ),
        0,
        "relu ties",
      ));
  },
});

Deno.test({
  name: "UnsortedSegmentSum, gather and their gradients match cpu",
  ignore,
  async fn(t) {
    await t.step("segment sum over rows", () =>
      assertSameOnBackends(
        () =>
          tf.unsortedSegmentSum(rand([7, 3, 2], 1), tf.tensor1d([0, 4, 2, 2, 0, 3, 1], "int32"), 5),
        1e-6,
        "rows",
      ));
    for (const axis of [0, 1, 2]) {
      await t.step(`gather axis ${axis}`, () =>
        assertSameOnBackends(
          () => tf.gather(rand([4, 5, 6], 1), tf.tensor1d([3, 0, 1, 3], "int32"), axis),
          0,
          `axis ${axis}`,
        ));
    }
    await t.step("gather of int32 and 2-D indices", () =>
      assertSameOnBackends(
        () =>
          tf.gather(
            tf.range(0, 20, 1, "int32").reshape([10, 2]),
            tf.tensor2d([[1, 9], [0, 0]], [2, 2], "int32"),
          ),
        0,
        "int32",
      ));
    await t.step("embedding gradient (gather then reduce)", () =>
      assertSameOnBackends(
        () =>
          tf.grad((e) => tf.gather(e, tf.tensor1d([0, 2, 2, 9, 0], "int32")).square().sum())(
            rand([10, 6], 1),
          ),
        1e-6,
        "embedding",
      ));
  },
});

Deno.test({
  name: "elementwise kernels match cpu for equal shapes, scalars and broadcasts",
  ignore,
  async fn(t) {
    const shapes: Array<[number[], number[]]> = [
      [[6, 7], [6, 7]],
      [[6, 7], []],
      [[], [6, 7]],
      [[6, 7], [1]],
      [[6, 7], [7]],
      [[7], [6, 7]],
      [[6, 7], [6, 1]],
      [[6, 1], [6, 7]],
      [[6, 7], [1, 7]],
      [[2, 3, 4], [3, 4]],
      [[2, 3, 4], [2, 1, 4]],
      [[2, 1, 4], [1, 3, 1]],
      [[4, 1], [1, 5]],
    ];
    const ops: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
      ["add", tf.add],
      ["sub", tf.sub],
      ["mul", tf.mul],
      ["div", (a, b) => tf.div(a, b.add(3))],
      ["maximum", tf.maximum],
      ["minimum", tf.minimum],
      ["squaredDifference", tf.squaredDifference],
    ];
    for (const [name, op] of ops) {
      for (const [as, bs] of shapes) {
        const label = `${name} [${as}] [${bs}]`;
        await t.step(
          label,
          () => assertSameOnBackends(() => op(rand(as, 1), rand(bs, 2)), 1e-6, label),
        );
      }
    }
    await t.step(
      "int32 add falls back to cpu",
      () =>
        assertSameOnBackends(
          () => tf.add(tf.tensor1d([1, 2, 3], "int32"), tf.scalar(4, "int32")),
          0,
          "int32",
        ),
    );
    await t.step("NaN propagates through maximum and minimum", () =>
      assertSameOnBackends(
        () => [
          tf.maximum(tf.tensor1d([NaN, 1, 2]), tf.tensor1d([0, NaN, 1])),
          tf.minimum(tf.tensor1d([NaN, 1]), tf.tensor1d([0, NaN])),
        ],
        0,
        "NaN",
      ));
    const unary: Array<[string, (x: tf.Tensor) => tf.Tensor]> = [
      ["relu", tf.relu],
      ["relu6", (x) => tf.relu6(x.mul(8))],
      ["step", (x) => tf.step(x)],
      ["step alpha", (x) => tf.step(x, 0.25)],
      ["exp", tf.exp],
      ["log", (x) => tf.log(x.abs())],
      ["neg", tf.neg],
      ["sqrt", (x) => tf.sqrt(x.abs())],
      ["rsqrt", (x) => tf.rsqrt(x.abs().add(0.1))],
      ["square", tf.square],
      ["reciprocal", (x) => tf.reciprocal(x.add(2))],
      ["abs", tf.abs],
      ["sigmoid", tf.sigmoid],
      ["tanh", tf.tanh],
      ["clipByValue", (x) => tf.clipByValue(x, -0.3, 0.4)],
      ["relu grad", (x) => tf.grad((v) => tf.relu(v).sum())(x)],
    ];
    for (const [name, op] of unary) {
      await t.step(name, () => assertSameOnBackends(() => op(rand([5, 9], 3)), 1e-6, name));
    }
    await t.step("relu and step keep NaN and handle infinities and -0", () =>
      assertSameOnBackends(
        () => {
          const x = tf.tensor1d([NaN, -NaN, Infinity, -Infinity, -0, 0, 1e-30, -1e-30, 3e38]);
          return [tf.relu(x), tf.step(x)];
        },
        0,
        "specials",
      ));
  },
});

Deno.test({
  name: "reductions, transposes, slices, splits, concats and softmax match cpu",
  ignore,
  async fn(t) {
    const axes: Array<number | number[] | undefined> = [undefined, 0, 1, 2, -1, [0, 1], [1, 2], [
      0,
      2,
    ]];
    for (const axis of axes) {
      for (const keepDims of [false, true]) {
        const label = `axis ${JSON.stringify(axis)} keepDims ${keepDims}`;
        await t.step(
          `sum ${label}`,
          () => assertSameOnBackends(() => tf.sum(rand([3, 4, 5], 1), axis, keepDims), 1e-6, label),
        );
        await t.step(
          `mean ${label}`,
          () =>
            assertSameOnBackends(() => tf.mean(rand([3, 4, 5], 1), axis, keepDims), 1e-6, label),
        );
        await t.step(
          `max ${label}`,
          () => assertSameOnBackends(() => tf.max(rand([3, 4, 5], 1), axis, keepDims), 0, label),
        );
        await t.step(
          `min ${label}`,
          () => assertSameOnBackends(() => tf.min(rand([3, 4, 5], 1), axis, keepDims), 0, label),
        );
      }
    }
    const perms = [[1, 0, 2], [2, 1, 0], [0, 2, 1], [1, 2, 0], [0, 1, 2]];
    for (const perm of perms) {
      await t.step(
        `transpose ${perm}`,
        () => assertSameOnBackends(() => tf.transpose(rand([3, 4, 5], 1), perm), 0, `${perm}`),
      );
    }
    await t.step("transpose rank 4 with unit axes and int32", () =>
      assertSameOnBackends(
        () => [
          tf.transpose(rand([2, 1, 3, 4], 1), [3, 0, 2, 1]),
          tf.transpose(tf.range(0, 24, 1, "int32").reshape([2, 3, 4]), [2, 0, 1]),
        ],
        0,
        "rank 4",
      ));
    const slices: Array<[number[], number[]]> = [[[0, 0, 0], [3, 4, 5]], [[1, 2, 0], [2, 2, 5]], [
      [0, 1, 2],
      [3, 2, -1],
    ], [[2, 3, 4], [1, 1, 1]]];
    for (const [begin, size] of slices) {
      await t.step(
        `slice ${begin} ${size}`,
        () => assertSameOnBackends(() => tf.slice(rand([3, 4, 5], 1), begin, size), 0, `${begin}`),
      );
    }
    for (const axis of [0, 1, 2]) {
      await t.step(`split and concat axis ${axis}`, () =>
        assertSameOnBackends(
          () => {
            const x = rand([4, 6, 8], 1);
            const parts = tf.split(x, axis === 2 ? [3, 5] : 2, axis);
            return [...parts, tf.concat([parts[1], x, parts[0]], axis)];
          },
          0,
          `axis ${axis}`,
        ));
    }
    await t.step("concat gradient", () =>
      assertSameOnBackends(
        () =>
          tf.grads((a, b) => tf.concat([a, b], 1).square().sum())([
            rand([4, 3], 1),
            rand([4, 5], 2),
          ]),
        1e-6,
        "concat grad",
      ));
    await t.step("softmax and its gradient", () =>
      assertSameOnBackends(
        () => [
          tf.softmax(rand([5, 7], 1).mul(10)),
          tf.grad((x) => tf.softmax(x).square().sum())(rand([5, 7], 2)),
        ],
        1e-6,
        "softmax",
      ));
  },
});

Deno.test({
  name: "native arrays read out by dataSync are never recycled into new tensors",
  ignore,
  async fn() {
    await tf.setBackend("native");
    const a = tf.add(rand([64, 64], 1), 1);
    const seen = a.dataSync();
    const copy = seen.slice();
    a.dispose();
    // Allocate and dispose many tensors of the same size: none may reuse `seen`.
    for (let i = 0; i < 50; i++) {
      tf.tidy(() => {
        tf.mul(rand([64, 64], i + 2), 3);
      });
    }
    assert.deepEqual(seen, copy);
  },
});

Deno.test({
  name: "native arrays shared by a cpu kernel's view are never recycled",
  ignore,
  async fn() {
    await tf.setBackend("native");
    // Reverse is a cpu kernel; reshape shares the data id; both must keep their values.
    const x = tf.mul(rand([64, 64], 1), 2);
    const r = tf.reshape(x, [4096]);
    const expected = r.dataSync().slice();
    x.dispose();
    for (let i = 0; i < 20; i++) tf.tidy(() => tf.mul(rand([64, 64], i), 5));
    assert.deepEqual(r.dataSync(), expected);
    r.dispose();
  },
});
