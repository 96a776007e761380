/**
 * Split files (Ludwig's `<dataset>.split.parquet`): which split each row of a dataset went to,
 * as a `split` column of 0 (training), 1 (validation) or 2 (test). Training writes one into the
 * run folder; `sonata visualize --split_file` reads it so that ground-truth charts keep the
 * test rows of a random split. Rows in no split (sampled out, or dropped by a `drop_row`
 * strategy) are -1.
 *
 * @module
 */
import { basename, dirname, extname, join } from "node:path";
import { Dataset, sourceFile } from "../data/dataset.ts";
import { readDataset } from "../data/read.ts";
import { writeParquet } from "../data/write.ts";
import { parseCsv } from "./_csv.ts";

/** The rows of each split, as `preprocessForTraining` reports them. */
export interface SplitRows {
  /** Rows of the dataset that was split. */
  rows: number;
  /** Dataset rows of the training split. */
  training?: Int32Array;
  /** Dataset rows of the validation split. */
  validation?: Int32Array;
  /** Dataset rows of the test split. */
  test?: Int32Array;
}

/**
 * The split column: one value per dataset row, 0/1/2, or -1 for a row in no split.
 *
 * @param parts The rows of each split.
 * @returns The column.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { splitColumn } from "./split_file.ts";
 * const column = splitColumn({ rows: 4, training: Int32Array.of(0, 3), test: Int32Array.of(1) });
 * assertEquals([...column], [0, 2, -1, 0]);
 * ```
 */
export function splitColumn(parts: SplitRows): Int32Array {
  const column = new Int32Array(parts.rows).fill(-1);
  (["training", "validation", "test"] as const).forEach((name, value) => {
    for (const row of parts[name] ?? []) column[row] = value;
  });
  return column;
}

/**
 * The split file's name for a dataset: `<stem>.split.parquet` (Ludwig's name), `dataset` as
 * the stem of an in-memory dataset.
 *
 * @param source The dataset's source (a path, or the in-memory marker).
 * @returns The file name.
 */
export function splitFileName(source: string | undefined): string {
  const file = sourceFile(source);
  const stem = file === undefined ? "dataset" : basename(file, extname(file)) || "dataset";
  return `${stem}.split.parquet`;
}

/**
 * Write the split file of a training run into its folder (atomically).
 *
 * @param dir The run folder.
 * @param source The split dataset's source, which names the file.
 * @param parts The rows of each split.
 * @returns The path written.
 */
export async function writeSplitFile(
  dir: string,
  source: string | undefined,
  parts: SplitRows,
): Promise<string> {
  const path = join(dir, splitFileName(source));
  await writeParquet(Dataset.fromColumns({ split: Array.from(splitColumn(parts)) }), path);
  return path;
}

/**
 * Read a split file: Parquet (or Arrow/JSON) with a `split` column, or CSV with a `split`
 * column or a single column of split values without a header (Ludwig's older `.split.csv`).
 *
 * @param path The file.
 * @returns One split value per dataset row.
 * @throws {TypeError} When the file has no split column or a value is not an integer.
 */
export async function readSplitFile(path: string): Promise<number[]> {
  let values: readonly unknown[];
  if (/\.(csv|tsv)$/i.test(path)) {
    const { header, rows } = parseCsv(
      await Deno.readTextFile(path),
      /\.tsv$/i.test(path) ? "\t" : ",",
    );
    const col = header.indexOf("split");
    if (col >= 0) values = rows.map((r) => r[col]);
    else if (header.length === 1 && /^-?\d+$/.test(header[0].trim())) {
      values = [header[0], ...rows.map((r) => r[0])];
    } else {
      throw new TypeError(
        `Cannot read split file "${path}": expected a "split" column, found ${
          header.map((h) => `"${h}"`).join(", ")
        }`,
      );
    }
  } else {
    const ds = await readDataset(path);
    if (!ds.columnNames.includes("split")) {
      throw new TypeError(
        `Cannot read split file "${path}": expected a "split" column, found ${
          ds.columnNames.map((h) => `"${h}"`).join(", ")
        }`,
      );
    }
    values = ds.column("split");
  }
  return values.map((v, i) => {
    const n = typeof v === "bigint" ? Number(v) : Number(typeof v === "string" ? v.trim() : v);
    if (!Number.isInteger(n)) {
      throw new TypeError(
        `Cannot read split file "${path}": row ${i + 1} has split ${
          JSON.stringify(String(v))
        }, expected 0, 1 or 2`,
      );
    }
    return n;
  });
}

/**
 * A file next to any of the given files (in their folder or its `model/` folder): how
 * `visualize` finds `training_set_metadata.json` next to the statistics.
 *
 * @param files Files given on the command line (statistics, predictions …).
 * @param name The file name to look for.
 * @returns The first existing path, or `undefined`.
 */
export async function findNextTo(
  files: readonly (string | undefined)[],
  name: string,
): Promise<string | undefined> {
  for (const file of files) {
    if (file === undefined) continue;
    for (const candidate of [join(dirname(file), name), join(dirname(file), "model", name)]) {
      const found = await Deno.stat(candidate).then((s) => s.isFile, () => false);
      if (found) return candidate;
    }
  }
  return undefined;
}
