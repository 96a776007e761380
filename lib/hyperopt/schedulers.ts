/**
 * Trial schedulers: after each epoch of a trial (Ray Tune's `training_iteration`) the driver
 * asks the scheduler whether the trial goes on. They see the metric oriented so that lower is
 * better.
 *
 * - `fifo`: every trial runs its full budget.
 * - `async_hyperband` / `asha`: asynchronous successive halving. Rungs at grace_period·η^k
 *   (η = reduction_factor, below max_t); a trial reaching a rung stops unless its value is in
 *   the best 1/η of the values recorded at that rung so far. With `brackets` > 1, trial i runs
 *   in bracket i mod brackets, whose rungs start at grace_period·η^bracket.
 * - `hyperband`: HyperBand's brackets (s = s_max … 0, n_s = ⌈(s_max+1)/(s+1)·η^s⌉ trials,
 *   first rung max_t·η^-s), filled in order. Sonata does not pause trials: at rung k of a bracket
 *   a trial goes on only while fewer than ⌊n_s·η^-(k+1)⌋ trials of its bracket reached that rung
 *   with a better value, so no bracket promotes more trials than HyperBand would.
 * - `median_stopping_rule`: after grace_period epochs, and once min_samples_required other
 *   trials reported that far, a trial stops when its best value is worse than the median of the
 *   other trials' mean values up to the same epoch.
 *
 * @module
 */

/** The `executor.scheduler` section (defaults filled). */
export interface SchedulerConfig {
  type: "fifo" | "async_hyperband" | "asha" | "hyperband" | "median_stopping_rule";
  max_t: number;
  grace_period: number;
  reduction_factor: number;
  brackets: number;
  min_samples_required: number;
}

/** What the scheduler says after an epoch. */
export type Decision = "continue" | "stop";

/** A trial scheduler. */
export interface Scheduler {
  /** The scheduler's name. */
  readonly type: string;
  /** A trial starts (in launch order). */
  addTrial(trialId: string): void;
  /** A trial reported `loss` (lower is better) after `iteration` epochs (1-based). */
  onResult(trialId: string, iteration: number, loss: number): Decision;
}

function fifo(): Scheduler {
  return { type: "fifo", addTrial() {}, onResult: () => "continue" };
}

/** The k-th quantile (0..1) of values, linear interpolation (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

function asha(c: SchedulerConfig): Scheduler {
  const eta = c.reduction_factor;
  const brackets = Math.max(1, c.brackets);
  const rungsOf = (b: number) => {
    const rungs: number[] = [];
    for (let r = c.grace_period * eta ** b; r < c.max_t; r *= eta) rungs.push(Math.round(r));
    return rungs;
  };
  const bracketRungs = Array.from({ length: brackets }, (_, b) => rungsOf(b));
  const recorded = bracketRungs.map((rungs) => new Map(rungs.map((r) => [r, [] as number[]])));
  const bracketOf = new Map<string, number>();
  return {
    type: "async_hyperband",
    addTrial(id) {
      bracketOf.set(id, bracketOf.size % brackets);
    },
    onResult(id, iteration, loss) {
      const b = bracketOf.get(id) ?? 0;
      const values = recorded[b].get(iteration);
      if (values === undefined || !Number.isFinite(loss)) {
        return Number.isFinite(loss) ? "continue" : "stop";
      }
      values.push(loss);
      // Keep the best 1/eta: stop when worse than the (1/eta)-quantile of the rung.
      const cutoff = quantile(values, 1 / eta);
      return loss > cutoff ? "stop" : "continue";
    },
  };
}

function hyperband(c: SchedulerConfig): Scheduler {
  const eta = c.reduction_factor;
  const sMax = Math.max(0, Math.floor(Math.log(c.max_t / c.grace_period) / Math.log(eta) + 1e-9));
  interface Bracket {
    size: number;
    members: string[];
    rungs: number[];
    recorded: Map<number, number[]>;
  }
  const brackets: Bracket[] = [];
  let s = sMax;
  const bracketOf = new Map<string, Bracket>();
  const newBracket = (): Bracket => {
    const size = Math.ceil(((sMax + 1) / (s + 1)) * eta ** s);
    const first = c.max_t * eta ** -s;
    const rungs: number[] = [];
    for (let k = 0; k < s; k++) rungs.push(Math.max(1, Math.round(first * eta ** k)));
    s = s === 0 ? sMax : s - 1;
    const b = { size, members: [], rungs, recorded: new Map(rungs.map((r) => [r, []])) };
    brackets.push(b);
    return b;
  };
  return {
    type: "hyperband",
    addTrial(id) {
      let b = brackets.at(-1);
      if (!b || b.members.length >= b.size) b = newBracket();
      b.members.push(id);
      bracketOf.set(id, b);
    },
    onResult(id, iteration, loss) {
      if (!Number.isFinite(loss)) return "stop";
      const b = bracketOf.get(id);
      if (!b) return "continue";
      const k = b.rungs.indexOf(iteration);
      if (k < 0) return "continue";
      const values = b.recorded.get(iteration)!;
      const better = values.filter((v) => v < loss).length;
      values.push(loss);
      const keep = Math.max(1, Math.floor(b.size * eta ** -(k + 1)));
      return better >= keep ? "stop" : "continue";
    },
  };
}

function medianStopping(c: SchedulerConfig): Scheduler {
  const history = new Map<string, number[]>();
  return {
    type: "median_stopping_rule",
    addTrial(id) {
      history.set(id, []);
    },
    onResult(id, iteration, loss) {
      if (!Number.isFinite(loss)) return "stop";
      const mine = history.get(id) ?? [];
      mine.push(loss);
      history.set(id, mine);
      if (iteration < c.grace_period) return "continue";
      const others = [...history.entries()]
        .filter(([other, values]) => other !== id && values.length >= iteration)
        .map(([, values]) => values.slice(0, iteration).reduce((a, b) => a + b, 0) / iteration);
      if (others.length < c.min_samples_required) return "continue";
      const best = Math.min(...mine);
      return best > quantile(others, 0.5) ? "stop" : "continue";
    },
  };
}

/** The scheduler of an `executor.scheduler` section. */
export function createScheduler(c: SchedulerConfig): Scheduler {
  switch (c.type) {
    case "fifo":
      return fifo();
    case "async_hyperband":
    case "asha":
      return asha(c);
    case "hyperband":
      return hyperband(c);
    case "median_stopping_rule":
      return medianStopping(c);
  }
}
