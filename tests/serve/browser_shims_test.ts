// The browser stand-ins of node: modules behave as Node's POSIX path functions.
import { equal, throws } from "node:assert/strict";
import * as node from "node:path";
import * as shim from "../../lib/serve/_browser/node_path.ts";
import { createHash, readFile } from "../../lib/serve/_browser/node_unavailable.ts";

Deno.test("the browser node:path stand-in matches node:path (POSIX)", () => {
  const cases = [
    ["a", "b"],
    ["/a/b", "../c"],
    ["a/./b/", "c/.."],
    ["", "x"],
    ["/", ".."],
    ["../a", "../../b"],
  ];
  for (const parts of cases) {
    equal(shim.join(...parts), node.posix.join(...parts), `join ${parts}`);
    equal(
      shim.resolve("/root", ...parts),
      node.posix.resolve("/root", ...parts),
      `resolve ${parts}`,
    );
  }
  for (const p of ["/a/b/c.json", "a/b/", "c", "/", "/a", "a/b.tar.gz", ".hidden"]) {
    equal(shim.dirname(p), node.posix.dirname(p), `dirname ${p}`);
    equal(shim.basename(p), node.posix.basename(p), `basename ${p}`);
    equal(shim.extname(p), node.posix.extname(p), `extname ${p}`);
  }
  equal(shim.basename("/a/b.json", ".json"), "b");
});

Deno.test("file and hash functions say they are not available in the browser", () => {
  throws(() => readFile("x"), /fs.readFile is not available in the browser build of Sonata/);
  throws(() => createHash("sha256"), /crypto.createHash is not available/);
});
