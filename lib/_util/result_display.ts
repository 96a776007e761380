/**
 * The seam between the Model facade and rich display: `lib/api.ts` hands its results and asks
 * for progress callbacks through these hooks, and `lib/viz/rich.ts` registers the notebook
 * implementations when it is imported (as `mod.ts` does). Without a registration results are
 * returned as they are and progress goes to the terminal.
 *
 * @module
 */
import type { TrainCallbacks } from "../train/callbacks.ts";

type Obj = Record<string, unknown>;

/** What a display module provides. */
export interface ResultDisplay {
  /** Attach a rich display to `Model.train()`'s result (returns the same object). */
  training<T extends object>(result: T): T;
  /** Attach a rich display to an evaluation result. */
  evaluation<T extends object>(result: T, metadata?: Readonly<Obj>): T;
  /** Attach a rich display to a prediction result. */
  predictions<T extends object>(result: T): T;
  /**
   * Live progress callbacks for this environment, or undefined to use the terminal's
   * (a notebook returns its own).
   */
  progress(options: { validationField?: string; validationMetric?: string }):
    | TrainCallbacks
    | undefined;
}

let current: ResultDisplay | undefined;

/** Register the display module (the last registration wins). */
export function registerResultDisplay(display: ResultDisplay): void {
  current = display;
}

/** The registered display module, if any. */
export function resultDisplay(): ResultDisplay | undefined {
  return current;
}
