/**
 * Stage 0 of the config pipeline: text to a plain object. YAML syntax errors keep their line and
 * column; JSON is a subset of YAML 1.2 and goes through the same parser.
 *
 * @module
 */
import YAML from "npm:yaml@2.9.1";
import { ConfigSyntaxError } from "./errors.ts";

/** Parse YAML or JSON text into a plain value. */
export function parseConfigText(text: string, source?: string): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true, version: "1.2" });
  const error = doc.errors[0];
  if (error !== undefined) {
    const pos = error.linePos?.[0];
    const detail = error.message.split("\n")[0].replace(/ at line \d+, column \d+.*$/, "")
      .replace(/:$/, "");
    throw new ConfigSyntaxError(detail.replace(/\.$/, ""), {
      line: pos?.line,
      column: pos?.col,
      source,
    });
  }
  const value = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) {
    throw new ConfigSyntaxError("the document is empty", { source });
  }
  return value;
}

/** Render a config object as YAML (keys in their order, no line folding). */
export function toYAML(config: unknown): string {
  return YAML.stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
