/**
 * Test helpers: run the same computation on the `cpu` and `native` backends and compare.
 *
 * @module
 */
import assert from "node:assert/strict";
import { probeBlas } from "../../lib/compute/_blas.ts";
import { registerNativeBackend, tf } from "../../lib/compute/mod.ts";
import { setMinParallelWork } from "../../lib/compute/_par.ts";

/**
 * Why the system-BLAS tests are skipped, or undefined when a system BLAS opens (never with
 * `SONATA_BLAS=none`, the setting the portable-sgemm run of these tests uses).
 */
export const NO_BLAS: string | undefined = (() => {
  const probe = probeBlas();
  return probe.ok ? undefined : `no BLAS library here (${probe.error.message})`;
})();

/**
 * Why the native kernel tests are skipped, or undefined when the native backend registers:
 * on the system BLAS when one opens, else on the portable WebAssembly sgemm.
 */
export const NO_NATIVE: string | undefined = (() => {
  try {
    registerNativeBackend();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
})();

if (NO_NATIVE) {
  // deno-lint-ignore no-console
  console.error(`tests/compute: skipping native kernel tests: ${NO_NATIVE}`);
}

/** Deterministic float32 values in [-1, 1) (a linear congruential generator). */
export function values(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** A deterministic float32 tensor. */
export function rand(shape: number[], seed = 1): tf.Tensor {
  return tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape);
}

type Result = tf.Tensor | tf.Tensor[];

function flatten(r: Result): tf.Tensor[] {
  return Array.isArray(r) ? r : [r];
}

/** The largest |a − b| over max |b|, the error measure of the comparisons. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
      continue;
    }
    if (x === y) continue;
    err = Math.max(err, Math.abs(x - y));
    scale = Math.max(scale, Math.abs(y));
  }
  for (let i = 0; i < b.length; i++) {
    if (Number.isFinite(b[i])) scale = Math.max(scale, Math.abs(b[i]));
  }
  return err === 0 ? 0 : err / Math.max(scale, 1e-30);
}

/**
 * Runs `f` on cpu and on native (each with fresh inputs built inside `f`), asserts equal
 * shapes and dtypes and values within `tol`, and that native leaks no tensor.
 */
export async function assertSameOnBackends(f: () => Result, tol = 1e-4, label = ""): Promise<void> {
  await tf.setBackend("cpu");
  const expected = tf.tidy(() =>
    flatten(f()).map((t) => ({ shape: t.shape, dtype: t.dtype, data: t.dataSync().slice() }))
  );
  await tf.setBackend("native");
  const before = tf.memory().numTensors;
  const actual = tf.tidy(() =>
    flatten(f()).map((t) => ({ shape: t.shape, dtype: t.dtype, data: t.dataSync().slice() }))
  );
  assert.equal(tf.memory().numTensors, before, `${label}: native leaked tensors`);
  assert.equal(actual.length, expected.length, `${label}: number of outputs`);
  for (let i = 0; i < actual.length; i++) {
    assert.deepEqual(actual[i].shape, expected[i].shape, `${label}: shape of output ${i}`);
    assert.equal(actual[i].dtype, expected[i].dtype, `${label}: dtype of output ${i}`);
    const err = relativeError(
      actual[i].data as ArrayLike<number>,
      expected[i].data as ArrayLike<number>,
    );
    assert.ok(err <= tol, `${label}: output ${i} differs from cpu: relative error ${err} > ${tol}`);
  }
}

export { tf };

/**
 * The kernel-thread tests use small shapes: split them from 2^17 elements of work (the
 * default, `MIN_PARALLEL_WORK`, is tuned for speed, not for these shapes).
 */
export function splitSmallShapes(): void {
  setMinParallelWork(1 << 17);
}
