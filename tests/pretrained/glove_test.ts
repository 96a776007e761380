import { deepStrictEqual as assertEquals, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  clearEmbeddingsCache,
  loadGloVe,
  loadPretrainedEmbeddings,
} from "../../lib/pretrained/glove.ts";
import { DataError } from "../../lib/data/errors.ts";
import { buildVocabulary } from "../../lib/data/vocabulary.ts";

const GLOVE = new URL("../fixtures/text/tiny_glove.txt", import.meta.url).pathname;

/** Write `text` to a fresh file in a temporary folder and pass its path to `fn`. */
async function withFile(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "glove.txt");
  try {
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    clearEmbeddingsCache(path);
    await Deno.remove(dir, { recursive: true });
  }
}

async function dataError(promise: Promise<unknown>, message: string, line?: number): Promise<void> {
  await rejects(promise, (error: unknown) => {
    ok(error instanceof DataError, `expected a DataError, received ${error}`);
    assertEquals(error.message, message);
    assertEquals(error.line, line);
    return true;
  });
}

Deno.test("loadGloVe() reads a GloVe file into a table", async () => {
  const table = await loadGloVe(GLOVE, { cache: false });
  assertEquals(table.embeddingSize, 3);
  assertEquals([...table.words.keys()], ["the", "cat", "café", "sat", "东京"]);
  assertEquals([...table.vectors.subarray(3, 6)], [0.5, -0.25, 1]);
  assertEquals(table.vectors.length, 5 * 3);
  assertEquals(table.skippedLines, []);
});

Deno.test("loadPretrainedEmbeddings() aligns vectors to the vocabulary", async () => {
  const vocab = buildVocabulary(["the cat sat", "the dog"]);
  assertEquals(vocab.idx2str, ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "the", "cat", "sat", "dog"]);
  const emb = await loadPretrainedEmbeddings(GLOVE, vocab, { cache: false });
  assertEquals(emb.shape, [8, 3]);
  assertEquals(emb.found, 3);
  assertEquals(emb.missing, ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "dog"]);
  const row = (i: number) => [...emb.matrix.subarray(i * 3, i * 3 + 3)];
  assertEquals(row(4), [0.25, 0.5, -1]);
  assertEquals(row(5), [0.5, -0.25, 1]);
  assertEquals(row(6), [-0.5, 0.5, 0.75]);
  // Missing words: the mean of the found vectors plus uniform noise in [-0.01, 0.01).
  const mean = [(0.25 + 0.5 - 0.5) / 3, (0.5 - 0.25 + 0.5) / 3, (-1 + 1 + 0.75) / 3];
  for (const i of [0, 1, 2, 3, 7]) {
    row(i).forEach((v, k) => ok(Math.abs(v - mean[k]) <= 0.01 + 1e-6, `row ${i}: ${v}`));
  }
  ok(row(0).some((v, k) => v !== row(7)[k]), "each missing row draws its own noise");
});

Deno.test("loadPretrainedEmbeddings() is reproducible for a seed", async () => {
  const words = ["<PAD>", "the", "zzz"];
  const a = await loadPretrainedEmbeddings(GLOVE, words, { seed: 7 });
  const b = await loadPretrainedEmbeddings(GLOVE, words, { seed: 7 });
  const c = await loadPretrainedEmbeddings(GLOVE, words, { seed: 8 });
  assertEquals([...a.matrix], [...b.matrix]);
  ok([...a.matrix].some((v, i) => v !== c.matrix[i]));
  const byDefault = await loadPretrainedEmbeddings(GLOVE, words);
  assertEquals([...byDefault.matrix], [
    ...(await loadPretrainedEmbeddings(GLOVE, words, { seed: 42 })).matrix,
  ]);
});

Deno.test("loadGloVe() follows Python's parsing: CRLF, blank lines, floats, repeated words", async () => {
  const text = "a 1 2\r\n\r\nb 1e-3 -.5\n  \nc nan -inf\na 3 4\nd 0x10 1\ne 1_0 2";
  await withFile(text, async (path) => {
    const table = await loadGloVe(path, { malformed: "skip" });
    assertEquals([...table.words.keys()], ["a", "b", "c", "e"]);
    // As in a Python dict, the last vector of a repeated word wins.
    assertEquals([...table.vectors.subarray(0, 2)], [3, 4]);
    assertEquals(table.vectors[2], Math.fround(0.001));
    assertEquals(table.vectors[3], -0.5);
    ok(Number.isNaN(table.vectors[4]));
    assertEquals(table.vectors[5], -Infinity);
    assertEquals([...table.vectors.subarray(6, 8)], [10, 2]);
    // Python's float() rejects hexadecimal.
    assertEquals(table.skippedLines, [7]);
  });
});

Deno.test("loadGloVe() recognizes a word2vec text header", async () => {
  await withFile("2 3\nx 1 2 3\ny 4 5 6\n", async (path) => {
    const table = await loadGloVe(path);
    assertEquals([table.embeddingSize, table.words.size], [3, 2]);
  });
});

Deno.test("loadGloVe() names the file and line of a malformed line", async () => {
  await withFile("a 1 2\nb 1 2 3\n", async (path) => {
    await dataError(
      loadGloVe(path),
      `Cannot load embeddings "${path}": line 2: expected a word and 2 values, found 4 fields`,
      2,
    );
  });
  await withFile("a 1 2\nb 1 x\n", async (path) => {
    await dataError(
      loadGloVe(path),
      `Cannot load embeddings "${path}": line 2: cannot parse "x" as a number`,
      2,
    );
    // A word outside the requested set is still checked.
    await dataError(
      loadGloVe(path, { only: ["a"] }),
      `Cannot load embeddings "${path}": line 2: cannot parse "x" as a number`,
      2,
    );
    const skipped = await loadGloVe(path, { malformed: "skip" });
    assertEquals([[...skipped.words.keys()], skipped.skippedLines], [["a"], [2]]);
  });
  await withFile("lonely\n", async (path) => {
    await dataError(
      loadGloVe(path),
      `Cannot load embeddings "${path}": line 1: expected a word followed by its vector values`,
      1,
    );
  });
  await withFile("\n \n", async (path) => {
    await dataError(
      loadGloVe(path),
      `Cannot load embeddings "${path}": the file has no embeddings`,
    );
  });
  await dataError(
    loadGloVe("/nonexistent/glove.txt"),
    'Cannot load embeddings "/nonexistent/glove.txt": the file does not exist',
  );
});

Deno.test("loadPretrainedEmbeddings() rejects a size mismatch and a vocabulary with no vectors", async () => {
  await dataError(
    loadPretrainedEmbeddings(GLOVE, ["the"], { embeddingSize: 50 }),
    `Cannot load embeddings "${GLOVE}": the vectors have 3 values, but embedding_size is 50`,
  );
  await dataError(
    loadPretrainedEmbeddings(GLOVE, ["<PAD>", "nope"]),
    `Cannot load embeddings "${GLOVE}": none of the 2 vocabulary words has a vector in the file`,
  );
  assertEquals(
    (await loadPretrainedEmbeddings(GLOVE, ["the"], { embeddingSize: 3 })).embeddingSize,
    3,
  );
});

Deno.test("loadGloVe() caches per path and reloads a changed file", async () => {
  await withFile("a 1 2\n", async (path) => {
    const first = await loadGloVe(path);
    strictEqual(await loadGloVe(path), first);
    // A subset request is served from the cached full table.
    const subset = await loadGloVe(path, { only: ["a", "zz"] });
    assertEquals([...subset.words.keys()], ["a"]);
    strictEqual(await loadGloVe(path, { cache: false }) === first, false);
    await Deno.writeTextFile(path, "a 1 2\nb 3 4\n");
    const changed = await loadGloVe(path);
    assertEquals(changed.words.size, 2);
    clearEmbeddingsCache(path);
    strictEqual((await loadGloVe(path)) === changed, false);
  });
});

Deno.test("loadPretrainedEmbeddings() streams a larger file, keeping only vocabulary words", async () => {
  const dim = 50;
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    lines.push(`w${i} ${Array.from({ length: dim }, (_, k) => ((i + k) % 7) / 8).join(" ")}`);
  }
  await withFile(lines.join("\n") + "\n", async (path) => {
    const vocab = ["w0", "w19999", "w12345", "missing"];
    const table = await loadGloVe(path, { only: vocab, cache: false });
    assertEquals(table.words.size, 3);
    const emb = await loadPretrainedEmbeddings(path, vocab);
    assertEquals(emb.shape, [4, dim]);
    assertEquals(emb.matrix[dim * 2 + 1], ((12345 + 1) % 7) / 8);
    assertEquals(emb.missing, ["missing"]);
  });
});
