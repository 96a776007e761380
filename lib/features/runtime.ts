/**
 * The feature implementations: each feature type's registry entry (lib/features/mod.ts) has a
 * `load()` thunk that imports its one implementation module (`_<type>.ts`); this module awaits
 * those thunks and hands the {@linkcode FeatureImpl} out by type. Shared code (preprocess,
 * metrics, evaluation, the facade) reaches a type's behaviour only through here and never
 * compares type names.
 *
 * The built-in types are loaded when this module is first imported (one top-level await over
 * the registry's thunks; the implementation modules import nothing that imports this module),
 * so the synchronous {@linkcode featureImpl} serves them at once. A type registered at runtime
 * is loaded by the first asynchronous path that meets it (preprocessing) or by
 * {@linkcode loadFeatureImpl}.
 *
 * @module
 */
import { allFeatures, featureEntry } from "../config/components.ts";
import type { FeatureEntry } from "../config/registry.ts";
import { FEATURES } from "./mod.ts";
import type { FeatureImpl } from "./_common.ts";

export type { FeatureImpl, OutputImpl } from "./_common.ts";

const loaded = new Map<FeatureEntry, FeatureImpl>();

function supported(): string {
  return allFeatures().filter((e) => e.load).map((e) => `"${e.type}"`).join(", ");
}

function entryOf(type: string, where: string): FeatureEntry {
  const entry = featureEntry(type);
  if (entry === undefined || entry.load === undefined) {
    throw new TypeError(
      `${where}: type "${type}" is not supported yet: expected one of ${supported()}`,
    );
  }
  return entry;
}

function checked(entry: FeatureEntry, impl: unknown): FeatureImpl {
  const f = impl as Partial<FeatureImpl> | undefined;
  if (
    typeof f !== "object" || f === null || typeof f.parse !== "function" ||
    typeof f.fit !== "function" || typeof f.encode !== "function" ||
    (entry.output !== undefined && typeof f.output?.postprocess !== "function")
  ) {
    throw new TypeError(
      `Cannot load feature type "${entry.type}": its load() must resolve to a FeatureImpl (parse, parseFill, fillToJson, fit, encode${
        entry.output ? ", output.postprocess, output.metrics" : ""
      })`,
    );
  }
  return f as FeatureImpl;
}

/**
 * Loads (once) and returns the implementation of a feature type.
 *
 * @param type The feature type.
 * @param where The start of the error message (`Cannot preprocess feature "x"`).
 * @throws {TypeError} When the type has no implementation.
 */
export async function loadFeatureImpl(
  type: string,
  where = "Cannot use feature type",
): Promise<FeatureImpl> {
  const entry = entryOf(type, where);
  let impl = loaded.get(entry);
  if (impl === undefined) {
    impl = checked(entry, await entry.load!());
    loaded.set(entry, impl);
  }
  return impl;
}

/**
 * The implementation of a loaded feature type (every built-in type is loaded).
 *
 * @param type The feature type.
 * @param where The start of the error message.
 * @throws {TypeError} When the type has no implementation or is not loaded yet.
 */
export function featureImpl(type: string, where = "Cannot use feature type"): FeatureImpl {
  const entry = entryOf(type, where);
  const impl = loaded.get(entry);
  if (impl === undefined) {
    throw new TypeError(
      `${where}: the implementation of type "${type}" is not loaded yet: await loadFeatureImpl("${type}") first`,
    );
  }
  return impl;
}

await Promise.all(FEATURES.map((entry) => loadFeatureImpl(entry.type)));
