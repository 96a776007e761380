/**
 * Private: the fused dense layer's elementwise passes in WebAssembly SIMD (see `_wasm.ts`).
 *
 * - {@linkcode wasmBiasRelu}: y ← max(y + b, 0) over the rows of y [n, m] (float32 adds, as
 *   the JavaScript pass rounds them; NaN stays NaN, −∞ gives 0).
 * - {@linkcode wasmReluGradBias}: g ← dy where y ≠ +0 (the bits of y), else +0, and
 *   db[j] ← Σ_i g[i, j] summed row by row (the JavaScript passes' order).
 *
 * Both need m to be a multiple of 4 (whole SIMD lanes per row) and return false otherwise or
 * without WebAssembly SIMD; the caller then runs its JavaScript loops.
 *
 * @module
 */
import { get, heapOf, I32, i32, instantiate, OP, set, V, V128, type WasmKernel } from "./_wasm.ts";

/**
 * Loops over rows (byte offset `row` up to `total`) and columns (byte offset `col` up to
 * `width`), running `inner` on each 16-byte group.
 */
function rowsAndColumns(
  row: number,
  col: number,
  total: number,
  width: number,
  inner: number[],
): number[] {
  return [
    ...i32(0),
    ...set(row),
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...get(row),
    ...get(total),
    OP.i32GeU,
    OP.brIf,
    1,
    ...i32(0),
    ...set(col),
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...get(col),
    ...get(width),
    OP.i32GeU,
    OP.brIf,
    1,
    ...inner,
    ...get(col),
    ...i32(16),
    OP.i32Add,
    ...set(col),
    OP.br,
    0,
    OP.end,
    OP.end,
    ...get(row),
    ...get(width),
    OP.i32Add,
    ...set(row),
    OP.br,
    0,
    OP.end,
    OP.end,
  ];
}

/** Address `base + row + col` (locals). */
const at = (base: number, row: number, col: number) => [
  ...get(base),
  ...get(row),
  OP.i32Add,
  ...get(col),
  OP.i32Add,
];

type BiasReluFn = (py: number, pb: number, total: number, width: number) => void;
type ReluGradFn = (
  pg: number,
  pdb: number,
  pdy: number,
  py: number,
  total: number,
  width: number,
) => void;

let biasRelu: WasmKernel<BiasReluFn> | null | undefined;
let reluGrad: WasmKernel<ReluGradFn> | null | undefined;

function biasReluKernel(): WasmKernel<BiasReluFn> | null {
  if (biasRelu !== undefined) return biasRelu;
  // Parameters 0 py, 1 pb, 2 total (bytes), 3 width (bytes); locals 4 row, 5 col, 6 zero.
  const inner = [
    ...at(0, 4, 5),
    ...at(0, 4, 5),
    ...V.load,
    ...get(1),
    ...get(5),
    OP.i32Add,
    ...V.load,
    ...V.f32x4Add,
    ...get(6),
    ...V.f32x4Max,
    ...V.store,
  ];
  biasRelu = instantiate<BiasReluFn>(
    [I32, I32, I32, I32],
    [[2, I32], [1, V128]],
    rowsAndColumns(4, 5, 2, 3, inner),
  );
  return biasRelu;
}

function reluGradKernel(): WasmKernel<ReluGradFn> | null {
  if (reluGrad !== undefined) return reluGrad;
  // Parameters 0 pg, 1 pdb, 2 pdy, 3 py, 4 total, 5 width; locals 6 row, 7 col, 8 zero, 9 g.
  const inner = [
    // g = dy & (y ≠ 0 bitwise)
    ...at(2, 6, 7),
    ...V.load,
    ...at(3, 6, 7),
    ...V.load,
    ...get(8),
    ...V.i32x4Ne,
    ...V.and,
    ...set(9),
    ...at(0, 6, 7),
    ...get(9),
    ...V.store,
    // db[col] += g
    ...get(1),
    ...get(7),
    OP.i32Add,
    ...get(1),
    ...get(7),
    OP.i32Add,
    ...V.load,
    ...get(9),
    ...V.f32x4Add,
    ...V.store,
  ];
  reluGrad = instantiate<ReluGradFn>(
    [I32, I32, I32, I32, I32, I32],
    [[2, I32], [2, V128]],
    rowsAndColumns(6, 7, 4, 5, inner),
  );
  return reluGrad;
}

/** Rows per chunk: chunks of ~8,192 floats keep the copies and the pass in cache. */
function chunkRows(m: number): number {
  return Math.max(1, Math.floor(8192 / m));
}

/** y ← max(y + b, 0) in place for y [n, m]; false when not applicable. */
export function wasmBiasRelu(y: Float32Array, b: Float32Array, n: number, m: number): boolean {
  if (m % 4 !== 0 || m === 0 || b.length !== m) return false;
  const k = biasReluKernel();
  if (!k) return false;
  const rows = Math.min(n, chunkRows(m));
  const cap = rows * m;
  const heap = heapOf(k, 4 * (cap + m));
  if (!heap) return false;
  heap.set(b, cap);
  for (let r = 0; r < n; r += rows) {
    const len = Math.min(rows, n - r) * m;
    heap.set(y.subarray(r * m, r * m + len), 0);
    k.fn(0, 4 * cap, 4 * len, 4 * m);
    y.set(heap.subarray(0, len), r * m);
  }
  return true;
}

/**
 * g ← the relu gradient of dy at the relu output y, db ← (+)= its column sums, for [n, m];
 * false when not applicable.
 */
export function wasmReluGradBias(
  g: Float32Array,
  db: Float32Array,
  dy: Float32Array,
  y: Float32Array,
  n: number,
  m: number,
): boolean {
  if (m % 4 !== 0 || m === 0) return false;
  const k = reluGradKernel();
  if (!k) return false;
  const rows = Math.min(n, chunkRows(m));
  const cap = rows * m;
  // dy at 0, y at cap, g at 2·cap, db at 3·cap (accumulated over the chunks).
  const heap = heapOf(k, 4 * (3 * cap + m));
  if (!heap) return false;
  heap.set(db, 3 * cap);
  for (let r = 0; r < n; r += rows) {
    const start = r * m;
    const len = Math.min(rows, n - r) * m;
    heap.set(dy.subarray(start, start + len), 0);
    heap.set(y.subarray(start, start + len), cap);
    k.fn(4 * 2 * cap, 4 * 3 * cap, 0, 4 * cap, 4 * len, 4 * m);
    g.set(heap.subarray(2 * cap, 2 * cap + len), start);
  }
  db.set(heap.subarray(3 * cap, 3 * cap + m));
  return true;
}
