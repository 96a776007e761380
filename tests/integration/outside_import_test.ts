/**
 * Sonata imported by path from someone else's project: a temp folder with its own deno.json
 * (no import map entries of Sonata's), and one with no deno.json at all. The script builds a
 * model with the builders, trains, predicts and type-checks, in a fresh `deno` process.
 *
 * @module
 */
import { equal, ok } from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));

const SCRIPT = `import { feature, Model, model } from ${JSON.stringify(MOD)};

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

for (const withConfig of [true, false]) {
  Deno.test({
    name: `an outside project ${
      withConfig ? "with its own deno.json" : "with no deno.json"
    } imports Sonata by path, trains, predicts and type-checks`,
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
        await writeFile(join(dir, "train.ts"), SCRIPT);
        const trained = await run(dir, ["run", "-A", "--no-lock", "train.ts"]);
        equal(trained.code, 0, trained.out);
        ok(trained.out.includes('"y_predictions"'), trained.out);
        const checked = await run(dir, ["check", "--no-lock", "train.ts"]);
        equal(checked.code, 0, checked.out);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  });
}

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
