/**
 * Pretrained embeddings of the embedding encoders (category `dense`, set/bag `embed`, the
 * sequence encoders): the first user of the build's weights store. A build awaits the vectors
 * of its `pretrained_embeddings` file (GloVe text, aligned to the feature's vocabulary), sizes
 * its embedding layer by them, and registers them as the layer's initial weights; `buildEcd`
 * sets them once the model exists.
 *
 * @module
 */
import { loadPretrainedEmbeddings } from "../pretrained/glove.ts";
import { type BuildContext, stringsField } from "../model/component.ts";

/** Vectors read for an embedding layer, and how to register them on it. */
export interface PretrainedTable {
  /** Embedding size of the file's vectors. */
  readonly size: number;
  /** Register the vectors as the initial weights of the embedding layer named `layer`. */
  assignTo(layer: string): void;
}

/**
 * Read the vectors of an encoder's `pretrained_embeddings` file for its feature's vocabulary
 * (metadata `idx2str`), or undefined when the config names no file.
 */
export async function pretrainedTable(
  path: string | null | undefined,
  ctx: BuildContext,
): Promise<PretrainedTable | undefined> {
  if (typeof path !== "string") return undefined;
  const idx2str = stringsField(ctx.metadata, "idx2str") ?? [];
  const loaded = await ctx.weights.read(
    `glove:${path}:${ctx.scope}`,
    () => loadPretrainedEmbeddings(path, [...idx2str], { seed: ctx.seed }),
  );
  const [rows, size] = loaded.shape;
  return {
    size,
    assignTo: (layer) =>
      ctx.weights.assign(layer, [{ values: loaded.matrix, shape: [rows, size] }], path),
  };
}
