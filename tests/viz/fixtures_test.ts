import assert from "node:assert/strict";
import { generateFixtures } from "../fixtures/viz/_generate.ts";
import { FIXTURES } from "./_helpers.ts";

Deno.test("the visualization fixtures are up to date with their generator", async () => {
  const files = generateFixtures();
  for (const [name, content] of Object.entries(files)) {
    const actual = await Deno.readTextFile(FIXTURES + name);
    assert.ok(
      actual === content,
      `${name} is stale: run deno run -A tests/fixtures/viz/_generate.ts`,
    );
  }
  assert.ok(Object.values(files).every((c) => c.length < 8000), "fixtures stay small");
});
