import assert from "node:assert/strict";
import { BlasNotFoundError, openBlas, probeBlas } from "../../lib/compute/_blas.ts";
import { NO_BLAS } from "./_compare.ts";

Deno.test("probeBlas() reports the libraries it tried when a path does not open", () => {
  const probe = probeBlas("/nonexistent/libnothing.so");
  // A BLAS opened earlier in this process is reused whatever the path.
  if (probe.ok) return;
  assert.ok(probe.error instanceof BlasNotFoundError);
  assert.equal(probe.error.tried[0].path, "/nonexistent/libnothing.so");
  assert.match(
    probe.error.message,
    /^Cannot open a BLAS library: tried "\/nonexistent\/libnothing\.so"/,
  );
});

Deno.test({
  name: "sgemm computes row-major products with transposes, views and beta",
  ignore: NO_BLAS !== undefined,
  fn() {
    const { sgemm } = openBlas();
    // A = [[1, 2, 3], [4, 5, 6]], B = [[1, 0], [0, 1], [1, 1]]
    const a = new Float32Array([9, 1, 2, 3, 4, 5, 6]).subarray(1);
    const b = new Float32Array([1, 0, 0, 1, 1, 1]);
    const c = new Float32Array(4);
    sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2);
    assert.deepEqual([...c], [4, 5, 10, 11]);
    // Aᵀ stored as 3×2, Bᵀ stored as 2×3; beta = 1 accumulates.
    const at = new Float32Array([1, 4, 2, 5, 3, 6]);
    const bt = new Float32Array([1, 0, 1, 0, 1, 1]);
    sgemm(true, true, 2, 2, 3, 1, at, 2, bt, 3, 1, c, 2);
    assert.deepEqual([...c], [8, 10, 20, 22]);
    // k = 0 gives beta·C.
    sgemm(false, false, 2, 2, 0, 1, a, 3, b, 2, 0, c, 2);
    assert.deepEqual([...c], [0, 0, 0, 0]);
  },
});

Deno.test({
  name: "openBlas() applies a thread count and rejects a bad one",
  ignore: NO_BLAS !== undefined,
  fn() {
    const blas = openBlas({ threads: 1 });
    assert.ok(blas.threads === 1 || blas.threads === 0);
    assert.throws(
      () => openBlas({ threads: 0 }),
      /Cannot set BLAS threads: expected an integer >= 1, received 0/,
    );
  },
});
