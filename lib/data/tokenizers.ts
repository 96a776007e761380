/**
 * String tokenizers for text, sequence, set and bag features, matching Ludwig's splitting
 * semantics (`ludwig/utils/tokenizers.py`, v0.8.6).
 *
 * A tokenizer is a plain function from a string to its tokens. {@linkcode TOKENIZERS} is the
 * registry table; {@linkcode getTokenizer} looks an entry up by its Ludwig name and applies the
 * `lowercase` and `ngram_size` options.
 *
 * Python semantics are reproduced exactly where they differ from JavaScript's:
 * - "whitespace" is Python's `str.isspace()` set (which includes `\x1c`–`\x1f` and `\x85` but
 *   not `\ufeff`), so `strip()` and `split()` behave as in Python;
 * - a word character is Python's `\w` / `str.isalnum()` plus `_`, that is Unicode letters
 *   (`\p{L}`) and numbers (`\p{N}`); combining marks are not word characters;
 * - strings are iterated by code point, so an emoji outside the BMP is one character.
 *
 * @module
 */
import { closestString } from "../_util/closest.ts";

/** A tokenizer: splits one string into its tokens. */
export type Tokenizer = (text: string) => string[];

/** Options accepted by every tokenizer factory; each tokenizer ignores the ones it does not use. */
export interface TokenizerOptions {
  /** Lowercase the text before splitting it (Ludwig applies `str.lower()` first). Default `false`. */
  lowercase?: boolean;
  /**
   * Largest n-gram produced by the `ngram` tokenizer (Ludwig `ngram_size`). `0`, `null` or
   * `undefined` mean 2, as in Ludwig.
   */
  ngramSize?: number | null;
}

/** A registry entry: a Ludwig tokenizer name bound to its implementation. */
export interface TokenizerEntry<N extends string = string> {
  /** The Ludwig name used in `preprocessing.tokenizer`. */
  readonly name: N;
  /** One sentence on how the tokenizer splits. */
  readonly description: string;
  /** Build the tokenizer function for the given options (lowercasing is applied by the caller). */
  readonly create: (options: TokenizerOptions) => Tokenizer;
}

/**
 * Declare a tokenizer registry entry, keeping its literal name in the type.
 *
 * @typeParam N The tokenizer's name.
 * @param entry The entry.
 * @returns The same entry, frozen.
 *
 * @example Define a tokenizer
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { defineTokenizer } from "./tokenizers.ts";
 * const pipe = defineTokenizer({
 *   name: "pipe",
 *   description: "Splits on '|'.",
 *   create: () => (text) => text.split("|"),
 * });
 * assertEquals(pipe.create({})("a|b"), ["a", "b"]);
 * ```
 */
export function defineTokenizer<const N extends string>(
  entry: TokenizerEntry<N>,
): TokenizerEntry<N> {
  return Object.freeze({ ...entry });
}

// Python's str.isspace() set, as a regex character-class body.
const PY_WHITESPACE_CLASS =
  "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_WHITESPACE_RUN = new RegExp(`[${PY_WHITESPACE_CLASS}]+`);
// Python's `\w+|[^\w\s]` (as Ludwig's space_punct loop computes it) with Unicode-aware classes.
const SPACE_PUNCT = new RegExp(`[\\p{L}\\p{N}_]+|[^\\p{L}\\p{N}_${PY_WHITESPACE_CLASS}]`, "gu");

/**
 * Whether a UTF-16 code unit is whitespace in Python's `str.isspace()` sense (all such
 * characters are in the BMP).
 */
function isPythonSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code >= 0x1c;
  if (code < 0x85) return false;
  return code === 0x85 || code === 0xa0 || code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000;
}

/**
 * Remove leading and trailing whitespace as Python's `str.strip()` does (the set differs from
 * `String.prototype.trim()`: it includes `\x1c`–`\x1f` and `\x85`, and excludes `\ufeff`).
 *
 * @param text The string to strip.
 * @returns `text` without leading and trailing Python whitespace.
 *
 * @example Strip like Python
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { pythonStrip } from "./tokenizers.ts";
 * assertEquals(pythonStrip("\x1c hi\x85 "), "hi");
 * assertEquals(pythonStrip("\ufeffhi"), "\ufeffhi");
 * ```
 */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPythonSpace(text.charCodeAt(start))) start++;
  while (end > start && isPythonSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Split on runs of whitespace as Python's argument-less `str.split()` does: no empty strings,
 * and an all-whitespace string gives an empty list.
 *
 * @param text The string to split.
 * @returns The non-empty pieces between runs of Python whitespace.
 *
 * @example Split like Python
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { pythonSplit } from "./tokenizers.ts";
 * assertEquals(pythonSplit("  a \t b\n"), ["a", "b"]);
 * assertEquals(pythonSplit("   "), []);
 * ```
 */
export function pythonSplit(text: string): string[] {
  const stripped = pythonStrip(text);
  return stripped === "" ? [] : stripped.split(PY_WHITESPACE_RUN);
}

/** Ludwig 0.8 `StringSplitTokenizer`: `strip()`, split on one separator, drop empty tokens. */
function splitOn(separator: string): Tokenizer {
  return (text) => {
    const parts = pythonStrip(text).split(separator);
    let empty = 0;
    for (let i = 0; i < parts.length; i++) if (parts[i].length === 0) empty++;
    return empty === 0 ? parts : parts.filter((t) => t.length > 0);
  };
}

/** Split on `" "` only (tabs and newlines stay inside tokens), after a Python `strip()`. */
export const space: TokenizerEntry<"space"> = defineTokenizer({
  name: "space",
  description:
    "Strips the text, splits it on the space character only and drops empty tokens (tabs and newlines stay inside tokens).",
  create: () => splitOn(" "),
});

/** Runs of word characters and single punctuation characters (`\w+|[^\w\s]`). */
export const spacePunct: TokenizerEntry<"space_punct"> = defineTokenizer({
  name: "space_punct",
  description:
    "Emits runs of Unicode word characters (letters, numbers, underscore) and every other non-whitespace character as its own token.",
  create: () => (text) => text.match(SPACE_PUNCT) ?? [],
});

/** Ludwig `ngram`: the `space` tokens, then every k-gram for k = 2..n joined by a space. */
export const ngram: TokenizerEntry<"ngram"> = defineTokenizer({
  name: "ngram",
  description:
    "Emits the space-split unigrams followed by all k-grams (k = 2 to ngram_size, default 2) joined with a space.",
  create: ({ ngramSize }) => {
    const n = ngramSize || 2;
    return (text) => {
      // Ludwig 0.8 builds the n-grams before dropping empty pieces, so runs of spaces leave
      // n-grams such as "a " (torchtext ngrams_iterator over `strip().split(" ")`).
      const pieces = pythonStrip(text).split(" ");
      const out: string[] = [];
      for (const piece of pieces) if (piece.length > 0) out.push(piece);
      for (let k = 2; k <= n; k++) {
        for (let i = 0; i + k <= pieces.length; i++) {
          const gram = pieces.slice(i, i + k).join(" ");
          if (gram.length > 0) out.push(gram);
        }
      }
      return out;
    };
  },
});

/** One token per Unicode code point; nothing is stripped. */
export const characters: TokenizerEntry<"characters"> = defineTokenizer({
  name: "characters",
  description: "Emits every code point as a token, whitespace included.",
  create: () => (text) => Array.from(text),
});

/** Split on `"_"` after a Python `strip()`, dropping empty tokens. */
export const underscore: TokenizerEntry<"underscore"> = defineTokenizer({
  name: "underscore",
  description:
    "Strips the text, splits it on '_' and drops empty tokens (tokens are not stripped).",
  create: () => splitOn("_"),
});

/** Split on `","` after a Python `strip()`, dropping empty tokens. */
export const comma: TokenizerEntry<"comma"> = defineTokenizer({
  name: "comma",
  description:
    "Strips the text, splits it on ',' and drops empty tokens (tokens are not stripped).",
  create: () => splitOn(","),
});

/** The whole string as its only token. */
export const untokenized: TokenizerEntry<"untokenized"> = defineTokenizer({
  name: "untokenized",
  description: "Returns the whole text as a single token, unchanged.",
  create: () => (text) => [text],
});

/** The stripped string as its only token. */
export const stripped: TokenizerEntry<"stripped"> = defineTokenizer({
  name: "stripped",
  description: "Returns the text without leading and trailing whitespace as a single token.",
  create: () => (text) => [pythonStrip(text)],
});

/**
 * The tokenizer registry: every tokenizer Sonata provides, by Ludwig name.
 *
 * @example List the names
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { TOKENIZERS } from "./tokenizers.ts";
 * assertEquals(TOKENIZERS.map((t) => t.name).slice(0, 3), ["space", "space_punct", "ngram"]);
 * ```
 */
export const TOKENIZERS = [
  space,
  spacePunct,
  ngram,
  characters,
  underscore,
  comma,
  untokenized,
  stripped,
] as const;

/** A tokenizer name accepted by {@linkcode getTokenizer}. */
export type TokenizerName = typeof TOKENIZERS[number]["name"];

const BY_NAME: ReadonlyMap<string, TokenizerEntry> = new Map(TOKENIZERS.map((t) => [t.name, t]));

const SPACY_LANGUAGES = [
  "english",
  "italian",
  "spanish",
  "german",
  "french",
  "portuguese",
  "dutch",
  "greek",
  "norwegian",
  "lithuanian",
  "danish",
  "polish",
  "romanian",
  "japanese",
  "chinese",
  "multi",
];
const SPACY_SUFFIXES = [
  "tokenize",
  "tokenize_filter",
  "tokenize_remove_stopwords",
  "lemmatize",
  "lemmatize_filter",
  "lemmatize_remove_stopwords",
];

/**
 * Ludwig tokenizer names that Sonata does not provide yet: the torchtext ones, `hf_tokenizer`,
 * and the spaCy `<language>_<mode>` family.
 *
 * @example Check a name
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { UNAVAILABLE_TOKENIZERS } from "./tokenizers.ts";
 * assert(UNAVAILABLE_TOKENIZERS.has("sentencepiece"));
 * assert(UNAVAILABLE_TOKENIZERS.has("english_lemmatize"));
 * ```
 */
export const UNAVAILABLE_TOKENIZERS: ReadonlySet<string> = new Set([
  "sentencepiece",
  "clip",
  "gpt2bpe",
  "bert",
  "hf_tokenizer",
  ...SPACY_LANGUAGES.flatMap((lang) => SPACY_SUFFIXES.map((mode) => `${lang}_${mode}`)),
]);

/**
 * Whether `name` is a tokenizer Sonata provides.
 *
 * @param name The name to check.
 * @returns `true` for a name in {@linkcode TOKENIZERS}.
 *
 * @example Check names
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { isTokenizerName } from "./tokenizers.ts";
 * assertEquals(isTokenizerName("space_punct"), true);
 * assertEquals(isTokenizerName("bert"), false);
 * ```
 */
export function isTokenizerName(name: string): name is TokenizerName {
  return BY_NAME.has(name);
}

const quote = (s: string): string => JSON.stringify(s);

/**
 * Get a tokenizer function by its Ludwig name.
 *
 * The text is lowercased first when `options.lowercase` is set, as Ludwig does
 * (`tokenizer(line.lower() if lowercase else line)`).
 *
 * @param name A name from {@linkcode TOKENIZERS}.
 * @param options `lowercase` and `ngramSize`.
 * @returns The tokenizer function.
 * @throws {TypeError} The name is unknown, or is a Ludwig tokenizer Sonata does not provide yet.
 *
 * @example Tokenize text like Ludwig's text features
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { getTokenizer } from "./tokenizers.ts";
 * const tokenize = getTokenizer("space_punct", { lowercase: true });
 * assertEquals(tokenize("Naïve café, isn't it?"), ["naïve", "café", ",", "isn", "'", "t", "it", "?"]);
 * assertEquals(getTokenizer("ngram")("a b c"), ["a", "b", "c", "a b", "b c"]);
 * ```
 */
export function getTokenizer(name: string, options: TokenizerOptions = {}): Tokenizer {
  const entry = BY_NAME.get(name);
  if (entry === undefined) {
    const available = TOKENIZERS.map((t) => quote(t.name)).join(" | ");
    if (UNAVAILABLE_TOKENIZERS.has(name)) {
      throw new TypeError(
        `Cannot use tokenizer ${
          quote(name)
        }: it is a Ludwig tokenizer that Sonata does not provide yet; use one of ${available}`,
      );
    }
    const suggestion = closestString(name, BY_NAME.keys());
    throw new TypeError(
      `Unknown tokenizer ${quote(name)}: expected one of ${available}${
        suggestion ? `: did you mean ${quote(suggestion)}?` : ""
      }`,
    );
  }
  const tokenize = entry.create(options);
  return options.lowercase ? (text) => tokenize(text.toLowerCase()) : tokenize;
}
