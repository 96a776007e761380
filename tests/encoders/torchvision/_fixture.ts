/** Shared helpers of the torchvision encoder tests: fixtures, formula weights, comparison. */
import assert from "node:assert/strict";
import { tf } from "../../../lib/compute/mod.ts";
import {
  applyFormulaWeights,
  type FamilyTable,
  formulaInput,
  type Symbolic,
} from "../../../lib/encoders/torchvision/_core.ts";

/** A fixture written by tests/fixtures/torchvision/_generate.py. */
export interface TorchFixture {
  input_shape: [number, number, number, number];
  output_shape: number[];
  output:
    | { values: number[] }
    | { first: number[]; sum: number; sum_squares: number; max_abs: number; count: number };
}

/** Reads `tests/fixtures/torchvision/<stem>.json`. */
export async function readFixture(stem: string): Promise<TorchFixture> {
  const url = new URL(`../../fixtures/torchvision/${stem}.json`, import.meta.url);
  return JSON.parse(await Deno.readTextFile(url));
}

/** Whether the slow lane (all variants) is on. */
export const SLOW = Deno.env.get("SONATA_SLOW") === "1";

/** Torch-order values of an output (NHWC maps are moved to NCHW). */
export function torchOrder(y: tf.Tensor): Float32Array {
  return tf.tidy(() =>
    (y.rank === 4 ? tf.transpose(y, [0, 3, 1, 2]) : y).dataSync() as Float32Array
  );
}

/**
 * `maxAbsDiff / max(1, maxAbs)` of Sonata's output against the fixture (all values), or, for
 * summarized fixtures, the worst of the first 64 values, the sum and the root of the sum of
 * squares (relative to their magnitudes).
 */
export function relativeError(fixture: TorchFixture, got: Float32Array): number {
  const o = fixture.output;
  if ("values" in o) {
    assert.equal(got.length, o.values.length, "output size");
    let diff = 0;
    let max = 0;
    for (let i = 0; i < got.length; i++) {
      diff = Math.max(diff, Math.abs(got[i] - o.values[i]));
      max = Math.max(max, Math.abs(o.values[i]));
    }
    return diff / Math.max(1, max);
  }
  assert.equal(got.length, o.count, "output size");
  let diff = 0;
  for (let i = 0; i < o.first.length; i++) diff = Math.max(diff, Math.abs(got[i] - o.first[i]));
  let sum = 0;
  let squares = 0;
  for (const v of got) {
    sum += v;
    squares += v * v;
  }
  const scale = Math.max(1, o.max_abs);
  return Math.max(
    diff / scale,
    Math.abs(sum - o.sum) / Math.max(scale, Math.sqrt(o.count) * scale),
    Math.abs(Math.sqrt(squares) - Math.sqrt(o.sum_squares)) / Math.max(1, Math.sqrt(o.sum_squares)),
  );
}

/**
 * Builds `encode` on the fixture's input size, fills the formula weights, runs the formula's
 * input and returns the relative error against torch (and the model, disposed by the caller).
 */
export async function compareWithTorch(
  stem: string,
  encode: (x: Symbolic) => Symbolic,
): Promise<{ error: number; model: tf.LayersModel; shape: number[] }> {
  const fixture = await readFixture(stem);
  const [, c, h, w] = fixture.input_shape;
  const input = tf.input({ shape: [h, w, c], name: "image" });
  const model = tf.model({ inputs: input, outputs: encode(input) });
  applyFormulaWeights(model);
  const x = formulaInput(fixture.input_shape);
  const y = model.predict(x) as tf.Tensor;
  const got = torchOrder(y);
  const shape = y.rank === 4 ? [y.shape[0], y.shape[3], y.shape[1], y.shape[2]] : y.shape;
  x.dispose();
  y.dispose();
  assert.deepEqual(shape, fixture.output_shape, `${stem}: output shape`);
  return { error: relativeError(fixture, got), model, shape };
}

/**
 * Registers the torchvision comparison test of `table`'s `variant` against fixture `stem`
 * (`slow`: only with SONATA_SLOW=1, and said so in the name). With `TV_REPORT=<file>` each run
 * appends `stem error seconds` to that file.
 */
export function familyTest(
  table: FamilyTable,
  variant: string,
  stem: string,
  options: { slow?: boolean; tolerance?: number; pretrained?: boolean } = {},
): void {
  const slow = options.slow ?? false;
  const tolerance = options.tolerance ?? 1e-4;
  Deno.test({
    name: `torchvision ${table.type} ${variant} equals torchvision within ${tolerance}${
      slow ? " (slow lane: SONATA_SLOW=1)" : ""
    }`,
    ignore: slow && !SLOW,
    fn: async () => {
      const start = performance.now();
      const { error, model } = await compareWithTorch(
        stem,
        (x) => table.build(x, variant, { pretrained: options.pretrained }),
      );
      const entry = table.variants[variant];
      assert.equal(model.outputs[0].shape[1], entry.featureSize, "featureSize");
      model.dispose();
      const seconds = (performance.now() - start) / 1000;
      const report = Deno.env.get("TV_REPORT");
      if (report) {
        await Deno.writeTextFile(
          report,
          `${stem} ${error.toExponential(2)} ${seconds.toFixed(1)}\n`,
          {
            append: true,
          },
        );
      }
      assert.ok(error < tolerance, `${stem}: relative error ${error}`);
    },
  });
}
