// STYLE B4: validation, schema generation and editors never load TensorFlow.js. Nothing under
// lib/config/mod.ts may reach @tensorflow/* (or the data layer's Arrow) through static imports;
// the registries' `load()` thunks are the only, dynamic, edges into implementations.
import { deepStrictEqual, ok } from "node:assert/strict";

interface Dep {
  specifier: string;
  code?: { specifier?: string };
  type?: { specifier?: string };
  isDynamic?: boolean;
}
interface Mod {
  specifier: string;
  dependencies?: Dep[];
}

function staticClosure(
  info: { roots: string[]; modules: Mod[]; redirects?: Record<string, string> },
): Set<string> {
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const redirects = info.redirects ?? {};
  const seen = new Set<string>();
  const stack = [...info.roots];
  while (stack.length) {
    let s = stack.pop()!;
    s = redirects[s] ?? s;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpecifier.get(s)?.dependencies ?? []) {
      if (d.isDynamic) continue;
      for (const target of [d.code?.specifier, d.type?.specifier]) if (target) stack.push(target);
    }
  }
  return seen;
}

Deno.test("lib/config/mod.ts reaches no TensorFlow.js or Arrow module statically", async () => {
  const url = new URL("../../lib/config/mod.ts", import.meta.url);
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", url.pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  ok(success);
  const info = JSON.parse(new TextDecoder().decode(stdout));
  const reached = [...staticClosure(info)];
  ok(reached.some((s) => s.includes("/lib/config/model.ts")), "the walk follows static imports");
  deepStrictEqual(reached.filter((s) => /tensorflow|apache-arrow|\/lib\/compute\//.test(s)), []);
});
