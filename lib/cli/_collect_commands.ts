/**
 * `sonata collect_summary | collect_weights | collect_activations`: Ludwig's commands that read
 * a trained model's layers, weights and activations. TensorFlow.js is imported only when one
 * runs, so `sonata --help` stays fast.
 *
 * @module
 */
import { join } from "node:path";
import { FlagError, type FlagSpecs, type FlagValues, parseFlags } from "./_args.ts";
import { modelFolderProblem, outputDirectoryProblem } from "./_flags.ts";
import type { Io } from "./main.ts";

interface Command {
  summary: string;
  usage: string;
  run: (argv: string[], io: Io) => Promise<number>;
}

/** Parse, answer --help, check the model and output folders; a number is the exit code. */
async function prepare(
  argv: string[],
  options: FlagSpecs,
  usage: string,
  io: Io,
): Promise<FlagValues | number> {
  let values: FlagValues;
  try {
    values = parseFlags(argv, options);
  } catch (error) {
    if (error instanceof FlagError) return io.err(`${error.message}\n\n${usage}`), 2;
    throw error;
  }
  if (values.help) return io.out(usage), 0;
  if (typeof values.model_path !== "string") return io.err(`Missing --model_path\n\n${usage}`), 2;
  const problems: string[] = [];
  const model = await modelFolderProblem(values.model_path, "model_path");
  if (model) problems.push(model);
  if (typeof values.output_directory === "string") {
    const out = await outputDirectoryProblem(values.output_directory, "output_directory");
    if (out) problems.push(out);
  }
  if (problems.length) return io.err(problems.join("\n")), 2;
  return values;
}

/** A file name for a tensor or layer name (`/` and other separators become `_`). */
export function npyFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_.\-]/g, "_").replace(/^\.+/, "_")}.npy`;
}

async function known(error: unknown, io: Io): Promise<number> {
  const { failure } = await import("./_train_commands.ts");
  if (error instanceof RangeError && /^(Invalid|Missing|Cannot)/.test(error.message)) {
    io.err(error.message);
    return 2;
  }
  return failure(error, io);
}

function shapeText(shape: unknown): string {
  return JSON.stringify(shape).replaceAll(",", ", ");
}

const collectSummary: Command = {
  summary: "List a trained model's layers, weights and the names collect_* accept",
  usage: `Usage: sonata collect_summary --model_path DIR

Prints the model's layers in order (name, type, output shape, parameters), the parameter
totals, the names "collect_activations --layers" accepts (input feature names for their encoder
outputs, "combiner", and layer names) and the weight tensors "collect_weights --tensors" accepts.

Options:
  -m, --model_path DIR    a trained model folder (or a run folder holding model/)
  -h, --help`,
  async run(argv, io) {
    const values = await prepare(
      argv,
      { model_path: { type: "string", short: "m" } },
      this.usage,
      io,
    );
    if (typeof values === "number") return values;
    try {
      const { Model } = await import("../api.ts");
      const { layerSummary, weightSummary, activationNames } = await import("../model/collect.ts");
      const model = await Model.load(values.model_path as string);
      const tfModel = model.tfModel!;
      const rows = layerSummary(tfModel);
      const table = [
        ["layer", "type", "output shape", "parameters"],
        ...rows.map((r) => [
          r.name,
          r.type,
          shapeText(r.outputShape),
          String(r.params),
        ]),
      ];
      const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
      const lines = table.map((r) =>
        r.map((cell, c) => (c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ")
          .trimEnd()
      );
      const trainable = tfModel.trainableWeights.reduce(
        (a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1),
        0,
      );
      const total = rows.reduce((a, r) => a + r.params, 0);
      io.out(`Model ${values.model_path}\n\n${lines.join("\n")}\n`);
      io.out(`Total parameters: ${total} (trainable ${trainable}, frozen ${total - trainable})\n`);
      const ecd = {
        model: tfModel,
        inputNames: model.config.input_features.map((f) => f.name),
        outputNames: model.config.output_features.map((f) => f.name),
      };
      const special = activationNames(ecd, model.config).slice(
        0,
        model.config.input_features.length + 1,
      );
      io.out(
        `collect_activations --layers accepts: ${
          special.map((n) => JSON.stringify(n)).join(", ")
        } (input features: their encoder output; "combiner": the combiner output) and every layer name above\n`,
      );
      io.out("collect_weights --tensors accepts:");
      for (const w of weightSummary(tfModel)) io.out(`  ${w.name}  ${shapeText(w.shape)}`);
      return 0;
    } catch (error) {
      return await known(error, io);
    }
  },
};

const collectWeights: Command = {
  summary: "Write a trained model's weight tensors as .npy files",
  usage:
    `Usage: sonata collect_weights --model_path DIR --tensors NAME [NAME ...] [--output_directory DIR]

Writes one <output_directory>/<name>.npy per tensor (NumPy format, float32; "/" in a name
becomes "_"). "sonata collect_summary" lists the tensor names.

Options:
  -m, --model_path DIR        a trained model folder (or a run folder holding model/)
  -t, --tensors NAME ...      the weight tensors
  -od, --output_directory DIR default "results"
  -h, --help`,
  async run(argv, io) {
    const values = await prepare(
      argv,
      {
        model_path: { type: "string", short: "m" },
        tensors: { type: "string", short: "t", multiple: true },
        output_directory: { type: "string" },
      },
      this.usage,
      io,
    );
    if (typeof values === "number") return values;
    const tensors = values.tensors as string[] | undefined;
    if (!tensors?.length) return io.err(`Missing --tensors\n\n${this.usage}`), 2;
    const dir = (values.output_directory as string | undefined) ?? "results";
    try {
      const { Model } = await import("../api.ts");
      const { collectWeights } = await import("../model/collect.ts");
      const { writeNpy } = await import("../data/npy.ts");
      const model = await Model.load(values.model_path as string);
      const weights = collectWeights(model.tfModel!, tensors);
      for (const w of weights) {
        const path = join(dir, npyFileName(w.name));
        await writeNpy(path, w.data, w.shape);
        io.out(`Wrote ${path} ${shapeText(w.shape)}`);
      }
      return 0;
    } catch (error) {
      return await known(error, io);
    }
  },
};

const collectActivations: Command = {
  summary: "Write the outputs of named layers over a dataset as .npy files",
  usage: `Usage: sonata collect_activations --model_path DIR --dataset PATH --layers NAME [NAME ...]

Runs the model over the dataset (inference mode) and writes one
<output_directory>/<name>.npy per layer (NumPy format, float32, one row per dataset row in
dataset order). An input feature's name means that feature's encoder output, "combiner" the
combiner output; other names are layer names ("sonata collect_summary" lists them).

Options:
  -m, --model_path DIR        a trained model folder (or a run folder holding model/)
  --dataset PATH              the rows
  --data_format F             override the format detected from the extension
  -lyr, --layers NAME ...     the layers
  -s, --split SPLIT           full (default), training, validation or test
  -bs, --batch_size N         default 256
  -od, --output_directory DIR default "results"
  -h, --help`,
  async run(argv, io) {
    const values = await prepare(
      argv,
      {
        model_path: { type: "string", short: "m" },
        dataset: { type: "string" },
        data_format: { type: "string" },
        layers: { type: "string", multiple: true },
        split: { type: "string", short: "s" },
        batch_size: { type: "string" },
        output_directory: { type: "string" },
      },
      this.usage,
      io,
    );
    if (typeof values === "number") return values;
    const layers = values.layers as string[] | undefined;
    if (!layers?.length) return io.err(`Missing --layers\n\n${this.usage}`), 2;
    if (typeof values.dataset !== "string") return io.err(`Missing --dataset\n\n${this.usage}`), 2;
    const { flagProblems } = await import("./_flags.ts");
    const problems = flagProblems(values);
    const split = (values.split as string | undefined) ?? "full";
    if (!["full", "training", "validation", "test"].includes(split)) {
      problems.push(
        `Invalid --split ${JSON.stringify(split)}: expected full, training, validation or test`,
      );
    }
    if (problems.length) return io.err(problems.join("\n")), 2;
    const dir = (values.output_directory as string | undefined) ?? "results";
    try {
      const { Model } = await import("../api.ts");
      const { writeNpy } = await import("../data/npy.ts");
      const model = await Model.load(values.model_path as string);
      const activations = await model.collectActivations(values.dataset, layers, {
        data_format: values.data_format as string | undefined,
        split: split as "full",
        ...(values.batch_size !== undefined ? { batch_size: Number(values.batch_size) } : {}),
      });
      for (const a of activations) {
        const path = join(dir, npyFileName(a.name));
        await writeNpy(path, a.data, a.shape);
        io.out(`Wrote ${path} ${shapeText(a.shape)}`);
      }
      return 0;
    } catch (error) {
      return await known(error, io);
    }
  },
};

/** The collect commands, by Ludwig name. */
export const COLLECT_COMMANDS: Readonly<Record<string, Command>> = {
  collect_summary: collectSummary,
  collect_weights: collectWeights,
  collect_activations: collectActivations,
};
