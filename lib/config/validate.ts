/**
 * Stage 3 of the config pipeline: zod validation, with zod issues mapped to
 * {@linkcode ConfigIssue}s that carry expected, received and a suggestion.
 *
 * @module
 */
import type { z } from "npm:zod@4.6.7";
import { closestString } from "../_util/closest.ts";
import type { ConfigIssue } from "./errors.ts";
import { ISSUE_MARKER } from "./fields.ts";
import { MESSAGES, oneOf, quote } from "./messages.ts";

type ZodIssue = z.core.$ZodIssue & { input?: unknown };

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && Number.isInteger(value)) return quote(value);
  if (typeof value === "object") return "an object";
  return quote(value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function bound(
  issue: ZodIssue & { origin?: string; minimum?: unknown; maximum?: unknown; inclusive?: boolean },
): string {
  const small = issue.code === "too_small";
  const limit = small ? issue.minimum : issue.maximum;
  const op = small ? (issue.inclusive ? ">=" : ">") : (issue.inclusive ? "<=" : "<");
  switch (issue.origin) {
    case "array":
      return `an array with ${small ? "at least" : "at most"} ${limit} item${
        limit === 1 ? "" : "s"
      }`;
    case "string":
      return `a string with ${small ? "at least" : "at most"} ${limit} character${
        limit === 1 ? "" : "s"
      }`;
    case "int":
      return `an integer ${op} ${limit}`;
    default:
      return `a number ${op} ${limit}`;
  }
}

function choices(
  options: readonly unknown[],
  received: unknown,
): Pick<ConfigIssue, "expected" | "suggestion"> {
  const suggestion = typeof received === "string"
    ? closestString(received, options.filter((o): o is string => typeof o === "string"))
    : undefined;
  return {
    expected: options.length <= 12 ? `one of ${oneOf(options)}` : `one of ${options.length} names`,
    suggestion,
  };
}

function decodeMarker(issue: ZodIssue): ConfigIssue[] | undefined {
  const message = issue.message;
  if (!message.startsWith(ISSUE_MARKER)) return undefined;
  const payload = JSON.parse(message.slice(ISSUE_MARKER.length));
  const path = issue.path as (string | number)[];
  switch (payload.code) {
    case "unknown_key": {
      const keys = (issue as { keys?: string[] }).keys ?? [];
      return keys.map((key) => ({
        path: [...path, key],
        code: "unknown_key",
        message: MESSAGES.unknownKey(),
        suggestion: closestString(key, payload.known as string[]),
      }));
    }
    case "unknown_type": {
      const input = issue.input;
      const last = path[path.length - 1];
      const container = typeof last === "string" && typeof input === "object" && input !== null &&
          !Array.isArray(input)
        ? input as Record<string, unknown>
        : undefined;
      const received = container ? container[last as string] : input;
      const ludwigOnly = payload.ludwigOnly as string[] ?? [];
      if (typeof received === "string" && ludwigOnly.includes(received)) {
        return [{
          path,
          code: "not_available",
          message: MESSAGES.notAvailable(payload.kind, received, payload.options),
        }];
      }
      if (received === undefined && container) {
        const typo = closestString(last as string, Object.keys(container));
        return [{
          path,
          code: "missing",
          message: MESSAGES.missingKey(
            last as string,
            `${article(payload.kind)}${/ type$/.test(payload.kind) ? "" : " type"}, one of ${
              oneOf(payload.options)
            }`,
            typo,
          ),
        }];
      }
      if (received === undefined) {
        return [{ path, code: "missing", expected: `a ${payload.kind} type`, received: "nothing" }];
      }
      return [{
        path,
        code: "unknown_type",
        received: describeType(received),
        ...choices(payload.options, received),
      }];
    }
    case "not_supported":
      return [{
        path,
        code: "not_supported",
        message: MESSAGES.notSupported(`setting it to ${quote(issue.input)}`, payload.why),
      }];
    case "invalid_value":
      return [{
        path,
        code: "invalid_value",
        expected: payload.expected,
        received: payload.received ?? describeType(issue.input),
      }];
  }
  return undefined;
}

/** Map one zod issue to Sonata issues. */
export function mapZodIssue(issue: ZodIssue): ConfigIssue[] {
  const decoded = decodeMarker(issue);
  if (decoded) return decoded;
  const path = issue.path as (string | number)[];
  const received = issue.input;
  switch (issue.code) {
    case "invalid_type":
      if (received === undefined) {
        return [{
          path,
          code: "missing",
          message: `missing required key: expected ${article(issue.expected)}`,
        }];
      }
      return [{
        path,
        code: "invalid_type",
        expected: article(issue.expected === "int" ? "integer" : issue.expected),
        received: describeType(received),
      }];
    case "too_small":
    case "too_big":
      return [{
        path,
        code: issue.code,
        expected: bound(issue as never),
        received: describeType(received),
      }];
    case "invalid_value":
      return [{
        path,
        code: "invalid_value",
        received: describeType(received),
        ...choices(issue.values, received),
      }];
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        path: [...path, key],
        code: "unknown_key",
        message: MESSAGES.unknownKey(),
      }));
    case "invalid_union": {
      const expected = new Set<string>();
      for (const branch of issue.errors) {
        for (const inner of branch) {
          if (inner.path.length > 0) continue;
          if (inner.code === "invalid_type") {
            expected.add(article(inner.expected === "int" ? "integer" : inner.expected));
          } else if (inner.code === "invalid_value") {
            inner.values.forEach((v) => expected.add(quote(v)));
          } else if (inner.code === "too_small" || inner.code === "too_big") {
            expected.add(bound(inner as never));
          }
        }
      }
      return [{
        path,
        code: "invalid_union",
        expected: expected.size ? [...expected].join(" or ") : "a valid value",
        received: describeType(received),
      }];
    }
    case "not_multiple_of":
      return [{
        path,
        code: issue.code,
        expected: `a multiple of ${issue.divisor}`,
        received: describeType(received),
      }];
    default:
      return [{ path, code: issue.code, message: issue.message.replace(/\.$/, "") }];
  }
}

/** Validate `input` with `schema`; returns the parsed value or the mapped issues. */
export function validateWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; value: z.output<S> } | { ok: false; issues: ConfigIssue[] } {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: result.error.issues.flatMap((i) => mapZodIssue(i as ZodIssue)) };
}
