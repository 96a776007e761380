/**
 * Typed, immutable builders that produce exactly the config YAML would.
 *
 * @example Builder and YAML agree
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { loadConfig } from "../config/mod.ts";
 * import { feature, model } from "./mod.ts";
 * const built = model()
 *   .input(feature.text("review").encoder("rnn", { cell_type: "lstm" }))
 *   .output(feature.category("label"))
 *   .toConfig();
 * const loaded = await loadConfig(`
 * input_features: [{ name: review, type: text, encoder: { type: rnn, cell_type: lstm } }]
 * output_features: [{ name: label, type: category }]
 * `);
 * assertEquals(built, loaded);
 * ```
 *
 * @module
 */
export { feature, FeatureBuilder, type Reduce } from "./feature.ts";
export {
  type BackendOptions,
  type BuiltinCombiner,
  type CombinerOptions,
  type CombinerType,
  type DefaultsBlock,
  fromConfig,
  type HyperoptOptions,
  type HyperoptSectionOptions,
  model,
  ModelBuilder,
  type PreprocessingOptions,
  type TrainerOptions,
} from "./model.ts";
export type * from "./types.ts";
