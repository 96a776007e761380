/**
 * The message catalog: every sentence Sonata's config layer shows a person comes from here, so
 * tests can assert with the same functions (Vega-Lite's `log/message.ts`).
 *
 * Style (Deno std): sentence case, no final period, quoted strings, a colon before detail, no
 * contractions.
 *
 * @module
 */

/** Quote a value for a message: strings in double quotes, everything else as compact JSON. */
export function quote(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}`;
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** A list of options, each quoted, separated by " | ". */
export function oneOf(options: readonly unknown[]): string {
  return options.map(quote).join(" | ");
}

/** "did you mean X?" or "" when there is no suggestion. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? "" : `did you mean ${quote(suggestion)}?`;
}

/** Why a Ludwig-only name is not available, where one reason applies (Hugging Face encoders). */
export const NOT_AVAILABLE_WHY: Readonly<Record<string, string>> = {
  ctrl: "CTRL is a 48-layer conditional language model whose blocks none of Sonata's " +
    "Hugging Face families builds; Ludwig removed it in 0.13",
  transformer_xl: "its segment-level recurrence and relative positional memory are not built by " +
    "Sonata's Hugging Face families; Ludwig removed it in 0.13",
  xlnet: "its two-stream permutation attention with relative segment encodings is not built by " +
    "Sonata's Hugging Face families",
};

/** Messages, keyed by issue code. */
export const MESSAGES = {
  unknownKey: () => "unrecognized key",
  missingKey: (key: string, expected: string, typo?: string) =>
    `missing required key ${quote(key)}${
      typo === undefined ? "" : ` (found ${quote(typo)}: a misspelling of ${quote(key)}?)`
    }: expected ${expected}`,
  unknownType: (kind: string, options: readonly string[]) =>
    `expected a ${kind} type, one of ${oneOf(options)}`,
  notAvailable: (kind: string, name: string, available: readonly string[]) =>
    `${kind} ${quote(name)} exists in Ludwig but is not available in Sonata yet${
      NOT_AVAILABLE_WHY[name] ? ` (${NOT_AVAILABLE_WHY[name]})` : ""
    }: available are ${oneOf(available)}`,
  notSupported: (what: string, why: string) => `${what} is not supported: ${why}`,
  hfTokenizerNeedsModel: () =>
    "tokenizer hf_tokenizer needs pretrained_model_name_or_path (a Hugging Face model folder or " +
    "hub name)",
  cacheNeedsInput: () => "it applies to input features, whose encoder runs once over the dataset",
  cacheNeedsCacheable: (type: string) =>
    `the encoder ${quote(type)} cannot be cached: only frozen pretrained encoders can ` +
    "(the Hugging Face text encoders with trainable: false)",
  cacheNeedsFrozen: (type: string) =>
    `the encoder ${quote(type)} is trainable; caching its outputs needs trainable: false`,
  cacheNotTied: (tied: string) =>
    `the feature shares the encoder of ${quote(tied)} (tied); cache that feature's encoder instead`,
  duplicateName: (name: string) => `feature name ${quote(name)} is used more than once`,
  missingReference: (what: string, name: string, options: readonly string[]) =>
    `${what} ${quote(name)} does not exist${
      options.length ? `: expected one of ${oneOf(options)}` : ""
    }`,
  cycle: (names: readonly string[]) =>
    `output feature dependencies form a cycle: ${names.map(quote).join(" -> ")}`,
  mutuallyExclusive: (a: string, b: string) => `${a} and ${b} are mutually exclusive: set one`,
  syntax: (detail: string) => `invalid syntax: ${detail}`,
  tiedType: (tied: string, type: string, expected: string) =>
    `tied feature ${quote(tied)} has type ${quote(type)}: expected type ${quote(expected)}`,
  selfDependency: (name: string) => `output feature ${quote(name)} cannot depend on itself`,
  multipleOfBatchSize: (batchSize: unknown) => `a multiple of trainer.batch_size (${batchSize})`,
  bucketingNeedsSequence: (name: string) =>
    `input feature ${quote(name)} is not a sequence: bucketing needs a text or sequence input`,
  inBothEntities: (name: string) =>
    `input feature ${
      quote(name)
    } is in both entity_1 and entity_2: expected each feature in one entity`,
  inNeitherEntity: (names: readonly string[]) =>
    `input features ${
      names.map(quote).join(", ")
    } are in neither entity_1 nor entity_2: expected every input feature in one entity`,
  combinerNeedsSequenceInput: (type: string) =>
    `combiner ${quote(type)} needs a text or sequence input feature: found none`,
  combinerNeedsUnreduced: (type: string, reduceOutput: unknown) =>
    `combiner ${quote(type)} needs the sequence itself: expected reduce_output null, received ${
      quote(reduceOutput)
    }`,
  decoderNeedsSequence: (type: string) =>
    `decoder ${
      quote(type)
    } needs a sequence-shaped combiner output: use a sequence_concat or sequence combiner, or a combiner with reduce_output null`,
  atMostMaxSequenceLength: (max: number) => `a length <= max_sequence_length (${max})`,
  ambiguousMetric: (metric: string, owners: readonly string[]) =>
    `validation_metric ${quote(metric)} is reported by output features ${
      owners.map(quote).join(" and ")
    }: set trainer.validation_field`,
  unreportedMetric: (metric: string) =>
    `validation_metric ${quote(metric)} is not reported by any output feature`,
  onlyLossForCombined: (key: "validation_field" | "output_feature") =>
    `"loss" (the only metric of ${key} "combined")`,
  metricOf: (feature: string, metrics: readonly string[]) =>
    `a metric of output feature ${quote(feature)}: one of ${oneOf(metrics)}`,
  unknownParameterPath: (path: string, feature?: string) =>
    `parameter path ${quote(path)} does not exist in ${
      feature === undefined ? "the config" : `feature ${quote(feature)}`
    }`,
  unknownParameterHead: (path: string, head: string) =>
    `parameter path ${quote(path)} starts with ${
      quote(head)
    }: expected a config section or a feature name`,
} as const;

/**
 * Settings Sonata accepts in the language but cannot honour yet: what the setting is, and why it
 * is refused (rendered by {@linkcode MESSAGES}.notSupported).
 */
export const UNSUPPORTED: Readonly<Record<string, readonly [what: string, why: string]>> = {
  gradient_accumulation_steps: [
    "gradient accumulation",
    "Sonata applies every batch's gradients (use a larger batch_size)",
  ],
  effective_batch_size: [
    "an effective_batch_size other than batch_size",
    "Sonata does not accumulate gradients (set batch_size instead)",
  ],
  bucketing_field: ["bucketing batches by sequence length", "it is not implemented in Sonata yet"],
  enable_profiling: [
    "enable_profiling",
    "use deno task bench and bench/profile.ts to profile kernels",
  ],
  global_max_sequence_length: [
    "global_max_sequence_length",
    "it is not implemented in Sonata yet",
  ],
  credentials: ["a credentials block", "Sonata reads local files and URLs only"],
  preprocessor_kwargs: [
    "a preprocessor_kwargs block",
    "it sizes Ray's preprocessing, which Sonata does not use",
  ],
  calibration: ["calibration", "temperature scaling is not implemented in Sonata yet"],
};
