/**
 * Sonata imported by path from someone else's project: a temp folder with its own deno.json
 * (no import map entries of Sonata's), and one with no deno.json at all. The script builds a
 * model with the builders, trains, predicts and type-checks, in a fresh `deno` process, once
 * through the declaration entry `mod.js` (types from `types/mod.d.ts`, sources not checked) and
 * once through the source entry `mod.ts`. A wrong call still fails `deno check` through `mod.js`.
 *
 * @module
 */
import { equal, ok } from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const entryPath = (entry: string) => fileURLToPath(new URL(`../../${entry}`, import.meta.url));

const script = (entry: string) =>
  `import { feature, Model, model } from ${JSON.stringify(entryPath(entry))};

const config = model()
  .input(feature.number("x"))
  .input(feature.category("c").encoder("dense", { embedding_size: 4 }))
  .output(feature.binary("y"))
  .trainer({ epochs: 2, batch_size: 8 })
  .toConfig();
const rows = Array.from({ length: 48 }, (_, i) => ({ x: i / 48, c: ["a", "b"][i % 2], y: i > 24 }));
const m = await Model.create(config);
await m.train({ dataset: rows, skip_save_model: true, skip_save_processed_input: true });
const { predictions } = await m.predict(rows.slice(0, 3));
console.log(JSON.stringify(Object.keys(predictions.columns)));
`;

/** Calls the declarations must reject: an unknown encoder, a string epoch count, a typo'd key. */
const WRONG = `import { feature, model } from ${JSON.stringify(entryPath("mod.js"))};

model()
  .input(feature.number("x").encoder("no_such_encoder"))
  .output(feature.binary("y"))
  .trainer({ epochs: "three" })
  .toConfig();
model().input(feature.category("c").encoder("dense", { embeding_size: 4 }));
`;

async function run(dir: string, args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { SONATA_COMPUTE: "cpu", NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

/** The files `deno check` handed to tsc as roots (from its debug log), relative to the repo. */
function checkedRoots(log: string): string[] {
  const line = log.split("\n").find((l) => l.includes("exec request, root_names:"));
  if (line === undefined) throw new Error(`No root_names in deno check's debug log:\n${log}`);
  const root = new URL("../../", import.meta.url).href;
  return [...line.matchAll(/"(file:\/\/[^"]+)"/g)].map((m) => m[1])
    .filter((u) => u.startsWith(root)).map((u) => u.slice(root.length));
}

for (const withConfig of [true, false]) {
  for (const entry of ["mod.js", "mod.ts"]) {
    Deno.test({
      name: `an outside project ${
        withConfig ? "with its own deno.json" : "with no deno.json"
      } imports Sonata's ${entry} by path, trains, predicts and type-checks`,
      sanitizeResources: false,
      async fn() {
        const dir = await mkdtemp(join(tmpdir(), "sonata-outside-"));
        try {
          if (withConfig) {
            await writeFile(
              join(dir, "deno.json"),
              JSON.stringify({ tasks: { train: "deno run -A train.ts" } }),
            );
          }
          await writeFile(join(dir, "train.ts"), script(entry));
          const trained = await run(dir, ["run", "-A", "--no-lock", "train.ts"]);
          equal(trained.code, 0, trained.out);
          ok(trained.out.includes('"y_predictions"'), trained.out);
          const checked = await run(dir, ["check", "--no-lock", "--log-level=debug", "train.ts"]);
          equal(checked.code, 0, checked.out.slice(-4000));
          const roots = checkedRoots(checked.out);
          if (entry === "mod.js") {
            // Types come from the declarations alone: no Sonata source module is checked.
            ok(roots.includes("types/mod.d.ts"), roots.join("\n"));
            equal(roots.filter((r) => !r.endsWith(".d.ts")).join("\n"), "");
          } else {
            ok(roots.includes("lib/api.ts"), roots.join("\n"));
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    });
  }
}

Deno.test({
  name: "a wrong call in an outside script fails deno check against mod.js's declarations",
  sanitizeResources: false,
  async fn() {
    const dir = await mkdtemp(join(tmpdir(), "sonata-outside-"));
    try {
      await writeFile(join(dir, "deno.json"), "{}");
      await writeFile(join(dir, "wrong.ts"), WRONG);
      const checked = await run(dir, ["check", "--no-lock", "wrong.ts"]);
      equal(checked.code, 1, checked.out);
      for (const expected of ['"no_such_encoder"', "epochs", "embeding_size"]) {
        ok(checked.out.includes(expected), `${expected} not reported:\n${checked.out}`);
      }
      ok(checked.out.includes("Found 3 errors"), checked.out);
      // The expected types are the declarations' (never Sonata's sources).
      ok(checked.out.includes("types/lib/config/types_gen.d.ts"), checked.out);
      ok(!checked.out.includes(entryPath("lib/")), checked.out);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});

Deno.test("lib/ and mod.ts import npm packages by full specifier, never through deno.json's map", async () => {
  const imports = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)))
    .imports as Record<string, string>;
  const bare = new RegExp(
    `(?:from |import\\(|import )"(${
      Object.keys(imports).map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")
    })(?:/[^"]*)?"`,
  );
  const offenders: string[] = [];
  const root = new URL("../../", import.meta.url);
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(url);
        const hit = text.match(bare);
        if (hit) offenders.push(`${url.pathname.slice(root.pathname.length)}: ${hit[0]}`);
      }
    }
  };
  await walk(new URL("lib/", root));
  const mod = await Deno.readTextFile(new URL("mod.ts", root));
  if (bare.test(mod)) offenders.push("mod.ts");
  equal(offenders.join("\n"), "", "use the npm: specifier that deno.json maps the name to");
});
