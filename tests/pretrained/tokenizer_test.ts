import { deepStrictEqual as assertEquals, ok, rejects, throws } from "node:assert/strict";
import { HfTokenizer, loadHfTokenizer } from "../../lib/pretrained/tokenizer.ts";
import { DataError } from "../../lib/data/errors.ts";

const ROOT = new URL("../fixtures/hf/tokenizers/", import.meta.url).pathname;
const EXPECTED = JSON.parse(await Deno.readTextFile(`${ROOT}expected.json`)) as {
  texts: string[];
  cases: Record<string, {
    vocab_size: number;
    pad_id: number;
    full: number[][];
    max_length_8: { ids: number[][]; attention_mask: number[][] };
  }>;
};

function rows(a: Int32Array, n: number, l: number): number[][] {
  return Array.from({ length: n }, (_, r) => [...a.subarray(r * l, (r + 1) * l)]);
}

for (const kind of ["wordpiece", "bpe", "gpt2", "unigram"]) {
  const legacy = kind === "wordpiece" || kind === "bpe";
  for (const folder of legacy ? [kind, `${kind}_legacy`] : [kind]) {
    const what = folder.endsWith("legacy")
      ? (kind === "bpe" ? "vocab.json + merges.txt" : "vocab.txt")
      : "tokenizer.json";
    Deno.test(`loadHfTokenizer() reads ${kind} from ${what} with the reference ids`, async () => {
      const tok = await loadHfTokenizer(`${ROOT}${folder}`);
      const want = EXPECTED.cases[kind];
      assertEquals(tok.padId, want.pad_id);
      assertEquals(tok.vocabSize, want.vocab_size);
      assertEquals(EXPECTED.texts.map((t) => tok.tokenize(t)), want.full);
      const longest = Math.max(...want.full.map((r) => r.length));
      // Padding only: the rows are the full rows, then pad ids.
      const padded = tok.encode(EXPECTED.texts, { maxLength: longest + 3 });
      assertEquals(
        rows(padded.ids, padded.n, padded.maxLength),
        want.full.map((r) => [...r, ...Array(longest + 3 - r.length).fill(want.pad_id)]),
      );
      // Truncation: max_sequence_length counts the special tokens, which always survive
      // (GPT-2 has none: its rows are cut at the end).
      const cut = tok.encode(EXPECTED.texts, { maxLength: 8 });
      assertEquals(rows(cut.ids, cut.n, 8), want.max_length_8.ids);
      assertEquals(rows(cut.attentionMask, cut.n, 8), want.max_length_8.attention_mask);
    });
  }
}

Deno.test("HfTokenizer.encode() rejects a length that cannot hold the special tokens", async () => {
  const tok = await loadHfTokenizer(`${ROOT}wordpiece`);
  throws(() => tok.encode(["the cat sat"], { maxLength: 1 }), RangeError);
  throws(() => tok.encode(["x"], { maxLength: 0 }), RangeError);
  // Without special tokens the row is the text's own tokens.
  const plain = tok.encode(["the cat"], { maxLength: 4, addSpecialTokens: false });
  assertEquals([...plain.ids], [62, 63, 0, 0]);
  assertEquals(tok.decode([2, 62, 63, 3]), "the cat");
});

Deno.test("loadHfTokenizer() names the folder when it has no tokenizer files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(loadHfTokenizer(dir), (e: Error) => {
      ok(e instanceof DataError);
      ok(e.message.includes(dir) && e.message.includes("tokenizer.json"), e.message);
      return true;
    });
    await Deno.writeTextFile(`${dir}/tokenizer.json`, "{ not json");
    await rejects(loadHfTokenizer(dir), (e: Error) => e.message.includes("tokenizer.json"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HfTokenizer rejects a vocabulary without a pad token", () => {
  const json = {
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: { "[UNK]": 0, "a": 1 },
    },
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: "WhitespaceSplit" },
    post_processor: null,
    decoder: null,
  };
  throws(() => new HfTokenizer(json, {}, "mem"), (e: Error) => e.message.includes("pad token"));
});
