/**
 * `sonata experiment -k N`: Ludwig's k-fold cross-validation. The dataset's rows are shuffled
 * (by `--random_seed`) and cut into N folds; each fold is the test set of a model trained on
 * the other folds (a fresh model of the same config each time, in memory). Writes
 * `kfold_training_statistics.json` (`fold_1` … `fold_N`, each with its training and test
 * statistics, and `overall`: every numeric test metric's `<metric>_mean` and `<metric>_std`
 * per output feature) and `kfold_split_indices.json` (each fold's `training_indices` and
 * `test_indices`, 0-based dataset rows) into `--output_directory`.
 *
 * @module
 */
import { join } from "node:path";
import { Model, type TrainOptions } from "../api.ts";
import { randomPermutation } from "../_util/random.ts";
import { readDataset } from "../data/read.ts";
import { writeJsonAtomic } from "../model/artifacts.ts";
import type { CommandIo } from "./_train_commands.ts";

type Obj = Record<string, unknown>;

/** Each fold's test rows: `rows` shuffled by `seed`, cut into `k` near-equal parts. */
export function kFoldIndices(rows: number, k: number, seed: number): Int32Array[] {
  const order = randomPermutation(rows, seed);
  const folds: Int32Array[] = [];
  for (let i = 0; i < k; i++) {
    const start = Math.floor((i * rows) / k);
    const end = Math.floor(((i + 1) * rows) / k);
    folds.push(order.slice(start, end).sort());
  }
  return folds;
}

/** Mean and (population) standard deviation of each numeric test metric over the folds. */
export function overallStatistics(folds: Record<string, Obj>[]): Record<string, Obj> {
  const values: Record<string, Record<string, number[]>> = {};
  for (const stats of folds) {
    for (const [feature, metrics] of Object.entries(stats)) {
      for (const [metric, v] of Object.entries(metrics ?? {})) {
        if (typeof v !== "number" || !Number.isFinite(v)) continue;
        ((values[feature] ??= {})[metric] ??= []).push(v);
      }
    }
  }
  const out: Record<string, Obj> = {};
  for (const [feature, metrics] of Object.entries(values)) {
    out[feature] = {};
    for (const [metric, list] of Object.entries(metrics)) {
      const mean = list.reduce((a, b) => a + b, 0) / list.length;
      const variance = list.reduce((a, b) => a + (b - mean) ** 2, 0) / list.length;
      out[feature][`${metric}_mean`] = mean;
      out[feature][`${metric}_std`] = Math.sqrt(variance);
    }
  }
  return out;
}

/** Run the k-fold cross-validation of `model`'s config on `options.dataset`. */
export async function kFoldCommand(
  model: Model,
  options: TrainOptions,
  k: number,
  io: CommandIo,
): Promise<number> {
  if (typeof options.dataset !== "string") {
    throw new RangeError("Missing --dataset: k-fold cross-validation splits one dataset");
  }
  const dataset = await readDataset(options.dataset, { format: options.data_format as never });
  if (dataset.numRows < k) {
    throw new RangeError(
      `Invalid --k_fold ${k}: the dataset has ${dataset.numRows} rows, fewer than the folds`,
    );
  }
  const seed = options.random_seed ?? 42;
  const folds = kFoldIndices(dataset.numRows, k, seed);
  const statistics: Record<string, Obj> = {};
  const indices: Record<string, Obj> = {};
  const tests: Record<string, Obj>[] = [];
  for (let i = 0; i < k; i++) {
    const test = folds[i];
    const inTest = new Uint8Array(dataset.numRows);
    for (const r of test) inTest[r] = 1;
    const training = Int32Array.from(
      { length: dataset.numRows - test.length },
      (() => {
        let next = 0;
        return () => {
          while (inTest[next]) next++;
          return next++;
        };
      })(),
    );
    io.err(`fold ${i + 1}/${k}: training on ${training.length} rows, testing on ${test.length}`);
    const fold = new Model(model.config);
    const result = await fold.experiment({
      ...options,
      dataset: undefined,
      training_set: dataset.select(training),
      test_set: dataset.select(test),
      skip_save_all: true,
      progress: false,
      random_seed: seed,
    });
    statistics[`fold_${i + 1}`] = {
      training_statistics: result.train_stats,
      test_statistics: result.test_statistics,
    };
    indices[`fold_${i + 1}`] = {
      training_indices: Array.from(training),
      test_indices: Array.from(test),
    };
    tests.push(result.test_statistics as Record<string, Obj>);
  }
  statistics.overall = overallStatistics(tests);
  const dir = options.output_directory ?? "results";
  await writeJsonAtomic(join(dir, "kfold_training_statistics.json"), statistics);
  await writeJsonAtomic(join(dir, "kfold_split_indices.json"), indices);
  const lines: string[] = [];
  for (const [feature, metrics] of Object.entries(statistics.overall as Record<string, Obj>)) {
    const means = Object.entries(metrics).filter(([m]) => m.endsWith("_mean")).slice(0, 4)
      .map(([m, v]) =>
        `${m.replace(/_mean$/, "")} ${(v as number).toFixed(4)} ± ${
          (metrics[m.replace(/_mean$/, "_std")] as number).toFixed(4)
        }`
      );
    if (means.length) lines.push(`  ${feature}: ${means.join(", ")}`);
  }
  io.out(`${k}-fold cross-validation:\n${lines.join("\n")}`);
  io.out(`Wrote ${join(dir, "kfold_training_statistics.json")} and kfold_split_indices.json`);
  return 0;
}
