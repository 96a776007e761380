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
import { safeTensorName } from "./names.ts";

type Targets = Readonly<Record<string, tf.Tensor>>;

/**
 * Targets by tensor name: through a model's mapping (`names`), else the name alone
 * ({@linkcode safeTensorName}); a record without a prototype, so any name is a plain key.
 */
function byTensorName(targets: Targets, names?: ReadonlyMap<string, string>): Targets {
  const out: Record<string, tf.Tensor> = Object.create(null);
  for (const [name, t] of Object.entries(targets)) {
    out[names?.get(name) ?? safeTensorName(name)] = t;
  }
  return out;
}

/** The model-less scope of {@linkcode withTeacherTargets}. */
const ambient: { current?: Targets } = {};

/** The teacher-forcing channel of one model. */
export class TeacherForcing {
  #current?: Targets;
  readonly #names?: ReadonlyMap<string, string>;

  /** @param names the model's feature name → tensor name mapping */
  constructor(names?: ReadonlyMap<string, string>) {
    this.#names = names;
  }

  /**
   * Run `fn` with the targets of each output feature available to this model's decoders.
   *
   * @param targets output feature name → targets
   * @param fn the forward pass
   */
  run<T>(targets: Targets, fn: () => T): T {
    const previous = this.#current;
    this.#current = byTensorName(targets, this.#names);
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
