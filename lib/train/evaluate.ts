/**
 * Forward passes and metrics over a whole split: what checkpoints, `evaluate` and `predict`
 * share.
 *
 * @module
 */
import { readAll, tf } from "../compute/mod.ts";
import type { ModelConfig, OutputFeatureConfig } from "../config/model.ts";
import type { EcdModel } from "../model/ecd.ts";
import { forwardOf } from "../model/_fast_forward.ts";
import { batchTensor, type Column, type Columns, splitBatches } from "./batches.ts";
import { createLoss, type LossFn, probabilitiesFromLogits } from "./losses.ts";
import { paddingIdOf } from "./_sequence_losses.ts";
import {
  createMetricAccumulator,
  type MetricAccumulator,
  type MetricBatch,
  type TestStatisticsInput,
} from "./metrics.ts";
import { featureImpl } from "../features/runtime.ts";
import type { RawOutput } from "../features/_common.ts";

type Obj = Record<string, unknown>;

/** Raw network outputs of one output feature over a split. */
export interface FeatureOutputs {
  /** Logits (classification) or values (regression), rows × size (sequences: rows × L × V). */
  readonly logits: Float32Array;
  /** Probabilities for classification outputs, rows × classes (binary: rows × 1; sequences: rows × L × V). */
  readonly probabilities?: Float32Array;
  /** Per-row shape: [classes], or [length, vocab] for sequence outputs. */
  readonly shape: number[];
}

/** What the trainer and evaluator know about each output feature. */
export interface OutputHead {
  readonly feature: OutputFeatureConfig;
  readonly classes: number;
  /** Per-row output shape: [classes], or [length, vocab] for rank-3 (sequence) outputs. */
  readonly shape: readonly number[];
  readonly loss: LossFn;
  readonly metadata: Obj;
}

/** Heads of every output feature. */
export function outputHeads(
  ecd: EcdModel,
  config: ModelConfig,
  metadata: Readonly<Record<string, Obj>>,
): OutputHead[] {
  return config.output_features.map((feature, i) => {
    const shape = ecd.model.outputs[i].shape;
    const classes = shape[shape.length - 1] as number;
    const meta = metadata[feature.name] ?? {};
    return {
      feature,
      classes,
      shape: shape.slice(1) as number[],
      loss: createLoss(feature, meta, classes),
      metadata: meta,
    };
  });
}

/** A metric accumulator for an output head. */
export function accumulatorFor(head: OutputHead): MetricAccumulator {
  const f = head.feature;
  return createMetricAccumulator(f.type, {
    numClasses: head.classes,
    topK: (f.top_k as number | undefined) ?? 3,
    threshold: (f.threshold as number | undefined) ?? 0.5,
    vectorSize: head.classes,
    // Sequence outputs: rows of [length, vocab].
    sequenceLength: head.shape.length === 2 ? head.shape[0] : undefined,
    vocabSize: head.classes,
    paddingId: paddingIdOf(head.metadata),
  });
}

/** Values per row of an output head (classes, or length × vocab). */
export function rowSize(head: OutputHead): number {
  return head.shape.reduce((a, b) => a * b, 1);
}

/**
 * The metric batch of one output feature from its logits and targets (host arrays). With a
 * per-row `shape` of [length, vocab] (sequence outputs) the batch carries the argmax token ids
 * as predictions and the logits as perplexity scores.
 */
export function metricBatch(
  logits: Float32Array,
  probabilities: Float32Array | undefined,
  targets: Float32Array | Int32Array | Uint8Array,
  loss: number,
  shape?: readonly number[],
): MetricBatch {
  if (shape && shape.length === 2) {
    const [length, vocab] = shape;
    const predictions = new Int32Array(logits.length / vocab);
    for (let i = 0; i < predictions.length; i++) {
      let best = 0;
      const base = i * vocab;
      for (let j = 1; j < vocab; j++) if (logits[base + j] > logits[base + best]) best = j;
      predictions[i] = best;
    }
    return { loss, targets, predictions, scores: logits, sequenceLength: length };
  }
  if (probabilities) return { loss, targets, probabilities, logits };
  return { loss, targets, predictions: logits };
}

/**
 * Inputs of a batch of rows, in the model's input order: `prepared` values where given (the
 * batch's rows of streamed columns, already read, or augmented images), else the rows gathered
 * from the in-memory columns.
 */
export function inputTensors(
  ecd: EcdModel,
  split: Columns,
  rows: ArrayLike<number>,
  prepared?: Readonly<Record<string, Float32Array | Int32Array>>,
): tf.Tensor[] {
  return ecd.inputNames.map((name) => {
    const column = split.columns[name];
    if (!column) throw new TypeError(`Missing preprocessed input column "${name}"`);
    // Own keys only: a feature may be named `constructor` or `toString`.
    const values = prepared !== undefined && Object.hasOwn(prepared, name)
      ? prepared[name]
      : undefined;
    if (values === undefined) return batchTensor(column, rows);
    const shape = column.shape.length === 0 ? [1] : column.shape;
    return tf.tensor(
      values,
      [rows.length, ...shape],
      column.dtype === "int32" ? "int32" : "float32",
    );
  });
}

/**
 * Run the model over a split in batches; returns every output feature's logits and
 * probabilities. Streamed input columns (`in_memory: false`) are read batch by batch, the next
 * batches' reads overlapping the current forward pass. Each batch's outputs are read back in
 * one asynchronous transfer.
 */
export async function predictSplit(
  ecd: EcdModel,
  heads: readonly OutputHead[],
  split: Columns,
  batchSize: number,
): Promise<Record<string, FeatureOutputs>> {
  const n = split.numRows;
  const outs = heads.map((h) => ({
    logits: new Float32Array(n * rowSize(h)),
    probabilities: undefined as Float32Array | undefined,
  }));
  for await (const { rows, prepared } of splitBatches(split, ecd.inputNames, batchSize)) {
    const start = rows[0];
    const tensors = tf.tidy(() => {
      const inputs = inputTensors(ecd, split, rows, prepared);
      // model.predict's forward pass, compiled (no tf.layers per-layer bookkeeping).
      const list = forwardOf(ecd.model)(inputs, false);
      return heads.map((h, i) => {
        const logits = list[i];
        const p = probabilitiesFromLogits(h.feature.loss.type, h.feature.type, logits, h.classes);
        return { logits, probabilities: p };
      });
    });
    const flat = tensors.flatMap((t) => t.probabilities ? [t.logits, t.probabilities] : [t.logits]);
    let host;
    try {
      host = await readAll(flat);
    } finally {
      tf.dispose(flat);
    }
    let at = 0;
    heads.forEach((h, i) => {
      outs[i].logits.set(host[at++] as Float32Array, start * rowSize(h));
      const p = tensors[i].probabilities;
      if (p) {
        const width = p.size / rows.length;
        outs[i].probabilities ??= new Float32Array(n * width);
        outs[i].probabilities!.set(host[at++] as Float32Array, start * width);
      }
    });
  }
  const result: Record<string, FeatureOutputs> = {};
  heads.forEach((h, i) => {
    result[h.feature.name] = { ...outs[i], shape: [...h.shape] };
  });
  return result;
}

/**
 * Metrics of every output feature (and `combined.loss`) over a split. The losses of all
 * features are read back in one asynchronous transfer.
 */
export async function evaluateSplit(
  ecd: EcdModel,
  heads: readonly OutputHead[],
  split: Columns,
  batchSize: number,
): Promise<
  { metrics: Record<string, Record<string, number>>; outputs: Record<string, FeatureOutputs> }
> {
  const outputs = await predictSplit(ecd, heads, split, batchSize);
  const metrics: Record<string, Record<string, number>> = {};
  let combined = 0;
  const labelled = heads.filter((h) => split.columns[h.feature.name] !== undefined);
  const lossTensors = tf.tidy(() =>
    labelled.map((head) =>
      head.loss(
        tf.tensor(outputs[head.feature.name].logits, [split.numRows, ...head.shape]),
        batchTensor(split.columns[head.feature.name], rangeOf(split.numRows)),
      )
    )
  );
  let lossValues;
  try {
    lossValues = await readAll(lossTensors);
  } finally {
    tf.dispose(lossTensors);
  }
  for (const [k, head] of labelled.entries()) {
    const name = head.feature.name;
    const target = split.columns[name] as Column;
    const out = outputs[name];
    const loss = lossValues[k][0];
    const acc = accumulatorFor(head);
    acc.update(metricBatch(out.logits, out.probabilities, target.data, loss, head.shape));
    metrics[name] = acc.compute();
    combined += head.feature.loss.weight * loss;
  }
  metrics.combined = { loss: combined };
  return { metrics, outputs };
}

function rangeOf(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * What `testStatistics` reads for one output head over a split: targets, the type's class
 * predictions (its `predictClasses` rule: binary threshold, category argmax) and the
 * probabilities; undefined for types without overall statistics or without probabilities.
 */
export function statisticsInput(
  head: OutputHead,
  outputs: FeatureOutputs,
  targets: ArrayLike<number> | undefined,
  numRows: number,
): TestStatisticsInput | undefined {
  const impl = featureImpl(head.feature.type).output;
  if (!impl?.predictClasses || !outputs.probabilities || !targets) return undefined;
  const predictions = impl.predictClasses(outputs.probabilities, numRows, {
    name: head.feature.name,
    config: head.feature as unknown as Obj,
    metadata: head.metadata,
  });
  return { targets, predictions, probabilities: outputs.probabilities };
}

/** One output feature's raw network output, as `predictSplit` returns it. */
export interface NetworkOutput {
  logits: Float32Array;
  probabilities?: Float32Array;
  shape: number[];
}

/**
 * Network outputs of `n` rows in the form `postprocessPredictions` reads (probabilities for
 * classifiers, values otherwise), by output feature name.
 */
export function rawOutputs(
  outputs: Record<string, NetworkOutput>,
  n: number,
): Record<string, RawOutput> {
  return Object.fromEntries(
    Object.entries(outputs).map(([name, o]) => {
      const width = o.probabilities ? o.probabilities.length / Math.max(1, n) : o.shape[0];
      return [
        name,
        o.probabilities
          ? {
            probabilities: o.probabilities,
            shape: o.shape.length > 1 ? [n, ...o.shape] : [n, width],
          }
          : { values: o.logits, shape: [n, ...o.shape] },
      ];
    }),
  );
}
