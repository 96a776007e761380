import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { entmax15, entmaxBisect, sparsemax } from "../../lib/model/_sparsemax.ts";
import { EntmaxAttention, MIN_ALPHA } from "../../lib/combiners/_tabnet_impl.ts";
import { cpu } from "../_harness.ts";

const close = (a: number[][], b: number[][], tol = 1e-5) =>
  a.every((row, i) => row.every((v, j) => Math.abs(v - b[i][j]) <= tol));

function rows(t: tf.Tensor): number[][] {
  const out = t.arraySync() as number[][];
  t.dispose();
  return out;
}

Deno.test("sparsemax: hand-computed projections onto the simplex", async () => {
  await cpu();
  const x = tf.tensor2d([[1, 0.5, -1], [0.3, 0.2, 0.1], [2, 2, 2], [10, 0, -10], [0.1, 0.9, 0.4]]);
  // [1, .5, -1]: support {1, 2}, τ = (1.5 − 1)/2 = .25
  // [.3, .2, .1]: full support, τ = (.6 − 1)/3 = −.1333…
  // [.1, .9, .4]: support {2, 3}, τ = (1.3 − 1)/2 = .15
  const expected = [[0.75, 0.25, 0], [0.4333333, 0.3333333, 0.2333333], [1 / 3, 1 / 3, 1 / 3], [
    1,
    0,
    0,
  ], [0, 0.75, 0.25]];
  assert.ok(close(rows(sparsemax(x)), expected));
  // α = 2 bisection agrees
  assert.ok(close(rows(entmaxBisect(x, tf.scalar(2))), expected, 1e-5));
  // invariant to a shift of all scores
  assert.ok(close(rows(sparsemax(tf.add(x, 100))), expected, 1e-4));
  x.dispose();
});

Deno.test("entmax15: hand-computed values", async () => {
  await cpu();
  // x = [1, 0, −3] → z = (x − max)/2 = [0, −.5, −2]; support {1, 2}: τ² + (.5 + τ)² = 1
  // → 2τ² + τ − .75 = 0 → τ = (−1 − √7)/4; p = (z − τ)².
  const tau = (-1 - Math.sqrt(7)) / 4;
  const p = [tau * tau, (-0.5 - tau) ** 2, 0];
  const x = tf.tensor2d([[1, 0, -3], [0, 0, 0], [5, 0, 0]]);
  const expected = [p, [1 / 3, 1 / 3, 1 / 3], [1, 0, 0]];
  assert.ok(close(rows(entmax15(x)), expected));
  assert.ok(close(rows(entmaxBisect(x, tf.scalar(1.5))), expected, 1e-5));
  x.dispose();
});

Deno.test("entmax: rows sum to one, sparsity grows with alpha, no leaks", async () => {
  await cpu();
  const before = tf.memory().numTensors;
  const x = tf.tensor2d([[0.5, 0.2, -0.3, 0.1, 0.05], [1, 2, 3, 4, 5]]);
  const zeros = (t: tf.Tensor) =>
    tf.tidy(() => tf.sum(tf.cast(tf.equal(t, 0), "int32")).dataSync()[0]);
  let last = -1;
  for (const alpha of [1.1, 1.5, 2]) {
    const a = tf.scalar(alpha);
    const p = entmaxBisect(x, a);
    for (const s of rows(tf.sum(p, 1)) as unknown as number[]) assert.ok(Math.abs(s - 1) < 1e-5);
    const z = zeros(p);
    assert.ok(z >= last);
    last = z;
    tf.dispose([p, a]);
  }
  const s = sparsemax(x);
  const e = entmax15(x);
  tf.dispose([x, s, e]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("sparsemax, entmax15, bisection: gradients match finite differences", async () => {
  await cpu();
  const x = [[1, 0.5, -1], [0.3, 0.2, 0.1], [0.1, 0.9, 0.4]];
  const w = tf.tensor2d([[0.3, -1, 2], [1, 0.5, 0.2], [0.1, 0.9, -0.4]]);
  const fns: [string, (t: tf.Tensor) => tf.Tensor][] = [
    ["sparsemax", sparsemax],
    ["entmax15", entmax15],
    ["bisect 1.3", (t) => entmaxBisect(t, tf.scalar(1.3))],
  ];
  for (const [name, fn] of fns) {
    const loss = (t: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(fn(t), w)) as tf.Scalar);
    const xt = tf.tensor2d(x);
    const g = rows(tf.grad(loss)(xt));
    const eps = 1e-3;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const plus = x.map((r) => r.slice());
        plus[i][j] += eps;
        const minus = x.map((r) => r.slice());
        minus[i][j] -= eps;
        const [lp, lm] = [plus, minus].map((v) =>
          tf.tidy(() => loss(tf.tensor2d(v)).dataSync()[0])
        );
        const numeric = (lp - lm) / (2 * eps);
        assert.ok(
          Math.abs(g[i][j] - numeric) < 2e-3,
          `${name} [${i},${j}]: ${g[i][j]} vs ${numeric}`,
        );
      }
    }
    xt.dispose();
  }
  // gradient with respect to alpha
  const xt = tf.tensor2d(x);
  const la = (a: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(entmaxBisect(xt, a), w)) as tf.Scalar);
  const ga = tf.tidy(() => tf.grad(la)(tf.scalar(1.4)).dataSync()[0]);
  const na = tf.tidy(() =>
    (la(tf.scalar(1.401)).dataSync()[0] - la(tf.scalar(1.399)).dataSync()[0]) / 0.002
  );
  assert.ok(Math.abs(ga - na) < 1e-3, `${ga} vs ${na}`);
  tf.dispose([xt, w]);
});

Deno.test("EntmaxAttention: prior scaling, softmax at alpha 1, adaptive alpha clipped", async () => {
  await cpu();
  const scores = tf.tensor2d([[1, 0.5, -1]]);
  const prior = tf.tensor2d([[1, 2, 1]]);
  const sp = new EntmaxAttention({ mode: "sparsemax", alpha: 1.5 });
  // sparsemax([1, 1, −1]) = [.5, .5, 0]
  assert.ok(close(rows(sp.apply([scores, prior]) as tf.Tensor), [[0.5, 0.5, 0]]));
  const soft = new EntmaxAttention({ mode: "constant", alpha: 1 });
  const expSum = Math.exp(1) + Math.exp(0.5) + Math.exp(-1);
  assert.ok(
    close(rows(soft.apply(scores) as tf.Tensor), [[1, 0.5, -1].map((v) => Math.exp(v) / expSum)]),
  );
  const adaptive = new EntmaxAttention({ mode: "adaptive", alpha: 1.5 });
  const a1 = rows(adaptive.apply(scores) as tf.Tensor);
  const e15 = rows(entmax15(scores));
  assert.ok(close(a1, e15, 1e-5));
  adaptive.setWeights([tf.scalar(7)]); // clipped to 2: sparsemax
  assert.ok(close(rows(adaptive.apply(scores) as tf.Tensor), [[0.75, 0.25, 0]], 1e-5));
  adaptive.setWeights([tf.scalar(0.2)]); // clipped to MIN_ALPHA: close to softmax, dense
  const low = rows(adaptive.apply(scores) as tf.Tensor);
  assert.ok(low[0].every((v) => v > 0) && MIN_ALPHA > 1);
  tf.dispose([scores, prior]);
  for (const l of [sp, soft, adaptive]) l.dispose();
});
