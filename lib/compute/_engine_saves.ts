/**
 * Private: cheaper saved tensors for the gradient tape on the `native` backend.
 *
 * Under a tape, tfjs's engine keeps each kernel's inputs and outputs that the gradient needs
 * by `clone()`: an `Identity` kernel run through the whole kernel machinery, plus an
 * `Identity` node on the tape that backpropagation then filters out again. A W1 training
 * step saves ~70 tensors that way. On the `native` backend (the cpu backend's storage,
 * where `Identity` only increments the data's reference count) the saved tensor is made
 * directly: the reference count incremented, a tensor over the same data, kept. Values and
 * gradients are unchanged; the difference is that no tape node records the copy, which only
 * matters when a gradient is itself differentiated (then the engine's own clone is used).
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";

interface EngineInternals {
  backendName: string;
  backend: { incRef(dataId: object): void };
  state: {
    gradientDepth: number;
    tensorInfo: { get(dataId: object): { backend: unknown } | undefined };
  };
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  makeTensorFromDataId(
    dataId: object,
    shape: number[],
    dtype: tf.DataType,
    backend?: unknown,
  ): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
}

let installed = false;

/** Installs the cheaper saves for the backend named `backendName` (once per process). */
export function installCheapSaves(backendName: string): void {
  if (installed) return;
  installed = true;
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.saveTensorsForBackwardMode;
  engine.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]) {
    // Nested gradients differentiate through the saved copies: keep the engine's clones.
    if (this.backendName !== backendName || this.state.gradientDepth > 1) {
      return original.call(this, tensors);
    }
    const backend = this.backend;
    const saved: tf.Tensor[] = new Array(tensors.length);
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i];
      const info = this.state.tensorInfo.get(t.dataId);
      if (info === undefined || info.backend !== backend) {
        saved[i] = original.call(this, [t])[0];
        continue;
      }
      backend.incRef(t.dataId);
      saved[i] = this.keep(this.makeTensorFromDataId(t.dataId, t.shape, t.dtype, backend));
    }
    return saved;
  };
}
