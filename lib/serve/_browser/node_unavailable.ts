/**
 * `node:fs/promises`, `node:crypto` and `node:zlib` for the browser bundle: the prediction path
 * never reads files, hashes datasets or (de)compresses weight archives, so each function only says clearly that it has no browser
 * implementation (should a code path start to need one, the browser test fails with this
 * message).
 *
 * @module
 */

function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser build of Sonata`);
}

/** Unavailable in the browser. */
export const readFile = (..._: unknown[]): never => unavailable("fs.readFile");
/** Unavailable in the browser. */
export const writeFile = (..._: unknown[]): never => unavailable("fs.writeFile");
/** Unavailable in the browser. */
export const stat = (..._: unknown[]): never => unavailable("fs.stat");
/** Unavailable in the browser. */
export const mkdir = (..._: unknown[]): never => unavailable("fs.mkdir");
/** Unavailable in the browser. */
export const rename = (..._: unknown[]): never => unavailable("fs.rename");
/** Unavailable in the browser. */
export const rm = (..._: unknown[]): never => unavailable("fs.rm");
/** Unavailable in the browser. */
export const readdir = (..._: unknown[]): never => unavailable("fs.readdir");
/** Unavailable in the browser. */
export const open = (..._: unknown[]): never => unavailable("fs.open");
/** Unavailable in the browser. */
export const createHash = (..._: unknown[]): never => unavailable("crypto.createHash");
/** Unavailable in the browser. */
export const randomUUID = (): string => crypto.randomUUID();
/** Unavailable in the browser. */
export const inflateRawSync = (..._: unknown[]): never => unavailable("zlib.inflateRawSync");
/** Unavailable in the browser. */
export const deflateSync = (..._: unknown[]): never => unavailable("zlib.deflateSync");
/** Unavailable in the browser. */
export const crc32 = (..._: unknown[]): never => unavailable("zlib.crc32");
export default {
  readFile,
  writeFile,
  stat,
  mkdir,
  rename,
  rm,
  readdir,
  open,
  createHash,
  inflateRawSync,
  deflateSync,
  crc32,
};
