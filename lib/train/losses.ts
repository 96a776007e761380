/**
 * Loss functions of reference §6, on logits (or values) and preprocessed targets. Each loss is
 * one registry entry (lib/config/losses.ts: schema + `load()`); its implementation
 * ({@linkcode LossImpl}, lib/train/losses/_<family>.ts) makes the function from the loss
 * config. {@linkcode createLoss} only looks the entry up. Also how logits become probabilities:
 * the loss's own rule when it has one (CORN), else the output type's `probability` capability.
 *
 * The built-in losses are loaded when this module is first imported (one top-level await over
 * the registry's thunks; the implementation modules never import this one), so
 * {@linkcode createLoss} stays synchronous. A loss registered at runtime is loaded with
 * {@linkcode loadLossImpl} before use.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { allLosses, featureEntry } from "../config/components.ts";
import { LOSSES } from "../config/losses.ts";
import type { OutputFeatureConfig } from "../config/model.ts";
import type { LossEntry } from "../config/registry.ts";
import type { LossContext, LossFn, LossImpl } from "./losses/_common.ts";

export type { LossContext, LossFn, LossImpl } from "./losses/_common.ts";

const loaded = new Map<LossEntry, LossImpl>();

function lossEntryOf(type: string, feature: string): LossEntry {
  const entry = allLosses().find((e) => e.type === type);
  if (entry === undefined || entry.load === undefined) {
    throw new TypeError(
      `Cannot train output feature ${JSON.stringify(feature)}: loss ${
        JSON.stringify(type)
      } is not implemented in Sonata yet`,
    );
  }
  return entry;
}

/**
 * Loads (once) and returns a loss's implementation.
 *
 * @throws {TypeError} When the loss has no implementation.
 */
export async function loadLossImpl(type: string, feature = "?"): Promise<LossImpl> {
  const entry = lossEntryOf(type, feature);
  let impl = loaded.get(entry);
  if (impl === undefined) {
    const value = await entry.load!() as Partial<LossImpl> | undefined;
    if (typeof value?.create !== "function") {
      throw new TypeError(
        `Cannot load loss ${JSON.stringify(type)}: its load() must resolve to a LossImpl (create)`,
      );
    }
    impl = value as LossImpl;
    loaded.set(entry, impl);
  }
  return impl;
}

function lossImpl(type: string, feature: string): LossImpl {
  const impl = loaded.get(lossEntryOf(type, feature));
  if (impl === undefined) {
    throw new TypeError(
      `Cannot train output feature ${JSON.stringify(feature)}: loss ${
        JSON.stringify(type)
      } is not loaded yet: await loadLossImpl(${JSON.stringify(type)}) first`,
    );
  }
  return impl;
}

/** The loss function of an output feature. */
export function createLoss(
  feature: OutputFeatureConfig,
  metadata: Record<string, unknown>,
  classes: number,
): LossFn {
  const loss = feature.loss as Record<string, unknown> & { type: string };
  const ctx: LossContext = { feature: feature.name, classes, metadata };
  return lossImpl(loss.type, feature.name).create(loss, ctx);
}

/**
 * Probabilities from logits for classification outputs: the loss's own rule (CORN's cumulative
 * product of sigmoids turned into class probabilities), else the output type's `probability`
 * capability: sigmoid (binary, set) or softmax over the last axis (category; sequence and text
 * per position). Returns undefined for regression outputs.
 */
export function probabilitiesFromLogits(
  lossType: string,
  outputType: string,
  logits: tf.Tensor,
  classes: number,
): tf.Tensor | undefined {
  const entry = allLosses().find((e) => e.type === lossType);
  const own = entry ? loaded.get(entry)?.probabilities : undefined;
  return tf.tidy(() => {
    if (own) return own(logits, classes);
    const probability = featureEntry(outputType)?.output?.probability;
    if (probability === "softmax") return tf.softmax(logits, -1);
    if (probability === "sigmoid") return tf.sigmoid(logits);
    return undefined;
  });
}

await Promise.all(LOSSES.map((entry) => loadLossImpl(entry.type)));
