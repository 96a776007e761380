/**
 * Structured config problems and their rendering (STYLE B7).
 *
 * Every problem found while loading a config is a {@linkcode ConfigIssue}; all of them are
 * collected and thrown together in one {@linkcode ConfigValidationError}, whose message renders
 * one line per issue: the path (with the feature's name), what was expected, what was received,
 * and a suggestion.
 *
 * @module
 */
import { didYouMean, quote } from "./messages.ts";

/** A path into a config: object keys and array indices. */
export type ConfigPath = readonly (string | number)[];

/** One problem with a config. */
export interface ConfigIssue {
  /** Where the problem is. */
  path: ConfigPath;
  /** A stable machine-readable code, e.g. `unknown_key`, `invalid_type`, `too_small`. */
  code: string;
  /** What was expected, as a phrase ("an integer >= 1"). */
  expected?: string;
  /** What was found, already quoted for display. */
  received?: string;
  /** The closest valid name, when one is near. */
  suggestion?: string;
  /** A complete message, when the issue is not an expected/received pair. */
  message?: string;
  /** Other paths the issue involves (cross-field checks). */
  related?: ConfigPath[];
}

/** Raised when a config does not validate; carries every issue found. */
export class ConfigValidationError extends TypeError {
  /** All issues, in document order. */
  readonly issues: ConfigIssue[];
  /** The file or description of the config, when known. */
  readonly source?: string;

  /** Build an error from issues; `config` is used only to name features in paths. */
  constructor(issues: ConfigIssue[], options: { source?: string; config?: unknown } = {}) {
    super(renderIssues(issues, options));
    this.name = "ConfigValidationError";
    this.issues = issues;
    this.source = options.source;
  }
}

/** Raised when YAML or JSON text cannot be parsed; carries the line and column (1-based). */
export class ConfigSyntaxError extends SyntaxError {
  /** 1-based line of the problem. */
  readonly line?: number;
  /** 1-based column of the problem. */
  readonly column?: number;
  /** The file, when known. */
  readonly source?: string;

  /** Build a syntax error. */
  constructor(
    detail: string,
    options: { line?: number; column?: number; source?: string } = {},
  ) {
    const where = options.line !== undefined
      ? ` at line ${options.line}${
        options.column !== undefined ? `, column ${options.column}` : ""
      }`
      : "";
    const what = options.source ? `config ${quote(options.source)}` : "config";
    super(`Cannot parse ${what}${where}: ${detail}`);
    this.name = "ConfigSyntaxError";
    this.line = options.line;
    this.column = options.column;
    this.source = options.source;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Render a path as `input_features[0] "review" › encoder.type`: array indices in brackets, and
 * the `name` of any object reached through an index, looked up in `config`.
 */
export function formatPath(path: ConfigPath, config?: unknown): string {
  if (path.length === 0) return "(root)";
  const parts: string[] = [];
  let current = "";
  let node: unknown = config;
  for (const segment of path) {
    if (typeof segment === "number") {
      current += `[${segment}]`;
      node = Array.isArray(node) ? node[segment] : undefined;
      if (isRecord(node) && typeof node.name === "string") {
        parts.push(`${current} ${quote(node.name)}`);
        current = "";
      }
    } else {
      current += /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)
        ? (current === "" ? segment : `.${segment}`)
        : `[${JSON.stringify(segment)}]`;
      node = isRecord(node) ? node[segment] : undefined;
    }
  }
  if (current !== "") parts.push(current);
  return parts.join(" › ");
}

/** Render one issue as a single line (without the leading indentation). */
export function formatIssue(issue: ConfigIssue, config?: unknown): string {
  let body: string;
  if (issue.message !== undefined) body = issue.message;
  else {
    const pieces: string[] = [];
    if (issue.expected !== undefined) pieces.push(`expected ${issue.expected}`);
    if (issue.received !== undefined) pieces.push(`received ${issue.received}`);
    body = pieces.join(", ");
  }
  const hint = didYouMean(issue.suggestion);
  return `${formatPath(issue.path, config)}: ${body}${hint ? `: ${hint}` : ""}`;
}

/** Render issues as in STYLE B7: a heading naming the action and count, then one line each. */
export function renderIssues(
  issues: readonly ConfigIssue[],
  options: { source?: string; config?: unknown } = {},
): string {
  const what = options.source ? `config ${quote(options.source)}` : "config";
  const count = issues.length === 1 ? "found 1 issue" : `found ${issues.length} issues`;
  const lines = issues.map((issue) => `  ${formatIssue(issue, options.config)}`);
  return [`Cannot validate ${what}: ${count}`, ...lines].join("\n");
}
