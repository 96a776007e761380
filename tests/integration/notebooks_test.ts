// The committed notebooks: Deno kernel, no outputs, the package imported from the repository.
// Executing them is `deno task notebooks` (tests/integration/_run_notebooks.ts), which needs
// Jupyter; CI runs it after `deno task test`.
import { deepStrictEqual, equal, ok } from "node:assert/strict";

const dir = new URL("../../notebooks/", import.meta.url);
const names = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".ipynb")).map((e) => e.name)
  .sort();

Deno.test("the notebooks exist", () => {
  deepStrictEqual(names, [
    "config_tour.ipynb",
    "evaluation_gallery.ipynb",
    "hyperopt_live.ipynb",
    "tabular_quickstart.ipynb",
  ]);
});

for (const name of names) {
  Deno.test(`notebooks/${name} is committed clean, on the Deno kernel, importing ../mod.ts`, async () => {
    const nb = JSON.parse(await Deno.readTextFile(new URL(name, dir)));
    equal(nb.nbformat, 4);
    equal(nb.metadata.kernelspec.name, "deno");
    equal(nb.metadata.kernelspec.language, "typescript");
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
    ok(code.length >= 3, "has code cells");
    const ids = new Set<string>();
    for (const cell of nb.cells) {
      ok(typeof cell.id === "string" && !ids.has(cell.id), "cells have unique ids");
      ids.add(cell.id);
    }
    for (const cell of code) {
      deepStrictEqual(cell.outputs, [], "no outputs committed");
      equal(cell.execution_count, null, "no execution counts committed");
    }
    const source = code.map((c: { source: string[] }) => c.source.join("")).join("\n");
    ok(source.includes('from "../mod.ts"'), "imports the package from the repository");
    ok(!/jsr:@sonata|https?:\/\//.test(source), "no published or remote Sonata imports");
  });
}
