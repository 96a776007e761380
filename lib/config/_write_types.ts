/**
 * `deno task types`: write `lib/config/types_gen.ts`, explicit TypeScript interfaces of the config
 * generated from the zod schemas (through their JSON Schema), so that public signatures name
 * interfaces instead of `z.input`/`z.output` over the whole schema, which the type checker of
 * every importing project would otherwise re-derive (seconds per check). With `--check`, exit 1
 * when the committed file differs instead of writing.
 *
 * Input-side types (what a person writes, defaulted keys optional) are named `<Id>Options`;
 * output-side types (defaults filled, what a resolved config holds) are named `Resolved<Id>`.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { z } from "npm:zod@4.6.7";
import { writeTextAtomic } from "../_util/files.ts";
import { allCombiners, allFeatures, decodersFor, encodersFor, lossesFor } from "./components.ts";
import { configJsonSchema } from "./json_schema.ts";
import { modelConfigSchema } from "./model.ts";

/** Path of the generated module. */
export const TYPES_PATH = new URL("./types_gen.ts", import.meta.url);

type Json = Record<string, unknown>;

/** `encoder.sequence.parallel_cnn` → `EncoderSequenceParallelCnn`. */
function pascal(id: string): string {
  return id.split(/[._]+/).filter((p) => p.length > 0)
    .map((p) => p[0].toUpperCase() + p.slice(1)).join("");
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (name: string) => IDENT.test(name) ? name : JSON.stringify(name);

/** A JSDoc block from a schema's description and default. */
function doc(schema: Json, indent: string): string {
  const lines: string[] = [];
  if (typeof schema.description === "string") lines.push(...schema.description.split("\n"));
  if ("default" in schema) lines.push(`@default ${JSON.stringify(schema.default)}`);
  if (lines.length === 0) return "";
  const body = lines.map((l) => l.replaceAll("*/", "*\\/"));
  if (body.length === 1) return `${indent}/** ${body[0]} */\n`;
  return `${indent}/**\n${
    body.map((l) => `${indent} * ${l}`.trimEnd()).join("\n")
  }\n${indent} */\n`;
}

/** TypeScript for a JSON Schema (the subset zod's `toJSONSchema` writes). */
class Emitter {
  constructor(readonly name: (id: string) => string, readonly used: Set<string>) {}

  type(schema: unknown, indent: string): string {
    if (schema === true || schema === undefined) return "unknown";
    if (schema === false) return "never";
    const s = schema as Json;
    if (typeof s.$ref === "string") {
      const id = s.$ref.replace(/^#\/\$defs\//, "");
      this.used.add(id);
      return this.name(id);
    }
    if ("const" in s) return JSON.stringify(s.const);
    if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
    const alternatives = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
    if (alternatives) return this.union(alternatives.map((a) => this.type(a, indent)));
    if (Array.isArray(s.allOf)) {
      return s.allOf.map((a) => `(${this.type(a, indent)})`).join(" & ");
    }
    if (Array.isArray(s.type)) {
      return this.union(s.type.map((t) => this.type({ ...s, type: t }, indent)));
    }
    switch (s.type) {
      case "string":
        return "string";
      case "number":
      case "integer":
        return "number";
      case "boolean":
        return "boolean";
      case "null":
        return "null";
      case "array": {
        if (Array.isArray(s.prefixItems)) {
          const items = s.prefixItems.map((i) => this.type(i, indent));
          const rest = s.items === undefined || s.items === false
            ? []
            : [`...${this.wrap(this.type(s.items, indent))}[]`];
          return `[${[...items, ...rest].join(", ")}]`;
        }
        return `${this.wrap(this.type(s.items, indent))}[]`;
      }
      case "object":
        return this.object(s, indent);
      default:
        return "unknown";
    }
  }

  union(parts: string[]): string {
    const unique = [...new Set(parts)];
    if (unique.includes("unknown")) return "unknown";
    return unique.map((p) => p.includes("=>") ? `(${p})` : p).join(" | ");
  }

  wrap(t: string): string {
    return /^[A-Za-z0-9_"]+$/.test(t) ? t : `(${t})`;
  }

  /** An object literal type (the body of an interface). */
  object(s: Json, indent: string): string {
    const props = (s.properties ?? {}) as Record<string, Json>;
    const required = new Set((s.required ?? []) as string[]);
    const inner = `${indent}  `;
    const lines: string[] = [];
    for (const [name, prop] of Object.entries(props)) {
      const optional = required.has(name) ? "" : "?";
      lines.push(`${doc(prop, inner)}${inner}${key(name)}${optional}: ${this.type(prop, inner)};`);
    }
    const extra = s.additionalProperties;
    if (extra !== false && !(extra === undefined && s.properties !== undefined)) {
      const value = Object.keys(props).length > 0 ? "unknown" : this.type(extra ?? true, inner);
      lines.push(`${inner}[key: string]: ${value};`);
    }
    return lines.length === 0 ? "Record<string, never>" : `{\n${lines.join("\n")}\n${indent}}`;
  }

  /** A named declaration for `$defs[id]`. */
  declaration(id: string, schema: Json): string {
    const name = this.name(id);
    const head = doc(schema, "") || `/** The \`${id}\` block. */\n`;
    if (schema.type === "object" && !schema.anyOf && !schema.oneOf) {
      return `${head}export type ${name} = ${this.object(schema, "")};\n`;
    }
    return `${head}export type ${name} = ${this.type(schema, "")};\n`;
  }
}

/** Every `$defs` id reachable from `roots` in `defs`. */
function reachable(defs: Record<string, Json>, roots: string[]): string[] {
  const seen = new Set<string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (k === "$ref" && typeof v === "string") {
          const id = v.replace(/^#\/\$defs\//, "");
          if (!seen.has(id)) {
            seen.add(id);
            visit(defs[id]);
          }
        } else visit(v);
      }
    }
  };
  for (const root of roots) {
    seen.add(root);
    visit(defs[root]);
  }
  return [...seen];
}

/** The `id` a component schema was registered with (`obj(shape, { id })`). */
function schemaId(schema: unknown): string {
  const meta = z.globalRegistry.get(schema as z.ZodType) as { id?: string } | undefined;
  if (meta?.id === undefined) throw new TypeError("A registry schema has no id");
  return meta.id;
}

/**
 * Input-side names that would collide with a root-module export of another meaning: the
 * `hyperopt` section (the root module's `HyperoptOptions` is the `hyperopt()` function's options).
 */
const RENAMED: Record<string, string> = { hyperopt: "HyperoptSectionOptions" };
const optionsName = (id: string) => RENAMED[id] ?? `${pascal(id)}Options`;
const resolvedName = (id: string) => `Resolved${pascal(id)}`;

/** The sections of a config whose shape is fixed (typed from their schemas when resolved). */
const FIXED_SECTIONS = ["trainer", "preprocessing", "hyperopt", "backend"] as const;

/** The generated module's text. */
export function typesText(): string {
  const input = configJsonSchema() as Json;
  const inputDefs = input.$defs as Record<string, Json>;
  const output = z.toJSONSchema(modelConfigSchema(), {
    io: "output",
    target: "draft-2020-12",
    unrepresentable: "any",
  }) as Json;
  const outputDefs = output.$defs as Record<string, Json>;

  const parts: string[] = [
    "// Generated by lib/config/_write_types.ts from the zod schemas: do not edit.\n" +
    "// Regenerate with `deno task types`; tests/config/types_gen_test.ts fails when it is stale.\n" +
    "/**\n * Explicit interfaces of the config language, generated from its schemas: `<Id>Options` is\n" +
    " * what a person writes (defaulted keys optional), `Resolved<Id>` a block with every default\n" +
    " * filled.\n *\n * @module\n */\n",
  ];

  const inputEmitter = new Emitter(optionsName, new Set());
  for (const id of Object.keys(inputDefs).sort()) {
    parts.push(inputEmitter.declaration(id, inputDefs[id]));
  }

  const outputRoots = reachable(outputDefs, [...FIXED_SECTIONS]).sort();
  const outputEmitter = new Emitter(resolvedName, new Set());
  for (const id of outputRoots) parts.push(outputEmitter.declaration(id, outputDefs[id]));

  // Per feature type: the components it accepts, by name.
  const features = allFeatures().filter((f) => !f.type.includes("/"));
  const inputs = features.filter((f) => f.input);
  const outputs = features.filter((f) => f.output);
  const table = (
    title: string,
    name: string,
    rows: [string, [string, string][]][],
  ) => {
    const body = rows.map(([feature, entries]) =>
      `  /** Feature type \`${feature}\`. */\n  ${key(feature)}: {\n${
        entries.map(([type, id]) =>
          `    /** \`${type}\`. */\n    ${key(type)}: ${optionsName(id)};`
        )
          .join("\n")
      }\n  };`
    ).join("\n");
    parts.push(`/** ${title} */\nexport interface ${name} {\n${body}\n}\n`);
  };
  const builtin = (e: { type: string }) => !e.type.includes("/");
  table(
    "Per input feature type: each encoder's options, by encoder name.",
    "EncoderOptionsMap",
    inputs.map((f) => [
      f.type,
      encodersFor(f.type).filter(builtin).map((e) => [e.type, schemaId(e.schema)]),
    ]),
  );
  table(
    "Per output feature type: each decoder's options, by decoder name.",
    "DecoderOptionsMap",
    outputs.map((f) => [
      f.type,
      decodersFor(f.type).filter(builtin).map((d) => [d.type, schemaId(d.schema)]),
    ]),
  );
  table(
    "Per output feature type: each loss's options, by loss name.",
    "LossOptionsMap",
    outputs.map((f) => [
      f.type,
      lossesFor(f.type).filter(builtin).map((l) => [l.type, schemaId(l.schema)]),
    ]),
  );
  const combiners = allCombiners().filter(builtin).map((c) =>
    `  /** \`${c.type}\`. */\n  ${key(c.type)}: ${optionsName(schemaId(c.schema))};`
  );
  parts.push(
    `/** Each combiner's options, by combiner name. */\nexport interface CombinerOptionsMap {\n${
      combiners.join("\n")
    }\n}\n`,
  );
  const preprocessing = (side: "input" | "output", list: typeof features) =>
    list.map((f) => {
      const feature = inputDefs[`${side}_feature.${f.type}`];
      const ref = ((feature.properties as Record<string, Json>).preprocessing.$ref as string)
        .replace(/^#\/\$defs\//, "");
      return `  /** Feature type \`${f.type}\`. */\n  ${key(f.type)}: ${optionsName(ref)};`;
    }).join("\n");
  parts.push(
    `/** Input preprocessing options, by feature type. */\nexport interface InputPreprocessingMap {\n${
      preprocessing("input", inputs)
    }\n}\n`,
  );
  parts.push(
    `/** Output preprocessing options, by feature type. */\nexport interface OutputPreprocessingMap {\n${
      preprocessing("output", outputs)
    }\n}\n`,
  );
  const extras = outputs.map((f) => {
    const props = inputDefs[`output_feature.${f.type}`].properties as Record<string, Json>;
    const names = Object.keys(f.output!.extra ?? {});
    const body = names.map((n) =>
      `${doc(props[n], "    ")}    ${key(n)}?: ${inputEmitter.type(props[n], "    ")};`
    );
    return `  /** Feature type \`${f.type}\`. */\n  ${key(f.type)}: ${
      body.length === 0 ? "Record<never, never>" : `{\n${body.join("\n")}\n  }`
    };`;
  }).join("\n");
  parts.push(
    `/** Output-level options (threshold, top_k, clip ...), by feature type. */\n` +
      `export interface OutputExtrasMap {\n${extras}\n}\n`,
  );
  return parts.join("\n");
}

if (import.meta.main) {
  const text = typesText();
  if (Deno.args.includes("--check")) {
    const current = await readFile(TYPES_PATH, "utf8").catch(() => "");
    if (current !== text) {
      // deno-lint-ignore no-console
      console.error("lib/config/types_gen.ts is stale: run deno task types");
      Deno.exit(1);
    }
  } else {
    await writeTextAtomic(TYPES_PATH.pathname, text);
  }
}
