/**
 * Sparse probability mappings over the last axis, with closed-form gradients:
 *
 * - sparsemax (Martins & Astudillo 2016, https://arxiv.org/abs/1602.02068): the Euclidean
 *   projection onto the simplex, exact by sorting;
 * - 1.5-entmax (Peters et al. 2019, https://arxiv.org/abs/1905.05702): exact by sorting;
 * - α-entmax for any α in (1, 2] by bisection on the threshold, differentiable with respect to
 *   both the scores and α (Correia et al. 2019, https://arxiv.org/abs/1909.00015).
 *
 * Each takes scores [..., d] and returns probabilities [..., d] that sum to 1 on the last axis.
 * The forward passes and gradients follow Ludwig's `ludwig/utils/entmax`.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";

/** 1, 2, ..., d as a float tensor [d]. */
function ranks(d: number): tf.Tensor1D {
  return tf.range(1, d + 1, 1, "float32");
}

/** Scores sorted in decreasing order on the last axis. */
function sortDesc(x: tf.Tensor): tf.Tensor {
  const d = x.shape[x.shape.length - 1];
  return tf.topk(x, d, true).values;
}

/** The sparsemax forward pass (no gradient recorded). */
function sparsemaxForward(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = x.shape[x.shape.length - 1];
    const z = tf.sub(x, tf.max(x, -1, true));
    const sorted = sortDesc(z);
    const cumsum = tf.sub(tf.cumsum(sorted, sorted.rank - 1), 1);
    // The support is the k largest entries with k·z_(k) > Σ_{j≤k} z_(j) − 1: a prefix of `sorted`.
    const support = tf.cast(tf.greater(tf.mul(ranks(d), sorted), cumsum), "float32");
    const k = tf.sum(support, -1, true);
    const tau = tf.div(tf.sub(tf.sum(tf.mul(sorted, support), -1, true), 1), k);
    return tf.relu(tf.sub(z, tau));
  });
}

/** The 1.5-entmax forward pass (no gradient recorded). */
function entmax15Forward(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = x.shape[x.shape.length - 1];
    const z = tf.div(tf.sub(x, tf.max(x, -1, true)), 2);
    const sorted = sortDesc(z);
    const rho = ranks(d);
    const mean = tf.div(tf.cumsum(sorted, sorted.rank - 1), rho);
    const meanSq = tf.div(tf.cumsum(tf.square(sorted), sorted.rank - 1), rho);
    const ss = tf.mul(rho, tf.sub(meanSq, tf.square(mean)));
    const delta = tf.div(tf.sub(1, ss), rho);
    const tau = tf.sub(mean, tf.sqrt(tf.relu(delta)));
    // Support size = #{k : τ_k ≤ z_(k)}; the threshold is τ at that size.
    const size = tf.sum(tf.cast(tf.lessEqual(tau, sorted), "int32"), -1);
    const pick = tf.oneHot(tf.sub(size, tf.scalar(1, "int32")), d);
    const tauStar = tf.sum(tf.mul(tau, pick), -1, true);
    return tf.square(tf.relu(tf.sub(z, tauStar)));
  });
}

/**
 * Sparsemax over the last axis: argmin_p ‖x − p‖² subject to p ≥ 0 and Σ p = 1.
 *
 * @example Sparsemax of three scores
 * ```ts
 * import { sparsemax } from "./_sparsemax.ts";
 * import { tf } from "../compute/mod.ts";
 * import assert from "node:assert/strict";
 *
 * await tf.setBackend("cpu");
 * const p = sparsemax(tf.tensor2d([[1, 0.5, -1]])).arraySync() as number[][];
 * assert.deepEqual(p[0].map((v) => Math.round(v * 100) / 100), [0.75, 0.25, 0]);
 * ```
 *
 * @param x Scores [..., d].
 * @returns Probabilities [..., d].
 */
export function sparsemax(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = sparsemaxForward(input);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0] : dy;
        const [out] = saved;
        // On the support S: dx = dy − mean_S(dy); elsewhere 0.
        const s = tf.cast(tf.greater(out, 0), "float32");
        const sdy = tf.mul(g, s);
        const vhat = tf.div(tf.sum(sdy, -1, true), tf.sum(s, -1, true));
        return [tf.mul(tf.sub(sdy, vhat), s)];
      },
    };
  });
  return f(x);
}

/**
 * 1.5-entmax over the last axis: argmax_p ⟨x, p⟩ + H_1.5(p) on the simplex (Tsallis entropy).
 *
 * @example The first two scores share the mass
 * ```ts
 * import { entmax15 } from "./_sparsemax.ts";
 * import { tf } from "../compute/mod.ts";
 * import assert from "node:assert/strict";
 *
 * await tf.setBackend("cpu");
 * const p = entmax15(tf.tensor2d([[1, 0, -3]])).arraySync() as number[][];
 * assert.ok(Math.abs(p[0][0] - 0.8307) < 1e-3 && p[0][2] === 0);
 * ```
 *
 * @param x Scores [..., d].
 * @returns Probabilities [..., d].
 */
export function entmax15(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = entmax15Forward(input);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0] : dy;
        const [out] = saved;
        // With s = √y (= 1 / g''(y)): dx = dy·s − (Σ dy·s / Σ s)·s.
        const s = tf.sqrt(out);
        const ds = tf.mul(g, s);
        const q = tf.div(tf.sum(ds, -1, true), tf.sum(s, -1, true));
        return [tf.sub(ds, tf.mul(q, s))];
      },
    };
  });
  return f(x);
}

/** Bisection iterations of {@linkcode entmaxBisect} (float32 converges in about 24). */
export const BISECT_ITERATIONS = 50;

/** The α-entmax forward pass by bisection (no gradient recorded); `alpha` is a scalar. */
function entmaxBisectForward(x: tf.Tensor, alpha: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = x.shape[x.shape.length - 1];
    const am1 = tf.sub(alpha, 1);
    const inv = tf.div(1, am1);
    const p = (v: tf.Tensor) => tf.pow(tf.relu(v), inv);
    const xs = tf.mul(x, am1);
    const maxVal = tf.max(xs, -1, true);
    let tauLo = tf.sub(maxVal, 1);
    const tauHi = tf.sub(maxVal, tf.pow(tf.scalar(1 / d), am1));
    const fLo = tf.sub(tf.sum(p(tf.sub(xs, tauLo)), -1, true), 1);
    let dm = tf.sub(tauHi, tauLo);
    let pm: tf.Tensor = tf.zerosLike(xs);
    for (let i = 0; i < BISECT_ITERATIONS; i++) {
      const next = tf.tidy(() => {
        const half = tf.div(dm, 2);
        const tauM = tf.add(tauLo, half);
        const pNew = p(tf.sub(xs, tauM));
        const fM = tf.sub(tf.sum(pNew, -1, true), 1);
        const lo = tf.where(tf.greaterEqual(tf.mul(fM, fLo), 0), tauM, tauLo);
        return [half, lo, pNew];
      });
      tf.dispose([dm, tauLo, pm]);
      [dm, tauLo, pm] = next;
    }
    return tf.div(pm, tf.sum(pm, -1, true));
  });
}

/**
 * α-entmax over the last axis by bisection: α = 2 is sparsemax, α → 1 tends to softmax.
 * Differentiable with respect to the scores and to `alpha` (a scalar tensor in (1, 2]).
 *
 * @example α = 2 agrees with sparsemax
 * ```ts
 * import { entmaxBisect } from "./_sparsemax.ts";
 * import { tf } from "../compute/mod.ts";
 * import assert from "node:assert/strict";
 *
 * await tf.setBackend("cpu");
 * const p = entmaxBisect(tf.tensor2d([[1, 0.5, -1]]), tf.scalar(2)).arraySync() as number[][];
 * assert.ok(Math.abs(p[0][0] - 0.75) < 1e-5);
 * ```
 *
 * @param x Scores [..., d].
 * @param alpha The scalar α.
 * @returns Probabilities [..., d].
 */
export function entmaxBisect(x: tf.Tensor, alpha: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, a, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const y = entmaxBisectForward(input, a);
    save([y, a]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0] : dy;
        const [out, al] = saved;
        const positive = tf.greater(out, 0);
        const zeros = tf.zerosLike(out);
        // s = y^(2−α) on the support (= 1 / g''(y)).
        const s = tf.where(positive, tf.pow(out, tf.sub(2, al)), zeros);
        const ds = tf.mul(g, s);
        const sSum = tf.sum(s, -1, true);
        const dx = tf.sub(ds, tf.mul(tf.div(tf.sum(ds, -1, true), sSum), s));
        // ∂y/∂α (Correia et al. 2019, eq. 10), contracted with dy.
        const am1 = tf.sub(al, 1);
        const shannon = tf.where(
          positive,
          tf.mul(out, tf.log(tf.where(positive, out, tf.onesLike(out)))),
          zeros,
        );
        const ent = tf.sum(shannon, -1, true);
        const skewed = tf.div(s, sSum);
        const term1 = tf.div(tf.mul(g, tf.sub(out, skewed)), tf.square(am1));
        const term2 = tf.div(tf.mul(g, tf.sub(shannon, tf.mul(skewed, ent))), am1);
        const dAlpha = tf.reshape(tf.sum(tf.sub(term1, term2)), al.shape);
        return [dx, dAlpha];
      },
    };
  });
  return f(x, alpha);
}
