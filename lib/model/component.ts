/**
 * What a component implementation (`_<name>_impl.ts`, loaded through a registry entry's `load()`)
 * provides, and the {@linkcode BuildContext} every build receives. Implementations build TF.js
 * layers on symbolic tensors, so the assembled ECD model is a `tf.LayersModel` that saves in the
 * TF.js layers format and also runs in a browser.
 *
 * Builds are asynchronous (a build may await reading pretrained weights) and typed from the
 * registry entry's own schema: an implementation of entry `E` is a
 * `build(config: z.output<E["schema"]>, ctx)`, so schema and build cannot drift. Everything a
 * build shares with the rest of the model build (layer names, seeds, initial weights, teacher
 * forcing, the encoder registry) travels in the context: there is no module state.
 *
 * @module
 */
import type { z } from "npm:zod@4.6.7";
import type { tf } from "../compute/mod.ts";
import type {
  CombinerEntry,
  ComponentSchema,
  DecoderEntry,
  EncoderEntry,
} from "../config/registry.ts";
import type { TeacherForcing } from "./teacher.ts";

/** A symbolic tensor of the functional layers API. */
export type Symbolic = tf.SymbolicTensor;

/** The parsed config of a component entry (what its schema outputs). */
export type ConfigOf<E extends { readonly schema: ComponentSchema }> = z.output<E["schema"]>;

/**
 * Per-build counters: layer names and initializer seeds. One is created per model build and
 * shared by every context of that build, so two builds interleaved in one process give the same
 * names and seeds as each alone.
 */
export interface BuildCounters {
  /** Layers named so far in this build. */
  layers: number;
  /** Seeds drawn so far in this build. */
  seeds: number;
}

/** Initial values of one weight of a layer: row-major values and their shape. */
export interface InitialWeight {
  readonly values: Float32Array | Int32Array;
  readonly shape: readonly number[];
}

/**
 * Initial weight values registered during a build and applied once the model exists
 * (`buildEcd` applies them after `tf.model(...)`): the way pretrained weights enter a model.
 */
export interface WeightsStore {
  /**
   * Register initial values for the weights of a layer this build created, in the order of
   * `layer.weights` (an embedding: `[embeddings]`; a dense layer: `[kernel, bias]`).
   * `description` names their origin for error messages (a file path).
   */
  assign(layer: string, values: readonly InitialWeight[], description: string): void;
  /**
   * Read something once per build, by key (a weights file, a tokenizer): concurrent and later
   * calls with the same key share the first call's promise.
   */
  read<T>(key: string, reader: () => Promise<T>): Promise<T>;
  /** Every registered assignment, by layer name. */
  assignments(): ReadonlyMap<string, { values: readonly InitialWeight[]; description: string }>;
}

/** A fresh {@linkcode WeightsStore}. */
export function createWeightsStore(): WeightsStore {
  const assigned = new Map<string, { values: readonly InitialWeight[]; description: string }>();
  const reads = new Map<string, Promise<unknown>>();
  return {
    assign(layer, values, description) {
      if (assigned.has(layer)) {
        throw new TypeError(
          `Cannot register initial weights of layer "${layer}" from ${description}: they are ` +
            `already registered from ${assigned.get(layer)!.description}`,
        );
      }
      assigned.set(layer, { values, description });
    },
    read<T>(key: string, reader: () => Promise<T>): Promise<T> {
      let p = reads.get(key) as Promise<T> | undefined;
      if (!p) {
        p = reader();
        reads.set(key, p);
      }
      return p;
    },
    assignments: () => assigned,
  };
}

/** Builds the encoder of a registry entry, for components that contain one (the sequence combiner). */
export type EncoderResolver = (
  featureType: string,
  config: Readonly<Record<string, unknown>> & { readonly type: string },
  ctx: BuildContext,
) => Promise<(input: Symbolic) => Symbolic>;

/** What a build receives besides the component's own config. */
export interface BuildContext {
  /** Unique name scope for layer names (the feature name, or "combiner"). */
  readonly scope: string;
  /** Seed for weight initializers; each layer derives its own with {@linkcode nextSeed}. */
  readonly seed: number;
  /** This build's layer-name and seed counters (shared by every context of one model build). */
  readonly counters: BuildCounters;
  /** Initial weights (pretrained) registered by builds, applied once the model is built. */
  readonly weights: WeightsStore;
  /** Builds an encoder of the live registry (implementations are loaded lazily). */
  readonly encoders: EncoderResolver;
  /** The teacher-forcing channel of the model being built (read by teacher-forcing decoders). */
  readonly teacher: TeacherForcing;
  /** Training-set metadata of the feature (vocab_size, vector_size ...), for encoders/decoders. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Resolved preprocessing of the feature. */
  readonly preprocessing?: Readonly<Record<string, unknown>>;
}

/** An encoder build: config and context to a function from the preprocessed input to its encoding. */
export type EncoderBuild<S extends ComponentSchema = ComponentSchema> = (
  config: z.output<S>,
  ctx: BuildContext,
) => Promise<(input: Symbolic) => Symbolic>;

/** An encoder implementation module. */
export interface EncoderImpl<S extends ComponentSchema = ComponentSchema> {
  build: EncoderBuild<S>;
}

/** One combiner input: an encoder output with where it came from. */
export interface CombinerInput {
  /** The input feature name. */
  readonly name: string;
  /** The input feature type. */
  readonly type: string;
  /** Encoder output: [batch, hidden] or [batch, seq, hidden]. */
  readonly tensor: Symbolic;
}

/** A combiner build. */
export type CombinerBuild<S extends ComponentSchema = ComponentSchema> = (
  config: z.output<S>,
  ctx: BuildContext,
  inputs: CombinerInput[],
) => Promise<Symbolic>;

/** A combiner implementation module. */
export interface CombinerImpl<S extends ComponentSchema = ComponentSchema> {
  build: CombinerBuild<S>;
}

/** What a decoder needs to size its output. */
export interface DecoderContext extends BuildContext {
  /** Units of the output layer (1 for binary/number, classes, vector size ...). */
  readonly outputSize: number;
}

/** A decoder build: hidden state to logits (or values). */
export type DecoderBuild<S extends ComponentSchema = ComponentSchema> = (
  config: z.output<S>,
  ctx: DecoderContext,
) => Promise<(hidden: Symbolic) => Symbolic>;

/** A decoder implementation module. */
export interface DecoderImpl<S extends ComponentSchema = ComponentSchema> {
  build: DecoderBuild<S>;
}

/** The build of an encoder entry, typed by the entry's schema. */
export type EncoderBuildOf<E extends EncoderEntry> = EncoderBuild<E["schema"]>;
/** The build of a combiner entry, typed by the entry's schema. */
export type CombinerBuildOf<E extends CombinerEntry> = CombinerBuild<E["schema"]>;
/** The build of a decoder entry, typed by the entry's schema. */
export type DecoderBuildOf<E extends DecoderEntry> = DecoderBuild<E["schema"]>;

/** Fresh counters for one model build. */
export function createCounters(): BuildCounters {
  return { layers: 0, seeds: 0 };
}

/** A per-layer seed derived from the build seed (deterministic for a given build order). */
export function nextSeed(ctx: BuildContext): number {
  ctx.counters.seeds = (ctx.counters.seeds + 1) % 1_000_000;
  return (ctx.seed * 1_000_003 + ctx.counters.seeds) % 2_147_483_647;
}

/** A unique, readable layer name inside a scope. */
export function layerName(ctx: BuildContext, what: string): string {
  ctx.counters.layers++;
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.\-/]/g, "_");
  return `${safe(ctx.scope)}/${safe(what)}_${ctx.counters.layers}`;
}

/** A number field of metadata or preprocessing, or undefined when absent or not a number. */
export function numberField(
  obj: Readonly<Record<string, unknown>> | undefined,
  key: string,
): number | undefined {
  const v = obj?.[key];
  return typeof v === "number" ? v : undefined;
}

/** A string field of metadata or preprocessing, or undefined when absent or not a string. */
export function stringField(
  obj: Readonly<Record<string, unknown>> | undefined,
  key: string,
): string | undefined {
  const v = obj?.[key];
  return typeof v === "string" ? v : undefined;
}

/** A string-array field of metadata (`idx2str`), or undefined when absent or not an array. */
export function stringsField(
  obj: Readonly<Record<string, unknown>> | undefined,
  key: string,
): readonly string[] | undefined {
  const v = obj?.[key];
  return Array.isArray(v) ? v as string[] : undefined;
}

/** An object field of metadata (`str2idx`, `preprocessing`), or undefined. */
export function recordField<T = unknown>(
  obj: Readonly<Record<string, unknown>> | undefined,
  key: string,
): Readonly<Record<string, T>> | undefined {
  const v = obj?.[key];
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? v as Record<string, T>
    : undefined;
}

/**
 * An async build from one that needs to await nothing: `export const dense:
 * EncoderBuildOf<typeof entry> = immediate((config, ctx) => (x) => ...)`.
 */
export function immediate<A extends unknown[], F>(
  build: (...args: A) => F,
): (...args: A) => Promise<F> {
  return (...args) => Promise.resolve(build(...args));
}

/** A boolean field of a config or metadata, or undefined when absent or not a boolean. */
export function booleanField(
  obj: Readonly<Record<string, unknown>> | undefined,
  key: string,
): boolean | undefined {
  const v = obj?.[key];
  return typeof v === "boolean" ? v : undefined;
}

/** An array-of-objects field of a config (`fc_layers`, `conv_layers`), or undefined. */
export function objectsField(
  obj: Readonly<Record<string, unknown>> | undefined,
  key: string,
): Record<string, unknown>[] | undefined {
  const v = obj?.[key];
  return Array.isArray(v) ? v as Record<string, unknown>[] : undefined;
}
