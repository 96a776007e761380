// The cache folder (issue 18): <dataset dir>/.sonata_cache/ with a .gitignore, one entry per
// dataset file name (replaced in place), a size cap, and `sonata cache list|clean`.
import assert from "node:assert/strict";
import { main } from "../../lib/cli/main.ts";
import { listCache } from "../../lib/features/cache.ts";
import { preprocessForTraining } from "../../lib/features/preprocess.ts";
import { config } from "./_helpers.ts";

const cfg = config([{ name: "x", type: "number" }], [{ name: "y", type: "binary" }]);
const csv = (n: number) =>
  "x,y\n" + Array.from({ length: n }, (_, i) => `${i},${i % 2}`).join("\n");

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) },
    out,
    err,
  };
}

Deno.test("one cache entry per dataset file, in .sonata_cache/ that git and deno ignore", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/d.csv`, csv(20));
    await Deno.writeTextFile(`${dir}/e.csv`, csv(30));
    const first = await preprocessForTraining(cfg, { dataset: `${dir}/d.csv` });
    assert.equal(await Deno.readTextFile(`${dir}/.sonata_cache/.gitignore`), "*\n");
    // Nothing but the data beside the dataset.
    const beside = [];
    for await (const e of Deno.readDir(dir)) beside.push(e.name);
    assert.deepEqual(beside.sort(), [".sonata_cache", "d.csv", "e.csv"]);
    await preprocessForTraining(cfg, { dataset: `${dir}/e.csv` });
    // The data changes: its new entry replaces the old one; e.csv's stays.
    await Deno.writeTextFile(`${dir}/d.csv`, csv(24));
    const second = await preprocessForTraining(cfg, { dataset: `${dir}/d.csv` });
    assert.notEqual(second.cache.key, first.cache.key);
    const entries = await listCache(`${dir}/.sonata_cache`);
    assert.deepEqual(entries.map((e) => e.dataset).sort(), ["d.csv", "e.csv"]);
    assert.ok(entries.some((e) => e.key === second.cache.key));
    const again = await preprocessForTraining(cfg, { dataset: `${dir}/d.csv` });
    assert.equal(again.cache.hit, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the cache folder stays under SONATA_CACHE_MAX_BYTES, oldest entries first", async () => {
  const dir = await Deno.makeTempDir();
  Deno.env.set("SONATA_CACHE_MAX_BYTES", "1");
  try {
    for (const [i, name] of ["a", "b", "c"].entries()) {
      await Deno.writeTextFile(`${dir}/${name}.csv`, csv(20 + i));
      await preprocessForTraining(cfg, { dataset: `${dir}/${name}.csv` });
    }
    const entries = await listCache(`${dir}/.sonata_cache`);
    // Over a 1-byte cap only the newest entry survives.
    assert.deepEqual(entries.map((e) => e.dataset), ["c.csv"]);
  } finally {
    Deno.env.delete("SONATA_CACHE_MAX_BYTES");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sonata cache clean --dataset D removes D's entries; --all removes every one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/d.csv`, csv(20));
    await Deno.writeTextFile(`${dir}/e.csv`, csv(30));
    await preprocessForTraining(cfg, { dataset: `${dir}/d.csv` });
    await preprocessForTraining(cfg, { dataset: `${dir}/e.csv` });
    // A file of the older layout beside the data.
    await Deno.writeTextFile(`${dir}/${"ab".repeat(32)}.meta.json`, "{}");
    const list = capture();
    assert.equal(await main(["cache", "list", "--dataset", `${dir}/d.csv`], list.io), 0);
    assert.match(list.out.join("\n"), /d\.csv/);
    const one = capture();
    assert.equal(
      await main(["cache", "clean", "--dataset", `${dir}/d.csv`], one.io),
      0,
      one.err.join(""),
    );
    assert.match(one.out.join(""), /Removed 1 cache entry/);
    assert.deepEqual((await listCache(`${dir}/.sonata_cache`)).map((e) => e.dataset), ["e.csv"]);
    const all = capture();
    assert.equal(await main(["cache", "clean", "--dataset", `${dir}/d.csv`, "--all"], all.io), 0);
    assert.match(all.out.join(""), /Removed 2 cache entries/);
    assert.deepEqual(await listCache(`${dir}/.sonata_cache`), []);
    assert.deepEqual(await listCache(dir), []);
    const missing = capture();
    assert.equal(await main(["cache", "clean"], missing.io), 2);
    assert.match(missing.err.join(""), /Missing --dataset or --all/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
