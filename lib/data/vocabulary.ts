/**
 * Vocabularies and integer encodings for text, sequence, set, bag and category features,
 * following Ludwig 0.8 (`ludwig/utils/strings_utils.py`: `create_vocabulary`,
 * `create_vocabulary_single_token`, `build_sequence_matrix`; the `get_feature_meta` methods of
 * `ludwig/features/{text,sequence,set,bag,category}_feature.py`).
 *
 * Special symbols (token-list vocabularies): Ludwig inserts, in this order, `<EOS>` at index 0,
 * `<SOS>` at 1, `<PAD>` at 2 and `<UNK>` at 3 (`SpecialSymbol` STOP=0, START=1, PADDING=2,
 * UNKNOWN=3), moving a symbol that already occurs in the data. Set features skip the first
 * three and only insert `<UNK>` at index 3; bag features get all four. Category features put
 * `<UNK>` at index 0, and only when `most_common` cuts the vocabulary.
 *
 * Encoded sequences are `<SOS> tokens… <EOS>`, unknown tokens mapped to `<UNK>`, truncated to
 * the length limit (the `<EOS>` is cut first) and padded with the `<PAD>` index on the right
 * or left.
 *
 * @module
 */
import { getTokenizer, pythonStrip, type Tokenizer } from "./tokenizers.ts";

/** Ludwig's padding symbol (`PADDING_SYMBOL`). */
export const PADDING_SYMBOL = "<PAD>";
/** Ludwig's unknown symbol (`UNKNOWN_SYMBOL`). */
export const UNKNOWN_SYMBOL = "<UNK>";
/** Ludwig's start-of-sequence symbol (`START_SYMBOL`). */
export const START_SYMBOL = "<SOS>";
/** Ludwig's end-of-sequence symbol (`STOP_SYMBOL`). */
export const STOP_SYMBOL = "<EOS>";

/**
 * Where Ludwig puts each special symbol in a token-list vocabulary (`SpecialSymbol` in
 * `strings_utils.py`).
 *
 * @example Indices
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { SPECIAL_SYMBOL_INDEX } from "./vocabulary.ts";
 * assertEquals(SPECIAL_SYMBOL_INDEX, { stop: 0, start: 1, padding: 2, unknown: 3 });
 * ```
 */
export const SPECIAL_SYMBOL_INDEX: Readonly<{
  stop: 0;
  start: 1;
  padding: 2;
  unknown: 3;
}> = Object.freeze({ stop: 0, start: 1, padding: 2, unknown: 3 } as const);

/** Default `max_sequence_length` of sequence and text features. */
export const DEFAULT_MAX_SEQUENCE_LENGTH = 256;

/**
 * The default of text features' `lowercase` for a config's `ludwig_version`: `true` before
 * 0.9, `false` from 0.9 on; an absent version means the current one, so `false`.
 *
 * @param ludwigVersion The config's `ludwig_version`, such as `"0.8.6"`.
 * @returns Whether text is lowercased by default.
 *
 * @example Before and after 0.9
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { defaultTextLowercase } from "./vocabulary.ts";
 * assertEquals(defaultTextLowercase("0.8.6"), true);
 * assertEquals(defaultTextLowercase("0.9"), false);
 * assertEquals(defaultTextLowercase(), false);
 * ```
 */
export function defaultTextLowercase(ludwigVersion?: string): boolean {
  if (ludwigVersion === undefined || ludwigVersion === "") return false;
  const match = /^v?(\d+)(?:\.(\d+))?/.exec(ludwigVersion.trim());
  if (match === null) {
    throw new TypeError(
      `Cannot read ludwig_version ${
        JSON.stringify(ludwigVersion)
      }: expected a version such as "0.8.6"`,
    );
  }
  const major = Number(match[1]);
  const minor = Number(match[2] ?? 0);
  return major === 0 && minor < 9;
}

/** Options shared by everything that tokenizes. */
export interface TokenizeOptions {
  /** A tokenizer name from `TOKENIZERS` or a tokenizer function. Default `"space"`. */
  tokenizer?: string | Tokenizer;
  /** Lowercase text before tokenizing it. Default `false`. */
  lowercase?: boolean;
  /** `ngram_size` for the `ngram` tokenizer. Default 2. */
  ngramSize?: number | null;
}

/** Options of {@linkcode buildVocabulary} (Ludwig `create_vocabulary` arguments). */
export interface BuildVocabularyOptions extends TokenizeOptions {
  /** Keep at most this many tokens, the most frequent ones, before special symbols are added. */
  mostCommon?: number | null;
  /**
   * A fixed vocabulary (from `vocab_file`, see {@linkcode readVocabFile}) used instead of the
   * tokens counted in the data; frequencies are still counted.
   */
  vocab?: readonly string[] | null;
  /** Add `<EOS>`, `<SOS>` and `<PAD>` (`false` for set features). `<UNK>` is always added. Default `true`. */
  addSpecialSymbols?: boolean;
  /** `padding_symbol`. Default `"<PAD>"`. */
  paddingSymbol?: string;
  /** `unknown_symbol`. Default `"<UNK>"`. */
  unknownSymbol?: string;
  /** Compute document frequencies and `str2idf` (`compute_idf`, for the `tf_idf` encoder). Default `false`. */
  computeIdf?: boolean;
}

/** Everything that defines a {@linkcode Vocabulary}. */
export interface VocabularyInit {
  /** Token of each index. */
  idx2str: readonly string[];
  /** Count of each token in the training data (0 when unseen); missing entries read as 0. */
  str2freq?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Inverse document frequency of each token, when computed. */
  str2idf?: ReadonlyMap<string, number> | Readonly<Record<string, number>> | null;
  /** The padding symbol. Default `"<PAD>"`. */
  paddingSymbol?: string;
  /** The unknown symbol. Default `"<UNK>"`. */
  unknownSymbol?: string;
  /** Most tokens in one training example, when known. */
  lineLengthMax?: number;
  /** 99th percentile of tokens per training example, when known. */
  lineLength99ptile?: number;
}

function toMap(
  source: ReadonlyMap<string, number> | Readonly<Record<string, number>> | undefined | null,
): Map<string, number> {
  if (source === undefined || source === null) return new Map();
  if (source instanceof Map) return new Map(source);
  return new Map(Object.entries(source as Record<string, number>));
}

function toRecord(
  map: ReadonlyMap<string, number>,
  keys: readonly string[],
): Record<string, number> {
  // A null prototype keeps tokens such as "__proto__" as plain own keys.
  const out: Record<string, number> = Object.create(null);
  for (const key of keys) out[key] = map.get(key) ?? 0;
  return out;
}

/** The vocabulary keys shared by every token-based feature's metadata (Ludwig keys). */
export interface VocabularyFeatureMetadata {
  /** Token of each index. */
  idx2str: string[];
  /** Index of each token. */
  str2idx: Record<string, number>;
  /** Training-data count of each token (0 for special symbols that never occur). */
  str2freq: Record<string, number>;
  /** Number of entries of `idx2str`. */
  vocab_size: number;
}

/** Feature-level training-set metadata of a `sequence` feature (Ludwig keys). */
export interface SequenceFeatureMetadata extends VocabularyFeatureMetadata {
  /** Padded length of every encoded row, `<SOS>` and `<EOS>` included. */
  max_sequence_length: number;
}

/** Feature-level training-set metadata of a `text` feature (Ludwig keys). */
export interface TextFeatureMetadata extends SequenceFeatureMetadata {
  /** Inverse document frequency of each token, or `null` without `compute_idf`. */
  str2idf: Record<string, number> | null;
  /** The length at the 99th percentile of training examples, computed as Ludwig does. */
  max_sequence_length_99ptile: number;
  /** Index of the padding symbol. */
  pad_idx: number | null;
  /** The padding symbol. */
  padding_symbol: string;
  /** The unknown symbol. */
  unknown_symbol: string;
}

/** Feature-level training-set metadata of a `set` or `bag` feature (Ludwig keys). */
export interface SetFeatureMetadata extends VocabularyFeatureMetadata {
  /** Most items in one training example. */
  max_set_size: number;
}

/** Feature-level training-set metadata of a `category` feature (Ludwig keys). */
export type CategoryFeatureMetadata = VocabularyFeatureMetadata;

/** Any feature metadata a {@linkcode Vocabulary} can be read back from. */
export type VocabularyMetadata = {
  idx2str: readonly string[];
  str2freq?: Readonly<Record<string, number>>;
  str2idf?: Readonly<Record<string, number>> | null;
  padding_symbol?: string;
  unknown_symbol?: string;
  max_set_size?: number;
};

/** Length limits of sequence and text features (Ludwig preprocessing keys). */
export interface SequenceLengthOptions {
  /** `sequence_length`: a fixed length, used as is when set. */
  sequenceLength?: number | null;
  /** `max_sequence_length`: caps the length found in the data. Default 256. */
  maxSequenceLength?: number | null;
}

/**
 * The padded length of sequence and text features, as Ludwig's `get_feature_meta` computes it:
 * `sequence_length` when set, otherwise the longest example plus 2 (for `<SOS>` and `<EOS>`),
 * capped at `max_sequence_length`.
 *
 * @param lineLengthMax Most tokens in one training example (without start and stop symbols).
 * @param options `sequenceLength` and `maxSequenceLength`.
 * @returns The `max_sequence_length` metadata value.
 *
 * @example Cap and fixed length
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { resolveSequenceLength } from "./vocabulary.ts";
 * assertEquals(resolveSequenceLength(5, {}), 7);
 * assertEquals(resolveSequenceLength(500, { maxSequenceLength: 256 }), 256);
 * assertEquals(resolveSequenceLength(500, { sequenceLength: 300, maxSequenceLength: 256 }), 300);
 * ```
 */
export function resolveSequenceLength(
  lineLengthMax: number,
  options: SequenceLengthOptions = {},
): number {
  const { sequenceLength, maxSequenceLength = DEFAULT_MAX_SEQUENCE_LENGTH } = options;
  if (sequenceLength !== undefined && sequenceLength !== null) return sequenceLength;
  const length = lineLengthMax + 2;
  return maxSequenceLength !== null && maxSequenceLength < length ? maxSequenceLength : length;
}

/**
 * A vocabulary: token ↔ index maps, token frequencies, optional inverse document frequencies
 * and the padding/unknown symbols, convertible to and from Ludwig's training-set metadata.
 *
 * @example Build, look up, serialize
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { buildVocabulary, Vocabulary } from "./vocabulary.ts";
 * const vocab = buildVocabulary(["a b b", "c b"]);
 * assertEquals(vocab.idx2str, ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "b", "a", "c"]);
 * assertEquals(vocab.indexOf("zzz"), 3);
 * const meta = vocab.toSequenceMetadata();
 * assertEquals(meta.max_sequence_length, 5);
 * assertEquals(Vocabulary.fromMetadata(meta).idx2str, vocab.idx2str);
 * ```
 */
export class Vocabulary {
  #idx2str: readonly string[];
  #str2idx: Map<string, number>;
  #str2freq: Map<string, number>;
  #str2idf: Map<string, number> | null;
  #paddingSymbol: string;
  #unknownSymbol: string;
  #lineLengthMax: number | undefined;
  #lineLength99ptile: number | undefined;

  /**
   * Create a vocabulary from its parts; use {@linkcode buildVocabulary} to build one from data.
   *
   * @param init The index → token list and optional frequencies, symbols and lengths.
   */
  constructor(init: VocabularyInit) {
    this.#idx2str = Object.freeze([...init.idx2str]);
    // Like Python's `{unit: i for i, unit in enumerate(vocab)}`: a repeated token keeps its last index.
    this.#str2idx = new Map();
    this.#idx2str.forEach((token, i) => this.#str2idx.set(token, i));
    this.#str2freq = toMap(init.str2freq);
    this.#str2idf = init.str2idf === undefined || init.str2idf === null
      ? null
      : toMap(init.str2idf);
    this.#paddingSymbol = init.paddingSymbol ?? PADDING_SYMBOL;
    this.#unknownSymbol = init.unknownSymbol ?? UNKNOWN_SYMBOL;
    this.#lineLengthMax = init.lineLengthMax;
    this.#lineLength99ptile = init.lineLength99ptile;
  }

  /** Number of entries (`vocab_size`). */
  get size(): number {
    return this.#idx2str.length;
  }

  /** The token of each index (`idx2str`). */
  get idx2str(): readonly string[] {
    return this.#idx2str;
  }

  /** The token → index map (`str2idx`). */
  get str2idx(): ReadonlyMap<string, number> {
    return this.#str2idx;
  }

  /** The padding symbol (`padding_symbol`). */
  get paddingSymbol(): string {
    return this.#paddingSymbol;
  }

  /** The unknown symbol (`unknown_symbol`). */
  get unknownSymbol(): string {
    return this.#unknownSymbol;
  }

  /** Index of the padding symbol (`pad_idx`), or `null` when the vocabulary has none. */
  get padIdx(): number | null {
    return this.#str2idx.get(this.#paddingSymbol) ?? null;
  }

  /** Index of the unknown symbol, or `null` when the vocabulary has none. */
  get unkIdx(): number | null {
    return this.#str2idx.get(this.#unknownSymbol) ?? null;
  }

  /** Most tokens in one training example, when the vocabulary was built from data. */
  get lineLengthMax(): number | undefined {
    return this.#lineLengthMax;
  }

  /** 99th percentile of tokens per training example (linear interpolation, as pandas). */
  get lineLength99ptile(): number | undefined {
    return this.#lineLength99ptile;
  }

  /** Whether inverse document frequencies were computed. */
  get hasIdf(): boolean {
    return this.#str2idf !== null;
  }

  /**
   * Whether `token` has an index.
   *
   * @param token The token.
   * @returns `true` when `token` is in the vocabulary.
   *
   * @example Membership
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { buildVocabulary } from "./vocabulary.ts";
   * assertEquals(buildVocabulary(["x"]).has("x"), true);
   * ```
   */
  has(token: string): boolean {
    return this.#str2idx.has(token);
  }

  /**
   * The index of `token`, or the unknown symbol's index for a token outside the vocabulary.
   *
   * @param token The token.
   * @returns Its index.
   * @throws {RangeError} The token is unknown and the vocabulary has no unknown symbol.
   *
   * @example Unknown tokens
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { buildVocabulary } from "./vocabulary.ts";
   * const vocab = buildVocabulary(["x y"]);
   * assertEquals([vocab.indexOf("x"), vocab.indexOf("nope")], [4, 3]);
   * ```
   */
  indexOf(token: string): number {
    const idx = this.#str2idx.get(token) ?? this.#str2idx.get(this.#unknownSymbol);
    if (idx === undefined) {
      throw new RangeError(
        `Cannot encode token ${
          JSON.stringify(token)
        }: it is not in the vocabulary, which has no unknown symbol ${
          JSON.stringify(this.#unknownSymbol)
        }`,
      );
    }
    return idx;
  }

  /**
   * How often `token` occurred in the training data (`str2freq`), 0 when unseen.
   *
   * @param token The token.
   * @returns Its count.
   *
   * @example Counts
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { buildVocabulary } from "./vocabulary.ts";
   * assertEquals(buildVocabulary(["b b a"]).frequency("b"), 2);
   * ```
   */
  frequency(token: string): number {
    return this.#str2freq.get(token) ?? 0;
  }

  /**
   * The inverse document frequency of every index, for the `tf_idf` encoder.
   *
   * @returns A `Float32Array` of length {@linkcode Vocabulary.size}.
   * @throws {TypeError} The vocabulary was built without `computeIdf`.
   *
   * @example IDF
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { buildVocabulary } from "./vocabulary.ts";
   * const vocab = buildVocabulary(["a b", "a"], { computeIdf: true });
   * assertEquals(vocab.idfVector().length, vocab.size);
   * ```
   */
  idfVector(): Float32Array {
    if (this.#str2idf === null) {
      throw new TypeError(
        "Cannot get inverse document frequencies: the vocabulary was built without computeIdf",
      );
    }
    const out = new Float32Array(this.#idx2str.length);
    this.#idx2str.forEach((token, i) => (out[i] = this.#str2idf!.get(token) ?? 0));
    return out;
  }

  #base(): VocabularyFeatureMetadata {
    const str2idx: Record<string, number> = Object.create(null);
    for (const [token, idx] of this.#str2idx) str2idx[token] = idx;
    return {
      idx2str: [...this.#idx2str],
      str2idx,
      str2freq: toRecord(this.#str2freq, this.#idx2str),
      vocab_size: this.#idx2str.length,
    };
  }

  #requireLengths(what: string): { max: number; p99: number } {
    if (this.#lineLengthMax === undefined) {
      throw new TypeError(
        `Cannot compute ${what} metadata: the vocabulary does not know the training example lengths`,
      );
    }
    return { max: this.#lineLengthMax, p99: this.#lineLength99ptile ?? this.#lineLengthMax };
  }

  /**
   * Ludwig's training-set metadata of a `sequence` feature.
   *
   * @param options `sequenceLength` and `maxSequenceLength` of the feature's preprocessing.
   * @returns `idx2str`, `str2idx`, `str2freq`, `vocab_size`, `max_sequence_length`.
   *
   * @example Sequence metadata
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { buildVocabulary } from "./vocabulary.ts";
   * assertEquals(buildVocabulary(["a b c"]).toSequenceMetadata({ maxSequenceLength: 4 }).max_sequence_length, 4);
   * ```
   */
  toSequenceMetadata(options: SequenceLengthOptions = {}): SequenceFeatureMetadata {
    const { max } = this.#requireLengths("sequence");
    return { ...this.#base(), max_sequence_length: resolveSequenceLength(max, options) };
  }

  /**
   * Ludwig's training-set metadata of a `text` feature (as `TextFeatureMixin.get_feature_meta`).
   *
   * @param options `sequenceLength` and `maxSequenceLength` of the feature's preprocessing.
   * @returns The sequence keys plus `str2idf`, `max_sequence_length_99ptile`, `pad_idx`,
   * `padding_symbol` and `unknown_symbol`.
   *
   * @example Text metadata
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { buildVocabulary } from "./vocabulary.ts";
   * const meta = buildVocabulary(["a b c"]).toTextMetadata();
   * assertEquals([meta.pad_idx, meta.padding_symbol, meta.str2idf], [2, "<PAD>", null]);
   * ```
   */
  toTextMetadata(options: SequenceLengthOptions = {}): TextFeatureMetadata {
    const { max, p99 } = this.#requireLengths("text");
    const { sequenceLength, maxSequenceLength = DEFAULT_MAX_SEQUENCE_LENGTH } = options;
    const maxLength = resolveSequenceLength(max, options);
    let p99Length: number;
    if (sequenceLength !== undefined && sequenceLength !== null) p99Length = sequenceLength;
    else if (maxSequenceLength !== null && maxSequenceLength < max + 2) {
      // Ludwig takes min(line_length_99ptile, max_sequence_length) here, without the + 2.
      p99Length = Math.min(p99, maxSequenceLength);
    } else p99Length = p99 + 2;
    return {
      ...this.#base(),
      str2idf: this.#str2idf === null ? null : toRecord(this.#str2idf, this.#idx2str),
      max_sequence_length: maxLength,
      max_sequence_length_99ptile: p99Length,
      pad_idx: this.padIdx,
      padding_symbol: this.#paddingSymbol,
      unknown_symbol: this.#unknownSymbol,
    };
  }

  /**
   * Ludwig's training-set metadata of a `set` or `bag` feature.
   *
   * @returns `idx2str`, `str2idx`, `str2freq`, `vocab_size`, `max_set_size`.
   *
   * @example Set metadata
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { buildVocabulary } from "./vocabulary.ts";
   * const vocab = buildVocabulary(["x y", "y"], { addSpecialSymbols: false });
   * assertEquals(vocab.toSetMetadata().max_set_size, 2);
   * ```
   */
  toSetMetadata(): SetFeatureMetadata {
    const { max } = this.#requireLengths("set");
    return { ...this.#base(), max_set_size: max };
  }

  /**
   * Ludwig's training-set metadata of a `category` feature.
   *
   * @returns `idx2str`, `str2idx`, `str2freq`, `vocab_size`.
   *
   * @example Category metadata
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { buildCategoryVocabulary } from "./vocabulary.ts";
   * assertEquals(buildCategoryVocabulary(["b", "a", "b"]).toCategoryMetadata().idx2str, ["b", "a"]);
   * ```
   */
  toCategoryMetadata(): CategoryFeatureMetadata {
    return this.#base();
  }

  /**
   * Read a vocabulary back from Ludwig feature metadata (any of the shapes above; `str2idx`
   * is rebuilt from `idx2str`).
   *
   * @param metadata The feature's entry in the training-set metadata.
   * @returns The vocabulary.
   *
   * @example Round trip through JSON
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { buildVocabulary, Vocabulary } from "./vocabulary.ts";
   * const meta = JSON.parse(JSON.stringify(buildVocabulary(["a b"]).toTextMetadata()));
   * assertEquals(Vocabulary.fromMetadata(meta).indexOf("b"), 5);
   * ```
   */
  static fromMetadata(metadata: VocabularyMetadata): Vocabulary {
    if (!Array.isArray(metadata?.idx2str)) {
      throw new TypeError('Cannot read vocabulary metadata: expected an "idx2str" array');
    }
    return new Vocabulary({
      idx2str: metadata.idx2str,
      str2freq: metadata.str2freq,
      str2idf: metadata.str2idf ?? null,
      paddingSymbol: metadata.padding_symbol,
      unknownSymbol: metadata.unknown_symbol,
      lineLengthMax: metadata.max_set_size,
    });
  }
}

function resolveTokenizer(options: TokenizeOptions): Tokenizer {
  const { tokenizer = "space", lowercase = false, ngramSize } = options;
  if (typeof tokenizer === "function") {
    return lowercase ? (text) => tokenizer(text.toLowerCase()) : tokenizer;
  }
  return getTokenizer(tokenizer, { lowercase, ngramSize });
}

/** pandas `Series.quantile(q)` with linear interpolation. */
function quantile(values: Int32Array, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = values.slice().sort();
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Python `list.insert` after `list.remove` when present (`add_or_move_symbol`). */
function addOrMoveSymbol(vocab: string[], symbol: string, index: number): void {
  const at = vocab.indexOf(symbol);
  if (at !== -1) vocab.splice(at, 1);
  vocab.splice(Math.min(index, vocab.length), 0, symbol);
}

/**
 * Build a vocabulary from raw strings, as Ludwig's `create_vocabulary` does.
 *
 * Each string is (optionally lowercased and) tokenized; tokens are counted, sorted by count
 * (ties keep the order of first appearance, as `Counter.most_common` over pandas'
 * `value_counts(sort=False)` does) and cut to `mostCommon`. Then `<EOS>`, `<SOS>`, `<PAD>`
 * (unless `addSpecialSymbols` is `false`) and `<UNK>` are inserted or moved to indices 0–3.
 * With `computeIdf`, `str2idf[t] = ln(vocab_size / (1 + df(t)))` for tokens seen in the data
 * and 0 otherwise (Ludwig's formula, which divides by the vocabulary size).
 *
 * @param texts One string per example (missing values already filled).
 * @param options Tokenizer, `lowercase`, `mostCommon`, `vocab`, symbols and `computeIdf`.
 * @returns The vocabulary, which also records the example lengths.
 *
 * @example A text vocabulary
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { buildVocabulary } from "./vocabulary.ts";
 * const vocab = buildVocabulary(["Hello, world!", "hello again"], {
 *   tokenizer: "space_punct",
 *   lowercase: true,
 *   mostCommon: 2,
 * });
 * assertEquals(vocab.idx2str, ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "hello", ","]);
 * assertEquals(vocab.lineLengthMax, 4);
 * ```
 */
export function buildVocabulary(
  texts: Iterable<string>,
  options: BuildVocabularyOptions = {},
): Vocabulary {
  const {
    mostCommon = null,
    vocab: fixedVocab = null,
    addSpecialSymbols = true,
    paddingSymbol = PADDING_SYMBOL,
    unknownSymbol = UNKNOWN_SYMBOL,
    computeIdf = false,
  } = options;
  const tokenize = resolveTokenizer(options);
  const counts = new Map<string, number>();
  const docCounts = computeIdf ? new Map<string, number>() : null;
  const lengths: number[] = [];
  for (const text of texts) {
    const tokens = tokenize(text);
    lengths.push(tokens.length);
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    if (docCounts !== null) {
      for (const token of new Set(tokens)) docCounts.set(token, (docCounts.get(token) ?? 0) + 1);
    }
  }
  let vocab: string[];
  if (fixedVocab !== null) vocab = [...fixedVocab];
  else {
    // Array.prototype.sort is stable, so equal counts keep first-appearance order.
    const entries = [...counts].sort((a, b) => b[1] - a[1]);
    const kept = mostCommon === null || mostCommon === undefined
      ? entries
      : entries.slice(0, Math.max(0, mostCommon));
    vocab = kept.map(([token]) => token);
  }
  if (addSpecialSymbols) {
    addOrMoveSymbol(vocab, STOP_SYMBOL, SPECIAL_SYMBOL_INDEX.stop);
    addOrMoveSymbol(vocab, START_SYMBOL, SPECIAL_SYMBOL_INDEX.start);
    addOrMoveSymbol(vocab, paddingSymbol, SPECIAL_SYMBOL_INDEX.padding);
  }
  addOrMoveSymbol(vocab, unknownSymbol, SPECIAL_SYMBOL_INDEX.unknown);
  let str2idf: Map<string, number> | null = null;
  if (docCounts !== null) {
    str2idf = new Map();
    for (const token of vocab) {
      const df = docCounts.get(token);
      str2idf.set(token, df === undefined ? 0 : Math.log(vocab.length / (1 + df)));
    }
  }
  const lengthArray = Int32Array.from(lengths);
  let lineLengthMax = 0;
  for (const n of lengthArray) if (n > lineLengthMax) lineLengthMax = n;
  return new Vocabulary({
    idx2str: vocab,
    str2freq: counts,
    str2idf,
    paddingSymbol,
    unknownSymbol,
    lineLengthMax,
    lineLength99ptile: quantile(lengthArray, 0.99),
  });
}

/** Options of {@linkcode buildCategoryVocabulary}. */
export interface CategoryVocabularyOptions {
  /** `most_common`: keep this many values; `<UNK>` is added at index 0 only when values are cut. Default 10000. */
  mostCommon?: number;
  /** `unknown_symbol`. Default `"<UNK>"`. */
  unknownSymbol?: string;
  /** An explicit `vocab` (category `preprocessing.vocab`), used as is when non-empty. */
  vocab?: readonly string[] | null;
}

/**
 * Build a category vocabulary, as Ludwig's `create_vocabulary_single_token`: values are
 * stripped and sorted by count (ties in first-appearance order); when there are more distinct
 * values than `mostCommon`, the kept values are preceded by `<UNK>` at index 0, otherwise
 * there is no `<UNK>` at all.
 *
 * @param values One value per example.
 * @param options `mostCommon`, `unknownSymbol`, `vocab`.
 * @returns The vocabulary.
 *
 * @example UNK only when cut
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { buildCategoryVocabulary } from "./vocabulary.ts";
 * assertEquals(buildCategoryVocabulary(["a", "b", "b"]).idx2str, ["b", "a"]);
 * assertEquals(buildCategoryVocabulary(["a", "b", "b"], { mostCommon: 1 }).idx2str, ["<UNK>", "b"]);
 * ```
 */
export function buildCategoryVocabulary(
  values: Iterable<string>,
  options: CategoryVocabularyOptions = {},
): Vocabulary {
  const { mostCommon = 10000, unknownSymbol = UNKNOWN_SYMBOL, vocab: fixed = null } = options;
  const counts = new Map<string, number>();
  for (const value of values) {
    const v = pythonStrip(value);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const full = [...counts].sort((a, b) => b[1] - a[1]).map(([v]) => v);
  let vocab: string[];
  if (fixed !== null && fixed.length > 0) vocab = [...fixed];
  else if (mostCommon < full.length) vocab = [unknownSymbol, ...full.slice(0, mostCommon)];
  else vocab = full;
  return new Vocabulary({ idx2str: vocab, str2freq: counts, unknownSymbol });
}

/**
 * Encode category values, as Ludwig's category `feature_data`: the stripped value's index;
 * for a value outside the vocabulary, the `<UNK>` index when there is one, otherwise the index
 * of the most frequent value.
 *
 * @param values One value per example.
 * @param vocab A vocabulary from {@linkcode buildCategoryVocabulary}.
 * @returns One index per value.
 *
 * @example Fallbacks
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { buildCategoryVocabulary, encodeCategories } from "./vocabulary.ts";
 * const vocab = buildCategoryVocabulary(["a", "b", "b"]);
 * assertEquals([...encodeCategories([" a ", "zzz"], vocab)], [1, 0]);
 * ```
 */
export function encodeCategories(values: readonly string[], vocab: Vocabulary): Int32Array {
  let fallback = vocab.unkIdx;
  if (fallback === null) {
    let best = -1;
    for (const [token, idx] of vocab.str2idx) {
      const f = vocab.frequency(token);
      if (f > best) {
        best = f;
        fallback = idx;
      }
    }
  }
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const idx = vocab.str2idx.get(pythonStrip(values[i])) ?? fallback;
    if (idx === null) throw new RangeError("Cannot encode categories: the vocabulary is empty");
    out[i] = idx;
  }
  return out;
}

/**
 * Parse the text of a `vocab_file`, as Ludwig's `load_vocabulary`: one token per line, each
 * line stripped and cut at its first space (so GloVe-style files work too).
 *
 * @param text The file's contents.
 * @returns The tokens, in file order.
 *
 * @example Parse
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { parseVocabFile } from "./vocabulary.ts";
 * assertEquals(parseVocabFile("the 0.1 0.2\ncat\n"), ["the", "cat"]);
 * ```
 */
export function parseVocabFile(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => {
    const s = pythonStrip(line);
    const space = s.indexOf(" ");
    return space === -1 ? s : s.slice(0, space);
  });
}

/**
 * Read a `vocab_file` (UTF-8, one token per line); see {@linkcode parseVocabFile}.
 *
 * @param path The file path.
 * @returns The tokens, in file order.
 *
 * @example Read a vocabulary file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { buildVocabulary, readVocabFile } from "./vocabulary.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "cat\ndog\n");
 * const vocab = buildVocabulary(["dog bird"], { vocab: await readVocabFile(path) });
 * assertEquals(vocab.idx2str, ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "cat", "dog"]);
 * await Deno.remove(path);
 * ```
 */
export async function readVocabFile(path: string | URL): Promise<string[]> {
  return parseVocabFile(await Deno.readTextFile(path));
}

/** Options of {@linkcode encodeSequences}. */
export interface EncodeSequencesOptions extends TokenizeOptions, SequenceLengthOptions {
  /**
   * The padded length, used as is (for example the `max_sequence_length` stored in the
   * training-set metadata). Without it the length is {@linkcode resolveSequenceLength} of the
   * vocabulary's longest training example, or of these texts' longest one.
   */
  length?: number;
  /** `padding`: pad on the `"right"` (default) or `"left"`. */
  padding?: "right" | "left";
  /** Wrap each sequence in `<SOS>` … `<EOS>`, as Ludwig does for every sequence and text feature. Default `true`. */
  addStartStop?: boolean;
}

/** A padded index matrix: row `i` is `data.subarray(i * L, (i + 1) * L)`. */
export interface EncodedSequences {
  /** Row-major `[N, L]` token indices. */
  data: Int32Array;
  /** `[N, L]`. */
  shape: [number, number];
  /** Entries of each row that are not padding (start and stop symbols included). */
  lengths: Int32Array;
}

/**
 * Encode strings as a padded matrix of token indices, as Ludwig's `build_sequence_matrix`:
 * each row is `<SOS>`, the token indices (unknown tokens → `<UNK>`), `<EOS>`; rows longer than
 * `L` are truncated at the end, shorter ones are filled with the `<PAD>` index on the right or
 * left.
 *
 * @param texts One string per example.
 * @param vocab The vocabulary (must hold `<SOS>`, `<EOS>`, the padding and unknown symbols).
 * @param options Tokenizer, `lowercase`, length options, `padding`.
 * @returns The `[N, L]` matrix and the unpadded row lengths.
 * @throws {RangeError} The vocabulary lacks a symbol the encoding needs.
 *
 * @example Right and left padding
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { buildVocabulary, encodeSequences } from "./vocabulary.ts";
 * const vocab = buildVocabulary(["a b c", "a"]);
 * const right = encodeSequences(["a b", "a zzz a a"], vocab);
 * assertEquals(right.shape, [2, 5]);
 * assertEquals([...right.data], [1, 4, 5, 0, 2, 1, 4, 3, 4, 4]);
 * const left = encodeSequences(["a"], vocab, { padding: "left" });
 * assertEquals([...left.data], [2, 2, 1, 4, 0]);
 * ```
 */
export function encodeSequences(
  texts: readonly string[],
  vocab: Vocabulary,
  options: EncodeSequencesOptions = {},
): EncodedSequences {
  const { padding = "right", addStartStop = true } = options;
  if (padding !== "right" && padding !== "left") {
    throw new TypeError(
      `Cannot pad sequences: expected padding "right" or "left", received ${
        JSON.stringify(padding)
      }`,
    );
  }
  const tokenize = resolveTokenizer(options);
  const need = (symbol: string, what: string): number => {
    const idx = vocab.str2idx.get(symbol);
    if (idx === undefined) {
      throw new RangeError(
        `Cannot encode sequences: the vocabulary has no ${what} symbol ${JSON.stringify(symbol)}`,
      );
    }
    return idx;
  };
  const unk = need(vocab.unknownSymbol, "unknown");
  const pad = need(vocab.paddingSymbol, "padding");
  const sos = addStartStop ? need(START_SYMBOL, "start") : -1;
  const eos = addStartStop ? need(STOP_SYMBOL, "stop") : -1;
  const extra = addStartStop ? 2 : 0;
  const str2idx = vocab.str2idx;

  const rows: Int32Array[] = new Array(texts.length);
  let observed = 0;
  for (let i = 0; i < texts.length; i++) {
    const tokens = tokenize(texts[i]);
    if (tokens.length > observed) observed = tokens.length;
    const row = new Int32Array(tokens.length + extra);
    let j = 0;
    if (addStartStop) row[j++] = sos;
    for (const token of tokens) row[j++] = str2idx.get(token) ?? unk;
    if (addStartStop) row[j++] = eos;
    rows[i] = row;
  }
  let length = options.length;
  if (length === undefined) {
    const { sequenceLength, maxSequenceLength = DEFAULT_MAX_SEQUENCE_LENGTH } = options;
    if (sequenceLength !== undefined && sequenceLength !== null) length = sequenceLength;
    else {
      length = (vocab.lineLengthMax ?? observed) + extra;
      if (maxSequenceLength !== null && maxSequenceLength < length) length = maxSequenceLength;
    }
  }
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`Cannot encode sequences: expected a length >= 0, received ${length}`);
  }
  const data = new Int32Array(texts.length * length).fill(pad);
  const lengths = new Int32Array(texts.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const n = Math.min(row.length, length);
    const offset = i * length + (padding === "right" ? 0 : length - n);
    data.set(n === row.length ? row : row.subarray(0, n), offset);
    lengths[i] = n;
  }
  return { data, shape: [texts.length, length], lengths };
}

/** A dense `[N, V]` matrix. */
export interface DenseMatrix<T extends Float32Array | Uint8Array> {
  /** Row-major values. */
  data: T;
  /** `[N, V]`. */
  shape: [number, number];
}

function tokenIndices(text: string, tokenize: Tokenizer, vocab: Vocabulary, unk: number): number[] {
  const out: number[] = [];
  for (const token of tokenize(text)) out.push(vocab.str2idx.get(token) ?? unk);
  return out;
}

function requireUnknown(vocab: Vocabulary, what: string): number {
  const unk = vocab.unkIdx;
  if (unk === null) {
    throw new RangeError(
      `Cannot encode ${what}: the vocabulary has no unknown symbol ${
        JSON.stringify(vocab.unknownSymbol)
      }`,
    );
  }
  return unk;
}

/**
 * Encode set features as multi-hot rows, as Ludwig's set `feature_data` (unknown items set
 * the `<UNK>` column).
 *
 * @param values One string per example, split by the tokenizer (default `"space"`).
 * @param vocab The set vocabulary.
 * @param options Tokenizer and `lowercase`.
 * @returns A `[N, V]` matrix of 0/1.
 *
 * @example Multi-hot
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { buildVocabulary, encodeSet } from "./vocabulary.ts";
 * const vocab = buildVocabulary(["x y", "y"], { addSpecialSymbols: false });
 * assertEquals(vocab.idx2str, ["y", "x", "<UNK>"]);
 * assertEquals([...encodeSet(["x x q"], vocab).data], [0, 1, 1]);
 * ```
 */
export function encodeSet(
  values: readonly string[],
  vocab: Vocabulary,
  options: TokenizeOptions = {},
): DenseMatrix<Uint8Array> {
  const tokenize = resolveTokenizer(options);
  const unk = requireUnknown(vocab, "sets");
  const v = vocab.size;
  const data = new Uint8Array(values.length * v);
  for (let i = 0; i < values.length; i++) {
    for (const idx of tokenIndices(values[i], tokenize, vocab, unk)) data[i * v + idx] = 1;
  }
  return { data, shape: [values.length, v] };
}

/**
 * Encode bag features as count rows, as Ludwig's bag `feature_data` (unknown items count in
 * the `<UNK>` column).
 *
 * @param values One string per example, split by the tokenizer (default `"space"`).
 * @param vocab The bag vocabulary.
 * @param options Tokenizer and `lowercase`.
 * @returns A `[N, V]` matrix of counts.
 *
 * @example Counts
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { buildVocabulary, encodeBag } from "./vocabulary.ts";
 * const vocab = buildVocabulary(["x y"]);
 * assertEquals([...encodeBag(["x x q"], vocab).data], [0, 0, 0, 1, 2, 0]);
 * ```
 */
export function encodeBag(
  values: readonly string[],
  vocab: Vocabulary,
  options: TokenizeOptions = {},
): DenseMatrix<Float32Array> {
  const tokenize = resolveTokenizer(options);
  const unk = requireUnknown(vocab, "bags");
  const v = vocab.size;
  const data = new Float32Array(values.length * v);
  for (let i = 0; i < values.length; i++) {
    for (const idx of tokenIndices(values[i], tokenize, vocab, unk)) data[i * v + idx] += 1;
  }
  return { data, shape: [values.length, v] };
}

/**
 * TF-IDF rows from encoded sequences, as Ludwig's `tf_idf` encoder computes them: the counts
 * of every index in the padded row (padding, start and stop included), divided by the row's
 * total, times the vocabulary's IDF (special symbols unseen in the data have IDF 0).
 *
 * @param encoded The output of {@linkcode encodeSequences}.
 * @param vocab A vocabulary built with `computeIdf: true`.
 * @returns A `[N, V]` matrix.
 *
 * @example TF-IDF
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { buildVocabulary, encodeSequences, tfidfMatrix } from "./vocabulary.ts";
 * const texts = ["a b", "a"];
 * const vocab = buildVocabulary(texts, { computeIdf: true });
 * const tfidf = tfidfMatrix(encodeSequences(texts, vocab), vocab);
 * assertEquals(tfidf.shape, [2, 6]);
 * ```
 */
export function tfidfMatrix(
  encoded: EncodedSequences,
  vocab: Vocabulary,
): DenseMatrix<Float32Array> {
  const idf = vocab.idfVector();
  const [n, l] = encoded.shape;
  const v = vocab.size;
  const data = new Float32Array(n * v);
  for (let i = 0; i < n; i++) {
    const base = i * v;
    for (let j = 0; j < l; j++) {
      const idx = encoded.data[i * l + j];
      if (idx < 0 || idx >= v) {
        throw new RangeError(
          `Cannot compute TF-IDF: index ${idx} at row ${i} is outside the vocabulary of size ${v}`,
        );
      }
      data[base + idx] += 1;
    }
    if (l > 0) { for (let k = 0; k < v; k++) data[base + k] = (data[base + k] / l) * idf[k]; }
  }
  return { data, shape: [n, v] };
}
