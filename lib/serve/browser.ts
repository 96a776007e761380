/**
 * The browser module of an exported model (`sonata export_tfjs` bundles it as `sonata.js`): the
 * same preprocessing, network and postprocessing code as `Model.predict` in Deno, so a page
 * predicts exactly what `sonata predict` does (on TF.js' cpu backend, Sonata's default
 * there; pass `backend: "webgl"` for speed at the price of float differences).
 *
 * ```html
 * <script type="module">
 *   import { loadModel } from "./sonata.js";
 *   const model = await loadModel("./model/");
 *   const { rows } = await model.predict([{ text: "a fine day", color: "red", size: 3 }]);
 * </script>
 * ```
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import { resolveConfigValue } from "../config/load.ts";
import type { ModelConfig } from "../config/model.ts";
import { Dataset } from "../data/dataset.ts";
import {
  postprocessPredictions,
  preprocessForPrediction,
  type TrainingSetMetadata,
} from "../features/preprocess.ts";
import { type EcdModel, loadImplementations } from "../model/ecd.ts";
// Sonata's custom layers, registered with TF.js' serialization before the model loads.
import "../model/_custom_layers.ts";
import "../model/_mask.ts";
import "../model/layers.ts";
import { outputHeads, predictSplit, rawOutputs } from "../train/evaluate.ts";

type Row = Record<string, unknown>;

/** Options of {@linkcode loadModel}. */
export interface LoadModelOptions {
  /** The TF.js backend (default "cpu", whose results equal Deno's cpu engine exactly). */
  backend?: string;
  /** `fetch` to read the model files with (default: the global one). */
  fetch?: typeof fetch;
}

/** Ludwig's prediction columns, and the same as rows. */
export interface BrowserPredictions {
  columns: Record<string, unknown[]>;
  rows: Row[];
}

async function fetchJson(fetcher: typeof fetch, url: URL): Promise<unknown> {
  const response = await fetcher(url);
  if (!response.ok) throw new Error(`Cannot load ${url}: HTTP ${response.status}`);
  return await response.json();
}

/** A model loaded in the browser. */
export class BrowserModel {
  /** The resolved config. */
  readonly config: ModelConfig;
  /** The training-set metadata (vocabularies, normalization statistics ...). */
  readonly metadata: TrainingSetMetadata;
  readonly #ecd: EcdModel;

  constructor(config: ModelConfig, metadata: TrainingSetMetadata, ecd: EcdModel) {
    this.config = config;
    this.metadata = metadata;
    this.#ecd = ecd;
  }

  /** The input columns a row needs, with their feature types. */
  get inputs(): { name: string; type: string }[] {
    return this.config.input_features.map((f) => ({ name: f.column ?? f.name, type: f.type }));
  }

  /** Predict raw rows (records keyed by column); returns Ludwig's prediction columns. */
  async predict(
    rows: readonly Row[],
    options: { batch_size?: number } = {},
  ): Promise<BrowserPredictions> {
    const dataset = Dataset.fromRecords(rows as Row[]);
    const { split } = await preprocessForPrediction(this.config, this.metadata, dataset);
    const heads = outputHeads(this.#ecd, this.config, this.metadata as Record<string, Row>);
    const outputs = await predictSplit(this.#ecd, heads, split, options.batch_size ?? 1024);
    const columns = postprocessPredictions(
      this.config,
      this.metadata,
      rawOutputs(outputs, split.numRows),
    );
    const names = Object.keys(columns);
    const out = Array.from(
      { length: split.numRows },
      (_, i) => Object.fromEntries(names.map((k) => [k, columns[k][i]])),
    );
    return { columns, rows: out };
  }
}

/**
 * Load an exported model folder (the one holding `model_config.json`,
 * `training_set_metadata.json` and `model/model.json`) from `url`.
 */
export async function loadModel(
  url: string | URL,
  options: LoadModelOptions = {},
): Promise<BrowserModel> {
  const fetcher = options.fetch ?? fetch;
  const base = new URL(url, globalThis.location?.href);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  await tf.setBackend(options.backend ?? "cpu");
  await tf.ready();
  const raw = await fetchJson(fetcher, new URL("model_config.json", base));
  const { config } = resolveConfigValue(raw, new URL("model_config.json", base).href);
  const metadata = await fetchJson(fetcher, new URL("training_set_metadata.json", base));
  await loadImplementations(config);
  const model = await tf.loadLayersModel(new URL("model/model.json", base).href);
  return new BrowserModel(config, metadata as TrainingSetMetadata, {
    model,
    inputNames: config.input_features.map((f) => f.name),
    outputNames: config.output_features.map((f) => f.name),
  });
}

export { tf };
