/**
 * Stage 1 of the config pipeline: upgrade older Ludwig layouts (reference §12). Each migration is
 * tagged with the first Ludwig version that needs it and runs when the config's `ludwig_version`
 * is older, or always when it is absent. Every migration acts only on old keys, so running it on
 * a current config changes nothing.
 *
 * @module
 */

import { decodersFor, encodersFor } from "./components.ts";

type Obj = Record<string, unknown>;

function isEncoderKey(featureType: unknown, key: string): boolean {
  return typeof featureType === "string" &&
    encodersFor(featureType).some((e) => key in e.schema.shape);
}

function isDecoderKey(featureType: unknown, key: string): boolean {
  return typeof featureType === "string" &&
    decodersFor(featureType).some((d) => key in d.schema.shape);
}

/** A note about one change an upgrade made. */
export interface UpgradeNote {
  /** The Ludwig version whose layout required the change. */
  version: string;
  /** What changed, e.g. `training -> trainer`. */
  change: string;
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function features(config: Obj, key: "input_features" | "output_features"): Obj[] {
  const list = config[key];
  return Array.isArray(list) ? list.filter(isObj) : [];
}

/** Compare dotted versions: negative when a < b. Missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((p) => parseInt(p, 10) || 0);
  const pb = b.split(/[.+-]/).map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function rename(o: Obj, from: string, to: string, note: (s: string) => void, where = ""): void {
  if (from in o) {
    if (!(to in o)) o[to] = o[from];
    delete o[from];
    note(`${where}${from} -> ${where}${to}`);
  }
}

interface Migration {
  version: string;
  apply: (config: Obj, note: (change: string) => void) => void;
}

const TEXT_LEVEL_KEYS = ["tokenizer", "most_common", "vocab_file", "sequence_length_limit"];

const INPUT_KEYS = new Set([
  "name",
  "type",
  "column",
  "proc_column",
  "tied",
  "preprocessing",
  "encoder",
  "active",
  "augmentation",
]);
const OUTPUT_KEYS = new Set([
  "name",
  "type",
  "column",
  "proc_column",
  "preprocessing",
  "decoder",
  "loss",
  "reduce_input",
  "dependencies",
  "reduce_dependencies",
  "threshold",
  "top_k",
  "clip",
  "calibration",
  "vector_size",
  "softmax",
  "active",
]);
const DECODER_FC_RENAMES: Record<string, string> = {
  fc_size: "fc_output_size",
  output_size: "fc_output_size",
  use_bias: "fc_use_bias",
  weights_initializer: "fc_weights_initializer",
  bias_initializer: "fc_bias_initializer",
  norm: "fc_norm",
  norm_params: "fc_norm_params",
  activation: "fc_activation",
  dropout: "fc_dropout",
};
const LR_SCHEDULER_RENAMES: Record<string, string> = {
  decay: "decay",
  decay_rate: "decay_rate",
  decay_steps: "decay_steps",
  staircase: "staircase",
  reduce_learning_rate_on_plateau: "reduce_on_plateau",
  reduce_learning_rate_on_plateau_patience: "reduce_on_plateau_patience",
  reduce_learning_rate_on_plateau_rate: "reduce_on_plateau_rate",
  reduce_learning_rate_eval_metric: "reduce_eval_metric",
  reduce_learning_rate_eval_split: "reduce_eval_split",
  learning_rate_warmup_epochs: "warmup_evaluations",
  learning_rate_warmup_fraction: "warmup_fraction",
};
const TYPE_RENAMES: Record<string, string> = { numerical: "number" };

/** TensorFlow-era keys of the image `stacked_cnn` (Ludwig ≤ 0.4) → their PyTorch-era names. */
const IMAGE_CONV_RENAMES: Record<string, string> = {
  num_filters: "out_channels",
  filter_size: "kernel_size",
  strides: "stride",
  dilation_rate: "dilation",
  pool_size: "pool_kernel_size",
  pool_strides: "pool_stride",
};

function renameBiasKeys(o: Obj, note: (s: string) => void, where: string): void {
  rename(o, "bias", "use_bias", note, where);
  rename(o, "conv_bias", "conv_use_bias", note, where);
  rename(o, "default_bias", "default_use_bias", note, where);
}

const MIGRATIONS: Migration[] = [
  {
    version: "0.4",
    apply(config, note) {
      // word_/char_ preprocessing keys of text features collapse onto the encoder's `level`.
      for (const f of features(config, "input_features")) {
        if (f.type !== "text" || !isObj(f.preprocessing)) continue;
        const p = f.preprocessing;
        const level = typeof f.level === "string" ? f.level : "word";
        let changed = false;
        for (const key of TEXT_LEVEL_KEYS) {
          for (const lv of ["word", "char"]) {
            const old = `${lv}_${key}`;
            if (!(old in p)) continue;
            changed = true;
            const target = key === "sequence_length_limit" ? "max_sequence_length" : key;
            if (lv === level && !(target in p)) p[target] = p[old];
            delete p[old];
          }
        }
        if ("level" in f) delete f.level;
        if (changed) {
          note(`input_features "${f.name}": word_/char_ preprocessing keys -> tokenizer`);
        }
      }
      for (const list of ["input_features", "output_features"] as const) {
        for (const f of features(config, list)) {
          if (isObj(f.preprocessing)) {
            rename(f.preprocessing, "sequence_length_limit", "max_sequence_length", note);
          }
        }
      }
    },
  },
  {
    version: "0.5",
    apply(config, note) {
      rename(config, "training", "trainer", note);
      for (const list of ["input_features", "output_features"] as const) {
        for (const f of features(config, list)) {
          if (typeof f.type === "string" && f.type in TYPE_RENAMES) {
            note(`${list} "${f.name}": type ${f.type} -> ${TYPE_RENAMES[f.type]}`);
            f.type = TYPE_RENAMES[f.type];
          }
          renameBiasKeys(f, note, `${list} "${f.name}".`);
          if (isObj(f.encoder)) renameBiasKeys(f.encoder, note, `${list} "${f.name}".encoder.`);
          if (isObj(f.decoder)) renameBiasKeys(f.decoder, note, `${list} "${f.name}".decoder.`);
          if (isObj(f.preprocessing) && isObj(f.preprocessing.audio_feature)) {
            Object.assign(f.preprocessing, f.preprocessing.audio_feature);
            delete f.preprocessing.audio_feature;
            note(`${list} "${f.name}": preprocessing.audio_feature unnested`);
          }
        }
      }
      if (isObj(config.combiner)) renameBiasKeys(config.combiner, note, "combiner.");
      if (isObj(config.defaults)) {
        for (const [from, to] of Object.entries(TYPE_RENAMES)) {
          rename(config.defaults, from, to, note, "defaults.");
        }
      }
      const trainer = config.trainer;
      if (isObj(trainer) && trainer.eval_batch_size === 0) {
        trainer.eval_batch_size = null;
        note("trainer.eval_batch_size 0 -> null");
      }
      const pre = config.preprocessing;
      if (isObj(pre)) {
        // Type-level blocks in the global preprocessing move into defaults.
        for (const key of Object.keys(pre)) {
          const type = TYPE_RENAMES[key] ?? key;
          if (!isObj(pre[key]) || key === "split") continue;
          const defaults = (config.defaults = isObj(config.defaults) ? config.defaults : {}) as Obj;
          const block = (defaults[type] = isObj(defaults[type]) ? defaults[type] : {}) as Obj;
          block.preprocessing = {
            ...(pre[key] as Obj),
            ...(isObj(block.preprocessing) ? block.preprocessing : {}),
          };
          delete pre[key];
          note(`preprocessing.${key} -> defaults.${type}.preprocessing`);
        }
        // Split keys move into preprocessing.split.
        if ("force_split" in pre || "split_probabilities" in pre || "stratify" in pre) {
          const split: Obj = {};
          const force = pre.force_split;
          const probs = pre.split_probabilities;
          const stratify = pre.stratify;
          delete pre.force_split;
          delete pre.split_probabilities;
          delete pre.stratify;
          if (probs !== undefined && probs !== null) split.probabilities = probs;
          if (stratify !== undefined && stratify !== null) {
            split.type = "stratify";
            split.column = stratify;
          } else if (force === false) {
            split.type = "fixed";
            delete split.probabilities;
          } else split.type = "random";
          pre.split = split;
          note("preprocessing.force_split/split_probabilities/stratify -> preprocessing.split");
        }
      }
      const hyperopt = config.hyperopt;
      if (isObj(hyperopt)) {
        if (isObj(hyperopt.parameters)) {
          const params: Obj = {};
          for (const [path, space] of Object.entries(hyperopt.parameters)) {
            const upgraded = path.startsWith("training.") ? `trainer.${path.slice(9)}` : path;
            if (upgraded !== path) note(`hyperopt.parameters["${path}"] -> "${upgraded}"`);
            params[upgraded] = space;
          }
          hyperopt.parameters = params;
        }
        if (isObj(hyperopt.sampler)) {
          const sampler = hyperopt.sampler;
          delete hyperopt.sampler;
          const searchAlg: Obj = isObj(sampler.search_alg) ? { ...sampler.search_alg } : {};
          if (searchAlg.type === undefined) {
            searchAlg.type = sampler.type === "random" ? "random" : "variant_generator";
          }
          hyperopt.search_alg = searchAlg;
          const executor: Obj = isObj(hyperopt.executor) ? { ...hyperopt.executor } : {};
          executor.type = "ray";
          if (sampler.num_samples !== undefined) executor.num_samples = sampler.num_samples;
          if (isObj(sampler.scheduler)) executor.scheduler = sampler.scheduler;
          hyperopt.executor = executor;
          note("hyperopt.sampler -> hyperopt.search_alg + hyperopt.executor");
        } else if (
          isObj(hyperopt.executor) && hyperopt.executor.type !== "ray" &&
          hyperopt.executor.type !== "local" && hyperopt.executor.type !== undefined
        ) {
          note(`hyperopt.executor.type ${hyperopt.executor.type} -> ray`);
          hyperopt.executor.type = "ray";
        }
      }
    },
  },
  {
    version: "0.5",
    apply(config, note) {
      // The TensorFlow-era names of the 2D convolution stack (`stacked_cnn` of image features),
      // flat beside the encoder, inside `encoder:` and in each `conv_layers` entry.
      for (const f of features(config, "input_features")) {
        if (f.type !== "image") continue;
        const where = `input_features "${f.name}": `;
        const renameAll = (o: Obj, at: string) => {
          for (const [from, to] of Object.entries(IMAGE_CONV_RENAMES)) {
            rename(o, from, to, note, at);
          }
        };
        renameAll(f, where);
        if (isObj(f.encoder)) renameAll(f.encoder, `${where}encoder.`);
        for (const holder of [f, isObj(f.encoder) ? f.encoder : undefined]) {
          const layers = holder?.conv_layers;
          if (!Array.isArray(layers)) continue;
          layers.forEach((layer, i) => {
            if (isObj(layer)) renameAll(layer, `${where}conv_layers[${i}].`);
          });
        }
      }
    },
  },
  {
    version: "0.6",
    apply(config, note) {
      for (const f of features(config, "input_features")) {
        // Only keys some encoder of this type knows move: a typo stays where it was written,
        // so its error points at it.
        const flat = Object.keys(f).filter((k) =>
          !INPUT_KEYS.has(k) && (k === "fc_size" || isEncoderKey(f.type, k))
        );
        if (flat.length === 0) continue;
        const encoder: Obj = typeof f.encoder === "string"
          ? { type: f.encoder }
          : isObj(f.encoder)
          ? f.encoder
          : {};
        for (const k of flat) {
          const target = k === "fc_size" ? "output_size" : k;
          if (!(target in encoder)) encoder[target] = f[k];
          delete f[k];
        }
        f.encoder = encoder;
        note(`input_features "${f.name}": ${flat.join(", ")} -> encoder`);
      }
      for (const f of features(config, "output_features")) {
        const flat = Object.keys(f).filter((k) =>
          !OUTPUT_KEYS.has(k) && isDecoderKey(f.type, DECODER_FC_RENAMES[k] ?? k)
        );
        if (flat.length === 0) continue;
        const decoder: Obj = typeof f.decoder === "string"
          ? { type: f.decoder }
          : isObj(f.decoder)
          ? f.decoder
          : {};
        for (const k of flat) {
          const target = DECODER_FC_RENAMES[k] ?? k;
          if (!(target in decoder)) decoder[target] = f[k];
          delete f[k];
        }
        f.decoder = decoder;
        note(`output_features "${f.name}": ${flat.join(", ")} -> decoder`);
      }
      for (const f of features(config, "output_features")) {
        const loss = f.loss;
        if (isObj(loss) && "class_weights" in loss) {
          const w = loss.class_weights;
          const valid = w === null || Array.isArray(w) || isObj(w);
          if (!valid) {
            loss.class_weights = null;
            note(`output_features "${f.name}": invalid loss.class_weights -> null`);
          }
        }
      }
      if (isObj(config.combiner)) {
        rename(config.combiner, "fc_size", "output_size", note, "combiner.");
      }
      for (const list of ["input_features", "output_features"] as const) {
        for (const f of features(config, list)) {
          const p = f.preprocessing;
          if (!isObj(p)) continue;
          for (const key of ["missing_value_strategy", "outlier_strategy"]) {
            if (p[key] === "backfill") {
              (p[key] = "bfill", note(`${list} "${f.name}": backfill -> bfill`));
            }
            if (p[key] === "pad") (p[key] = "ffill", note(`${list} "${f.name}": pad -> ffill`));
          }
        }
      }
      const trainer = config.trainer;
      if (isObj(trainer)) {
        rename(trainer, "increase_batch_size_on_plateau_max", "max_batch_size", note, "trainer.");
        if ("type" in trainer) {
          delete trainer.type;
          note("trainer.type removed (only LLM trainers have a type)");
        }
      }
      const backend = config.backend;
      if (isObj(backend) && "cache_credentials" in backend) {
        const creds =
          (backend.credentials = isObj(backend.credentials) ? backend.credentials : {}) as Obj;
        creds.cache = backend.cache_credentials;
        delete backend.cache_credentials;
        note("backend.cache_credentials -> backend.credentials.cache");
      }
    },
  },
  {
    version: "0.7",
    apply(config, note) {
      const trainer = config.trainer;
      if (isObj(trainer)) {
        const moved = Object.keys(LR_SCHEDULER_RENAMES).filter((k) => k in trainer);
        if (moved.length > 0) {
          const scheduler =
            (trainer.learning_rate_scheduler = isObj(trainer.learning_rate_scheduler)
              ? trainer.learning_rate_scheduler
              : {}) as Obj;
          for (const k of moved) {
            let value = trainer[k];
            if (k === "decay" && typeof value === "boolean") value = value ? "exponential" : null;
            scheduler[LR_SCHEDULER_RENAMES[k]] = value;
            delete trainer[k];
          }
          note(`trainer.${moved.join(", trainer.")} -> trainer.learning_rate_scheduler`);
        }
      }
      if (isObj(config.hyperopt) && Object.keys(config.hyperopt).length === 0) {
        delete config.hyperopt;
        note("empty hyperopt section removed");
      }
      if (isObj(config.defaults)) {
        for (const [type, block] of Object.entries(config.defaults)) {
          if (isObj(block) && "type" in block) {
            delete block.type;
            note(`defaults.${type}.type removed`);
          }
        }
      }
    },
  },
];

/** The newest Ludwig layout Sonata reads natively. */
export const CURRENT_LUDWIG_LAYOUT = "0.8";

/**
 * Upgrade a config object in place from the layout of its `ludwig_version` (all migrations when
 * absent) and return notes of what changed.
 */
export function upgradeConfig(config: Record<string, unknown>): UpgradeNote[] {
  const notes: UpgradeNote[] = [];
  const from = typeof config.ludwig_version === "string" ? config.ludwig_version : undefined;
  for (const m of MIGRATIONS) {
    if (from !== undefined && compareVersions(from, m.version) >= 0) continue;
    m.apply(config, (change) => notes.push({ version: m.version, change }));
  }
  return notes;
}
