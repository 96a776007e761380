import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { Dataset } from "../../lib/data/dataset.ts";
import { inferColumnType, inferTypes } from "../../lib/data/infer.ts";
import { parseCsv } from "../../lib/data/read_csv.ts";

const n = 40;
const range = (f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));

Deno.test("inferColumnType() follows Ludwig's rules in order", async (t) => {
  const cases: [string, unknown[], string][] = [
    ["single value → category", range(() => "x"), "category"],
    ["all missing → category", range(() => null), "category"],
    ["two conventional bools → binary", range((i) => (i % 2 ? "Yes" : "no")), "binary"],
    ["on/off → binary", range((i) => (i % 2 ? "on" : "off")), "binary"],
    ["1/0 strings → binary", range((i) => String(i % 2)), "binary"],
    ["JSON booleans → binary", range((i) => i % 3 === 0), "binary"],
    [
      "bools with a missing value → category",
      range((i) => (i === 0 ? null : i % 2 ? "true" : "false")),
      "category",
    ],
    ["two non-bool labels → category", range((i) => (i % 2 ? "cat" : "dog")), "category"],
    ["image paths → image", range((i) => `img/${i}.png`), "image"],
    ["audio paths → audio", range((i) => `clips/${i}.wav`), "audio"],
    ["long strings → text", range((i) => `this is sentence number ${i} here`), "text"],
    ["dates → date", range((i) => `2024-01-${String((i % 28) + 1).padStart(2, "0")}`), "date"],
    ["few distinct labels → category", range((i) => ["red", "green", "blue"][i % 3]), "category"],
    ["sequential small integers → category", range((i) => String(i % 5)), "category"],
    ["non-sequential few numbers → number", range((i) => String([1, 10, 100][i % 3])), "number"],
    ["many distinct floats → number", range((i) => String(i * 1.5)), "number"],
    ["native numbers → number", range((i) => i * 0.25), "number"],
    ["nan strings count as numbers", range((i) => (i === 3 ? "nan" : String(i * 1.5))), "number"],
    ["many distinct short strings → text", range((i) => `w${i}`), "text"],
  ];
  for (const [name, values, expected] of cases) {
    await t.step(name, () => {
      const ds = Dataset.fromColumns({ c: values });
      assert.equal(inferColumnType(ds, "c").type, expected);
    });
  }
});

Deno.test("inferColumnType() reads Arrow date and timestamp types as date", () => {
  const table = new arrow.Table({
    t: arrow.vectorFromArray([new Date(0), new Date(1e12)], new arrow.TimestampMillisecond()),
  });
  assert.equal(inferColumnType(Dataset.fromTable(table), "t").type, "date");
});

Deno.test("inferColumnType() reports distinct values, missing fraction and average words", () => {
  const ds = Dataset.fromColumns({ c: ["a b", "c d e f", null, "a b"] });
  const info = inferColumnType(ds, "c");
  assert.deepEqual(
    {
      numDistinct: info.numDistinct,
      missingFraction: info.missingFraction,
      avgWords: info.avgWords,
    },
    { numDistinct: 2, missingFraction: 0.25, avgWords: 8 / 3 },
  );
});

Deno.test("inferTypes() applies Ludwig's exclusion rules, never to targets", () => {
  const rows = ["index,user_id,constant,name,notes,age,label"];
  for (let i = 0; i < n; i++) {
    rows.push(
      `${i},u${i},same,n${i},"a long free text note about row ${i}",${20 + (i * 7) % 50},${
        i % 2 ? "y" : "n"
      }`,
    );
  }
  const ds = parseCsv(rows.join("\n"));
  const info = inferTypes(ds, { targets: ["constant"] });
  const summary = Object.fromEntries(
    info.map((c) => [c.name, [c.type, c.excluded, c.reason ?? ""]]),
  );
  assert.deepEqual(summary, {
    index: ["number", true, "unique ID column"],
    user_id: ["text", true, "unique ID column"],
    constant: ["category", false, ""],
    name: ["text", true, "too few average words for a text column"],
    notes: ["text", false, ""],
    age: ["number", false, ""],
    label: ["binary", false, ""],
  });
});
