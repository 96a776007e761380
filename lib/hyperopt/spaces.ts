/**
 * Ludwig's (Ray Tune's) parameter spaces: seeded samplers, membership tests and the grid of
 * `grid_search` values.
 *
 * Semantics follow Ray Tune: `randint` and `lograndint` exclude `upper`, `qrandint` and
 * `qlograndint` include it; quantized values are rounded to the nearest multiple of `q` and
 * kept inside the bounds; log spaces sample uniformly in `log_base`.
 *
 * @module
 */

/** One parameter's search space (the `hyperopt.parameters` entries, defaults filled). */
export type ParameterSpace =
  | { space: "choice"; categories: readonly unknown[] }
  | { space: "grid_search"; values: readonly unknown[] }
  | { space: "uniform"; lower: number; upper: number }
  | { space: "quniform"; lower: number; upper: number; q: number }
  | { space: "loguniform"; lower: number; upper: number; base?: number }
  | { space: "qloguniform"; lower: number; upper: number; q: number; base?: number }
  | { space: "randn"; mean?: number; sd?: number }
  | { space: "qrandn"; mean?: number; sd?: number; q: number }
  | { space: "randint"; lower: number; upper: number }
  | { space: "qrandint"; lower: number; upper: number; q: number }
  | { space: "lograndint"; lower: number; upper: number; base?: number }
  | { space: "qlograndint"; lower: number; upper: number; q: number; base?: number };

/** A generator of floats in [0, 1). */
export type Random = () => number;

/** A standard normal draw (Box–Muller). */
export function normal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Round to the nearest multiple of `q` (float noise removed). */
export function quantize(value: number, q: number): number {
  const r = Math.round(value / q) * q;
  const digits = Math.max(0, -Math.floor(Math.log10(q)) + 6);
  return Number(r.toFixed(Math.min(15, digits)));
}

/** Quantize, then step back inside [lower, upper] when rounding left it. */
function quantizeWithin(value: number, q: number, lower: number, upper: number): number {
  let r = quantize(value, q);
  if (r < lower - 1e-12) r = quantize(r + q, q);
  if (r > upper + 1e-12) r = quantize(r - q, q);
  return r;
}

const logOf = (x: number, base: number) => Math.log(x) / Math.log(base);

/** Whether a space is numeric (every space but choice and grid_search). */
export function isNumeric(s: ParameterSpace): boolean {
  return s.space !== "choice" && s.space !== "grid_search";
}

/** Whether a space samples integers. */
export function isInteger(s: ParameterSpace): boolean {
  return /randint$/.test(s.space);
}

/** Whether a space samples on a log scale. */
export function isLog(s: ParameterSpace): boolean {
  return /^q?log/.test(s.space);
}

/**
 * Map a continuous draw `x` (in the space's working scale: log_base for log spaces) to a value
 * of the space: exponentiate, quantize, floor integers, clamp into bounds.
 */
export function fromContinuous(s: ParameterSpace, x: number): number {
  const base = "base" in s && s.base !== undefined ? s.base : 10;
  switch (s.space) {
    case "uniform":
      return Math.min(s.upper, Math.max(s.lower, x));
    case "quniform":
      return quantizeWithin(x, s.q, s.lower, s.upper);
    case "loguniform":
      return Math.min(s.upper, Math.max(s.lower, base ** x));
    case "qloguniform":
      return quantizeWithin(base ** x, s.q, s.lower, s.upper);
    case "randn":
      return x;
    case "qrandn":
      return quantize(x, s.q);
    case "randint":
      return Math.min(s.upper - 1, Math.max(s.lower, Math.floor(x)));
    case "lograndint":
      return Math.min(s.upper - 1, Math.max(s.lower, Math.floor(base ** x)));
    case "qrandint":
      return Math.round(quantizeWithin(x, s.q, s.lower, s.upper));
    case "qlograndint":
      return Math.round(quantizeWithin(base ** x, s.q, s.lower, s.upper));
    default:
      throw new TypeError(`Cannot map a number into a ${s.space} space`);
  }
}

/**
 * The continuous working range of a numeric space: bounds in its scale (log_base for log
 * spaces), or the normal prior's mean and sd for randn spaces.
 */
export function workingRange(
  s: ParameterSpace,
): { low: number; high: number } | { mean: number; sd: number } {
  const base = "base" in s && s.base !== undefined ? s.base : 10;
  switch (s.space) {
    case "randn":
    case "qrandn":
      return { mean: s.mean ?? 0, sd: s.sd ?? 1 };
    case "uniform":
    case "quniform":
      return { low: s.lower, high: s.upper };
    case "qrandint":
      // Half a step beyond each end gives the end values their share of the draws.
      return { low: s.lower - s.q / 2, high: s.upper + s.q / 2 };
    case "randint":
      return { low: s.lower, high: s.upper };
    case "loguniform":
    case "lograndint":
      return { low: logOf(s.lower, base), high: logOf(s.upper, base) };
    case "qloguniform":
    case "qlograndint":
      return {
        low: logOf(Math.max(s.lower - s.q / 2, s.lower / 2, Number.MIN_VALUE), base),
        high: logOf(s.upper + s.q / 2, base),
      };
    default:
      throw new TypeError(`A ${s.space} space has no numeric range`);
  }
}

/** Draw one value of a space (a grid_search space draws one of its values at random). */
export function sample(s: ParameterSpace, random: Random): unknown {
  if (s.space === "choice") {
    return structuredClone(s.categories[Math.floor(random() * s.categories.length)]);
  }
  if (s.space === "grid_search") {
    return structuredClone(s.values[Math.floor(random() * s.values.length)]);
  }
  const range = workingRange(s);
  const x = "mean" in range
    ? range.mean + range.sd * normal(random)
    : range.low + (range.high - range.low) * random();
  return fromContinuous(s, x);
}

function isMultiple(value: number, q: number): boolean {
  const k = value / q;
  return Math.abs(k - Math.round(k)) < 1e-6;
}

/** Whether `value` belongs to the space (bounds, integrality, quantization, categories). */
export function contains(s: ParameterSpace, value: unknown): boolean {
  if (s.space === "choice" || s.space === "grid_search") {
    const list = s.space === "choice" ? s.categories : s.values;
    return list.some((c) => JSON.stringify(c) === JSON.stringify(value));
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  const q = "q" in s ? s.q : undefined;
  if (q !== undefined && !isMultiple(value, q)) return false;
  if (isInteger(s) && !Number.isInteger(value)) return false;
  if (s.space === "randn" || s.space === "qrandn") return true;
  const inclusive = s.space === "qrandint" || s.space === "qlograndint" || !isInteger(s);
  return value >= s.lower - 1e-12 && (inclusive ? value <= s.upper + 1e-12 : value < s.upper);
}

/**
 * The grid of every `grid_search` parameter: the cartesian product of their values (in the
 * order of `parameters`), one record per point; a single empty record without grid spaces.
 */
export function gridPoints(parameters: Readonly<Record<string, ParameterSpace>>): Record<
  string,
  unknown
>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [path, s] of Object.entries(parameters)) {
    if (s.space !== "grid_search") continue;
    points = points.flatMap((p) => s.values.map((v) => ({ ...p, [path]: structuredClone(v) })));
  }
  return points;
}
