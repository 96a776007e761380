import assert from "node:assert/strict";
import { PANDAS_NA_VALUES, parseCsv, readCsv, readTsv } from "../../lib/data/read_csv.ts";
import { seededRandom } from "../../lib/_util/random.ts";
import { assertDataError, FIXTURES, withTempDir } from "./_helpers.ts";

Deno.test("readCsv() reads the fixture with quotes, CRLF, embedded newlines and empty cells", async () => {
  const ds = await readCsv(`${FIXTURES}people.csv`);
  assert.equal(ds.numRows, 4);
  assert.deepEqual(ds.columnNames, ["id", "name", "age", "bio", "member"]);
  assert.deepEqual(ds.column("name"), ["Ann", "Bob", "Chloé", "Dan"]);
  assert.deepEqual(ds.column("age"), ["31", null, "27", "45"]);
  assert.deepEqual(ds.column("bio"), [
    'Likes "quotes", commas',
    "Line one\r\nline two",
    null,
    "plain",
  ]);
  assert.equal(ds.source, `${FIXTURES}people.csv`);
  assert.equal(String(ds.field("age").type), "Utf8");
});

Deno.test("readTsv() reads tab-separated files", async () => {
  const ds = await readTsv(`${FIXTURES}cities.tsv`);
  assert.deepEqual(ds.column("city"), ["Oslo", "Lima", "San José"]);
  assert.deepEqual(ds.column("score"), ["0.5", null, "2e3"]);
});

Deno.test("parseCsv() handles RFC 4180 edge cases", async (t) => {
  const cases: [string, string, Record<string, (string | null)[]>][] = [
    ["LF line ends", "a,b\n1,2\n3,4\n", { a: ["1", "3"], b: ["2", "4"] }],
    ["CRLF line ends", "a,b\r\n1,2\r\n3,4\r\n", { a: ["1", "3"], b: ["2", "4"] }],
    ["CR line ends", "a,b\r1,2\r3,4", { a: ["1", "3"], b: ["2", "4"] }],
    ["no final newline", "a,b\n1,2", { a: ["1"], b: ["2"] }],
    ["a BOM", "\ufeffa,b\n1,2\n", { a: ["1"], b: ["2"] }],
    ["doubled quotes", 'a\n"say ""hi"""\n', { a: ['say "hi"'] }],
    ["a quoted delimiter", 'a,b\n"x,y",z\n', { a: ["x,y"], b: ["z"] }],
    ["a quoted newline", 'a,b\n"x\ny",z\n', { a: ["x\ny"], b: ["z"] }],
    ["a quoted empty field", 'a,b\n"",z\n', { a: [null], b: ["z"] }],
    ["trailing empty field", "a,b\n1,\n", { a: ["1"], b: [null] }],
    ["leading empty field", "a,b\n,2\n", { a: [null], b: ["2"] }],
    ["blank lines skipped", "a,b\n\n1,2\n\r\n3,4\n\n", { a: ["1", "3"], b: ["2", "4"] }],
    ["spaces kept", "a,b\n 1 , x \n", { a: [" 1 "], b: [" x "] }],
    ["quote inside an unquoted field", 'a\n5"3\n', { a: ['5"3'] }],
    ["text after a closing quote", 'a,b\n"x"y,z\n', { a: ["xy"], b: ["z"] }],
    ["unicode", "a\nnaïve 日本 🎉\n", { a: ["naïve 日本 🎉"] }],
    ["empty header name", ",b\n1,2\n", { "Unnamed: 0": ["1"], b: ["2"] }],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, () => {
      const ds = parseCsv(text);
      assert.deepEqual(Object.fromEntries(ds.columnNames.map((c) => [c, ds.column(c)])), expected);
    });
  }
});

Deno.test("parseCsv() honours delimiter, columns, limit and nullValues", () => {
  const text = "a;b;c\n1;NA;x\n2;5;NA\n3;6;z\n";
  const ds = parseCsv(text, { delimiter: ";", columns: ["c", "a"], limit: 2 });
  assert.deepEqual(ds.columnNames, ["c", "a"]);
  assert.deepEqual(ds.column("c"), ["x", "NA"]);
  const na = parseCsv('a,b\nNA,"NA"\nnull,x\n', { nullValues: PANDAS_NA_VALUES });
  assert.deepEqual(na.column("a"), [null, null]);
  assert.deepEqual(na.column("b"), ["NA", "x"], "quoted null strings stay strings");
});

Deno.test("readCsv() streams: chunk boundaries inside quoted fields, CRLF pairs and multibyte characters", async () => {
  await withTempDir(async (dir) => {
    const random = seededRandom(3);
    const pieces = ["a", "é", "日本", '"', ",", "\n", "\r\n", " ", "🎉", "xyz"];
    const rows: string[][] = [];
    for (let i = 0; i < 10_000; i++) {
      const row: string[] = [];
      for (let j = 0; j < 3; j++) {
        let s = "";
        const len = 1 + Math.floor(random() * 12);
        for (let k = 0; k < len; k++) s += pieces[Math.floor(random() * pieces.length)];
        row.push(s);
      }
      rows.push(row);
    }
    const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
    const text = "x,y,z\r\n" + rows.map((r) => r.map(quote).join(",")).join("\r\n") + "\r\n";
    const path = `${dir}/big.csv`;
    await Deno.writeTextFile(path, text);
    assert.ok(text.length > 200_000, "several read chunks");
    const ds = await readCsv(path);
    assert.equal(ds.numRows, rows.length);
    assert.deepEqual(ds.column("y"), rows.map((r) => r[1]));
    assert.deepEqual(ds.column("z"), rows.map((r) => r[2]));
  });
});

Deno.test("readCsv() reads gzipped files and checksums the file bytes", async () => {
  await withTempDir(async (dir) => {
    const text = "a,b\n1,x\n2,y\n";
    const gz = new Uint8Array(
      await new Response(
        new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    await Deno.writeFile(`${dir}/d.csv.gz`, gz);
    await Deno.writeTextFile(`${dir}/d.csv`, text);
    const ds = await readCsv(`${dir}/d.csv.gz`);
    assert.deepEqual(ds.column("b"), ["x", "y"]);
    const plain = await readCsv(`${dir}/d.csv`);
    const digest = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    assert.equal(await plain.checksum(), digest);
    assert.notEqual(await ds.checksum(), digest);
  });
});

Deno.test("readCsv() errors name the file, column and line", async (t) => {
  await withTempDir(async (dir) => {
    const write = async (name: string, text: string) => {
      const path = `${dir}/${name}`;
      await Deno.writeTextFile(path, text);
      return path;
    };
    await t.step("missing file", async () => {
      const path = `${dir}/nope.csv`;
      await assertDataError(() => readCsv(path), `Cannot read "${path}": file not found`, {
        file: path,
      });
    });
    await t.step("a directory", async () => {
      await assertDataError(
        () => readCsv(dir),
        `Cannot read "${dir}": expected a file, found a directory`,
      );
    });
    await t.step("empty file", async () => {
      const path = await write("empty.csv", "");
      await assertDataError(
        () => readCsv(path),
        `Cannot read "${path}": found no header: the file is empty`,
      );
    });
    await t.step("header only", async () => {
      const path = await write("header.csv", "a,b\r\n");
      await assertDataError(
        () => readCsv(path),
        `Cannot read "${path}": found a header but no data rows`,
      );
    });
    await t.step("duplicate column names", async () => {
      const path = await write("dup.csv", "a,b,a\n1,2,3\n");
      await assertDataError(
        () => readCsv(path),
        `Cannot read "${path}": column "a" line 1: found a duplicate column name in the header (fields 1 and 3)`,
        { column: "a", line: 1 },
      );
    });
    await t.step("wrong number of fields", async () => {
      const path = await write("ragged.csv", 'a,b\n1,2\n"x\ny",2\n3,4,5\n');
      await assertDataError(
        () => readCsv(path),
        `Cannot read "${path}": line 5: expected 2 fields as in the header, found 3`,
        { line: 5, row: 2 },
      );
    });
    await t.step("too few fields", async () => {
      const path = await write("short.csv", "a,b\n1\n");
      await assertDataError(
        () => readCsv(path),
        `Cannot read "${path}": line 2: expected 2 fields as in the header, found 1`,
      );
    });
    await t.step("unterminated quote", async () => {
      const path = await write("quote.csv", 'a,b\n1,2\n3,"open\n4,5\n');
      await assertDataError(
        () => readCsv(path),
        `Cannot read "${path}": line 3: found an unterminated quoted field starting on this line`,
        { line: 3, row: 1 },
      );
    });
    await t.step("absent column with a suggestion", async () => {
      const path = await write("cols.csv", "age,city\n1,x\n");
      await assertDataError(
        () => readCsv(path, { columns: ["agee"] }),
        `Cannot read "${path}": column "agee": not found: did you mean "age"?`,
        { column: "agee" },
      );
      await assertDataError(
        () => readCsv(path, { columns: ["zzz"] }),
        `Cannot read "${path}": column "zzz": not found: the columns are "age", "city"`,
      );
    });
    await t.step("bad delimiter", async () => {
      const path = await write("ok.csv", "a\n1\n");
      await assertDataError(() => readCsv(path, { delimiter: "ab" }), /one-character delimiter/);
    });
  });
});

Deno.test("readCsv() reads 100k rows × 15 columns with quoted fields", async () => {
  await withTempDir(async (dir) => {
    const cats = ["red", "green", "blue", "yellow", "purple"];
    const header = Array.from({ length: 15 }, (_, j) => `col_${j}`).join(",");
    const lines = [header];
    for (let i = 0; i < 100_000; i++) {
      const row: string[] = [];
      for (let j = 0; j < 15; j++) {
        if (j % 3 === 0) row.push(String(((i * 7919 + j * 31) % 100000) / 100));
        else if (j % 3 === 1) row.push(cats[(i + j) % 5]);
        else row.push(j === 14 ? `"text, with comma ${i}"` : `word${i % 977} other${j}`);
      }
      lines.push(row.join(","));
    }
    const path = `${dir}/bench.csv`;
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    // Speed is measured in benchmarks, never asserted here (about 0.25 s on 2 cores).
    const ds = await readCsv(path);
    assert.equal(ds.numRows, 100_000);
    assert.equal(ds.column("col_14")[99_999], "text, with comma 99999");
  });
});
