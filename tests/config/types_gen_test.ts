/**
 * lib/config/types_gen.ts: up to date with the schemas, and (at the type level) the same types
 * zod infers from them, so public signatures can name the generated interfaces.
 *
 * @module
 */
import { equal } from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { TYPES_PATH, typesText } from "../../lib/config/_write_types.ts";
import type { ModelConfig, ModelConfigSchemaOutput } from "../../lib/config/model.ts";
import type {
  CombinerOptionsMap,
  DecoderOptionsMap,
  EncoderOptionsMap,
  InputPreprocessingMap,
  LossOptionsMap,
  ModelConfigOptions,
  OutputPreprocessingMap,
  ResolvedBackend,
  ResolvedHyperopt,
  ResolvedPreprocessing,
  ResolvedTrainer,
} from "../../lib/config/types_gen.ts";
import type {
  BuiltinDecoder,
  BuiltinEncoder,
  BuiltinFeature,
  BuiltinLoss,
  SchemaInput,
} from "../../lib/builders/types.ts";
import type { BuiltinCombiner } from "../../lib/builders/model.ts";
import type { HyperoptSchema } from "../../lib/config/hyperopt.ts";
import type { GlobalPreprocessingSchema } from "../../lib/config/preprocessing.ts";
import type { TrainerSchema } from "../../lib/config/trainer.ts";

Deno.test("lib/config/types_gen.ts is what lib/config/_write_types.ts writes (deno task types)", async () => {
  equal(await readFile(TYPES_PATH, "utf8"), typesText(), "stale: run deno task types");
});

/** `true` when `T` is `never` (no mismatch); a tuple element typed `true` only accepts that. */
type None<T> = [T] extends [never] ? true : T;
/** `true` when `A` and `B` are assignable both ways. */
type Same<A, B> = [A] extends [B] ? [B] extends [A] ? true : false : false;
/**
 * `true` when generated `G` has the keys of zod's `Z` and accepts every `Z`: the generated side
 * may be wider where JSON Schema is (shorthand strings that zod's types omit, Ray-only keys that
 * zod types `undefined`).
 */
type Covers<G, Z> = Same<keyof G, keyof Z> extends true ? [Z] extends [G] ? true : false : false;
/**
 * `true` when `G` and `Z` have the same keys and one accepts every value of the other: the
 * generated side is narrower where zod's type is loose (a `model_variant` union typed
 * `string | number`) and wider where JSON Schema is (shorthand strings).
 */
type Compatible<G, Z> = [keyof G] extends [keyof Z]
  ? Opaque<Z, Exclude<keyof Z, keyof G>> extends true
    ? [G] extends [Pick<Z, keyof G & keyof Z>] ? true
    : [Pick<Z, keyof G & keyof Z>] extends [G] ? true
    : false
  : false
  : false;
/**
 * `true` when zod types every key `K` of `Z` as `unknown` or `undefined`: keys a schema declares only to reject
 * them (text-only preprocessing keys on a sequence feature), which JSON Schema leaves out.
 */
type Opaque<Z, K extends keyof Z> = [K] extends [never] ? true
  : { [P in K]: unknown extends Z[P] ? never : Z[P] extends undefined ? never : P }[K] extends never
    ? true
  : false;

/** Each entry of registry table `E` whose generated options in `M` differ from zod's input type. */
type Mismatched<E, M> = E extends
  { featureTypes: readonly (infer T extends string)[]; schema: infer S }
  ? SchemaInput<S> extends { type: infer N extends string }
    ? T extends keyof M
      ? N extends keyof M[T]
        ? Compatible<M[T][N], SchemaInput<S>> extends true ? never : `${T}.${N}`
      : `${T}.${N} (missing)`
    : `${T} (missing)`
  : "an entry whose schema has no literal type"
  : "an entry of an unexpected shape";

type Output = ModelConfigSchemaOutput;

// Compile-time checks: this module fails to type-check when a generated type drifts from zod's.
const sections: [
  Same<ResolvedTrainer, Output["trainer"]>,
  Same<ResolvedPreprocessing, Output["preprocessing"]>,
  Same<ResolvedHyperopt | null, Output["hyperopt"]>,
  Covers<ResolvedBackend, Output["backend"]>,
  Covers<NonNullable<ModelConfigOptions["trainer"]>, SchemaInput<typeof TrainerSchema>>,
  Same<
    NonNullable<ModelConfigOptions["preprocessing"]>,
    SchemaInput<typeof GlobalPreprocessingSchema>
  >,
  Same<NonNullable<ModelConfigOptions["hyperopt"]>, SchemaInput<typeof HyperoptSchema>>,
  Same<keyof ModelConfig, keyof Output>,
] = [true, true, true, true, true, true, true, true];
const components: [
  None<Mismatched<BuiltinEncoder, EncoderOptionsMap>>,
  None<Mismatched<BuiltinDecoder, DecoderOptionsMap>>,
  None<Mismatched<BuiltinLoss, LossOptionsMap>>,
] = [true, true, true];
/**
 * Combiners: the same keys, and everything zod accepts is accepted (the generated side also
 * takes the shorthand strings a nested `encoder` accepts at runtime, which zod's type omits).
 */
type CombinerMismatch<N extends keyof CombinerOptionsMap> = SchemaInput<
  Extract<BuiltinCombiner, { type: N }>["schema"]
> extends infer Z
  ? [keyof Z] extends [keyof CombinerOptionsMap[N]]
    ? [keyof CombinerOptionsMap[N]] extends [keyof Z]
      ? Covers<CombinerOptionsMap[N], Z> extends true ? never : N
    : N
  : N
  : never;
const combiners: [
  None<{ [N in keyof CombinerOptionsMap]: CombinerMismatch<N> }[keyof CombinerOptionsMap]>,
  Same<keyof CombinerOptionsMap, BuiltinCombiner["type"]>,
] = [true, true];
/**
 * zod types the sequence preprocessing schema with the text-only keys (one function builds both
 * with a conditional spread) although a sequence feature rejects them; JSON Schema omits them.
 */
type WithoutTextOnly<T, Z> = T extends "text" ? Z
  : Omit<Z, "pretrained_model_name_or_path" | "compute_idf">;
/** Feature types whose generated preprocessing options (side `Side`) differ from zod's. */
type PreprocessingMismatch<F, Side extends "input" | "output", M> = F extends
  { type: infer T extends string } & { [K in Side]: { preprocessing: infer S } }
  ? T extends keyof M
    ? Compatible<M[T], WithoutTextOnly<T, SchemaInput<S>>> extends true ? never : T
  : `${T} (missing)`
  : never;
const preprocessing: [
  None<PreprocessingMismatch<BuiltinFeature, "input", InputPreprocessingMap>>,
  None<PreprocessingMismatch<BuiltinFeature, "output", OutputPreprocessingMap>>,
] = [true, true];

Deno.test("the generated interfaces are zod's types (checked when this file type-checks)", () => {
  equal(sections.length + components.length + preprocessing.length, 13);
  equal(combiners.length, 2);
});
