/**
 * Private: elementwise kernels without per-element index arithmetic.
 *
 * A binary op's two operands are described against the output as a two-level loop
 * (outer × inner, each operand either walking or standing still in each level), which
 * covers equal shapes, scalars, last-axis vectors (biases) and per-row columns.
 * Other broadcasts go to the cpu kernel.
 *
 * @module
 */
import type { TensorInfo } from "npm:@tensorflow/tfjs@4.22.0";
import {
  allocFloat32,
  allocLike,
  type KernelArgs,
  type NativeKernel,
  output,
  outputAs,
  sizeOf,
  valuesOf,
} from "./_kernel_util.ts";
import { planParts, runParts } from "./_par.ts";

/** The loop one binary op runs: out[o·I + j] = f(a[o·aO + j·aI], b[o·bO + j·bI]). */
export interface BinaryLayout {
  shape: number[];
  outer: number;
  inner: number;
  aO: number;
  aI: number;
  bO: number;
  bI: number;
}

function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Per block: 0 = all ones (stands still), 1 = equal to the output, -1 = mixed. */
function blockKind(padded: number[], out: number[], from: number, to: number): number {
  let ones = true;
  let full = true;
  for (let i = from; i < to; i++) {
    if (padded[i] !== 1) ones = false;
    if (padded[i] !== out[i]) full = false;
  }
  if (full) return 1;
  if (ones) return 0;
  return -1;
}

/** Finds a two-level loop for a binary op, or undefined when none fits. */
export function binaryLayout(
  aShape: readonly number[],
  bShape: readonly number[],
): BinaryLayout | undefined {
  const shape = broadcast(aShape, bShape);
  if (!shape) return undefined;
  const rank = shape.length;
  const pa = [...new Array<number>(rank - aShape.length).fill(1), ...aShape];
  const pb = [...new Array<number>(rank - bShape.length).fill(1), ...bShape];
  for (let s = 0; s <= rank; s++) {
    const ao = blockKind(pa, shape, 0, s);
    const ai = blockKind(pa, shape, s, rank);
    const bo = blockKind(pb, shape, 0, s);
    const bi = blockKind(pb, shape, s, rank);
    if (ao < 0 || ai < 0 || bo < 0 || bi < 0) continue;
    const outer = sizeOf(shape.slice(0, s));
    const inner = sizeOf(shape.slice(s));
    return {
      shape,
      outer,
      inner,
      aO: ao ? (ai ? inner : 1) : 0,
      aI: ai,
      bO: bo ? (bi ? inner : 1) : 0,
      bI: bi,
    };
  }
  return undefined;
}

type Loop = (a: Float32Array, b: Float32Array, out: Float32Array, l: BinaryLayout) => void;

// One loop per op, so that each op's arithmetic is inlined in its own loop.
const LOOPS: Record<string, Loop> = {
  Add(a, b, out, { outer, inner, aO, aI, bO, bI }) {
    if (aI === 1 && bI === 1 && outer === 1) {
      for (let k = 0; k < inner; k++) out[k] = a[k] + b[k];
      return;
    }
    for (let o = 0, k = 0; o < outer; o++) {
      let ia = o * aO;
      let ib = o * bO;
      for (let j = 0; j < inner; j++, k++, ia += aI, ib += bI) out[k] = a[ia] + b[ib];
    }
  },
  Sub(a, b, out, { outer, inner, aO, aI, bO, bI }) {
    if (aI === 1 && bI === 1 && outer === 1) {
      for (let k = 0; k < inner; k++) out[k] = a[k] - b[k];
      return;
    }
    for (let o = 0, k = 0; o < outer; o++) {
      let ia = o * aO;
      let ib = o * bO;
      for (let j = 0; j < inner; j++, k++, ia += aI, ib += bI) out[k] = a[ia] - b[ib];
    }
  },
  Multiply(a, b, out, { outer, inner, aO, aI, bO, bI }) {
    if (aI === 1 && bI === 1 && outer === 1) {
      for (let k = 0; k < inner; k++) out[k] = a[k] * b[k];
      return;
    }
    for (let o = 0, k = 0; o < outer; o++) {
      let ia = o * aO;
      let ib = o * bO;
      for (let j = 0; j < inner; j++, k++, ia += aI, ib += bI) out[k] = a[ia] * b[ib];
    }
  },
  RealDiv(a, b, out, { outer, inner, aO, aI, bO, bI }) {
    for (let o = 0, k = 0; o < outer; o++) {
      let ia = o * aO;
      let ib = o * bO;
      for (let j = 0; j < inner; j++, k++, ia += aI, ib += bI) out[k] = a[ia] / b[ib];
    }
  },
  Maximum(a, b, out, { outer, inner, aO, aI, bO, bI }) {
    for (let o = 0, k = 0; o < outer; o++) {
      let ia = o * aO;
      let ib = o * bO;
      for (let j = 0; j < inner; j++, k++, ia += aI, ib += bI) {
        const x = a[ia];
        const y = b[ib];
        out[k] = x > y || x !== x ? x : y;
      }
    }
  },
  Minimum(a, b, out, { outer, inner, aO, aI, bO, bI }) {
    for (let o = 0, k = 0; o < outer; o++) {
      let ia = o * aO;
      let ib = o * bO;
      for (let j = 0; j < inner; j++, k++, ia += aI, ib += bI) {
        const x = a[ia];
        const y = b[ib];
        out[k] = x < y || x !== x ? x : y;
      }
    }
  },
  SquaredDifference(a, b, out, { outer, inner, aO, aI, bO, bI }) {
    for (let o = 0, k = 0; o < outer; o++) {
      let ia = o * aO;
      let ib = o * bO;
      for (let j = 0; j < inner; j++, k++, ia += aI, ib += bI) {
        const d = a[ia] - b[ib];
        out[k] = d * d;
      }
    }
  },
};

function binaryKernel(loop: Loop): NativeKernel {
  return ({ inputs, backend }: KernelArgs) => {
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    if (a.dtype !== "float32" || b.dtype !== "float32") return undefined;
    const av = valuesOf(backend, a);
    const bv = valuesOf(backend, b);
    if (!(av instanceof Float32Array) || !(bv instanceof Float32Array)) return undefined;
    const layout = binaryLayout(a.shape, b.shape);
    if (!layout) return undefined;
    const out = allocFloat32(layout.outer * layout.inner, false);
    loop(av, bv, out, layout);
    return output(backend, layout.shape, out);
  };
}

type UnaryLoop = (x: Float32Array, out: Float32Array, attrs: KernelArgs["attrs"]) => void;

const UNARY: Record<string, UnaryLoop> = {
  // Relu and Relu6: `_par_ops.ts`'s branch-free loops, split over threads when large.
  Relu(x, out) {
    runParts("relu", [x, out], x.length, planParts(x.length, x.length, [x, out]));
  },
  Relu6(x, out) {
    runParts("relu6", [x, out], x.length, planParts(x.length, x.length, [x, out]));
  },
  Step(x, out, attrs) {
    const alpha = (attrs?.alpha as number | undefined) ?? 0;
    if (alpha !== 0) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        out[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
      }
      return;
    }
    // Branch-free on the bit pattern: 1.0 (0x3f800000) where x > 0, else 0; NaN stays NaN.
    const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
    const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
    for (let i = 0; i < xi.length; i++) {
      const b = xi[i];
      oi[i] = (b & 0x7fffffff) > 0x7f800000 ? b : 0x3f800000 & ((-b & ~b) >> 31);
    }
  },
  ClipByValue(x, out, attrs) {
    const lo = attrs!.clipValueMin as number;
    const hi = attrs!.clipValueMax as number;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v > hi ? hi : v < lo ? lo : v;
    }
  },
  Exp(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
  },
  Log(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i]);
  },
  Neg(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = -x[i];
  },
  Sqrt(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i]);
  },
  Rsqrt(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = 1 / Math.sqrt(x[i]);
  },
  Square(x, out) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v * v;
    }
  },
  Reciprocal(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = 1 / x[i];
  },
  Abs(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]);
  },
  Sigmoid(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
  },
  Tanh(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]);
  },
};

function unaryKernel(loop: UnaryLoop): NativeKernel {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const x = inputs.x as TensorInfo;
    if (x.dtype !== "float32") return undefined;
    const xv = valuesOf(backend, x);
    if (!(xv instanceof Float32Array)) return undefined;
    const out = allocFloat32(xv.length, false);
    loop(xv, out, attrs);
    return output(backend, x.shape, out);
  };
}

/** Splits `shape` around a contiguous block of reduced axes as [outer, reduced, inner]. */
export function reductionBlocks(
  shape: readonly number[],
  axes: readonly number[],
): [number, number, number] | undefined {
  if (axes.length === 0) return [sizeOf(shape), 1, 1];
  const sorted = [...axes].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) return undefined;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  return [
    sizeOf(shape.slice(0, first)),
    sizeOf(shape.slice(first, last + 1)),
    sizeOf(shape.slice(last + 1)),
  ];
}

function parseAxes(axis: unknown, rank: number): number[] | undefined {
  let list: number[];
  if (axis === undefined || axis === null) list = Array.from({ length: rank }, (_, i) => i);
  else if (typeof axis === "number") list = [axis];
  else if (Array.isArray(axis)) list = axis as number[];
  else return undefined;
  const out: number[] = [];
  for (const a of list) {
    const v = a < 0 ? a + rank : a;
    if (!Number.isInteger(v) || v < 0 || v >= rank) return undefined;
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

type ReduceKind = "sum" | "max" | "min" | "mean";

function reduce(
  kind: ReduceKind,
  x: Float32Array,
  o: number,
  r: number,
  inner: number,
): Float32Array {
  const out = allocFloat32(o * inner, false);
  if (r === 0) {
    out.fill(kind === "max" ? -Infinity : kind === "min" ? Infinity : kind === "mean" ? NaN : 0);
    return out;
  }
  if (inner === 1) {
    for (let i = 0, p = 0; i < o; i++) {
      let acc = x[p++];
      if (kind === "max") {
        for (let j = 1; j < r; j++, p++) {
          const v = x[p];
          if (v > acc || v !== v) acc = v;
        }
      } else if (kind === "min") {
        for (let j = 1; j < r; j++, p++) {
          const v = x[p];
          if (v < acc || v !== v) acc = v;
        }
      } else {
        for (let j = 1; j < r; j++, p++) acc += x[p];
      }
      out[i] = kind === "mean" ? acc / r : acc;
    }
    return out;
  }
  // Reduce over a middle block: accumulate whole rows of `inner` values.
  const acc = new Float64Array(kind === "sum" || kind === "mean" ? inner : 0);
  for (let i = 0; i < o; i++) {
    const base = i * r * inner;
    const ob = i * inner;
    if (kind === "max" || kind === "min") {
      for (let j = 0; j < inner; j++) out[ob + j] = x[base + j];
      for (let rr = 1; rr < r; rr++) {
        const row = base + rr * inner;
        if (kind === "max") {
          for (let j = 0; j < inner; j++) {
            const v = x[row + j];
            if (v > out[ob + j] || v !== v) out[ob + j] = v;
          }
        } else {
          for (let j = 0; j < inner; j++) {
            const v = x[row + j];
            if (v < out[ob + j] || v !== v) out[ob + j] = v;
          }
        }
      }
    } else {
      acc.fill(0);
      for (let rr = 0; rr < r; rr++) {
        const row = base + rr * inner;
        for (let j = 0; j < inner; j++) acc[j] += x[row + j];
      }
      if (kind === "mean") { for (let j = 0; j < inner; j++) out[ob + j] = acc[j] / r; }
      else for (let j = 0; j < inner; j++) out[ob + j] = acc[j];
    }
  }
  return out;
}

function reduceKernel(kind: ReduceKind, axisAttr: string): NativeKernel {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const x = inputs.x as TensorInfo;
    if (x.dtype !== "float32") return undefined;
    const xv = valuesOf(backend, x);
    if (!(xv instanceof Float32Array)) return undefined;
    const rank = x.shape.length;
    const axes = parseAxes(attrs?.[axisAttr], rank);
    if (!axes) return undefined;
    const blocks = reductionBlocks(x.shape, axes);
    if (!blocks) return undefined;
    const out = reduce(kind, xv, blocks[0], blocks[1], blocks[2]);
    const keepDims = Boolean(attrs?.keepDims);
    const shape = keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    return output(backend, shape, out);
  };
}

/** Transposes any dtype's typed array by walking the output in order. */
export function transposeValues<T extends Float32Array | Int32Array | Uint8Array>(
  x: T,
  shape: readonly number[],
  perm: readonly number[],
): T {
  const rank = shape.length;
  const n = x.length;
  const out = allocLike(x, n);
  if (rank === 0 || n === 0) {
    out.set(x);
    return out;
  }
  const inStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * shape[i + 1];
  const outShape = perm.map((p) => shape[p]);
  const strides = perm.map((p) => inStrides[p]);
  if (rank === 2) {
    const [rows, cols] = outShape;
    const s0 = strides[0];
    const s1 = strides[1];
    for (let i = 0, k = 0; i < rows; i++) {
      let src = i * s0;
      for (let j = 0; j < cols; j++, k++, src += s1) out[k] = x[src];
    }
    return out;
  }
  const last = outShape[rank - 1];
  const lastStride = strides[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  let base = 0;
  for (let k = 0; k < n; k += last) {
    let src = base;
    for (let j = 0; j < last; j++, src += lastStride) out[k + j] = x[src];
    // Advance the odometer over the outer output axes.
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      base += strides[d];
      if (counter[d] < outShape[d]) break;
      base -= strides[d] * outShape[d];
      counter[d] = 0;
    }
  }
  return out;
}

/** Collapses runs of axes that stay adjacent under `perm`, so fewer loops run. */
function collapse(shape: readonly number[], perm: readonly number[]): [number[], number[]] {
  // Drop axes of size 1.
  const keep = perm.filter((p) => shape[p] !== 1);
  const groups: number[][] = [];
  for (const p of keep) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1] + 1 === p && isKept(shape, g[g.length - 1], p)) g.push(p);
    else groups.push([p]);
  }
  const order = [...groups].sort((x, y) => x[0] - y[0]);
  const newShape = order.map((g) => sizeOf(g.map((p) => shape[p])));
  const newPerm = groups.map((g) => order.indexOf(g));
  return [newShape, newPerm];
}

function isKept(shape: readonly number[], from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) if (shape[i] !== 1) return false;
  return true;
}

const transpose: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  if (x.dtype === "string" || x.dtype === "complex64") return undefined;
  const perm = attrs?.perm as number[];
  const xv = backend.data.get(x.dataId).values as Float32Array | Int32Array | Uint8Array;
  const outShape = perm.map((p) => x.shape[p]);
  const [cShape, cPerm] = collapse(x.shape, perm);
  let out: Float32Array | Int32Array | Uint8Array;
  if (cPerm.every((p, i) => p === i)) {
    out = allocLike(xv, xv.length);
    out.set(xv);
  } else out = transposeValues(xv, cShape, cPerm);
  return outputAs(backend, outShape, x.dtype, out);
};

/** The elementwise, reduction and transpose kernels. */
export function elementwiseKernels(): Record<string, NativeKernel> {
  const kernels: Record<string, NativeKernel> = {};
  for (const [name, loop] of Object.entries(LOOPS)) kernels[name] = binaryKernel(loop);
  for (const [name, loop] of Object.entries(UNARY)) kernels[name] = unaryKernel(loop);
  kernels.Sum = reduceKernel("sum", "axis");
  kernels.Mean = reduceKernel("mean", "axis");
  kernels.Max = reduceKernel("max", "reductionIndices");
  kernels.Min = reduceKernel("min", "axis");
  kernels.Transpose = transpose;
  return kernels;
}
