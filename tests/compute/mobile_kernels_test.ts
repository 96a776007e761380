/**
 * The native kernels of the mobilenet-style workloads (W4) against tfjs's cpu kernels:
 * depthwise convolutions (multiplier 1 fast loops, strides 1/2, explicit and "same"/"valid"
 * padding) and their gradients, batch normalization forward and its gradient (through the
 * layer's training path and through `tf.batchNorm` directly), Relu6 and its gradient, `PadV2`
 * and `Tile`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { batchNormTraining, registerNativeBackend } from "../../lib/compute/mod.ts";
import { assertSameOnBackends, NO_NATIVE, rand, relativeError, tf, values } from "./_compare.ts";
import { TorchBatchNorm } from "../../lib/encoders/torchvision/_core.ts";

const ignore = NO_NATIVE !== undefined;

/** A deterministic generator of small integers for random shapes. */
function ints(seed: number): (lo: number, hi: number) => number {
  let s = (seed * 2654435761) >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [
  number,
  number,
]];

Deno.test({
  name: "depthwise convolutions (multiplier 1) and their gradients match cpu on random shapes",
  ignore,
  async fn(t) {
    const next = ints(7);
    const cases: Array<{ x: number[]; k: number[]; s: [number, number]; pad: Pad }> = [
      // mobilenet_v2's: explicit pad 1, 3×3, strides 1 and 2 (valid after the pad).
      { x: [2, 9, 9, 5], k: [3, 3], s: [1, 1], pad: "valid" },
      { x: [2, 10, 10, 6], k: [3, 3], s: [2, 2], pad: "valid" },
      { x: [1, 8, 7, 4], k: [3, 3], s: [2, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
      { x: [2, 7, 8, 3], k: [5, 5], s: [1, 2], pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
      { x: [1, 6, 6, 8], k: [3, 3], s: [2, 2], pad: "same" },
      // Stride-2 3×3 input gradients gather one, two or four taps; odd and even sizes.
      { x: [2, 11, 8, 3], k: [3, 3], s: [2, 2], pad: "valid" },
      { x: [1, 6, 9, 4], k: [3, 3], s: [2, 2], pad: [[0, 0], [2, 0], [0, 2], [0, 0]] },
      // Stride-1 3×3 gradients run as a convolution of the padded dy: pads 0..2 per side.
      { x: [2, 6, 7, 5], k: [3, 3], s: [1, 1], pad: "same" },
      { x: [1, 5, 6, 3], k: [3, 3], s: [1, 1], pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
      { x: [1, 4, 4, 2], k: [3, 3], s: [1, 1], pad: [[0, 0], [0, 2], [2, 2], [0, 0]] },
    ];
    for (let i = 0; i < 4; i++) {
      const k = next(1, 4);
      cases.push({
        x: [next(1, 3), next(k, k + 7), next(k, k + 7), next(1, 9)],
        k: [k, next(1, 4)],
        s: [next(1, 2), next(1, 2)],
        pad: i % 2 === 0 ? "same" : "valid",
      });
    }
    for (const c of cases) {
      const w = [c.k[0], c.k[1], c.x[3], 1];
      if (c.pad === "valid" && (c.x[1] < c.k[0] || c.x[2] < c.k[1])) continue;
      const label = `x ${c.x} w ${w} s ${c.s} pad ${JSON.stringify(c.pad)}`;
      const conv = (x: tf.Tensor, f: tf.Tensor) =>
        tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad as "same");
      await t.step(label, () => assertSameOnBackends(() => conv(rand(c.x, 1), rand(w, 2)), 1e-5));
      await t.step(`gradients ${label}`, () =>
        assertSameOnBackends(
          () =>
            tf.grads((x, f) => conv(x, f).mul(rand(conv(x, f).shape, 3)).sum())([
              rand(c.x, 1),
              rand(w, 2),
            ]),
          1e-5,
          label,
        ));
    }
  },
});

Deno.test({
  name: "batchNormTraining (one native kernel each way) matches moments + batchNorm on cpu",
  ignore,
  async fn(t) {
    // cpu: tfjs-layers' training path; native: the one-kernel op (undefined on cpu).
    const normalize = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number) => {
      const fast = batchNormTraining(x, gamma, beta, eps);
      if (tf.getBackend() === "native") assert.ok(fast, "the native kernel runs");
      if (fast) return fast;
      const { mean, variance } = tf.moments(x, x.shape.slice(0, -1).map((_, i) => i));
      return { y: tf.batchNorm(x, mean, variance, beta, gamma, eps), mean, variance };
    };
    for (const shape of [[2, 5, 4, 3], [3, 7], [1, 3, 3, 17], [4, 1, 1, 2]]) {
      const c = shape[shape.length - 1];
      // An offset of 100 checks the variance does not cancel when the mean is large.
      const x = () => rand(shape, 1).mul(3).add(100);
      await t.step(`forward and statistics ${shape}`, () =>
        assertSameOnBackends(() => {
          const r = normalize(x(), rand([c], 2).add(1.5), rand([c], 3), 1e-5);
          return [r.y, r.mean, r.variance];
        }, 1e-5));
      await t.step(`gradients through y, mean and variance ${shape}`, () =>
        assertSameOnBackends(
          () =>
            tf.grads((xx, g, b) => {
              const r = normalize(xx, g, b, 1e-3);
              return r.y.mul(rand(shape, 4)).sum().add(r.mean.mul(rand([c], 5)).sum())
                .add(r.variance.mul(rand([c], 6)).sum());
            })([x(), rand([c], 2).add(1.5), rand([c], 3)]),
          1e-4,
        ));
      await t.step(`gradients through y only ${shape}`, () =>
        assertSameOnBackends(
          () =>
            tf.grads((xx, g, b) => normalize(xx, g, b, 1e-5).y.square().mul(rand(shape, 4)).sum())(
              [rand(shape, 7), rand([c], 2).add(1.5), rand([c], 3)],
            ),
          1e-4,
        ));
    }
    await tf.setBackend("native");
    // Not covered: a vector that is not over the last axis, int32, rank 1.
    assert.equal(batchNormTraining(tf.ones([2, 3]), tf.ones([2]), tf.zeros([2]), 1e-5), undefined);
    assert.equal(
      batchNormTraining(tf.ones([2, 3], "int32"), tf.ones([3]), tf.zeros([3]), 1e-5),
      undefined,
    );
    assert.equal(batchNormTraining(tf.ones([3]), tf.ones([3]), tf.zeros([3]), 1e-5), undefined);
    await tf.setBackend("cpu");
    assert.equal(batchNormTraining(tf.ones([2, 3]), tf.ones([3]), tf.zeros([3]), 1e-5), undefined);
  },
});

Deno.test({
  name: "batch normalization in training and its gradient match cpu",
  ignore,
  async fn(t) {
    for (const shape of [[2, 5, 4, 3], [3, 7], [1, 3, 3, 17]]) {
      const c = shape[shape.length - 1];
      const axes = shape.slice(0, -1).map((_, i) => i);
      // The training path of tfjs-layers' BatchNormalization: moments, then tf.batchNorm.
      const normalize = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, axes);
        return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
      };
      await t.step(`forward ${shape}`, () =>
        assertSameOnBackends(
          () => normalize(rand(shape, 1), rand([c], 2).add(1.5), rand([c], 3)),
          1e-5,
        ));
      await t.step(`gradients through the moments ${shape}`, () =>
        assertSameOnBackends(
          () =>
            tf.grads((x, g, b) => normalize(x, g, b).mul(rand(shape, 4)).sum())([
              rand(shape, 1),
              rand([c], 2).add(1.5),
              rand([c], 3),
            ]),
          1e-4,
        ));
      await t.step(`gradients wrt every input of tf.batchNorm ${shape}`, () =>
        assertSameOnBackends(
          () =>
            tf.grads((x, m, v, g, b) =>
              tf.batchNorm(x, m, v, b, g, 1e-3).mul(rand(shape, 5)).sum()
            )(
              [
                rand(shape, 1),
                rand([c], 6),
                rand([c], 7).abs().add(0.5),
                rand([c], 2),
                rand([c], 3),
              ],
            ),
          1e-4,
        ));
      // tfjs cannot differentiate tf.batchNorm without a scale (it saves the missing input).
      await t.step(`forward without scale or offset ${shape}`, () =>
        assertSameOnBackends(
          () => tf.batchNorm(rand(shape, 1), rand([c], 6), rand([c], 7).abs().add(0.5)),
          1e-5,
        ));
    }
    // A full-shape mean (not a channel vector) keeps tfjs's gradient.
    await t.step("full-shape statistics", () =>
      assertSameOnBackends(
        () =>
          tf.grads((x, m) =>
            tf.batchNorm(x, m, tf.onesLike(m), tf.zerosLike(m), tf.onesLike(m).mul(2)).square()
              .sum()
          )([rand([2, 3, 4], 1), rand([2, 3, 4], 2)]),
        1e-5,
      ));
  },
});

Deno.test({
  name: "relu6 and its gradient match cpu, 0 and 6 and NaN included",
  ignore,
  async fn() {
    const xs = () => {
      const v = values(64, 3).map((u) => u * 9 - 1.5);
      v[0] = 0;
      v[1] = 6;
      v[2] = NaN;
      v[3] = -Infinity;
      v[4] = Infinity;
      v[5] = -0;
      v[6] = 1e-45; // the smallest positive denormal
      v[7] = Math.fround(6 + 1e-6);
      v[8] = -NaN;
      return tf.tensor(v, [8, 8]);
    };
    await assertSameOnBackends(() => tf.relu6(xs()), 0);
    await assertSameOnBackends(
      () => tf.grad((x) => tf.relu6(x).mul(rand([8, 8], 2)).sum())(xs()),
      0,
    );
  },
});

Deno.test({
  name: "pad and tile match cpu on every dtype and odd shapes",
  ignore,
  async fn(t) {
    const pads: Array<{ shape: number[]; p: Array<[number, number]>; v?: number }> = [
      { shape: [2, 5, 5, 3], p: [[0, 0], [1, 1], [1, 1], [0, 0]] },
      { shape: [1, 4, 6, 2], p: [[0, 0], [0, 1], [2, 0], [0, 0]], v: 2.5 },
      { shape: [3, 4], p: [[1, 2], [0, 3]] },
      { shape: [7], p: [[2, 1]] },
      { shape: [2, 3, 2], p: [[0, 0], [0, 0], [0, 0]] },
      { shape: [2, 0, 3], p: [[1, 0], [1, 1], [0, 0]], v: -1 },
      { shape: [2, 2, 3, 4], p: [[1, 1], [0, 0], [0, 2], [1, 1]] },
    ];
    for (const c of pads) {
      await t.step(`pad ${c.shape} ${JSON.stringify(c.p)}`, async () => {
        await assertSameOnBackends(() => tf.pad(rand(c.shape, 1), c.p, c.v ?? 0), 0);
        await assertSameOnBackends(() => tf.pad(rand(c.shape, 1).mul(9).toInt(), c.p, c.v ?? 0), 0);
        await assertSameOnBackends(
          () =>
            tf.grad((x) => tf.pad(x, c.p).mul(rand(tf.pad(x, c.p).shape, 2)).sum())(
              rand(c.shape, 1),
            ),
          0,
        );
      });
    }
    const tiles: Array<{ shape: number[]; reps: number[] }> = [
      { shape: [1, 1, 1, 5], reps: [2, 3, 4, 1] },
      { shape: [2, 3], reps: [3, 2] },
      { shape: [4, 1], reps: [1, 7] },
      { shape: [3], reps: [4] },
      { shape: [2, 1, 3], reps: [2, 2, 2] },
      { shape: [2, 3], reps: [1, 0] },
    ];
    for (const c of tiles) {
      await t.step(`tile ${c.shape} by ${c.reps}`, async () => {
        await assertSameOnBackends(() => tf.tile(rand(c.shape, 1), c.reps), 0);
        await assertSameOnBackends(() => tf.tile(rand(c.shape, 1).greater(0), c.reps), 0);
        await assertSameOnBackends(() => tf.tile(rand(c.shape, 1).mul(9).toInt(), c.reps), 0);
      });
    }
    await t.step(
      "broadcastTo (runs Tile)",
      () => assertSameOnBackends(() => tf.broadcastTo(rand([1, 3, 1], 1), [2, 3, 4]), 0),
    );
  },
});

Deno.test({
  name: "the native backend lists its pad, tile and batch-norm kernels",
  ignore,
  fn() {
    const { kernels } = registerNativeBackend();
    for (const name of ["PadV2", "Tile", "FusedBatchNorm", "DepthwiseConv2dNative", "Relu6"]) {
      assert.ok(kernels.includes(name), `${name} is not native: ${kernels.join(", ")}`);
    }
  },
});

Deno.test({
  name: "the gradients of mean (any axes) and square match cpu",
  ignore,
  async fn(t) {
    const cases: Array<{ shape: number[]; axis?: number | number[]; keep?: boolean }> = [
      { shape: [2, 3, 4, 5], axis: [0, 1, 2] },
      { shape: [2, 3, 4, 5], axis: [0, 2], keep: true },
      { shape: [3, 4], axis: -1 },
      { shape: [3, 4] },
      { shape: [5], axis: 0, keep: true },
    ];
    for (const c of cases) {
      await t.step(
        `mean ${c.shape} axis ${c.axis} keepDims ${c.keep ?? false}`,
        () =>
          assertSameOnBackends(() =>
            tf.grad((x) => {
              const m = tf.mean(x, c.axis, c.keep);
              return m.mul(rand(m.shape, 2)).sum();
            })(rand(c.shape, 1)), 1e-6),
      );
    }
    await t.step("square", () =>
      assertSameOnBackends(
        () => tf.grad((x) => tf.square(x).mul(rand([4, 6], 2)).sum())(rand([4, 6], 1)),
        0,
      ));
  },
});

Deno.test({
  name: "torchvision's batch norm trains the same on native (one kernel) as on cpu (tfjs ops)",
  ignore,
  async fn() {
    const shape = [3, 4, 5, 6];
    const c = shape[3];
    // Two training steps of the layer (output, input and weight gradients, moving statistics),
    // then one in inference mode.
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const bn = new TorchBatchNorm({ axis: -1, epsilon: 1e-5, momentum: 0.9, name: "bn" });
      bn.build(shape);
      tf.tidy(() =>
        bn.setWeights([
          rand([c], 2).add(1.5),
          rand([c], 3),
          rand([c], 8),
          rand([c], 9).abs().add(0.5),
        ])
      );
      const out: Float32Array[] = [];
      for (const seed of [1, 11]) {
        tf.tidy(() => {
          const x = rand(shape, seed).mul(2).add(5);
          const w = rand(shape, seed + 1);
          const f = (xx: tf.Tensor) =>
            (bn.apply(xx, { training: true }) as tf.Tensor).mul(w).sum() as tf.Scalar;
          const { grads } = tf.variableGrads(() => f(x));
          out.push(tf.grad(f)(x).dataSync() as Float32Array);
          for (const v of bn.trainableWeights) {
            out.push(grads[(v.read() as tf.Variable).name].dataSync() as Float32Array);
          }
          out.push((bn.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array);
        });
      }
      for (const v of bn.getWeights()) out.push(v.dataSync().slice() as Float32Array);
      tf.tidy(() => {
        out.push(
          (bn.apply(rand(shape, 5), { training: false }) as tf.Tensor).dataSync() as Float32Array,
        );
      });
      const profile = await tf.profile(() => {
        tf.tidy(() => {
          bn.apply(rand(shape, 6), { training: true });
        });
      });
      assert.equal(profile.kernelNames.includes("SonataBatchNormTrain"), backend === "native");
      for (const w of bn.weights) w.dispose();
      assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
      return out.map((a) => a.slice());
    };
    const expected = await run("cpu");
    const actual = await run("native");
    assert.equal(actual.length, expected.length);
    for (let i = 0; i < actual.length; i++) {
      const err = relativeError(actual[i], expected[i]);
      assert.ok(err <= 1e-5, `output ${i}: relative error ${err}`);
    }
  },
});
