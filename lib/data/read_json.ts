/**
 * JSON and JSON Lines readers. Cells keep their JSON types (strings, numbers, booleans, null,
 * arrays, objects). JSON has no `NaN` or `Infinity`, but Python's `json` writes them; they are
 * errors naming column and row unless `allowNonFinite` is set.
 *
 * @module
 */

import { pathString, readFileBytes, streamFile } from "./_files.ts";
import { Dataset, missingColumnError } from "./dataset.ts";
import { DataError, quoteValue } from "./errors.ts";

/** Options of {@linkcode readJson}, {@linkcode readJsonl} and {@linkcode parseJson}. */
export interface JsonOptions {
  /** Only keep these columns, in this order; an absent one is an error. */
  columns?: readonly string[];
  /** Stop after this many rows. */
  limit?: number;
  /** Accept the non-standard tokens `NaN`, `Infinity` and `-Infinity` as numbers. */
  allowNonFinite?: boolean;
}

const SENTINEL = "\u0000sonata:";
const NON_FINITE: Record<string, number> = {
  NaN: NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity,
};

/**
 * Replaces bare `NaN`, `Infinity` and `-Infinity` tokens outside strings by sentinel strings,
 * or returns `undefined` when there are none.
 */
function replaceNonFinite(text: string): string | undefined {
  const re = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;
  let found = false;
  const out = text.replace(re, (token) => {
    if (token.charCodeAt(0) === 34) return token;
    found = true;
    return JSON.stringify(SENTINEL + token);
  });
  return found ? out : undefined;
}

interface Found {
  token: string;
  column: string;
  row: number;
}

/** Replaces sentinels by numbers in place; returns the first one found (row, column). */
function restoreNonFinite(records: Record<string, unknown>[], allow: boolean): Found | undefined {
  const walk = (value: unknown): { value: unknown; token?: string } => {
    if (typeof value === "string" && value.startsWith(SENTINEL)) {
      const token = value.slice(SENTINEL.length);
      return { value: NON_FINITE[token], token };
    }
    if (value !== null && typeof value === "object") {
      let token: string | undefined;
      for (const key of Object.keys(value)) {
        const r = walk((value as Record<string, unknown>)[key]);
        if (r.token !== undefined) {
          token ??= r.token;
          (value as Record<string, unknown>)[key] = r.value;
        }
      }
      return { value, token };
    }
    return { value };
  };
  for (let row = 0; row < records.length; row++) {
    const record = records[row];
    if (record === null || typeof record !== "object") continue;
    for (const column of Object.keys(record)) {
      const r = walk(record[column]);
      if (r.token !== undefined) {
        if (!allow) return { token: r.token, column, row };
        record[column] = r.value;
      }
    }
  }
  return undefined;
}

function nonFiniteError(found: Found, file: string | undefined): DataError {
  return new DataError(
    `found ${found.token}, which JSON does not allow: use null for a missing value, ` +
      `or pass "allowNonFinite"`,
    { file, column: found.column, row: found.row },
  );
}

function lineOf(text: string, position: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < position; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function syntaxError(
  error: unknown,
  text: string,
  file: string | undefined,
  line?: number,
): DataError {
  const message = error instanceof Error ? error.message : String(error);
  const at = /position (\d+)/.exec(message);
  const where = line ?? (at ? lineOf(text, Number(at[1])) : undefined);
  return new DataError(`invalid JSON: ${message}`, { file, line: where, cause: error });
}

/** Parses JSON text that may hold non-finite tokens; returns the value and the sentinel flag. */
function parseLenient(text: string, file: string | undefined, line?: number): {
  value: unknown;
  replaced: boolean;
} {
  try {
    return { value: JSON.parse(text), replaced: false };
  } catch (error) {
    const replaced = replaceNonFinite(text);
    if (replaced !== undefined) {
      try {
        return { value: JSON.parse(replaced), replaced: true };
      } catch {
        // fall through to the original error
      }
    }
    throw syntaxError(error, text, file, line);
  }
}

/** Turns a parsed JSON document into records: an array of records, or an object of columns. */
function toRecords(value: unknown, file: string | undefined): Record<string, unknown>[] {
  if (Array.isArray(value)) return value as Record<string, unknown>[];
  if (value !== null && typeof value === "object") {
    // pandas' default orient "columns": {"col": {"0": v, ...}} or {"col": [v, ...]}.
    const columns = Object.entries(value as Record<string, unknown>);
    const records: Record<string, unknown>[] = [];
    const index = new Map<string, number>();
    for (const [name, column] of columns) {
      if (column === null || typeof column !== "object") {
        throw new DataError(
          `expected an array of records or an object of columns, found ${
            quoteValue(column)
          } for key "${name}"`,
          { file },
        );
      }
      const entries = Array.isArray(column)
        ? column.map((v, i) => [String(i), v] as const)
        : Object.entries(column as Record<string, unknown>);
      for (const [key, v] of entries) {
        let row = index.get(key);
        if (row === undefined) {
          row = records.length;
          index.set(key, row);
          records.push({});
        }
        records[row][name] = v;
      }
    }
    return records;
  }
  throw new DataError(
    `expected an array of records or an object of columns, found ${quoteValue(value)}`,
    { file },
  );
}

function finish(
  records: Record<string, unknown>[],
  options: JsonOptions,
  file: string | undefined,
  checksum: string | undefined,
): Dataset {
  if (records.length === 0) throw new DataError("found no records", { file });
  let ds = Dataset.fromRecords(records, { source: file, checksum });
  if (options.columns !== undefined) {
    for (const name of options.columns) {
      if (!ds.hasColumn(name)) throw missingColumnError(name, ds.columnNames, file);
    }
    ds = ds.selectColumns(options.columns);
  }
  return ds;
}

/**
 * Parses a JSON document (an array of records, or an object of columns as pandas writes it).
 *
 * @param text The JSON text.
 * @param options Column subset, row limit, non-finite numbers, and `source` for errors.
 * @returns The dataset.
 * @throws {DataError} On invalid JSON, no records, an absent column, or `NaN`/`Infinity`
 * when not allowed.
 *
 * @example Parse records
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { parseJson } from "./read_json.ts";
 * const ds = parseJson('[{"x": 1, "tags": ["a"]}, {"x": null, "tags": []}]');
 * assertEquals(ds.column("x"), [1, null]);
 * assertEquals(ds.column("tags"), [["a"], []]);
 * ```
 */
export function parseJson(text: string, options: JsonOptions & { source?: string } = {}): Dataset {
  return parseJsonText(text, options, options.source, undefined);
}

function parseJsonText(
  text: string,
  options: JsonOptions,
  file: string | undefined,
  checksum: string | undefined,
): Dataset {
  const { value, replaced } = parseLenient(text, file);
  let records = toRecords(value, file);
  if (options.limit !== undefined) records = records.slice(0, options.limit);
  if (replaced) {
    const found = restoreNonFinite(records, options.allowNonFinite ?? false);
    if (found) throw nonFiniteError(found, file);
  }
  const whole = options.limit === undefined && options.columns === undefined;
  return finish(records, options, file, whole ? checksum : undefined);
}

/**
 * Reads a JSON file (or `.json.gz`).
 *
 * @param path The file.
 * @param options Column subset, row limit and non-finite numbers.
 * @returns The dataset; its checksum is the SHA-256 of the file bytes.
 *
 * @example Read a JSON file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readJson } from "./read_json.ts";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(path, '[{"a": true}, {"a": false}]');
 * assertEquals((await readJson(path)).column("a"), [true, false]);
 * await Deno.remove(path);
 * ```
 */
export async function readJson(path: string | URL, options: JsonOptions = {}): Promise<Dataset> {
  const file = pathString(path);
  const { bytes, checksum } = await readFileBytes(file);
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") throw new DataError("the file is empty", { file });
  return parseJsonText(text, options, file, checksum);
}

/**
 * Reads a JSON Lines file (`.jsonl`, `.ndjson`, or gzipped), one record per line, streaming.
 * Blank lines are skipped; errors name the line.
 *
 * @param path The file.
 * @param options Column subset, row limit and non-finite numbers.
 * @returns The dataset.
 *
 * @example Read JSON Lines
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readJsonl } from "./read_json.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '{"a": 1}\n{"a": 2, "b": "x"}\n');
 * const ds = await readJsonl(path);
 * assertEquals(ds.column("b"), [null, "x"]);
 * await Deno.remove(path);
 * ```
 */
export async function readJsonl(path: string | URL, options: JsonOptions = {}): Promise<Dataset> {
  const file = pathString(path);
  const decoder = new TextDecoder();
  const records: Record<string, unknown>[] = [];
  const limit = options.limit ?? Infinity;
  let rest = "";
  let line = 0;
  let empty = true;
  const take = (text: string): boolean => {
    line++;
    if (text.trim() === "") return true;
    empty = false;
    const { value, replaced } = parseLenient(text, file, line);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new DataError(`expected a JSON object (a record), found ${quoteValue(value)}`, {
        file,
        line,
      });
    }
    if (replaced) {
      const found = restoreNonFinite(
        [value as Record<string, unknown>],
        options.allowNonFinite ?? false,
      );
      if (found) throw nonFiniteError({ ...found, row: records.length }, file);
    }
    records.push(value as Record<string, unknown>);
    return records.length < limit;
  };
  const { checksum } = await streamFile(file, (chunk) => {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      if (!take(text.slice(start, nl))) return false;
      start = nl + 1;
    }
    rest = text.slice(start);
    return true;
  });
  if (records.length < limit) {
    rest += decoder.decode();
    if (rest.trim() !== "") take(rest);
  }
  if (empty) throw new DataError("the file is empty", { file });
  const whole = checksum !== undefined && options.columns === undefined;
  return finish(records, options, file, whole ? checksum : undefined);
}
