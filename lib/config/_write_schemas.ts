/**
 * `deno task schemas`: write `schemas/model_config.schema.json` from the zod schemas.
 * With `--check`, exit 1 when the committed file differs instead of writing.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { writeTextAtomic } from "../_util/files.ts";
import { configJsonSchema } from "./json_schema.ts";

/** Path of the generated schema, relative to the repository root. */
export const SCHEMA_PATH = new URL("../../schemas/model_config.schema.json", import.meta.url);

/** The schema file's text. */
export async function schemaText(): Promise<string> {
  const deno = JSON.parse(await readFile(new URL("../../deno.json", import.meta.url), "utf8"));
  return `${JSON.stringify(configJsonSchema(deno.version), null, 2)}\n`;
}

if (import.meta.main) {
  const text = await schemaText();
  if (Deno.args.includes("--check")) {
    const current = await readFile(SCHEMA_PATH, "utf8").catch(() => "");
    if (current !== text) {
      // deno-lint-ignore no-console
      console.error("schemas/model_config.schema.json is stale: run deno task schemas");
      Deno.exit(1);
    }
  } else {
    await writeTextAtomic(SCHEMA_PATH.pathname, text);
  }
}
