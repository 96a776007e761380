/**
 * The `sonata` command line: Ludwig's commands and flag spellings.
 *
 * ```sh
 * deno task sonata validate --config model.yaml
 * deno task sonata render_config --config model.yaml --output resolved.yaml
 * ```
 *
 * @module
 */
import { closestString } from "../_util/closest.ts";
import { writeTextAtomic } from "../_util/files.ts";
import {
  flagProblems,
  modelFolderProblem,
  outputDirectoryProblem,
  PREDICT_FLAGS,
  TRAIN_FLAGS,
} from "./_flags.ts";
import { configSourceOf, FlagError, parseFlags } from "./_args.ts";
import { SERVE_COMMANDS } from "./_serve_commands.ts";
import { COLLECT_COMMANDS } from "./_collect_commands.ts";
import { CACHE_COMMAND } from "./_cache_commands.ts";
import { DATASETS_COMMAND } from "./_datasets_commands.ts";
import { HYPEROPT_COMMAND } from "./_hyperopt_commands.ts";

type TrainCommands = typeof import("./_train_commands.ts");
const commands = () => import("./_train_commands.ts");
import { ConfigSyntaxError, ConfigValidationError } from "../config/errors.ts";
import { resolveConfig } from "../config/load.ts";
import { toYAML } from "../config/parse.ts";

/** Where commands write: injectable for tests. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const encoder = new TextEncoder();
const defaultIo: Io = {
  out: (text) => Deno.stdout.writeSync(encoder.encode(text.endsWith("\n") ? text : `${text}\n`)),
  err: (text) => Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") ? text : `${text}\n`)),
};

interface Command {
  summary: string;
  usage: string;
  run: (argv: string[], io: Io) => Promise<number>;
}

function configErrorExit(error: unknown, io: Io): number {
  if (error instanceof ConfigValidationError || error instanceof ConfigSyntaxError) {
    io.err(error.message);
    return 2;
  }
  throw error;
}

type Options = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;
type Values = Record<string, string | boolean | string[] | undefined>;

function parse(
  argv: string[],
  options: Options,
  io: Io,
  usage: string,
): { values: Values } | undefined {
  try {
    return { values: parseFlags(argv, options) };
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    io.err(`${error.message}\n\n${usage}`);
    return undefined;
  }
}

/** The config of `--config` / `--config_str`, or an exit code after saying what is wrong. */
async function configOf(
  values: Values,
  io: Io,
  usage: string,
): Promise<string | Record<string, unknown> | number> {
  try {
    const source = await configSourceOf(values);
    if (source === undefined) return io.err(`Missing --config\n\n${usage}`), 2;
    return source;
  } catch (error) {
    if (error instanceof FlagError) return io.err(error.message), 2;
    return configErrorExit(error, io);
  }
}

const validate: Command = {
  summary: "Check a config and report every problem",
  usage: `Usage: sonata validate --config FILE

Validates a Ludwig-style config (YAML or JSON): exit 0 when valid, exit 2 with every issue on
stderr otherwise. Older Ludwig layouts are upgraded first.

Options:
  -c, --config FILE   the config file (YAML or JSON)
      --config_str S  the config as a YAML or JSON string
  -h, --help          show this help`,
  async run(argv, io) {
    const args = parse(
      argv,
      { config: { type: "string", short: "c" }, config_str: { type: "string" } },
      io,
      this.usage,
    );
    if (!args) return 2;
    if (args.values.help) return io.out(this.usage), 0;
    const source = await configOf(args.values, io, this.usage);
    if (typeof source === "number") return source;
    try {
      const { upgrades } = await resolveConfig(source);
      for (const u of upgrades) io.err(`upgraded (Ludwig ${u.version} layout): ${u.change}`);
      io.out(args.values.config ? `Config ${JSON.stringify(source)} is valid` : "Config is valid");
      return 0;
    } catch (error) {
      return configErrorExit(error, io);
    }
  },
};

const renderConfig: Command = {
  summary: "Print the fully defaulted config",
  usage: `Usage: sonata render_config --config FILE [--output FILE] [--format yaml|json]

Prints the config with every default filled in, after upgrading older Ludwig layouts.

Options:
  -c, --config FILE   the config file (YAML or JSON)
      --config_str S  the config as a YAML or JSON string
  -o, --output FILE   write to FILE instead of stdout (.json writes JSON)
      --format F      yaml (default) or json
  -h, --help          show this help`,
  async run(argv, io) {
    const args = parse(
      argv,
      {
        config: { type: "string", short: "c" },
        config_str: { type: "string" },
        output: { type: "string", short: "o" },
        format: { type: "string" },
      },
      io,
      this.usage,
    );
    if (!args) return 2;
    if (args.values.help) return io.out(this.usage), 0;
    const source = await configOf(args.values, io, this.usage);
    if (typeof source === "number") return source;
    const output = args.values.output as string | undefined;
    const format = (args.values.format as string | undefined) ??
      (output?.endsWith(".json") ? "json" : "yaml");
    if (format !== "yaml" && format !== "json") {
      return io.err(`Invalid --format ${JSON.stringify(format)}: expected "yaml" or "json"`), 2;
    }
    try {
      const { config } = await resolveConfig(source);
      const text = format === "json" ? `${JSON.stringify(config, null, 2)}\n` : toYAML(config);
      if (output) {
        await writeTextAtomic(output, text);
        io.err(`Wrote ${output}`);
      } else io.out(text);
      return 0;
    } catch (error) {
      return configErrorExit(error, io);
    }
  },
};

const checkInstall: Command = {
  summary: "List the compute engines and whether each is usable",
  usage: `Usage: sonata check_install

Lists each compute engine (tensorflow-gpu, tensorflow, webgpu, native, wasm, cpu), whether it is
usable here, and why not or how to install it.`,
  async run(argv, io) {
    const args = parse(argv, {}, io, this.usage);
    if (!args) return 2;
    if (args.values.help) return io.out(this.usage), 0;
    const { listEngines } = await import("../compute/mod.ts");
    const engines = await listEngines();
    for (const e of engines) {
      io.out(`${e.available ? "yes" : "no "}  ${e.engine.padEnd(15)} ${e.detail}`);
    }
    const auto = engines.find((e) => e.auto);
    if (auto) io.out(`compute: auto picks "${auto.engine}" here`);
    return engines.some((e) => e.available) ? 0 : 1;
  },
};

const visualize: Command = {
  summary: "Draw Ludwig's visualizations as Vega-Lite charts",
  usage: `Usage: sonata visualize --visualization NAME [flags]

Run "sonata visualize --help" for the visualizations and their flags.`,
  async run(argv, io) {
    const { runVisualize } = await import("../viz/cli.ts");
    return await runVisualize(argv, { stdout: io.out, stderr: io.err });
  },
};

/** Problems with the flags found before any work starts: values, names, folders. */
async function flagPreflight(values: Values): Promise<string[]> {
  const problems = flagProblems(values);
  for (const flag of ["model_path", "model_load_path"]) {
    const dir = values[flag];
    if (typeof dir !== "string") continue;
    const problem = await modelFolderProblem(dir, flag);
    if (problem) problems.push(problem);
  }
  if (typeof values.output_directory === "string") {
    const problem = await outputDirectoryProblem(values.output_directory, "output_directory");
    if (problem) problems.push(problem);
  }
  const metadata = values.training_set_metadata;
  if (typeof metadata === "string") {
    try {
      JSON.parse(await Deno.readTextFile(metadata));
    } catch (error) {
      problems.push(
        `Invalid --training_set_metadata ${JSON.stringify(metadata)}: ${
          error instanceof SyntaxError ? "not valid JSON" : describeError(error)
        }`,
      );
    }
  }
  return problems;
}

function trainingCommand(
  summary: string,
  usage: string,
  flags: Options,
  name: keyof TrainCommands,
): Command {
  return {
    summary,
    usage,
    async run(argv, io) {
      const args = parse(argv, flags, io, usage);
      if (!args) return 2;
      if (args.values.help) return io.out(usage), 0;
      const problems = await flagPreflight(args.values);
      if (problems.length) return io.err(problems.join("\n")), 2;
      if (typeof args.values.logging_level === "string") {
        const { setLoggingLevel } = await import("../train/progress.ts");
        const level = args.values.logging_level.toLowerCase();
        setLoggingLevel(level === "notset" ? "debug" : level as "info");
      }
      const run = (await commands())[name] as (v: Values, io: Io) => Promise<number>;
      return await run(args.values, io);
    },
  };
}

const DATA_HELP = `  --dataset PATH          one dataset, split per preprocessing.split
  --training_set PATH     a training set (with --validation_set, --test_set)
  --data_format F         csv, tsv, json, jsonl, arrow, feather, parquet (default: by extension)`;

const train = trainingCommand(
  "Train a model",
  `Usage: sonata train --config FILE --dataset PATH [options]

Trains the model of a config and writes <output_directory>/<experiment_name>_<model_name>[_N]/
with description.json, training_statistics.json and model/ (config, metadata, TF.js weights).

Options:
  -c, --config FILE       the model config (YAML or JSON); --config_str S for inline text
${DATA_HELP}
  --output_directory DIR  default "results"
  --experiment_name NAME  default "experiment"
  --model_name NAME       default "run"
  --model_resume_path DIR continue an interrupted run from its last checkpoint
  --model_load_path DIR   start from the weights of a trained model of the same config
  --random_seed N         default 42
  --training_set_metadata F  encode with this training_set_metadata.json instead of fitting
  --skip_save_model, --skip_save_progress, --skip_save_processed_input,
  --skip_save_training_statistics
  --skip_save_log         do not write <run>/logs/training.log (the progress and metric tables)
  -l, --logging_level L   critical, error, warning (quiet), info (default), debug, notset
  -h, --help`,
  { ...TRAIN_FLAGS } as Options,
  "trainCommand",
);

const experimentCmd = trainingCommand(
  "Train, then evaluate on the test split",
  `Usage: sonata experiment --config FILE --dataset PATH [options]

Runs train, then evaluate on --eval_split (default test), writing test_statistics.json and
predictions.csv into the run folder. Takes every option of "sonata train", plus:
  --eval_split SPLIT      training, validation or test
  --skip_save_predictions, --skip_save_eval_stats
  -k, --k_fold N          Ludwig's k-fold cross-validation instead: N folds of the dataset, each
                          trained on the others and evaluated on itself; writes
                          kfold_training_statistics.json (per fold and overall mean/std) and
                          kfold_split_indices.json into --output_directory`,
  {
    ...TRAIN_FLAGS,
    eval_split: { type: "string" },
    skip_save_predictions: { type: "boolean" },
    skip_save_eval_stats: { type: "boolean" },
    k_fold: { type: "string", short: "k" },
  } as Options,
  "experimentCommand",
);

const predictCmd = trainingCommand(
  "Predict with a trained model",
  `Usage: sonata predict --model_path DIR --dataset PATH [options]

Writes predictions.csv with Ludwig's columns (<name>_predictions, <name>_probability,
<name>_probabilities_<label> ...).

Options:
  -m, --model_path DIR    a trained model folder (or a run folder holding model/)
  --dataset PATH          rows to predict
  --data_format F         as for train
  -s, --split SPLIT       full (default), training, validation or test
  --batch_size N          default 1024
  --output_directory DIR  default "results"
  --output_format F       csv (default) or parquet
  --skip_save_predictions
  -h, --help`,
  { ...PREDICT_FLAGS } as Options,
  "predictCommand",
);

const evaluateCmd = trainingCommand(
  "Evaluate a trained model on labelled data",
  `Usage: sonata evaluate --model_path DIR --dataset PATH [options]

Writes test_statistics.json (metrics, confusion matrices, ROC and precision-recall curves) and
predictions.csv. Options as for predict, plus --skip_save_eval_stats, --skip_collect_predictions.`,
  { ...PREDICT_FLAGS } as Options,
  "evaluateCommand",
);

const preprocessCmd = trainingCommand(
  "Preprocess a dataset into the cache",
  `Usage: sonata preprocess --config FILE --dataset PATH [options]

Fits training-set metadata, splits and encodes the data, and writes the preprocessing cache that
a later train with the same preprocessing reuses.

Options: --config, --dataset / --training_set ..., --data_format, --random_seed, -h`,
  { ...TRAIN_FLAGS } as Options,
  "preprocessCommand",
);

const initConfig: Command = {
  summary: "Write a starting config for a dataset (types inferred)",
  usage:
    `Usage: sonata init_config --dataset PATH --target COLUMN [--target COLUMN ...] [--output FILE]

Infers each column's feature type as Ludwig's auto-config does (ID-like and constant columns are
left out, and said so on stderr), makes --target the output features, validates the result and
prints it as YAML (or writes --output).

Options:
  --dataset PATH      the data (any format sonata reads)
  --data_format F     override the format detected from the extension
  --target COLUMN     an output column (repeat for several)
  -o, --output FILE   write the YAML here instead of stdout
  -h, --help`,
  async run(argv, io) {
    const args = parse(
      argv,
      {
        dataset: { type: "string" },
        data_format: { type: "string" },
        target: { type: "string", multiple: true },
        output: { type: "string", short: "o" },
      },
      io,
      this.usage,
    );
    if (!args) return 2;
    if (args.values.help) return io.out(this.usage), 0;
    const { initConfigCommand } = await import("./_init_config.ts");
    return await initConfigCommand(args.values as never, io);
  },
};

/** The commands, by Ludwig name. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  init_config: initConfig,
  train,
  predict: predictCmd,
  evaluate: evaluateCmd,
  experiment: experimentCmd,
  hyperopt: HYPEROPT_COMMAND,
  preprocess: preprocessCmd,
  cache: CACHE_COMMAND,
  datasets: DATASETS_COMMAND,
  validate,
  render_config: renderConfig,
  check_install: checkInstall,
  visualize,
  ...COLLECT_COMMANDS,
  ...SERVE_COMMANDS,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `Usage: sonata COMMAND [options]

Sonata: declarative deep learning for Deno, speaking Ludwig's config language.

Commands:
${lines.join("\n")}

Run "sonata COMMAND --help" for a command's options. Add --debug to any command to see the stack
trace of an unexpected error.

Limits (environment variables, in bytes; 0 lifts a limit):
  SONATA_MAX_CONFIG_BYTES        largest config file or --config_str (default 4 MiB)
  SONATA_MAX_DECOMPRESSED_BYTES  largest a .gz dataset may decompress to (default: 200 times
                                 its size, at least 256 MiB)
  SONATA_MAX_CELL_BYTES          longest CSV record, so cell (default 64 MiB)`;
}

/** Run the CLI with `argv` (without the program name); returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const debug = argv.includes("--debug");
  const [name, ...rest] = argv.filter((a) => a !== "--debug");
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name] ?? COMMANDS[name.replaceAll("-", "_")];
  if (!command) {
    const suggestion = closestString(name, Object.keys(COMMANDS));
    io.err(
      `Unknown command ${JSON.stringify(name)}${
        suggestion ? `: did you mean ${JSON.stringify(suggestion)}?` : ""
      }\n\n${help()}`,
    );
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (debug) {
      io.err(error instanceof Error ? (error.stack ?? String(error)) : String(error));
      return 1;
    }
    io.err(`${describeError(error)}\n(rerun with --debug for the stack trace)`);
    return 1;
  }
}

const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  NotFound: "no such file or folder",
  ENOTDIR: "a part of the path is a file, not a folder",
  NotADirectory: "a part of the path is a file, not a folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
  PermissionDenied: "permission denied",
  EISDIR: "it is a folder, not a file",
  IsADirectory: "it is a folder, not a file",
  EEXIST: "it already exists",
  AlreadyExists: "it already exists",
  ENOSPC: "no space left on the device",
  EROFS: "the file system is read-only",
};

/**
 * One line for an error no command turned into a message: file-system errors name the path and
 * what is wrong; others give their name and the first line of their message.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { describeError } from "./main.ts";
 * const error = Object.assign(new Error("ENOENT: no such file or directory, open '/x/y.json'"), {
 *   code: "ENOENT",
 *   path: "/x/y.json",
 * });
 * assertEquals(describeError(error), 'Cannot use "/x/y.json": no such file or folder');
 * ```
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `Error: ${String(error).split("\n")[0]}`;
  const e = error as Error & { code?: unknown; path?: unknown };
  const kind = FILE_ERRORS[String(e.code)] ?? FILE_ERRORS[e.name];
  const path = typeof e.path === "string" ? e.path : /'([^']+)'\s*$/.exec(e.message)?.[1];
  if (kind && path) return `Cannot use ${JSON.stringify(path)}: ${kind}`;
  const first = e.message.split("\n")[0];
  return `${e.name}: ${first}`;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
