/**
 * Types derived from the registry tables (never written twice): which encoders, decoders and
 * losses each feature type accepts, and each one's options.
 *
 * @module
 */
import type { DECODERS } from "../decoders/mod.ts";
import type { ENCODERS } from "../encoders/mod.ts";
import type { FEATURES } from "../features/mod.ts";
import type { LOSSES } from "../config/losses.ts";

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
export type InputFeatureType = Extract<BuiltinFeature, { input: object }>["type"];
/** Feature types that can be outputs. */
export type OutputFeatureType = Extract<BuiltinFeature, { output: object }>["type"];
/** Every built-in feature type. */
export type FeatureType = BuiltinFeature["type"];

/** Encoder names valid for feature type `T`. */
export type EncoderType<T extends string> = Serving<BuiltinEncoder, T>["type"];
/** Options of encoder `N` of feature type `T` (what a person writes, without `type`). */
export type EncoderOptions<T extends string, N extends string> = N extends Namespaced
  ? Record<string, unknown>
  : Omit<SchemaInput<Extract<Serving<BuiltinEncoder, T>, { type: N }>["schema"]>, "type">;

/** Decoder names valid for output feature type `T`. */
export type DecoderType<T extends string> = Serving<BuiltinDecoder, T>["type"];
/** Options of decoder `N` of feature type `T`. */
export type DecoderOptions<T extends string, N extends string> = N extends Namespaced
  ? Record<string, unknown>
  : Omit<SchemaInput<Extract<Serving<BuiltinDecoder, T>, { type: N }>["schema"]>, "type">;

/** Loss names valid for output feature type `T`. */
export type LossType<T extends string> = Serving<BuiltinLoss, T>["type"];
/** Options of loss `N` of feature type `T`. */
export type LossOptions<T extends string, N extends string> = Omit<
  SchemaInput<Extract<Serving<BuiltinLoss, T>, { type: N }>["schema"]>,
  "type"
>;

/** The registry entry of built-in feature type `T`. */
export type FeatureOf<T extends string> = Extract<BuiltinFeature, { type: T }>;

/** Input preprocessing options of feature type `T`. */
export type InputPreprocessing<T extends string> = FeatureOf<T> extends
  { input: { preprocessing: infer S } } ? SchemaInput<S> : never;
/** Output preprocessing options of feature type `T`. */
export type OutputPreprocessing<T extends string> = FeatureOf<T> extends
  { output: { preprocessing: infer S } } ? SchemaInput<S> : never;
/** Output-level options of feature type `T` (threshold, top_k, clip ...). */
export type OutputExtras<T extends string> = FeatureOf<T> extends
  { output: { extra: infer S extends object } } ? { [K in keyof S]?: SchemaInput<S[K]> }
  : Record<never, never>;
