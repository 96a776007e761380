/**
 * Optimizers of the trainer's `optimizer` block with PyTorch's update rules (Ludwig trains with
 * `torch.optim`), as `tf.Optimizer` subclasses whose state can be saved and restored
 * (`getWeights`/`setWeights`) and whose learning rate a schedule sets before each step
 * (`setLearningRate`), plus Ludwig's gradient clipping.
 *
 * | type | update (g = gradient + weight_decay × param, except adamw and ftrl) |
 * |---|---|
 * | sgd | `torch.optim.SGD`: momentum buffer (first step: the gradient), dampening, nesterov |
 * | adam | `torch.optim.Adam` (L2 weight decay, amsgrad); plain Adam runs the fused kernel of `lib/compute` |
 * | adamw | `torch.optim.AdamW`: decoupled decay `p ← p (1 − lr·wd)` then Adam |
 * | adadelta | `torch.optim.Adadelta` (rho, eps; lr scales the step) |
 * | adagrad | `torch.optim.Adagrad`: `lr / (1 + (t − 1) lr_decay)`, accumulator starts at initial_accumulator_value |
 * | adamax | `torch.optim.Adamax`: `u ← max(β₂u, |g| + eps)` |
 * | nadam | `torch.optim.NAdam` with momentum_decay |
 * | rmsprop | `torch.optim.RMSprop` (alpha, momentum, centered) |
 * | ftrl | Keras/TensorFlow FTRL-proximal (PyTorch has none; Ludwig 0.7 listed it without an implementation) |
 * | lbfgs | rejected by config validation: it needs a closure that re-evaluates the loss |
 *
 * @example One SGD step
 * ```ts
 * import { tf } from "../compute/mod.ts";
 * import { createOptimizer } from "./optimizers.ts";
 * import assert from "node:assert/strict";
 *
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.tensor1d([1, 2]), true, "doc_sgd_w");
 * const opt = createOptimizer({ type: "sgd", momentum: 0, weight_decay: 0, dampening: 0, nesterov: false }, 0.1);
 * opt.applyGradients({ doc_sgd_w: tf.tensor1d([1, 1]) });
 * assert.deepEqual(Array.from(w.dataSync()).map((v) => Math.round(v * 10) / 10), [0.9, 1.9]);
 * opt.dispose();
 * w.dispose();
 * ```
 *
 * @module
 */
import type { z } from "npm:zod@4.6.7";
import { FusedAdamOptimizer, onDevice, tf } from "../compute/mod.ts";
import type { GradientClippingSchema, OPTIMIZERS } from "../config/trainer.ts";

type Tensor = tf.Tensor;
type NamedTensorMap = Record<string, Tensor>;
type NamedTensor = { name: string; tensor: Tensor };

/** The resolved `optimizer` block of a trainer config. */
export type OptimizerConfig = z.output<(typeof OPTIMIZERS)[number]>;

/** The resolved `gradient_clipping` block. */
export type GradientClippingConfig = z.output<typeof GradientClippingSchema>;

/** An optimizer whose learning rate can change between steps. */
export type Optimizer = tf.Optimizer & {
  /** Sets the learning rate of the next steps. */
  setLearningRate(learningRate: number): void;
  /** The learning rate of the next step. */
  getLearningRate(): number;
};

/** The state of one variable: its slot tensors and, for some rules, scalars. */
interface VariableState {
  slots: tf.Variable[];
  scalars: Record<string, number>;
}

/** What an update rule returns for one variable. */
interface RuleResult {
  param: Tensor;
  slots: Tensor[];
}

/** One optimizer's per-variable update, in PyTorch's terms. */
interface UpdateRule {
  /** Slot names, in the order `update` receives and returns them. */
  slots: readonly string[];
  /** Initial value of each slot. */
  initial?: Readonly<Record<string, number>>;
  /** Scalars kept per variable besides `step`, with initial values. */
  scalars?: Readonly<Record<string, number>>;
  /**
   * The new parameter and slots; `scalars.step` is already incremented (1 on the first step)
   * and the function may update other scalars in place.
   */
  update(
    param: Tensor,
    grad: Tensor,
    slots: Tensor[],
    scalars: Record<string, number>,
    lr: number,
  ): RuleResult;
}

/**
 * A `tf.Optimizer` running an {@linkcode UpdateRule} on each variable. Its weights are the
 * iteration count followed by, per variable, `<variable>/<slot>` tensors and
 * `<variable>/<scalar>` scalars, so a restored optimizer continues identically.
 */
export class RuleOptimizer extends tf.Optimizer {
  #lr: number;
  readonly #rule: UpdateRule;
  readonly #className: string;
  readonly #config: Record<string, unknown>;
  readonly #state = new Map<string, VariableState>();
  #exported: Tensor[] = [];

  /** The class name used by tfjs serialization. */
  static get className(): string {
    return "SonataRuleOptimizer";
  }

  /** Builds an optimizer from a rule, a learning rate and its config (kept for getConfig). */
  constructor(
    rule: UpdateRule,
    learningRate: number,
    className: string,
    config: Record<string, unknown>,
  ) {
    super();
    this.#rule = rule;
    this.#lr = learningRate;
    this.#className = className;
    this.#config = config;
  }

  /** Sets the learning rate of the next steps. */
  setLearningRate(learningRate: number): void {
    this.#lr = learningRate;
  }

  /** The learning rate of the next step. */
  getLearningRate(): number {
    return this.#lr;
  }

  #stateOf(name: string, like: Tensor): VariableState {
    let state = this.#state.get(name);
    if (!state) {
      const initial = this.#rule.initial ?? {};
      state = {
        slots: this.#rule.slots.map((slot) =>
          tf.tidy(() => tf.fill(like.shape, initial[slot] ?? 0, "float32").variable(false))
        ),
        scalars: { step: 0, ...this.#rule.scalars },
      };
      this.#state.set(name, state);
    }
    return state;
  }

  /** Applies one step to the variables named in `variableGradients`. */
  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const entries: Array<[string, Tensor]> = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor])
      : Object.entries(variableGradients);
    for (const [name, grad] of entries) {
      if (grad == null) continue;
      const variable = tf.engine().registeredVariables[name];
      if (!variable) {
        throw new TypeError(`Cannot apply gradients: no variable named "${name}"`);
      }
      const state = this.#stateOf(name, variable);
      state.scalars.step += 1;
      tf.tidy(() => {
        const result = this.#rule.update(
          variable,
          grad,
          state.slots,
          state.scalars,
          this.#lr,
        );
        result.slots.forEach((t, i) => state.slots[i].assign(t));
        variable.assign(result.param);
      });
    }
    this.incrementIterations();
  }

  /**
   * The iteration count, then each variable's slots and scalars. The scalar tensors stay
   * valid until the next call or `dispose()`.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.#exported.forEach((t) => t.dispose());
    const iterations = await this.saveIterations();
    this.#exported = [iterations.tensor];
    const out: NamedTensor[] = [iterations];
    for (const [name, state] of this.#state) {
      state.slots.forEach((slot, i) => {
        out.push({ name: `${name}/${this.#rule.slots[i]}`, tensor: slot });
      });
      for (const [key, value] of Object.entries(state.scalars)) {
        const tensor = tf.scalar(value, "float32");
        this.#exported.push(tensor);
        out.push({ name: `${name}/${key}`, tensor });
      }
    }
    return out;
  }

  /** Restores what {@linkcode getWeights} returned. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const byName = new Map(rest.map((w) => [w.name, w.tensor]));
    const names = new Set<string>();
    for (const w of rest) names.add(w.name.slice(0, w.name.lastIndexOf("/")));
    for (const name of names) {
      const old = this.#state.get(name);
      old?.slots.forEach((s) => s.dispose());
      const slots = this.#rule.slots.map((slot) => {
        const t = byName.get(`${name}/${slot}`);
        if (!t) {
          throw new TypeError(`Cannot restore optimizer state: missing "${name}/${slot}"`);
        }
        return tf.tidy(() => t.clone().variable(false));
      });
      const scalars: Record<string, number> = { step: 0, ...this.#rule.scalars };
      for (const key of Object.keys(scalars)) {
        const t = byName.get(`${name}/${key}`);
        if (t) scalars[key] = (await t.data())[0];
      }
      this.#state.set(name, { slots, scalars });
    }
  }

  /** Releases the slot variables. */
  override dispose(): void {
    for (const state of this.#state.values()) state.slots.forEach((s) => s.dispose());
    this.#state.clear();
    this.#exported.forEach((t) => t.dispose());
    this.#exported = [];
    super.dispose();
  }

  /** The optimizer's type-specific config and learning rate. */
  getConfig(): tf.serialization.ConfigDict {
    return {
      ...(this.#config as tf.serialization.ConfigDict),
      className: this.#className,
      learningRate: this.#lr,
    };
  }
}

/** tfjs's Adam with the fused kernel, plus a settable learning rate (PyTorch Adam without decay). */
class FusedAdam extends FusedAdamOptimizer {
  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }
  getLearningRate(): number {
    return this.learningRate;
  }
  /**
   * Restores the moments, then rebuilds the running beta powers as float32 products, as the
   * steps made them (tfjs recomputes them with `pow`, which can differ by one ulp and make a
   * resumed run drift from an uninterrupted one).
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    await super.setWeights(weightValues);
    const state = this as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
    const product = (beta: number) => {
      const b = Math.fround(beta);
      let acc = b;
      for (let i = 0; i < this.iterations; i++) acc = Math.fround(acc * b);
      return acc;
    };
    tf.tidy(() => {
      state.accBeta1.assign(tf.scalar(product(this.beta1)));
      state.accBeta2.assign(tf.scalar(product(this.beta2)));
    });
  }
}

const withDecay = (param: Tensor, grad: Tensor, weightDecay: number): Tensor =>
  weightDecay !== 0 ? tf.add(grad, tf.mul(param, weightDecay)) : grad;

function sgdRule(c: Extract<OptimizerConfig, { type: "sgd" }>): UpdateRule {
  if (c.nesterov && (c.momentum <= 0 || c.dampening !== 0)) {
    throw new RangeError(
      "Cannot create optimizer sgd: nesterov needs momentum > 0 and dampening 0",
    );
  }
  const useMomentum = c.momentum !== 0;
  return {
    slots: useMomentum ? ["momentum_buffer"] : [],
    update(p, g, slots, s, lr) {
      let d = withDecay(p, g, c.weight_decay);
      const out: Tensor[] = [];
      if (useMomentum) {
        const buf = s.step === 1
          ? d
          : tf.add(tf.mul(slots[0], c.momentum), tf.mul(d, 1 - c.dampening));
        out.push(buf);
        d = c.nesterov ? tf.add(d, tf.mul(buf, c.momentum)) : buf;
      }
      return { param: tf.sub(p, tf.mul(d, lr)), slots: out };
    },
  };
}

function adamRule(
  c: {
    betas: readonly [number, number] | number[];
    eps: number;
    weight_decay: number;
    amsgrad: boolean;
  },
  decoupled: boolean,
): UpdateRule {
  const [b1, b2] = c.betas;
  return {
    slots: c.amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"],
    update(p, g, slots, s, lr) {
      let param = p;
      let grad = g;
      if (decoupled) param = tf.mul(p, 1 - lr * c.weight_decay);
      else grad = withDecay(p, g, c.weight_decay);
      const m = tf.add(tf.mul(slots[0], b1), tf.mul(grad, 1 - b1));
      const v = tf.add(tf.mul(slots[1], b2), tf.mul(tf.square(grad), 1 - b2));
      const bc1 = 1 - b1 ** s.step;
      const bc2Sqrt = Math.sqrt(1 - b2 ** s.step);
      const out = [m, v];
      let second = v;
      if (c.amsgrad) {
        second = tf.maximum(slots[2], v);
        out.push(second);
      }
      const denom = tf.add(tf.div(tf.sqrt(second), bc2Sqrt), c.eps);
      return { param: tf.sub(param, tf.mul(tf.div(m, denom), lr / bc1)), slots: out };
    },
  };
}

function adadeltaRule(c: Extract<OptimizerConfig, { type: "adadelta" }>): UpdateRule {
  return {
    slots: ["square_avg", "acc_delta"],
    update(p, g, slots, _s, lr) {
      const grad = withDecay(p, g, c.weight_decay);
      const sq = tf.add(tf.mul(slots[0], c.rho), tf.mul(tf.square(grad), 1 - c.rho));
      const std = tf.sqrt(tf.add(sq, c.eps));
      const delta = tf.mul(tf.div(tf.sqrt(tf.add(slots[1], c.eps)), std), grad);
      const acc = tf.add(tf.mul(slots[1], c.rho), tf.mul(tf.square(delta), 1 - c.rho));
      return { param: tf.sub(p, tf.mul(delta, lr)), slots: [sq, acc] };
    },
  };
}

function adagradRule(c: Extract<OptimizerConfig, { type: "adagrad" }>): UpdateRule {
  return {
    slots: ["sum"],
    initial: { sum: c.initial_accumulator_value },
    update(p, g, slots, s, lr) {
      const grad = withDecay(p, g, c.weight_decay);
      const clr = lr / (1 + (s.step - 1) * c.lr_decay);
      const sum = tf.add(slots[0], tf.square(grad));
      const std = tf.add(tf.sqrt(sum), c.eps);
      return { param: tf.sub(p, tf.mul(tf.div(grad, std), clr)), slots: [sum] };
    },
  };
}

function adamaxRule(c: Extract<OptimizerConfig, { type: "adamax" }>): UpdateRule {
  const [b1, b2] = c.betas;
  return {
    slots: ["exp_avg", "exp_inf"],
    update(p, g, slots, s, lr) {
      const grad = withDecay(p, g, c.weight_decay);
      const m = tf.add(tf.mul(slots[0], b1), tf.mul(grad, 1 - b1));
      const u = tf.maximum(tf.mul(slots[1], b2), tf.add(tf.abs(grad), c.eps));
      const clr = lr / (1 - b1 ** s.step);
      return { param: tf.sub(p, tf.mul(tf.div(m, u), clr)), slots: [m, u] };
    },
  };
}

function nadamRule(c: Extract<OptimizerConfig, { type: "nadam" }>): UpdateRule {
  const [b1, b2] = c.betas;
  return {
    slots: ["exp_avg", "exp_avg_sq"],
    scalars: { mu_product: 1 },
    update(p, g, slots, s, lr) {
      const grad = withDecay(p, g, c.weight_decay);
      const t = s.step;
      const mu = b1 * (1 - 0.5 * 0.96 ** (t * c.momentum_decay));
      const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * c.momentum_decay));
      s.mu_product *= mu;
      const m = tf.add(tf.mul(slots[0], b1), tf.mul(grad, 1 - b1));
      const v = tf.add(tf.mul(slots[1], b2), tf.mul(tf.square(grad), 1 - b2));
      const denom = tf.add(tf.sqrt(tf.div(v, 1 - b2 ** t)), c.eps);
      const step1 = tf.mul(tf.div(grad, denom), (lr * (1 - mu)) / (1 - s.mu_product));
      const step2 = tf.mul(tf.div(m, denom), (lr * muNext) / (1 - s.mu_product * muNext));
      return { param: tf.sub(tf.sub(p, step1), step2), slots: [m, v] };
    },
  };
}

function rmspropRule(c: Extract<OptimizerConfig, { type: "rmsprop" }>): UpdateRule {
  const slots = ["square_avg"];
  if (c.centered) slots.push("grad_avg");
  if (c.momentum > 0) slots.push("momentum_buffer");
  return {
    slots,
    update(p, g, st, _s, lr) {
      const grad = withDecay(p, g, c.weight_decay);
      const sq = tf.add(tf.mul(st[0], c.alpha), tf.mul(tf.square(grad), 1 - c.alpha));
      const out = [sq];
      let avg: Tensor;
      if (c.centered) {
        const ga = tf.add(tf.mul(st[1], c.alpha), tf.mul(grad, 1 - c.alpha));
        out.push(ga);
        avg = tf.add(tf.sqrt(tf.sub(sq, tf.square(ga))), c.eps);
      } else {
        avg = tf.add(tf.sqrt(sq), c.eps);
      }
      if (c.momentum > 0) {
        const buf = tf.add(tf.mul(st[out.length], c.momentum), tf.div(grad, avg));
        out.push(buf);
        return { param: tf.sub(p, tf.mul(buf, lr)), slots: out };
      }
      return { param: tf.sub(p, tf.mul(tf.div(grad, avg), lr)), slots: out };
    },
  };
}

function ftrlRule(c: Extract<OptimizerConfig, { type: "ftrl" }>): UpdateRule {
  const power = c.learning_rate_power;
  const l1 = c.l1_regularization_strength;
  const l2 = c.l2_regularization_strength;
  return {
    slots: ["accumulator", "linear"],
    initial: { accumulator: c.initial_accumulator_value, linear: 0 },
    update(p, g, slots, _s, lr) {
      const accum = slots[0];
      const newAccum = tf.add(accum, tf.square(g));
      const sigma = tf.div(tf.sub(tf.pow(newAccum, -power), tf.pow(accum, -power)), lr);
      const linear = tf.sub(tf.add(slots[1], g), tf.mul(sigma, p));
      const quadratic = tf.add(tf.div(tf.pow(newAccum, -power), lr), 2 * l2);
      const param = tf.div(tf.sub(tf.clipByValue(linear, -l1, l1), linear), quadratic);
      return { param, slots: [newAccum, linear] };
    },
  };
}

/** How each optimizer type is built. */
const OPTIMIZER_BUILDERS: {
  [T in OptimizerConfig["type"]]: (
    config: Extract<OptimizerConfig, { type: T }>,
    learningRate: number,
  ) => Optimizer;
} = {
  sgd: (c, lr) => new RuleOptimizer(sgdRule(c), lr, "SonataSGD", c),
  adam: (c, lr) =>
    c.weight_decay === 0 && !c.amsgrad
      ? new FusedAdam(lr, c.betas[0], c.betas[1], c.eps)
      : new RuleOptimizer(adamRule(c, false), lr, "SonataAdam", c),
  adamw: (c, lr) => new RuleOptimizer(adamRule(c, true), lr, "SonataAdamW", c),
  adadelta: (c, lr) => new RuleOptimizer(adadeltaRule(c), lr, "SonataAdadelta", c),
  adagrad: (c, lr) => new RuleOptimizer(adagradRule(c), lr, "SonataAdagrad", c),
  adamax: (c, lr) => new RuleOptimizer(adamaxRule(c), lr, "SonataAdamax", c),
  nadam: (c, lr) => new RuleOptimizer(nadamRule(c), lr, "SonataNAdam", c),
  rmsprop: (c, lr) => new RuleOptimizer(rmspropRule(c), lr, "SonataRMSprop", c),
  ftrl: (c, lr) => new RuleOptimizer(ftrlRule(c), lr, "SonataFtrl", c),
};

/**
 * Makes the optimizer of a resolved `optimizer` block.
 *
 * @param config the resolved `trainer.optimizer` (every parameter present)
 * @param learningRate the initial learning rate (schedules change it with `setLearningRate`)
 * @returns the optimizer
 * @throws {TypeError} for an unknown type
 *
 * @example Adam with weight decay, then a new learning rate
 * ```ts
 * import { createOptimizer } from "./optimizers.ts";
 * import assert from "node:assert/strict";
 *
 * const opt = createOptimizer(
 *   { type: "adam", betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01, amsgrad: false },
 *   1e-3,
 * );
 * opt.setLearningRate(5e-4);
 * assert.equal(opt.getLearningRate(), 5e-4);
 * opt.dispose();
 * ```
 */
export function createOptimizer(config: OptimizerConfig, learningRate: number): Optimizer {
  const build = OPTIMIZER_BUILDERS[config.type] as
    | ((c: OptimizerConfig, lr: number) => Optimizer)
    | undefined;
  if (!build) {
    throw new TypeError(
      `Cannot create optimizer "${config.type}": expected one of ${
        Object.keys(OPTIMIZER_BUILDERS).map((t) => `"${t}"`).join(", ")
      }`,
    );
  }
  if (!(learningRate >= 0) || !Number.isFinite(learningRate)) {
    throw new RangeError(
      `Cannot create optimizer "${config.type}": expected a learning rate >= 0, received ${learningRate}`,
    );
  }
  return build(config, learningRate);
}

/**
 * Ludwig's gradient clipping (`Trainer.clip_grads`), in order: `clipglobalnorm` and then
 * `clipnorm` each scale all gradients together by `min(1, max / (‖all gradients‖₂ + 1e-6))`
 * (`torch.nn.utils.clip_grad_norm_` over every parameter: in Ludwig `clipnorm` is a global
 * norm too), then `clipvalue` clamps each element to `[-clipvalue, clipvalue]`. Null or 0 skips
 * a step.
 *
 * Every returned tensor is new (also when nothing was clipped): dispose the inputs and the
 * outputs independently.
 *
 * @param grads gradients by variable name
 * @param clipping the resolved `gradient_clipping` block
 * @returns the clipped gradients
 *
 * @example Clip the global norm
 * ```ts
 * import { tf } from "../compute/mod.ts";
 * import { clipGradients } from "./optimizers.ts";
 * import assert from "node:assert/strict";
 *
 * await tf.setBackend("cpu");
 * const out = clipGradients({ a: tf.tensor1d([3, 4]) }, { clipglobalnorm: 1, clipnorm: null, clipvalue: null });
 * assert.ok(Math.abs(out.a.dataSync()[0] - 0.6) < 1e-5);
 * ```
 */
export function clipGradients(
  grads: NamedTensorMap,
  clipping: Partial<GradientClippingConfig>,
): NamedTensorMap {
  return tf.tidy(() => {
    let current: NamedTensorMap = { ...grads };
    for (const max of [clipping.clipglobalnorm, clipping.clipnorm]) {
      if (!max) continue;
      const names = Object.keys(current);
      if (names.length === 0) continue;
      if (onDevice()) {
        // On a GPU the norm and the scale stay on the device: no read, so no wait for the queue.
        const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(current[n])))));
        const coef = tf.minimum(tf.div(max, tf.add(norm, 1e-6)), 1);
        const next: NamedTensorMap = {};
        for (const n of names) next[n] = tf.mul(current[n], coef);
        current = next;
        continue;
      }
      // The norm is summed on the host: one read per gradient instead of two kernels each, and
      // no multiplies at all when the norm is already within bounds (the common case).
      let sumOfSquares = 0;
      for (const n of names) {
        const values = current[n].dataSync();
        for (let i = 0; i < values.length; i++) sumOfSquares += values[i] * values[i];
      }
      const coef = Math.min(max / (Math.sqrt(sumOfSquares) + 1e-6), 1);
      if (coef >= 1) continue;
      const next: NamedTensorMap = {};
      for (const n of names) next[n] = tf.mul(current[n], coef);
      current = next;
    }
    if (clipping.clipvalue) {
      const v = clipping.clipvalue;
      const next: NamedTensorMap = {};
      for (const [n, g] of Object.entries(current)) next[n] = tf.clipByValue(g, -v, v);
      current = next;
    }
    const out: NamedTensorMap = {};
    for (const [n, g] of Object.entries(current)) out[n] = g === grads[n] ? tf.clone(g) : g;
    return out;
  });
}
