/**
 * Inputs that would exhaust the machine are refused with a message naming the file and the
 * override (a gzip bomb, an endless cell), and bytes that are not UTF-8 are said, once, with the
 * cell they reached.
 */
import { equal, match, ok, rejects } from "node:assert/strict";
import { captureWarnings } from "../../lib/_util/guard.ts";
import { DataError } from "../../lib/data/errors.ts";
import { decompressedLimit, MIN_DECOMPRESSED_LIMIT } from "../../lib/data/_files.ts";
import { readCsv } from "../../lib/data/read_csv.ts";
import { readDataset } from "../../lib/data/read.ts";

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  Deno.env.set(name, value);
  try {
    return await fn();
  } finally {
    Deno.env.delete(name);
  }
}

Deno.test("a .gz that decompresses past the limit is refused, naming the file and the override", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/bomb.csv.gz`;
  // 8 MB of text that gzip packs into a few KB.
  await Deno.writeFile(path, await gzip(`a,b\n${"1,2\n".repeat(2_000_000)}`));
  ok((await Deno.stat(path)).size < 100_000);
  const error = await withEnv(
    "SONATA_MAX_DECOMPRESSED_BYTES",
    "1000000",
    () => readDataset(path).then(() => undefined, (e) => e),
  );
  ok(error instanceof DataError, String(error));
  match(error.message, /^Cannot read ".*bomb\.csv\.gz": decompresses to more than 976\.6 KiB/);
  match(error.message, /SONATA_MAX_DECOMPRESSED_BYTES/);
  // The default: 200 times the compressed size, at least 256 MiB; "0" lifts it.
  equal(decompressedLimit(1000), MIN_DECOMPRESSED_LIMIT);
  equal(decompressedLimit(10 * 2 ** 20), 200 * 10 * 2 ** 20);
  equal(
    await withEnv(
      "SONATA_MAX_DECOMPRESSED_BYTES",
      "0",
      () => Promise.resolve(decompressedLimit(1)),
    ),
    Infinity,
  );
  // Under the limit it reads.
  equal((await readDataset(path)).numRows, 2_000_000);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a record longer than the cell limit is refused at its line (an unterminated quote)", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/quote.csv`;
  await Deno.writeTextFile(path, `a,b\n1,x\n2,"never closed\n${"text,".repeat(100_000)}\n`);
  await withEnv("SONATA_MAX_CELL_BYTES", "100000", async () => {
    await rejects(() => readCsv(path), (e: Error) => {
      ok(e instanceof DataError);
      match(
        e.message,
        /quote\.csv": line 3: a record starting on this line is longer than 97\.7 KiB/,
      );
      match(e.message, /SONATA_MAX_CELL_BYTES/);
      return true;
    });
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bytes that are not UTF-8 warn once, naming the column and row", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/latin1.csv`;
  const enc = new TextEncoder();
  // "café" in Latin-1 on data row 1 of column "b"; a literal U+FFFD on row 0 is not a warning.
  await Deno.writeFile(
    path,
    new Uint8Array([
      ...enc.encode("a,b\n1,ok \uFFFD\n2,caf"),
      0xe9,
      ...enc.encode("\n3,caf"),
      0xe9,
      ...enc.encode("\n"),
    ]),
  );
  const warnings: string[] = [];
  const restore = captureWarnings((m) => void warnings.push(m));
  try {
    const ds = await readCsv(path);
    equal(ds.numRows, 3);
  } finally {
    restore();
  }
  equal(warnings.length, 1, warnings.join("\n"));
  match(
    warnings[0],
    /latin1\.csv" line 3, column "b" row 1: bytes that are not UTF-8 were replaced by U\+FFFD/,
  );
  // Valid UTF-8 (with a literal U+FFFD) says nothing.
  await Deno.writeTextFile(path, "a,b\n1,ok \uFFFD\n");
  const none: string[] = [];
  const restore2 = captureWarnings((m) => void none.push(m));
  try {
    await readCsv(path);
  } finally {
    restore2();
  }
  equal(none.length, 0);
  await Deno.remove(dir, { recursive: true });
});
