/**
 * Types derived from the registry tables (never written twice): which encoders, decoders and
 * losses each feature type accepts, and each one's options.
 *
 * @module
 */
import type { z } from "zod";
import type { DECODERS } from "../decoders/mod.ts";
import type { ENCODERS } from "../encoders/mod.ts";
import type { FEATURES } from "../features/mod.ts";
import type { LOSSES } from "../config/losses.ts";

type Encoders = (typeof ENCODERS)[number];
type Decoders = (typeof DECODERS)[number];
type Losses = (typeof LOSSES)[number];
type Features = (typeof FEATURES)[number];

type Serving<E, T extends string> = E extends { featureTypes: readonly (infer U)[] }
  ? T extends U ? E : never
  : never;

/** A namespaced runtime-registered component type. */
export type Namespaced = `${string}/${string}`;

/** Feature types that can be inputs. */
export type InputFeatureType = Extract<Features, { input: object }>["type"];
/** Feature types that can be outputs. */
export type OutputFeatureType = Extract<Features, { output: object }>["type"];
/** Every built-in feature type. */
export type FeatureType = Features["type"];

/** Encoder names valid for feature type `T`. */
export type EncoderType<T extends string> = Serving<Encoders, T>["type"];
/** Options of encoder `N` of feature type `T` (what a person writes, without `type`). */
export type EncoderOptions<T extends string, N extends string> = N extends Namespaced
  ? Record<string, unknown>
  : Omit<z.input<Extract<Serving<Encoders, T>, { type: N }>["schema"]>, "type">;

/** Decoder names valid for output feature type `T`. */
export type DecoderType<T extends string> = Serving<Decoders, T>["type"];
/** Options of decoder `N` of feature type `T`. */
export type DecoderOptions<T extends string, N extends string> = N extends Namespaced
  ? Record<string, unknown>
  : Omit<z.input<Extract<Serving<Decoders, T>, { type: N }>["schema"]>, "type">;

/** Loss names valid for output feature type `T`. */
export type LossType<T extends string> = Serving<Losses, T>["type"];
/** Options of loss `N` of feature type `T`. */
export type LossOptions<T extends string, N extends string> = Omit<
  z.input<Extract<Serving<Losses, T>, { type: N }>["schema"]>,
  "type"
>;

type FeatureOf<T extends string> = Extract<Features, { type: T }>;

/** Input preprocessing options of feature type `T`. */
export type InputPreprocessing<T extends string> = FeatureOf<T> extends
  { input: { preprocessing: infer S extends z.ZodType } } ? z.input<S> : never;
/** Output preprocessing options of feature type `T`. */
export type OutputPreprocessing<T extends string> = FeatureOf<T> extends
  { output: { preprocessing: infer S extends z.ZodType } } ? z.input<S> : never;
/** Output-level options of feature type `T` (threshold, top_k, clip ...). */
export type OutputExtras<T extends string> = FeatureOf<T> extends
  { output: { extra: infer S extends z.ZodRawShape } } ? { [K in keyof S]?: z.input<S[K]> }
  : Record<never, never>;
