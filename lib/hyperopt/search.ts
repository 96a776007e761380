/**
 * Search algorithms: how each trial's parameters are drawn. `variant_generator` (and its alias
 * `random`) is Ray Tune's: the grid of `grid_search` values repeated `num_samples` times, every
 * other space sampled at random; `hyperopt` is TPE ({@linkcode TpeSampler}). Both are seeded
 * (`random_state`, or `random_state_seed` for hyperopt) and start with `points_to_evaluate`.
 *
 * @module
 */
import { seededRandom } from "../_util/random.ts";
import { gridPoints, type ParameterSpace, sample } from "./spaces.ts";
import { type Observation, TpeSampler } from "./tpe.ts";

/** The `search_alg` section (defaults filled). */
export interface SearchAlgConfig {
  type: "variant_generator" | "random" | "hyperopt";
  random_state?: number | null;
  random_state_seed?: number | null;
  points_to_evaluate?: readonly Record<string, unknown>[] | null;
  n_initial_points?: number;
  gamma?: number;
}

/** Draws parameters for trial after trial. */
export interface Searcher {
  /** The number of trials the search runs. */
  readonly numTrials: number;
  /** Parameters of trial `index` (0-based), given the finished trials so far. */
  next(index: number, history: readonly Observation[]): Record<string, unknown>;
}

/** Trials of a search: `num_samples`, times the grid's size when there are grid spaces. */
export function numTrials(
  parameters: Readonly<Record<string, ParameterSpace>>,
  numSamples: number | null | undefined,
): number {
  const grid = gridPoints(parameters).length;
  const hasGrid = Object.values(parameters).some((s) => s.space === "grid_search");
  return hasGrid ? (numSamples ?? 1) * grid : (numSamples ?? 10);
}

/**
 * The searcher of a `search_alg` section.
 *
 * @param parameters Parameter path to space.
 * @param alg The search algorithm section.
 * @param numSamples `executor.num_samples`.
 * @returns The searcher.
 */
export function createSearcher(
  parameters: Readonly<Record<string, ParameterSpace>>,
  alg: SearchAlgConfig,
  numSamples: number | null | undefined,
): Searcher {
  const total = numTrials(parameters, numSamples);
  const seed = (alg.type === "hyperopt" ? alg.random_state_seed ?? alg.random_state : undefined) ??
    alg.random_state ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const points = alg.points_to_evaluate ?? [];
  const random1 = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [path, s] of Object.entries(parameters)) {
      if (s.space !== "grid_search") out[path] = sample(s, random);
    }
    return out;
  };
  const withPoint = (index: number, drawn: Record<string, unknown>) =>
    index < points.length ? { ...drawn, ...structuredClone(points[index]) } : drawn;
  if (alg.type === "hyperopt") {
    const tpe = new TpeSampler(parameters, random, {
      nInitialPoints: alg.n_initial_points,
      gamma: alg.gamma,
    });
    return {
      numTrials: total,
      next: (index, history) => withPoint(index, tpe.suggest(history)),
    };
  }
  const grid = gridPoints(parameters);
  return {
    numTrials: total,
    next: (index) => withPoint(index, { ...grid[index % grid.length], ...random1() }),
  };
}
