/**
 * Network outputs in the form `postprocessPredictions` reads (probabilities for classifiers,
 * values otherwise). The same conversion as `Model.predict`'s, shared by the browser module.
 *
 * @module
 */
import type { RawOutput } from "../features/preprocess.ts";

/** One output feature's raw network output, as `predictSplit` returns it. */
export interface NetworkOutput {
  logits: Float32Array;
  probabilities?: Float32Array;
  shape: number[];
}

/** Raw outputs of `n` rows by output feature name. */
export function rawOutputs(
  outputs: Record<string, NetworkOutput>,
  n: number,
): Record<string, RawOutput> {
  return Object.fromEntries(
    Object.entries(outputs).map(([name, o]) => {
      const width = o.probabilities ? o.probabilities.length / Math.max(1, n) : o.shape[0];
      return [
        name,
        o.probabilities
          ? {
            probabilities: o.probabilities,
            shape: o.shape.length > 1 ? [n, ...o.shape] : [n, width],
          }
          : { values: o.logits, shape: [n, ...o.shape] },
      ];
    }),
  );
}
