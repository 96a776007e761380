/**
 * Tensor names of features (issue 17 #3). TF.js names layers and inputs with
 * `[A-Za-z0-9][A-Za-z0-9_.\-/]*` and looks them up in plain objects while deserializing, so a
 * feature name is mapped to a safe, unique, stable tensor name: a plain name (letters, digits,
 * `_ . -`, starting with a letter or digit, not a key of `Object.prototype`) keeps itself, so
 * models of plain names are laid out as before; any other becomes `f_<ascii slug>_<hash>`, the
 * hash (FNV-1a of its UTF-8 bytes) making `my col` and `my_col` differ. The mapping of a saved
 * model is kept in its folder (`tensor_names.json`); a folder without one was written before
 * this mapping and used {@linkcode legacyTensorName}.
 *
 * @module
 */

/** The file of a model folder that holds the mapping, feature name → tensor name. */
export const TENSOR_NAMES_FILE = "tensor_names.json";

const PLAIN = /^[A-Za-z0-9][A-Za-z0-9_.\-]*$/;
const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** An ASCII slug of a name: accents dropped, other characters `_`, at most 32 characters. */
function slug(name: string): string {
  return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "").slice(0, 32);
}

/** The tensor name of one feature name, before uniqueness across a model. */
export function safeTensorName(name: string): string {
  if (PLAIN.test(name) && !RESERVED.has(name)) return name;
  const s = slug(name);
  return `f_${s ? `${s}_` : ""}${fnv1a(name)}`;
}

/** The name Sonata before `tensor_names.json` gave a feature (folders without that file). */
export function legacyTensorName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.\-]/g, "_");
}

/**
 * Tensor names of a model's features (input features, then output features): each its
 * {@linkcode safeTensorName}, with `_2`, `_3` … on the rare collision, so all are unique.
 */
export function featureTensorNames(names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of names) {
    if (out.has(name)) continue;
    const base = safeTensorName(name);
    let candidate = base;
    for (let i = 2; taken.has(candidate); i++) candidate = `${base}_${i}`;
    taken.add(candidate);
    out.set(name, candidate);
  }
  return out;
}

/**
 * Read a folder's mapping (a JSON object, feature name → tensor name), checking that it maps
 * every feature to a distinct valid tensor name.
 *
 * @param where the file, for messages
 */
export function parseTensorNames(
  value: unknown,
  features: readonly string[],
  where: string,
): Map<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${where} is not a JSON object of feature name → tensor name`);
  }
  const out = new Map<string, string>();
  const seen = new Set<string>();
  for (const name of features) {
    const t = Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
    if (typeof t !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.\-]*$/.test(t) || seen.has(t)) {
      throw new TypeError(
        `This folder's ${where} does not match its model_config.json: feature ${
          JSON.stringify(name)
        } has ${t === undefined ? "no" : "an invalid or repeated"} tensor name`,
      );
    }
    seen.add(t);
    out.set(name, t);
  }
  return out;
}

/**
 * Set `record[key]` as an own property, whatever the key: `__proto__` included, where a
 * runtime has the `Object.prototype.__proto__` accessor (browsers; Deno removes it).
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
