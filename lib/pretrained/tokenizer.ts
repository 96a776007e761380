/**
 * Tokenizers of Hugging Face model folders, read with `@huggingface/tokenizers` (a pure TS
 * implementation of the `tokenizers` library: normalizers, pre-tokenizers, WordPiece / BPE /
 * Unigram models, post-processors).
 *
 * A folder's `tokenizer.json` (with `tokenizer_config.json` and `special_tokens_map.json` when
 * present) is read as is. Without one, the legacy files are turned into the equivalent
 * `tokenizer.json`: `vocab.txt` → a BERT WordPiece tokenizer (`do_lower_case` from
 * `tokenizer_config.json`, default true), `vocab.json` + `merges.txt` → a byte-level BPE
 * tokenizer with RoBERTa's `<s> … </s>`.
 *
 * {@linkcode HfTokenizer.encode} pads and truncates a batch to a fixed length that counts the
 * special tokens: the text's own tokens are cut so that the special tokens always survive, as the
 * Hugging Face tokenizers' `truncation=True` does.
 *
 * @module
 */
import { Tokenizer } from "npm:@huggingface/tokenizers@0.2.0";
import { join } from "node:path";
import { DataError } from "../data/errors.ts";

/** The batch {@linkcode HfTokenizer.encode} returns, row-major [n, maxLength]. */
export interface TokenizedBatch {
  /** Token ids [n, maxLength], padded with the pad id. */
  ids: Int32Array;
  /** 1 at real tokens (special tokens included), 0 at padding, [n, maxLength]. */
  attentionMask: Int32Array;
  /** The number of texts. */
  n: number;
  /** The row length. */
  maxLength: number;
}

/** Options of {@linkcode HfTokenizer.encode}. */
export interface EncodeOptions {
  /** The row length, special tokens included (Ludwig's `max_sequence_length`). */
  maxLength: number;
  /** Add the model's special tokens (`[CLS] … [SEP]`, `<s> … </s>`); default true. */
  addSpecialTokens?: boolean;
}

type Json = Record<string, unknown>;

async function readJson(path: string): Promise<Json | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new SyntaxError("not a JSON object");
    }
    return value as Json;
  } catch (e) {
    throw new DataError(`Cannot read the tokenizer file "${path}": ${(e as Error).message}`);
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** A special token's text from a config entry (a string or an AddedToken object). */
function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as Json).content === "string") {
    return (value as Json).content as string;
  }
  return undefined;
}

function addedToken(content: string, id: number) {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  };
}

/** The `tokenizer.json` equivalent of a BERT `vocab.txt`. */
export function wordPieceTokenizerJson(vocabText: string, config: Json = {}): Json {
  const vocab: Record<string, number> = {};
  vocabText.split(/\r?\n/).forEach((line, i) => {
    if (line.length > 0 && !(line in vocab)) vocab[line] = i;
  });
  const name = (key: string, fallback: string) => tokenText(config[key]) ?? fallback;
  const cls = name("cls_token", "[CLS]");
  const sep = name("sep_token", "[SEP]");
  const unk = name("unk_token", "[UNK]");
  const specials = [unk, sep, name("pad_token", "[PAD]"), cls, name("mask_token", "[MASK]")];
  for (const t of [cls, sep, unk]) {
    if (!(t in vocab)) throw new DataError(`The vocabulary has no "${t}" token`);
  }
  return {
    version: "1.0",
    added_tokens: specials.filter((t) => t in vocab).map((t) => addedToken(t, vocab[t])),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars ?? true,
      strip_accents: config.strip_accents ?? null,
      lowercase: config.do_lower_case ?? true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: { type: "BertProcessing", sep: [sep, vocab[sep]], cls: [cls, vocab[cls]] },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: unk,
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** The `tokenizer.json` equivalent of a GPT-2/RoBERTa `vocab.json` + `merges.txt`. */
export function byteLevelBpeTokenizerJson(
  vocab: Record<string, number>,
  mergesText: string,
  config: Json = {},
): Json {
  const merges = mergesText.split(/\r?\n/).filter((l) => l.length > 0 && !l.startsWith("#version"));
  const name = (key: string, fallback: string) => tokenText(config[key]) ?? fallback;
  const bos = name("bos_token", "<s>");
  const eos = name("eos_token", "</s>");
  const cls = name("cls_token", bos);
  const sep = name("sep_token", eos);
  const specials = [bos, name("pad_token", "<pad>"), eos, name("unk_token", "<unk>")];
  specials.push(name("mask_token", "<mask>"));
  const withSpecials = cls in vocab && sep in vocab;
  return {
    version: "1.0",
    added_tokens: [...new Set(specials)].filter((t) => t in vocab).map((t) =>
      addedToken(t, vocab[t])
    ),
    normalizer: null,
    pre_tokenizer: {
      type: "ByteLevel",
      add_prefix_space: config.add_prefix_space ?? false,
      trim_offsets: true,
      use_regex: true,
    },
    post_processor: withSpecials
      ? {
        type: "RobertaProcessing",
        sep: [sep, vocab[sep]],
        cls: [cls, vocab[cls]],
        trim_offsets: true,
        add_prefix_space: config.add_prefix_space ?? false,
      }
      : null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      vocab,
      merges,
    },
  };
}

/**
 * A model folder's tokenizer: encodes batches of texts to fixed-length id rows with the model's
 * special tokens, and exposes the vocabulary size and pad id the encoder needs.
 */
export class HfTokenizer {
  /** The folder it was read from. */
  readonly folder: string;
  /** The id padding fills rows with. */
  readonly padId: number;
  /** The pad token's text. */
  readonly padToken: string;
  /** One more than the largest token id (added tokens included). */
  readonly vocabSize: number;
  /** `model_max_length` of `tokenizer_config.json`, when it gives a usable one. */
  readonly modelMaxLength?: number;
  /** The `tokenizer.json` and config it was built from (JSON: save it to rebuild the tokenizer). */
  readonly source: { tokenizer: Json; config: Json };
  readonly #tokenizer: Tokenizer;

  /**
   * @param tokenizerJson The parsed `tokenizer.json`.
   * @param config `tokenizer_config.json` merged with `special_tokens_map.json`.
   * @param folder Where it came from (for messages).
   */
  constructor(tokenizerJson: Json, config: Json = {}, folder = "<memory>") {
    this.folder = folder;
    this.source = { tokenizer: tokenizerJson, config };
    try {
      this.#tokenizer = new Tokenizer(tokenizerJson, config);
    } catch (e) {
      throw new DataError(
        `Cannot build the tokenizer of "${folder}": ${(e as Error).message}`,
      );
    }
    const vocab = this.#tokenizer.get_vocab(true);
    let max = -1;
    for (const id of vocab.values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    const padding = tokenizerJson.padding as Json | null | undefined;
    const candidates = [
      tokenText(config.pad_token),
      typeof padding?.pad_token === "string" ? padding.pad_token : undefined,
      "[PAD]",
      "<pad>",
      // GPT-2 has none: pad with the end-of-text token, as Ludwig does; OpenAI GPT has
      // neither: the unknown token (causal models never attend to the padding at the end).
      tokenText(config.eos_token),
      tokenText(config.unk_token),
    ];
    let padToken: string | undefined;
    let padId: number | undefined;
    for (const c of candidates) {
      if (c === undefined) continue;
      const id = this.#tokenizer.token_to_id(c);
      if (id !== undefined) {
        padToken = c;
        padId = id;
        break;
      }
    }
    if (padId === undefined && typeof padding?.pad_id === "number") {
      padId = padding.pad_id;
      padToken = this.#tokenizer.id_to_token(padId) ?? String(padId);
    }
    if (padId === undefined || padToken === undefined) {
      throw new DataError(
        `The tokenizer of "${folder}" has no pad token (tokenizer_config.json's pad_token, ` +
          `or "[PAD]"/"<pad>" in the vocabulary)`,
      );
    }
    this.padId = padId;
    this.padToken = padToken;
    const maxLen = config.model_max_length;
    if (typeof maxLen === "number" && Number.isFinite(maxLen) && maxLen > 0 && maxLen < 1e6) {
      this.modelMaxLength = maxLen;
    }
  }

  /** Rebuild a tokenizer from its {@linkcode source} (as saved with a model). */
  static fromSource(source: { tokenizer: Json; config: Json }, folder = "<saved>"): HfTokenizer {
    return new HfTokenizer(source.tokenizer, source.config, folder);
  }

  /** The id of a token, or undefined when the vocabulary lacks it. */
  tokenToId(token: string): number | undefined {
    return this.#tokenizer.token_to_id(token);
  }

  /** The token of an id. */
  idToToken(id: number): string | undefined {
    return this.#tokenizer.id_to_token(id);
  }

  /** The token ids of one text, without padding or truncation. */
  tokenize(text: string, addSpecialTokens = true): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  /** The text of ids (special tokens skipped). */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return "";
    return this.#tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  /**
   * Encode texts to rows of `maxLength` ids: the special tokens kept, the text's tokens cut to
   * fit, the rest padded with {@linkcode padId}.
   *
   * @throws {RangeError} `maxLength` cannot hold the special tokens.
   */
  encode(texts: readonly string[], options: EncodeOptions): TokenizedBatch {
    const { maxLength } = options;
    const special = options.addSpecialTokens ?? true;
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      throw new RangeError(`max_sequence_length must be a positive integer, got ${maxLength}`);
    }
    const n = texts.length;
    const ids = new Int32Array(n * maxLength).fill(this.padId);
    const attentionMask = new Int32Array(n * maxLength);
    for (let r = 0; r < n; r++) {
      const text = String(texts[r] ?? "");
      let row: number[];
      const encode = (withSpecial: boolean) =>
        this.#tokenizer.encode(text, { add_special_tokens: withSpecial }).ids;
      if (!special) row = encode(false).slice(0, maxLength);
      else {
        const full = encode(true);
        row = full.length <= maxLength ? full : this.#truncate(full, encode(false), maxLength);
      }
      ids.set(row, r * maxLength);
      attentionMask.fill(1, r * maxLength, r * maxLength + row.length);
    }
    return { ids, attentionMask, n, maxLength };
  }

  /** Cut the text's own tokens out of a post-processed row so that it fits `maxLength`. */
  #truncate(full: number[], content: number[], maxLength: number): number[] {
    const start = findRun(full, content);
    if (start < 0) return full.slice(0, maxLength); // a post-processor that rewrote the tokens
    const prefix = full.slice(0, start);
    const suffix = full.slice(start + content.length);
    const room = maxLength - prefix.length - suffix.length;
    if (room < 0) {
      throw new RangeError(
        `max_sequence_length ${maxLength} cannot hold the tokenizer's ` +
          `${prefix.length + suffix.length} special tokens`,
      );
    }
    return [...prefix, ...content.slice(0, room), ...suffix];
  }
}

function findRun(haystack: number[], needle: number[]): number {
  if (needle.length === 0) return haystack.length === 0 ? 0 : 1;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Read the tokenizer of a Hugging Face model folder: `tokenizer.json`, or `vocab.txt`
 * (WordPiece), or `vocab.json` + `merges.txt` (byte-level BPE); `tokenizer_config.json` and
 * `special_tokens_map.json` complete it.
 *
 * @throws {DataError} The folder has none of these files, or one cannot be read.
 */
export async function loadHfTokenizer(folder: string): Promise<HfTokenizer> {
  const config: Json = {
    ...(await readJson(join(folder, "special_tokens_map.json")) ?? {}),
    ...(await readJson(join(folder, "tokenizer_config.json")) ?? {}),
  };
  const tokenizerJson = await readJson(join(folder, "tokenizer.json"));
  if (tokenizerJson) return new HfTokenizer(tokenizerJson, config, folder);
  const vocabTxt = await readText(join(folder, "vocab.txt"));
  if (vocabTxt !== undefined) {
    return new HfTokenizer(wordPieceTokenizerJson(vocabTxt, config), config, folder);
  }
  const vocabJson = await readJson(join(folder, "vocab.json"));
  const merges = await readText(join(folder, "merges.txt"));
  if (vocabJson && merges !== undefined) {
    const vocab = vocabJson as Record<string, number>;
    return new HfTokenizer(byteLevelBpeTokenizerJson(vocab, merges, config), config, folder);
  }
  throw new DataError(
    `The model folder "${folder}" has no tokenizer: expected tokenizer.json, vocab.txt, or ` +
      `vocab.json with merges.txt`,
  );
}
