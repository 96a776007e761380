import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import { postprocessPredictions, preprocessForPrediction } from "../../lib/features/preprocess.ts";
import { config, train, values, withTempDir } from "./_helpers.ts";

const out = [{ name: "y", type: "binary" }];
const Y = [true, false, true];

Deno.test("sequence features encode <SOS> tokens <EOS> padded with <PAD>", async () => {
  const cfg = config([{ name: "s", type: "sequence" }], out);
  const r = await train(cfg, { s: ["a b", "b", null], y: Y });
  // vocab: <EOS> <SOS> <PAD> <UNK> b a  (missing filled with "<UNK>")
  assert.deepEqual(r.metadata.s.idx2str, ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "b", "a"]);
  assert.equal(r.metadata.s.max_sequence_length, 4);
  assert.deepEqual(r.training.columns.s.shape, [4]);
  assert.equal(r.training.columns.s.dtype, "int32");
  assert.deepEqual(values(r, "s"), [1, 5, 4, 0, 1, 4, 0, 2, 1, 3, 0, 2]);
  const p = await preprocessForPrediction(
    cfg,
    r.metadata,
    Dataset.fromColumns({ s: ["a zz b b b"] }),
  );
  assert.deepEqual(Array.from(p.split.columns.s.data), [1, 5, 3, 4]);
});

Deno.test("text features use the text tokenizer, lowercase and length options", async () => {
  const f = {
    name: "t",
    type: "text",
    preprocessing: { lowercase: true, max_sequence_length: 5, padding: "left" },
  };
  const r = await train(config([f], out), { t: ["Hello, World", "hello", "a b c d e"], y: Y });
  const idx2str = r.metadata.t.idx2str as string[];
  assert.equal(idx2str[4], "hello");
  assert.equal(r.metadata.t.max_sequence_length, 5);
  assert.equal(r.metadata.t.pad_idx, 2);
  const v = values(r, "t");
  const h = idx2str.indexOf("hello");
  assert.deepEqual(v.slice(5, 10), [2, 2, 1, h, 0]);
  assert.deepEqual(v.slice(0, 5), [1, h, idx2str.indexOf(","), idx2str.indexOf("world"), 0]);
});

Deno.test("sequence vocab_file replaces the counted vocabulary", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/vocab.txt`, "cat\ndog\n");
    const f = { name: "s", type: "sequence", preprocessing: { vocab_file: `${dir}/vocab.txt` } };
    const r = await train(config([f], out), { s: ["dog bird", "cat", "dog"], y: Y });
    assert.deepEqual(r.metadata.s.idx2str, ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "cat", "dog"]);
    assert.deepEqual(values(r, "s").slice(0, 4), [1, 5, 3, 0]);
  });
});

Deno.test("sequence output postprocessing", async () => {
  const cfg = config([{ name: "x", type: "number" }], [{ name: "s", type: "sequence" }]);
  const r = await train(cfg, { s: ["a b", "b", "a"], x: [1, 2, 3] });
  const v = (r.metadata.s.idx2str as string[]).length;
  const logits = new Float32Array(2 * v);
  logits[1] = 10; // <SOS>
  logits[v + 0] = 10; // <EOS>
  const cols = postprocessPredictions(cfg, r.metadata, { s: { logits, shape: [1, 2, v] } });
  assert.deepEqual(cols.s_predictions, [["<SOS>", "<EOS>"]]);
  assert.equal((cols.s_probabilities as number[][])[0].length, 2);
  assert.ok((cols.s_probability as number[])[0] < 0);
});
