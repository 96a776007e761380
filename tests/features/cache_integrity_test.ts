// The preprocessing cache is checksummed (issue 17 item 4): a flipped data byte, a flipped
// header byte or edited metadata is detected, warned about in one line, and the entry rebuilt.
import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import { lookupCache } from "../../lib/features/cache.ts";
import { preprocessForTraining } from "../../lib/features/preprocess.ts";
import { config } from "./_helpers.ts";

const cfg = config(
  [{ name: "x", type: "number" }, { name: "c", type: "category" }],
  [{ name: "y", type: "binary" }],
);
const data = () =>
  Dataset.fromColumns({
    x: [1, 2, 3, 4, 5, 6],
    c: ["a", "b", "a", "c", "b", "a"],
    y: [true, false, true, false, true, false],
  });

async function withCache(
  corrupt: (dir: string, key: string) => Promise<void>,
  expected: RegExp,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const warnings: string[] = [];
    const opts = { cacheDir: dir, onWarning: (m: string) => warnings.push(m) };
    const first = await preprocessForTraining(cfg, { dataset: data() }, opts);
    assert.equal(first.cache.hit, false);
    assert.equal((await lookupCache(dir, first.cache.key)).status, "hit");
    await corrupt(dir, first.cache.key);
    const looked = await lookupCache(dir, first.cache.key);
    assert.equal(looked.status, "corrupt");
    const again = await preprocessForTraining(cfg, { dataset: data() }, opts);
    assert.equal(again.cache.hit, false, "a corrupt entry is never used");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], expected);
    assert.ok(!warnings[0].includes("\n"), "one line");
    // Rebuilt: identical to the first result, and the next run hits the repaired entry.
    assert.deepEqual(again.metadata, first.metadata);
    for (const [name, column] of Object.entries(first.training.columns)) {
      assert.deepEqual(Array.from(again.training.columns[name].data), Array.from(column.data));
    }
    const third = await preprocessForTraining(cfg, { dataset: data() }, opts);
    assert.equal(third.cache.hit, true);
    assert.equal(warnings.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function flipByte(path: string, at: (bytes: Uint8Array) => number): Promise<void> {
  const bytes = await Deno.readFile(path);
  bytes[at(bytes)] ^= 0x40;
  await Deno.writeFile(path, bytes);
}

Deno.test("cache: a flipped data byte is detected and the entry rebuilt", async () => {
  await withCache(
    (dir, key) => flipByte(`${dir}/${key}.training.bin`, (b) => b.length - 3),
    /preprocessing cache is corrupt .*training\.bin does not match its checksum.*rebuilding/,
  );
});

Deno.test("cache: a flipped header byte is detected and the entry rebuilt", async () => {
  await withCache(
    // Byte 20 lies in the JSON header (after the 8-byte magic and the 4-byte length).
    (dir, key) => flipByte(`${dir}/${key}.training.bin`, () => 20),
    /training\.bin does not match its checksum/,
  );
});

Deno.test("cache: edited metadata is detected and the entry rebuilt", async () => {
  await withCache(async (dir, key) => {
    const path = `${dir}/${key}.meta.json`;
    const meta = JSON.parse(await Deno.readTextFile(path));
    meta.metadata.x.mean = 1000;
    await Deno.writeTextFile(path, JSON.stringify(meta));
  }, /metadata in .*meta\.json does not match its checksum/);
});

Deno.test("cache: a truncated or missing split file is detected", async () => {
  await withCache(async (dir, key) => {
    const path = `${dir}/${key}.training.bin`;
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 8));
  }, /training\.bin does not match its checksum/);
  await withCache(
    (dir, key) => Deno.remove(`${dir}/${key}.training.bin`),
    /training\.bin is missing/,
  );
});
