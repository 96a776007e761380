/**
 * Loss entries per output feature type (reference §6): each is a schema plus a `load()` of its
 * implementation (a `LossImpl`: lib/train/losses/_regression.ts, _classification.ts and
 * lib/train/_sequence_losses.ts). Every loss accepts `weight`, its factor in the combined loss.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { obj } from "./fields.ts";
import { defineLoss, type ImplLoader } from "./registry.ts";

const weight = () =>
  z.number().min(0).default(1).describe("Factor of this loss in the combined loss");
const classWeights = () =>
  z.union([z.array(z.number().min(0)), z.record(z.string(), z.number().min(0))]).nullable()
    .default(null).describe("Per-class weights: a list in vocabulary order, or label to weight");
const robustLambda = () =>
  z.number().min(0).max(1).default(0).describe(
    "Mixes the loss with a uniform-prediction loss: (1 - λ) · loss + λ · loss_uniform",
  );
const confidencePenalty = () =>
  z.number().min(0).default(0).describe("Penalizes confident (low-entropy) predictions");
const similarities = () => ({
  class_similarities: z.array(z.array(z.number())).nullable().default(null).describe(
    "A class-by-class similarity matrix that softens the targets",
  ),
  class_similarities_temperature: z.number().min(0).default(0).describe(
    "Temperature of the softmax over class similarities",
  ),
});

const simple = <const N extends string, const F extends readonly string[]>(
  name: N,
  types: F,
  description: string,
  load: ImplLoader,
) =>
  defineLoss({
    schema: obj({ type: z.literal(name), weight: weight() }, { id: `loss.${name}`, description }),
    featureTypes: types,
    load,
  });

const REGRESSION = ["number", "vector"] as const;

/** Mean squared error. */
export const meanSquaredError = simple(
  "mean_squared_error",
  REGRESSION,
  "Mean squared error",
  () => import("../train/losses/_regression.ts").then((m) => m.meanSquaredError),
);
/** Mean absolute error. */
export const meanAbsoluteError = simple(
  "mean_absolute_error",
  REGRESSION,
  "Mean absolute error",
  () => import("../train/losses/_regression.ts").then((m) => m.meanAbsoluteError),
);
/** Mean absolute percentage error. */
export const meanAbsolutePercentageError = simple(
  "mean_absolute_percentage_error",
  REGRESSION,
  "Mean absolute percentage error",
  () => import("../train/losses/_regression.ts").then((m) => m.meanAbsolutePercentageError),
);
/** Root mean squared error. */
export const rootMeanSquaredError = simple(
  "root_mean_squared_error",
  ["number"],
  "Root mean squared error",
  () => import("../train/losses/_regression.ts").then((m) => m.rootMeanSquaredError),
);
/** Root mean squared percentage error. */
export const rootMeanSquaredPercentageError = simple(
  "root_mean_squared_percentage_error",
  ["number"],
  "Root mean squared percentage error",
  () => import("../train/losses/_regression.ts").then((m) => m.rootMeanSquaredPercentageError),
);

/** Huber loss: quadratic below `delta`, linear above. */
export const huber = defineLoss({
  schema: obj({
    type: z.literal("huber"),
    weight: weight(),
    delta: z.number().positive().default(1).describe(
      "Where the loss turns from quadratic to linear",
    ),
  }, { id: "loss.huber", description: "Huber loss" }),
  featureTypes: REGRESSION,
  load: () => import("../train/losses/_regression.ts").then((m) => m.huber),
});

/** Binary cross entropy with a weight on the positive class. */
export const binaryWeightedCrossEntropy = defineLoss({
  schema: obj({
    type: z.literal("binary_weighted_cross_entropy"),
    weight: weight(),
    positive_class_weight: z.number().min(0).nullable().default(null).describe(
      "Weight of the positive class (null: 1)",
    ),
    robust_lambda: robustLambda(),
    confidence_penalty: confidencePenalty(),
  }, { id: "loss.binary_weighted_cross_entropy", description: "Weighted binary cross entropy" }),
  featureTypes: ["binary"],
  load: () =>
    import("../train/losses/_classification.ts").then((m) => m.binaryWeightedCrossEntropy),
});

/** Softmax cross entropy over classes. */
export const softmaxCrossEntropy = defineLoss({
  schema: obj({
    type: z.literal("softmax_cross_entropy"),
    weight: weight(),
    class_weights: classWeights(),
    robust_lambda: robustLambda(),
    confidence_penalty: confidencePenalty(),
    ...similarities(),
  }, { id: "loss.softmax_cross_entropy", description: "Softmax cross entropy" }),
  featureTypes: ["category", "vector"],
  load: () => import("../train/losses/_classification.ts").then((m) => m.softmaxCrossEntropy),
});

/** CORN: conditional ordinal regression for ordered categories. */
export const corn = simple(
  "corn",
  ["category"],
  "Conditional ordinal regression (ordered classes)",
  () => import("../train/losses/_classification.ts").then((m) => m.corn),
);

/** Sigmoid cross entropy per class (multi-label sets). */
export const sigmoidCrossEntropy = defineLoss({
  schema: obj({
    type: z.literal("sigmoid_cross_entropy"),
    weight: weight(),
    class_weights: classWeights(),
  }, { id: "loss.sigmoid_cross_entropy", description: "Sigmoid cross entropy per class" }),
  featureTypes: ["set"],
  load: () => import("../train/losses/_classification.ts").then((m) => m.sigmoidCrossEntropy),
});

const sequenceLossShape = () => ({
  weight: weight(),
  class_weights: classWeights(),
  robust_lambda: robustLambda(),
  confidence_penalty: confidencePenalty(),
  ...similarities(),
  unique: z.boolean().default(false).describe("Count each distinct target token once"),
});

/** Softmax cross entropy over every time step. */
export const sequenceSoftmaxCrossEntropy = defineLoss({
  schema: obj({ type: z.literal("sequence_softmax_cross_entropy"), ...sequenceLossShape() }, {
    id: "loss.sequence_softmax_cross_entropy",
    description: "Softmax cross entropy over every time step",
  }),
  featureTypes: ["sequence", "text"],
  load: () => import("../train/_sequence_losses.ts").then((m) => m.sequenceSoftmaxCrossEntropy),
});

/** Softmax cross entropy of each next token. */
export const nextTokenSoftmaxCrossEntropy = defineLoss({
  schema: obj({ type: z.literal("next_token_softmax_cross_entropy"), ...sequenceLossShape() }, {
    id: "loss.next_token_softmax_cross_entropy",
    description: "Softmax cross entropy of each next token",
  }),
  featureTypes: ["sequence", "text"],
  load: () => import("../train/_sequence_losses.ts").then((m) => m.nextTokenSoftmaxCrossEntropy),
});

/** Every loss. */
export const LOSSES = [
  meanSquaredError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  rootMeanSquaredError,
  rootMeanSquaredPercentageError,
  huber,
  binaryWeightedCrossEntropy,
  softmaxCrossEntropy,
  corn,
  sigmoidCrossEntropy,
  sequenceSoftmaxCrossEntropy,
  nextTokenSoftmaxCrossEntropy,
] as const;
