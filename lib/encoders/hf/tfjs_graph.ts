/**
 * Frozen TF.js graph models as text encoders (`tfjs_graph`, a Sonata extension): a folder with
 * `model.json` (format graph-model) and its weight shards, loaded from disk with no network, and
 * a tokenizer. The graph's inputs follow one of two conventions:
 *
 * - `sparse` (Universal Sentence Encoder Lite): `indices` [n, 2] (sentence, position) and
 *   `values` [n] token ids, output [texts, size];
 * - `dense`: token ids [batch, seq] (pad id right-padded), output [batch, size].
 *
 * For a SentencePiece vocabulary given as `[[piece, score], …]` (USE Lite's `vocab.json`),
 * {@linkcode unigramTokenizerJson} builds the matching Unigram `tokenizer.json`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { tf } from "../../compute/mod.ts";
import { HfTokenizer } from "../../pretrained/tokenizer.ts";
import { WeightsError } from "../../pretrained/mod.ts";

interface ModelJson {
  format?: string;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
}

/**
 * An IO handler reading a TF.js model folder from disk (`model.json` + shards, concatenated in
 * manifest order), for `tf.loadGraphModel` / `tf.loadLayersModel` without fetch.
 */
export function fileModelHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      let json: ModelJson;
      try {
        json = JSON.parse(await Deno.readTextFile(modelJsonPath));
      } catch (e) {
        throw new WeightsError((e as Error).message, {
          file: modelJsonPath,
          action: "Cannot read the TF.js model",
        });
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const parts: Uint8Array[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = join(dirname(modelJsonPath), p);
          try {
            parts.push(await Deno.readFile(file));
          } catch (e) {
            throw new WeightsError((e as Error).message, {
              file,
              action: "Cannot read a TF.js weight shard",
            });
          }
        }
      }
      const total = parts.reduce((a, b) => a + b.byteLength, 0);
      const data = new Uint8Array(total);
      let offset = 0;
      for (const p of parts) {
        data.set(p, offset);
        offset += p.byteLength;
      }
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts["modelTopology"],
        format: json.format,
        weightSpecs: specs,
        weightData: data.buffer,
        signature: json.signature as tf.io.ModelArtifacts["signature"],
        userDefinedMetadata: json
          .userDefinedMetadata as tf.io.ModelArtifacts["userDefinedMetadata"],
      };
    },
  };
}

/** Load a TF.js graph model from a `model.json` on disk. */
export async function loadTfjsGraphModel(modelJsonPath: string): Promise<tf.GraphModel> {
  try {
    return await tf.loadGraphModel(fileModelHandler(modelJsonPath));
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError((e as Error).message, {
      file: modelJsonPath,
      action: "Cannot load the TF.js graph model",
    });
  }
}

/**
 * A Unigram `tokenizer.json` for a SentencePiece vocabulary `[[piece, score], …]`: NFKC, spaces
 * as `▁` with one prepended, Viterbi segmentation by score; `unkId` for unknown characters.
 */
export function unigramTokenizerJson(
  vocab: readonly (readonly [string, number])[],
  options: { unkId?: number; padToken?: string } = {},
): Record<string, unknown> {
  const unkId = options.unkId ?? 0;
  const padToken = options.padToken ?? vocab[unkId][0];
  return {
    version: "1.0",
    added_tokens: [],
    normalizer: { type: "NFKC" },
    pre_tokenizer: {
      type: "Metaspace",
      replacement: "▁",
      prepend_scheme: "always",
      split: true,
    },
    post_processor: null,
    decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    model: { type: "Unigram", unk_id: unkId, vocab, byte_fallback: false },
    padding: { pad_token: padToken, pad_id: vocab.findIndex(([p]) => p === padToken) },
  };
}

/** Options of {@linkcode TfjsGraphEncoder}. */
export interface TfjsGraphEncoderOptions {
  /** The input convention; default `sparse` when the graph has `indices` and `values` inputs. */
  inputs?: "sparse" | "dense";
  /** Dense inputs: row length; default 128. */
  maxLength?: number;
}

/** A frozen TF.js graph model with its tokenizer. */
export class TfjsGraphEncoder {
  readonly model: tf.GraphModel;
  readonly tokenizer: HfTokenizer;
  readonly inputs: "sparse" | "dense";
  readonly maxLength: number;

  /** @param model the graph; @param tokenizer its tokenizer. */
  constructor(model: tf.GraphModel, tokenizer: HfTokenizer, options: TfjsGraphEncoderOptions = {}) {
    this.model = model;
    this.tokenizer = tokenizer;
    const names = model.inputs.map((i) => i.name);
    this.inputs = options.inputs ??
      (names.includes("indices") && names.includes("values") ? "sparse" : "dense");
    this.maxLength = options.maxLength ?? 128;
  }

  /** Embed texts in batches: [texts, size] row-major. */
  async embed(
    texts: readonly string[],
    batchSize = 32,
  ): Promise<{ values: Float32Array; shape: number[] }> {
    const chunks: Float32Array[] = [];
    let size = 0;
    for (let start = 0; start < texts.length; start += batchSize) {
      const chunk = texts.slice(start, start + batchSize);
      let feed: Record<string, tf.Tensor>;
      if (this.inputs === "sparse") {
        const indices: number[] = [];
        const values: number[] = [];
        chunk.forEach((text, r) => {
          this.tokenizer.tokenize(text, false).forEach((id, t) => {
            indices.push(r, t);
            values.push(id);
          });
        });
        feed = {
          indices: tf.tensor2d(indices, [values.length, 2], "int32"),
          values: tf.tensor1d(values, "int32"),
        };
      } else {
        const batch = this.tokenizer.encode(chunk, { maxLength: this.maxLength });
        feed = {
          [this.model.inputs[0].name]: tf.tensor2d(batch.ids, [batch.n, batch.maxLength], "int32"),
        };
      }
      const out = await this.model.executeAsync(feed);
      const y = (Array.isArray(out) ? out[0] : out) as tf.Tensor;
      size = y.shape[y.shape.length - 1];
      chunks.push(await y.data() as Float32Array);
      tf.dispose([out, ...Object.values(feed)]);
    }
    const values = new Float32Array(texts.length * size);
    let offset = 0;
    for (const c of chunks) {
      values.set(c, offset);
      offset += c.length;
    }
    return { values, shape: [texts.length, size] };
  }
}

/**
 * Load a graph-model folder as an encoder: `model.json` + shards, and `tokenizer.json`, or a
 * SentencePiece `vocab.json` (`[[piece, score], …]`, as USE Lite ships).
 */
export async function loadTfjsGraphEncoder(
  folder: string,
  options: TfjsGraphEncoderOptions = {},
): Promise<TfjsGraphEncoder> {
  const model = await loadTfjsGraphModel(join(folder, "model.json"));
  let tokenizerJson: Record<string, unknown>;
  try {
    tokenizerJson = JSON.parse(await Deno.readTextFile(join(folder, "tokenizer.json")));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    const vocab = JSON.parse(await Deno.readTextFile(join(folder, "vocab.json")));
    if (!Array.isArray(vocab) || !Array.isArray(vocab[0])) {
      throw new WeightsError("vocab.json is not a SentencePiece [[piece, score], …] list", {
        file: join(folder, "vocab.json"),
        action: "Cannot read the tokenizer",
      });
    }
    tokenizerJson = unigramTokenizerJson(vocab as [string, number][]);
  }
  return new TfjsGraphEncoder(model, new HfTokenizer(tokenizerJson, {}, folder), options);
}
