/**
 * `sonata init_config`: a starting config from a dataset (Ludwig's auto-config type inference:
 * each column's feature type inferred, ID-like and constant columns left out), validated and
 * written as YAML with the editor schema comment.
 *
 * @module
 */
import { writeTextAtomic } from "../_util/files.ts";
import { closestString } from "../_util/closest.ts";
import { resolveConfigValue } from "../config/load.ts";
import { SCHEMA_ID } from "../config/json_schema.ts";
import { toYAML } from "../config/parse.ts";
import { inferTypes } from "../data/infer.ts";
import { readDataset } from "../data/read.ts";
import { featureEntry } from "../config/components.ts";

type Values = Record<string, string | boolean | undefined>;

/** What the command writes to. */
export interface InitIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Build the config object for `dataset` predicting `targets`; returns it and the skipped columns. */
export async function initConfig(
  dataset: string,
  targets: readonly string[],
  dataFormat?: string,
): Promise<{ config: Record<string, unknown>; skipped: { name: string; reason: string }[] }> {
  const ds = await readDataset(dataset, { format: dataFormat as never });
  for (const t of targets) {
    if (!ds.hasColumn(t)) {
      const suggestion = closestString(t, ds.columnNames);
      throw new RangeError(
        `Invalid --target ${JSON.stringify(t)}: no such column${
          suggestion ? `: did you mean ${JSON.stringify(suggestion)}?` : ""
        }`,
      );
    }
  }
  const columns = inferTypes(ds, { targets });
  const inputs = [];
  const outputs = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const c of columns) {
    const entry = featureEntry(c.type);
    if (targets.includes(c.name)) {
      if (!entry?.output) {
        throw new RangeError(
          `Invalid --target ${
            JSON.stringify(c.name)
          }: its values look like ${c.type}, which Sonata cannot predict yet`,
        );
      }
      outputs.push({ name: c.name, type: c.type });
    } else if (c.excluded || !entry?.input) {
      skipped.push({
        name: c.name,
        reason: c.reason ?? `type ${c.type} is not available as an input yet`,
      });
    } else inputs.push({ name: c.name, type: c.type });
  }
  return { config: { input_features: inputs, output_features: outputs }, skipped };
}

/** `sonata init_config --dataset PATH --target NAME [--target ...] [--output FILE]`. */
export async function initConfigCommand(
  argv: Values & { target?: string | string[] },
  io: InitIo,
): Promise<number> {
  const targets = argv.target === undefined
    ? []
    : Array.isArray(argv.target)
    ? argv.target
    : [argv.target as string];
  if (argv.dataset === undefined) return io.err("Missing --dataset"), 2;
  if (targets.length === 0) return io.err("Missing --target"), 2;
  try {
    const { config, skipped } = await initConfig(
      argv.dataset as string,
      targets,
      argv.data_format as string | undefined,
    );
    resolveConfigValue(config, "init_config"); // the generated config must validate
    for (const s of skipped) io.err(`left out column ${JSON.stringify(s.name)}: ${s.reason}`);
    const output = argv.output as string | undefined;
    const schema = `# yaml-language-server: $schema=${SCHEMA_ID}\n`;
    const text = schema + toYAML(config);
    if (output) {
      await writeTextAtomic(output, text);
      io.err(`Wrote ${output}`);
    } else io.out(text);
    return 0;
  } catch (error) {
    if (error instanceof RangeError || (error instanceof Error && error.name === "DataError")) {
      io.err(error.message);
      return 2;
    }
    throw error;
  }
}
