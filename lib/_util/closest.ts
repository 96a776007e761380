/**
 * String-distance helpers for "did you mean" suggestions.
 *
 * @module
 */

/**
 * Levenshtein edit distance between two strings (insertions, deletions and substitutions cost 1).
 *
 * @example Distance
 * ```ts
 * import { assertEquals } from "./_assert.ts";
 * import { levenshtein } from "./closest.ts";
 * assertEquals(levenshtein("kitten", "sitting"), 3);
 * ```
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * The candidate closest to `input`, or `undefined` when none is within `maxDistance` edits
 * (default 2, compared case-insensitively).
 *
 * @example Suggest a key
 * ```ts
 * import { assertEquals } from "./_assert.ts";
 * import { closestString } from "./closest.ts";
 * assertEquals(closestString("learing_rate", ["learning_rate", "epochs"]), "learning_rate");
 * assertEquals(closestString("zzz", ["learning_rate"]), undefined);
 * ```
 */
export function closestString(
  input: string,
  candidates: Iterable<string>,
  maxDistance = 2,
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const needle = input.toLowerCase();
  for (const candidate of candidates) {
    const d = levenshtein(needle, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= maxDistance ? best : undefined;
}
