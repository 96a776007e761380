/**
 * A fused dense layer for training: `activation(x·w + bias)` as one kernel forward and one
 * kernel backward on the `native` backend, where tfjs records a dense layer under a gradient
 * tape as a product, a bias add and an activation (and their gradients as a dozen kernels).
 *
 * {@linkcode FastDense} is tfjs's `Dense` layer (same config, weights and class name
 * `"Dense"`, so saved models are ordinary TF.js layers models); it takes the fused path for
 * 2-D float32 inputs with a `linear` or `relu` activation when the current backend has the
 * fused kernels, and is exactly tfjs's `Dense` otherwise.
 *
 * @example A dense layer that trains with fused kernels on `native`
 * ```ts ignore
 * import { tf } from "./mod.ts";
 * import { fastDense } from "./dense.ts";
 *
 * const x = tf.input({ shape: [8] });
 * const y = fastDense({ units: 4, activation: "relu" }).apply(x) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: x, outputs: y });
 * ```
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import { DENSE_GRAD_KERNEL, DENSE_KERNEL } from "./_kernels_dense.ts";

/** Whether the current backend runs the fused dense kernels. */
export function fusedDenseAvailable(): boolean {
  return tf.getKernel(DENSE_KERNEL, tf.getBackend()) != null;
}

let gradientRegistered = false;

function registerDenseGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: DENSE_KERNEL,
    inputsToSave: ["x", "w"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved;
      const grads = tf.engine().runKernel(
        DENSE_GRAD_KERNEL,
        { dy: dy as tf.Tensor, x, w, y },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      const [dx, dw, db] = grads;
      const out: Record<string, () => tf.Tensor> = { x: () => dx, w: () => dw };
      if (db) out.bias = () => db;
      return out;
    },
  });
}

/**
 * `activation(x·w + bias)` for x [n, k], w [k, m], bias [m], with its gradient, as single
 * kernels; needs {@linkcode fusedDenseAvailable} (the `native` backend).
 */
export function fusedDense(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  bias: tf.Tensor1D | undefined,
  activation: "linear" | "relu",
): tf.Tensor2D {
  registerDenseGradient();
  const inputs: tf.NamedTensorMap = { x, w };
  if (bias) inputs.bias = bias;
  return tf.engine().runKernel(DENSE_KERNEL, inputs, {
    activation,
    hasBias: bias !== undefined,
  }) as tf.Tensor2D;
}

type DenseArgs = Parameters<typeof tf.layers.dense>[0];

// tfjs does not export the Dense class itself; its layers are instances of it.
const DenseBase = Object.getPrototypeOf(tf.layers.dense({ units: 1 })).constructor as {
  new (args: DenseArgs): tf.layers.Layer;
};

interface DenseInternals {
  activation: { getClassName(): string };
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): void;
}

/** tfjs's `Dense` with fused kernels on backends that have them (class name `"Dense"`). */
export class FastDense extends DenseBase {
  /** Serialization name: tfjs's Dense, so saved models load anywhere. */
  static className = "Dense";

  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: Record<string, unknown>,
  ): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as DenseInternals;
    const activation = self.activation.getClassName();
    if (
      x.rank === 2 && x.dtype === "float32" &&
      (activation === "relu" || activation === "linear") && fusedDenseAvailable()
    ) {
      self.invokeCallHook(inputs, kwargs);
      return fusedDense(
        x as tf.Tensor2D,
        self.kernel.read() as tf.Tensor2D,
        self.bias ? self.bias.read() as tf.Tensor1D : undefined,
        activation,
      );
    }
    return super.call(inputs, kwargs);
  }
}
// Models saved with Dense layers load as FastDense in this process (same layer otherwise).
tf.serialization.registerClass(
  FastDense as unknown as tf.serialization.SerializableConstructor<
    tf.serialization.Serializable
  >,
);

/** A {@linkcode FastDense} layer, with the arguments of `tf.layers.dense`. */
export function fastDense(args: DenseArgs): tf.layers.Layer {
  return new FastDense(args);
}
