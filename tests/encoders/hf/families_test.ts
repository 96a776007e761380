import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import {
  createHfEncoder,
  encodeTexts,
  HF_FAMILIES,
  hfFolderFingerprint,
  loadHfEncoder,
} from "../../../lib/encoders/hf/mod.ts";
import type { HfReduceOutput } from "../../../lib/encoders/hf/mod.ts";
import { readWeights, writeSafetensors } from "../../../lib/pretrained/mod.ts";

await ready({ compute: "auto", quiet: true });

const ROOT = new URL("../../fixtures/hf/", import.meta.url).pathname;
const TOLERANCE = 1e-4;

interface Expected {
  texts: string[];
  max_length: number;
  ids: number[][];
  attention_mask: number[][];
  sequence_output: number[][][];
  pooled_output: number[][] | null;
  cls: number[][];
  last_real: number[][];
  mean_real: number[][];
  sum: number[][];
  mean: number[][];
  last: number[][];
}

async function expected(family: string): Promise<Expected> {
  return JSON.parse(await Deno.readTextFile(`${ROOT}${family}/expected.json`));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function closeTo(got: ArrayLike<number>, want: number[][], what: string) {
  const d = maxDiff(got, want.flat());
  ok(d < TOLERANCE, `${what}: max difference ${d}`);
}

/** The real steps of [n, s, h] values (padding dropped). */
function realSteps(values: ArrayLike<number>, mask: number[][], s: number, h: number): number[] {
  const out: number[] = [];
  mask.forEach((row, r) =>
    row.forEach((m, t) => {
      if (m === 1) { for (let k = 0; k < h; k++) out.push(values[(r * s + t) * h + k]); }
    })
  );
  return out;
}

function run(model: tf.LayersModel, ids: number[][]): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor2d(ids.flat(), [ids.length, ids[0].length], "int32");
    const ys = model.predict(x) as tf.Tensor[];
    return ys.map((y) => y.dataSync() as Float32Array);
  });
}

const FAMILIES = [
  "bert",
  "distilbert",
  "roberta",
  "xlmroberta",
  "camembert",
  "electra",
  "albert",
  "gpt2",
  "gpt",
  "t5",
  "mt5",
  "deberta",
  "deberta_v2",
  "xlm",
  "flaubert",
  "longformer",
];

/** The pooled output the reference gives: the pooler's, else the family's fallback. */
function wantPooled(family: string, want: Expected): number[][] {
  if (want.pooled_output) return want.pooled_output;
  if (family === "gpt2" || family === "gpt") return want.last_real;
  if (family === "t5" || family === "mt5") return want.mean_real;
  return want.cls;
}

for (const family of FAMILIES) {
  Deno.test(`${family}: tokenizer, sequence and pooled outputs match the PyTorch reference`, async () => {
    const want = await expected(family);
    const type = family.startsWith("deberta") ? "deberta" : family;
    const enc = await loadHfEncoder(`${ROOT}${family}`, { type });
    assertEquals(enc.family.name, type);
    const batch = enc.tokenizer.encode(want.texts, { maxLength: want.max_length });
    const ids = Array.from(
      { length: batch.n },
      (_, r) => [...batch.ids.subarray(r * want.max_length, (r + 1) * want.max_length)],
    );
    assertEquals(ids, want.ids);
    const [output, sequence, pooled] = run(enc.model, want.ids);
    const h = enc.arch.hiddenSize;
    const d = maxDiff(
      realSteps(sequence, want.attention_mask, want.max_length, h),
      realSteps(want.sequence_output.flat(2), want.attention_mask, want.max_length, h),
    );
    ok(d < TOLERANCE, `sequence output: max difference ${d}`);
    closeTo(pooled, wantPooled(family, want), "pooled output");
    const reduce = HF_FAMILIES[type].defaultReduceOutput;
    const wantOutput = reduce === "cls_pooled" ? wantPooled(family, want) : want[reduce as "sum"];
    closeTo(output, wantOutput, `default reduce_output ${reduce}`);
    enc.model.dispose();
  });
}

Deno.test("reduce_output sum, mean, last, null mask padding and drop the special tokens", async () => {
  for (const family of ["bert", "roberta", "gpt2", "t5"]) {
    const want = await expected(family);
    for (const reduce of ["sum", "mean", "avg", "last", null] as HfReduceOutput[]) {
      const enc = await loadHfEncoder(`${ROOT}${family}`, { reduceOutput: reduce });
      const [output] = run(enc.model, want.ids);
      if (reduce === null) {
        const h = enc.arch.hiddenSize;
        const masked = want.sequence_output.flatMap((row, r) =>
          row.flatMap((step, t) => step.map((v) => v * want.attention_mask[r][t]))
        );
        assertEquals(output.length, masked.length);
        ok(maxDiff(output, masked) < TOLERANCE, `${family} null`);
        ok(h > 0);
      } else {
        closeTo(output, want[reduce === "avg" ? "mean" : reduce as "sum"], `${family} ${reduce}`);
      }
      enc.model.dispose();
    }
  }
});

Deno.test("outputs do not depend on the padding length", async () => {
  for (const family of FAMILIES) {
    const want = await expected(family);
    const enc = await loadHfEncoder(`${ROOT}${family}`, { reduceOutput: "mean" });
    const padId = enc.tokenizer.padId;
    const longer = want.ids.map((row) => [...row, ...Array(6).fill(padId)]);
    const [a, seqA, pooledA] = run(enc.model, want.ids);
    const [b, seqB, pooledB] = run(enc.model, longer);
    ok(maxDiff(a, b) < 1e-5, `${family}: reduced output changed with padding`);
    ok(maxDiff(pooledA, pooledB) < 1e-5, `${family}: pooled output changed with padding`);
    const h = enc.arch.hiddenSize;
    const maskB = want.attention_mask.map((row) => [...row, ...Array(6).fill(0)]);
    ok(
      maxDiff(
        realSteps(seqA, want.attention_mask, want.max_length, h),
        realSteps(seqB, maskB, want.max_length + 6, h),
      ) < 1e-5,
      `${family}: sequence output changed with padding`,
    );
    enc.model.dispose();
  }
});

Deno.test("encodeTexts() runs a frozen encoder in batches, deterministically", async () => {
  const want = await expected("albert");
  const enc = await loadHfEncoder(`${ROOT}albert`);
  const once = encodeTexts(enc.model, enc.tokenizer, want.texts, { batchSize: 4, maxLength: 12 });
  const again = encodeTexts(enc.model, enc.tokenizer, want.texts, { batchSize: 1, maxLength: 12 });
  assertEquals(once.shape, [want.texts.length, enc.arch.hiddenSize]);
  ok(maxDiff(once.values, again.values) < 1e-6);
  closeTo(once.values, want.pooled_output!, "albert cls_pooled");
  enc.model.dispose();
});

Deno.test("a saved encoder reloads without the source folder and gives the same outputs", async () => {
  for (const family of ["electra", "albert", "gpt2", "mt5", "deberta_v2"]) {
    const want = await expected(family);
    const enc = await loadHfEncoder(`${ROOT}${family}`, { reduceOutput: "sum" });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await enc.model.save(tf.io.withSaveHandler((a) => {
      artifacts = a;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
      });
    }));
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const [a] = run(enc.model, want.ids);
    const [b] = run(reloaded, want.ids);
    ok(maxDiff(a, b) < 1e-6, family);
    closeTo(b, want.sum, `${family} sum after reload`);
    enc.model.dispose();
    reloaded.dispose();
  }
});

Deno.test("missing, unexpected and mis-shaped weights are listed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"]) {
      await Deno.copyFile(`${ROOT}bert/${f}`, `${dir}/${f}`);
    }
    const source = await readWeights(`${ROOT}bert/model.safetensors`);
    source.delete("bert.encoder.layer.1.output.dense.weight");
    source.set("bert.encoder.extra.weight", source.get("bert.pooler.dense.bias")!);
    await writeSafetensors(`${dir}/model.safetensors`, source);
    await rejects(loadHfEncoder(dir), (e: Error) => {
      ok(e.message.includes('1 missing: "encoder.layer.1.output.dense.weight"'), e.message);
      ok(e.message.includes('1 unexpected: "encoder.extra.weight"'), e.message);
      ok(e.message.includes("model.safetensors"), e.message);
      return true;
    });
    // TensorFlow-converted checkpoints: LayerNorm.gamma / LayerNorm.beta.
    const renamed = new Map(
      [...(await readWeights(`${ROOT}bert/model.safetensors`))].map(([k, v]) => [
        k.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(
          /LayerNorm\.bias$/,
          "LayerNorm.beta",
        ),
        v,
      ]),
    );
    ok([...renamed.keys()].some((k) => k.endsWith("LayerNorm.gamma")));
    await writeSafetensors(`${dir}/model.safetensors`, renamed);
    const want = await expected("bert");
    const old = await loadHfEncoder(dir);
    closeTo(run(old.model, want.ids)[0], want.pooled_output!, "gamma/beta checkpoint");
    old.model.dispose();
    await Deno.remove(`${dir}/model.safetensors`);
    await rejects(loadHfEncoder(dir), (e: Error) => e.message.includes("pytorch_model.bin"));
    // Random initialization needs no weights file.
    const fresh = await loadHfEncoder(dir, { pretrained: false });
    ok(fresh.pooler);
    fresh.model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config.json errors name the file and the key", async () => {
  await rejects(
    loadHfEncoder(`${ROOT}bert`, { type: "roberta" }),
    (e: Error) => e.message.includes('model_type "bert" does not fit the encoder type "roberta"'),
  );
  await rejects(
    loadHfEncoder(`${ROOT}bert`, { type: "xlnet" }),
    (e: Error) => e.message.includes('"xlnet" is not supported yet'),
  );
  const dir = await Deno.makeTempDir();
  try {
    const config = JSON.parse(await Deno.readTextFile(`${ROOT}bert/config.json`));
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({ ...config, hidden_act: "mish" }),
    );
    await rejects(
      loadHfEncoder(dir),
      (e: Error) => e.message.includes("config.json") && e.message.includes('"hidden_act" "mish"'),
    );
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({ ...config, model_type: "xlnet" }),
    );
    await rejects(loadHfEncoder(dir), (e: Error) => e.message.includes('model_type "xlnet"'));
    // XLM-family tokenizers are read from tokenizer.json only.
    const xlm = JSON.parse(await Deno.readTextFile(`${ROOT}xlm/config.json`));
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(xlm));
    await Deno.writeTextFile(`${dir}/vocab.json`, "{}");
    await rejects(loadHfEncoder(dir), (e: Error) => e.message.includes("no tokenizer.json"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an encoder fine-tunes end to end, and a frozen one keeps its weights", async () => {
  const want = await expected("roberta");
  for (const trainable of [true, false]) {
    const enc = await loadHfEncoder(`${ROOT}roberta`, { reduceOutput: "mean" });
    enc.model.trainable = trainable;
    const ids = tf.input({ shape: [null], dtype: "int32" });
    const [features] = enc.model.apply(ids) as tf.SymbolicTensor[];
    const head = tf.layers.dense({ units: 1, activation: "sigmoid" }).apply(features);
    const model = tf.model({ inputs: ids, outputs: head as tf.SymbolicTensor });
    model.compile({ optimizer: tf.train.adam(0.01), loss: "binaryCrossentropy" });
    const before = enc.graph.bindings.map((b) => b.layer.getWeights()[b.index].dataSync().slice());
    const x = tf.tensor2d(want.ids.flat(), [want.ids.length, want.max_length], "int32");
    const y = tf.tensor2d(want.ids.map((_, i) => [i % 2]), [want.ids.length, 1]);
    const history = await model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
    ok(Number.isFinite(history.history.loss[1] as number));
    const changed = enc.graph.bindings.filter((b, i) =>
      maxDiff(b.layer.getWeights()[b.index].dataSync(), before[i]) > 0
    ).length;
    if (trainable) {
      ok(changed > enc.graph.bindings.length / 2, `only ${changed} weights changed`);
    } else assertEquals(changed, 0);
    tf.dispose([x, y]);
    model.dispose();
  }
});

Deno.test("auto_transformer picks the family by model_type; folders have distinct fingerprints", async () => {
  const prints = new Set<string>();
  for (const folder of FAMILIES) {
    const enc = await loadHfEncoder(`${ROOT}${folder}`);
    assertEquals(enc.family.name, folder.startsWith("deberta") ? "deberta" : folder);
    enc.model.dispose();
    prints.add(await hfFolderFingerprint(`${ROOT}${folder}`));
  }
  assertEquals(prints.size, FAMILIES.length);
  assertEquals(await hfFolderFingerprint(`${ROOT}bert`), await hfFolderFingerprint(`${ROOT}bert`));
});

Deno.test("max_sequence_length is checked against the position table", async () => {
  const enc = await loadHfEncoder(`${ROOT}roberta`);
  // 42 positions, padding_idx 1: 40 usable.
  assertEquals([enc.arch.maxSequenceLength, enc.maxSequenceLength], [40, 40]);
  enc.model.dispose();
  // Longformer: attention windows 24 and 32 reach 13 tokens.
  const longformer = await loadHfEncoder(`${ROOT}longformer`);
  assertEquals(longformer.maxSequenceLength, 13);
  longformer.model.dispose();
  await rejects(
    loadHfEncoder(`${ROOT}longformer`, { maxSequenceLength: 14 }),
    (e: Error) => e.message.includes("max_sequence_length 14"),
  );
  await rejects(
    loadHfEncoder(`${ROOT}roberta`, { maxSequenceLength: 41 }),
    (e: Error) => e.message.includes("max_sequence_length 41") && e.message.includes("40"),
  );
  await rejects(
    loadHfEncoder("no-such-org/no-such-model", { hub: { cacheDir: ROOT } }),
    (e: Error) => e.message.includes("no-such-org/no-such-model"),
  );
});

Deno.test("createHfEncoder() rebuilds an encoder from its JSON spec, without the folder", async () => {
  const want = await expected("bert");
  const enc = await loadHfEncoder(`${ROOT}bert`);
  const spec = JSON.parse(JSON.stringify(enc.spec));
  const again = createHfEncoder(spec);
  assertEquals(again.pooler, true);
  assertEquals([...again.tokenizer.encode(want.texts, { maxLength: 12 }).ids], want.ids.flat());
  // Random weights until the checkpoint's are set: copy them over, and the outputs agree.
  again.model.setWeights(enc.model.getWeights());
  closeTo(run(again.model, want.ids)[0], want.pooled_output!, "rebuilt bert");
  enc.model.dispose();
  again.model.dispose();
});

Deno.test("a hub model missing from the cache is downloaded into it (fake hub)", async () => {
  const cache = await Deno.makeTempDir();
  const requested: string[] = [];
  const commit = "c".repeat(40);
  const hub: typeof fetch = async (input) => {
    const url = String(input instanceof Request ? input.url : input);
    const file = url.split("/resolve/main/")[1];
    requested.push(file);
    try {
      const body = await Deno.readFile(`${ROOT}roberta/${file}`);
      return new Response(body, {
        headers: { "x-repo-commit": commit, "content-length": String(body.byteLength) },
      });
    } catch {
      return new Response("no", { status: 404, statusText: "Not Found" });
    }
  };
  try {
    let bytes = 0;
    const enc = await loadHfEncoder("org/tiny-roberta", {
      hub: { cacheDir: cache },
      download: {
        fetch: hub,
        endpoint: "https://hub.invalid",
        onProgress: (p) => (bytes = p.received),
      },
    });
    ok(bytes > 0);
    assertEquals(enc.folder, `${cache}/models--org--tiny-roberta/snapshots/${commit}`);
    ok(requested.includes("model.safetensors") && !requested.includes("pytorch_model.bin"));
    const want = await expected("roberta");
    closeTo(run(enc.model, want.ids)[0], want.pooled_output!, "downloaded roberta");
    enc.model.dispose();
    // Cached now: no request.
    requested.length = 0;
    const again = await loadHfEncoder("org/tiny-roberta", { hub: { cacheDir: cache } });
    assertEquals(requested, []);
    again.model.dispose();
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("a head count that does not divide the hidden size is an error naming the family's keys", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "bert",
      { hidden_size: 10, num_attention_heads: 3 },
      '"hidden_size" (10) must be divisible by "num_attention_heads" (3)',
    ],
    [
      "deberta",
      { hidden_size: 10, num_attention_heads: 0 },
      '"hidden_size" (10) must be divisible by "num_attention_heads" (0)',
    ],
    ["distilbert", { dim: 10, n_heads: 4 }, '"dim" (10) must be divisible by "n_heads" (4)'],
    ["gpt2", { n_embd: 9, n_head: 2 }, '"n_embd" (9) must be divisible by "n_head" (2)'],
    ["xlm", { emb_dim: 2048, n_heads: 3 }, '"emb_dim" (2048) must be divisible by "n_heads" (3)'],
    ["xlm", { n_heads: 3 }, '"emb_dim" (2048) must be divisible by "n_heads" (3)'],
  ];
  for (const [type, config, message] of cases) {
    let error: unknown;
    try {
      HF_FAMILIES[type].architecture(config, "config.json");
    } catch (e) {
      error = e;
    }
    ok(error instanceof Error && error.message === `config.json: ${message}`, `${type}: ${error}`);
  }
});

Deno.test("each Hugging Face encoder entry defaults reduce_output to its family's default", async () => {
  const { HF_TEXT_ENCODERS } = await import("../../../lib/encoders/text_pretrained.ts");
  for (const entry of HF_TEXT_ENCODERS) {
    const { type, reduce_output } = entry.schema.parse({ type: entry.schema.shape.type.value });
    if (type === "auto_transformer") continue;
    assertEquals(reduce_output, HF_FAMILIES[type].defaultReduceOutput, type);
  }
});
