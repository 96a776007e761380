import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import Ajv2020 from "ajv/dist/2020.js";
import { parseConfigText, validateConfig } from "../../lib/config/mod.ts";
import { SCHEMA_PATH, schemaText } from "../../lib/config/_write_schemas.ts";

const ROOT = new URL("../../", import.meta.url);

async function configFiles(): Promise<URL[]> {
  const files: URL[] = [];
  for (const name of await readdir(new URL("tests/fixtures/configs/valid/", ROOT))) {
    if (name.endsWith(".yaml")) files.push(new URL(`tests/fixtures/configs/valid/${name}`, ROOT));
  }
  for (const dir of await readdir(new URL("examples/", ROOT), { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    const url = new URL(`examples/${dir.name}/config.yaml`, ROOT);
    if (await Deno.stat(url).then(() => true, () => false)) files.push(url);
  }
  return files;
}

function ajv() {
  // deno-lint-ignore no-explicit-any
  const Ajv = Ajv2020 as any;
  return new Ajv({ strict: false, allErrors: true });
}

Deno.test("schemas/model_config.schema.json is current (run deno task schemas)", async () => {
  equal(await readFile(SCHEMA_PATH, "utf8"), await schemaText());
});

Deno.test("every valid fixture and example config passes zod and the JSON Schema", async (t) => {
  const validate = ajv().compile(JSON.parse(await readFile(SCHEMA_PATH, "utf8")));
  const files = await configFiles();
  ok(files.length >= 8);
  for (const url of files) {
    await t.step(url.pathname.split("/").slice(-2).join("/"), async () => {
      const text = await readFile(url, "utf8");
      const value = parseConfigText(text) as Record<string, unknown>;
      validateConfig(value); // zod
      // The JSON Schema describes the current layout; old layouts are upgraded first.
      if (value.training === undefined) {
        const ok = validate(value);
        deepStrictEqual(ok ? [] : validate.errors, []);
      }
    });
  }
});

Deno.test("the JSON Schema rejects what zod rejects: unknown keys, bad types and enums", async () => {
  const validate = ajv().compile(JSON.parse(await readFile(SCHEMA_PATH, "utf8")));
  const base = {
    input_features: [{ name: "x", type: "number" }],
    output_features: [{ name: "y", type: "binary" }],
  };
  ok(validate(base));
  ok(validate({ ...base, combiner: "tabnet" }), "shorthand strings are accepted");
  ok(!validate({ ...base, trainer: { learing_rate: 0.1 } }));
  ok(!validate({ ...base, trainer: { epochs: 0 } }));
  ok(!validate({ ...base, input_features: [{ name: "x", type: "numbr" }] }));
  ok(!validate({ ...base, input_features: [{ name: "x", type: "text", encoder: "xlnet" }] }));
});

Deno.test("example configs start with the yaml-language-server schema comment", async () => {
  for (const url of await configFiles()) {
    if (!url.pathname.includes("/examples/")) continue;
    const first = (await readFile(url, "utf8")).split("\n")[0];
    equal(first, "# yaml-language-server: $schema=../../schemas/model_config.schema.json");
  }
});
