/**
 * Flag parsing shared by the commands: Ludwig's multi-letter short flags (`-od`, `-cs`, `-bs`,
 * …), Ludwig's space-separated lists (`--layers a b c`), and "did you mean" for unknown flags.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { closestString } from "../_util/closest.ts";

/** A flag definition of `node:util`'s `parseArgs`. */
export type FlagSpec = { type: "string" | "boolean"; short?: string; multiple?: boolean };
/** Flag definitions by long name. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;
/** Parsed flag values. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** Ludwig's short flags longer than one letter, which `parseArgs` cannot declare. */
export const LUDWIG_ALIASES: Readonly<Record<string, string>> = {
  "-cs": "config_str",
  "-od": "output_directory",
  "-bs": "batch_size",
  "-ef": "experiment_name",
  "-en": "experiment_name",
  "-mn": "model_name",
  "-mlp": "model_load_path",
  "-mrp": "model_resume_path",
  "-rs": "random_seed",
  "-df": "data_format",
  "-ssm": "skip_save_model",
  "-ssp": "skip_save_progress",
  "-sspi": "skip_save_processed_input",
  "-ssts": "skip_save_training_statistics",
  "-sstp": "skip_save_predictions",
  "-sstes": "skip_save_eval_stats",
  "-ssl": "skip_save_log",
  "-tsm": "training_set_metadata",
  "-sf": "split_file",
  "-of": "output_format",
  "-es": "eval_split",
  "-kf": "k_fold",
  "-lyr": "layers",
};

/** A user's mistake in the flags: the message to print (with the usage). */
export class FlagError extends Error {
  override name = "FlagError";
}

/**
 * Parse `argv` against `options` (plus `-h/--help`): aliases become their long flags, a flag
 * with `multiple` takes every following word up to the next flag, and an unknown flag names
 * the closest known one.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { throws } from "node:assert/strict";
 * import { parseFlags } from "./_args.ts";
 * const options = { layers: { type: "string", multiple: true }, output_directory: { type: "string" } } as const;
 * assertEquals(parseFlags(["--layers", "a", "b", "-od", "out"], options), {
 *   layers: ["a", "b"],
 *   output_directory: "out",
 * });
 * throws(() => parseFlags(["--output_dir", "x"], options), /did you mean "--output_directory"\?/);
 * ```
 */
export function parseFlags(argv: readonly string[], options: FlagSpecs): FlagValues {
  const all: Record<string, FlagSpec> = { ...options, help: { type: "boolean", short: "h" } };
  const args: string[] = [];
  let list: string | undefined;
  let listValues = 0;
  for (const arg of argv) {
    const alias = LUDWIG_ALIASES[arg];
    const flag = alias !== undefined && alias in all ? `--${alias}` : arg;
    if (flag.startsWith("-") && flag.length > 1 && !/^-\d/.test(flag)) {
      const name = flag.startsWith("--") ? flag.slice(2).split("=")[0] : undefined;
      const short = name === undefined
        ? Object.entries(all).find(([, s]) => s.short === flag.slice(1))?.[0]
        : undefined;
      const long = name ?? short;
      list = long !== undefined && all[long]?.multiple && !flag.includes("=") ? long : undefined;
      listValues = 0;
      args.push(flag);
      continue;
    }
    if (list !== undefined && listValues++ > 0) args.push(`--${list}`);
    args.push(arg);
  }
  try {
    return {
      ...parseArgs({ args, options: all, strict: true, allowPositionals: false }).values,
    } as FlagValues;
  } catch (error) {
    const message = (error as Error).message.replace(/\.$/, "");
    const unknown = /^Unknown option '(-{1,2})([^']+)'/.exec(message);
    if (unknown) {
      const suggestion = suggestFlag(unknown[2].replace(/^-+/, ""), Object.keys(all));
      throw new FlagError(
        `Unknown option '${unknown[1] + unknown[2]}'${
          suggestion ? `: did you mean ${JSON.stringify(`--${suggestion}`)}?` : ""
        }`,
      );
    }
    const positional = /^Unexpected argument '([^']+)'/.exec(message);
    if (positional) {
      throw new FlagError(
        `Unexpected argument ${
          JSON.stringify(positional[1])
        }: every value follows its flag (--flag VALUE)`,
      );
    }
    throw new FlagError(message);
  }
}

/** The known flag a mistyped or shortened `name` most likely meant. */
export function suggestFlag(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase().replaceAll("-", "_");
  const prefixed = known.filter((k) => k.startsWith(lower) || lower.startsWith(k));
  if (prefixed.length === 1) return prefixed[0];
  return closestString(lower, known, 3);
}

/**
 * The config the flags name: `--config FILE` as its path, `-cs/--config_str TEXT` parsed as
 * YAML or JSON (never taken for a path); undefined when neither is given.
 */
export async function configSourceOf(
  values: FlagValues,
): Promise<string | Record<string, unknown> | undefined> {
  const path = values.config;
  const text = values.config_str;
  if (typeof path === "string" && typeof text === "string") {
    throw new FlagError("Invalid flags: give --config FILE or --config_str TEXT, not both");
  }
  if (typeof path === "string") return path;
  if (typeof text !== "string") return undefined;
  if (text.trim() === "") throw new FlagError("Invalid --config_str: the text is empty");
  const { readConfigSource } = await import("../config/load.ts");
  // A trailing newline makes the reader take the string as config text (and apply its size
  // limit), whatever it looks like.
  const { value } = await readConfigSource(`${text}\n`);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new FlagError(
      `Invalid --config_str ${
        JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)
      }: expected a YAML or JSON mapping (input_features: …); to read a file, use --config FILE`,
    );
  }
  return value as Record<string, unknown>;
}
