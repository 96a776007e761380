/**
 * `sharp` for the browser bundle: image decoding (PNG, JPEG, WebP, GIF, TIFF) is a native
 * library, so image features do not preprocess in the browser build; calling it says so.
 *
 * @module
 */

/** Unavailable in the browser. */
export default function sharp(..._: unknown[]): never {
  throw new Error(
    "image decoding (sharp) is not available in the browser build of Sonata: image features predict from Deno (sonata serve)",
  );
}
