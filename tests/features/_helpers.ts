/** Shared helpers for the feature preprocessing tests. @module */
import assert from "node:assert/strict";
import { validateConfig } from "../../lib/config/mod.ts";
import type { ModelConfig } from "../../lib/config/model.ts";
import { Dataset } from "../../lib/data/dataset.ts";
import { DataError } from "../../lib/data/errors.ts";
import { preprocessForTraining, type PreprocessResult } from "../../lib/features/preprocess.ts";

/** A config whose split keeps every row in training, in order. */
export function config(
  inputs: Record<string, unknown>[],
  outputs: Record<string, unknown>[],
  preprocessing: Record<string, unknown> = {},
): ModelConfig {
  return validateConfig({
    input_features: inputs,
    output_features: outputs,
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] }, ...preprocessing },
  });
}

/** Preprocesses in-memory columns without writing a cache. */
export function train(
  cfg: ModelConfig,
  columns: Record<string, unknown[]>,
): Promise<PreprocessResult> {
  return preprocessForTraining(cfg, { dataset: Dataset.fromColumns(columns) }, {
    skipSaveProcessedInput: true,
    cacheDir: "/nonexistent-sonata-cache",
  });
}

/** The values of an encoded column as a plain array. */
export function values(result: PreprocessResult, name: string): number[] {
  return Array.from(result.training.columns[name].data);
}

/** Asserts two number arrays agree within `eps`. */
export function assertClose(actual: ArrayLike<number>, expected: number[], eps = 1e-5) {
  assert.equal(actual.length, expected.length, `length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= eps,
      `at ${i}: ${actual[i]} != ${expected[i]} (${JSON.stringify(Array.from(actual))})`,
    );
  }
}

/** Asserts that `fn` throws (or rejects with) a DataError with this message. */
export async function assertDataError(
  fn: () => unknown,
  message: string | RegExp,
): Promise<DataError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DataError, `expected a DataError, got ${caught}`);
  if (typeof message === "string") assert.equal(caught.message, message);
  else assert.match(caught.message, message);
  return caught;
}

/** Runs `fn` with a fresh temporary directory. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "sonata_features_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
