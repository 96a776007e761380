/**
 * Flags of the training commands, with Ludwig's spellings (no TensorFlow.js import here, so
 * `sonata validate` starts fast).
 *
 * @module
 */

/** Flags shared by train and experiment (Ludwig's spellings and short forms). */
export const TRAIN_FLAGS = {
  config: { type: "string", short: "c" },
  config_str: { type: "string" },
  dataset: { type: "string" },
  training_set: { type: "string" },
  validation_set: { type: "string" },
  test_set: { type: "string" },
  data_format: { type: "string" },
  output_directory: { type: "string" },
  experiment_name: { type: "string" },
  model_name: { type: "string" },
  model_load_path: { type: "string" },
  model_resume_path: { type: "string" },
  random_seed: { type: "string" },
  skip_save_model: { type: "boolean" },
  skip_save_progress: { type: "boolean" },
  skip_save_processed_input: { type: "boolean" },
  skip_save_training_statistics: { type: "boolean" },
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
} as const;
