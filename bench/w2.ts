/**
 * W2 of `../shared/bench/WORKLOADS.md` through the public API: text through a frozen BERT-shaped
 * encoder (4 layers, hidden 256, 4 heads, feed-forward 1024, GELU, post-layer-norm; vocabulary
 * 8,000; rows of 64 tokens with [CLS] and [SEP]), the first token's vector (`cls_pooled`) into
 * concat → fc 256 (ReLU) → a 3-class category; Adam 0.001, batch 64, 2 epochs. Run twice:
 * without `cache_encoder_embeddings` (the encoder runs every batch) and with it (once over the
 * dataset before training). The model folder is generated here (config.json + a WordPiece
 * tokenizer.json; `use_pretrained: false`, so the weights are random, which does not change
 * the speed). Prints one JSON line with `epoch_seconds_no_cache`, `epoch_seconds_cached`,
 * `cache_build_seconds` and `speedup_per_epoch`.
 *
 * `deno run -A bench/w2.ts [--rows 4096] [--epochs 2]` (or `deno task bench w2`).
 *
 * @module
 */
import { join } from "node:path";
import { Model } from "../lib/api.ts";
import { wordPieceTokenizerJson } from "../lib/pretrained/tokenizer.ts";

/** Shape of the generated folder. */
export interface W2Shape {
  layers: number;
  hidden: number;
  heads: number;
  feedForward: number;
  vocab: number;
  length: number;
}

/** The workload's shape. */
export const W2_SHAPE: W2Shape = {
  layers: 4,
  hidden: 256,
  heads: 4,
  feedForward: 1024,
  vocab: 8000,
  length: 64,
};

const SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/** Write a BERT model folder (config.json, tokenizer.json) of this shape. */
export async function writeBertFolder(folder: string, shape: W2Shape = W2_SHAPE): Promise<void> {
  await Deno.mkdir(folder, { recursive: true });
  const words = Array.from({ length: shape.vocab - SPECIALS.length }, (_, i) => `w${i}`);
  const config = {
    model_type: "bert",
    hidden_size: shape.hidden,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.feedForward,
    hidden_act: "gelu",
    max_position_embeddings: Math.max(512, shape.length),
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    vocab_size: shape.vocab,
    pad_token_id: 0,
  };
  const tokenizerConfig = { do_lower_case: true, model_max_length: 512 };
  await Deno.writeTextFile(join(folder, "config.json"), JSON.stringify(config));
  await Deno.writeTextFile(join(folder, "tokenizer_config.json"), JSON.stringify(tokenizerConfig));
  await Deno.writeTextFile(
    join(folder, "tokenizer.json"),
    JSON.stringify(wordPieceTokenizerJson([...SPECIALS, ...words].join("\n"), tokenizerConfig)),
  );
}

/** Rows of `length - 2` random words (so 64 tokens with [CLS] and [SEP]) and a label of 3. */
export function w2Rows(n: number, shape: W2Shape = W2_SHAPE): Record<string, unknown>[] {
  let s = 12345;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const count = shape.vocab - SPECIALS.length;
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: shape.length - 2 }, () => Math.floor(rand() * count));
    return { text: ids.map((i) => `w${i}`).join(" "), label: `c${ids[0] % 3}` };
  });
}

function w2Config(folder: string, cache: boolean, epochs: number): Record<string, unknown> {
  return {
    input_features: [{
      name: "text",
      type: "text",
      encoder: {
        type: "bert",
        pretrained_model_name_or_path: folder,
        use_pretrained: false,
        trainable: false,
        reduce_output: "cls_pooled",
      },
      preprocessing: { cache_encoder_embeddings: cache, max_sequence_length: 64 },
    }],
    output_features: [{ name: "label", type: "category" }],
    combiner: { type: "concat", num_fc_layers: 1, output_size: 256, activation: "relu" },
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
    trainer: {
      epochs,
      batch_size: 64,
      learning_rate: 0.001,
      optimizer: { type: "adam" },
      evaluate_training_set: false,
      skip_all_evaluation: true,
    },
  };
}

async function run(
  folder: string,
  out: string,
  rows: Record<string, unknown>[],
  cache: boolean,
  epochs: number,
) {
  const model = await Model.create(w2Config(folder, cache, epochs) as never);
  const times: number[] = [];
  let start = 0;
  const result = await model.train({
    dataset: rows,
    output_directory: out,
    skip_save_model: true,
    progress: false,
    callbacks: [{
      onEpochBegin: () => {
        start = performance.now();
      },
      onEpochEnd: () => {
        times.push((performance.now() - start) / 1000);
      },
    }],
  });
  const description = JSON.parse(
    await Deno.readTextFile(join(result.output_directory!, "description.json")),
  );
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { epochSeconds: mean, cache: description.encoder_embedding_cache };
}

/** Run W2; `rows`/`epochs` smaller than the workload's for a slow host (the line says so). */
export async function runW2(
  options: { rows?: number; epochs?: number } = {},
): Promise<Record<string, unknown>> {
  const rows = options.rows ?? 4096;
  const epochs = options.epochs ?? 2;
  const dir = await Deno.makeTempDir({ prefix: "sonata_w2_" });
  try {
    const folder = join(dir, "bert");
    await writeBertFolder(folder);
    const data = w2Rows(rows);
    const noCache = await run(folder, join(dir, "results"), data, false, epochs);
    const cached = await run(folder, join(dir, "results"), data, true, epochs);
    return {
      epoch_seconds_no_cache: round(noCache.epochSeconds),
      epoch_seconds_cached: round(cached.epochSeconds),
      cache_build_seconds: round(cached.cache.build_seconds),
      speedup_per_epoch: round(noCache.epochSeconds / cached.epochSeconds),
      rows,
      epochs,
      shape: W2_SHAPE,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    args: Deno.args,
    options: { rows: { type: "string" }, epochs: { type: "string" } },
  });
  const r = await runW2({
    rows: values.rows ? Number(values.rows) : undefined,
    epochs: values.epochs ? Number(values.epochs) : undefined,
  });
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ workload: "W2-text-frozen-encoder", ...r }));
}
