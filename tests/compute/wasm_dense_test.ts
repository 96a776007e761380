// The WebAssembly SIMD passes of the fused dense layer equal the JavaScript passes bit for bit,
// special values included (NaN, ±Infinity, −0).
import assert from "node:assert/strict";
import { wasmBiasRelu, wasmReluGradBias } from "../../lib/compute/_wasm_dense.ts";

function values(n: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648 - 0.5) * 4;
  }
  out.set([NaN, Infinity, -Infinity, -0, 0, 3e38, -3e38], 0);
  return out;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

for (const [n, m] of [[7, 12], [70, 128]]) {
  Deno.test(`wasmBiasRelu equals the JavaScript bias + relu pass (${n}×${m})`, () => {
    const y = values(n * m, 1);
    const b = values(m, 2).reverse();
    const expected = new Float32Array(n * m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const v = y[i * m + j] + b[j];
        const r = (v + Math.abs(v)) * 0.5;
        expected[i * m + j] = r === r ? r : v === -Infinity ? 0 : r;
      }
    }
    assert.ok(wasmBiasRelu(y, b, n, m));
    assert.deepEqual(bits(y), bits(expected));
    assert.equal(wasmBiasRelu(new Float32Array(6), new Float32Array(3), 2, 3), false);
  });
}

for (const [n, m] of [[9, 8], [70, 128]]) {
  Deno.test(`wasmReluGradBias equals the JavaScript relu-gradient and bias sums (${n}×${m})`, () => {
    const dy = values(n * m, 3);
    const y = values(n * m, 4).map((v, i) => (i % 3 === 0 ? 0 : Math.max(v, 0)));
    const g = new Float32Array(n * m);
    const db = new Float32Array(m);
    const expectedG = new Float32Array(n * m);
    const expectedDb = new Float32Array(m);
    const yi = new Int32Array(y.buffer);
    const di = new Int32Array(dy.buffer);
    const gi = new Int32Array(expectedG.buffer);
    for (let i = 0; i < n * m; i++) {
      const b = yi[i];
      gi[i] = di[i] & -((b | -b) >>> 31);
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) expectedDb[j] += expectedG[i * m + j];
    assert.ok(wasmReluGradBias(g, db, dy, y, n, m));
    assert.deepEqual(bits(g), bits(expectedG));
    assert.deepEqual(bits(db), bits(expectedDb));
  });
}

Deno.test("the SIMD passes decline rows too wide for their fixed memory (it never grows)", () => {
  const m = 20_000; // 3 rows of m floats and m sums exceed the 256 KiB memory
  const a = new Float32Array(m);
  assert.equal(wasmReluGradBias(new Float32Array(m), new Float32Array(m), a, a, 1, m), false);
});
