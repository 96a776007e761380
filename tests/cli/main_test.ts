import { equal, match, ok } from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { COMMANDS, main } from "../../lib/cli/main.ts";
import { capture } from "./_helpers.ts";
import { loadConfig, parseConfigText } from "../../lib/config/mod.ts";

const FIXTURES = new URL("../fixtures/configs/", import.meta.url);

Deno.test("sonata validate exits 0 on a valid config and 2 with located issues", async () => {
  const ok0 = capture();
  equal(
    await main(["validate", "--config", new URL("valid/hyperopt.yaml", FIXTURES).pathname], ok0.io),
    0,
  );
  match(ok0.out.join(""), /is valid/);
  const bad = capture();
  equal(
    await main(["validate", "-c", new URL("invalid/typos.yaml", FIXTURES).pathname], bad.io),
    2,
  );
  match(bad.err.join("\n"), /found 4 issues/);
  match(
    bad.err.join("\n"),
    /trainer.learing_rate: unrecognized key: did you mean "learning_rate"\?/,
  );
  const syntax = capture();
  equal(
    await main(["validate", "-c", new URL("invalid/syntax.yaml", FIXTURES).pathname], syntax.io),
    2,
  );
  match(syntax.err.join(""), /at line 4, column 1/);
});

Deno.test("sonata validate reports the upgrades of an old layout on stderr", async () => {
  const c = capture();
  equal(
    await main(["validate", "-c", new URL("valid/ludwig_0_4_flat.yaml", FIXTURES).pathname], c.io),
    0,
  );
  match(c.err.join("\n"), /upgraded \(Ludwig 0.5 layout\): training -> trainer/);
});

Deno.test("sonata render_config prints or writes the fully defaulted config", async () => {
  const path = new URL("valid/comparator.yaml", FIXTURES).pathname;
  const c = capture();
  equal(await main(["render_config", "--config", path], c.io), 0);
  const rendered = parseConfigText(c.out.join(""));
  const expected = JSON.parse(JSON.stringify(await loadConfig(path)));
  equal(JSON.stringify(rendered), JSON.stringify(expected));
  const dir = await Deno.makeTempDir();
  const w = capture();
  equal(await main(["render_config", "-c", path, "--output", `${dir}/out.json`], w.io), 0);
  equal(
    JSON.stringify(JSON.parse(await readFile(`${dir}/out.json`, "utf8"))),
    JSON.stringify(expected),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("every command has --help; unknown commands and flags exit 2", async () => {
  for (const name of Object.keys(COMMANDS)) {
    if (name === "visualize") continue; // its help comes from lib/viz
    const c = capture();
    equal(await main([name, "--help"], c.io), 0, name);
    match(c.out.join(""), /^Usage: sonata /);
  }
  const top = capture();
  equal(await main(["--help"], top.io), 0);
  ok(Object.keys(COMMANDS).every((n) => top.out.join("").includes(n)));
  const unknown = capture();
  equal(await main(["valdate"], unknown.io), 2);
  match(unknown.err.join(""), /did you mean "validate"\?/);
  const flag = capture();
  equal(await main(["validate", "--confg", "x"], flag.io), 2);
  match(flag.err.join(""), /Unknown option '--confg'/);
});
