/**
 * Small, seeded pseudo-random helpers: the same seed gives the same sequence on every platform
 * and every run, which is what data splits and shuffles need to be reproducible.
 *
 * @module
 */

/**
 * A seeded generator of floats in [0, 1) (mulberry32: 32 bits of state, period 2^32, passes
 * gjrand's tests; enough for shuffling datasets, not for cryptography).
 *
 * @param seed Any number; it is truncated to an unsigned 32-bit integer.
 * @returns A function that yields the next float in [0, 1) on each call.
 *
 * @example Same seed, same sequence
 * ```ts
 * import { assertEquals } from "./_assert.ts";
 * import { seededRandom } from "./random.ts";
 * const a = seededRandom(42);
 * const b = seededRandom(42);
 * assertEquals([a(), a()], [b(), b()]);
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Shuffles `array` in place (Fisher–Yates) with the given generator and returns it.
 *
 * @typeParam T The array type (a plain array or a typed array).
 * @param array The array to shuffle.
 * @param random A generator of floats in [0, 1), such as {@linkcode seededRandom}.
 * @returns The same array, shuffled.
 *
 * @example Shuffle deterministically
 * ```ts
 * import { assertEquals } from "./_assert.ts";
 * import { seededRandom, shuffleInPlace } from "./random.ts";
 * const a = shuffleInPlace([1, 2, 3, 4, 5], seededRandom(7));
 * const b = shuffleInPlace([1, 2, 3, 4, 5], seededRandom(7));
 * assertEquals(a, b);
 * assertEquals([...a].sort(), [1, 2, 3, 4, 5]);
 * ```
 */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(
  array: T,
  random: () => number,
): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}

/**
 * A seeded random permutation of `0 .. n-1`.
 *
 * @param n How many indices.
 * @param seed The seed (see {@linkcode seededRandom}).
 * @returns The permutation as an `Int32Array`.
 *
 * @example A permutation
 * ```ts
 * import { assertEquals } from "./_assert.ts";
 * import { randomPermutation } from "./random.ts";
 * const p = randomPermutation(4, 1);
 * assertEquals([...p].sort(), [0, 1, 2, 3]);
 * ```
 */
export function randomPermutation(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return shuffleInPlace(out, seededRandom(seed));
}
