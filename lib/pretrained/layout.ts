/**
 * From PyTorch's layouts to TF.js's: weight transposes (convolution OIHW → HWIO, depthwise
 * `(C·m, 1, H, W)` → `(H, W, C, m)`, Linear `[out, in]` → `[in, out]`), activation layouts
 * (NCHW ↔ NHWC), and a table-driven name mapper with a mismatch report, so that loading a
 * state_dict into a Sonata model names the first missing, unexpected and mis-shaped weights.
 *
 * @module
 */
import { type DType, type NamedTensors, type RawTensor, sizeOf, WeightsError } from "./tensor.ts";

/**
 * Permute a tensor's axes (`out.shape[i] = in.shape[perm[i]]`), copying into a new contiguous
 * tensor of the same dtype.
 *
 * @param tensor The tensor.
 * @param perm A permutation of `0 … rank-1`.
 * @returns The transposed tensor.
 * @throws {RangeError} `perm` is not a permutation of the tensor's axes.
 *
 * @example Transpose a matrix
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { transpose } from "./layout.ts";
 * const t = transpose({ dtype: "F32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }, [1, 0]);
 * assertEquals([t.shape, [...t.data]], [[3, 2], [1, 4, 2, 5, 3, 6]]);
 * ```
 */
export function transpose<D extends DType>(
  tensor: RawTensor<D>,
  perm: readonly number[],
): RawTensor<D> {
  const rank = tensor.shape.length;
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !(p >= 0 && p < rank))) {
    throw new RangeError(
      `Cannot transpose a tensor of shape [${tensor.shape}]: [${perm}] is not a permutation of its ${rank} axes`,
    );
  }
  const shape = perm.map((p) => tensor.shape[p]);
  const inStrides = new Array(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) inStrides[d] = inStrides[d + 1] * tensor.shape[d + 1];
  const stride = perm.map((p) => inStrides[p]);
  const n = sizeOf(shape);
  const Ctor = tensor.data.constructor as new (n: number) => RawTensor<D>["data"];
  const out = new Ctor(n);
  const src = tensor.data as unknown as { [i: number]: number | bigint };
  const dst = out as unknown as { [i: number]: number | bigint };
  if (n > 0) {
    const index = new Array(rank).fill(0);
    let s = 0;
    for (let o = 0; o < n; o++) {
      dst[o] = src[s];
      for (let d = rank - 1; d >= 0; d--) {
        index[d]++;
        s += stride[d];
        if (index[d] < shape[d]) break;
        s -= stride[d] * shape[d];
        index[d] = 0;
      }
    }
  }
  return { dtype: tensor.dtype, shape, data: out };
}

function expectRank(tensor: RawTensor, rank: number, what: string): void {
  if (tensor.shape.length !== rank) {
    throw new RangeError(
      `Cannot convert a ${what}: expected rank ${rank}, received shape [${tensor.shape}]`,
    );
  }
}

/**
 * A torch convolution kernel `[out, in, h, w]` as a TF.js `conv2d` kernel `[h, w, in, out]`.
 *
 * @param tensor The torch kernel.
 * @returns The TF.js kernel.
 *
 * @example Shapes
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { convTorchToTf } from "./layout.ts";
 * const k = { dtype: "F32" as const, shape: [4, 3, 2, 1], data: new Float32Array(24) };
 * assertEquals(convTorchToTf(k).shape, [2, 1, 3, 4]);
 * ```
 */
export function convTorchToTf<D extends DType>(tensor: RawTensor<D>): RawTensor<D> {
  expectRank(tensor, 4, "convolution kernel from OIHW to HWIO");
  return transpose(tensor, [2, 3, 1, 0]);
}

/**
 * A torch depthwise kernel `[channels·multiplier, 1, h, w]` (a convolution with
 * `groups = channels`) as a TF.js `depthwiseConv2d` kernel `[h, w, channels, multiplier]`.
 *
 * @param tensor The torch kernel.
 * @param channels The input channels (the convolution's `groups`); default: the first dimension
 * (multiplier 1).
 * @returns The TF.js kernel.
 *
 * @example Multiplier 2
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { depthwiseTorchToTf } from "./layout.ts";
 * const k = { dtype: "F32" as const, shape: [4, 1, 1, 1], data: new Float32Array([0, 1, 2, 3]) };
 * const t = depthwiseTorchToTf(k, 2);
 * assertEquals([t.shape, [...t.data]], [[1, 1, 2, 2], [0, 1, 2, 3]]);
 * ```
 */
export function depthwiseTorchToTf<D extends DType>(
  tensor: RawTensor<D>,
  channels?: number,
): RawTensor<D> {
  expectRank(tensor, 4, "depthwise kernel");
  const [o, one, h, w] = tensor.shape;
  const c = channels ?? o;
  if (one !== 1 || c <= 0 || o % c !== 0) {
    throw new RangeError(
      `Cannot convert a depthwise kernel of shape [${tensor.shape}] for ${c} channels: expected [${c}·multiplier, 1, h, w]`,
    );
  }
  const grouped = { dtype: tensor.dtype, shape: [c, o / c, h, w], data: tensor.data };
  return transpose(grouped, [2, 3, 0, 1]);
}

/**
 * A torch `Linear` weight `[out, in]` as a TF.js `dense` kernel `[in, out]`.
 *
 * @param tensor The torch weight.
 * @returns The TF.js kernel.
 *
 * @example Shapes
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { linearTorchToTf } from "./layout.ts";
 * assertEquals(linearTorchToTf({ dtype: "F32", shape: [5, 3], data: new Float32Array(15) }).shape, [3, 5]);
 * ```
 */
export function linearTorchToTf<D extends DType>(tensor: RawTensor<D>): RawTensor<D> {
  expectRank(tensor, 2, "Linear weight from [out, in] to [in, out]");
  return transpose(tensor, [1, 0]);
}

/**
 * Activations `[n, c, h, w]` as `[n, h, w, c]`.
 *
 * @param tensor The NCHW tensor.
 * @returns The NHWC tensor.
 *
 * @example Shapes
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { nchwToNhwc } from "./layout.ts";
 * assertEquals(nchwToNhwc({ dtype: "F32", shape: [1, 3, 2, 2], data: new Float32Array(12) }).shape, [1, 2, 2, 3]);
 * ```
 */
export function nchwToNhwc<D extends DType>(tensor: RawTensor<D>): RawTensor<D> {
  expectRank(tensor, 4, "NCHW tensor to NHWC");
  return transpose(tensor, [0, 2, 3, 1]);
}

/**
 * Activations `[n, h, w, c]` as `[n, c, h, w]`.
 *
 * @param tensor The NHWC tensor.
 * @returns The NCHW tensor.
 *
 * @example Round trip
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { nchwToNhwc, nhwcToNchw } from "./layout.ts";
 * const t = { dtype: "F32" as const, shape: [1, 2, 1, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
 * assertEquals([...nhwcToNchw(nchwToNhwc(t)).data], [1, 2, 3, 4, 5, 6]);
 * ```
 */
export function nhwcToNchw<D extends DType>(tensor: RawTensor<D>): RawTensor<D> {
  expectRank(tensor, 4, "NHWC tensor to NCHW");
  return transpose(tensor, [0, 3, 1, 2]);
}

/** A layout conversion applied by a {@linkcode NameRule}. */
export type LayoutTransform =
  | "none"
  | "linear"
  | "conv2d"
  | "depthwise"
  | ((tensor: RawTensor, source: string) => RawTensor);

/**
 * One row of a name table: a source pattern, the target name (`$1`… refer to the pattern's
 * groups), and the layout transform.
 */
export interface NameRule {
  /** An exact source name, or a pattern matched against the whole name. */
  from: string | RegExp;
  /** The target name; with a pattern, `$1`, `$2`, … are its groups. */
  to: string;
  /** The transform of the tensor; default `"none"`. */
  transform?: LayoutTransform;
}

/** Options of {@linkcode mapNames}. */
export interface MapNamesOptions {
  /** Prefixes stripped from source names before matching (the first that matches), such as `"module."`. */
  stripPrefixes?: readonly string[];
  /** Source names (after stripping) dropped silently, such as unused heads (`/^cls\./`). */
  ignore?: readonly (string | RegExp)[];
}

/** What {@linkcode mapNames} produced. */
export interface MappedTensors {
  /** Target tensors by target name. */
  tensors: NamedTensors;
  /** Target name → source name (as in the file). */
  sources: Map<string, string>;
  /** Source names no rule matched (and not ignored). */
  unmatched: string[];
}

/** The prefixes of Hugging Face task models and of `DataParallel` checkpoints. */
export const COMMON_PREFIXES: readonly string[] = [
  "module.",
  "model.",
  "bert.",
  "roberta.",
  "distilbert.",
  "electra.",
  "albert.",
  "deberta.",
  "transformer.",
];

function matches(pattern: string | RegExp, name: string): RegExpExecArray | null | boolean {
  if (typeof pattern === "string") return pattern === name;
  const anchored = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace("g", ""));
  return anchored.exec(name);
}

function applyTransform(transform: LayoutTransform, tensor: RawTensor, source: string): RawTensor {
  if (typeof transform === "function") return transform(tensor, source);
  if (transform === "linear") return linearTorchToTf(tensor);
  if (transform === "conv2d") return convTorchToTf(tensor);
  if (transform === "depthwise") return depthwiseTorchToTf(tensor);
  return tensor;
}

/**
 * Rename (and re-lay-out) tensors by a table of rules: the first rule whose pattern matches a
 * source name (after prefix stripping) gives the target name and transform.
 *
 * @param source The tensors as read from the file.
 * @param rules The name table.
 * @param options Prefixes to strip and names to ignore.
 * @returns The renamed tensors, the name correspondence and the unmatched names.
 * @throws {WeightsError} Two source tensors map to the same target name.
 *
 * @example Strip a prefix and transpose a Linear weight
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { mapNames } from "./layout.ts";
 * const source = new Map([["bert.pooler.dense.weight", { dtype: "F32" as const, shape: [2, 3], data: new Float32Array(6) }]]);
 * const { tensors } = mapNames(source, [{ from: /pooler\.dense\.weight/, to: "pooler/kernel", transform: "linear" }], {
 *   stripPrefixes: ["bert."],
 * });
 * assertEquals(tensors.get("pooler/kernel")?.shape, [3, 2]);
 * ```
 */
export function mapNames(
  source: NamedTensors,
  rules: readonly NameRule[],
  options: MapNamesOptions = {},
): MappedTensors {
  const tensors: NamedTensors = new Map();
  const sources = new Map<string, string>();
  const unmatched: string[] = [];
  for (const [original, tensor] of source) {
    let name = original;
    for (const prefix of options.stripPrefixes ?? []) {
      if (name.startsWith(prefix)) {
        name = name.slice(prefix.length);
        break;
      }
    }
    if ((options.ignore ?? []).some((p) => matches(p, name))) continue;
    let done = false;
    for (const rule of rules) {
      const m = matches(rule.from, name);
      if (!m) continue;
      const target = m === true
        ? rule.to
        : rule.to.replace(/\$(\d+)/g, (_, i) => (m as RegExpExecArray)[Number(i)] ?? "");
      const previous = sources.get(target);
      if (previous !== undefined) {
        throw new WeightsError(`both "${previous}" and "${original}" map to "${target}"`, {
          tensor: original,
          action: "Cannot map weights",
        });
      }
      tensors.set(target, applyTransform(rule.transform ?? "none", tensor, original));
      sources.set(target, original);
      done = true;
      break;
    }
    if (!done) unmatched.push(original);
  }
  return { tensors, sources, unmatched };
}

/** The differences between the weights a model expects and those a file gave. */
export interface WeightsMismatch {
  /** Expected names the file lacks. */
  missing: string[];
  /** Names in the file the model does not have. */
  unexpected: string[];
  /** Names present on both sides with different shapes. */
  shapeMismatch: { name: string; expected: number[]; received: number[] }[];
  /** Whether there is no difference at all. */
  ok: boolean;
}

/**
 * Compare expected weight shapes with the tensors given.
 *
 * @param expected Target name → expected shape.
 * @param received The tensors (by target name).
 * @returns The differences, each list in the expected (or received) order.
 *
 * @example One missing, one mis-shaped
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { compareWeights } from "./layout.ts";
 * const report = compareWeights(
 *   new Map([["a", [2]], ["b", [3]]]),
 *   new Map([["a", { dtype: "F32" as const, shape: [4], data: new Float32Array(4) }]]),
 * );
 * assertEquals([report.missing, report.shapeMismatch.length, report.ok], [["b"], 1, false]);
 * ```
 */
export function compareWeights(
  expected: ReadonlyMap<string, readonly number[]>,
  received: ReadonlyMap<string, { shape: readonly number[] }>,
): WeightsMismatch {
  const missing: string[] = [];
  const shapeMismatch: WeightsMismatch["shapeMismatch"] = [];
  for (const [name, shape] of expected) {
    const got = received.get(name);
    if (got === undefined) missing.push(name);
    else if (got.shape.length !== shape.length || got.shape.some((d, i) => d !== shape[i])) {
      shapeMismatch.push({ name, expected: [...shape], received: [...got.shape] });
    }
  }
  const unexpected = [...received.keys()].filter((n) => !expected.has(n));
  return {
    missing,
    unexpected,
    shapeMismatch,
    ok: missing.length === 0 && unexpected.length === 0 && shapeMismatch.length === 0,
  };
}

/**
 * Render a mismatch report: counts, then the first `limit` names of each kind.
 *
 * @param report The report.
 * @param limit Names shown per kind; default 5.
 * @returns One line per kind that has differences.
 *
 * @example Render
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { formatMismatch } from "./layout.ts";
 * const text = formatMismatch({ missing: ["a"], unexpected: [], shapeMismatch: [], ok: false });
 * assertEquals(text, '1 missing: "a"');
 * ```
 */
export function formatMismatch(report: WeightsMismatch, limit = 5): string {
  const list = (items: string[]) =>
    items.slice(0, limit).join(", ") +
    (items.length > limit ? `, … (${items.length - limit} more)` : "");
  const lines: string[] = [];
  if (report.missing.length > 0) {
    lines.push(`${report.missing.length} missing: ${list(report.missing.map((n) => `"${n}"`))}`);
  }
  if (report.unexpected.length > 0) {
    lines.push(
      `${report.unexpected.length} unexpected: ${list(report.unexpected.map((n) => `"${n}"`))}`,
    );
  }
  if (report.shapeMismatch.length > 0) {
    const items = report.shapeMismatch.map((m) =>
      `"${m.name}" expected [${m.expected}], received [${m.received}]`
    );
    lines.push(`${report.shapeMismatch.length} with another shape: ${list(items)}`);
  }
  return lines.join("\n");
}

/**
 * Throw a {@linkcode WeightsError} listing the first differences unless the weights match.
 *
 * @param expected Target name → expected shape.
 * @param received The tensors.
 * @param file The weights file, for the message.
 * @param options `allowUnexpected` ignores extra tensors (unused heads); `limit` as
 * {@linkcode formatMismatch}.
 * @throws {WeightsError} Any missing or mis-shaped weight (or unexpected one unless allowed).
 *
 * @example Matching weights pass
 * ```ts
 * import { assertWeightsMatch } from "./layout.ts";
 * assertWeightsMatch(new Map([["a", [1]]]), new Map([["a", { shape: [1] }]]), "w.pth");
 * ```
 */
export function assertWeightsMatch(
  expected: ReadonlyMap<string, readonly number[]>,
  received: ReadonlyMap<string, { shape: readonly number[] }>,
  file: string,
  options: { allowUnexpected?: boolean; limit?: number } = {},
): void {
  const report = compareWeights(expected, received);
  if (options.allowUnexpected) report.unexpected = [];
  if (report.missing.length + report.unexpected.length + report.shapeMismatch.length === 0) return;
  throw new WeightsError(
    `the weights do not match the model:\n  ${
      formatMismatch(report, options.limit).replaceAll("\n", "\n  ")
    }`,
    { file, action: "Cannot load weights" },
  );
}
