import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { ready, tf } from "../../lib/compute/mod.ts";
import {
  clipGradients,
  createOptimizer,
  type OptimizerConfig,
} from "../../lib/train/optimizers.ts";

await ready({ compute: "cpu", quiet: true });

const P0 = [1, -2, 0.5];
const GRADS = [[0.1, -0.2, 0.3], [-0.3, 0.1, 0.2], [0.5, 0.5, -0.5], [0.05, -0.4, 0.0]];

/** A reference implementation of one PyTorch rule on one scalar parameter (plain JS, float64). */
type Reference = (
  p: number,
  g: number,
  state: Record<string, number>,
  t: number,
  lr: number,
) => number;

const REFERENCES: Array<{ config: OptimizerConfig; lr: number; ref: Reference }> = [
  {
    config: { type: "sgd", momentum: 0, weight_decay: 0, dampening: 0, nesterov: false },
    lr: 0.1,
    ref: (p, g, _s, _t, lr) => p - lr * g,
  },
  {
    config: { type: "sgd", momentum: 0.9, weight_decay: 0.01, dampening: 0.1, nesterov: false },
    lr: 0.1,
    ref: (p, g, s, t, lr) => {
      const d = g + 0.01 * p;
      s.buf = t === 1 ? d : 0.9 * s.buf + 0.9 * d;
      return p - lr * s.buf;
    },
  },
  {
    config: { type: "sgd", momentum: 0.5, weight_decay: 0, dampening: 0, nesterov: true },
    lr: 0.2,
    ref: (p, g, s, t, lr) => {
      s.buf = t === 1 ? g : 0.5 * s.buf + g;
      return p - lr * (g + 0.5 * s.buf);
    },
  },
  ...[false, true].map((amsgrad) => ({
    config: {
      type: "adam",
      betas: [0.9, 0.99],
      eps: 1e-8,
      weight_decay: 0.1,
      amsgrad,
    } as OptimizerConfig,
    lr: 0.01,
    ref: ((p, g, s, t, lr) => {
      const d = g + 0.1 * p;
      s.m = 0.9 * (s.m ?? 0) + 0.1 * d;
      s.v = 0.99 * (s.v ?? 0) + 0.01 * d * d;
      s.vmax = Math.max(s.vmax ?? 0, s.v);
      const v = amsgrad ? s.vmax : s.v;
      const denom = Math.sqrt(v) / Math.sqrt(1 - 0.99 ** t) + 1e-8;
      return p - (lr / (1 - 0.9 ** t)) * s.m / denom;
    }) as Reference,
  })),
  {
    // Plain Adam: the fused kernel of lib/compute.
    config: { type: "adam", betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false },
    lr: 0.01,
    ref: (p, g, s, t, lr) => {
      s.m = 0.9 * (s.m ?? 0) + 0.1 * g;
      s.v = 0.999 * (s.v ?? 0) + 0.001 * g * g;
      const denom = Math.sqrt(s.v) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
      return p - (lr / (1 - 0.9 ** t)) * s.m / denom;
    },
  },
  {
    config: { type: "adamw", betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.5, amsgrad: false },
    lr: 0.01,
    ref: (p, g, s, t, lr) => {
      const q = p * (1 - lr * 0.5);
      s.m = 0.9 * (s.m ?? 0) + 0.1 * g;
      s.v = 0.999 * (s.v ?? 0) + 0.001 * g * g;
      const denom = Math.sqrt(s.v) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
      return q - (lr / (1 - 0.9 ** t)) * s.m / denom;
    },
  },
  {
    config: { type: "adadelta", rho: 0.9, eps: 1e-6, weight_decay: 0.01 },
    lr: 1.0,
    ref: (p, g, s, _t, lr) => {
      const d = g + 0.01 * p;
      s.sq = 0.9 * (s.sq ?? 0) + 0.1 * d * d;
      const delta = Math.sqrt((s.acc ?? 0) + 1e-6) / Math.sqrt(s.sq + 1e-6) * d;
      s.acc = 0.9 * (s.acc ?? 0) + 0.1 * delta * delta;
      return p - lr * delta;
    },
  },
  {
    config: {
      type: "adagrad",
      initial_accumulator_value: 0.1,
      lr_decay: 0.5,
      weight_decay: 0,
      eps: 1e-10,
    },
    lr: 0.1,
    ref: (p, g, s, t, lr) => {
      s.sum = (s.sum ?? 0.1) + g * g;
      return p - (lr / (1 + (t - 1) * 0.5)) * g / (Math.sqrt(s.sum) + 1e-10);
    },
  },
  {
    config: { type: "adamax", betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0 },
    lr: 0.02,
    ref: (p, g, s, t, lr) => {
      s.m = 0.9 * (s.m ?? 0) + 0.1 * g;
      s.u = Math.max(0.999 * (s.u ?? 0), Math.abs(g) + 1e-8);
      return p - (lr / (1 - 0.9 ** t)) * s.m / s.u;
    },
  },
  {
    config: {
      type: "nadam",
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0.01,
      momentum_decay: 4e-3,
    },
    lr: 0.01,
    ref: (p, g, s, t, lr) => {
      const d = g + 0.01 * p;
      const mu = 0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3));
      const muNext = 0.9 * (1 - 0.5 * 0.96 ** ((t + 1) * 4e-3));
      s.prod = (s.prod ?? 1) * mu;
      s.m = 0.9 * (s.m ?? 0) + 0.1 * d;
      s.v = 0.999 * (s.v ?? 0) + 0.001 * d * d;
      const denom = Math.sqrt(s.v / (1 - 0.999 ** t)) + 1e-8;
      return p - lr * (1 - mu) / (1 - s.prod) * d / denom -
        lr * muNext / (1 - s.prod * muNext) * s.m / denom;
    },
  },
  ...[false, true].map((centered) => ({
    config: {
      type: "rmsprop",
      momentum: 0.5,
      alpha: 0.9,
      eps: 1e-8,
      centered,
      weight_decay: 0,
    } as OptimizerConfig,
    lr: 0.01,
    ref: ((p, g, s, _t, lr) => {
      s.sq = 0.9 * (s.sq ?? 0) + 0.1 * g * g;
      s.ga = 0.9 * (s.ga ?? 0) + 0.1 * g;
      const avg = (centered ? Math.sqrt(s.sq - s.ga * s.ga) : Math.sqrt(s.sq)) + 1e-8;
      s.buf = 0.5 * (s.buf ?? 0) + g / avg;
      return p - lr * s.buf;
    }) as Reference,
  })),
  {
    config: {
      type: "rmsprop",
      momentum: 0,
      alpha: 0.99,
      eps: 1e-8,
      centered: false,
      weight_decay: 0.1,
    },
    lr: 0.01,
    ref: (p, g, s, _t, lr) => {
      const d = g + 0.1 * p;
      s.sq = 0.99 * (s.sq ?? 0) + 0.01 * d * d;
      return p - lr * d / (Math.sqrt(s.sq) + 1e-8);
    },
  },
  {
    config: {
      type: "ftrl",
      learning_rate_power: -0.5,
      initial_accumulator_value: 0.1,
      l1_regularization_strength: 0.01,
      l2_regularization_strength: 0.1,
    },
    lr: 0.1,
    ref: (p, g, s, _t, lr) => {
      const acc = s.acc ?? 0.1;
      const next = acc + g * g;
      s.lin = (s.lin ?? 0) + g - (Math.sqrt(next) - Math.sqrt(acc)) / lr * p;
      s.acc = next;
      const quad = Math.sqrt(next) / lr + 2 * 0.1;
      return Math.abs(s.lin) > 0.01 ? (Math.sign(s.lin) * 0.01 - s.lin) / quad : 0;
    },
  },
];

function label(c: OptimizerConfig): string {
  return JSON.stringify(c).replace(/"/g, "");
}

function expected(ref: Reference, lr: number, steps: number): number[][] {
  const states = P0.map(() => ({} as Record<string, number>));
  let p = [...P0];
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    p = p.map((v, i) => ref(v, GRADS[t - 1][i], states[i], t, lr));
    out.push(p);
  }
  return out;
}

function near(actual: ArrayLike<number>, want: readonly number[], what: string): void {
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-5 + 1e-5 * Math.abs(want[i]);
    ok(
      Math.abs(actual[i] - want[i]) <= tol,
      `${what}[${i}]: expected ${want[i]}, received ${actual[i]}`,
    );
  }
}

let counter = 0;

Deno.test("each optimizer's first updates match PyTorch's rules", async (t) => {
  for (const { config, lr, ref } of REFERENCES) {
    await t.step(label(config), () => {
      const name = `opt_test_${counter++}`;
      const w = tf.variable(tf.tensor1d(P0), true, name);
      const opt = createOptimizer(config, lr);
      const want = expected(ref, lr, 3);
      for (let step = 0; step < 3; step++) {
        const g = tf.tensor1d(GRADS[step]);
        opt.applyGradients({ [name]: g });
        g.dispose();
        near(w.dataSync(), want[step], `step ${step + 1}`);
      }
      equal(opt.iterations, 3);
      opt.dispose();
      w.dispose();
    });
  }
});

Deno.test("a hand-computed first step: SGD with momentum and Adam", () => {
  const w = tf.variable(tf.tensor1d([1]), true, "hand_sgd");
  const sgd = createOptimizer(
    { type: "sgd", momentum: 0.9, weight_decay: 0, dampening: 0, nesterov: false },
    0.1,
  );
  sgd.applyGradients({ hand_sgd: tf.scalar(2).reshape([1]) });
  near(w.dataSync(), [0.8], "sgd step 1"); // buffer = g = 2
  sgd.applyGradients({ hand_sgd: tf.scalar(2).reshape([1]) });
  near(w.dataSync(), [0.42], "sgd step 2"); // buffer = 0.9 * 2 + 2 = 3.8
  sgd.dispose();
  const a = tf.variable(tf.tensor1d([1]), true, "hand_adam");
  const adam = createOptimizer(
    { type: "adam", betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false },
    0.1,
  );
  adam.applyGradients({ hand_adam: tf.tensor1d([5]) });
  near(a.dataSync(), [0.9], "adam step 1"); // m̂ / sqrt(v̂) = sign(g)
  adam.dispose();
  w.dispose();
  a.dispose();
});

Deno.test("setLearningRate changes the next steps", () => {
  const w = tf.variable(tf.tensor1d([0]), true, "lr_change");
  const opt = createOptimizer(
    { type: "sgd", momentum: 0, weight_decay: 0, dampening: 0, nesterov: false },
    1,
  );
  opt.setLearningRate(0.5);
  equal(opt.getLearningRate(), 0.5);
  opt.applyGradients({ lr_change: tf.tensor1d([1]) });
  near(w.dataSync(), [-0.5], "after lr 0.5");
  opt.dispose();
  w.dispose();
});

Deno.test("saved and restored state gives identical later updates", async (t) => {
  for (const { config, lr } of REFERENCES) {
    await t.step(label(config), async () => {
      const name = `opt_restore_${counter++}`;
      const w = tf.variable(tf.tensor1d(P0), true, name);
      const a = createOptimizer(config, lr);
      for (const g of GRADS.slice(0, 2)) a.applyGradients({ [name]: tf.tensor1d(g) });
      const saved = await a.getWeights();
      const copies = saved.map((s) => ({ name: s.name, tensor: s.tensor.clone() }));
      const atSave = Array.from(w.dataSync());
      for (const g of GRADS.slice(2)) a.applyGradients({ [name]: tf.tensor1d(g) });
      const continued = Array.from(w.dataSync());

      w.assign(tf.tensor1d(atSave));
      const b = createOptimizer(config, lr);
      await b.setWeights(copies);
      equal(b.iterations, 2);
      for (const g of GRADS.slice(2)) b.applyGradients({ [name]: tf.tensor1d(g) });
      deepStrictEqual(Array.from(w.dataSync()), continued);
      copies.forEach((c) => c.tensor.dispose());
      a.dispose();
      b.dispose();
      w.dispose();
    });
  }
});

Deno.test("optimizer steps do not leak tensors", async (t) => {
  for (const { config, lr } of REFERENCES) {
    await t.step(label(config), () => {
      const name = `opt_leak_${counter++}`;
      const w = tf.variable(tf.tensor1d(P0), true, name);
      const g = tf.tensor1d(GRADS[0]);
      const opt = createOptimizer(config, lr);
      opt.applyGradients({ [name]: g });
      const after1 = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) opt.applyGradients({ [name]: g });
      equal(tf.memory().numTensors, after1);
      // minimize() goes through applyGradients too.
      const before = tf.memory().numTensors;
      opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
      equal(tf.memory().numTensors, before);
      opt.dispose();
      g.dispose();
      w.dispose();
    });
  }
});

Deno.test("lbfgs is refused by config validation, saying why", async () => {
  const { validateConfig } = await import("../../lib/config/mod.ts");
  throws(
    () =>
      validateConfig({
        input_features: [{ name: "x", type: "number" }],
        output_features: [{ name: "y", type: "number" }],
        trainer: { optimizer: { type: "lbfgs" } },
      }),
    /optimizer "lbfgs" exists in Ludwig but is not available in Sonata yet/,
  );
});

Deno.test("clipGradients follows Ludwig: global norm, then norm (also global), then value", () => {
  const before = tf.memory().numTensors;
  const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
  // ‖all‖ = 5 -> scale 1 / (5 + 1e-6)
  const g1 = clipGradients(grads, { clipglobalnorm: 1, clipnorm: null, clipvalue: null });
  near(g1.a.dataSync(), [3 / (5 + 1e-6), 0], "global a");
  near(g1.b.dataSync(), [0, 4 / (5 + 1e-6)], "global b");
  // Under the threshold nothing changes, and the tensors are new.
  const g2 = clipGradients(grads, { clipglobalnorm: 10, clipnorm: null, clipvalue: null });
  near(g2.a.dataSync(), [3, 0], "unclipped");
  ok(g2.a !== grads.a);
  // clipnorm is a global norm in Ludwig (clip_grad_norm_ over every parameter).
  const g3 = clipGradients(grads, { clipglobalnorm: null, clipnorm: 2.5, clipvalue: null });
  near(g3.a.dataSync(), [3 * 2.5 / (5 + 1e-6), 0], "clipnorm a");
  const g4 = clipGradients(grads, { clipglobalnorm: null, clipnorm: null, clipvalue: 1 });
  near(g4.a.dataSync(), [1, 0], "value a");
  near(g4.b.dataSync(), [0, 1], "value b");
  const g5 = clipGradients(grads, { clipglobalnorm: 2.5, clipnorm: null, clipvalue: 1 });
  near(g5.a.dataSync(), [1, 0], "both a"); // 1.5 -> 1
  tf.dispose([g1, g2, g3, g4, g5, grads]);
  equal(tf.memory().numTensors, before);
});
