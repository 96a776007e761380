/**
 * Stage 4 of the config pipeline: cross-field checks and the resolution of values that depend on
 * other fields (reference §3, §12): column defaults, validation field and metric, tagger input
 * reduction, tf_idf's IDF, hyperopt scheduler consequences. Each check is a function returning
 * issues; `CHECKS` lists them.
 *
 * @module
 */
import { closestString } from "../_util/closest.ts";
import {
  allCombiners,
  allDecoders,
  allEncoders,
  combinerEntry,
  decoderEntry,
  encoderEntry,
  featureEntry,
} from "./components.ts";
import type { ConfigIssue } from "./errors.ts";
import { MESSAGES, quote, UNSUPPORTED } from "./messages.ts";
import type { ModelConfig } from "./model.ts";
import { OPTIMIZERS } from "./trainer.ts";

type Obj = Record<string, unknown>;
type Feature = Obj & { name: string; type: string };

/** A cross-field check: reads (and may resolve fields of) a validated config. */
export type Check = (config: ModelConfig) => ConfigIssue[];

const inputs = (c: ModelConfig) => c.input_features as unknown as Feature[];
const outputs = (c: ModelConfig) => c.output_features as unknown as Feature[];

function suggestName(name: string, names: string[]): string | undefined {
  return closestString(name, names);
}

/** Every feature has a unique name; `column` defaults to the name. */
const uniqueNames: Check = (c) => {
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, (string | number)[]>();
  for (
    const [list, features] of [["input_features", inputs(c)], [
      "output_features",
      outputs(c),
    ]] as const
  ) {
    features.forEach((f, i) => {
      if (f.column === undefined) f.column = f.name;
      const path = [list, i, "name"];
      const first = seen.get(f.name);
      if (first) {
        issues.push({
          path,
          code: "duplicate_name",
          message: MESSAGES.duplicateName(f.name),
          related: [first],
        });
      } else seen.set(f.name, path);
    });
  }
  return issues;
};

/** `tied` names another input feature of the same type. */
const tiedExists: Check = (c) => {
  const issues: ConfigIssue[] = [];
  const byName = new Map(inputs(c).map((f) => [f.name, f]));
  inputs(c).forEach((f, i) => {
    const tied = f.tied as string | null;
    if (tied === null) return;
    const path = ["input_features", i, "tied"];
    const target = byName.get(tied);
    if (!target || tied === f.name) {
      const names = [...byName.keys()].filter((n) => n !== f.name);
      issues.push({
        path,
        code: "missing_reference",
        message: MESSAGES.missingReference("input feature", tied, names.length <= 12 ? names : []),
        suggestion: suggestName(tied, names),
      });
    } else if (target.type !== f.type) {
      issues.push({
        path,
        code: "invalid_reference",
        message: MESSAGES.tiedType(tied, target.type, f.type),
      });
    }
  });
  return issues;
};

/** `dependencies` name other output features and form no cycle. */
const dependencies: Check = (c) => {
  const issues: ConfigIssue[] = [];
  const names = outputs(c).map((f) => f.name);
  const graph = new Map<string, string[]>();
  outputs(c).forEach((f, i) => {
    const deps = f.dependencies as string[];
    graph.set(f.name, deps);
    deps.forEach((d, j) => {
      if (!names.includes(d) || d === f.name) {
        issues.push({
          path: ["output_features", i, "dependencies", j],
          code: "missing_reference",
          message: d === f.name
            ? MESSAGES.selfDependency(d)
            : MESSAGES.missingReference("output feature", d, names.length <= 12 ? names : []),
          suggestion: d === f.name ? undefined : suggestName(d, names),
        });
      }
    });
  });
  if (issues.length) return issues;
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 2) return undefined;
    if (state.get(n) === 1) return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of names) {
    const cycle = visit(n);
    if (cycle) {
      return [{ path: ["output_features"], code: "cycle", message: MESSAGES.cycle(cycle) }];
    }
  }
  return issues;
};

/** Checkpoint frequency is given one way only. */
const checkpointKnobs: Check = (c) =>
  c.trainer.checkpoints_per_epoch > 0 && c.trainer.steps_per_checkpoint > 0
    ? [{
      path: ["trainer", "checkpoints_per_epoch"],
      code: "mutually_exclusive",
      message: MESSAGES.mutuallyExclusive(
        "trainer.checkpoints_per_epoch",
        "trainer.steps_per_checkpoint",
      ),
      related: [["trainer", "steps_per_checkpoint"]],
    }]
    : [];

/** Other trainer consistency rules. */
const trainerRules: Check = (c) => {
  const issues: ConfigIssue[] = [];
  const t = c.trainer;
  const s = t.learning_rate_scheduler;
  if (s.warmup_fraction > 0 && s.warmup_evaluations > 0) {
    issues.push({
      path: ["trainer", "learning_rate_scheduler", "warmup_fraction"],
      code: "mutually_exclusive",
      message: MESSAGES.mutuallyExclusive(
        "trainer.learning_rate_scheduler.warmup_fraction",
        "trainer.learning_rate_scheduler.warmup_evaluations",
      ),
    });
  }
  if (
    typeof t.batch_size === "number" && typeof t.effective_batch_size === "number" &&
    t.effective_batch_size % t.batch_size !== 0
  ) {
    issues.push({
      path: ["trainer", "effective_batch_size"],
      code: "invalid_value",
      expected: MESSAGES.multipleOfBatchSize(t.batch_size),
      received: quote(t.effective_batch_size),
    });
  }
  if (t.bucketing_field !== null) {
    const names = inputs(c).map((f) => f.name);
    const f = inputs(c).find((f) => f.name === t.bucketing_field);
    if (!f || !featureEntry(f.type)?.sequential) {
      const seq = inputs(c).filter((f) => featureEntry(f.type)?.sequential).map((f) => f.name);
      issues.push({
        path: ["trainer", "bucketing_field"],
        code: "missing_reference",
        message: f
          ? MESSAGES.bucketingNeedsSequence(f.name)
          : MESSAGES.missingReference("input feature", t.bucketing_field, seq),
        suggestion: f ? undefined : suggestName(t.bucketing_field, names),
      });
    }
  }
  return issues;
};

/** `sample_ratio` and `sample_size` exclude each other. */
const sampling: Check = (c) =>
  c.preprocessing.sample_ratio < 1 && c.preprocessing.sample_size !== null
    ? [{
      path: ["preprocessing", "sample_size"],
      code: "mutually_exclusive",
      message: MESSAGES.mutuallyExclusive(
        "preprocessing.sample_ratio",
        "preprocessing.sample_size",
      ),
    }]
    : [];

/** Rank of an input feature's encoder output. */
function encoderRank(f: Feature): 2 | 3 {
  const enc = f.encoder as Obj & { type: string };
  return encoderEntry(f.type, enc.type)?.capabilities.outputRank(enc) ?? 2;
}

/** Combiner requirements: comparator entities, sequence combiners' sequence inputs. */
const combinerNeeds: Check = (c) => {
  const issues: ConfigIssue[] = [];
  const combiner = c.combiner as Obj & { type: string };
  const names = inputs(c).map((f) => f.name);
  const entry = combinerEntry(combiner.type);
  if (Array.isArray(combiner.entity_1) && Array.isArray(combiner.entity_2)) {
    const seen = new Map<string, string>();
    for (const key of ["entity_1", "entity_2"] as const) {
      (combiner[key] as string[]).forEach((n, j) => {
        if (!names.includes(n)) {
          issues.push({
            path: ["combiner", key, j],
            code: "missing_reference",
            message: MESSAGES.missingReference("input feature", n, names.length <= 12 ? names : []),
            suggestion: suggestName(n, names),
          });
        } else if (seen.has(n)) {
          issues.push({
            path: ["combiner", key, j],
            code: "invalid_value",
            message: MESSAGES.inBothEntities(n),
          });
        } else seen.set(n, key);
      });
    }
    const missing = names.filter((n) => !seen.has(n));
    if (issues.length === 0 && missing.length) {
      issues.push({
        path: ["combiner"],
        code: "invalid_value",
        message: MESSAGES.inNeitherEntity(missing),
      });
    }
  }
  if (entry?.capabilities.needsSequenceInputs) {
    const seq = inputs(c).filter((f) => featureEntry(f.type)?.sequential);
    const main = combiner.main_sequence_feature as string | null | undefined;
    if (main !== null && main !== undefined) {
      const f = inputs(c).find((f) => f.name === main);
      if (!f || !featureEntry(f.type)?.sequential) {
        issues.push({
          path: ["combiner", "main_sequence_feature"],
          code: "missing_reference",
          message: MESSAGES.missingReference(
            "sequence or text input feature",
            main,
            seq.map((f) => f.name),
          ),
          suggestion: suggestName(main, seq.map((f) => f.name)),
        });
      }
    }
    const reduced = seq.filter((f) => encoderRank(f) !== 3);
    if (seq.length === 0) {
      issues.push({
        path: ["combiner", "type"],
        code: "invalid_value",
        message: MESSAGES.combinerNeedsSequenceInput(combiner.type),
      });
    } else {
      for (const f of reduced) {
        const i = inputs(c).indexOf(f);
        issues.push({
          path: ["input_features", i, "encoder", "reduce_output"],
          code: "invalid_value",
          message: MESSAGES.combinerNeedsUnreduced(combiner.type, (f.encoder as Obj).reduce_output),
        });
      }
    }
  }
  return issues;
};

/** Decoders that need sequence-shaped input get it; tagger forces `reduce_input: null`. */
const decoderNeeds: Check = (c) => {
  const issues: ConfigIssue[] = [];
  const combiner = c.combiner as Obj & { type: string };
  const rank = combinerEntry(combiner.type)?.capabilities.outputRank(combiner) ?? 2;
  outputs(c).forEach((f, i) => {
    const dec = f.decoder as Obj & { type: string };
    const entry = decoderEntry(f.type, dec.type);
    if (!entry) return;
    if (entry.capabilities.forcesReduceInputNull) f.reduce_input = null;
    if (entry.capabilities.needsSequenceInput && rank !== 3) {
      issues.push({
        path: ["output_features", i, "decoder", "type"],
        code: "invalid_value",
        message: MESSAGES.decoderNeedsSequence(dec.type),
      });
    }
  });
  return issues;
};

/** Encoder-forced preprocessing: tf_idf computes IDF; sequence_length within max. */
const preprocessingRules: Check = (c) => {
  const issues: ConfigIssue[] = [];
  inputs(c).forEach((f, i) => {
    const p = f.preprocessing as Obj;
    const enc = f.encoder as Obj & { type: string };
    const caps = encoderEntry(f.type, enc.type)?.capabilities;
    Object.assign(p, caps?.forcedPreprocessing ?? {}, caps?.preprocessingFrom?.(enc) ?? {});
    // auto_transformer without a model fails in preprocessing, naming the feature (every entry's
    // defaults must validate).
    if (
      !caps?.preprocessingFrom && p.tokenizer === "hf_tokenizer" &&
      typeof p.pretrained_model_name_or_path !== "string"
    ) {
      issues.push({
        path: ["input_features", i, "preprocessing", "pretrained_model_name_or_path"],
        code: "missing",
        message: MESSAGES.hfTokenizerNeedsModel(),
      });
    }
    const sl = p.sequence_length as number | null | undefined;
    const max = p.max_sequence_length as number | undefined;
    if (typeof sl === "number" && typeof max === "number" && sl > max) {
      issues.push({
        path: ["input_features", i, "preprocessing", "sequence_length"],
        code: "too_big",
        expected: MESSAGES.atMostMaxSequenceLength(max),
        received: quote(sl),
      });
    }
  });
  return issues;
};

/** Metrics an output feature reports, `loss` included. */
export function metricsOf(f: { type: string }): string[] {
  return ["loss", ...Object.keys(featureEntry(f.type)?.output?.metrics ?? {})];
}

/** Resolve `validation_field` and `validation_metric` as Ludwig does (reference §3). */
const validationTarget: Check = (c) => {
  const t = c.trainer;
  const outs = outputs(c);
  const names = outs.map((f) => f.name);
  if (t.validation_field === null) {
    if (t.validation_metric === null || t.validation_metric === "loss") {
      t.validation_field = outs[0].name;
    } else {
      const owners = outs.filter((f) => metricsOf(f).includes(t.validation_metric!));
      if (owners.length !== 1) {
        return [{
          path: ["trainer", "validation_metric"],
          code: owners.length ? "ambiguous" : "invalid_value",
          message: owners.length
            ? MESSAGES.ambiguousMetric(t.validation_metric, owners.map((f) => f.name))
            : MESSAGES.unreportedMetric(t.validation_metric),
        }];
      }
      t.validation_field = owners[0].name;
    }
  }
  if (t.validation_field === "combined") {
    if (t.validation_metric === null) t.validation_metric = "loss";
    return t.validation_metric === "loss" ? [] : [{
      path: ["trainer", "validation_metric"],
      code: "invalid_value",
      expected: MESSAGES.onlyLossForCombined("validation_field"),
      received: quote(t.validation_metric),
    }];
  }
  const field = outs.find((f) => f.name === t.validation_field);
  if (!field) {
    return [{
      path: ["trainer", "validation_field"],
      code: "missing_reference",
      message: MESSAGES.missingReference("output feature", t.validation_field!, [
        ...names,
        "combined",
      ]),
      suggestion: suggestName(t.validation_field!, [...names, "combined"]),
    }];
  }
  if (t.validation_metric === null) {
    t.validation_metric = featureEntry(field.type)?.output?.defaultValidationMetric ?? "loss";
  }
  const metrics = metricsOf(field);
  return metrics.includes(t.validation_metric) ? [] : [{
    path: ["trainer", "validation_metric"],
    code: "invalid_value",
    expected: MESSAGES.metricOf(field.name, metrics),
    received: quote(t.validation_metric),
    suggestion: suggestName(t.validation_metric, metrics),
  }];
};

/** Keys any schema of a component kind accepts (for hyperopt paths into typed components). */
function componentKeys(
  kind: "encoder" | "decoder" | "combiner" | "optimizer",
  featureType?: string,
): Set<string> {
  const keys = new Set<string>();
  const add = (shape: Record<string, unknown>) => Object.keys(shape).forEach((k) => keys.add(k));
  if (kind === "encoder") {
    allEncoders().filter((e) => !featureType || e.featureTypes.includes(featureType)).forEach((e) =>
      add(e.schema.shape)
    );
  }
  if (kind === "decoder") {
    allDecoders().filter((d) => !featureType || d.featureTypes.includes(featureType)).forEach((d) =>
      add(d.schema.shape)
    );
  }
  if (kind === "combiner") allCombiners().forEach((c) => add(c.schema.shape));
  if (kind === "optimizer") OPTIMIZERS.forEach((o) => add(o.shape));
  return keys;
}

function pathExists(
  root: unknown,
  parts: string[],
  kindAt: (prefix: string[]) => Set<string> | undefined,
): boolean {
  let node: unknown = root;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i];
    if (typeof node === "object" && node !== null && key in (node as Obj)) {
      node = (node as Obj)[key];
      continue;
    }
    // A key of a typed component that another type of that component has (e.g. tabnet's
    // num_steps while the config's combiner is concat, alongside a combiner.type choice).
    const keys = kindAt(parts.slice(0, i));
    return keys !== undefined && keys.has(key) && i === parts.length - 1;
  }
  return true;
}

/** Hyperopt: parameter paths exist; output feature and metric are valid; scheduler effects. */
const hyperoptRules: Check = (c) => {
  const h = c.hyperopt;
  if (h === null) return [];
  const issues: ConfigIssue[] = [];
  const features = [...inputs(c), ...outputs(c)];
  const byName = new Map(features.map((f) => [f.name, f]));
  const sections = ["trainer", "combiner", "preprocessing", "defaults", "backend"];
  for (const path of Object.keys(h.parameters)) {
    if (path === ".") continue;
    const parts = path.split(".");
    const head = parts[0];
    const p = ["hyperopt", "parameters", path];
    if (sections.includes(head)) {
      const ok = pathExists((c as unknown as Obj)[head], parts.slice(1), (prefix) => {
        // `prefix` is relative to the section: [] is the section itself.
        if (head === "combiner" && prefix.length === 0) return componentKeys("combiner");
        if (head === "trainer" && prefix.length === 1 && prefix[0] === "optimizer") {
          return componentKeys("optimizer");
        }
        if (head === "defaults" && prefix.length === 2 && prefix[1] === "encoder") {
          return componentKeys("encoder", prefix[0]);
        }
        if (head === "defaults" && prefix.length === 2 && prefix[1] === "decoder") {
          return componentKeys("decoder", prefix[0]);
        }
        return undefined;
      });
      if (!ok) {
        issues.push({
          path: p,
          code: "missing_reference",
          message: MESSAGES.unknownParameterPath(path),
        });
      }
      continue;
    }
    const f = byName.get(head);
    if (!f) {
      const options = [...sections, ...byName.keys()];
      issues.push({
        path: p,
        code: "missing_reference",
        message: MESSAGES.unknownParameterHead(path, head),
        suggestion: suggestName(head, options),
      });
      continue;
    }
    const ok = pathExists(f, parts.slice(1), (prefix) => {
      if (prefix.length === 1 && prefix[0] === "encoder") return componentKeys("encoder", f.type);
      if (prefix.length === 1 && prefix[0] === "decoder") return componentKeys("decoder", f.type);
      return undefined;
    });
    if (!ok) {
      issues.push({
        path: p,
        code: "missing_reference",
        message: MESSAGES.unknownParameterPath(path, f.name),
      });
    }
  }
  const outs = outputs(c);
  if (h.output_feature !== "combined") {
    const f = outs.find((f) => f.name === h.output_feature);
    if (!f) {
      const names = [...outs.map((f) => f.name), "combined"];
      issues.push({
        path: ["hyperopt", "output_feature"],
        code: "missing_reference",
        message: MESSAGES.missingReference("output feature", h.output_feature, names),
        suggestion: suggestName(h.output_feature, names),
      });
    } else if (!metricsOf(f).includes(h.metric)) {
      issues.push({
        path: ["hyperopt", "metric"],
        code: "invalid_value",
        expected: MESSAGES.metricOf(f.name, metricsOf(f)),
        received: quote(h.metric),
        suggestion: suggestName(h.metric, metricsOf(f)),
      });
    }
  } else if (h.metric !== "loss") {
    issues.push({
      path: ["hyperopt", "metric"],
      code: "invalid_value",
      expected: MESSAGES.onlyLossForCombined("output_feature"),
      received: quote(h.metric),
    });
  }
  if (h.executor.scheduler.type !== "fifo") {
    c.trainer.early_stop = -1;
    c.trainer.epochs = h.executor.scheduler.max_t;
  }
  return issues;
};

/**
 * Settings the config language accepts (they are Ludwig's) but Sonata cannot honour yet: a
 * config that turns them on is rejected with the reason rather than silently ignored.
 */
const unsupportedSettings: Check = (c) => {
  const issues: ConfigIssue[] = [];
  const reject = (path: (string | number)[], what: string, why: string) =>
    issues.push({ path, code: "not_supported", message: MESSAGES.notSupported(what, why) });
  const t = c.trainer;
  if (typeof t.gradient_accumulation_steps === "number" && t.gradient_accumulation_steps > 1) {
    reject(
      ["trainer", "gradient_accumulation_steps"],
      ...UNSUPPORTED.gradient_accumulation_steps,
    );
  }
  if (
    typeof t.effective_batch_size === "number" &&
    (typeof t.batch_size !== "number" || t.effective_batch_size !== t.batch_size)
  ) {
    reject(
      ["trainer", "effective_batch_size"],
      ...UNSUPPORTED.effective_batch_size,
    );
  }
  if (t.bucketing_field !== null) {
    reject(
      ["trainer", "bucketing_field"],
      ...UNSUPPORTED.bucketing_field,
    );
  }
  if (t.enable_profiling) {
    reject(
      ["trainer", "enable_profiling"],
      ...UNSUPPORTED.enable_profiling,
    );
  }
  if (c.preprocessing.global_max_sequence_length !== null) {
    reject(
      ["preprocessing", "global_max_sequence_length"],
      ...UNSUPPORTED.global_max_sequence_length,
    );
  }
  const backend = c.backend as Record<string, unknown>;
  if (backend.credentials !== null && backend.credentials !== undefined) {
    reject(
      ["backend", "credentials"],
      ...UNSUPPORTED.credentials,
    );
  }
  if (backend.preprocessor_kwargs !== null && backend.preprocessor_kwargs !== undefined) {
    reject(
      ["backend", "preprocessor_kwargs"],
      ...UNSUPPORTED.preprocessor_kwargs,
    );
  }
  for (
    const [list, features] of [["input_features", inputs(c)], [
      "output_features",
      outputs(c),
    ]] as const
  ) {
    features.forEach((f, i) => {
      if ((f.preprocessing as Record<string, unknown>).cache_encoder_embeddings === true) {
        const why = cacheRefusal(f as Obj, list === "output_features");
        if (why !== undefined) {
          reject(
            [list, i, "preprocessing", "cache_encoder_embeddings"],
            "cache_encoder_embeddings",
            why,
          );
        }
      }
      if (f.calibration === true) {
        reject(
          [list, i, "calibration"],
          ...UNSUPPORTED.calibration,
        );
      }
    });
  }
  return issues;
};

/**
 * Why `cache_encoder_embeddings` cannot apply to a feature, or undefined when it can: an input
 * feature whose encoder declares `cacheableWhenFrozen`, is frozen (`trainable: false`) and is
 * its own (not `tied`).
 */
function cacheRefusal(f: Obj, output: boolean): string | undefined {
  if (output) return MESSAGES.cacheNeedsInput();
  const enc = f.encoder as Obj & { type: string };
  const entry = encoderEntry(f.type as string, enc.type);
  if (!entry?.capabilities.cacheableWhenFrozen) return MESSAGES.cacheNeedsCacheable(enc.type);
  if (enc.trainable !== false) return MESSAGES.cacheNeedsFrozen(enc.type);
  if (typeof f.tied === "string") return MESSAGES.cacheNotTied(f.tied);
  return undefined;
}

/** Every cross-field check, in order. */
export const CHECKS: readonly Check[] = [
  uniqueNames,
  tiedExists,
  dependencies,
  checkpointKnobs,
  trainerRules,
  sampling,
  combinerNeeds,
  decoderNeeds,
  preprocessingRules,
  validationTarget,
  hyperoptRules,
  unsupportedSettings,
];

/** Run every check; later checks run even when earlier ones found issues. */
export function runChecks(config: ModelConfig): ConfigIssue[] {
  return CHECKS.flatMap((check) => check(config));
}
