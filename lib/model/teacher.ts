/**
 * Teacher forcing context: the trainer runs its training forward pass with each output
 * feature's targets available, and decoders that feed targets back (the generator) read them.
 * A TF.js functional model has one input per input feature, so targets travel beside it.
 *
 * Each model build creates its own {@linkcode TeacherForcing} channel (`EcdModel.teacher`,
 * `BuildContext.teacher`); decoders read the channel of the model they belong to, so two models
 * never see each other's targets. {@linkcode withTeacherTargets} is the model-less form kept for
 * callers that hold no `EcdModel` (it opens a scope every channel falls back to).
 *
 * @module
 */
import type { tf } from "../compute/mod.ts";

type Targets = Readonly<Record<string, tf.Tensor>>;

/** Layer-safe name of a feature (TF.js names allow letters, digits, `_ . - /`). */
function safeName(feature: string): string {
  return feature.replace(/[^A-Za-z0-9_.\-]/g, "_");
}

function byTensorName(targets: Targets): Targets {
  return Object.fromEntries(Object.entries(targets).map(([name, t]) => [safeName(name), t]));
}

/** The model-less scope of {@linkcode withTeacherTargets}. */
const ambient: { current?: Targets } = {};

/** The teacher-forcing channel of one model. */
export class TeacherForcing {
  #current?: Targets;

  /**
   * Run `fn` with the targets of each output feature available to this model's decoders.
   *
   * @param targets output feature name → targets
   * @param fn the forward pass
   */
  run<T>(targets: Targets, fn: () => T): T {
    const previous = this.#current;
    this.#current = byTensorName(targets);
    try {
      return fn();
    } finally {
      this.#current = previous;
    }
  }

  /** The targets of an output feature (by its tensor name) during a teacher-forced pass. */
  targetsOf(feature: string): tf.Tensor | undefined {
    return (this.#current ?? ambient.current)?.[feature];
  }
}

/**
 * Run `fn` with the targets of each output feature available for teacher forcing, to every
 * model's decoders (prefer `ecd.teacher.run(targets, fn)`, which reaches one model only).
 *
 * @param targets output feature name → targets
 * @param fn the forward pass
 * @returns what `fn` returns
 */
export function withTeacherTargets<T>(targets: Targets, fn: () => T): T {
  const previous = ambient.current;
  ambient.current = byTensorName(targets);
  try {
    return fn();
  } finally {
    ambient.current = previous;
  }
}

/** Targets seen by a layer that was loaded from a file (no channel): the model-less scope. */
export function teacherTargetsOf(feature: string): tf.Tensor | undefined {
  return ambient.current?.[feature];
}
