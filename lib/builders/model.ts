/**
 * The model builder: `model().input(...).output(...).combiner(...).trainer(...).toConfig()`.
 * It produces exactly the object a person would write in YAML and runs it through the same
 * pipeline, so a builder and the equivalent YAML give deep-equal configs.
 *
 * @module
 */
import type { COMBINERS } from "../combiners/mod.ts";
import { resolveConfigValue } from "../config/load.ts";
import type { ModelConfig } from "../config/model.ts";
import { toYAML } from "../config/parse.ts";
import type {
  BackendOptions,
  CombinerOptionsMap,
  HyperoptSectionOptions,
  PreprocessingOptions,
  TrainerOptions,
} from "../config/types_gen.ts";
import { FeatureBuilder } from "./feature.ts";
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
} from "./types.ts";

type Obj = Record<string, unknown>;
/** A built-in combiner's registry entry. */
export type BuiltinCombiner = (typeof COMBINERS)[number];

/** Combiner names. */
export type CombinerType = keyof CombinerOptionsMap;
/** Options of combiner `N`. */
export type CombinerOptions<N extends string> = N extends Namespaced ? Record<string, unknown>
  : N extends CombinerType ? Omit<CombinerOptionsMap[N], "type">
  : never;

// The sections' options (what a person writes) are the interfaces generated from their schemas:
// TrainerOptions, PreprocessingOptions, HyperoptSectionOptions and BackendOptions.
export type { BackendOptions, HyperoptSectionOptions, PreprocessingOptions, TrainerOptions };
/**
 * Hyperopt options: the same as {@linkcode HyperoptSectionOptions}. The root module's
 * `HyperoptOptions` is the options of the `hyperopt()` function instead.
 */
export type HyperoptOptions = HyperoptSectionOptions;

/** The `defaults.<type>` block of feature type `T`. */
export interface DefaultsBlock<T extends string> {
  /** Input preprocessing defaults of the type. */
  preprocessing?: InputPreprocessing<T>;
  /** The default encoder of the type. */
  encoder?: { [N in EncoderType<T>]: { type: N } & EncoderOptions<T, N> }[EncoderType<T>];
  /** The default decoder of the type. */
  decoder?: { [N in DecoderType<T>]: { type: N } & DecoderOptions<T, N> }[DecoderType<T>];
  /** The default loss of the type. */
  loss?: { [N in LossType<T>]: { type: N } & LossOptions<T, N> }[LossType<T>];
}

/** A model config under construction. */
export class ModelBuilder {
  readonly #state: Readonly<Obj>;

  /** Use `model()` or `fromConfig()` rather than this constructor. */
  constructor(state: Obj = {}) {
    this.#state = Object.freeze(structuredClone(state));
  }

  #with(patch: Obj): ModelBuilder {
    return new ModelBuilder({ ...structuredClone(this.#state), ...patch });
  }

  #append(key: "input_features" | "output_features", f: FeatureBuilder<string> | Obj) {
    const list = Array.isArray(this.#state[key]) ? this.#state[key] as Obj[] : [];
    const item = f instanceof FeatureBuilder ? f.toObject() : structuredClone(f);
    return this.#with({ [key]: [...list, item] });
  }

  /** Add an input feature. */
  input(f: FeatureBuilder<string> | Record<string, unknown>): ModelBuilder {
    return this.#append("input_features", f);
  }

  /** Add an output feature. */
  output(f: FeatureBuilder<string> | Record<string, unknown>): ModelBuilder {
    return this.#append("output_features", f);
  }

  /** Choose the combiner and its options. */
  combiner<N extends CombinerType | Namespaced>(
    type: N,
    options?: CombinerOptions<N>,
  ): ModelBuilder {
    return this.#with({ combiner: { type, ...(options ?? {}) } });
  }

  /** Set trainer options (merged with any set before). */
  trainer(options: TrainerOptions): ModelBuilder {
    return this.#with({ trainer: { ...(this.#state.trainer as Obj ?? {}), ...options } });
  }

  /** Set global preprocessing options (merged with any set before). */
  preprocessing(options: PreprocessingOptions): ModelBuilder {
    return this.#with({
      preprocessing: { ...(this.#state.preprocessing as Obj ?? {}), ...options },
    });
  }

  /** Set the defaults of a feature type. */
  defaults<T extends FeatureType>(type: T, block: DefaultsBlock<T>): ModelBuilder {
    const before = (this.#state.defaults ?? {}) as Obj;
    return this.#with({ defaults: { ...before, [type]: block } });
  }

  /** Set the hyperparameter search. */
  hyperopt(options: HyperoptSectionOptions): ModelBuilder {
    return this.#with({ hyperopt: options });
  }

  /** Set the backend (`compute` chooses the engine), or only its `type`. */
  backend(options: BackendOptions | NonNullable<BackendOptions["type"]>): ModelBuilder {
    return this.#with({ backend: options });
  }

  /** The config as written (before defaults), a copy. */
  toObject(): Record<string, unknown> {
    return structuredClone(this.#state) as Obj;
  }

  /** Validate and return the fully defaulted, frozen config (same pipeline as YAML). */
  toConfig(): ModelConfig {
    return resolveConfigValue(this.toObject(), "builder").config;
  }

  /** The config as written, in YAML. */
  toYAML(): string {
    return toYAML(this.#state);
  }

  /** The config as written, in JSON. */
  toJSON(): Record<string, unknown> {
    return this.toObject();
  }

  /** Jupyter display: the config as written, in YAML (`displayConfig()` highlights it). */
  [Symbol.for("Jupyter.display")](): { "text/html": string; "text/plain": string } {
    const yaml = this.toYAML();
    const escaped = yaml.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    return { "text/html": `<pre>${escaped}</pre>`, "text/plain": yaml };
  }
}

/**
 * Start a model config.
 *
 * @example Build a config
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { feature, model } from "./mod.ts";
 * const config = model()
 *   .input(feature.number("age").preprocessing({ normalization: "minmax" }))
 *   .output(feature.binary("survived"))
 *   .trainer({ epochs: 5 })
 *   .toConfig();
 * assertEquals(config.input_features[0].preprocessing.normalization, "minmax");
 * ```
 */
export function model(): ModelBuilder {
  return new ModelBuilder();
}

/** A builder holding an existing config (as written or resolved). */
export function fromConfig(config: Record<string, unknown> | ModelConfig): ModelBuilder {
  return new ModelBuilder(structuredClone(config) as Obj);
}
