/**
 * The message catalog: every sentence Sonata's config layer shows a person comes from here, so
 * tests can assert with the same functions (Vega-Lite's `log/message.ts`).
 *
 * Style (Deno std): sentence case, no final period, quoted strings, a colon before detail, no
 * contractions.
 *
 * @module
 */

/** Quote a value for a message: strings in double quotes, everything else as compact JSON. */
export function quote(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}`;
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** A list of options, each quoted, separated by " | ". */
export function oneOf(options: readonly unknown[]): string {
  return options.map(quote).join(" | ");
}

/** "did you mean X?" or "" when there is no suggestion. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? "" : `did you mean ${quote(suggestion)}?`;
}

/** Messages, keyed by issue code. */
export const MESSAGES = {
  unknownKey: () => "unrecognized key",
  missingKey: (key: string, expected: string, typo?: string) =>
    `missing required key ${quote(key)}${
      typo === undefined ? "" : ` (found ${quote(typo)}: a misspelling of ${quote(key)}?)`
    }: expected ${expected}`,
  unknownType: (kind: string, options: readonly string[]) =>
    `expected a ${kind} type, one of ${oneOf(options)}`,
  notAvailable: (kind: string, name: string, available: readonly string[]) =>
    `${kind} ${quote(name)} exists in Ludwig but is not available in Sonata yet: available are ${
      oneOf(available)
    }`,
  notSupported: (what: string, why: string) => `${what} is not supported: ${why}`,
  duplicateName: (name: string) => `feature name ${quote(name)} is used more than once`,
  missingReference: (what: string, name: string, options: readonly string[]) =>
    `${what} ${quote(name)} does not exist${
      options.length ? `: expected one of ${oneOf(options)}` : ""
    }`,
  cycle: (names: readonly string[]) =>
    `output feature dependencies form a cycle: ${names.map(quote).join(" -> ")}`,
  mutuallyExclusive: (a: string, b: string) => `${a} and ${b} are mutually exclusive: set one`,
  syntax: (detail: string) => `invalid syntax: ${detail}`,
} as const;
