/**
 * The declaration entries (`mod.js`, `types/*.js` and the declarations under `types/`): up to
 * date with the sources (what `deno task types` writes), sound when checked in full (importers
 * skip that: each declaration file starts with `// @ts-nocheck`), one per deno.json export, and
 * each JS entry re-exports its source module at run time.
 *
 * @module
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  declarationDiagnostics,
  declarationFiles,
  ENTRIES,
  ROOT,
  staleFiles,
} from "../../lib/_write_declarations.ts";

let generated: Map<string, string> | undefined;
const files = () => generated ??= declarationFiles();

Deno.test("types/ and mod.js are what lib/_write_declarations.ts writes (deno task types)", async () => {
  const stale = await staleFiles(files());
  equal(stale.join("\n"), "", "stale declarations: run deno task types");
});

Deno.test("the generated declarations type-check in full (without their @ts-nocheck)", () => {
  const declarations = files();
  const all = [...declarations.entries()].filter(([path]) => path.endsWith(".d.ts"));
  ok(all.length > 50, `only ${all.length} declaration files`);
  for (const [path, text] of all) ok(text.startsWith("// @ts-nocheck\n"), path);
  equal(declarationDiagnostics(declarations).join(""), "");
  // The check is real (and ignores the nocheck line): a declaration naming a missing type fails.
  const broken = new Map([[all[0][0], "// @ts-nocheck\nexport declare const x: NoSuchType;\n"]]);
  ok(declarationDiagnostics(broken).join("").includes("NoSuchType"));
});

Deno.test("each deno.json export is a JS entry whose @ts-self-types names its declaration", async () => {
  const json = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  deepEqual(
    json.exports,
    Object.fromEntries(ENTRIES.map((e) => [e.exportKey, `./${e.js}`])),
  );
  for (const entry of ENTRIES) {
    const text = await Deno.readTextFile(join(ROOT, entry.js));
    const types = text.match(/^\/\* @ts-self-types="([^"]+)" \*\//)?.[1];
    ok(types !== undefined, `${entry.js}: no @ts-self-types on the first line`);
    const declaration = new URL(types, `file://${join(ROOT, entry.js)}`);
    ok((await Deno.stat(declaration)).isFile, `${entry.js}: ${types} missing`);
    // At run time the JS entry is the source module: the same exports, the same values.
    const [js, source] = await Promise.all([
      import(`file://${join(ROOT, entry.js)}`),
      import(`file://${join(ROOT, entry.source)}`),
    ]);
    deepEqual(Object.keys(js).sort(), Object.keys(source).sort(), entry.js);
    for (const key of Object.keys(source)) equal(js[key], source[key], `${entry.js}: ${key}`);
  }
});
