/**
 * Feature builders: `feature.text("review").encoder("parallel_cnn", { num_filters: 64 })`.
 * Immutable: every method returns a new builder whose state is a plain config object.
 *
 * @module
 */
import type {
  DecoderOptions,
  DecoderType,
  EncoderOptions,
  EncoderType,
  FeatureType,
  InputPreprocessing,
  LossOptions,
  LossType,
  Namespaced,
  OutputExtras,
  OutputPreprocessing,
} from "./types.ts";

type Obj = Record<string, unknown>;

/** Reduction modes of sequence-shaped values. */
export type Reduce =
  | "sum"
  | "mean"
  | "avg"
  | "max"
  | "concat"
  | "last"
  | "attention"
  | "none"
  | null;

/** A feature under construction; `.input()`/`.output()` of a model builder take it. */
export class FeatureBuilder<T extends string> {
  readonly #state: Readonly<Obj>;

  /** Use `feature.<type>(name)` rather than this constructor. */
  constructor(state: Obj) {
    this.#state = Object.freeze(structuredClone(state));
  }

  #with(patch: Obj): FeatureBuilder<T> {
    return new FeatureBuilder<T>({ ...structuredClone(this.#state), ...patch });
  }

  /** Set the encoder (input features) and its options. */
  encoder<N extends EncoderType<T> | Namespaced>(
    type: N,
    options?: EncoderOptions<T, N>,
  ): FeatureBuilder<T> {
    return this.#with({ encoder: { type, ...(options ?? {}) } });
  }

  /** Set the decoder (output features) and its options. */
  decoder<N extends DecoderType<T> | Namespaced>(
    type: N,
    options?: DecoderOptions<T, N>,
  ): FeatureBuilder<T> {
    return this.#with({ decoder: { type, ...(options ?? {}) } });
  }

  /** Set the loss (output features) and its options. */
  loss<N extends LossType<T>>(type: N, options?: LossOptions<T, N>): FeatureBuilder<T> {
    return this.#with({ loss: { type, ...(options ?? {}) } });
  }

  /** Set preprocessing options (merged with any set before). */
  preprocessing(options: InputPreprocessing<T> | OutputPreprocessing<T>): FeatureBuilder<T> {
    const before = (this.#state.preprocessing ?? {}) as Obj;
    return this.#with({ preprocessing: { ...before, ...(options as Obj) } });
  }

  /**
   * Training-time augmentation of an image input feature: `true` (Ludwig's default pipeline:
   * horizontal flip and rotation up to 15 degrees) or a list of operations.
   */
  augmentation(value: boolean | readonly ({ type: string } & Obj)[]): FeatureBuilder<T> {
    return this.#with({ augmentation: structuredClone(value) });
  }

  /** Read this feature from another dataset column. */
  column(name: string): FeatureBuilder<T> {
    return this.#with({ column: name });
  }

  /** Share encoder weights with another input feature of the same type. */
  tied(name: string): FeatureBuilder<T> {
    return this.#with({ tied: name });
  }

  /** Feed the hidden states of other output features into this one. */
  dependencies(names: string[], reduce?: Reduce): FeatureBuilder<T> {
    return this.#with({
      dependencies: [...names],
      ...(reduce !== undefined ? { reduce_dependencies: reduce } : {}),
    });
  }

  /** How a sequence-shaped combiner output is reduced for this output feature. */
  reduceInput(reduce: Reduce): FeatureBuilder<T> {
    return this.#with({ reduce_input: reduce });
  }

  /** Output-level options: `threshold`, `top_k`, `clip`, `calibration`, `vector_size` ... */
  options(options: OutputExtras<T>): FeatureBuilder<T> {
    return this.#with(options as Obj);
  }

  /** The feature as a config object (a copy). */
  toObject(): Record<string, unknown> {
    return structuredClone(this.#state) as Obj;
  }
}

function make<T extends FeatureType>(type: T) {
  return (name: string): FeatureBuilder<T> => new FeatureBuilder<T>({ name, type });
}

/**
 * Feature builders, one per feature type.
 *
 * @example A text input and a category output
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { feature } from "./feature.ts";
 * const review = feature.text("review").encoder("parallel_cnn", { num_filters: 64 });
 * assertEquals(review.toObject(), {
 *   name: "review",
 *   type: "text",
 *   encoder: { type: "parallel_cnn", num_filters: 64 },
 * });
 * ```
 */
export const feature = {
  binary: make("binary"),
  number: make("number"),
  category: make("category"),
  set: make("set"),
  bag: make("bag"),
  vector: make("vector"),
  date: make("date"),
  h3: make("h3"),
  sequence: make("sequence"),
  text: make("text"),
  image: make("image"),
  /** A feature of a runtime-registered type. */
  custom: <T extends Namespaced>(type: T, name: string): FeatureBuilder<T> =>
    new FeatureBuilder<T>({ name, type }),
} as const;
