/**
 * What a component implementation (`_<name>_impl.ts`, loaded through a registry entry's `load()`)
 * provides. Implementations build TF.js layers on symbolic tensors, so the assembled ECD model is
 * a `tf.LayersModel` that saves in the TF.js layers format and also runs in a browser.
 *
 * @module
 */
import type { tf } from "../compute/mod.ts";

/** A symbolic tensor of the functional layers API. */
export type Symbolic = tf.SymbolicTensor;

/** What a build receives besides the component's own config. */
export interface BuildContext {
  /** Unique name scope for layer names (the feature name, or "combiner"). */
  readonly scope: string;
  /** Seed for weight initializers; each layer derives its own with {@linkcode nextSeed}. */
  readonly seed: number;
  /** Training-set metadata of the feature (vocab_size, vector_size ...), for encoders/decoders. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Resolved preprocessing of the feature. */
  readonly preprocessing?: Readonly<Record<string, unknown>>;
  /** Vectors loaded from the encoder's `pretrained_embeddings` file, aligned to the vocabulary. */
  readonly pretrainedEmbeddings?: { matrix: Float32Array; shape: [number, number] };
}

/** An encoder implementation: a function from the preprocessed input to its encoding. */
export interface EncoderImpl {
  build(config: Record<string, unknown>, ctx: BuildContext): (input: Symbolic) => Symbolic;
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

/** A combiner implementation. */
export interface CombinerImpl {
  build(config: Record<string, unknown>, ctx: BuildContext, inputs: CombinerInput[]): Symbolic;
}

/** What a decoder needs to size its output. */
export interface DecoderContext extends BuildContext {
  /** Units of the output layer (1 for binary/number, classes, vector size ...). */
  readonly outputSize: number;
}

/** A decoder implementation: hidden state to logits (or values). */
export interface DecoderImpl {
  build(config: Record<string, unknown>, ctx: DecoderContext): (hidden: Symbolic) => Symbolic;
}

let seedCounter = 0;

/** A per-layer seed derived from the build seed (deterministic for a given build order). */
export function nextSeed(ctx: BuildContext): number {
  seedCounter = (seedCounter + 1) % 1_000_000;
  return (ctx.seed * 1_000_003 + seedCounter) % 2_147_483_647;
}

/** Restart layer seeds (called at the start of each model build, so builds are repeatable). */
export function resetSeeds(): void {
  seedCounter = 0;
}

let layerCounter = 0;

/** A unique, readable layer name inside a scope. */
export function layerName(ctx: BuildContext, what: string): string {
  layerCounter++;
  return `${ctx.scope.replace(/[^A-Za-z0-9_.\-/]/g, "_")}/${what}_${layerCounter}`;
}

/** Restart layer names (at the start of each model build). */
export function resetLayerNames(): void {
  layerCounter = 0;
}
