/**
 * Sonata: declarative deep learning for Deno. A model is a config, written in Ludwig's config
 * language as YAML, JSON, or with typed builders that produce exactly the same config.
 *
 * @example The same model as YAML and as builders
 * ```ts
 * import { assertEquals } from "./lib/_util/_assert.ts";
 * import { feature, loadConfig, model } from "./mod.ts";
 *
 * const fromYaml = await loadConfig(`
 * input_features:
 *   - { name: review, type: text, encoder: { type: parallel_cnn, num_filters: 64 } }
 *   - { name: age, type: number }
 * output_features:
 *   - { name: label, type: category }
 * trainer: { epochs: 10 }
 * `);
 * const fromBuilder = model()
 *   .input(feature.text("review").encoder("parallel_cnn", { num_filters: 64 }))
 *   .input(feature.number("age"))
 *   .output(feature.category("label"))
 *   .trainer({ epochs: 10 })
 *   .toConfig();
 * assertEquals(fromBuilder, fromYaml);
 * ```
 *
 * @module
 */
export * from "./lib/config/mod.ts";
export * from "./lib/builders/mod.ts";
export {
  evaluate,
  type EvaluationResults,
  experiment,
  type ExperimentResults,
  Model,
  predict,
  type PredictionResults,
  type Predictions,
  type PredictOptions,
  train,
  type TrainData,
  type TrainingResults,
  type TrainOptions,
  VERSION,
} from "./lib/api.ts";
export type {
  CallbackResult,
  CheckpointLogs,
  SplitMetrics,
  StepInfo,
  TrainCallbacks,
  TrainerState,
  TrainingCallback,
  TrainingContext,
  TrainingStatistics,
  TrainResult,
} from "./lib/train/callbacks.ts";
export type { LearningRateSchedule, ScheduleState } from "./lib/train/schedule.ts";
export type { EcdModel } from "./lib/model/ecd.ts";
export type { ColumnSource, ColumnValues } from "./lib/train/_streamed.ts";
export type {
  ColumnData,
  ColumnDtype,
  EncodedColumn,
  EncodedSplit,
  FeatureMetadata,
  PreprocessResult,
  TrainingSetMetadata,
} from "./lib/features/preprocess.ts";
export type { Activation } from "./lib/model/collect.ts";
export { DataError } from "./lib/data/errors.ts";
export {
  type Cell,
  type ColumnDataType,
  type ColumnField,
  type ColumnVector,
  Dataset,
  type DatasetSchema,
} from "./lib/data/dataset.ts";
export {
  DATA_FORMATS,
  type DataFormat,
  type DataSource,
  readDataset,
  type ReadOptions,
} from "./lib/data/read.ts";
export {
  type ComputeEngine,
  type ComputeOption,
  type EngineInfo,
  engineInfo,
  ENGINES,
  type EngineStatus,
  listEngines,
  ready,
  type ReadyOptions,
} from "./lib/compute/public.ts";
export {
  type ConfigView,
  describeDataset,
  display,
  displayConfig,
  evaluationReport,
  type EvaluationResultLike,
  type HtmlBundle,
  ImageThumbnails,
  inJupyter,
  notebookProgress,
  type NotebookProgressOptions,
  predictionsTable,
  Report,
  type ReportSection,
  trainingReport,
  type TrainingResultLike,
} from "./lib/viz/rich.ts";
// The built-in registry tables (BuiltinEncoder, BuiltinFeature ... are derived from them).
export { COMBINERS } from "./lib/combiners/mod.ts";
export { DECODERS } from "./lib/decoders/mod.ts";
export { ENCODERS } from "./lib/encoders/mod.ts";
export { FEATURES } from "./lib/features/mod.ts";
export { LOSSES } from "./lib/config/losses.ts";
export {
  hyperopt,
  type HyperoptCallback,
  type HyperoptConfig,
  HyperoptError,
  type HyperoptOptions,
  type HyperoptResults,
  type TrialRecord,
  type TrialStatus,
} from "./lib/hyperopt/run.ts";
export {
  HYPEROPT_VISUALIZATIONS,
  hyperoptHiplot,
  hyperoptReport,
  type HyperoptReportOptions,
  type HyperoptResultLike,
  type HyperoptStatistics,
  hyperoptTable,
  type TrialLike,
  withHyperoptDisplay,
} from "./lib/viz/hyperopt.ts";
export {
  Chart,
  type ChartFileFormat,
  type ChartMimeBundle,
  type PngOptions,
  type RenderResult,
  type SaveOptions,
  type VegaLiteSpec,
} from "./lib/viz/chart.ts";
export {
  type Cell as TableCell,
  type DisplayTable,
  JUPYTER_DISPLAY,
  type MimeBundle,
} from "./lib/viz/display.ts";
export type { Decision } from "./lib/hyperopt/schedulers.ts";
