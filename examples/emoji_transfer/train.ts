/**
 * Transfer learning with real pretrained weights, offline: classify emoji images
 * (`emoji-datasource-google`, see data.ts) by category with a linear classifier (concat
 * combiner without FC layers, linear category decoder) on
 *
 * - `pretrained`: the frozen `mobilenetv2` encoder with nsfwjs's Keras MobileNetV2 weights
 *   (ImageNet-started, fine-tuned by nsfwjs on its 5 classes: the npm package `nsfwjs` ships
 *   them as a TF.js layers model), loaded with `pretrained_weights: <TF.js folder>` and
 *   `input_scaling: zero_to_one` (nsfwjs feeds x / 255);
 * - `random`: the same frozen encoder with random weights (`use_pretrained: false`), a control;
 * - `pixels`: the raw 64×64 RGB pixels (a `stacked_cnn` without convolution or FC layers: the
 *   pixels ÷ 255, flattened).
 *
 * Each encoder arm runs with `cache_encoder_embeddings: true` (the frozen encoder runs once in
 * preprocessing) and, with `--uncached`, also without it (the encoder runs at every step; the
 * same model, only slower).
 *
 * Run: `deno run -A examples/emoji_transfer/train.ts [--per-category N] [--epochs E]
 * [--uncached] [--uncached-epochs E]` (fetch the packages first: `deno cache
 * npm:nsfwjs@4.4.0 npm:emoji-datasource-google@16.0.0`).
 *
 * @module
 */
import { join } from "node:path";
import { Model } from "../../mod.ts";
import { writeNsfwjsModelFolder } from "../../tests/pretrained/_nsfwjs.ts";
import { DEFAULT_CATEGORIES, type EmojiRow, emojiRows } from "./data.ts";

/** One arm of the comparison. */
export type Arm = "pretrained" | "random" | "pixels";

/** What one arm measured. */
export interface ArmResult {
  /** The features. */
  arm: Arm;
  /** Whether the encoder's outputs were cached in preprocessing (false for `pixels`). */
  cached: boolean;
  /** Test-split accuracy. */
  accuracy: number;
  /** Epochs trained. */
  epochs: number;
  /** Seconds of the whole experiment (preprocessing, training, evaluation). */
  seconds: number;
}

/** Options of {@linkcode runEmojiTransfer}. */
export interface EmojiTransferOptions {
  /** Images per category (default 100). */
  perCategory?: number;
  /** Categories (default data.ts's four). */
  categories?: readonly string[];
  /** Epochs of the cached and pixel arms (default 30). */
  epochs?: number;
  /** The arms (default all three). */
  arms?: readonly Arm[];
  /** Also run the encoder arms without the embedding cache (default false). */
  uncached?: boolean;
  /** Epochs of the uncached arms (default `epochs`). */
  uncachedEpochs?: number;
  /** The trainer's seed (default 42). */
  seed?: number;
  /** The nsfwjs model folder (default: written into a temporary folder). */
  modelDir?: string;
  /** Called after each arm. */
  onArm?: (result: ArmResult) => void;
}

/** What {@linkcode runEmojiTransfer} measured, or why it could not. */
export type EmojiTransferResult =
  | { ok: true; rows: { training: number; validation: number; test: number }; arms: ArmResult[] }
  | { ok: false; reason: string };

function encoderFor(arm: Arm, modelDir: string): Record<string, unknown> {
  if (arm === "pixels") {
    return { type: "stacked_cnn", num_conv_layers: 0, num_fc_layers: 0 };
  }
  if (arm === "random") return { type: "mobilenetv2", use_pretrained: false, trainable: false };
  return {
    type: "mobilenetv2",
    pretrained_weights: modelDir,
    input_scaling: "zero_to_one",
    trainable: false,
  };
}

/** The model config of an arm. */
export function armConfig(
  arm: Arm,
  modelDir: string,
  options: { cached: boolean; epochs: number },
): Record<string, unknown> {
  return {
    input_features: [{
      name: "image",
      type: "image",
      encoder: encoderFor(arm, modelDir),
      preprocessing: arm === "pixels"
        ? { height: 64, width: 64, num_channels: 3 }
        : { cache_encoder_embeddings: options.cached },
    }],
    output_features: [{ name: "category", type: "category" }],
    combiner: { type: "concat", num_fc_layers: 0 },
    trainer: { epochs: options.epochs, batch_size: 32, learning_rate: 0.001 },
    preprocessing: { split: { type: "fixed", column: "split" } },
  };
}

async function runArm(
  arm: Arm,
  rows: EmojiRow[],
  modelDir: string,
  options: { cached: boolean; epochs: number; seed: number },
): Promise<ArmResult> {
  const start = performance.now();
  const model = await Model.create(armConfig(arm, modelDir, options) as never);
  const result = await model.experiment({
    dataset: rows as unknown as Record<string, unknown>[],
    skip_save_all: true,
    skip_save_processed_input: true,
    progress: false,
    random_seed: options.seed,
  } as never);
  const seconds = (performance.now() - start) / 1000;
  model.tfModel?.dispose();
  const accuracy = (result.test_statistics.category as Record<string, number>).accuracy;
  return { arm, cached: options.cached, accuracy, epochs: options.epochs, seconds };
}

/**
 * Runs the comparison.
 *
 * @returns Per-arm test accuracy and time, or `{ ok: false }` naming the missing package.
 */
export async function runEmojiTransfer(
  options: EmojiTransferOptions = {},
): Promise<EmojiTransferResult> {
  const rows = await emojiRows({
    categories: options.categories ?? DEFAULT_CATEGORIES,
    perCategory: options.perCategory ?? 100,
  });
  if (rows === null) {
    return {
      ok: false,
      reason: "emoji-datasource-google is not in the Deno npm cache " +
        "(deno cache npm:emoji-datasource-google@16.0.0)",
    };
  }
  let modelDir = options.modelDir;
  let temp: string | undefined;
  if (modelDir === undefined) {
    temp = await Deno.makeTempDir({ prefix: "sonata_nsfwjs_" });
    modelDir = join(temp, "mobilenet_v2");
    if (!await writeNsfwjsModelFolder(modelDir)) {
      await Deno.remove(temp, { recursive: true });
      return {
        ok: false,
        reason: "nsfwjs is not in the Deno npm cache (deno cache npm:nsfwjs@4.4.0)",
      };
    }
  }
  try {
    const epochs = options.epochs ?? 30;
    const seed = options.seed ?? 42;
    const progress = options.onArm;
    const arms: ArmResult[] = [];
    for (const arm of options.arms ?? ["pretrained", "random", "pixels"] as const) {
      arms.push(await runArm(arm, rows, modelDir, { cached: arm !== "pixels", epochs, seed }));
      progress?.(arms[arms.length - 1]);
      if (options.uncached && arm !== "pixels") {
        const e = options.uncachedEpochs ?? epochs;
        arms.push(await runArm(arm, rows, modelDir, { cached: false, epochs: e, seed }));
        progress?.(arms[arms.length - 1]);
      }
    }
    const count = (s: number) => rows.filter((r) => r.split === s).length;
    return { ok: true, rows: { training: count(0), validation: count(1), test: count(2) }, arms };
  } finally {
    if (temp) await Deno.remove(temp, { recursive: true });
  }
}

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

if (import.meta.main) {
  const num = (name: string) => flag(name) === undefined ? undefined : Number(flag(name));
  const out = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
  const show = (a: ArmResult) =>
    out(
      `${a.arm.padEnd(10)} ${
        a.arm === "pixels" ? "        " : a.cached ? "cached  " : "uncached"
      } ` +
        `epochs ${a.epochs}: test ` +
        `accuracy ${a.accuracy.toFixed(4)} in ${a.seconds.toFixed(1)} s`,
    );
  const result = await runEmojiTransfer({
    perCategory: num("--per-category"),
    epochs: num("--epochs"),
    uncached: Deno.args.includes("--uncached"),
    uncachedEpochs: num("--uncached-epochs"),
    onArm: show,
  });
  if (!result.ok) {
    out(`blocked: ${result.reason}`);
    Deno.exit(1);
  }
  out(`emoji categories, rows ${JSON.stringify(result.rows)}`);
}
