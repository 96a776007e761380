/**
 * Reading tensors back to the host without synchronous reads.
 *
 * On a GPU engine every read of device memory waits for the queue to drain and copies through a
 * staging buffer; on `webgpu` under Deno a synchronous read (`dataSync`, `arraySync`) cannot
 * work at all (its OffscreenCanvas has no 2-D context). Code on the training, evaluation and
 * prediction paths therefore reads with {@linkcode readAll}: asynchronously, and on GPU engines
 * as one transfer for all the float32 tensors it is given.
 *
 * @example Read a loss and logits together
 * ```ts
 * import { readAll, tf } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * await tf.setBackend("cpu");
 * const [loss, logits] = await readAll([tf.scalar(0.5), tf.tensor2d([[1, 2], [3, 4]])]);
 * assert.equal(loss[0], 0.5);
 * assert.deepEqual(Array.from(logits), [1, 2, 3, 4]);
 * ```
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";

/** The host values of a tensor, as `Tensor.data()` returns them. */
export type HostValues = Float32Array | Int32Array | Uint8Array;

/** Whether the current backend keeps tensor data on a GPU, where each read is a transfer. */
export function onDevice(): boolean {
  return tf.getBackend() === "webgpu" || tf.getBackend() === "webgl";
}

/**
 * Reads the values of `tensors`, in order. On a GPU backend the float32 tensors among them are
 * flattened and concatenated on the device and read as one transfer (the copies are exact);
 * others are read one by one. The tensors are not disposed.
 *
 * @param tensors the tensors to read (any shapes; strings are not supported)
 * @param options `pack`: concatenate the float32 tensors into one read (default: on GPU backends)
 * @returns one typed array per tensor (a view into a shared buffer when packed)
 * @throws {TypeError} when a tensor is a string tensor
 */
export async function readAll(
  tensors: readonly tf.Tensor[],
  options: { pack?: boolean } = {},
): Promise<HostValues[]> {
  for (const t of tensors) {
    if (t.dtype === "string") {
      throw new TypeError("Cannot read a string tensor with readAll: expected numeric tensors");
    }
  }
  const floats = tensors.filter((t) => t.dtype === "float32");
  if (!(options.pack ?? onDevice()) || floats.length < 2) {
    return await Promise.all(tensors.map((t) => t.data() as Promise<HostValues>));
  }
  const packed = tf.tidy(() => tf.concat(floats.map((t) => t.reshape([-1])), 0));
  let all: Float32Array;
  try {
    all = await packed.data() as Float32Array;
  } finally {
    packed.dispose();
  }
  let at = 0;
  return await Promise.all(tensors.map((t) => {
    if (t.dtype !== "float32") return t.data() as Promise<HostValues>;
    const part = all.subarray(at, at + t.size);
    at += t.size;
    return Promise.resolve(part);
  }));
}
