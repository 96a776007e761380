/**
 * `sonata train | predict | evaluate | experiment | preprocess` with Ludwig's flags and output
 * layout (`results/<experiment>_<model>[_N]/`).
 *
 * @module
 */
import { join } from "node:path";
import { Model, type TrainOptions } from "../api.ts";
import { ConfigSyntaxError, ConfigValidationError } from "../config/errors.ts";
import { DataError } from "../data/errors.ts";
import { launchWorkers, processRank } from "../distributed/mod.ts";
import { configSourceOf, FlagError } from "./_args.ts";
import { writeTextAtomic } from "../_util/files.ts";
import { terminalProgress } from "../train/progress.ts";

type Values = Record<string, string | boolean | string[] | undefined>;

/** What a command writes to. */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * Turn known failures (bad flags, configs, data, components not implemented) into exit code 2
 * with the message; rethrow the rest.
 */
export function failure(error: unknown, io: CommandIo): number {
  if (error instanceof FlagError) {
    io.err(error.message);
    return 2;
  }
  if (error instanceof RangeError && /^(Missing|Invalid) --/.test(error.message)) {
    io.err(error.message);
    return 2;
  }
  if (
    error instanceof ConfigValidationError || error instanceof ConfigSyntaxError ||
    error instanceof DataError
  ) {
    io.err(error.message);
    return 2;
  }
  if (
    error instanceof Error && /^Cannot (build|train|resume|predict|load|save)/.test(error.message)
  ) {
    io.err(error.message);
    return 2;
  }
  throw error;
}

function int(value: Values[string], flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) {
    throw new RangeError(`Invalid --${flag} ${JSON.stringify(value)}: expected an integer`);
  }
  return n;
}

function trainOptions(v: Values): TrainOptions {
  if (v.dataset === undefined && v.training_set === undefined) {
    throw new RangeError("Missing --dataset (or --training_set)");
  }
  return {
    dataset: v.dataset as string | undefined,
    training_set: v.training_set as string | undefined,
    validation_set: v.validation_set as string | undefined,
    test_set: v.test_set as string | undefined,
    data_format: v.data_format as string | undefined,
    output_directory: (v.output_directory as string | undefined) ?? "results",
    experiment_name: (v.experiment_name as string | undefined) ?? "experiment",
    model_name: (v.model_name as string | undefined) ?? "run",
    model_resume_path: v.model_resume_path as string | undefined,
    model_load_path: v.model_load_path as string | undefined,
    random_seed: int(v.random_seed, "random_seed") ?? 42,
    skip_save_model: v.skip_save_model as boolean | undefined,
    skip_save_progress: v.skip_save_progress as boolean | undefined,
    skip_save_processed_input: v.skip_save_processed_input as boolean | undefined,
    skip_save_training_statistics: v.skip_save_training_statistics as boolean | undefined,
    training_set_metadata: v.training_set_metadata as string | undefined,
  };
}

/** A copy of the terminal progress kept for `<run>/logs/training.log` (unless --skip_save_log). */
function trainingLog(model: Model, v: Values) {
  const lines: string[] = [];
  const callbacks = terminalProgress({
    validationField: model.config.trainer.validation_field ?? undefined,
    validationMetric: model.config.trainer.validation_metric ?? undefined,
    write: (s) => void lines.push(s),
    tty: false,
    ignoreLoggingLevel: true,
  });
  return {
    callbacks: v.skip_save_log ? undefined : callbacks,
    async save(runDir: string | undefined): Promise<void> {
      if (v.skip_save_log || runDir === undefined || lines.length === 0) return;
      await writeTextAtomic(join(runDir, "logs", "training.log"), lines.join(""));
    },
  };
}

async function modelFor(v: Values): Promise<Model> {
  if (v.model_resume_path) {
    const path = join(
      v.model_resume_path as string,
      "training_checkpoints",
      "latest",
      "model_config.json",
    );
    return await Model.create(path).catch(() => {
      throw new RangeError(
        `Invalid --model_resume_path ${
          JSON.stringify(v.model_resume_path)
        }: no checkpoint at ${path}`,
      );
    });
  }
  const source = await configSourceOf(v);
  if (source === undefined) throw new RangeError("Missing --config (or --config_str)");
  return await Model.create(source);
}

function summary(stats: Record<string, Record<string, unknown>>): string {
  const lines: string[] = [];
  for (const [feature, metrics] of Object.entries(stats)) {
    const parts = Object.entries(metrics)
      .filter(([, v]) => typeof v === "number")
      .map(([k, v]) => `${k} ${(v as number).toFixed(4)}`);
    if (parts.length) lines.push(`  ${feature}: ${parts.join(", ")}`);
  }
  return lines.join("\n");
}

/** `sonata train`. */
export async function trainCommand(v: Values, io: CommandIo): Promise<number> {
  try {
    const model = await modelFor(v);
    const options = trainOptions(v);
    // backend.trainer.num_workers > 1: run this command as that many MPI ranks.
    const launched = await launchWorkers(model.config);
    if (launched !== undefined) return launched;
    const log = trainingLog(model, v);
    const result = await model.train({ ...options, callbacks: log.callbacks });
    if (processRank() > 0) return 0;
    await log.save(result.output_directory);
    if (options.skip_save_model || result.result.interrupted) {
      io.out(`Results in ${result.output_directory} (model not saved)`);
    } else {
      io.out(`Model saved to ${join(result.output_directory ?? "", "model")}`);
    }
    return 0;
  } catch (error) {
    return failure(error, io);
  }
}

/** `sonata experiment`: train, then evaluate on the test split. */
export async function experimentCommand(v: Values, io: CommandIo): Promise<number> {
  try {
    if (v.k_fold !== undefined) {
      const { kFoldCommand } = await import("./_kfold.ts");
      return await kFoldCommand(await modelFor(v), trainOptions(v), Number(v.k_fold), io);
    }
    const model = await modelFor(v);
    const launched = await launchWorkers(model.config);
    if (launched !== undefined) return launched;
    const log = trainingLog(model, v);
    const result = await model.experiment({
      ...trainOptions(v),
      callbacks: log.callbacks,
      eval_split: (v.eval_split as "training" | "validation" | "test" | undefined) ?? "test",
      skip_save_predictions: v.skip_save_predictions as boolean | undefined,
      skip_save_eval_stats: v.skip_save_eval_stats as boolean | undefined,
    });
    if (processRank() > 0) return 0;
    await log.save(result.output_directory);
    io.out(`Test statistics:\n${summary(result.test_statistics)}`);
    io.out(`Results in ${result.output_directory}`);
    return 0;
  } catch (error) {
    return failure(error, io);
  }
}

function outputFormat(value: Values[string]): "csv" | "parquet" {
  if (value === undefined || value === "csv") return "csv";
  if (value === "parquet") return "parquet";
  throw new RangeError(
    `Invalid --output_format ${JSON.stringify(value)}: expected "csv" or "parquet"`,
  );
}

function predictOptions(v: Values) {
  if (v.model_path === undefined) throw new RangeError("Missing --model_path");
  if (v.dataset === undefined) throw new RangeError("Missing --dataset");
  const split = (v.split as string | undefined) ?? "full";
  if (!["full", "training", "validation", "test"].includes(split)) {
    throw new RangeError(
      `Invalid --split ${JSON.stringify(split)}: expected full, training, validation or test`,
    );
  }
  return {
    split: split as "full",
    data_format: v.data_format as string | undefined,
    batch_size: int(v.batch_size, "batch_size") ?? 1024,
    output_directory: (v.output_directory as string | undefined) ?? "results",
    skip_save_predictions: v.skip_save_predictions as boolean | undefined,
    skip_save_eval_stats: v.skip_save_eval_stats as boolean | undefined,
    output_format: outputFormat(v.output_format),
  };
}

/** `sonata predict`. */
export async function predictCommand(v: Values, io: CommandIo): Promise<number> {
  try {
    const options = predictOptions(v);
    const model = await Model.load(v.model_path as string);
    const { predictions } = await model.predict(v.dataset as string, options);
    io.out(
      `Predicted ${predictions.rows.length} rows${
        options.skip_save_predictions
          ? ""
          : `: ${join(options.output_directory, `predictions.${options.output_format}`)}`
      }`,
    );
    return 0;
  } catch (error) {
    return failure(error, io);
  }
}

/** `sonata evaluate`. */
export async function evaluateCommand(v: Values, io: CommandIo): Promise<number> {
  try {
    const options = predictOptions(v);
    const model = await Model.load(v.model_path as string);
    const { test_statistics } = await model.evaluate(v.dataset as string, {
      ...options,
      skip_save_predictions: options.skip_save_predictions ||
        (v.skip_collect_predictions as boolean | undefined),
    });
    io.out(`Test statistics:\n${summary(test_statistics)}`);
    if (!options.skip_save_eval_stats) {
      io.out(`Wrote ${join(options.output_directory, "test_statistics.json")}`);
    }
    return 0;
  } catch (error) {
    return failure(error, io);
  }
}

/** `sonata preprocess`: fit metadata and fill the cache. */
export async function preprocessCommand(v: Values, io: CommandIo): Promise<number> {
  try {
    const model = await modelFor(v);
    const opts = trainOptions(v);
    const result = await model.preprocess({ ...opts, random_seed: opts.random_seed });
    io.out(
      `Preprocessed ${result.training.numRows} training, ${
        result.validation?.numRows ?? 0
      } validation and ${result.test?.numRows ?? 0} test rows (cache ${
        result.cache.hit ? "hit" : "written"
      }: ${result.cache.key.slice(0, 12)})`,
    );
    return 0;
  } catch (error) {
    return failure(error, io);
  }
}
