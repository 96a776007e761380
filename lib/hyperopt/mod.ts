/**
 * Ludwig's hyperparameter search: parameter spaces, search algorithms (random/grid and TPE),
 * schedulers (ASHA, HyperBand, median stopping) and the driver that runs trials in parallel
 * worker processes.
 *
 * @module
 */
export {
  concurrency,
  hyperopt,
  type HyperoptCallback,
  type HyperoptConfig,
  HyperoptError,
  type HyperoptOptions,
  type HyperoptResults,
  sortTrials,
  type TrialRecord,
  type TrialStatus,
} from "./run.ts";
export {
  contains,
  gridPoints,
  isInteger,
  isLog,
  isNumeric,
  type ParameterSpace,
  quantize,
  type Random,
  sample,
} from "./spaces.ts";
export { type Observation, type TpeOptions, TpeSampler } from "./tpe.ts";
export { createSearcher, numTrials, type SearchAlgConfig, type Searcher } from "./search.ts";
export {
  createScheduler,
  type Decision,
  type Scheduler,
  type SchedulerConfig,
} from "./schedulers.ts";
export { applyParameter, trialConfig } from "./config.ts";
