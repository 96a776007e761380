/**
 * Guards against inputs that would exhaust the machine, and the one channel for warnings about
 * inputs that were read but not exactly as written (a line on stderr, or a handler in tests).
 *
 * Limits read their override from an environment variable holding a number of bytes (`0` or
 * `none` lifts the limit); without permission to read the environment the default holds.
 *
 * @module
 */

/** The byte limit named by environment variable `name`, else `fallback`; `Infinity` for none. */
export function envLimit(name: string, fallback: number): number {
  let raw: string | undefined;
  try {
    raw = Deno.env.get(name);
  } catch {
    return fallback;
  }
  if (raw === undefined || raw.trim() === "") return fallback;
  if (raw.trim() === "0" || raw.trim().toLowerCase() === "none") return Infinity;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    throw new RangeError(
      `Invalid environment variable ${name}=${
        JSON.stringify(raw)
      }: expected a number of bytes, or 0 for no limit`,
    );
  }
  return n;
}

/** A byte count for messages: `12 MiB`, `512 KiB`, `300 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${+(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${+(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} bytes`;
}

let handler: ((message: string) => void) | undefined;
const encoder = new TextEncoder();

/** Report a warning: one line on stderr (never throws), or to the handler set by tests. */
export function warn(message: string): void {
  if (handler) return handler(message);
  try {
    const bytes = encoder.encode(`Warning: ${message}\n`);
    let written = 0;
    while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
  } catch {
    // A closed stderr: nothing to do.
  }
}

/** Send warnings to `fn` instead of stderr until the returned function is called. */
export function captureWarnings(fn: (message: string) => void): () => void {
  const previous = handler;
  handler = fn;
  return () => void (handler = previous);
}

const fatal = new TextDecoder("utf-8", { fatal: true });

/**
 * The 1-based line of the first bytes that are not UTF-8 in `bytes`, or undefined when all are
 * valid UTF-8.
 */
export function firstInvalidUtf8Line(bytes: Uint8Array): number | undefined {
  try {
    fatal.decode(bytes);
    return undefined;
  } catch {
    // Find the line: decode line by line (a newline byte never occurs inside a UTF-8 sequence).
  }
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        fatal.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}
