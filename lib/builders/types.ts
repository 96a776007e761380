/**
 * Which encoders, decoders and losses each feature type accepts, and each one's options: read from
 * the interfaces generated from the registry's schemas (lib/config/types_gen.ts), never derived
 * with `z.input` here, so that type-checking a script that uses the builders stays cheap.
 *
 * @module
 */
import type { DECODERS } from "../decoders/mod.ts";
import type { ENCODERS } from "../encoders/mod.ts";
import type { FEATURES } from "../features/mod.ts";
import type { LOSSES } from "../config/losses.ts";
import type {
  DecoderOptionsMap,
  EncoderOptionsMap,
  InputPreprocessingMap,
  LossOptionsMap,
  OutputExtrasMap,
  OutputPreprocessingMap,
} from "../config/types_gen.ts";

/** A built-in encoder's registry entry. */
export type BuiltinEncoder = (typeof ENCODERS)[number];
/** A built-in decoder's registry entry. */
export type BuiltinDecoder = (typeof DECODERS)[number];
/** A built-in loss's registry entry. */
export type BuiltinLoss = (typeof LOSSES)[number];
/** A built-in feature type's registry entry. */
export type BuiltinFeature = (typeof FEATURES)[number];

/** The entries of `E` that serve feature type `T` (their `featureTypes` include it). */
export type Serving<E, T extends string> = E extends { featureTypes: readonly (infer U)[] }
  ? T extends U ? E : never
  : never;

/**
 * What a person writes for a zod schema `S` (its input type, defaults optional): zod's `z.input`,
 * read from the `_zod.input` slot every zod schema carries.
 */
export type SchemaInput<S> = S extends { readonly _zod: { readonly input: unknown } }
  ? S["_zod"]["input"]
  : never;

/** A namespaced runtime-registered component type. */
export type Namespaced = `${string}/${string}`;

/** Feature types that can be inputs. */
export type InputFeatureType = keyof InputPreprocessingMap;
/** Feature types that can be outputs. */
export type OutputFeatureType = keyof OutputPreprocessingMap;
/** Every built-in feature type. */
export type FeatureType = InputFeatureType | OutputFeatureType;

/** The options of component `N` in table `M` (one row per feature type), `type` left out. */
export type OptionsIn<M, T extends string, N extends string> = T extends keyof M
  ? N extends keyof M[T] ? Omit<M[T][N], "type"> : never
  : never;

/** Encoder names valid for feature type `T`. */
export type EncoderType<T extends string> = T extends keyof EncoderOptionsMap
  ? keyof EncoderOptionsMap[T] & string
  : never;
/** Options of encoder `N` of feature type `T` (what a person writes, without `type`). */
export type EncoderOptions<T extends string, N extends string> = N extends Namespaced
  ? Record<string, unknown>
  : OptionsIn<EncoderOptionsMap, T, N>;

/** Decoder names valid for output feature type `T`. */
export type DecoderType<T extends string> = T extends keyof DecoderOptionsMap
  ? keyof DecoderOptionsMap[T] & string
  : never;
/** Options of decoder `N` of feature type `T`. */
export type DecoderOptions<T extends string, N extends string> = N extends Namespaced
  ? Record<string, unknown>
  : OptionsIn<DecoderOptionsMap, T, N>;

/** Loss names valid for output feature type `T`. */
export type LossType<T extends string> = T extends keyof LossOptionsMap
  ? keyof LossOptionsMap[T] & string
  : never;
/** Options of loss `N` of feature type `T`. */
export type LossOptions<T extends string, N extends string> = OptionsIn<LossOptionsMap, T, N>;

/** The registry entry of built-in feature type `T`. */
export type FeatureOf<T extends string> = Extract<BuiltinFeature, { type: T }>;

/** Input preprocessing options of feature type `T`. */
export type InputPreprocessing<T extends string> = T extends keyof InputPreprocessingMap
  ? InputPreprocessingMap[T]
  : never;
/** Output preprocessing options of feature type `T`. */
export type OutputPreprocessing<T extends string> = T extends keyof OutputPreprocessingMap
  ? OutputPreprocessingMap[T]
  : never;
/** Output-level options of feature type `T` (threshold, top_k, clip ...). */
export type OutputExtras<T extends string> = T extends keyof OutputExtrasMap ? OutputExtrasMap[T]
  : Record<never, never>;
