/**
 * `deno run -A bench/text.ts [--rows 5000] [--epochs 1] [--engine auto] [--reference]`
 *
 * The text workload: 5,000 texts of 200 tokens (198 words drawn from 10,000, plus `<SOS>` and
 * `<EOS>`), binary label, through the public API (`Model.create(config)`, `model.train`) with
 * Ludwig's `parallel_cnn` defaults (embedding 256, four parallel convolutions of 256 filters
 * and widths 2–5, sum over time, FC 512 → 256), Adam 0.001, batch 128, one epoch, no
 * evaluation. Timed from the trainer's start to its last step (preprocessing excluded, as in
 * the reference). Prints one JSON line; with `--reference` also runs the PyTorch equivalent
 * (`bench/reference/text_workload.py`, needs `/usr/bin/python3` with torch) and a ratio line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type ComputeOption, ready } from "../lib/compute/mod.ts";
import { Model } from "../lib/api.ts";
import { Dataset } from "../lib/data/dataset.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "5000" },
    epochs: { type: "string", default: "1" },
    engine: { type: "string", default: "auto" },
    reference: { type: "boolean", default: false },
    python: { type: "string", default: "/usr/bin/python3" },
  },
});
const rows = Number(values.rows);
const epochs = Number(values.epochs);
const WORDS = 198;
const VOCAB = 10_000;

/** The workload's config. */
export function textConfig(epochs = 1): Record<string, unknown> {
  return {
    input_features: [{
      name: "text",
      type: "text",
      encoder: { type: "parallel_cnn" },
      preprocessing: {
        tokenizer: "space",
        lowercase: false,
        max_sequence_length: WORDS + 2,
        most_common: VOCAB,
      },
    }],
    output_features: [{ name: "label", type: "binary" }],
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
    trainer: {
      epochs,
      batch_size: 128,
      learning_rate: 0.001,
      optimizer: { type: "adam" },
      evaluate_training_set: false,
      should_shuffle: true,
      skip_all_evaluation: true,
    },
  };
}

/** `rows` texts of 198 random words `w0`…`w9999` and a random binary label. */
export function textColumns(rows: number): Record<string, unknown[]> {
  let s = 1;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const text: string[] = [];
  const label: boolean[] = [];
  for (let i = 0; i < rows; i++) {
    text.push(Array.from({ length: WORDS }, () => `w${Math.floor(next() * VOCAB)}`).join(" "));
    label.push(next() < 0.5);
  }
  return { text, label };
}

function emit(line: Record<string, unknown>): void {
  // deno-lint-ignore no-console
  console.log(JSON.stringify(line));
}

if (import.meta.main) {
  const info = await ready({ compute: values.engine as ComputeOption, quiet: true });
  const dataset = Dataset.fromColumns(textColumns(rows));
  const model = await Model.create(textConfig(epochs) as never);
  let trainStart = 0;
  let lastStep = 0;
  const t0 = performance.now();
  await model.train({
    dataset,
    skip_save_all: true,
    progress: false,
    callbacks: {
      onTrainStart: () => {
        trainStart = performance.now();
      },
      onStep: () => {
        lastStep = performance.now();
      },
    },
  });
  const seconds = (lastStep - trainStart) / 1000;
  const ours = {
    workload: "text-parallel-cnn",
    rows,
    seq: WORDS + 2,
    epochs,
    seconds_per_epoch: seconds / epochs,
    preprocess_seconds: (trainStart - t0) / 1000,
    engine: info.engine,
    ...(info.blas ? { blas_threads: info.blas.threads } : {}),
    via: "api",
  };
  emit(ours);
  if (values.reference) {
    const script = new URL("./reference/text_workload.py", import.meta.url).pathname;
    const out = await new Deno.Command(values.python, {
      args: [script, String(rows), String(epochs)],
      stdout: "piped",
    }).output();
    const ref = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    emit({ reference: ref });
    emit({
      workload: "text-parallel-cnn",
      ratio_vs_pytorch: ours.seconds_per_epoch / ref.seconds_per_epoch,
    });
  }
}
