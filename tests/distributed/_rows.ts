/**
 * Deterministic rows of the distributed tests.
 *
 * @module
 */

/** Deterministic rows: y depends on x0..x3 and a category. */
export function rows(n: number, offset = 0): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, j) => {
    const i = j + offset;
    const x = [0, 1, 2, 3].map((k) => Math.sin(i * (k + 1) * 0.37 + k));
    const c = ["a", "b", "c"][i % 3];
    const y = x[0] - 2 * x[1] + x[2] * x[3] + (c === "b" ? 0.5 : 0);
    return { x0: x[0], x1: x[1], x2: x[2], x3: x[3], c, y };
  });
}
