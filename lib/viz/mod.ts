/**
 * Sonata's visualizations: every chart of Ludwig's `visualize` module as a Vega-Lite v5 chart.
 * A {@linkcode Chart} displays itself in Jupyter on the Deno kernel (Vega-Lite with an SVG
 * fallback), renders to SVG and PNG without a browser, and saves to `.svg`, `.png`, `.html` or
 * `.vl.json`. Inputs are Ludwig's files (`training_statistics.json`, `test_statistics.json`,
 * `training_set_metadata.json`, predictions with probabilities) or the same shapes in memory.
 *
 * @example Learning curves of a training run, saved as SVG
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { learningCurves } from "./mod.ts";
 *
 * const chart = learningCurves({
 *   training: { label: { loss: [1.1, 0.7, 0.5], accuracy: [0.5, 0.7, 0.8] } },
 *   validation: { label: { loss: [1.2, 0.8, 0.7], accuracy: [0.45, 0.65, 0.7] } },
 * });
 * assert(chart.parts.length === 2); // loss and accuracy
 * const svg = await chart.toSVG();
 * assert(svg.includes("Learning curves: label"));
 * ```
 *
 * @module
 */

export {
  Chart,
  CHART_CONFIG,
  type ChartFileFormat,
  type ChartMimeBundle,
  type ChartOptions,
  chartsPage,
  fontsAvailable,
  type HtmlOptions,
  type HtmlScripts,
  type PdfOptions,
  type PngOptions,
  type RenderResult,
  type SaveOptions,
  VEGA_LITE_SCHEMA,
  type VegaLiteSpec,
} from "./chart.ts";
export {
  type Cell,
  type DisplayTable,
  htmlTable,
  JUPYTER_DISPLAY,
  type MimeBundle,
  type TableOptions,
} from "./display.ts";
export {
  type FeatureMetadata,
  type FeatureTestStatistics,
  parseNpy,
  type RawLabels,
  readGroundTruth,
  readJson,
  readPredictions,
  readProbabilities,
  type SplitStatistics,
  type StoredPrecisionRecallCurve,
  type StoredRocCurve,
  type TestStatistics,
  toLabelIndices,
  type TrainingSetMetadata,
  type TrainingStatistics,
} from "./inputs.ts";
export * as metrics from "./metrics.ts";
export type { Probabilities } from "./metrics.ts";
export type { CommonOptions, LabelOptions, SubsetType } from "./_spec.ts";
export { LEARNING_CURVE_METRICS, learningCurves, type LearningCurvesOptions } from "./training.ts";
export {
  type ChangingKOptions,
  compareClassifiersMulticlassMultimetric,
  compareClassifiersPerformanceChangingK,
  compareClassifiersPerformanceFromPred,
  compareClassifiersPerformanceFromProb,
  compareClassifiersPerformanceSubset,
  compareClassifiersPredictions,
  compareClassifiersPredictionsDistribution,
  comparePerformance,
  frequencyVsF1,
  type FrequencyVsF1Options,
  type FromProbOptions,
  type MulticlassMultimetricOptions,
  type SubsetOptions,
  type TestStatisticsOptions,
} from "./performance.ts";
export {
  type BinaryThresholdOptions,
  binaryThresholdVsMetric,
  confidenceThresholding,
  confidenceThresholding2thresholds2d,
  confidenceThresholding2thresholds3d,
  confidenceThresholdingDataVsAcc,
  confidenceThresholdingDataVsAccSubset,
  confidenceThresholdingDataVsAccSubsetPerClass,
  type ThresholdSubsetOptions,
  type TwoThresholdsOptions,
} from "./threshold.ts";
export {
  calibration1VsAll,
  calibrationMulticlass,
  type CalibrationOptions,
  type CurveOptions,
  precisionRecallCurves,
  precisionRecallCurvesFromTestStatistics,
  rocCurves,
  rocCurvesFromTestStatistics,
  type StoredCurveOptions,
} from "./curves.ts";
export { confusionMatrix, type ConfusionMatrixOptions } from "./confusion.ts";
export {
  VISUALIZATION_NAMES,
  type VisualizationName,
  VISUALIZATIONS,
  type Visualizations,
} from "./visualizations.ts";
export { type CliIO, runVisualize, VISUALIZE_USAGE } from "./cli.ts";
export {
  readSplitFile,
  splitColumn,
  splitFileName,
  type SplitRows,
  writeSplitFile,
} from "./split_file.ts";
