// cache_encoder_embeddings: a frozen encoder runs once over the dataset, the head trains on the
// cached outputs, and the model equals the uncached one; entries are reused across runs and a
// corrupted one is recomputed; float16 storage with use_mixed_precision.
import assert from "node:assert/strict";
import { Model } from "../../mod.ts";
import { fromHalf, toHalf } from "../../lib/features/embedding_cache.ts";
import { bertConfig, copyFolder, textRows } from "../encoders/_hf_text_helpers.ts";

const FIXTURE = new URL("../fixtures/hf/bert", import.meta.url).pathname;

function withCache(folder: string, cache: boolean, trainer: Record<string, unknown> = {}) {
  const c = bertConfig(folder, { trainable: false });
  return {
    ...c,
    input_features: [{
      ...c.input_features[0],
      preprocessing: { cache_encoder_embeddings: cache },
    }],
    combiner: { type: "concat", output_size: 16, num_fc_layers: 1 },
    trainer: { ...c.trainer, ...trainer },
  };
}

async function probabilities(model: Model, rows: Record<string, unknown>[]): Promise<number[]> {
  const out = await model.predict(rows);
  return (out.predictions.columns.label_probabilities as number[][]).flat();
}

Deno.test("cached and uncached training of a frozen bert give the same model", async () => {
  const rows = textRows(80, 3);
  const plain = await Model.create(withCache(FIXTURE, false) as never);
  await plain.train({ dataset: rows, skip_save_all: true, progress: false, random_seed: 7 });
  const cached = await Model.create(withCache(FIXTURE, true) as never);
  const trained = await cached.train({
    dataset: rows,
    skip_save_all: true,
    progress: false,
    random_seed: 7,
  });
  const a = await probabilities(plain, rows.slice(0, 20));
  const b = await probabilities(cached, rows.slice(0, 20));
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `${i}: ${a[i]} ${b[i]}`);
  }
  // The comparison is sensitive: another seed gives another model.
  const other = await Model.create(withCache(FIXTURE, true) as never);
  await other.train({ dataset: rows, skip_save_all: true, progress: false, random_seed: 8 });
  const c = await probabilities(other, rows.slice(0, 20));
  assert.ok(c.some((v, i) => Math.abs(v - b[i]) > 1e-3), "another seed, another model");
  assert.ok(trained.train_stats.training.label.loss.length > 0);
});

Deno.test("the embedding cache is reused by a second run, and recomputed when corrupted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = textRows(48, 5);
    const folder = `${dir}/bert`;
    await copyFolder(FIXTURE, folder);
    const config = {
      ...withCache(folder, true, { epochs: 1 }),
      backend: { cache_dir: `${dir}/cache` },
    };
    const run = async () => {
      const m = await Model.create(config as never);
      const r = await m.train({
        dataset: rows,
        output_directory: `${dir}/results`,
        progress: false,
      });
      const description = JSON.parse(
        await Deno.readTextFile(`${r.output_directory}/description.json`),
      );
      return { m, cache: description.encoder_embedding_cache };
    };
    const first = await run();
    assert.equal(first.cache.hit, false);
    assert.deepEqual(first.cache.features, ["text"]);
    const second = await run();
    assert.equal(second.cache.hit, true);
    assert.equal(second.cache.build_seconds, 0);
    // Flip a byte of a stored split: the entry is recomputed.
    const embeddings = `${dir}/cache/embeddings`;
    const bin = [...Deno.readDirSync(embeddings)].find((e) => e.name.endsWith(".training.bin"))!;
    const bytes = await Deno.readFile(`${embeddings}/${bin.name}`);
    bytes[3] ^= 0xff;
    await Deno.writeFile(`${embeddings}/${bin.name}`, bytes);
    const third = await run();
    assert.equal(third.cache.hit, false);
    // The save loads without the folder and predicts the same.
    const saved = `${dir}/saved`;
    await third.m.save(saved);
    const before = await probabilities(third.m, rows.slice(0, 8));
    await Deno.remove(folder, { recursive: true });
    const loaded = await Model.load(saved);
    assert.deepEqual(await probabilities(loaded, rows.slice(0, 8)), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("float16 storage rounds to nearest even and keeps specials", () => {
  for (const v of [0, 1, -2, 0.1, 65504, 1e-5, 3.14159]) {
    const back = fromHalf(toHalf(v));
    assert.ok(Math.abs(back - v) <= Math.abs(v) * 1e-3 + 6e-8, `${v} → ${back}`);
  }
  assert.equal(fromHalf(toHalf(1e6)), Infinity);
  assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
  assert.equal(toHalf(1 + 2 ** -11), toHalf(1)); // a tie rounds to the even mantissa
});
