/**
 * One hyperopt trial in its own process (`deno run -A _trial_worker.ts SPEC.json`): builds the
 * trial's model through the Model API (its config goes through the normal validation), trains
 * it with a callback that reports each epoch's metric to the driver and waits for its answer
 * (`continue` / `stop`: the scheduler's pruning), evaluates the trained model on the hyperopt
 * split and saves `model/`, `training_statistics.json` and `test_statistics.json` in the trial
 * folder.
 *
 * Protocol: messages to the driver are stdout lines starting with {@linkcode MESSAGE_PREFIX}
 * followed by JSON (`{type: "epoch"}`, `{type: "result"}`, `{type: "failed"}`); answers are
 * stdin lines. Anything else on stdout or stderr is the trial's log.
 *
 * Under `mpirun -np N` (the distributed backend, see `run.ts`) every rank trains; rank 0 alone
 * talks to the driver and writes the trial folder, and broadcasts the driver's answer after
 * each epoch so that every rank stops at the same epoch.
 *
 * @module
 */
import { join } from "node:path";

/** The marker of protocol lines on the worker's stdout. */
export const MESSAGE_PREFIX = "\u0001sonata-hyperopt ";

/** What the driver hands a trial. */
export interface TrialSpec {
  /** The trial's raw config (parameters applied, no hyperopt section). */
  config: Record<string, unknown>;
  /** Data options of `Model.train` (paths only). */
  data: {
    dataset?: string;
    training_set?: string;
    validation_set?: string;
    test_set?: string;
    data_format?: string;
  };
  /** The trial folder. */
  trialDir: string;
  /** The hyperopt split, output feature and metric reported each epoch. */
  split: "training" | "validation" | "test";
  outputFeature: string;
  metric: string;
  /** Seed of the trial's training. */
  randomSeed: number;
  /** Skip writing the model (Ludwig's `skip_save_model`). */
  skipSaveModel?: boolean;
  /** Skip writing `training_statistics.json`. */
  skipSaveTrainingStatistics?: boolean;
  /** Skip writing `test_statistics.json`. */
  skipSaveEvalStats?: boolean;
}

/** Messages a worker sends. */
export type WorkerMessage =
  | { type: "epoch"; epoch: number; value: number | null }
  | {
    type: "result";
    training_stats: unknown;
    eval_stats: unknown;
    epochs: number;
    stopped_early: boolean;
    stop_reason?: string;
  }
  | { type: "failed"; error: string };

const encoder = new TextEncoder();

function send(message: WorkerMessage): void {
  Deno.stdout.writeSync(encoder.encode(`${MESSAGE_PREFIX}${JSON.stringify(message)}\n`));
}

/** Lines of stdin, one at a time. */
function stdinLines(): () => Promise<string | null> {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return async () => {
    while (!buffer.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) return buffer.length ? (buffer = "", buffer) : null;
      buffer += value;
    }
    const i = buffer.indexOf("\n");
    const line = buffer.slice(0, i);
    buffer = buffer.slice(i + 1);
    return line.trim();
  };
}

/** Messages of a user's mistake (no stack trace), else the stack. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const known = ["ConfigValidationError", "ConfigSyntaxError", "DataError"];
  if (known.includes(error.name) || known.includes(error.constructor?.name)) return error.message;
  if (/^Cannot /.test(error.message)) return error.message;
  return error.stack ?? error.message;
}

async function runTrial(spec: TrialSpec): Promise<number> {
  const { Model } = await import("../api.ts");
  const { distributionFor, processRank } = await import("../distributed/mod.ts");
  const rank = processRank();
  let model;
  try {
    model = await Model.create(spec.config);
  } catch (error) {
    if (rank === 0) send({ type: "failed", error: `invalid trial config: ${describe(error)}` });
    return 3;
  }
  const dist = distributionFor(model.config);
  if (dist) {
    Deno.stderr.writeSync(
      encoder.encode(`sonata hyperopt trial: rank ${dist.rank} of ${dist.workers}\n`),
    );
  }
  const nextLine = rank === 0 ? stdinLines() : async () => await Promise.resolve("continue");
  const callback = {
    async onEpochEnd(
      ctx: { stopReason?: string },
      logs: { epoch: number } & Record<string, unknown>,
    ) {
      const metrics = logs[spec.split] as Record<string, Record<string, number>> | undefined;
      const value = metrics?.[spec.outputFeature]?.[spec.metric];
      if (rank === 0) {
        send({ type: "epoch", epoch: logs.epoch, value: typeof value === "number" ? value : null });
      }
      let answer = await nextLine();
      if (answer === null) throw new Error("Cannot train: the hyperopt driver went away");
      // Every rank takes rank 0's decision (the others would wait in a collective).
      if (dist && (await dist.agree(answer.startsWith("stop") ? 1 : 0)) === 1) {
        answer = answer.startsWith("stop") ? answer : "stop";
      }
      if (answer.startsWith("stop")) {
        ctx.stopReason = answer.slice(5).trim() || "stopped by the hyperopt scheduler";
        return "stop" as const;
      }
      return undefined;
    },
  };
  const trained = await model.train({
    ...spec.data,
    random_seed: spec.randomSeed,
    skip_save_all: true,
    progress: false,
    callbacks: [callback as never],
  });
  // Distributed: rank 0 evaluates and writes the trial folder.
  if (rank !== 0) return 0;
  const raw = trained.preprocessed_data.raw;
  const rows = raw[spec.split];
  let evalStats: unknown = {};
  if (rows && rows.numRows > 0) {
    const evaluated = await model.evaluate(rows, {});
    evalStats = evaluated.test_statistics;
  }
  const { writeJsonAtomic } = await import("../model/artifacts.ts");
  if (!spec.skipSaveTrainingStatistics) {
    await writeJsonAtomic(join(spec.trialDir, "training_statistics.json"), trained.train_stats);
  }
  if (!spec.skipSaveEvalStats) {
    await writeJsonAtomic(join(spec.trialDir, "test_statistics.json"), evalStats);
  }
  if (!spec.skipSaveModel) await model.save(join(spec.trialDir, "model"), trained.train_stats);
  send({
    type: "result",
    training_stats: trained.train_stats,
    eval_stats: evalStats,
    epochs: trained.result.epochs,
    stopped_early: trained.result.stoppedEarly,
    stop_reason: trained.result.stopReason,
  });
  return 0;
}

if (import.meta.main) {
  const spec = JSON.parse(await Deno.readTextFile(Deno.args[0])) as TrialSpec;
  let code: number;
  try {
    code = await runTrial(spec);
  } catch (error) {
    send({ type: "failed", error: describe(error) });
    code = 1;
  }
  // Distributed trials: every rank ends MPI before it exits, or the launcher reports a failure.
  if (code === 0) {
    const { launchedByMpi, openMpi } = await import("../distributed/mpi.ts");
    if (launchedByMpi()) openMpi().finalize();
  }
  Deno.exit(code);
}
