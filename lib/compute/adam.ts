/**
 * A drop-in replacement for `tf.train.adam` whose update runs as one kernel per variable
 * on the `cpu` and `native` backends (on other backends it is tfjs's AdamOptimizer).
 *
 * The saved state (`getWeights`/`setWeights`), the class name (`"Adam"`) and the
 * arithmetic are those of tfjs's AdamOptimizer, so checkpoints are interchangeable.
 *
 * @example Train one step
 * ```ts ignore
 * import { tf } from "./mod.ts";
 * import { fusedAdam } from "./adam.ts";
 *
 * const w = tf.variable(tf.ones([3]));
 * const optimizer = fusedAdam(0.01);
 * optimizer.minimize(() => w.square().sum() as tf.Scalar);
 * ```
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import { ADAM_KERNEL, adamKernels } from "./_kernels_adam.ts";

interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
}

/** Whether the fused kernel runs on a backend, registering it for `cpu` on first use. */
function fusedKernelFor(backendName: string): boolean {
  if (tf.getKernel(ADAM_KERNEL, backendName) != null) return true;
  if (backendName !== "cpu") return false;
  for (const config of adamKernels("cpu")) tf.registerKernel(config);
  return true;
}

/**
 * tfjs's AdamOptimizer with a one-pass update for float32 variables on the `cpu` and
 * `native` backends.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /** The class name used for serialization: the same as tfjs's Adam. */
  static override get className(): string {
    return "Adam";
  }

  /** Applies one Adam step to the variables named in `variableGradients`. */
  override applyGradients(
    variableGradients: Parameters<tf.AdamOptimizer["applyGradients"]>[0],
  ): void {
    if (!fusedKernelFor(tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        if (state.accumulatedFirstMoment[i] == null) {
          state.accumulatedFirstMoment[i] = {
            originalName: `${name}/m`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
        }
        if (state.accumulatedSecondMoment[i] == null) {
          state.accumulatedSecondMoment[i] = {
            originalName: `${name}/v`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
        }
        const gradient: tf.Tensor | undefined = Array.isArray(variableGradients)
          ? variableGradients[i].tensor
          : variableGradients[name];
        if (gradient == null) return;
        const m = state.accumulatedFirstMoment[i]!.variable;
        const v = state.accumulatedSecondMoment[i]!.variable;
        if (value.dtype !== "float32" || gradient.dtype !== "float32") {
          this.#unfusedStep(value, gradient, m, v, state);
          return;
        }
        const [x1, m1, v1] = tf.engine().runKernel(
          ADAM_KERNEL,
          { x: value, g: gradient, m, v, accBeta1: state.accBeta1, accBeta2: state.accBeta2 },
          {
            learningRate: this.learningRate,
            beta1: this.beta1,
            beta2: this.beta2,
            epsilon: this.epsilon,
          },
        ) as tf.Tensor[];
        m.assign(m1);
        v.assign(v1);
        value.assign(x1);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  #unfusedStep(
    value: tf.Variable,
    gradient: tf.Tensor,
    m: tf.Variable,
    v: tf.Variable,
    state: AdamState,
  ): void {
    const newM = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
    const newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
    const mHat = tf.div(newM, tf.sub(1, state.accBeta1));
    const vHat = tf.div(newV, tf.sub(1, state.accBeta2));
    m.assign(newM);
    v.assign(newV);
    value.assign(
      tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), -this.learningRate), value),
    );
  }
}

/**
 * Makes a {@linkcode FusedAdamOptimizer}, with the arguments and defaults of
 * `tf.train.adam`.
 *
 * @param learningRate step size (default 0.001)
 * @param beta1 decay of the first moment (default 0.9)
 * @param beta2 decay of the second moment (default 0.999)
 * @param epsilon added to the denominator (default: the backend's epsilon)
 * @returns the optimizer
 *
 * @example Use it with tf.layers
 * ```ts ignore
 * import { tf } from "./mod.ts";
 * import { fusedAdam } from "./adam.ts";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
 * model.compile({ optimizer: fusedAdam(0.001), loss: "meanSquaredError" });
 * ```
 */
export function fusedAdam(
  learningRate = 0.001,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon: number | null = null,
): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon as number);
}
