/**
 * The registry of visualizations under Ludwig's names (`ludwig visualize --visualization NAME`).
 *
 * @module
 */

import { confusionMatrix } from "./confusion.ts";
import {
  calibration1VsAll,
  calibrationMulticlass,
  precisionRecallCurves,
  precisionRecallCurvesFromTestStatistics,
  rocCurves,
  rocCurvesFromTestStatistics,
} from "./curves.ts";
import {
  compareClassifiersMulticlassMultimetric,
  compareClassifiersPerformanceChangingK,
  compareClassifiersPerformanceFromPred,
  compareClassifiersPerformanceFromProb,
  compareClassifiersPerformanceSubset,
  compareClassifiersPredictions,
  compareClassifiersPredictionsDistribution,
  comparePerformance,
  frequencyVsF1,
} from "./performance.ts";
import {
  binaryThresholdVsMetric,
  confidenceThresholding,
  confidenceThresholding2thresholds2d,
  confidenceThresholdingDataVsAcc,
  confidenceThresholdingDataVsAccSubset,
  confidenceThresholdingDataVsAccSubsetPerClass,
} from "./threshold.ts";
import { learningCurves } from "./training.ts";

/**
 * Every visualization, keyed by Ludwig's snake_case name, mapped to its chart function.
 *
 * @example
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { VISUALIZATIONS } from "./visualizations.ts";
 * assert("confusion_matrix" in VISUALIZATIONS);
 * ```
 */
export const VISUALIZATIONS = Object.freeze(
  {
    learning_curves: learningCurves,
    compare_performance: comparePerformance,
    compare_classifiers_performance_from_prob: compareClassifiersPerformanceFromProb,
    compare_classifiers_performance_from_pred: compareClassifiersPerformanceFromPred,
    compare_classifiers_performance_subset: compareClassifiersPerformanceSubset,
    compare_classifiers_performance_changing_k: compareClassifiersPerformanceChangingK,
    compare_classifiers_multiclass_multimetric: compareClassifiersMulticlassMultimetric,
    compare_classifiers_predictions: compareClassifiersPredictions,
    compare_classifiers_predictions_distribution: compareClassifiersPredictionsDistribution,
    confidence_thresholding: confidenceThresholding,
    confidence_thresholding_data_vs_acc: confidenceThresholdingDataVsAcc,
    confidence_thresholding_data_vs_acc_subset: confidenceThresholdingDataVsAccSubset,
    confidence_thresholding_data_vs_acc_subset_per_class:
      confidenceThresholdingDataVsAccSubsetPerClass,
    confidence_thresholding_2thresholds_2d: confidenceThresholding2thresholds2d,
    binary_threshold_vs_metric: binaryThresholdVsMetric,
    roc_curves: rocCurves,
    roc_curves_from_test_statistics: rocCurvesFromTestStatistics,
    precision_recall_curves: precisionRecallCurves,
    precision_recall_curves_from_test_statistics: precisionRecallCurvesFromTestStatistics,
    calibration_1_vs_all: calibration1VsAll,
    calibration_multiclass: calibrationMulticlass,
    confusion_matrix: confusionMatrix,
    frequency_vs_f1: frequencyVsF1,
  } as const,
);

/** A visualization's Ludwig name. */
export type VisualizationName = keyof typeof VISUALIZATIONS;

/** The visualization names, sorted. */
export const VISUALIZATION_NAMES: readonly VisualizationName[] = Object.freeze(
  (Object.keys(VISUALIZATIONS) as VisualizationName[]).sort(),
);
