import { deepEqual, equal, ok } from "node:assert/strict";
import { seededRandom } from "../../lib/_util/random.ts";
import {
  contains,
  gridPoints,
  type ParameterSpace,
  quantize,
  sample,
} from "../../lib/hyperopt/spaces.ts";

const N = 4000;
const draw = (s: ParameterSpace, seed = 7) => {
  const random = seededRandom(seed);
  return Array.from({ length: N }, () => sample(s, random) as number);
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("uniform: inside [lower, upper], spread over it", () => {
  const s: ParameterSpace = { space: "uniform", lower: -2, upper: 3 };
  const xs = draw(s);
  ok(xs.every((x) => x >= -2 && x <= 3 && contains(s, x)));
  ok(Math.abs(mean(xs) - 0.5) < 0.1, `mean ${mean(xs)}`);
  ok(Math.min(...xs) < -1.9 && Math.max(...xs) > 2.9);
});

Deno.test("quniform: multiples of q inside the bounds, both ends reached", () => {
  const s: ParameterSpace = { space: "quniform", lower: 0.1, upper: 1, q: 0.25 };
  const xs = draw(s);
  ok(
    xs.every((x) => contains(s, x) && x >= 0.1 && x <= 1),
    String(xs.find((x) => !contains(s, x))),
  );
  deepEqual([...new Set(xs)].sort(), [0.25, 0.5, 0.75, 1]);
});

Deno.test("loguniform: log-scale spread (median at the geometric mean), base honoured", () => {
  const s: ParameterSpace = { space: "loguniform", lower: 1e-4, upper: 1, base: 10 };
  const xs = draw(s);
  ok(xs.every((x) => x >= 1e-4 && x <= 1 && contains(s, x)));
  const m = median(xs);
  ok(m > 5e-3 && m < 2e-2, `median ${m}`); // uniform in log10: median ≈ 1e-2
  ok(xs.filter((x) => x < 1e-3).length / N > 0.2); // a quarter of the decades
  const b2 = draw({ space: "loguniform", lower: 1, upper: 256, base: 2 });
  const m2 = median(b2);
  ok(m2 > 12 && m2 < 20, `median ${m2}`);
});

Deno.test("qloguniform: log scale, quantized, in bounds", () => {
  const s: ParameterSpace = { space: "qloguniform", lower: 1, upper: 1000, q: 5 };
  const xs = draw(s);
  ok(xs.every((x) => contains(s, x) && x % 5 === 0 && x >= 1 && x <= 1000));
  ok(median(xs) < 100, `median ${median(xs)}`);
});

Deno.test("randn / qrandn: mean and sd; quantized to q", () => {
  const xs = draw({ space: "randn", mean: 3, sd: 2 });
  ok(Math.abs(mean(xs) - 3) < 0.15, `mean ${mean(xs)}`);
  const sd = Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
  ok(Math.abs(sd - 2) < 0.15, `sd ${sd}`);
  const q: ParameterSpace = { space: "qrandn", mean: 0, sd: 1, q: 0.5 };
  ok(draw(q).every((x) => contains(q, x) && Math.abs(x * 2 - Math.round(x * 2)) < 1e-9));
});

Deno.test("randint excludes upper; qrandint includes it and keeps multiples of q", () => {
  const r: ParameterSpace = { space: "randint", lower: 2, upper: 6 };
  deepEqual([...new Set(draw(r))].sort(), [2, 3, 4, 5]);
  ok(!contains(r, 6) && !contains(r, 2.5) && contains(r, 5));
  const q: ParameterSpace = { space: "qrandint", lower: 0, upper: 20, q: 5 };
  const xs = draw(q);
  deepEqual([...new Set(xs)].sort((a, b) => a - b), [0, 5, 10, 15, 20]);
  // Each value about equally often (ends included).
  for (const v of [0, 20]) ok(xs.filter((x) => x === v).length / N > 0.12);
});

Deno.test("lograndint / qlograndint: integers on a log scale", () => {
  const s: ParameterSpace = { space: "lograndint", lower: 1, upper: 1024, base: 2 };
  const xs = draw(s);
  ok(xs.every((x) => Number.isInteger(x) && x >= 1 && x < 1024 && contains(s, x)));
  const m = median(xs);
  ok(m > 20 && m < 45, `median ${m}`); // ≈ 2^5
  const q: ParameterSpace = { space: "qlograndint", lower: 8, upper: 512, q: 8, base: 2 };
  const qs = draw(q);
  ok(qs.every((x) => contains(q, x) && x % 8 === 0 && x >= 8 && x <= 512));
  ok(qs.includes(512) && qs.includes(8));
});

Deno.test("choice: only categories (dicts included, copied); uniform frequencies", () => {
  const s: ParameterSpace = {
    space: "choice",
    categories: [{ type: "sgd", momentum: 0.9 }, { type: "adam" }, "rmsprop"],
  };
  const random = seededRandom(3);
  const xs = Array.from({ length: 3000 }, () => sample(s, random));
  ok(xs.every((x) => contains(s, x)));
  for (const c of s.categories) {
    const k = xs.filter((x) => JSON.stringify(x) === JSON.stringify(c)).length;
    ok(k > 850 && k < 1150, `${JSON.stringify(c)}: ${k}`);
  }
  (xs.find((x) => typeof x === "object") as Record<string, unknown>).type = "mutated";
  equal((s.categories[0] as Record<string, unknown>).type, "sgd");
});

Deno.test("same seed, same draws; another seed, other draws", () => {
  const s: ParameterSpace = { space: "loguniform", lower: 1e-5, upper: 1 };
  deepEqual(draw(s, 11).slice(0, 20), draw(s, 11).slice(0, 20));
  ok(JSON.stringify(draw(s, 11).slice(0, 20)) !== JSON.stringify(draw(s, 12).slice(0, 20)));
});

Deno.test("grid points: the cartesian product of grid_search spaces", () => {
  const grid = gridPoints({
    a: { space: "grid_search", values: [1, 2] },
    lr: { space: "uniform", lower: 0, upper: 1 },
    b: { space: "grid_search", values: ["x", "y", "z"] },
  });
  equal(grid.length, 6);
  deepEqual(grid[0], { a: 1, b: "x" });
  deepEqual(grid[5], { a: 2, b: "z" });
  deepEqual(gridPoints({ lr: { space: "uniform", lower: 0, upper: 1 } }), [{}]);
});

Deno.test("quantize removes float noise", () => {
  equal(quantize(0.30000000000000004, 0.1), 0.3);
  equal(quantize(7, 5), 5);
});
