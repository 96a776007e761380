/**
 * Stage 2 of the config pipeline: expand shorthands and merge `defaults:` into features with
 * Ludwig's rules (reference §12): input features take `preprocessing` and `encoder` defaults,
 * output features take `decoder` and `loss` defaults; a block whose explicit `type` differs from
 * the default's replaces it wholesale. Text `lowercase` defaults to true for configs written
 * for Ludwig before 0.9.
 *
 * @module
 */
import { featureEntry } from "./components.ts";
import { compareVersions } from "./upgrade.ts";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep-merge `over` onto `base` (objects merge, everything else replaces). Returns a new object. */
export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Obj, v) : v;
  }
  return out;
}

/** `"bert"` → `{type: "bert"}`; objects pass through. */
function expand(value: unknown): unknown {
  return typeof value === "string" ? { type: value } : value;
}

/** Merge a default component block under a feature's block, per Ludwig's type rule. */
function mergeComponent(defaultBlock: unknown, block: unknown, defaultType?: string): unknown {
  const d = expand(defaultBlock);
  const b = expand(block);
  if (!isObj(d)) return b;
  const dType = d.type ?? defaultType;
  if (isObj(b)) {
    const bType = b.type ?? dType;
    if (bType !== undefined && dType !== undefined && bType !== dType) return b;
    return deepMerge(dType !== undefined ? { ...d, type: dType } : d, b);
  }
  if (b !== undefined) return b;
  return dType !== undefined ? { ...d, type: dType } : d;
}

function textLowercaseDefault(ludwigVersion: unknown): boolean | undefined {
  if (typeof ludwigVersion !== "string") return undefined;
  return compareVersions(ludwigVersion, "0.9") < 0 ? true : undefined;
}

/** Normalize a config object in place (it must be a private copy). */
export function normalizeConfig(config: Record<string, unknown>): void {
  const defaults = isObj(config.defaults) ? config.defaults : {};
  for (const [type, block] of Object.entries(defaults)) {
    if (!isObj(block)) continue;
    const entry = featureEntry(type);
    if (block.encoder !== undefined) {
      block.encoder = mergeComponent(undefined, block.encoder, entry?.input?.defaultEncoder);
    }
    if (block.decoder !== undefined) {
      block.decoder = mergeComponent(undefined, block.decoder, entry?.output?.defaultDecoder);
    }
    if (block.loss !== undefined) {
      block.loss = mergeComponent(undefined, block.loss, entry?.output?.defaultLoss);
    }
  }
  if (isObj(config.combiner) || typeof config.combiner === "string") {
    config.combiner = expand(config.combiner);
  }
  const lowercase = textLowercaseDefault(config.ludwig_version);
  for (
    const [list, keys] of [
      ["input_features", ["encoder"]],
      ["output_features", ["decoder", "loss"]],
    ] as const
  ) {
    const features = config[list];
    if (!Array.isArray(features)) continue;
    for (const f of features) {
      if (!isObj(f) || typeof f.type !== "string") continue;
      const entry = featureEntry(f.type);
      const d = isObj(defaults[f.type]) ? defaults[f.type] as Obj : {};
      if (list === "input_features" && isObj(d.preprocessing)) {
        f.preprocessing = deepMerge(d.preprocessing, isObj(f.preprocessing) ? f.preprocessing : {});
      }
      for (const key of keys) {
        const defaultType = key === "encoder"
          ? entry?.input?.defaultEncoder
          : key === "decoder"
          ? entry?.output?.defaultDecoder
          : entry?.output?.defaultLoss;
        if (d[key] !== undefined || f[key] !== undefined) {
          f[key] = d[key] === undefined
            ? expand(f[key])
            : mergeComponent(d[key], f[key], defaultType);
        }
      }
      if (lowercase !== undefined && f.type === "text") {
        const p = (f.preprocessing = isObj(f.preprocessing) ? f.preprocessing : {}) as Obj;
        if (p.lowercase === undefined) p.lowercase = lowercase;
      }
    }
  }
  if (lowercase !== undefined && isObj(defaults.text)) {
    const p = (defaults.text.preprocessing = isObj(defaults.text.preprocessing)
      ? defaults.text.preprocessing
      : {}) as Obj;
    if (p.lowercase === undefined) {
      p.lowercase = lowercase;
    }
  }
}
