/**
 * `sonata hyperopt`: Ludwig's `ludwig hyperopt` with its flags. Writes
 * `<output_directory>/<experiment_name>/hyperopt_statistics.json` and one folder per trial;
 * Ctrl-C stops the search, and the same command resumes it.
 *
 * @module
 */
import { configSourceOf, FlagError, parseFlags } from "./_args.ts";
import { CONFIG_DATA_FLAGS } from "./_flags.ts";

/** Where the command writes. */
interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const USAGE = `Usage: sonata hyperopt --config FILE --dataset PATH [options]

Runs the config's hyperopt section: trials in parallel worker processes, each trained with a
sampled config, pruned by the scheduler; writes <output_directory>/<experiment_name>/
hyperopt_statistics.json (trials best first) and trial_NNN/ folders (model/, statistics).
Running the same command again resumes an interrupted search.

Options:
  -c, --config FILE       the config with a hyperopt section; --config_str S for inline text
  --dataset PATH          one dataset, split per preprocessing.split
  --training_set PATH     a training set (with --validation_set, --test_set)
  --data_format F         csv, tsv, json, jsonl, arrow, feather, parquet (default: by extension)
  --output_directory DIR  default "results"
  --experiment_name NAME  default "hyperopt"
  --random_seed N         seed of each trial's training (default 42)
  --skip_save_model       do not save the trials' models
  --skip_save_training_statistics, --skip_save_eval_stats, --skip_save_log
                          do not write the trials' training_statistics.json, test_statistics.json,
                          trial.log
  --skip_save_hyperopt_statistics
  --skip_save_progress, --skip_save_processed_input
                          accepted for Ludwig's command lines: trials never write checkpoints or
                          the preprocessing cache
  --no_resume             start over even if the folder holds an unfinished search
  -h, --help`;

const FLAGS = {
  ...CONFIG_DATA_FLAGS,
  random_seed: { type: "string" },
  skip_save_model: { type: "boolean" },
  skip_save_hyperopt_statistics: { type: "boolean" },
  skip_save_training_statistics: { type: "boolean" },
  skip_save_eval_stats: { type: "boolean" },
  skip_save_log: { type: "boolean" },
  skip_save_progress: { type: "boolean" },
  skip_save_processed_input: { type: "boolean" },
  no_resume: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

async function run(argv: string[], io: Io): Promise<number> {
  let values;
  let source;
  try {
    values = parseFlags(argv, FLAGS) as {
      [K in keyof typeof FLAGS]?: typeof FLAGS[K]["type"] extends "boolean" ? boolean : string;
    };
    if (values.help) return io.out(USAGE), 0;
    source = await configSourceOf(values);
  } catch (error) {
    if (error instanceof SyntaxError) return io.err(error.message), 2; // a --config_str that does not parse
    if (!(error instanceof FlagError)) throw error;
    io.err(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (source === undefined) return io.err(`Missing --config (or --config_str)\n\n${USAGE}`), 2;
  if (values.dataset === undefined && values.training_set === undefined) {
    return io.err(`Missing --dataset (or --training_set)\n\n${USAGE}`), 2;
  }
  let seed = 42;
  if (values.random_seed !== undefined) {
    seed = Number(values.random_seed);
    if (!Number.isInteger(seed)) {
      return io.err(
        `Invalid --random_seed ${JSON.stringify(values.random_seed)}: expected an integer`,
      ),
        2;
    }
  }
  const { hyperopt, HyperoptError } = await import("../hyperopt/run.ts");
  const { ConfigSyntaxError, ConfigValidationError } = await import("../config/errors.ts");
  const { DataError } = await import("../data/errors.ts");
  const controller = new AbortController();
  const onSignal = () => {
    io.err("Interrupted: stopping the running trials (run the same command again to resume)");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const result = await hyperopt(source, {
      dataset: values.dataset,
      training_set: values.training_set,
      validation_set: values.validation_set,
      test_set: values.test_set,
      data_format: values.data_format,
      output_directory: values.output_directory ?? "results",
      experiment_name: values.experiment_name ?? "hyperopt",
      random_seed: seed,
      skip_save_model: values.skip_save_model,
      skip_save_hyperopt_statistics: values.skip_save_hyperopt_statistics,
      skip_save_training_statistics: values.skip_save_training_statistics,
      skip_save_eval_stats: values.skip_save_eval_stats,
      skip_save_log: values.skip_save_log,
      resume: !values.no_resume,
      signal: controller.signal,
      log: io.err,
    });
    if (result.interrupted) {
      io.err(`Search interrupted; its state is in ${result.output_directory}`);
      return 130;
    }
    const n = result.hyperopt_results.length;
    io.out(
      `Hyperopt finished: ${n} scored trial(s), ${result.failed_trials.length} failed; statistics in ${result.output_directory}/hyperopt_statistics.json`,
    );
    if (result.best_model_path) io.out(`Best model: ${result.best_model_path}`);
    return n > 0 ? 0 : 1;
  } catch (error) {
    if (
      error instanceof ConfigValidationError || error instanceof ConfigSyntaxError ||
      error instanceof DataError || error instanceof HyperoptError
    ) {
      io.err((error as Error).message);
      return 2;
    }
    throw error;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

/** The `hyperopt` command (registered in `main.ts`). */
export const HYPEROPT_COMMAND: {
  summary: string;
  usage: string;
  run: (argv: string[], io: Io) => Promise<number>;
} = {
  summary: "Search hyperparameters (the config's hyperopt section)",
  usage: USAGE,
  run,
};
