// Tile's reshape-and-sum gradient (lib/compute/_tile_grad.ts) against tfjs's slice-and-add
// loop and a float64 reference, on cpu and native; and the kernel count of a layer norm's
// backward (tfjs-layers tiles gamma and beta to the input's shape), which tfjs's Tile gradient
// made grow with the number of tiles (about 50,000 kernels on [4, 56, 56, 64]).
import assert from "node:assert/strict";
import { installTileGradient } from "../../lib/compute/_tile_grad.ts";
import { NO_NATIVE, rand, relativeError, tf } from "./_compare.ts";

installTileGradient();

const BACKENDS = NO_NATIVE === undefined ? ["cpu", "native"] : ["cpu"];

/** tfjs 4.22's Tile gradient (ranks 1 to 4), spelled out: one slice and one add per tile. */
function tfjsTileGrad(dy: tf.Tensor, x: tf.Tensor, reps: number[]): tf.Tensor {
  let grad = tf.zerosLike(x);
  const total = reps.reduce((a, b) => a * b, 1);
  for (let t = 0; t < total; t++) {
    const begin: number[] = [];
    let rest = t;
    for (let i = reps.length - 1; i >= 0; i--) {
      begin[i] = (rest % reps[i]) * x.shape[i];
      rest = Math.floor(rest / reps[i]);
    }
    grad = tf.add(grad, tf.slice(dy, begin, x.shape));
  }
  return grad;
}

/** The gradient in float64: each element of `dy` adds to the element of `x` it copies. */
function referenceTileGrad(dy: Float32Array, xShape: number[], reps: number[]): Float64Array {
  const yShape = xShape.map((d, i) => d * reps[i]);
  const out = new Float64Array(xShape.reduce((a, b) => a * b, 1));
  for (let flat = 0; flat < dy.length; flat++) {
    let rest = flat;
    let index = 0;
    let stride = 1;
    for (let i = yShape.length - 1; i >= 0; i--) {
      index += (rest % yShape[i] % xShape[i]) * stride;
      rest = Math.floor(rest / yShape[i]);
      stride *= xShape[i];
    }
    out[index] += dy[flat];
  }
  return out;
}

/** Counts the kernels `f` runs (every `runKernel`, including those of the gradient tape). */
function countKernels(f: () => void): Map<string, number> {
  const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
  const original = engine.runKernel;
  const counts = new Map<string, number>();
  engine.runKernel = function (this: unknown, name: unknown, ...rest: unknown[]) {
    counts.set(name as string, (counts.get(name as string) ?? 0) + 1);
    return original.call(this, name, ...rest);
  };
  try {
    f();
  } finally {
    engine.runKernel = original;
  }
  return counts;
}

function total(counts: Map<string, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}

const CASES: [number[], number[]][] = [
  [[7], [5]],
  [[3, 4], [1, 1]],
  [[3, 4], [2, 1]],
  [[3, 4], [1, 3]],
  [[1, 5], [6, 2]],
  [[2, 3, 4], [1, 2, 3]],
  [[2, 1, 4], [3, 5, 1]],
  [[1, 1, 1, 8], [2, 3, 4, 1]],
  [[2, 3, 3, 1], [1, 1, 1, 8]],
  [[2, 3, 2, 4], [2, 1, 3, 2]],
  [[2, 1, 2, 1, 3], [1, 2, 2, 3, 1]],
];

Deno.test("tile's gradient equals tfjs's and the float64 sum, any rank and repeats", async () => {
  for (const backend of BACKENDS) {
    await tf.setBackend(backend);
    for (const [shape, reps] of CASES) {
      const label = `${backend} ${JSON.stringify(shape)} reps ${JSON.stringify(reps)}`;
      tf.tidy(() => {
        const x = rand(shape, 3);
        const w = rand(shape.map((d, i) => d * reps[i]), 5);
        const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.tile(v, reps), w)))(x);
        assert.deepEqual(grad.shape, shape, label);
        const data = grad.dataSync() as Float32Array;
        const reference = referenceTileGrad(w.dataSync() as Float32Array, shape, reps);
        const err64 = relativeError(data, reference);
        assert.ok(err64 <= 1e-6, `${label}: relative error ${err64} to the float64 sum`);
        if (shape.length <= 4) {
          const tfjs = tfjsTileGrad(w, x, reps).dataSync();
          const err = relativeError(data, tfjs);
          assert.ok(err <= 1e-5, `${label}: relative error ${err} to tfjs's gradient`);
        }
      });
    }
  }
});

Deno.test("tile's gradient runs a few kernels whatever the number of tiles", async () => {
  for (const backend of BACKENDS) {
    await tf.setBackend(backend);
    const runs = [[1, 1, 1, 2], [1, 1, 1, 64], [4, 56, 56, 1]].map((reps) =>
      tf.tidy(() => {
        const x = rand([1, 1, 1, 64].map((d, i) => (reps[i] === 1 ? d : 1)), 2);
        const w = rand(x.shape.map((d, i) => d * reps[i]), 4);
        return total(countKernels(() => {
          tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.tile(v, reps), w)))(x).dataSync();
        }));
      })
    );
    assert.equal(new Set(runs).size, 1, `${backend}: kernel counts ${runs} depend on the repeats`);
    assert.ok(runs[0] <= 16, `${backend}: ${runs[0]} kernels`);
  }
});

/** Layer norm's backward over the last axis in closed form (float32 tensors). */
function closedFormLayerNormGrads(
  x: tf.Tensor,
  dy: tf.Tensor,
  gamma: tf.Tensor,
  epsilon: number,
): { dx: tf.Tensor; dgamma: tf.Tensor; dbeta: tf.Tensor } {
  const c = x.shape[x.rank - 1];
  const lead = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, -1, true);
  const rstd = tf.rsqrt(tf.add(variance, epsilon));
  const xhat = tf.mul(tf.sub(x, mean), rstd);
  const g = tf.mul(dy, gamma);
  const sumG = tf.sum(g, -1, true);
  const sumGx = tf.sum(tf.mul(g, xhat), -1, true);
  const dx = tf.mul(
    tf.div(rstd, c),
    tf.sub(tf.sub(tf.mul(g, c), sumG), tf.mul(xhat, sumGx)),
  );
  return { dx, dgamma: tf.sum(tf.mul(dy, xhat), lead), dbeta: tf.sum(dy, lead) };
}

Deno.test("a layer norm's gradient matches the closed form in a bounded number of kernels", async () => {
  const epsilon = 1e-6;
  for (const backend of BACKENDS) {
    await tf.setBackend(backend);
    const counts: number[] = [];
    for (const shape of [[6, 16], [2, 9, 16], [4, 14, 14, 16], [4, 28, 28, 16]]) {
      const label = `${backend} ${JSON.stringify(shape)}`;
      const layer = tf.layers.layerNormalization({ axis: -1, epsilon });
      const x = rand(shape, 7);
      const dy = rand(shape, 9);
      layer.apply(x);
      const [gammaVar, betaVar] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      gammaVar.assign(rand([shape[shape.length - 1]], 11));
      betaVar.assign(rand([shape[shape.length - 1]], 13));
      const grads: tf.Tensor[] = [];
      counts.push(total(countKernels(() => {
        tf.tidy(() => {
          const loss = (v: tf.Tensor) =>
            tf.sum(tf.mul(layer.apply(v) as tf.Tensor, dy)) as tf.Scalar;
          const { grads: g } = tf.variableGrads(() => loss(x), [gammaVar, betaVar]);
          const dx = tf.grad(loss)(x);
          grads.push(tf.keep(dx), tf.keep(g[gammaVar.name]), tf.keep(g[betaVar.name]));
        });
      })));
      const expected = tf.tidy(() => {
        const e = closedFormLayerNormGrads(x, dy, gammaVar, epsilon);
        return [e.dx, e.dgamma, e.dbeta];
      });
      ["dx", "dgamma", "dbeta"].forEach((name, i) => {
        assert.deepEqual(grads[i].shape, expected[i].shape, `${label} ${name}`);
        const err = relativeError(grads[i].dataSync(), expected[i].dataSync());
        assert.ok(err <= 1e-4, `${label} ${name}: relative error ${err} to the closed form`);
      });
      tf.dispose([...grads, ...expected, x, dy]);
      layer.dispose();
    }
    // tfjs's Tile gradient ran 2 kernels per tile of gamma and beta: 2 · 4 · 28 · 28 each.
    assert.equal(counts[2], counts[3], `${backend}: kernel counts ${counts} grow with the input`);
    assert.ok(Math.max(...counts) <= 150, `${backend}: ${counts} kernels`);
  }
});
