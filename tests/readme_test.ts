// Every ```ts block of README.md runs as written (issue 18), each in its own temp folder with
// the repository's examples/ beside it; a block preceded by `<!-- no-test -->` is skipped.
import { equal, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** The ```ts blocks of a Markdown text, with the line each starts on, less `no-test` ones. */
export function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const skip = /<!--\s*no-test\s*-->/.test(lines[i - 1] ?? "") ||
      /<!--\s*no-test\s*-->/.test(lines[i - 2] ?? "");
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (!skip) blocks.push({ line: start + 1, code: lines.slice(start, end).join("\n") });
    i = end;
  }
  return blocks;
}

Deno.test("tsBlocks finds ts blocks and skips the marked ones", () => {
  const md = "a\n```ts\nx()\n```\n<!-- no-test -->\n```ts\ny()\n```\n```sh\nz\n```\n";
  equal(tsBlocks(md).length, 1);
  equal(tsBlocks(md)[0].code, "x()");
  equal(tsBlocks(md)[0].line, 3);
});

const readme = await Deno.readTextFile(join(ROOT, "README.md"));
const blocks = tsBlocks(readme);

Deno.test("README.md has TypeScript blocks to run", () => {
  ok(blocks.length >= 2, `${blocks.length} blocks`);
});

for (const block of blocks) {
  Deno.test(`README.md block at line ${block.line} runs as written`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "sonata_readme_" });
    try {
      // The snippet's relative imports (./mod.ts, ./lib/...) and paths (examples/...) are the
      // repository's, as they are for a reader running it from a clone.
      for (const entry of ["mod.ts", "lib", "examples", "schemas"]) {
        await Deno.symlink(join(ROOT, entry), join(dir, entry));
      }
      await Deno.writeTextFile(join(dir, "snippet.ts"), `${block.code}\n`);
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", join(ROOT, "deno.json"), join(dir, "snippet.ts")],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const err = new TextDecoder().decode(run.stderr);
      equal(run.code, 0, `README.md line ${block.line} failed:\n${err.slice(-3000)}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
