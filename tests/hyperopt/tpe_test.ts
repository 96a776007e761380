import { equal, ok, throws } from "node:assert/strict";
import { seededRandom } from "../../lib/_util/random.ts";
import { sample } from "../../lib/hyperopt/spaces.ts";
import { createSearcher } from "../../lib/hyperopt/search.ts";
import {
  adaptiveParzen,
  goodCount,
  mixtureLogDensity,
  type Observation,
  TpeSampler,
} from "../../lib/hyperopt/tpe.ts";

const SPACE = { x: { space: "uniform" as const, lower: -5, upper: 5 } };
const f = (x: number) => (x - 1.7) ** 2;
const TRIALS = 60;

function runTpe(seed: number): number[] {
  const tpe = new TpeSampler(SPACE, seededRandom(seed), { nInitialPoints: 10 });
  const history: Observation[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const p = tpe.suggest(history);
    history.push({ params: p, loss: f(p.x as number) });
  }
  return history.map((o) => o.params.x as number);
}

function runRandom(seed: number): number[] {
  const random = seededRandom(seed + 1000);
  return Array.from({ length: TRIALS }, () => sample(SPACE.x, random) as number);
}

Deno.test("TPE concentrates on the good region of a 1-D quadratic, better than random over seeds", () => {
  const seeds = Array.from({ length: 12 }, (_, i) => i + 1);
  const stats = (xs: number[]) => {
    const late = xs.slice(TRIALS / 2);
    return {
      near: late.filter((x) => Math.abs(x - 1.7) < 1).length / late.length,
      lateMean: late.map(f).reduce((a, b) => a + b, 0) / late.length,
      best: Math.min(...xs.map(f)),
    };
  };
  const avg = (runs: ReturnType<typeof stats>[], k: "near" | "lateMean" | "best") =>
    runs.reduce((a, r) => a + r[k], 0) / runs.length;
  const tpe = seeds.map((s) => stats(runTpe(s)));
  const rnd = seeds.map((s) => stats(runRandom(s)));
  ok(tpe.every((_, i) => runTpe(seeds[i]).every((x) => x >= -5 && x <= 5)));
  // The good region [0.7, 2.7] is a fifth of the space: random search lands there 20% of the time.
  ok(
    avg(tpe, "near") > 1.3 * avg(rnd, "near"),
    `near: TPE ${avg(tpe, "near")}, random ${avg(rnd, "near")}`,
  );
  ok(
    avg(tpe, "lateMean") < 0.7 * avg(rnd, "lateMean"),
    `late mean: TPE ${avg(tpe, "lateMean")}, random ${avg(rnd, "lateMean")}`,
  );
  ok(
    avg(tpe, "best") < avg(rnd, "best"),
    `best: TPE ${avg(tpe, "best")}, random ${avg(rnd, "best")}`,
  );
});

Deno.test("TPE: seeded; learns categorical, log and quantized integer spaces", () => {
  const spaces = {
    lr: { space: "loguniform" as const, lower: 1e-5, upper: 1, base: 10 },
    opt: { space: "choice" as const, categories: ["sgd", "adam", "rmsprop"] },
    units: { space: "qrandint" as const, lower: 8, upper: 128, q: 8 },
  };
  const loss = (p: Record<string, unknown>) =>
    Math.abs(Math.log10(p.lr as number) + 2) + (p.opt === "adam" ? 0 : 2) +
    Math.abs((p.units as number) - 64) / 64;
  const run = (seed: number) => {
    const tpe = new TpeSampler(spaces, seededRandom(seed), { nInitialPoints: 8 });
    const h: Observation[] = [];
    for (let i = 0; i < 40; i++) {
      const p = tpe.suggest(h);
      h.push({ params: p, loss: loss(p) });
    }
    return h;
  };
  const a = run(3);
  equal(JSON.stringify(a), JSON.stringify(run(3)));
  ok(a.every((o) => (o.params.units as number) % 8 === 0 && (o.params.lr as number) > 0));
  const lateAdam = a.slice(20).filter((o) => o.params.opt === "adam").length;
  ok(lateAdam >= 12, `adam in ${lateAdam}/20 late draws`);
});

Deno.test("TPE pieces: hyperopt's good count; Parzen density peaks at the observations", () => {
  equal(goodCount(16, 0.25), 1);
  equal(goodCount(100, 0.25), 3);
  const m = adaptiveParzen([1, 1.1, 0.9], { mu: 0, sigma: 10 }, 1, { low: -5, high: 5 });
  ok(mixtureLogDensity(m, 1) > mixtureLogDensity(m, -3));
  equal(mixtureLogDensity(m, 6), -Infinity);
});

Deno.test("grid_search is rejected by TPE; variant_generator repeats the grid num_samples times", () => {
  throws(
    () => new TpeSampler({ a: { space: "grid_search", values: [1, 2] } }, seededRandom(1)),
    /grid_search is not supported/,
  );
  const s = createSearcher(
    {
      a: { space: "grid_search", values: [1, 2, 3] },
      lr: { space: "uniform", lower: 0, upper: 1 },
    },
    { type: "variant_generator", random_state: 4 },
    2,
  );
  equal(s.numTrials, 6);
  const drawn = Array.from({ length: 6 }, (_, i) => s.next(i, []));
  equal(drawn.map((d) => d.a).join(), "1,2,3,1,2,3");
  ok(drawn.every((d) => (d.lr as number) >= 0 && (d.lr as number) <= 1));
  const again = createSearcher(
    {
      a: { space: "grid_search", values: [1, 2, 3] },
      lr: { space: "uniform", lower: 0, upper: 1 },
    },
    { type: "variant_generator", random_state: 4 },
    2,
  );
  equal(
    JSON.stringify(Array.from({ length: 6 }, (_, i) => again.next(i, []))),
    JSON.stringify(drawn),
  );
});

Deno.test("points_to_evaluate come first", () => {
  const s = createSearcher(
    { lr: { space: "uniform", lower: 0, upper: 1 } },
    { type: "hyperopt", random_state_seed: 1, points_to_evaluate: [{ lr: 0.123 }] },
    3,
  );
  equal(s.next(0, []).lr, 0.123);
  ok(s.next(1, []).lr !== 0.123);
});
