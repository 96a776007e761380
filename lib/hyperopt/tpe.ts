/**
 * The Tree-structured Parzen Estimator of the `hyperopt` library (Bergstra et al. 2011), Ludwig's
 * `search_alg: {type: hyperopt}`. After `n_initial_points` random trials, the finished trials are
 * split into the good ones (the best ⌈gamma·√n⌉, as hyperopt does) and the rest; each parameter
 * gets two adaptive Parzen estimators, l(x) over the good values and g(x) over the others (each
 * with the space's prior as one more component), and the next value is the one, among
 * `n_EI_candidates` drawn from l, that maximizes l(x)/g(x), which maximizes the expected
 * improvement. Parameters are modelled independently, as hyperopt does; quantized and integer
 * spaces are modelled on their continuous working scale and rounded afterwards.
 *
 * @module
 */
import {
  fromContinuous,
  isLog,
  isNumeric,
  normal,
  type ParameterSpace,
  type Random,
  sample,
  workingRange,
} from "./spaces.ts";

/** A finished trial as the search sees it: its parameters and a loss (lower is better). */
export interface Observation {
  /** Parameter path to value. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The objective, oriented so that lower is better (a maximized metric is negated). */
  readonly loss: number;
}

/** Options of {@linkcode TpeSampler}. */
export interface TpeOptions {
  /** Random trials before the estimators are used (hyperopt's n_startup_jobs; default 20). */
  nInitialPoints?: number;
  /** Good fraction: the best ⌈gamma·√n⌉ trials are "good" (default 0.25). */
  gamma?: number;
  /** Candidates drawn from l(x) per suggestion (default 24, as hyperopt). */
  nCandidates?: number;
  /** Weight of the prior component in each estimator (default 1). */
  priorWeight?: number;
}

/** A Gaussian mixture, truncated to [low, high] when bounded. */
interface Mixture {
  mus: number[];
  sigmas: number[];
  weights: number[];
  low?: number;
  high?: number;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7).
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 -
    (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t +
        0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

const cdf = (x: number, mu: number, sigma: number) =>
  0.5 * (1 + erf((x - mu) / (sigma * Math.SQRT2)));

/**
 * hyperopt's adaptive Parzen estimator: one Gaussian per observation, its width the larger gap
 * to its sorted neighbours (the prior's mean counted among them), clipped to
 * [prior_sigma / min(100, 1 + n + 1), prior_sigma]; plus the prior as a component.
 */
export function adaptiveParzen(
  values: readonly number[],
  prior: { mu: number; sigma: number },
  priorWeight = 1,
  bounds?: { low: number; high: number },
): Mixture {
  const mus = [...values, prior.mu];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
  const sorted = order.map((i) => mus[i]);
  const n = values.length;
  const minSigma = prior.sigma / Math.min(100, 1 + sorted.length);
  // As hyperopt: the larger gap to a neighbour; the ends have one neighbour.
  const sigmasSorted = sorted.map((m, k) => {
    if (sorted.length === 1) return prior.sigma;
    const left = k > 0 ? m - sorted[k - 1] : 0;
    const right = k < sorted.length - 1 ? sorted[k + 1] - m : 0;
    return Math.min(prior.sigma, Math.max(minSigma, left, right));
  });
  const sigmas = new Array<number>(mus.length);
  order.forEach((i, k) => (sigmas[i] = sigmasSorted[k]));
  sigmas[n] = prior.sigma; // The prior keeps its own width.
  const weights = mus.map((_, i) => (i === n ? priorWeight : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  return {
    mus,
    sigmas,
    weights: weights.map((w) => w / total),
    low: bounds?.low,
    high: bounds?.high,
  };
}

/** Log density of a (truncated) mixture at x. */
export function mixtureLogDensity(m: Mixture, x: number): number {
  if (m.low !== undefined && (x < m.low || x > m.high!)) return -Infinity;
  let total = 0;
  for (let i = 0; i < m.mus.length; i++) {
    const mu = m.mus[i];
    const s = m.sigmas[i];
    const mass = m.low !== undefined ? Math.max(1e-12, cdf(m.high!, mu, s) - cdf(m.low, mu, s)) : 1;
    const z = (x - mu) / s;
    total += m.weights[i] * Math.exp(-0.5 * z * z - LOG_SQRT_2PI - Math.log(s)) / mass;
  }
  return Math.log(Math.max(total, 1e-300));
}

/** Draw from a (truncated) mixture. */
export function mixtureSample(m: Mixture, random: Random): number {
  for (let attempt = 0; attempt < 1000; attempt++) {
    let u = random();
    let i = 0;
    while (i < m.weights.length - 1 && u >= m.weights[i]) u -= m.weights[i++];
    const x = m.mus[i] + m.sigmas[i] * normal(random);
    if (m.low === undefined || (x >= m.low && x <= m.high!)) return x;
  }
  // Vanishing mass inside the bounds: fall back to a uniform draw.
  return m.low! + (m.high! - m.low!) * random();
}

/** The working-scale value of an observed parameter value. */
function toWorking(s: ParameterSpace, value: number): number {
  if (!isLog(s)) return value;
  const base = "base" in s && s.base !== undefined ? s.base : 10;
  return Math.log(Math.max(value, Number.MIN_VALUE)) / Math.log(base);
}

/** The number of good trials among n (hyperopt: ⌈gamma·√n⌉). */
export function goodCount(n: number, gamma: number): number {
  return Math.min(n, Math.max(1, Math.ceil(gamma * Math.sqrt(n))));
}

/** TPE over a set of parameter spaces (grid_search spaces are not supported). */
export class TpeSampler {
  readonly #spaces: Readonly<Record<string, ParameterSpace>>;
  readonly #random: Random;
  readonly #nInitial: number;
  readonly #gamma: number;
  readonly #nCandidates: number;
  readonly #priorWeight: number;

  /**
   * @param spaces Parameter path to space.
   * @param random The seeded generator of all draws.
   * @param options Startup trials, gamma, candidates, prior weight.
   */
  constructor(
    spaces: Readonly<Record<string, ParameterSpace>>,
    random: Random,
    options: TpeOptions = {},
  ) {
    for (const [path, s] of Object.entries(spaces)) {
      if (s.space === "grid_search") {
        throw new TypeError(
          `hyperopt.parameters["${path}"]: grid_search is not supported by the hyperopt (TPE) search`,
        );
      }
    }
    this.#spaces = spaces;
    this.#random = random;
    this.#nInitial = options.nInitialPoints ?? 20;
    this.#gamma = options.gamma ?? 0.25;
    this.#nCandidates = options.nCandidates ?? 24;
    this.#priorWeight = options.priorWeight ?? 1;
  }

  /** The next parameters, given the finished trials (any order; non-finite losses are ignored). */
  suggest(history: readonly Observation[]): Record<string, unknown> {
    const done = history.filter((o) => Number.isFinite(o.loss));
    const out: Record<string, unknown> = {};
    if (done.length < this.#nInitial) {
      for (const [path, s] of Object.entries(this.#spaces)) out[path] = sample(s, this.#random);
      return out;
    }
    const sorted = [...done].sort((a, b) => a.loss - b.loss);
    const nGood = goodCount(sorted.length, this.#gamma);
    const good = sorted.slice(0, nGood);
    const bad = sorted.slice(nGood);
    for (const [path, s] of Object.entries(this.#spaces)) {
      out[path] = isNumeric(s)
        ? this.#numeric(s, path, good, bad)
        : this.#categorical(s as ParameterSpace & { space: "choice" }, path, good, bad);
    }
    return out;
  }

  #numeric(
    s: ParameterSpace,
    path: string,
    good: readonly Observation[],
    bad: readonly Observation[],
  ): number {
    const values = (list: readonly Observation[]) =>
      list.map((o) => o.params[path]).filter((v): v is number => typeof v === "number").map((v) =>
        toWorking(s, v)
      );
    const range = workingRange(s);
    const bounded = "low" in range;
    const prior = bounded
      ? { mu: (range.low + range.high) / 2, sigma: range.high - range.low }
      : { mu: range.mean, sigma: range.sd };
    const bounds = bounded ? { low: range.low, high: range.high } : undefined;
    const l = adaptiveParzen(values(good), prior, this.#priorWeight, bounds);
    const g = adaptiveParzen(values(bad), prior, this.#priorWeight, bounds);
    let best = NaN;
    let bestScore = -Infinity;
    for (let c = 0; c < this.#nCandidates; c++) {
      const x = mixtureSample(l, this.#random);
      const score = mixtureLogDensity(l, x) - mixtureLogDensity(g, x);
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    return fromContinuous(s, best);
  }

  #categorical(
    s: ParameterSpace & { space: "choice" },
    path: string,
    good: readonly Observation[],
    bad: readonly Observation[],
  ): unknown {
    const k = s.categories.length;
    const keys = s.categories.map((c) => JSON.stringify(c));
    const posterior = (list: readonly Observation[]) => {
      const counts = new Array<number>(k).fill(this.#priorWeight / k);
      for (const o of list) {
        const i = keys.indexOf(JSON.stringify(o.params[path]));
        if (i >= 0) counts[i] += 1;
      }
      const total = counts.reduce((a, b) => a + b, 0);
      return counts.map((c) => c / total);
    };
    const pl = posterior(good);
    const pg = posterior(bad);
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < this.#nCandidates; c++) {
      let u = this.#random();
      let i = 0;
      while (i < k - 1 && u >= pl[i]) u -= pl[i++];
      const score = Math.log(pl[i]) - Math.log(pg[i]);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return structuredClone(s.categories[best]);
  }
}
