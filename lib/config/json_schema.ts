/**
 * JSON Schema of the config, generated from the zod schemas (input side: defaulted keys are
 * optional) so editors complete and check YAML. `deno task schemas` writes it to `schemas/`.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { modelConfigSchema } from "./model.ts";

/** Where the published schema lives, as its `$id`. */
export const SCHEMA_ID = "https://jsr.io/@sonata/sonata/schemas/model_config.schema.json";

/** The JSON Schema (draft 2020-12) of a model config as a person writes it. */
export function configJsonSchema(version = "0.1.0"): Record<string, unknown> {
  const schema = z.toJSONSchema(modelConfigSchema(), {
    io: "input",
    target: "draft-2020-12",
    unrepresentable: "any",
    override: (ctx) => {
      const meta = z.globalRegistry.get(ctx.zodSchema as unknown as z.ZodType) as
        | { shorthandTypes?: string[] }
        | undefined;
      const names = meta?.shorthandTypes;
      if (!names) return;
      // A `z.preprocess` (string shorthand → {type}) renders as its inner union on the input
      // side; add the shorthand strings as an alternative.
      const json = ctx.jsonSchema as Record<string, unknown>;
      const { shorthandTypes: _, ...inner } = json;
      for (const key of Object.keys(json)) delete json[key];
      json.anyOf = [{ type: "string", enum: names }, inner];
    },
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: SCHEMA_ID,
    title: "Sonata model config",
    description: `Ludwig-compatible ECD model config for Sonata ${version}`,
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}
