/**
 * Streaming CSV and TSV readers (RFC 4180): quoted fields may hold delimiters, newlines and
 * doubled quotes; CRLF, LF and CR line ends; a UTF-8 byte-order mark is skipped; the first
 * record is the header. Files are decoded chunk by chunk, so a large file is never held as one
 * string. Every cell is a string; an empty cell (or one listed in `nullValues`) is `null`.
 *
 * @module
 */

import * as arrow from "npm:apache-arrow@21.2.0";
import { type Cell, makeField } from "./_columns.ts";
import { pathString, streamFile } from "./_files.ts";
import { envLimit, formatBytes, warn } from "../_util/guard.ts";
import { Dataset, missingColumnError } from "./dataset.ts";
import { DataError } from "./errors.ts";

/** Options of {@linkcode readCsv}, {@linkcode readTsv} and {@linkcode parseCsv}. */
export interface CsvOptions {
  /** The field delimiter, one character; default `","` (`"\t"` for TSV). */
  delimiter?: string;
  /** Only keep these columns, in this order; an absent one is an error. */
  columns?: readonly string[];
  /** Stop after this many data rows. */
  limit?: number;
  /**
   * Cell texts that mean "missing" besides the empty string, e.g. pandas' defaults
   * {@linkcode PANDAS_NA_VALUES}; compared exactly, quoted or not.
   */
  nullValues?: readonly string[];
}

/**
 * The strings pandas reads as missing by default (`keep_default_na`), for readers that want
 * Ludwig's behaviour: `readCsv(path, { nullValues: PANDAS_NA_VALUES })`.
 */
export const PANDAS_NA_VALUES: readonly string[] = Object.freeze([
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
]);

const LF = 10;
const CR = 13;
const QUOTE = 34;

/**
 * The longest CSV record (and so cell) read, 64 MiB of text: past it a file is refused (an
 * unterminated quote would otherwise read the rest of the file into one cell). The environment
 * variable `SONATA_MAX_CELL_BYTES` overrides it (`0` for no limit).
 */
export const MAX_CELL_BYTES = 64 * 2 ** 20;

/**
 * Notices bytes that are not UTF-8 (replacement characters the bytes did not spell as EF BF BD)
 * and the 1-based file line of the first.
 */
class Utf8Watch {
  #tail: Uint8Array = new Uint8Array(0);
  #lines = 0;
  /** The line of the first bytes that are not UTF-8, once found. */
  line?: number;
  /** Whether decoding replaced bytes that are not UTF-8. */
  invalid = false;

  check(chunk: Uint8Array, text: string): void {
    if (!this.invalid && text.includes("\uFFFD")) this.#inspect(chunk, text);
    this.#tail = chunk.subarray(Math.max(0, chunk.length - 2));
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) this.#lines++;
  }

  #inspect(chunk: Uint8Array, text: string): void {
    let decoded = 0;
    for (let i = text.indexOf("\uFFFD"); i !== -1; i = text.indexOf("\uFFFD", i + 1)) decoded++;
    const bytes = new Uint8Array(this.#tail.length + chunk.length);
    bytes.set(this.#tail);
    bytes.set(chunk, this.#tail.length);
    let spelled = 0;
    for (let i = 0; i + 2 < bytes.length; i++) {
      if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) spelled++;
    }
    if (decoded <= spelled) return;
    this.invalid = true;
    // The line: skip the continuation bytes of a character begun in the previous chunk, and
    // let a streaming decoder hold a character cut at the chunk's end.
    let start = 0;
    while (start < 3 && start < chunk.length && (chunk[start] & 0xc0) === 0x80) start++;
    let line = this.#lines + 1;
    for (let i = start; i <= chunk.length; i++) {
      if (i === chunk.length || chunk[i] === 0x0a) {
        try {
          new TextDecoder("utf-8", { fatal: true }).decode(chunk.subarray(start, i), {
            stream: i === chunk.length,
          });
        } catch {
          this.line = line;
          return;
        }
        line++;
        start = i + 1;
      }
    }
  }
}

/** Warn once about bytes that are not UTF-8, naming the line and, when known, column and row. */
function warnInvalidUtf8(
  parsed: ReturnType<CsvParser["end"]>,
  file: string,
  line: number | undefined,
): void {
  const detail =
    "bytes that are not UTF-8 were replaced by U+FFFD (convert the file to UTF-8, e.g. with iconv)";
  const at = line === undefined ? "" : ` line ${line}`;
  if (line === 1) {
    const bad = parsed.header.find((n) => n.includes("\uFFFD"));
    return warn(
      `${JSON.stringify(file)}${at} (the header)${
        bad ? `, column ${JSON.stringify(bad)}` : ""
      }: ${detail}`,
    );
  }
  // Without quoted line breaks, line L holds data row L - 2.
  const row = line === undefined ? -1 : line - 2;
  const column = parsed.columns.find(({ cells }) => cells[row]?.includes("\uFFFD"));
  warn(
    `${JSON.stringify(file)}${at}${
      column ? `, column ${JSON.stringify(column.name)} row ${row}` : ""
    }: ${detail}`,
  );
}

/**
 * An incremental RFC 4180 parser: `push` text chunks, then `end`. Holds back only the
 * unfinished last record between chunks.
 */
class CsvParser {
  #delimiter: number;
  #file?: string;
  #wanted?: readonly string[];
  #limit: number;
  #nulls?: ReadonlySet<string>;
  #buffer = "";
  #line = 1;
  #fields: string[] = [];
  #header?: string[];
  #keep?: Int32Array;
  #cells: (string | null)[][] = [];
  #rows = 0;
  #maxRecord = envLimit("SONATA_MAX_CELL_BYTES", MAX_CELL_BYTES);

  constructor(options: CsvOptions, file?: string) {
    const delimiter = options.delimiter ?? ",";
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
      throw new DataError(
        `expected a one-character delimiter other than a quote or newline, received ${
          JSON.stringify(delimiter)
        }`,
        { file },
      );
    }
    this.#delimiter = delimiter.charCodeAt(0);
    this.#file = file;
    this.#wanted = options.columns;
    this.#limit = options.limit ?? Infinity;
    const nulls = (options.nullValues ?? []).filter((v) => v !== "");
    if (nulls.length > 0) this.#nulls = new Set(nulls);
  }

  /** Whether the row limit has been reached. */
  get done(): boolean {
    return this.#rows >= this.#limit;
  }

  push(text: string): void {
    this.#buffer = this.#buffer.length > 0 ? this.#buffer + text : text;
    this.#parse(false);
    if (this.#buffer.length > this.#maxRecord) {
      throw new DataError(
        `a record starting on this line is longer than ${
          formatBytes(this.#maxRecord)
        } (an unterminated quote?); set SONATA_MAX_CELL_BYTES to a larger number of bytes, or 0 for no limit`,
        { file: this.#file, line: this.#line },
      );
    }
  }

  end(): { header: string[]; columns: { name: string; cells: (string | null)[] }[]; rows: number } {
    if (!this.done) this.#parse(true);
    const header = this.#header;
    if (header === undefined) {
      throw new DataError("found no header: the file is empty", { file: this.#file });
    }
    if (this.#rows === 0) {
      throw new DataError("found a header but no data rows", { file: this.#file });
    }
    const names = this.#wanted ?? header;
    return {
      header,
      columns: names.map((name, i) => ({ name, cells: this.#cells[i] })),
      rows: this.#rows,
    };
  }

  #parse(final: boolean): void {
    const s = this.#buffer;
    const n = s.length;
    const D = this.#delimiter;
    const fields = this.#fields;
    let pos = 0;
    let line = this.#line;
    outer: while (pos < n && !this.done) {
      const recordStart = pos;
      const recordLine = line;
      let c = s.charCodeAt(pos);
      // Blank lines are skipped (as pandas does).
      if (c === LF) {
        pos++;
        line++;
        continue;
      }
      if (c === CR) {
        if (pos + 1 >= n && !final) break;
        pos += pos + 1 < n && s.charCodeAt(pos + 1) === LF ? 2 : 1;
        line++;
        continue;
      }
      let count = 0;
      let quoted = 0; // bit per field index < 32: field was quoted (exempt from nullValues)
      while (true) {
        let value: string;
        if (s.charCodeAt(pos) === QUOTE) {
          let segment = pos + 1;
          let search = segment;
          value = "";
          while (true) {
            const q = s.indexOf('"', search);
            if (q === -1 || (q + 1 >= n && !final)) {
              if (!final) {
                pos = recordStart;
                line = recordLine;
                break outer;
              }
              throw new DataError(
                `found an unterminated quoted field starting on this line`,
                { file: this.#file, line: recordLine, row: this.#rows },
              );
            }
            if (q + 1 < n && s.charCodeAt(q + 1) === QUOTE) {
              value += s.slice(segment, q + 1);
              search = segment = q + 2;
              continue;
            }
            value += s.slice(segment, q);
            pos = q + 1;
            break;
          }
          for (let k = value.indexOf("\n"); k !== -1; k = value.indexOf("\n", k + 1)) line++;
          if (count < 32) quoted |= 1 << count;
          // Text after the closing quote is kept verbatim up to the delimiter (as Python's csv).
          if (pos < n) {
            c = s.charCodeAt(pos);
            if (c !== D && c !== LF && c !== CR) {
              let j = pos;
              while (j < n) {
                c = s.charCodeAt(j);
                if (c === D || c === LF || c === CR) break;
                j++;
              }
              if (j >= n && !final) {
                pos = recordStart;
                line = recordLine;
                break outer;
              }
              value += s.slice(pos, j);
              pos = j;
            }
          }
        } else {
          let j = pos;
          while (j < n) {
            c = s.charCodeAt(j);
            if (c === D || c === LF || c === CR) break;
            j++;
          }
          if (j >= n && !final) {
            pos = recordStart;
            line = recordLine;
            break outer;
          }
          value = s.slice(pos, j);
          pos = j;
        }
        fields[count++] = value;
        if (pos >= n) {
          if (!final) {
            pos = recordStart;
            line = recordLine;
            break outer;
          }
          break;
        }
        c = s.charCodeAt(pos);
        if (c === D) {
          pos++;
          if (pos >= n) {
            if (!final) {
              pos = recordStart;
              line = recordLine;
              break outer;
            }
            fields[count++] = "";
            break;
          }
          continue;
        }
        if (c === LF) {
          pos++;
          line++;
          break;
        }
        // CR or CRLF
        if (pos + 1 >= n && !final) {
          pos = recordStart;
          line = recordLine;
          break outer;
        }
        pos += pos + 1 < n && s.charCodeAt(pos + 1) === LF ? 2 : 1;
        line++;
        break;
      }
      this.#record(count, quoted, recordLine);
    }
    this.#buffer = pos >= n ? "" : s.slice(pos);
    this.#line = line;
  }

  #record(count: number, quoted: number, line: number): void {
    const fields = this.#fields;
    if (this.#header === undefined) {
      this.#setHeader(fields.slice(0, count), line);
      return;
    }
    const header = this.#header;
    if (count !== header.length) {
      throw new DataError(
        `expected ${header.length} fields as in the header, found ${count}`,
        { file: this.#file, line, row: this.#rows },
      );
    }
    const keep = this.#keep!;
    const cells = this.#cells;
    const nulls = this.#nulls;
    for (let i = 0; i < keep.length; i++) {
      const k = keep[i];
      const v = fields[k];
      cells[i].push(
        v === "" || (nulls !== undefined && nulls.has(v) && (k >= 32 || !(quoted & (1 << k))))
          ? null
          : v,
      );
    }
    this.#rows++;
  }

  #setHeader(names: string[], line: number): void {
    const seen = new Map<string, number>();
    for (let i = 0; i < names.length; i++) {
      if (names[i] === "") names[i] = `Unnamed: ${i}`;
      const previous = seen.get(names[i]);
      if (previous !== undefined) {
        throw new DataError(
          `found a duplicate column name in the header (fields ${previous + 1} and ${i + 1})`,
          { file: this.#file, column: names[i], line },
        );
      }
      seen.set(names[i], i);
    }
    this.#header = names;
    const wanted = this.#wanted ?? names;
    this.#keep = new Int32Array(wanted.length);
    for (let i = 0; i < wanted.length; i++) {
      const index = seen.get(wanted[i]);
      if (index === undefined) throw missingColumnError(wanted[i], names, this.#file);
      this.#keep[i] = index;
      this.#cells.push([]);
    }
  }
}

function toDataset(
  parsed: ReturnType<CsvParser["end"]>,
  source: string | undefined,
  checksum: string | undefined,
): Dataset {
  return Dataset.fromCells(
    parsed.columns.map((c) => ({
      field: makeField(c.name, new arrow.Utf8()),
      cells: c.cells as Cell[],
    })),
    parsed.rows,
    { source, checksum },
  );
}

/**
 * Reads a CSV file (or `.csv.gz`) into a {@linkcode Dataset}, streaming it in chunks.
 *
 * @param path The file.
 * @param options Delimiter, column subset, row limit and null strings.
 * @returns The dataset; its checksum is the SHA-256 of the file bytes when the whole file with
 * all its columns was read.
 * @throws {DataError} On a missing or empty file, a header without rows, a duplicate column
 * name, a row with the wrong number of fields, an unterminated quote or an absent column.
 *
 * @example Read a CSV file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readCsv } from "./read_csv.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, 'name,comment\nann,"hello, world"\nbob,\n');
 * const ds = await readCsv(path);
 * assertEquals(ds.column("comment"), ["hello, world", null]);
 * await Deno.remove(path);
 * ```
 */
export async function readCsv(path: string | URL, options: CsvOptions = {}): Promise<Dataset> {
  const file = pathString(path);
  const parser = new CsvParser(options, file);
  const decoder = new TextDecoder();
  const utf8 = new Utf8Watch();
  const { checksum } = await streamFile(file, (chunk) => {
    const text = decoder.decode(chunk, { stream: true });
    utf8.check(chunk, text);
    parser.push(text);
    return !parser.done;
  });
  if (!parser.done) {
    const rest = decoder.decode();
    if (rest.includes("\uFFFD")) utf8.invalid = true; // a sequence cut off at the end
    parser.push(rest);
  }
  const whole = checksum !== undefined && options.columns === undefined;
  const parsed = parser.end();
  if (utf8.invalid) warnInvalidUtf8(parsed, file, utf8.line);
  return toDataset(parsed, file, whole ? checksum : undefined);
}

/**
 * Reads a tab-separated file: {@linkcode readCsv} with `delimiter: "\t"`.
 *
 * @param path The file.
 * @param options As for {@linkcode readCsv}.
 * @returns The dataset.
 *
 * @example Read a TSV file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { readTsv } from "./read_csv.ts";
 * const path = await Deno.makeTempFile({ suffix: ".tsv" });
 * await Deno.writeTextFile(path, "a\tb\n1\tx y\n");
 * assertEquals((await readTsv(path)).column("b"), ["x y"]);
 * await Deno.remove(path);
 * ```
 */
export function readTsv(path: string | URL, options: CsvOptions = {}): Promise<Dataset> {
  return readCsv(path, { delimiter: "\t", ...options });
}

/**
 * Parses CSV text already in memory (same rules as {@linkcode readCsv}).
 *
 * @param text The CSV text, header first.
 * @param options As for {@linkcode readCsv}, plus `source` to name the text in errors.
 * @returns The dataset.
 *
 * @example Parse a string
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { parseCsv } from "./read_csv.ts";
 * const ds = parseCsv('a,b\r\n"say ""hi""",2\r\n');
 * assertEquals(ds.column("a"), ['say "hi"']);
 * ```
 */
export function parseCsv(text: string, options: CsvOptions & { source?: string } = {}): Dataset {
  const parser = new CsvParser(options, options.source);
  parser.push(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  return toDataset(parser.end(), options.source, undefined);
}
