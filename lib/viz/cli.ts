/**
 * `sonata visualize`: Ludwig's `ludwig visualize` command. Reads statistics, probabilities,
 * predictions and ground truth files, draws the named visualization and writes one file per
 * chart into the output directory.
 *
 * ```sh
 * sonata visualize --visualization confusion_matrix \
 *   --test_statistics results/test_statistics.json \
 *   --ground_truth_metadata results/model/training_set_metadata.json \
 *   --top_n_classes 5 --normalize --output_directory plots --file_format png
 * ```
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { closestString } from "../_util/closest.ts";
import { writeTextAtomic } from "../_util/files.ts";
import type { Chart } from "./chart.ts";
import {
  featureMetadata,
  type RawLabels,
  readGroundTruth,
  readJson,
  readPredictions,
  readProbabilities,
  type TestStatistics,
  type TrainingSetMetadata,
  type TrainingStatistics,
} from "./inputs.ts";
import type { Probabilities } from "./metrics.ts";
import { VISUALIZATION_NAMES, type VisualizationName, VISUALIZATIONS } from "./visualizations.ts";
import { HYPEROPT_VISUALIZATION_NAMES, HYPEROPT_VISUALIZATIONS } from "./hyperopt.ts";
import type { SubsetType } from "./_spec.ts";
import { findNextTo, readSplitFile } from "./split_file.ts";

/** Where the command writes its messages. */
export interface CliIO {
  /** Normal output (one line per written file). */
  stdout(line: string): void;
  /** Errors and usage. */
  stderr(line: string): void;
}

const encoder = new TextEncoder();
const defaultIO: CliIO = {
  stdout: (line) => void Deno.stdout.writeSync(encoder.encode(line + "\n")),
  stderr: (line) => void Deno.stderr.writeSync(encoder.encode(line + "\n")),
};

/** An error in the command line (exit code 2). */
export class UsageError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Flags that take one or more values (Ludwig's `nargs="+"`). */
const LIST_FLAGS = new Set([
  "training_statistics",
  "test_statistics",
  "probabilities",
  "predictions",
  "model_names",
  "top_n_classes",
  "threshold_output_feature_names",
  "metrics",
]);

/** Ludwig's short flags (several are longer than one letter, which parseArgs cannot express). */
const SHORT_FLAGS: Record<string, string> = {
  "-v": "visualization",
  "-g": "ground_truth",
  "-gm": "ground_truth_metadata",
  "-gts": "ground_truth_split",
  "-sf": "split_file",
  "-od": "output_directory",
  "-ff": "file_format",
  "-ofn": "output_feature_name",
  "-tf": "threshold_output_feature_names",
  "-pred": "predictions",
  "-prob": "probabilities",
  "-trs": "training_statistics",
  "-tes": "test_statistics",
  "-mn": "model_names",
  "-tn": "top_n_classes",
  "-k": "top_k",
  "-ll": "labels_limit",
  "-ss": "subset",
  "-n": "normalize",
  "-m": "metrics",
  "-pl": "positive_label",
  "-hyp": "hyperopt_stats_path",
  "-h": "help",
};

const FILE_FORMATS = ["svg", "png", "pdf", "html", "json"] as const;
type FileFormat = typeof FILE_FORMATS[number];

const OPTIONS = {
  visualization: { type: "string" },
  training_statistics: { type: "string", multiple: true },
  test_statistics: { type: "string", multiple: true },
  probabilities: { type: "string", multiple: true },
  predictions: { type: "string", multiple: true },
  ground_truth: { type: "string" },
  ground_truth_metadata: { type: "string" },
  ground_truth_split: { type: "string", default: "2" },
  split_file: { type: "string" },
  output_feature_name: { type: "string" },
  model_names: { type: "string", multiple: true },
  top_n_classes: { type: "string", multiple: true },
  top_k: { type: "string", default: "3" },
  labels_limit: { type: "string", default: "0" },
  normalize: { type: "boolean", default: false },
  subset: { type: "string", default: "ground_truth" },
  threshold_output_feature_names: { type: "string", multiple: true },
  positive_label: { type: "string", default: "1" },
  metrics: { type: "string", multiple: true },
  hyperopt_stats_path: { type: "string" },
  output_directory: { type: "string", default: "." },
  file_format: { type: "string", default: "svg" },
  help: { type: "boolean", default: false },
} as const;

/** The usage text of `sonata visualize`. */
export const VISUALIZE_USAGE = `Usage: sonata visualize --visualization NAME [options]

Draws one of Ludwig's visualizations and writes one file per chart.

Options (values of flags marked + may be repeated or listed after the flag):
  -v,    --visualization NAME              the visualization (see below)
  -trs,  --training_statistics FILE +      training_statistics.json, one per model
  -tes,  --test_statistics FILE +          test_statistics.json, one per model
  -prob, --probabilities FILE +            predictions CSV with <feature>_probabilities_<label> columns,
                                           a JSON matrix or a .npy file, one per model
  -pred, --predictions FILE +              predictions CSV (<feature>_predictions) or JSON, one per model
  -g,    --ground_truth FILE               dataset CSV/JSON holding the output feature's column
  -gm,   --ground_truth_metadata FILE      training_set_metadata.json (default: the one next to the
                                           statistics, predictions or probabilities, if any)
  -gts,  --ground_truth_split N            rows of this split when the data has a split column
                                           (0 train, 1 validation, 2 test; default 2)
  -sf,   --split_file FILE                 the split of each row of --ground_truth (the
                                           <dataset>.split.parquet training writes in its run folder)
  -ofn,  --output_feature_name NAME        the output feature to visualize
  -mn,   --model_names NAME +              model names used as labels
  -tn,   --top_n_classes N +               number of classes to plot (default 0: all)
  -k,    --top_k N                         largest k for hits@k (default 3)
  -ll,   --labels_limit N                  merge labels above this index into one (default 0: off)
  -n,    --normalize                       normalize confusion matrix rows
  -ss,   --subset ground_truth|predictions subset filtering (default ground_truth)
  -tf,   --threshold_output_feature_names NAME NAME   the two features of 2-threshold charts
  -pl,   --positive_label N                index of the positive class (default 1)
  -m,    --metrics NAME +                  f1, precision, recall, accuracy (default f1)
  -hyp,  --hyperopt_stats_path FILE        hyperopt_statistics.json (hyperopt_report, hyperopt_hiplot)
  -od,   --output_directory DIR            where to write files (default .)
  -ff,   --file_format svg|png|pdf|html|json  file format (default svg; json writes .vl.json;
                                           pdf is vector; html pages are interactive offline)
  -h,    --help                            show this help

Visualizations:
${VISUALIZATION_NAMES.map((n) => `  ${n}`).join("\n")}

Hyperopt visualizations (with --hyperopt_stats_path):
${HYPEROPT_VISUALIZATION_NAMES.map((n) => `  ${n}`).join("\n")}`;

/** Rewrite Ludwig-style argv (multi-letter short flags, several values after one flag). */
function normalizeArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let listFlag: string | undefined;
  for (const token of argv) {
    if (token.startsWith("-") && !/^-\d/.test(token)) {
      const [flag, inline] = token.split(/=(.*)/s, 2);
      const long = SHORT_FLAGS[flag] ??
        (flag.startsWith("--") ? flag.slice(2).replaceAll("-", "_") : undefined);
      if (long === undefined) {
        out.push(token);
        listFlag = undefined;
        continue;
      }
      listFlag = LIST_FLAGS.has(long) && inline === undefined ? long : undefined;
      out.push(inline === undefined ? `--${long}` : `--${long}=${inline}`);
    } else if (listFlag !== undefined && out[out.length - 1] !== `--${listFlag}`) {
      out.push(`--${listFlag}`, token);
    } else out.push(token);
  }
  return out;
}

function integer(name: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) {
    throw new UsageError(`Invalid value for --${name}: expected an integer, received "${value}"`);
  }
  return Number(value);
}

function need<T>(value: T | undefined, flag: string, visualization: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    throw new UsageError(`Visualization "${visualization}" requires --${flag}`);
  }
  return value;
}

type Args = ReturnType<typeof parse>;

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: normalizeArgv(argv),
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
  return values;
}

/** Loaded inputs shared by the probability- and prediction-based visualizations. */
interface Loaded {
  metadata?: TrainingSetMetadata;
  feature: string;
  groundTruth: RawLabels;
}

/**
 * `--ground_truth_metadata`, else the `training_set_metadata.json` next to the statistics,
 * predictions or probabilities given (a run folder, or its `model/` folder).
 */
async function metadataPath(args: Args): Promise<string | undefined> {
  if (args.ground_truth_metadata) return args.ground_truth_metadata;
  return await findNextTo(
    [
      ...(args.test_statistics ?? []),
      ...(args.training_statistics ?? []),
      ...(args.predictions ?? []),
      ...(args.probabilities ?? []),
    ],
    "training_set_metadata.json",
  );
}

async function readMetadata(args: Args): Promise<TrainingSetMetadata | undefined> {
  const path = await metadataPath(args);
  return path ? await readJson<TrainingSetMetadata>(path) : undefined;
}

async function groundTruthOf(args: Args, name: string, feature: string): Promise<RawLabels> {
  const split = integer("ground_truth_split", args.ground_truth_split);
  const splitFile = args.split_file ? await readSplitFile(args.split_file) : undefined;
  return await readGroundTruth(
    need(args.ground_truth, "ground_truth", name),
    feature,
    split,
    splitFile,
  );
}

async function loadLabels(args: Args, name: string): Promise<Loaded> {
  const feature = need(args.output_feature_name, "output_feature_name", name);
  const metadata = await readMetadata(args);
  const groundTruth = await groundTruthOf(args, name, feature);
  return { metadata, feature, groundTruth };
}

async function loadProbabilities(
  args: Args,
  name: string,
  feature: string,
  metadata?: TrainingSetMetadata,
) {
  const files = need(args.probabilities, "probabilities", name);
  const meta = featureMetadata(metadata, feature);
  return await Promise.all(files.map((f) => readProbabilities(f, feature, meta)));
}

async function loadPredictions(args: Args, name: string, feature: string) {
  const files = need(args.predictions, "predictions", name);
  return await Promise.all(files.map((f) => readPredictions(f, feature)));
}

async function loadList<T>(files: string[] | undefined, flag: string, name: string): Promise<T[]> {
  return await Promise.all(need(files, flag, name).map((f) => readJson<T>(f)));
}

function subsetOf(args: Args): SubsetType {
  if (args.subset !== "ground_truth" && args.subset !== "predictions") {
    throw new UsageError(
      `Invalid value for --subset: expected "ground_truth" or "predictions", received "${args.subset}"`,
    );
  }
  return args.subset;
}

/** Build the chart for a visualization from parsed flags. */
async function buildChart(name: VisualizationName, args: Args): Promise<Chart> {
  const modelNames = args.model_names;
  const topN = (args.top_n_classes ?? ["0"]).map((v) => integer("top_n_classes", v));
  const labelsLimit = integer("labels_limit", args.labels_limit);
  const common = { modelNames, labelsLimit };
  switch (name) {
    case "learning_curves":
      return VISUALIZATIONS.learning_curves(
        await loadList<TrainingStatistics>(args.training_statistics, "training_statistics", name),
        { outputFeatureName: args.output_feature_name, modelNames },
      );
    case "compare_performance":
      return VISUALIZATIONS.compare_performance(
        await loadList<TestStatistics>(args.test_statistics, "test_statistics", name),
        { outputFeatureName: args.output_feature_name, modelNames },
      );
    case "compare_classifiers_multiclass_multimetric":
    case "confusion_matrix":
    case "frequency_vs_f1": {
      const stats = await loadList<TestStatistics>(args.test_statistics, "test_statistics", name);
      const metadata = await readJson<TrainingSetMetadata>(
        need(await metadataPath(args), "ground_truth_metadata", name),
      );
      const options = { metadata, outputFeatureName: args.output_feature_name, modelNames };
      if (name === "confusion_matrix") {
        return VISUALIZATIONS.confusion_matrix(stats, {
          ...options,
          topNClasses: topN,
          normalize: args.normalize,
        });
      }
      if (name === "frequency_vs_f1") {
        return VISUALIZATIONS.frequency_vs_f1(stats, { ...options, topNClasses: topN[0] });
      }
      return VISUALIZATIONS.compare_classifiers_multiclass_multimetric(stats, {
        ...options,
        topNClasses: topN[0],
      });
    }
    case "roc_curves_from_test_statistics":
    case "precision_recall_curves_from_test_statistics": {
      const stats = await loadList<TestStatistics>(args.test_statistics, "test_statistics", name);
      return VISUALIZATIONS[name](stats, {
        outputFeatureName: args.output_feature_name,
        modelNames,
      });
    }
    case "compare_classifiers_performance_from_pred":
    case "compare_classifiers_predictions":
    case "compare_classifiers_predictions_distribution": {
      const { metadata, feature, groundTruth } = await loadLabels(args, name);
      const predictions = await loadPredictions(args, name, feature);
      const options = { ...common, metadata, outputFeatureName: feature };
      if (name === "compare_classifiers_predictions" && predictions.length !== 2) {
        throw new UsageError(
          `Visualization "${name}" requires --predictions of exactly 2 models, received ${predictions.length}`,
        );
      }
      return VISUALIZATIONS[name](predictions, groundTruth, options);
    }
    case "confidence_thresholding_2thresholds_2d":
    case "confidence_thresholding_2thresholds_3d": {
      const features = need(
        args.threshold_output_feature_names,
        "threshold_output_feature_names",
        name,
      );
      if (features.length !== 2) {
        throw new UsageError(
          `Visualization "${name}" requires 2 --threshold_output_feature_names, received ${features.length}`,
        );
      }
      const metadata = await readMetadata(args);
      const files = need(args.probabilities, "probabilities", name);
      const file = files[0];
      const probabilities = await Promise.all(
        features.map((f) => readProbabilities(file, f, featureMetadata(metadata, f))),
      );
      const truths = await Promise.all(features.map((f) => groundTruthOf(args, name, f)));
      return VISUALIZATIONS[name](probabilities, truths, {
        thresholdOutputFeatureNames: features,
        metadata,
        modelNames,
        labelsLimit,
      });
    }
    default: {
      const { metadata, feature, groundTruth } = await loadLabels(args, name);
      const probabilities: Probabilities[] = await loadProbabilities(args, name, feature, metadata);
      const options = { ...common, metadata, outputFeatureName: feature };
      const positiveLabel = integer("positive_label", args.positive_label);
      switch (name) {
        case "compare_classifiers_performance_from_prob":
          return VISUALIZATIONS[name](probabilities, groundTruth, {
            ...options,
            topNClasses: topN[0],
          });
        case "compare_classifiers_performance_subset":
          return VISUALIZATIONS[name](probabilities, groundTruth, {
            ...options,
            topNClasses: topN[0],
            subset: subsetOf(args),
          });
        case "compare_classifiers_performance_changing_k":
          return VISUALIZATIONS[name](probabilities, groundTruth, {
            ...options,
            topK: integer("top_k", args.top_k),
          });
        case "confidence_thresholding":
        case "confidence_thresholding_data_vs_acc":
        case "calibration_multiclass":
          return VISUALIZATIONS[name](probabilities, groundTruth, options);
        case "confidence_thresholding_data_vs_acc_subset":
        case "confidence_thresholding_data_vs_acc_subset_per_class":
          return VISUALIZATIONS[name](probabilities, groundTruth, {
            ...options,
            topNClasses: topN[0],
            subset: subsetOf(args),
          });
        case "binary_threshold_vs_metric":
          return VISUALIZATIONS[name](probabilities, groundTruth, {
            ...options,
            positiveLabel,
            metrics: args.metrics ?? ["f1"],
          });
        case "roc_curves":
        case "precision_recall_curves":
          return VISUALIZATIONS[name](probabilities, groundTruth, { ...options, positiveLabel });
        case "calibration_1_vs_all":
          return VISUALIZATIONS[name](probabilities, groundTruth, {
            ...options,
            topNClasses: topN[0],
          });
      }
    }
  }
  throw new UsageError(`Visualization "${name}" is not supported`);
}

/**
 * Run `sonata visualize` with the given arguments (without the `visualize` command itself).
 *
 * @param argv Command-line arguments, Ludwig's flags.
 * @param io Where to write output and errors; default the process's stdout and stderr.
 * @returns The exit code: 0 on success, 1 when reading inputs or drawing fails, 2 on usage errors.
 *
 * @example List the visualizations
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { runVisualize } from "./cli.ts";
 * const lines: string[] = [];
 * const code = await runVisualize(["--help"], { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) });
 * assertEquals(code, 0);
 * ```
 */
export async function runVisualize(
  argv: readonly string[],
  io: CliIO = defaultIO,
): Promise<number> {
  // vega's loader pulls in node's deprecated punycode module; keep the command's stderr clean.
  process.noDeprecation = true;
  let args: Args;
  try {
    args = parse(argv);
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}`);
    io.stderr("Run 'sonata visualize --help' for usage");
    return 2;
  }
  if (args.help) {
    io.stdout(VISUALIZE_USAGE);
    return 0;
  }
  const name = args.visualization;
  if (name === undefined) {
    io.stderr("error: missing --visualization: expected one of:");
    for (const n of VISUALIZATION_NAMES) io.stderr(`  ${n}`);
    return 2;
  }
  if (!(name in VISUALIZATIONS) && !(name in HYPEROPT_VISUALIZATIONS)) {
    const near = closestString(
      name,
      [...VISUALIZATION_NAMES, ...HYPEROPT_VISUALIZATION_NAMES],
      Math.max(2, Math.floor(name.length / 4)),
    );
    io.stderr(`error: unknown visualization "${name}"${near ? `: did you mean "${near}"?` : ""}`);
    io.stderr("Available visualizations:"); // (and the hyperopt ones: see --help)
    for (const n of VISUALIZATION_NAMES) io.stderr(`  ${n}`);
    return 2;
  }
  const format = args.file_format as FileFormat;
  if (!FILE_FORMATS.includes(format)) {
    io.stderr(
      `error: invalid value for --file_format: expected one of ${
        FILE_FORMATS.map((f) => `"${f}"`).join(", ")
      }, received "${args.file_format}"`,
    );
    return 2;
  }
  if (name === "hyperopt_hiplot") {
    try {
      const stats = await readJson(need(args.hyperopt_stats_path, "hyperopt_stats_path", name));
      const path = join(args.output_directory, "hyperopt_hiplot.html");
      await writeTextAtomic(path, HYPEROPT_VISUALIZATIONS.hyperopt_hiplot(stats as never));
      io.stdout(path);
      return 0;
    } catch (error) {
      io.stderr(`error: ${(error as Error).message}`);
      return error instanceof UsageError ? 2 : 1;
    }
  }
  let chart: Chart;
  try {
    chart = name === "hyperopt_report"
      ? HYPEROPT_VISUALIZATIONS.hyperopt_report(
        await readJson(need(args.hyperopt_stats_path, "hyperopt_stats_path", name)),
      )
      : await buildChart(name as VisualizationName, args);
  } catch (error) {
    const message = (error as Error).message;
    // The whole dataset against the predictions of one split: the split file picks its rows.
    const hint = args.ground_truth && !args.split_file &&
        /ground-truth label|labels and \d+ rows/.test(message)
      ? ": if --ground_truth is the whole dataset, pass --split_file <run folder>/<dataset>.split.parquet"
      : "";
    io.stderr(`error: ${message}${hint}`);
    return error instanceof UsageError ? 2 : 1;
  }
  const extension = format === "json" ? "vl.json" : format;
  const used = new Map<string, number>();
  try {
    for (const leaf of chart.leaves()) {
      const seen = used.get(leaf.name) ?? 0;
      used.set(leaf.name, seen + 1);
      const stem = seen === 0 ? leaf.name : `${leaf.name}_${seen + 1}`;
      const path = join(args.output_directory, `${stem}.${extension}`);
      await leaf.save(path, { format });
      io.stdout(path);
      if (format !== "json") {
        for (const warning of (await leaf.render()).warnings) {
          io.stderr(`warning: ${leaf.name}: ${warning}`);
        }
      }
    }
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await runVisualize(Deno.args));
}
