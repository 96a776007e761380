/**
 * Writes `_variants.ts`, the TensorFlow.js-free digest of the family tables that the registry
 * entries (`entries.ts`, on the config side) read: `deno run -A
 * lib/encoders/torchvision/_gen_variants.ts`. tests/encoders/torchvision/entries_test.ts fails
 * when the digest and the tables differ.
 *
 * @module
 */
import { FAMILIES } from "./mod.ts";
import type { VariantDigest } from "./_variants.ts";

/** The digest of every family table. */
export function variantDigest(): Record<string, VariantDigest> {
  const out: Record<string, VariantDigest> = {};
  for (const [type, t] of Object.entries(FAMILIES)) {
    out[type] = {
      defaultVariant: t.defaultVariant,
      minInputSize: t.minInputSize,
      variants: Object.fromEntries(
        Object.entries(t.variants).map(([k, v]) => [k, {
          ludwigId: v.ludwigId,
          weightsUrl: v.weights.url,
          resizeSize: v.preprocessing.resizeSize,
          cropSize: v.preprocessing.cropSize,
          interpolation: v.preprocessing.interpolation,
          featureSize: v.featureSize,
        }]),
      ),
    };
  }
  return out;
}

if (import.meta.main) {
  const path = new URL("./_variants.ts", import.meta.url);
  const text = await Deno.readTextFile(path);
  const start = text.indexOf("export const VARIANTS");
  const body = `export const VARIANTS: Readonly<Record<string, VariantDigest>> = ${
    JSON.stringify(variantDigest(), null, 2)
  };\n`;
  await Deno.writeTextFile(path, text.slice(0, start) + body);
}
