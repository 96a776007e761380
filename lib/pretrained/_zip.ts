/**
 * A small zip reader: the central directory (zip64 included) is read from the end of the file,
 * entries are read on demand, stored or deflated, and checked against their CRC-32. It is what
 * `torch.save` archives need (PyTorch writes stored entries, aligned to 64 bytes).
 *
 * @module
 */
import * as zlib from "node:zlib";
import type { ByteSource } from "./_source.ts";
import { WeightsError } from "./tensor.ts";

/** One entry of the central directory. */
export interface ZipEntry {
  /** The entry's path in the archive. */
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  /** CRC-32 of the uncompressed bytes. */
  crc32: number;
  /** Compressed length. */
  compressedSize: number;
  /** Uncompressed length. */
  size: number;
  /** Offset of the entry's local header. */
  localHeaderOffset: number;
}

/** An open zip archive. */
export interface ZipArchive {
  /** Entries by name. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** Read (and check) one entry's uncompressed bytes (a view of shared memory unless `fresh`). */
  read(name: string): Promise<Uint8Array>;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (the zip/PNG polynomial) of some bytes: `node:zlib`'s when it has one (20× faster). */
export function crc32(bytes: Uint8Array): number {
  if (typeof nativeCrc32 === "function") return nativeCrc32(bytes) >>> 0;
  return crc32Js(bytes);
}

/** The table-driven CRC-32, used where `node:zlib` has no `crc32`. */
export function crc32Js(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Whether bytes begin with a zip local-file header signature. */
export function isZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 &&
    head[3] === 0x04;
}

/**
 * Open the archive in a source, reading its central directory.
 *
 * @throws {WeightsError} The archive is truncated or corrupt.
 */
export async function openZip(source: ByteSource): Promise<ZipArchive> {
  const file = source.name;
  const fail = (detail: string, entry?: string) => new WeightsError(detail, { file, entry });
  const tailLength = Math.min(source.size, 22 + 65535);
  const tail = await source.read(source.size - tailLength, tailLength);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw fail("the zip archive has no end-of-directory record (a truncated or corrupt file)");
  }
  let count = view.getUint16(eocd + 10, true);
  let dirSize = view.getUint32(eocd + 12, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50) {
      throw fail("the zip64 end-of-directory locator is missing");
    }
    const eocd64Offset = Number(view.getBigUint64(locator + 8, true));
    const rec = await source.read(eocd64Offset, 56);
    const rv = new DataView(rec.buffer, rec.byteOffset, 56);
    if (rv.getUint32(0, true) !== 0x06064b50) throw fail("the zip64 end-of-directory is corrupt");
    count = Number(rv.getBigUint64(32, true));
    dirSize = Number(rv.getBigUint64(40, true));
    dirOffset = Number(rv.getBigUint64(48, true));
  }
  if (dirOffset + dirSize > source.size) {
    throw fail("the zip central directory lies past the end of the file (a truncated file)");
  }
  const dir = await source.read(dirOffset, dirSize);
  const dv = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || dv.getUint32(p, true) !== 0x02014b50) {
      throw fail(`the zip central directory is corrupt at entry ${i}`);
    }
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLength = dv.getUint16(p + 28, true);
    const extraLength = dv.getUint16(p + 30, true);
    const commentLength = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const name = decoder.decode(dir.subarray(p + 46, p + 46 + nameLength));
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) size = Number(dv.getBigUint64(q, true)), q += 8;
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(dv.getBigUint64(q, true));
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(dv.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, crc32: crc, compressedSize, size, localHeaderOffset });
    p = extraEnd + commentLength;
  }
  return {
    entries,
    async read(name) {
      const entry = entries.get(name);
      if (entry === undefined) throw fail("the archive has no such entry", name);
      const local = await source.read(entry.localHeaderOffset, 30);
      const lv = new DataView(local.buffer, local.byteOffset, 30);
      if (lv.getUint32(0, true) !== 0x04034b50) {
        throw fail("the entry's local header is corrupt", name);
      }
      const start = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
      if (start + entry.compressedSize > source.size) {
        throw fail(
          `the data ends early: the entry needs bytes up to ${
            start + entry.compressedSize
          }, the file has ${source.size}` +
            " (a truncated file)",
          name,
        );
      }
      const raw = await source.read(start, entry.compressedSize);
      let bytes: Uint8Array;
      if (entry.method === 0) bytes = raw;
      else if (entry.method === 8) {
        try {
          bytes = new Uint8Array(zlib.inflateRawSync(raw));
        } catch (error) {
          throw new WeightsError(`the deflated data is corrupt: ${(error as Error).message}`, {
            file,
            entry: name,
            cause: error,
          });
        }
      } else throw fail(`unsupported zip compression method ${entry.method}`, name);
      if (bytes.length !== entry.size) {
        throw fail(`the entry holds ${bytes.length} bytes, its header says ${entry.size}`, name);
      }
      if (crc32(bytes) !== entry.crc32) {
        throw fail("the CRC-32 check failed (a corrupt file)", name);
      }
      return bytes;
    },
  };
}
