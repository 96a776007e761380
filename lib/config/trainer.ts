/**
 * The ECD trainer section (reference §3): epochs and steps, batch sizes, learning rate and its
 * scheduler, optimizer, early stopping, checkpoints, validation, regularization, clipping.
 *
 * @module
 */
import { z } from "zod";
import { choice, encodeIssue, obj, typeUnion } from "./fields.ts";

const betas = () =>
  z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]).describe(
    "Decay rates of the first and second moment estimates",
  );
const eps = (def: number) =>
  z.number().positive().default(def).describe("Numerical stability term");
const weightDecay = () => z.number().min(0).default(0).describe("L2 weight decay");

/** Optimizers of Ludwig 0.7 but lbfgs (it, the bitsandbytes and later ones are listed as unavailable). */
export const OPTIMIZERS = [
  obj({
    type: z.literal("sgd"),
    momentum: z.number().min(0).default(0).describe("Momentum factor"),
    weight_decay: weightDecay(),
    dampening: z.number().min(0).default(0).describe("Dampening of the momentum"),
    nesterov: z.boolean().default(false).describe("Use Nesterov momentum"),
  }, { id: "optimizer.sgd", description: "Stochastic gradient descent" }),
  obj({
    type: z.literal("adam"),
    betas: betas(),
    eps: eps(1e-8),
    weight_decay: weightDecay(),
    amsgrad: z.boolean().default(false).describe("Use the AMSGrad variant"),
  }, { id: "optimizer.adam", description: "Adam" }),
  obj({
    type: z.literal("adamw"),
    betas: betas(),
    eps: eps(1e-8),
    weight_decay: weightDecay(),
    amsgrad: z.boolean().default(false).describe("Use the AMSGrad variant"),
  }, { id: "optimizer.adamw", description: "Adam with decoupled weight decay" }),
  obj({
    type: z.literal("adadelta"),
    rho: z.number().min(0).max(1).default(0.9).describe("Decay of the running averages"),
    eps: eps(1e-6),
    weight_decay: weightDecay(),
  }, { id: "optimizer.adadelta", description: "Adadelta" }),
  obj({
    type: z.literal("adagrad"),
    initial_accumulator_value: z.number().min(0).default(0).describe("Starting accumulator"),
    lr_decay: z.number().min(0).default(0).describe("Learning rate decay"),
    weight_decay: weightDecay(),
    eps: eps(1e-10),
  }, { id: "optimizer.adagrad", description: "Adagrad" }),
  obj({
    type: z.literal("adamax"),
    betas: betas(),
    eps: eps(1e-8),
    weight_decay: weightDecay(),
  }, { id: "optimizer.adamax", description: "Adamax (infinity-norm Adam)" }),
  obj({
    type: z.literal("ftrl"),
    learning_rate_power: z.number().max(0).default(-0.5).describe("Learning rate power"),
    initial_accumulator_value: z.number().min(0).default(0.1).describe("Starting accumulator"),
    l1_regularization_strength: z.number().min(0).default(0).describe("L1 strength"),
    l2_regularization_strength: z.number().min(0).default(0).describe("L2 strength"),
  }, { id: "optimizer.ftrl", description: "Follow the regularized leader" }),
  obj({
    type: z.literal("nadam"),
    betas: betas(),
    eps: eps(1e-8),
    weight_decay: weightDecay(),
    momentum_decay: z.number().min(0).default(4e-3).describe("Momentum decay"),
  }, { id: "optimizer.nadam", description: "Adam with Nesterov momentum" }),
  obj({
    type: z.literal("rmsprop"),
    momentum: z.number().min(0).default(0).describe("Momentum factor"),
    alpha: z.number().min(0).max(1).default(0.99).describe("Smoothing constant"),
    eps: eps(1e-8),
    centered: z.boolean().default(false).describe("Normalize by the gradient's variance"),
    weight_decay: weightDecay(),
  }, { id: "optimizer.rmsprop", description: "RMSprop" }),
] as const;

/** Optimizers Ludwig has that Sonata does not provide. */
export const LUDWIG_ONLY_OPTIMIZERS = [
  // L-BFGS re-evaluates the loss through a closure several times per step; Sonata's trainer
  // applies one gradient per step.
  "lbfgs",
  "sgd_8bit",
  "adam_8bit",
  "paged_adam",
  "paged_adam_8bit",
  "adamw_8bit",
  "paged_adamw",
  "paged_adamw_8bit",
  "adagrad_8bit",
  "rmsprop_8bit",
  "lamb",
  "lamb_8bit",
  "lars",
  "lars_8bit",
  "lion",
  "lion_8bit",
  "paged_lion",
  "paged_lion_8bit",
  "radam",
  "adafactor",
  "schedule_free_adamw",
  "muon",
  "soap",
] as const;

/** The `learning_rate_scheduler` block (0.7 moved the LR keys here). */
export const LearningRateSchedulerSchema = obj({
  decay: choice(["linear", "exponential", "cosine"] as const, {
    kind: "learning rate decay",
    ludwigOnly: ["one_cycle", "inverse_sqrt", "polynomial", "wsd"],
  }).nullable().default(null).describe("Decay schedule after warmup (null: constant)"),
  decay_rate: z.number().min(0).max(1).default(0.96).describe("Exponential decay rate"),
  decay_steps: z.int().min(1).default(10000).describe("Steps per exponential decay period"),
  staircase: z.boolean().default(false).describe("Decay in discrete steps"),
  reduce_on_plateau: z.int().min(0).default(0).describe(
    "Times the learning rate may be reduced when the metric plateaus (0: never)",
  ),
  reduce_on_plateau_patience: z.int().min(0).default(10).describe(
    "Evaluations without improvement before a reduction",
  ),
  reduce_on_plateau_rate: z.number().gt(0).lt(1).default(0.1).describe("Reduction factor"),
  reduce_eval_metric: z.string().default("loss").describe("Metric watched for plateaus"),
  reduce_eval_split: z.enum(["training", "validation", "test"]).default("training").describe(
    "Split whose metric is watched for plateaus",
  ),
  warmup_evaluations: z.int().min(0).default(0).describe(
    "Evaluations (checkpoints) of linear warmup",
  ),
  warmup_fraction: z.number().min(0).max(1).default(0).describe(
    "Fraction of all training steps spent in linear warmup",
  ),
  t_0: z.int().min(1).nullable().default(null).describe(
    "Cosine: steps of the first restart period (null: steps per checkpoint)",
  ),
  t_mult: z.int().min(1).default(1).describe("Cosine: period growth factor after a restart"),
  eta_min: z.number().min(0).default(0).describe("Cosine: minimum learning rate"),
}, {
  id: "learning_rate_scheduler",
  description: "Learning rate warmup, decay and plateau reduction",
});

/** `gradient_clipping`. */
export const GradientClippingSchema = obj({
  clipglobalnorm: z.number().positive().nullable().default(0.5).describe(
    "Clip the global norm of all gradients",
  ),
  clipnorm: z.number().positive().nullable().default(null).describe(
    "Clip the norm of all gradients together (as Ludwig does: like clipglobalnorm)",
  ),
  clipvalue: z.number().positive().nullable().default(null).describe("Clip each gradient value"),
}, { id: "gradient_clipping", description: "Gradient clipping" });

const auto = () => z.literal("auto");

/** Settings of a trainer option that Sonata does not support when enabled. */
const unsupportedFlag = (description: string, why: string) =>
  z.boolean().default(false).refine((v) => !v, {
    error: encodeIssue({ code: "not_supported", why }),
  }).describe(description);

/** The trainer section. */
export const TrainerSchema = obj({
  epochs: z.int().min(1).default(100).describe("Passes over the training set"),
  train_steps: z.int().min(1).nullable().default(null).describe(
    "Total training steps; overrides epochs",
  ),
  batch_size: z.union([z.int().min(1), auto()]).default("auto").describe(
    "Rows per training step, or auto to pick the fastest",
  ),
  eval_batch_size: z.union([z.int().min(1), auto()]).nullable().default(null).describe(
    "Rows per evaluation step (null or auto: tuned)",
  ),
  effective_batch_size: z.union([z.int().min(1), auto()]).default("auto").describe(
    "Rows per optimizer update (with gradient accumulation)",
  ),
  gradient_accumulation_steps: z.union([z.int().min(1), auto()]).default("auto").describe(
    "Steps whose gradients are summed before an update",
  ),
  max_batch_size: z.int().min(1).default(2 ** 40).describe("Upper bound of batch size tuning"),
  learning_rate: z.union([z.number().positive(), auto()]).default(0.001).describe(
    "Learning rate, or auto for Ludwig's heuristic",
  ),
  learning_rate_scaling: z.enum(["constant", "sqrt", "linear"]).default("linear").describe(
    "Scaling of the learning rate with the number of workers",
  ),
  learning_rate_scheduler: LearningRateSchedulerSchema.prefault({}),
  optimizer: typeUnion(OPTIMIZERS, {
    kind: "optimizer",
    ludwigOnly: LUDWIG_ONLY_OPTIMIZERS,
    shorthand: true,
    defaultType: "adam",
  }).describe("The optimizer"),
  early_stop: z.int().min(-1).default(5).describe(
    "Evaluations without improvement before stopping (-1: never)",
  ),
  checkpoints_per_epoch: z.int().min(0).default(0).describe(
    "Evaluations and checkpoints per epoch (0: once per epoch)",
  ),
  steps_per_checkpoint: z.int().min(0).default(0).describe(
    "Steps between evaluations and checkpoints (0: once per epoch)",
  ),
  evaluate_training_set: z.boolean().default(false).describe(
    "Evaluate the whole training set at each checkpoint (false: running batch metrics)",
  ),
  validation_field: z.string().nullable().default(null).describe(
    "Output feature (or combined) whose metric drives early stopping and model selection",
  ),
  validation_metric: z.string().nullable().default(null).describe(
    "Metric of validation_field that drives early stopping and model selection",
  ),
  regularization_type: z.enum(["l1", "l2", "l1_l2"]).default("l2").describe("Weight penalty"),
  regularization_lambda: z.number().min(0).default(0).describe("Weight penalty factor"),
  gradient_clipping: GradientClippingSchema.prefault({}),
  should_shuffle: z.boolean().default(true).describe("Shuffle the training set every epoch"),
  increase_batch_size_on_plateau: z.int().min(0).default(0).describe(
    "Times the batch size may grow when the metric plateaus",
  ),
  increase_batch_size_on_plateau_patience: z.int().min(0).default(5).describe(
    "Evaluations without improvement before the batch size grows",
  ),
  increase_batch_size_on_plateau_rate: z.number().gt(1).default(2).describe("Growth factor"),
  increase_batch_size_eval_metric: z.string().default("loss").describe("Metric watched"),
  increase_batch_size_eval_split: z.enum(["training", "validation", "test"]).default("training")
    .describe("Split whose metric is watched"),
  bucketing_field: z.string().nullable().default(null).describe(
    "Input feature whose sequence length groups rows into batches",
  ),
  skip_all_evaluation: z.boolean().default(false).describe("Never evaluate during training"),
  use_mixed_precision: z.boolean().default(false).describe(
    "Mixed precision: Sonata's engines compute in float32 (as Ludwig on CPU, said once in the " +
      "log and description.json); cached encoder embeddings are stored as float16",
  ),
  compile: unsupportedFlag("torch.compile", "it is specific to PyTorch"),
  enable_gradient_checkpointing: unsupportedFlag(
    "Recompute activations in the backward pass",
    "TensorFlow.js keeps activations",
  ),
  enable_profiling: z.boolean().default(false).describe("Profile kernels during training"),
  profiler: z.record(z.string(), z.unknown()).default({}).describe("Profiler settings"),
}, { id: "trainer", description: "How the model is trained" });
