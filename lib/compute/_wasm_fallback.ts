/**
 * Private: the kernels tfjs-backend-wasm lacks (UnsortedSegmentSum, Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter/Input, Einsum, ...), registered for `wasm` as calls to
 * the cpu backend's kernel on copies of the inputs, so that a model chosen with
 * `compute: wasm` trains instead of failing with "Kernel ... not registered".
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";

interface DataBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object, force?: boolean): boolean;
}

let registered: string[] | undefined;

/**
 * Registers, once, a `wasm` kernel for every cpu kernel that `wasm` lacks; returns their
 * names. Each copies its inputs to the cpu backend, runs the cpu kernel there and copies the
 * outputs back.
 */
export function registerWasmFallbacks(): string[] {
  if (registered) return registered;
  const cpu = tf.findBackend("cpu") as unknown as DataBackend | null;
  if (!cpu) throw new Error("Cannot complete the wasm backend: the cpu backend is not registered");
  const have = new Set(tf.getKernelsForBackend("wasm").map((k) => k.kernelName));
  const added: string[] = [];
  for (const config of tf.getKernelsForBackend("cpu")) {
    if (have.has(config.kernelName)) continue;
    const cpuKernel = config.kernelFunc;
    tf.registerKernel({
      kernelName: config.kernelName,
      backendName: "wasm",
      kernelFunc: ({ inputs, backend, attrs }) => {
        const wasm = backend as unknown as DataBackend;
        const copies: tf.NamedTensorInfoMap = {};
        const temps: object[] = [];
        try {
          for (const [name, t] of Object.entries(inputs)) {
            if (!t) continue;
            const dataId = cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype);
            temps.push(dataId);
            copies[name] = { dataId, shape: t.shape, dtype: t.dtype };
          }
          const out = cpuKernel({
            inputs: copies,
            backend: cpu as unknown as tf.KernelBackend,
            attrs,
          });
          const outs = Array.isArray(out) ? out : [out];
          const back = outs.map((o) => {
            const values = cpu.readSync(o.dataId);
            if (!temps.includes(o.dataId)) temps.push(o.dataId);
            return { dataId: wasm.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
          });
          return Array.isArray(out) ? back : back[0];
        } finally {
          for (const dataId of temps) cpu.disposeData(dataId, true);
        }
      },
    });
    added.push(config.kernelName);
  }
  registered = added.sort();
  return registered;
}
