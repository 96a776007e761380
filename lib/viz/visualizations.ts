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
  confidenceThresholding2thresholds3d,
  confidenceThresholdingDataVsAcc,
  confidenceThresholdingDataVsAccSubset,
  confidenceThresholdingDataVsAccSubsetPerClass,
} from "./threshold.ts";
import { learningCurves } from "./training.ts";

/** The type of {@linkcode VISUALIZATIONS}: each Ludwig name with its chart function. */
export interface Visualizations {
  /** Ludwig's `learning_curves`. */
  readonly learning_curves: typeof learningCurves;
  /** Ludwig's `compare_performance`. */
  readonly compare_performance: typeof comparePerformance;
  /** Ludwig's `compare_classifiers_performance_from_prob`. */
  readonly compare_classifiers_performance_from_prob: typeof compareClassifiersPerformanceFromProb;
  /** Ludwig's `compare_classifiers_performance_from_pred`. */
  readonly compare_classifiers_performance_from_pred: typeof compareClassifiersPerformanceFromPred;
  /** Ludwig's `compare_classifiers_performance_subset`. */
  readonly compare_classifiers_performance_subset: typeof compareClassifiersPerformanceSubset;
  /** Ludwig's `compare_classifiers_performance_changing_k`. */
  readonly compare_classifiers_performance_changing_k:
    typeof compareClassifiersPerformanceChangingK;
  /** Ludwig's `compare_classifiers_multiclass_multimetric`. */
  readonly compare_classifiers_multiclass_multimetric:
    typeof compareClassifiersMulticlassMultimetric;
  /** Ludwig's `compare_classifiers_predictions`. */
  readonly compare_classifiers_predictions: typeof compareClassifiersPredictions;
  /** Ludwig's `compare_classifiers_predictions_distribution`. */
  readonly compare_classifiers_predictions_distribution:
    typeof compareClassifiersPredictionsDistribution;
  /** Ludwig's `confidence_thresholding`. */
  readonly confidence_thresholding: typeof confidenceThresholding;
  /** Ludwig's `confidence_thresholding_data_vs_acc`. */
  readonly confidence_thresholding_data_vs_acc: typeof confidenceThresholdingDataVsAcc;
  /** Ludwig's `confidence_thresholding_data_vs_acc_subset`. */
  readonly confidence_thresholding_data_vs_acc_subset: typeof confidenceThresholdingDataVsAccSubset;
  /** Ludwig's `confidence_thresholding_data_vs_acc_subset_per_class`. */
  readonly confidence_thresholding_data_vs_acc_subset_per_class:
    typeof confidenceThresholdingDataVsAccSubsetPerClass;
  /** Ludwig's `confidence_thresholding_2thresholds_2d`. */
  readonly confidence_thresholding_2thresholds_2d: typeof confidenceThresholding2thresholds2d;
  /** Ludwig's `confidence_thresholding_2thresholds_3d` (as heatmaps). */
  readonly confidence_thresholding_2thresholds_3d: typeof confidenceThresholding2thresholds3d;
  /** Ludwig's `binary_threshold_vs_metric`. */
  readonly binary_threshold_vs_metric: typeof binaryThresholdVsMetric;
  /** Ludwig's `roc_curves`. */
  readonly roc_curves: typeof rocCurves;
  /** Ludwig's `roc_curves_from_test_statistics`. */
  readonly roc_curves_from_test_statistics: typeof rocCurvesFromTestStatistics;
  /** Ludwig's `precision_recall_curves`. */
  readonly precision_recall_curves: typeof precisionRecallCurves;
  /** Ludwig's `precision_recall_curves_from_test_statistics`. */
  readonly precision_recall_curves_from_test_statistics:
    typeof precisionRecallCurvesFromTestStatistics;
  /** Ludwig's `calibration_1_vs_all`. */
  readonly calibration_1_vs_all: typeof calibration1VsAll;
  /** Ludwig's `calibration_multiclass`. */
  readonly calibration_multiclass: typeof calibrationMulticlass;
  /** Ludwig's `confusion_matrix`. */
  readonly confusion_matrix: typeof confusionMatrix;
  /** Ludwig's `frequency_vs_f1`. */
  readonly frequency_vs_f1: typeof frequencyVsF1;
}

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
export const VISUALIZATIONS: Visualizations = Object.freeze({
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
  confidence_thresholding_2thresholds_3d: confidenceThresholding2thresholds3d,
  binary_threshold_vs_metric: binaryThresholdVsMetric,
  roc_curves: rocCurves,
  roc_curves_from_test_statistics: rocCurvesFromTestStatistics,
  precision_recall_curves: precisionRecallCurves,
  precision_recall_curves_from_test_statistics: precisionRecallCurvesFromTestStatistics,
  calibration_1_vs_all: calibration1VsAll,
  calibration_multiclass: calibrationMulticlass,
  confusion_matrix: confusionMatrix,
  frequency_vs_f1: frequencyVsF1,
});

/** A visualization's Ludwig name. */
export type VisualizationName = keyof Visualizations;

/** The visualization names, sorted. */
export const VISUALIZATION_NAMES: readonly VisualizationName[] = Object.freeze(
  (Object.keys(VISUALIZATIONS) as VisualizationName[]).sort(),
);
