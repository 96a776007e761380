/**
 * Private: the one place lib/compute writes to the terminal (stderr).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Writes one line to stderr; never throws (a closed stderr is ignored). */
export function logLine(message: string): void {
  try {
    const bytes = encoder.encode(`${message}\n`);
    let written = 0;
    while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
  } catch {
    // Nothing useful to do when stderr is gone.
  }
}
