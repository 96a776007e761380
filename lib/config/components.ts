/**
 * The live component tables: the built-in registries plus entries registered at runtime with
 * {@linkcode registerEncoder} and friends (namespaced types such as `"acme/fancy_cnn"`).
 *
 * @module
 */
import { COMBINERS, LUDWIG_ONLY_COMBINERS } from "../combiners/mod.ts";
import { DECODERS } from "../decoders/mod.ts";
import { ENCODERS, LUDWIG_ONLY_ENCODERS } from "../encoders/mod.ts";
import { FEATURES } from "../features/mod.ts";
import { LOSSES } from "./losses.ts";
import type {
  CombinerEntry,
  DecoderEntry,
  EncoderEntry,
  FeatureEntry,
  LossEntry,
} from "./registry.ts";

/** Feature types Ludwig has that Sonata does not provide yet. */
export const LUDWIG_ONLY_FEATURE_TYPES = {
  input: ["audio", "timeseries"],
  output: ["category_distribution", "timeseries", "image", "anomaly"],
} as const;

const runtime = {
  encoders: [] as EncoderEntry[],
  decoders: [] as DecoderEntry[],
  combiners: [] as CombinerEntry[],
  losses: [] as LossEntry[],
  features: [] as FeatureEntry[],
};

let version = 0;

/** A number that changes whenever a component is registered (schema caches key on it). */
export function registryVersion(): number {
  return version;
}

function requireNamespaced(kind: string, type: string): void {
  if (!/^[a-z0-9_.-]+\/[a-z0-9_.-]+$/i.test(type)) {
    throw new TypeError(
      `Cannot register ${kind} ${
        JSON.stringify(type)
      }: a runtime ${kind} type must be namespaced, as in "acme/${type}"`,
    );
  }
}

/** Register an encoder at runtime; its `type` must be namespaced (`"acme/fancy_cnn"`). */
export function registerEncoder(entry: EncoderEntry): void {
  requireNamespaced("encoder", entry.type);
  for (const t of entry.featureTypes) {
    if (encodersFor(t).some((e) => e.type === entry.type)) {
      throw new TypeError(
        `Cannot register encoder ${JSON.stringify(entry.type)}: already registered`,
      );
    }
  }
  runtime.encoders.push(entry);
  version++;
}

/** Register a decoder at runtime; its `type` must be namespaced. */
export function registerDecoder(entry: DecoderEntry): void {
  requireNamespaced("decoder", entry.type);
  runtime.decoders.push(entry);
  version++;
}

/** Register a combiner at runtime; its `type` must be namespaced. */
export function registerCombiner(entry: CombinerEntry): void {
  requireNamespaced("combiner", entry.type);
  if (allCombiners().some((c) => c.type === entry.type)) {
    throw new TypeError(
      `Cannot register combiner ${JSON.stringify(entry.type)}: already registered`,
    );
  }
  runtime.combiners.push(entry);
  version++;
}

/** Every encoder, built-in then runtime. */
export function allEncoders(): readonly EncoderEntry[] {
  return [...(ENCODERS as readonly EncoderEntry[]), ...runtime.encoders];
}

/** Every decoder. */
export function allDecoders(): readonly DecoderEntry[] {
  return [...(DECODERS as readonly DecoderEntry[]), ...runtime.decoders];
}

/** Every combiner. */
export function allCombiners(): readonly CombinerEntry[] {
  return [...(COMBINERS as readonly CombinerEntry[]), ...runtime.combiners];
}

/** Every loss. */
export function allLosses(): readonly LossEntry[] {
  return [...(LOSSES as readonly LossEntry[]), ...runtime.losses];
}

/** Every feature type. */
export function allFeatures(): readonly FeatureEntry[] {
  return [...(FEATURES as readonly FeatureEntry[]), ...runtime.features];
}

/** The encoders serving a feature type. */
export function encodersFor(featureType: string): EncoderEntry[] {
  return allEncoders().filter((e) => e.featureTypes.includes(featureType));
}

/** The decoders serving an output feature type. */
export function decodersFor(featureType: string): DecoderEntry[] {
  return allDecoders().filter((d) => d.featureTypes.includes(featureType));
}

/** The losses for an output feature type. */
export function lossesFor(featureType: string): LossEntry[] {
  return allLosses().filter((l) => l.featureTypes.includes(featureType));
}

/** The feature entry of a type, or undefined. */
export function featureEntry(type: string): FeatureEntry | undefined {
  return allFeatures().find((f) => f.type === type);
}

/** The encoder entry of a feature type and encoder type, or undefined. */
export function encoderEntry(featureType: string, type: string): EncoderEntry | undefined {
  return encodersFor(featureType).find((e) => e.type === type);
}

/** The decoder entry of a feature type and decoder type, or undefined. */
export function decoderEntry(featureType: string, type: string): DecoderEntry | undefined {
  return decodersFor(featureType).find((d) => d.type === type);
}

/** The combiner entry of a type, or undefined. */
export function combinerEntry(type: string): CombinerEntry | undefined {
  return allCombiners().find((c) => c.type === type);
}

/** Encoders Ludwig has for a feature type that Sonata lacks. */
export function ludwigOnlyEncoders(featureType: string): readonly string[] {
  return LUDWIG_ONLY_ENCODERS[featureType] ?? [];
}

export { LUDWIG_ONLY_COMBINERS };
