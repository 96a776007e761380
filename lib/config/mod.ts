/**
 * Sonata's config language: Ludwig's ECD config, strictly validated. Import from here to load,
 * validate, upgrade and render configs without loading TensorFlow.js.
 *
 * @example Load and inspect a config
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { loadConfig } from "./mod.ts";
 * const config = await loadConfig({
 *   input_features: [{ name: "review", type: "text", encoder: "rnn" }],
 *   output_features: [{ name: "sentiment", type: "category" }],
 * });
 * assertEquals(config.input_features[0].encoder.type, "rnn");
 * assertEquals(config.combiner.type, "concat");
 * ```
 *
 * @module
 */
export {
  type ConfigSource,
  loadConfig,
  resolveConfig,
  resolveConfigValue,
  type ResolvedConfig,
  validateConfig,
} from "./load.ts";
export {
  type ConfigIssue,
  type ConfigPath,
  ConfigSyntaxError,
  ConfigValidationError,
  formatIssue,
  formatPath,
  renderIssues,
} from "./errors.ts";
export type { buildModelSchema } from "./model.ts";
export {
  type ComponentConfig,
  type DefaultsConfig,
  type InputFeatureConfig,
  type ModelConfig,
  type ModelConfigInput,
  modelConfigSchema,
  type ModelConfigSchemaOutput,
  type ModelConfigSchemaType,
  type OutputFeatureConfig,
} from "./model.ts";
export { parseConfigText, toYAML } from "./parse.ts";
export { upgradeConfig, type UpgradeNote } from "./upgrade.ts";
export { normalizeConfig } from "./normalize.ts";
export { type Check, CHECKS, metricsOf } from "./checks.ts";
export { configJsonSchema } from "./json_schema.ts";
export * from "./components.ts";
export * from "./registry.ts";
export type * from "./types_gen.ts";
