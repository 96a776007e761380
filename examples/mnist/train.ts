/**
 * MNIST with Sonata's image feature: `deno run -A examples/mnist/train.ts [folder] [config.yaml]
 * [images per digit]` writes the `mnist` package's digits as PNG files plus a CSV (data.ts; its
 * fixed split: every fifth image of each digit is a test image), trains the config (default:
 * Ludwig's MNIST `stacked_cnn` of `config.yaml` here) through the public API, and prints the test
 * accuracy and the seconds taken.
 *
 * @module
 */
import { join } from "node:path";
import { Model } from "../../mod.ts";
import { writeMnist } from "./data.ts";

const write = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${s}\n`));

/** What {@linkcode runMnist} measured. */
export interface MnistRun {
  /** Test accuracy of `label`. */
  accuracy: number;
  /** Training rows and test rows. */
  train: number;
  test: number;
  /** Seconds of preprocessing + training + evaluation (not writing the PNG files). */
  seconds: number;
}

/**
 * Writes MNIST under `folder` (skipped when its CSV exists) and runs an experiment on it.
 *
 * @param folder Where the PNG files and `mnist.csv` go.
 * @param config A config path or object (default: `config.yaml` here).
 * @param perDigit Images per digit (default: all, about 1,000).
 * @returns The test accuracy, split sizes and seconds.
 */
export async function runMnist(
  folder: string,
  config: string | Record<string, unknown> = new URL("./config.yaml", import.meta.url).pathname,
  perDigit?: number,
): Promise<MnistRun> {
  const files = await writeMnist(folder, perDigit ? { perDigit } : {});
  const start = performance.now();
  const model = await Model.create(config as string);
  const result = await model.experiment({
    dataset: files.csv,
    skip_save_all: true,
    progress: false,
  });
  const seconds = (performance.now() - start) / 1000;
  model.tfModel?.dispose();
  const accuracy = (result.test_statistics.label as Record<string, number>).accuracy;
  return { accuracy, train: files.train, test: files.test, seconds };
}

if (import.meta.main) {
  const [folder = join("results", "mnist"), config, perDigit] = Deno.args;
  const run = await runMnist(folder, config, perDigit ? Number(perDigit) : undefined);
  write(
    `MNIST (${run.train} training, ${run.test} test images): test accuracy ${
      run.accuracy.toFixed(4)
    } in ${run.seconds.toFixed(0)} s`,
  );
}
