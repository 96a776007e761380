/**
 * The config pipeline (STYLE B2), numbered as in Vega-Lite's compile:
 * 0 parse → 1 upgrade → 2 normalize → 3 validate (zod) → 4 cross-field checks → 5 freeze.
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { envLimit, firstInvalidUtf8Line, formatBytes, warn } from "../_util/guard.ts";
import { runChecks } from "./checks.ts";
import { type ConfigIssue, ConfigSyntaxError, ConfigValidationError } from "./errors.ts";
import { type ModelConfig, modelConfigSchema } from "./model.ts";
import { normalizeConfig } from "./normalize.ts";
import { parseConfigText } from "./parse.ts";
import { upgradeConfig, type UpgradeNote } from "./upgrade.ts";
import { validateWith } from "./validate.ts";

/** Where a config comes from: a file path or URL, YAML/JSON text, or an object. */
export type ConfigSource = string | URL | Record<string, unknown>;

/** The outcome of resolving a config: the frozen config and what the upgrade changed. */
export interface ResolvedConfig {
  /** The fully defaulted, frozen config. */
  config: ModelConfig;
  /** Changes made to upgrade an older Ludwig layout. */
  upgrades: UpgradeNote[];
  /** The file the config came from, when it came from one. */
  source?: string;
}

/**
 * The largest config accepted, in bytes (Ludwig configs are a few KB); the environment variable
 * `SONATA_MAX_CONFIG_BYTES` overrides it (`0` for no limit).
 */
export const MAX_CONFIG_BYTES = 4 * 2 ** 20;

function configLimit(): number {
  return envLimit("SONATA_MAX_CONFIG_BYTES", MAX_CONFIG_BYTES);
}

function tooLarge(bytes: number, limit: number, source?: string): ConfigSyntaxError {
  return new ConfigSyntaxError(
    `the config is ${formatBytes(bytes)}, over the limit of ${
      formatBytes(limit)
    } (set SONATA_MAX_CONFIG_BYTES to raise it)`,
    { source },
  );
}

/** Decode config bytes; bytes that are not UTF-8 become U+FFFD, with one warning naming the line. */
function decodeConfig(bytes: Uint8Array, source: string): string {
  const limit = configLimit();
  if (bytes.length > limit) throw tooLarge(bytes.length, limit, source);
  const line = firstInvalidUtf8Line(bytes);
  if (line !== undefined) {
    warn(
      `${
        JSON.stringify(source)
      } line ${line}: bytes that are not UTF-8 were replaced by U+FFFD (save the config as UTF-8)`,
    );
  }
  return new TextDecoder().decode(bytes);
}

async function readConfigFile(path: string | URL, source: string): Promise<string> {
  const limit = configLimit();
  const size = (await stat(path)).size;
  if (size > limit) throw tooLarge(size, limit, source);
  return decodeConfig(new Uint8Array(await readFile(path)), source);
}

function checkTextSize(text: string, source?: string): string {
  const limit = configLimit();
  // UTF-16 length bounds the UTF-8 size from below: cheap, and exact for ASCII.
  if (text.length > limit) throw tooLarge(new TextEncoder().encode(text).length, limit, source);
  return text;
}

function looksLikeText(s: string): boolean {
  return s.includes("\n") || /^\s*[{[]/.test(s) || /^\s*[A-Za-z_]+\s*:/.test(s);
}

/** Stage 0: read a source into a plain object and name its origin. */
export async function readConfigSource(
  source: ConfigSource,
): Promise<{ value: unknown; source?: string }> {
  if (source instanceof URL || (typeof source === "string" && /^(https?|file):\/\//.test(source))) {
    const url = source instanceof URL ? source : new URL(source);
    if (url.protocol === "file:") {
      return {
        value: parseConfigText(await readConfigFile(url, url.pathname), url.pathname),
        source: url.pathname,
      };
    }
    const response = await fetch(url);
    if (!response.ok) {
      throw new ConfigSyntaxError(`cannot fetch: HTTP ${response.status}`, { source: url.href });
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > configLimit()) {
      await response.body?.cancel();
      throw tooLarge(declared, configLimit(), url.href);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { value: parseConfigText(decodeConfig(bytes, url.href), url.href), source: url.href };
  }
  if (typeof source === "string") {
    if (looksLikeText(source)) return { value: parseConfigText(checkTextSize(source)) };
    let text: string;
    try {
      text = await readConfigFile(source, source);
    } catch (error) {
      if (error instanceof ConfigSyntaxError) throw error;
      const code = (error as { code?: string }).code;
      throw new ConfigSyntaxError(
        code === "ENOENT" ? "no such file" : `cannot read: ${(error as Error).message}`,
        { source },
      );
    }
    return { value: parseConfigText(text, source), source };
  }
  return { value: source };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Stages 1–5 on an already parsed value. Never mutates `value`. Throws
 * {@linkcode ConfigValidationError} with every issue found.
 */
export function resolveConfigValue(value: unknown, source?: string): ResolvedConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigValidationError([{
      path: [],
      code: "invalid_type",
      expected: "an object with input_features and output_features",
      received: Array.isArray(value) ? "an array" : JSON.stringify(value),
    }], { source });
  }
  const copy = structuredClone(value) as Record<string, unknown>;
  const upgrades = upgradeConfig(copy);
  normalizeConfig(copy);
  const result = validateWith(modelConfigSchema(), copy);
  if (!result.ok) throw new ConfigValidationError(result.issues, { source, config: copy });
  const config = result.value as unknown as ModelConfig;
  const issues: ConfigIssue[] = runChecks(config);
  if (issues.length) throw new ConfigValidationError(issues, { source, config });
  return { config: deepFreeze(config), upgrades, source };
}

/**
 * Load a config from a file path or URL, YAML or JSON text, or an object, and return it
 * validated, upgraded and fully defaulted.
 *
 * @example Load YAML text
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { loadConfig } from "./load.ts";
 * const config = await loadConfig(`
 * input_features: [{ name: age, type: number }]
 * output_features: [{ name: income, type: binary }]
 * `);
 * assertEquals(config.trainer.validation_metric, "roc_auc");
 * ```
 */
export async function loadConfig(source: ConfigSource): Promise<ModelConfig> {
  const { value, source: origin } = await readConfigSource(source);
  return resolveConfigValue(value, origin).config;
}

/**
 * Validate a config object (never mutated) and return it fully defaulted and frozen.
 *
 * @example Validate an object
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { validateConfig } from "./load.ts";
 * const config = validateConfig({
 *   input_features: [{ name: "text", type: "text" }],
 *   output_features: [{ name: "label", type: "category" }],
 * });
 * assertEquals(config.input_features[0].encoder.type, "parallel_cnn");
 * ```
 */
export function validateConfig(config: Record<string, unknown>): ModelConfig {
  return resolveConfigValue(config).config;
}

/** Load a config and also report the upgrades applied (backs `render_config`). */
export async function resolveConfig(source: ConfigSource): Promise<ResolvedConfig> {
  const { value, source: origin } = await readConfigSource(source);
  return resolveConfigValue(value, origin);
}
