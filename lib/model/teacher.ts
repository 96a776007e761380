/**
 * Teacher forcing context: the trainer runs its training forward pass with each output
 * feature's targets available, and decoders that feed targets back (the generator) read them.
 * A TF.js functional model has one input per input feature, so targets travel beside it.
 *
 * @module
 */
import type { tf } from "../compute/mod.ts";
import { tensorName } from "./ecd.ts";

let current: Readonly<Record<string, tf.Tensor>> | undefined;

/**
 * Run `fn` with the targets of each output feature available for teacher forcing.
 *
 * @param targets output feature name → targets
 * @param fn the forward pass
 * @returns what `fn` returns
 */
export function withTeacherTargets<T>(
  targets: Readonly<Record<string, tf.Tensor>>,
  fn: () => T,
): T {
  const previous = current;
  current = Object.fromEntries(Object.entries(targets).map(([name, t]) => [tensorName(name), t]));
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** The targets of an output feature (by its tensor name) during a teacher-forced pass. */
export function teacherTargetsOf(feature: string): tf.Tensor | undefined {
  return current?.[feature];
}
