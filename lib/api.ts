/**
 * The Model API (Ludwig's `LudwigModel`): train, evaluate, predict, experiment, preprocess,
 * save and load, and the functional shortcuts exported from `mod.ts`.
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { engineInfo, ready, tf } from "./compute/mod.ts";
import { ModelBuilder } from "./builders/model.ts";
import { type ConfigSource, readConfigSource, resolveConfigValue } from "./config/load.ts";
import type { ModelConfig } from "./config/model.ts";
import { Dataset } from "./data/dataset.ts";
import { type DataSource, readDataset } from "./data/read.ts";
import { splitDataset } from "./data/split.ts";
import { writeCsv, writeParquet } from "./data/write.ts";
import { writeSplitFile } from "./viz/split_file.ts";
import {
  type EncodedSplit,
  postprocessPredictions,
  preprocessForPrediction,
  preprocessForTraining,
  type PreprocessResult,
  type TrainingSetMetadata,
} from "./features/preprocess.ts";
import {
  claimRunDirectory,
  exists,
  jsonSafe,
  loadLayersModel,
  loadWeightsFrom,
  readJson,
  resumableRunDirectory,
  runDescription,
  VERSION,
  writeFolderAtomic,
  writeJsonAtomic,
  writeRunArtifacts,
} from "./model/artifacts.ts";
import {
  buildEcd,
  type ColumnSpec,
  configTensorNames,
  type EcdModel,
  loadImplementations,
} from "./model/ecd.ts";
import { bindLoadedModel, checkResumeVocabularies } from "./model/binding.ts";
import { legacyTensorName, parseTensorNames, setOwn, TENSOR_NAMES_FILE } from "./model/names.ts";
import { type Activation, collectActivations } from "./model/collect.ts";
import {
  autoBatchSizeCap,
  cacheEncoderEmbeddings,
  noteMixedPrecision,
  trainingNotes,
} from "./features/embedding_cache.ts";
import { tensorDtype } from "./train/batches.ts";
import {
  evaluateSplit,
  outputHeads,
  predictSplit,
  rawOutputs,
  statisticsInput,
} from "./train/evaluate.ts";
import { testStatistics } from "./train/metrics.ts";
import { combineCallbacks, terminalProgress } from "./train/progress.ts";
import { resultDisplay as display } from "./_util/result_display.ts";
import { checkpointSaver, loadTrainingCheckpoint } from "./train/checkpoint.ts";
import { distributionFor, processRank, type TrainDistribution } from "./distributed/mod.ts";
import {
  type TrainCallbacks,
  trainEcd,
  type TrainerState,
  type TrainingCallback,
  type TrainingStatistics,
  type TrainResult,
} from "./train/trainer.ts";

type Obj = Record<string, unknown>;

export { VERSION };

/** Data for training: one dataset split by the config, or explicit splits. */
export interface TrainData {
  /** One dataset, split per `preprocessing.split`. */
  dataset?: DataSource;
  /** The training split (with `validation_set`/`test_set`, instead of `dataset`). */
  training_set?: DataSource;
  /** The validation split. */
  validation_set?: DataSource;
  /** The test split. */
  test_set?: DataSource;
  /** Overrides the format detected from file extensions. */
  data_format?: string;
}

/** Options of {@linkcode Model.train}. */
export interface TrainOptions extends TrainData {
  /** Where experiments are written (default "results"). */
  output_directory?: string;
  /** The run folder's first part (default "api_experiment"). */
  experiment_name?: string;
  /** The run folder's second part (default "run"). */
  model_name?: string;
  /** Random seed of splits, shuffling, initialization and dropout (default 42). */
  random_seed?: number;
  /** Continue an interrupted run: its output directory. */
  model_resume_path?: string;
  /** Start from the weights of a trained model (same architecture): its folder. */
  model_load_path?: string;
  /** Do not write `model/` (checkpoints and statistics still are). */
  skip_save_model?: boolean;
  /** Do not write training checkpoints (the run cannot be resumed). */
  skip_save_progress?: boolean;
  /** Do not write `training_statistics.json`. */
  skip_save_training_statistics?: boolean;
  /** Do not write the preprocessing cache. */
  skip_save_processed_input?: boolean;
  /** Write nothing at all (in-memory training). */
  skip_save_all?: boolean;
  /** Progress on the terminal (default: true). */
  progress?: boolean;
  /**
   * Training callbacks: a list of {@linkcode TrainingCallback}s, run after the built-in
   * policies at each event (return `"stop"` or set `ctx.stopTraining` to end training with the
   * best weights kept, as a hyperopt scheduler prunes a trial), or progress callbacks of the
   * older {@linkcode TrainCallbacks} shape.
   */
  callbacks?: readonly TrainingCallback[] | TrainCallbacks;
  /** Stop after this many steps, leaving a resumable checkpoint (used to test resuming). */
  stop_after_steps?: number;
  /** Encode with this training-set metadata (or the JSON file at this path) instead of fitting it. */
  training_set_metadata?: string | TrainingSetMetadata;
}

/** What {@linkcode Model.train} returns (tuple-unpackable like Ludwig's). */
export interface TrainingResults {
  /** Every evaluation's metrics. */
  train_stats: TrainingStatistics;
  /** The preprocessed splits, metadata and raw rows. */
  preprocessed_data: PreprocessResult;
  /** The run folder (absent with `skip_save_all`). */
  output_directory?: string;
  /** Steps, best step, batch size, learning rate and how training ended. */
  result: TrainResult;
}

/** Options of {@linkcode Model.predict} and {@linkcode Model.evaluate}. */
export interface PredictOptions {
  /** Overrides the format detected from file extensions. */
  data_format?: string;
  /** Which rows: full (default), training, validation, test (the config's split). */
  split?: "full" | "training" | "validation" | "test";
  /** Rows per forward pass (default 1024). */
  batch_size?: number;
  /** Where predictions (and evaluation statistics) are written. */
  output_directory?: string;
  /** Do not write the predictions file. */
  skip_save_predictions?: boolean;
  /** Do not write `test_statistics.json`. */
  skip_save_eval_stats?: boolean;
  /** Seed of the split (`split` other than full; default 42). */
  random_seed?: number;
  /** File format of saved predictions: csv (default) or parquet. */
  output_format?: "csv" | "parquet";
}

/** Predictions: Ludwig's columns by name, and the same as rows. */
export interface Predictions {
  /** Prediction columns by name (`<feature>_predictions`, `<feature>_probability` …). */
  columns: Record<string, unknown[]>;
  /** The same, as one record per row. */
  rows: Record<string, unknown>[];
}

/** What {@linkcode Model.predict} returns. */
export interface PredictionResults {
  /** The predictions. */
  predictions: Predictions;
  /** Where they were written, if anywhere. */
  output_directory?: string;
}

/** What {@linkcode Model.evaluate} returns. */
export interface EvaluationResults extends PredictionResults {
  /** Ludwig's test statistics, per output feature and `combined`. */
  test_statistics: Record<string, Record<string, unknown>>;
}

/** What {@linkcode Model.experiment} returns. */
export interface ExperimentResults {
  /** Ludwig's test statistics of the evaluated split. */
  test_statistics: Record<string, Record<string, unknown>>;
  /** Every evaluation's metrics during training. */
  train_stats: TrainingStatistics;
  /** The preprocessed splits, metadata and raw rows. */
  preprocessed_data: PreprocessResult;
  /** The run folder (absent with `skip_save_all`). */
  output_directory?: string;
}

/**
 * A row whose probabilities are not finite (NaN, ±Infinity) gets no prediction: every column of
 * that output feature is null in that row, never a label chosen from NaN.
 */
function withoutNonFinite(
  columns: Record<string, unknown[]>,
  outputs: Record<string, { probabilities?: Float32Array }>,
  n: number,
): Record<string, unknown[]> {
  for (const [name, o] of Object.entries(outputs)) {
    const p = o.probabilities;
    if (!p || n === 0) continue;
    const width = p.length / n;
    const bad: number[] = [];
    for (let r = 0; r < n; r++) {
      for (let j = r * width; j < (r + 1) * width; j++) {
        if (!Number.isFinite(p[j])) {
          bad.push(r);
          break;
        }
      }
    }
    if (bad.length === 0) continue;
    for (const key of Object.keys(columns)) {
      const rest = key.startsWith(`${name}_`) ? key.slice(name.length + 1) : "";
      if (!/^(predictions|probabilit)/.test(rest)) continue;
      for (const r of bad) columns[key][r] = null;
    }
  }
  return columns;
}

function rowsOf(columns: Record<string, unknown[]>): Obj[] {
  const names = Object.keys(columns);
  const n = names.length ? columns[names[0]].length : 0;
  return Array.from(
    { length: n },
    (_, i) => Object.fromEntries(names.map((k) => [k, columns[k][i]])),
  );
}

/**
 * Ludwig's run folder: `<out>/<experiment>_<model>`, then `_1`, `_2` ... when taken; claimed
 * (created) atomically, so concurrent runs get distinct folders.
 */
export async function nextRunDirectory(
  outputDirectory: string,
  experiment: string,
  model: string,
): Promise<string> {
  return await claimRunDirectory(outputDirectory, experiment, model);
}

// Rich display is the display module's (lib/viz/rich.ts registers it): results pass through.
function showTraining<T extends object>(result: T): T {
  return display()?.training(result) ?? result;
}

function showEvaluation<T extends object>(result: T, metadata?: Readonly<Obj>): T {
  return display()?.evaluation(result, metadata) ?? result;
}

function showPredictions<T extends object>(result: T): T {
  return display()?.predictions(result) ?? result;
}

function columnSpecs(split: EncodedSplit): Record<string, ColumnSpec> {
  return Object.fromEntries(
    Object.entries(split.columns).map((
      [name, c],
    ) => [name, { shape: c.shape, dtype: tensorDtype(c.dtype) }]),
  );
}

async function resolveAnyConfig(
  config: ConfigSource | ModelConfig | ModelBuilder,
): Promise<ModelConfig> {
  if (config instanceof ModelBuilder) return config.toConfig();
  const { value, source } = await readConfigSource(config as ConfigSource);
  return resolveConfigValue(value, source).config;
}

/** A Sonata model: a config, and once trained, its metadata and weights. */
export class Model {
  /** The resolved config. */
  readonly config: ModelConfig;
  #metadata?: TrainingSetMetadata;
  #ecd?: EcdModel;
  #columns?: Record<string, ColumnSpec>;

  /** A model of a resolved config; use {@linkcode Model.create} for paths, text or builders. */
  constructor(config: ModelConfig | Obj) {
    this.config = Object.isFrozen(config) && "trainer" in config
      ? config as ModelConfig
      : resolveConfigValue(config).config;
  }

  /** A model from a config file path, YAML/JSON text, an object or a builder. */
  static async create(config: ConfigSource | ModelConfig | ModelBuilder): Promise<Model> {
    return new Model(await resolveAnyConfig(config));
  }

  /** Training-set metadata, once trained or loaded. */
  get metadata(): TrainingSetMetadata | undefined {
    return this.#metadata;
  }

  /** The TF.js model, once trained or loaded. */
  get tfModel(): tf.LayersModel | undefined {
    return this.#ecd?.model;
  }

  async #engine(): Promise<string> {
    const info = await ready({
      compute: this.config.backend.compute,
      quiet: engineInfo() !== undefined || processRank() > 0,
    });
    return info.engine;
  }

  /** Preprocess data as training would (metadata, splits, cache). */
  async preprocess(
    data: TrainData & { random_seed?: number; skip_save_processed_input?: boolean },
  ): Promise<PreprocessResult> {
    return await preprocessForTraining(this.config, data, {
      seed: data.random_seed ?? 42,
      skipSaveProcessedInput: data.skip_save_processed_input,
    });
  }

  /** Train on a dataset (split per the config) or explicit splits. */
  async train(options: TrainOptions): Promise<TrainingResults> {
    const engine = await this.#engine();
    const seed = options.random_seed ?? 42;
    // Distributed (backend mpi/horovod under a launcher): only rank 0 writes and reports.
    const dist = distributionFor(this.config);
    const writer = !dist || dist.rank === 0;
    const skipAll = options.skip_save_all ?? false;
    const runDir = !writer
      ? undefined
      : options.model_resume_path
      ? await resumableRunDirectory(options.model_resume_path)
      : skipAll
      ? undefined
      : await claimRunDirectory(
        options.output_directory ?? "results",
        options.experiment_name ?? "api_experiment",
        options.model_name ?? "run",
      );
    try {
      return await this.#trainIn(runDir, options, engine, seed, dist);
    } catch (error) {
      // A folder claimed for this run and still empty (it failed before writing) goes away.
      if (runDir && !options.model_resume_path) await Deno.remove(runDir).catch(() => {});
      // A failed rank ends every rank (the others would wait in a collective).
      if (dist) dist.fail(error);
      throw error;
    }
  }

  async #trainIn(
    runDir: string | undefined,
    options: TrainOptions,
    engine: string,
    seed: number,
    dist?: TrainDistribution,
  ): Promise<TrainingResults> {
    const skipAll = options.skip_save_all ?? false;
    const secondary = dist !== undefined && dist.rank !== 0;
    const given = typeof options.training_set_metadata === "string"
      ? await readJson<TrainingSetMetadata>(options.training_set_metadata)
      : options.training_set_metadata;
    const preprocessed = await preprocessForTraining(this.config, options, {
      seed,
      skipSaveProcessedInput: secondary || (options.skip_save_processed_input ?? skipAll),
      ...(given ? { metadata: given } : {}),
    });
    this.#metadata = preprocessed.metadata;
    this.#columns = columnSpecs(preprocessed.training);
    this.#ecd = await buildEcd(
      this.config,
      preprocessed.metadata as Record<string, Obj>,
      this.#columns,
      seed,
    );
    if (options.model_load_path && !options.model_resume_path) {
      await loadWeightsFrom(options.model_load_path, this.#ecd.model, preprocessed.metadata);
    }
    if (options.model_resume_path) {
      const manifest = await readJson(
        join(options.model_resume_path, "training_checkpoints", "latest", "checkpoint.json"),
      ).catch(() => undefined);
      checkResumeVocabularies(
        options.model_resume_path,
        manifest,
        this.#ecd.model,
        this.#ecd.tensorNames ?? configTensorNames(this.config),
        preprocessed.metadata as Obj,
      );
    }
    const resume = options.model_resume_path
      ? await loadTrainingCheckpoint<TrainerState>(options.model_resume_path, this.#ecd.model)
      : undefined;
    if (dist) await dist.broadcastWeights(this.#ecd.model);
    const saveCheckpoint = runDir && !(options.skip_save_progress ?? skipAll)
      ? checkpointSaver(runDir, this.#ecd.model, this.config)
      : undefined;
    noteMixedPrecision(this.config, engine);
    // cache_encoder_embeddings: the head model trains on the encoders' cached outputs.
    const cached = await cacheEncoderEmbeddings(this.config, this.#ecd, preprocessed, {
      preprocessingKey: preprocessed.cache.key,
      cachePath: preprocessed.cache.path,
    });
    // batch_size auto: at most what the encoders' memory estimate allows.
    const cap = this.config.trainer.batch_size === "auto"
      ? await autoBatchSizeCap(this.config, preprocessed.metadata as Record<string, Obj>)
      : undefined;
    const result = await trainEcd(
      cached?.ecd ?? this.#ecd,
      cap === undefined || cap >= this.config.trainer.max_batch_size ? this.config : {
        ...this.config,
        trainer: { ...this.config.trainer, max_batch_size: cap },
      },
      preprocessed.metadata as Record<string, Obj>,
      cached?.splits ?? {
        training: preprocessed.training,
        validation: preprocessed.validation,
        test: preprocessed.test,
      },
      {
        seed,
        progress: secondary ? undefined : this.#progress(options),
        callbacks: Array.isArray(options.callbacks) ? options.callbacks : undefined,
        saveCheckpoint,
        resume,
        stopAfterSteps: options.stop_after_steps,
        distributed: dist,
      },
    ).finally(() => {
      tf.dispose(resume?.optimizerWeights?.map((w) => w.tensor) ?? []);
      tf.dispose(resume?.bestWeights ?? []);
    });
    if (runDir && !skipAll) {
      await writeRunArtifacts(runDir, {
        description: {
          ...runDescription({
            engine,
            seed,
            datasetChecksum: await preprocessed.raw.training.checksum().catch(() => undefined),
            cacheKey: preprocessed.cache.key,
            result,
            config: this.config,
          }),
          ...trainingNotes(this.config, engine, cached),
        },
        statistics: options.skip_save_training_statistics ? undefined : result.statistics,
      });
      if (!result.interrupted && !(options.skip_save_model ?? false)) {
        await this.save(join(runDir, "model"), result.statistics);
      }
      // Ludwig's split file: `visualize --split_file` picks the test rows of the dataset.
      if (preprocessed.splitRows) {
        const data = options.dataset;
        const source = typeof data === "string"
          ? data
          : data instanceof Dataset
          ? data.source
          : undefined;
        await writeSplitFile(runDir, source, preprocessed.splitRows);
      }
    }
    return showTraining({
      train_stats: result.statistics,
      preprocessed_data: preprocessed,
      output_directory: runDir,
      result,
    });
  }

  /** Progress callbacks: none, the display module's (notebooks), or the terminal's. */
  #progress(options: TrainOptions): TrainCallbacks | undefined {
    const user = Array.isArray(options.callbacks) ? undefined : options.callbacks as TrainCallbacks;
    if (options.progress === false) return user;
    const progressOptions = {
      validationField: this.config.trainer.validation_field ?? undefined,
      validationMetric: this.config.trainer.validation_metric ?? undefined,
    };
    return combineCallbacks(
      display()?.progress(progressOptions) ?? terminalProgress(progressOptions),
      user,
    );
  }

  #require(): { ecd: EcdModel; metadata: TrainingSetMetadata } {
    if (!this.#ecd || !this.#metadata) {
      throw new Error(
        "Cannot predict with an untrained model: train it or load one with Model.load()",
      );
    }
    return { ecd: this.#ecd, metadata: this.#metadata };
  }

  async #rows(dataset: DataSource, options: PredictOptions): Promise<Dataset> {
    const ds = dataset instanceof Dataset
      ? dataset
      : await readDataset(dataset, { format: options.data_format as never });
    const split = options.split ?? "full";
    if (split === "full") return ds;
    const parts = splitDataset(ds, this.config.preprocessing.split as never, {
      seed: options.random_seed ?? 42,
    });
    return parts[split];
  }

  /** Predict on raw rows; returns Ludwig's prediction columns. */
  async predict(
    dataset: DataSource,
    options: PredictOptions = {},
  ): Promise<PredictionResults> {
    await this.#engine();
    const { ecd, metadata } = this.#require();
    const rows = await this.#rows(dataset, options);
    const { split } = await preprocessForPrediction(this.config, metadata, rows);
    const heads = outputHeads(ecd, this.config, metadata as Record<string, Obj>);
    const outputs = await predictSplit(ecd, heads, split, options.batch_size ?? 1024);
    const columns = withoutNonFinite(
      postprocessPredictions(this.config, metadata, rawOutputs(outputs, split.numRows)),
      outputs,
      split.numRows,
    );
    const predictions = { columns, rows: rowsOf(columns) };
    if (options.output_directory && !options.skip_save_predictions) {
      await writePredictions(options.output_directory, columns, options.output_format);
    }
    return showPredictions({ predictions, output_directory: options.output_directory });
  }

  /** Evaluate on labelled rows: Ludwig's test statistics and the predictions. */
  async evaluate(dataset: DataSource, options: PredictOptions = {}): Promise<EvaluationResults> {
    await this.#engine();
    const { ecd, metadata } = this.#require();
    const rows = await this.#rows(dataset, options);
    const { split } = await preprocessForPrediction(this.config, metadata, rows, {
      includeOutputs: true,
    });
    const heads = outputHeads(ecd, this.config, metadata as Record<string, Obj>);
    const { metrics, outputs } = await evaluateSplit(ecd, heads, split, options.batch_size ?? 1024);
    const stats: Record<string, Obj> = {};
    for (const head of heads) {
      const name = head.feature.name;
      const target = split.columns[name];
      const out = outputs[name];
      const meta = metadata[name] as Obj;
      const input = statisticsInput(head, out, target?.data, split.numRows);
      const labels = (meta?.idx2str as string[] | undefined) ??
        (meta?.bool2str as string[] | undefined);
      setOwn(stats, name, testStatistics(head.feature.type, metrics[name], input, labels));
    }
    stats.combined = metrics.combined;
    const columns = withoutNonFinite(
      postprocessPredictions(this.config, metadata, rawOutputs(outputs, split.numRows)),
      outputs,
      split.numRows,
    );
    const predictions = { columns, rows: rowsOf(columns) };
    if (options.output_directory) {
      if (!options.skip_save_eval_stats) {
        await writeJsonAtomic(join(options.output_directory, "test_statistics.json"), stats);
      }
      if (!options.skip_save_predictions) {
        await writePredictions(options.output_directory, columns, options.output_format);
      }
    }
    return showEvaluation(
      { test_statistics: stats, predictions, output_directory: options.output_directory },
      metadata,
    );
  }

  /**
   * Ludwig's `collect_activations`: the outputs of the named layers over every row of a dataset
   * (rows in dataset order, less rows preprocessing drops). An input feature's name means its
   * encoder output, `combiner` the combiner output, other names are layer names
   * (`sonata collect_summary` lists them).
   */
  async collectActivations(
    dataset: DataSource,
    layers: readonly string[],
    options: PredictOptions = {},
  ): Promise<Activation[]> {
    await this.#engine();
    const { ecd, metadata } = this.#require();
    const rows = await this.#rows(dataset, options);
    const { split } = await preprocessForPrediction(this.config, metadata, rows);
    return collectActivations(ecd, this.config, split, layers, options.batch_size ?? 256);
  }

  /** Train, then evaluate on the test split (or the validation split when there is no test). */
  async experiment(
    options: TrainOptions & {
      eval_split?: "training" | "validation" | "test";
      /** Do not write predictions.csv. */
      skip_save_predictions?: boolean;
      /** Do not write test_statistics.json. */
      skip_save_eval_stats?: boolean;
    },
  ): Promise<ExperimentResults> {
    const trained = await this.train(options);
    const split = options.eval_split ?? "test";
    const raw = trained.preprocessed_data.raw;
    const rows = raw[split] && raw[split]!.numRows > 0
      ? raw[split]!
      : raw.validation ?? raw.training;
    const evaluated = await this.evaluate(rows, {
      output_directory: trained.output_directory,
      skip_save_predictions: options.skip_save_predictions,
      skip_save_eval_stats: options.skip_save_eval_stats,
    });
    return showEvaluation({
      test_statistics: evaluated.test_statistics,
      train_stats: trained.train_stats,
      preprocessed_data: trained.preprocessed_data,
      output_directory: trained.output_directory,
    }, this.#metadata as Readonly<Obj> | undefined);
  }

  /** Save the model folder: config, metadata, TF.js layers model, statistics. */
  async save(dir: string, trainingStatistics?: TrainingStatistics): Promise<void> {
    const { ecd, metadata } = this.#require();
    const files: Record<string, unknown> = {
      "model_config.json": this.config,
      "training_set_metadata.json": metadata,
      "input_columns.json": this.#columns,
      [TENSOR_NAMES_FILE]: Object.fromEntries(ecd.tensorNames ?? configTensorNames(this.config)),
      "description.json": {
        sonata_version: VERSION,
        tfjs_version: tf.version.tfjs,
        compute_engine: engineInfo()?.engine,
      },
    };
    if (trainingStatistics) files["training_statistics.json"] = trainingStatistics;
    await writeFolderAtomic(dir, files, { model: ecd.model });
  }

  /**
   * Load a model folder written by {@linkcode Model.save} (or a run folder containing `model/`).
   * Inputs and outputs are bound by name, so the order `model_config.json` lists features in
   * does not matter; a folder whose files do not belong together is refused, naming them.
   */
  static async load(dir: string): Promise<Model> {
    const modelDir = await exists(join(dir, "model_config.json")) ? dir : join(dir, "model");
    const configPath = join(modelDir, "model_config.json");
    const raw = await readJson<Obj>(configPath);
    let config = resolveConfigValue(raw, configPath).config;
    const metadata = await readJson<TrainingSetMetadata>(
      join(modelDir, "training_set_metadata.json"),
    );
    const columns = await readJson<Record<string, ColumnSpec>>(
      join(modelDir, "input_columns.json"),
    );
    const features = [...config.input_features, ...config.output_features].map((f) => f.name);
    const namesPath = join(modelDir, TENSOR_NAMES_FILE);
    // Folders written before tensor_names.json named tensors by the legacy rule.
    const names = await exists(namesPath)
      ? parseTensorNames(await readJson(namesPath), features, TENSOR_NAMES_FILE)
      : new Map(features.map((f) => [f, legacyTensorName(f)]));
    await loadImplementations(config);
    const layers = await loadLayersModel(join(modelDir, "model"));
    let binding;
    try {
      binding = bindLoadedModel(layers, config, names, metadata as Obj, columns);
    } catch (error) {
      layers.dispose();
      throw error;
    }
    const order = (list: unknown, by: readonly string[]) =>
      by.map((n) => (list as Obj[]).find((f) => f.name === n));
    const inOrder = (a: readonly { name: string }[], b: readonly string[]) =>
      a.every((f, i) => f.name === b[i]);
    if (
      !inOrder(config.input_features, binding.inputNames) ||
      !inOrder(config.output_features, binding.outputNames)
    ) {
      // The config lists the features in another order than the model: follow the model's.
      config = resolveConfigValue({
        ...raw,
        input_features: order(raw.input_features, binding.inputNames),
        output_features: order(raw.output_features, binding.outputNames),
      }, configPath).config;
    }
    const model = new Model(config);
    await model.#engine();
    model.#metadata = metadata;
    model.#columns = columns;
    model.#ecd = { model: layers, ...binding, tensorNames: names };
    return model;
  }
}

async function writePredictions(
  dir: string,
  columns: Record<string, unknown[]>,
  format: "csv" | "parquet" = "csv",
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const flat: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(columns)) {
    flat[k] = v.map((
      x,
    ) => (Array.isArray(x) || ArrayBuffer.isView(x) ? JSON.stringify(x, jsonSafe) : x));
  }
  const dataset = Dataset.fromColumns(flat);
  if (format === "parquet") await writeParquet(dataset, join(dir, "predictions.parquet"));
  else await writeCsv(dataset, join(dir, "predictions.csv"));
}

/** Train a model (functional shortcut of `new Model(config).train(options)`). */
export async function train(
  config: ConfigSource | ModelConfig | ModelBuilder,
  options: TrainOptions,
): Promise<TrainingResults & { model: Model }> {
  const model = await Model.create(config);
  return showTraining({ ...(await model.train(options)), model });
}

/** Train then evaluate (functional shortcut of `Model.experiment`). */
export async function experiment(
  config: ConfigSource | ModelConfig | ModelBuilder,
  options: TrainOptions & { eval_split?: "training" | "validation" | "test" },
): Promise<ExperimentResults & { model: Model }> {
  const model = await Model.create(config);
  return { ...(await model.experiment(options)), model };
}

/** Predict with a saved model folder. */
export async function predict(
  modelDir: string,
  dataset: DataSource,
  options: PredictOptions = {},
): Promise<PredictionResults> {
  return await (await Model.load(modelDir)).predict(dataset, options);
}

/** Evaluate a saved model folder. */
export async function evaluate(
  modelDir: string,
  dataset: DataSource,
  options: PredictOptions = {},
): Promise<EvaluationResults> {
  return await (await Model.load(modelDir)).evaluate(dataset, options);
}
