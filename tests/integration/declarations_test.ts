/**
 * The declaration entries (`mod.js`, `types/*.js` and the declarations under `types/`): up to
 * date with the sources (what `deno task types` writes), one per deno.json export, and each JS
 * entry re-exports its source module at run time.
 *
 * @module
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { declarationFiles, ENTRIES, ROOT, staleFiles } from "../../lib/_write_declarations.ts";

Deno.test("types/ and mod.js are what lib/_write_declarations.ts writes (deno task types)", async () => {
  const stale = await staleFiles(declarationFiles());
  equal(stale.join("\n"), "", "stale declarations: run deno task types");
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
