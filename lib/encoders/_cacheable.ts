/**
 * The marker of a cacheable encoder's output: an encoder whose entry declares
 * `cacheableWhenFrozen` ends its graph with an identity layer named
 * `<feature scope>/cacheable_output`, which the embedding cache (lib/features/embedding_cache.ts)
 * finds to run the encoder alone (once over the dataset) and to feed the cached vectors to the
 * rest of the model in its place.
 *
 * @module
 */
import { tf } from "../compute/mod.ts";
import type { BuildContext, Symbolic } from "../model/component.ts";

/** The layer name marking the encoder output of the feature whose build scope is `scope`. */
export function cacheableOutputName(scope: string): string {
  return `${scope}/cacheable_output`;
}

/** Pass `x` through the (identity) marker layer of this encoder's feature. */
export function markCacheableOutput(ctx: BuildContext, x: Symbolic): Symbolic {
  return tf.layers.activation({ activation: "linear", name: cacheableOutputName(ctx.scope) })
    .apply(x) as Symbolic;
}
