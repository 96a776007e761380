/**
 * Rich display helpers for Jupyter on the Deno kernel: objects with a
 * `[Symbol.for("Jupyter.display")]()` method render as the MIME bundle it returns. `htmlTable`
 * turns rows into a table that shows as HTML in notebooks and as aligned text elsewhere.
 *
 * Nothing here touches `Deno.jupyter`, which exists only inside the kernel.
 *
 * @module
 */

/** The symbol the Deno Jupyter kernel looks up to display an object. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** A Jupyter MIME bundle: MIME type to content. */
export type MimeBundle = Record<string, unknown>;

/** A cell value of a table. */
export type Cell = string | number | boolean | null | undefined | bigint | Date;

/** Options of {@linkcode htmlTable}. */
export interface TableOptions {
  /** A caption above the table. */
  caption?: string;
  /** Column order and selection (default: keys of the rows in order of first appearance). */
  columns?: readonly string[];
  /** Show at most this many rows, then a "… n more rows" line; default 50. */
  maxRows?: number;
  /** Significant digits of non-integer numbers; default 4. */
  digits?: number;
}

/** A table that displays as HTML in Jupyter and as aligned text in a terminal. */
export interface DisplayTable {
  /** Column names. */
  readonly columns: readonly string[];
  /** The rows as given. */
  readonly rows: readonly Record<string, Cell>[];
  /** The HTML `<table>` markup (cells escaped). */
  toHTML(): string;
  /** Aligned plain text. */
  toString(): string;
  /** The bundle the kernel displays: `text/html` and `text/plain`. */
  [JUPYTER_DISPLAY](): { "text/html": string; "text/plain": string };
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function formatCell(value: Cell, digits: number): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    return String(Number(value.toPrecision(digits)));
  }
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * A table from rows of records (or arrays, with `columns` naming their positions).
 *
 * @param rows The rows: records keyed by column, or arrays in column order.
 * @param options Caption, columns, row limit and number precision.
 * @returns A displayable table.
 *
 * @example A metrics table
 * ```ts
 * import { assert, assertEquals } from "../_util/_assert.ts";
 * import { htmlTable, JUPYTER_DISPLAY } from "./display.ts";
 * const table = htmlTable([{ metric: "accuracy", value: 0.91234 }, { metric: "loss", value: 0.3 }], {
 *   caption: "Test metrics",
 * });
 * const bundle = table[JUPYTER_DISPLAY]();
 * assert(bundle["text/html"].includes("<caption>Test metrics</caption>"));
 * assertEquals(table.toString().split("\n")[3], "accuracy  0.9123");
 * ```
 */
export function htmlTable(
  rows: readonly (Record<string, Cell> | readonly Cell[])[],
  options: TableOptions = {},
): DisplayTable {
  const records: Record<string, Cell>[] = rows.map((row) => {
    if (!Array.isArray(row)) return row as Record<string, Cell>;
    if (!options.columns) {
      throw new TypeError(
        "Cannot build table: array rows need the columns option to name their cells",
      );
    }
    return Object.fromEntries(options.columns.map((c, i) => [c, (row as readonly Cell[])[i]]));
  });
  const columns = options.columns
    ? [...options.columns]
    : [...new Set(records.flatMap((r) => Object.keys(r)))];
  const maxRows = options.maxRows ?? 50;
  const digits = options.digits ?? 4;
  const shown = records.slice(0, maxRows);
  const hidden = records.length - shown.length;
  const cells = shown.map((r) => columns.map((c) => formatCell(r[c], digits)));
  const numeric = columns.map((c) =>
    shown.every((r) => r[c] === undefined || r[c] === null || typeof r[c] === "number")
  );

  const toHTML = () => {
    // Jupyter's stylesheet right-aligns every cell: text columns are set left explicitly.
    const align = (i: number) => ` style="text-align: ${numeric[i] ? "right" : "left"}"`;
    const head = columns.map((c, i) => `<th${align(i)}>${escapeHtml(c)}</th>`).join("");
    const body = cells.map((row) =>
      `<tr>${row.map((v, i) => `<td${align(i)}>${escapeHtml(v)}</td>`).join("")}</tr>`
    )
      .join("\n");
    const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>\n` : "";
    const more = hidden > 0
      ? `\n<tr><td colspan="${columns.length}">… ${hidden} more row${
        hidden === 1 ? "" : "s"
      }</td></tr>`
      : "";
    return `<table>\n${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}${more}\n</tbody>\n</table>`;
  };

  const toText = () => {
    const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
    const line = (values: string[]) =>
      values.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join("  ")
        .trimEnd();
    const out = [
      ...(options.caption ? [options.caption] : []),
      line(columns),
      line(widths.map((w) => "-".repeat(w))),
      ...cells.map(line),
      ...(hidden > 0 ? [`… ${hidden} more row${hidden === 1 ? "" : "s"}`] : []),
    ];
    return out.join("\n");
  };

  return {
    columns,
    rows: records,
    toHTML,
    toString: toText,
    [JUPYTER_DISPLAY]: () => ({ "text/html": toHTML(), "text/plain": toText() }),
  };
}
