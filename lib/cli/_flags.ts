/**
 * Flags of the training commands, with Ludwig's spellings (no TensorFlow.js import here, so
 * `sonata validate` starts fast).
 *
 * @module
 */

/**
 * The config, data and output flags of every command that trains (train, experiment, hyperopt),
 * with Ludwig's spellings.
 */
export const CONFIG_DATA_FLAGS = {
  config: { type: "string", short: "c" },
  config_str: { type: "string" },
  dataset: { type: "string" },
  training_set: { type: "string" },
  validation_set: { type: "string" },
  test_set: { type: "string" },
  data_format: { type: "string" },
  output_directory: { type: "string" },
  experiment_name: { type: "string" },
} as const;

/** Flags shared by train and experiment (Ludwig's spellings and short forms). */
export const TRAIN_FLAGS = {
  ...CONFIG_DATA_FLAGS,
  model_name: { type: "string" },
  model_load_path: { type: "string" },
  model_resume_path: { type: "string" },
  random_seed: { type: "string" },
  skip_save_model: { type: "boolean" },
  skip_save_progress: { type: "boolean" },
  skip_save_processed_input: { type: "boolean" },
  skip_save_training_statistics: { type: "boolean" },
  skip_save_log: { type: "boolean" },
  training_set_metadata: { type: "string" },
  logging_level: { type: "string", short: "l" },
} as const;

/** Flags of predict and evaluate. */
export const PREDICT_FLAGS = {
  model_path: { type: "string", short: "m" },
  dataset: { type: "string" },
  data_format: { type: "string" },
  split: { type: "string", short: "s" },
  batch_size: { type: "string" },
  output_directory: { type: "string" },
  skip_save_predictions: { type: "boolean" },
  skip_save_eval_stats: { type: "boolean" },
  output_format: { type: "string" },
  skip_collect_predictions: { type: "boolean" },
  skip_collect_overall_stats: { type: "boolean" },
  logging_level: { type: "string", short: "l" },
} as const;

/** Ludwig's `--logging_level` values (`notset` prints everything, as `debug`). */
export const LOGGING_LEVEL_NAMES = ["critical", "error", "warning", "info", "debug", "notset"];

type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** The numeric flags and the values each accepts (as the config's own fields are validated). */
const NUMERIC_FLAGS: Readonly<Record<string, { min: number; what: string }>> = {
  batch_size: { min: 1, what: "a positive integer" },
  random_seed: { min: 0, what: "an integer >= 0" },
};

/** Flags that name one folder inside `--output_directory`. */
const NAME_FLAGS = ["experiment_name", "model_name"] as const;

/**
 * Check the values of the numeric and name flags; returns one message per problem, each naming
 * its flag (empty when all are valid).
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { flagProblems } from "./_flags.ts";
 * assertEquals(flagProblems({ batch_size: "0" }), [
 *   'Invalid --batch_size "0": expected a positive integer',
 * ]);
 * ```
 */
export function flagProblems(values: FlagValues): string[] {
  const problems: string[] = [];
  for (const [flag, { min, what }] of Object.entries(NUMERIC_FLAGS)) {
    const value = values[flag];
    if (value === undefined) continue;
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push(`Invalid --${flag} ${JSON.stringify(value)}: expected ${what}`);
    }
  }
  const level = values.logging_level;
  if (typeof level === "string" && !LOGGING_LEVEL_NAMES.includes(level.toLowerCase())) {
    problems.push(
      `Invalid --logging_level ${JSON.stringify(level)}: expected ${
        LOGGING_LEVEL_NAMES.join(", ")
      }`,
    );
  }
  const folds = values.k_fold;
  if (folds !== undefined) {
    const n = typeof folds === "string" && folds.trim() !== "" ? Number(folds) : NaN;
    if (!Number.isSafeInteger(n) || n < 2) {
      problems.push(`Invalid --k_fold ${JSON.stringify(folds)}: expected an integer >= 2`);
    }
  }
  for (const flag of NAME_FLAGS) {
    const value = values[flag];
    if (typeof value !== "string") continue;
    const why = nameProblem(value);
    if (why) problems.push(`Invalid --${flag} ${JSON.stringify(value)}: ${why}`);
  }
  return problems;
}

/** Why `name` cannot be one path segment of a run folder's name, or undefined when it can. */
function nameProblem(name: string): string | undefined {
  if (name === "") return "the name is empty (it names the run folder)";
  if (/[/\\]/.test(name)) {
    return 'a name is one folder name, without "/" or "\\" (the run folder is <output_directory>/<experiment_name>_<model_name>)';
  }
  if (name === "." || name === "..") return `"${name}" is not a folder name`;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f]/.test(name)) return "a name cannot hold control characters";
  return undefined;
}

/** The file-system entry at `path`, or undefined when nothing is there. */
async function statOf(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.NotADirectory) return undefined;
    throw error;
  }
}

function parentOf(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : trimmed.slice(0, i);
}

/**
 * Why `dir` cannot be an output folder (it, or a folder above it, is a file), or undefined.
 */
export async function outputDirectoryProblem(
  dir: string,
  flag: string,
): Promise<string | undefined> {
  let path = dir;
  for (let depth = 0; depth < 256; depth++) {
    const info = await statOf(path);
    if (info) {
      if (info.isDirectory) return writableProblem(path, dir, flag);
      return path === dir
        ? `Invalid --${flag} ${JSON.stringify(dir)}: it is a file, not a folder`
        : `Invalid --${flag} ${JSON.stringify(dir)}: ${
          JSON.stringify(path)
        } is a file, not a folder`;
    }
    const parent = parentOf(path);
    if (parent === path) return undefined;
    path = parent;
  }
  return undefined;
}

/** Why nothing can be written into the existing folder `path`, found above `dir`, or undefined. */
async function writableProblem(
  path: string,
  dir: string,
  flag: string,
): Promise<string | undefined> {
  const probe = `${path}/.sonata-write-check-${crypto.randomUUID()}`;
  try {
    await Deno.writeFile(probe, new Uint8Array(), { createNew: true });
    await Deno.remove(probe);
    return undefined;
  } catch (error) {
    const where = path === dir ? "" : ` (in ${JSON.stringify(path)})`;
    return `Invalid --${flag} ${JSON.stringify(dir)}: cannot write there${where}: ${
      error instanceof Deno.errors.PermissionDenied ? "permission denied" : (error as Error).message
    }`;
  }
}

const DTYPE_BYTES: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  float16: 2,
};

async function jsonProblem(path: string): Promise<{ value?: unknown; problem?: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    return { problem: `${JSON.stringify(path)} cannot be read: ${(error as Error).message}` };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return {
      problem: `${JSON.stringify(path)} is truncated or corrupted: not valid JSON (${
        (error as Error).message
      })`,
    };
  }
}

/** The bytes a TF.js weights manifest says its files hold, or undefined when it cannot tell. */
function manifestBytes(weights: unknown): number | undefined {
  if (!Array.isArray(weights)) return undefined;
  let total = 0;
  for (const w of weights as { shape?: unknown; dtype?: unknown; quantization?: unknown }[]) {
    const bytes = DTYPE_BYTES[String(w?.dtype)];
    if (!bytes || w.quantization || !Array.isArray(w.shape)) return undefined;
    total += bytes * (w.shape as number[]).reduce((a, b) => a * Number(b), 1);
  }
  return total;
}

/**
 * Why `dir` is not a usable trained-model folder (missing, a file, a training checkpoint, an
 * interrupted save, a truncated file), or undefined when it looks whole. A run folder holding
 * `model/` is accepted, as `Model.load` accepts it.
 */
export async function modelFolderProblem(dir: string, flag: string): Promise<string | undefined> {
  const at = `--${flag} ${JSON.stringify(dir)}`;
  const info = await statOf(dir);
  if (!info) return `Invalid ${at}: no such folder`;
  if (!info.isDirectory) return `Invalid ${at}: it is a file, not a model folder`;
  const has = async (...parts: string[]) => (await statOf([dir, ...parts].join("/"))) !== undefined;
  const checkpointHint =
    "this is a training checkpoint, not a trained model (pass its run folder as --model_resume_path to continue training, or the run folder's model/ to predict)";
  let modelDir = dir;
  if (await has("model_config.json")) {
    const isCheckpoint = (await has("state.json")) || (await has("optimizer.json"));
    if (isCheckpoint && !(await has("training_set_metadata.json"))) {
      return `Invalid ${at}: ${checkpointHint}`;
    }
  } else if (await has("model", "model_config.json")) {
    modelDir = `${dir}/model`;
  } else {
    if ((await has("latest", "state.json")) || (await has("best", "model_config.json"))) {
      return `Invalid ${at}: ${checkpointHint}`;
    }
    const entries: string[] = [];
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
    if (
      entries.some((n) => /^\.model\..*\.tmp$/.test(n)) || entries.includes("training_checkpoints")
    ) {
      return `Invalid ${at}: this run has no saved model (its training was interrupted before the model was saved)`;
    }
    return `Invalid ${at}: not a model folder (no model_config.json in it or in its model/ folder)`;
  }
  // What Model.load reads (tensor_names.json is optional: older folders have none).
  for (const name of ["training_set_metadata.json", "input_columns.json", "model/model.json"]) {
    if (!(await statOf(`${modelDir}/${name}`))) {
      return `Invalid ${at}: ${
        JSON.stringify(`${modelDir}/${name}`)
      } is missing (the model folder is incomplete)`;
    }
  }
  const files: string[] = [];
  for await (const e of Deno.readDir(modelDir)) {
    if (e.isFile && e.name.endsWith(".json")) files.push(`${modelDir}/${e.name}`);
    if (e.isDirectory && !e.name.startsWith(".")) {
      for await (const f of Deno.readDir(`${modelDir}/${e.name}`)) {
        if (f.isFile && f.name.endsWith(".json")) files.push(`${modelDir}/${e.name}/${f.name}`);
      }
    }
  }
  for (const file of files.sort()) {
    const { value, problem } = await jsonProblem(file);
    if (problem) return `Invalid ${at}: ${problem}`;
    const manifest = (value as { weightsManifest?: unknown } | null)?.weightsManifest;
    if (!Array.isArray(manifest)) continue;
    const folder = parentOf(file);
    for (const group of manifest as { paths?: unknown; weights?: unknown }[]) {
      const paths = Array.isArray(group?.paths) ? group.paths as string[] : [];
      let size = 0;
      for (const p of paths) {
        const w = await statOf(`${folder}/${p}`);
        if (!w) return `Invalid ${at}: ${JSON.stringify(`${folder}/${p}`)} is missing`;
        size += w.size;
      }
      const expected = manifestBytes(group?.weights);
      if (expected !== undefined && paths.length > 0 && size !== expected) {
        return `Invalid ${at}: ${
          JSON.stringify(`${folder}/${paths.join(", ")}`)
        } is truncated or corrupted: ${size} bytes where ${
          JSON.stringify(file)
        } describes ${expected}`;
      }
    }
  }
  return undefined;
}
