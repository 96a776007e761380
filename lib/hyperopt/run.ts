/**
 * The hyperopt driver (Ludwig's `hyperopt()`): draws each trial's parameters from the search
 * algorithm, runs trials in parallel worker processes on this machine (one `deno run` of
 * `_trial_worker.ts` per trial, so a crash ends only its trial), lets the scheduler prune them
 * epoch by epoch, and writes Ludwig's output:
 *
 * ```text
 * <output_directory>/<experiment_name>/
 *   hyperopt_statistics.json   hyperopt_config, hyperopt_results (best first), failed_trials
 *   hyperopt_state.json        every trial so far (the search resumes from it)
 *   trial_000/  model/  training_statistics.json  test_statistics.json  trial.log  spec.json
 *   trial_001/ ...
 * ```
 *
 * An interrupted search (abort signal, Ctrl-C in the CLI, a killed driver) resumes when run
 * again with the same config and folder: finished trials are kept, unfinished ones rerun with
 * their parameters.
 *
 * With the distributed backend (`backend: {type: mpi | horovod, trainer: {num_workers: N}}`,
 * N > 1) every trial trains data-parallel (or fully sharded) on N MPI ranks, as Ludwig's trials
 * train with the backend's workers: the driver starts each trial as `mpirun -np N` of the
 * trial worker, rank 0 of the trial reports to the driver and writes the trial folder, and the
 * scheduler's decisions reach every rank. `max_concurrent_trials` such trials run at a time;
 * `cpu_resources_per_trial` CPUs are split between a trial's ranks. The driver itself is one
 * process (it is refused as a rank of a launcher with more than one rank).
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { writeTextAtomic } from "../_util/files.ts";
import { type ConfigSource, readConfigSource, resolveConfigValue } from "../config/load.ts";
import type { ModelConfig } from "../config/model.ts";
import type { Dataset } from "../data/dataset.ts";
import { launchedByMpi } from "../distributed/mpi.ts";
import { trialConfig } from "./config.ts";
import { createScheduler, type Decision, type SchedulerConfig } from "./schedulers.ts";
import { createSearcher, type SearchAlgConfig } from "./search.ts";
import type { ParameterSpace } from "./spaces.ts";
import type { Observation } from "./tpe.ts";
import { MESSAGE_PREFIX, type TrialSpec, type WorkerMessage } from "./_trial_worker.ts";

/** The resolved hyperopt section. */
export type HyperoptConfig = NonNullable<ModelConfig["hyperopt"]>;

/** How a trial ended. */
export type TrialStatus = "running" | "completed" | "pruned" | "stopped" | "failed";

/** One trial's record (`hyperopt_state.json`, and the entries of `hyperopt_results`). */
export interface TrialRecord {
  /** `trial_000`, `trial_001` … */
  trial_id: string;
  /** Launch order (0-based). */
  index: number;
  /** Parameter path to sampled value. */
  parameters: Record<string, unknown>;
  /** How it ended (running: unfinished, rerun on resume). */
  status: TrialStatus;
  /** The hyperopt metric on the hyperopt split: its best value during training. */
  metric_score: number | null;
  /** `training_statistics.json` of the trial (partial for pruned trials). */
  training_stats: Record<string, unknown> | null;
  /** Test statistics of the trained model on the hyperopt split. */
  eval_stats: Record<string, unknown> | null;
  /** The metric after each epoch, as reported to the scheduler. */
  epoch_values: number[];
  /** Epochs trained. */
  epochs: number;
  /** The trial folder (its model is `<trial_dir>/model`). */
  trial_dir: string;
  /** Why it stopped early (pruned, time budget) or failed. */
  stop_reason?: string;
  /** The failure message (failed trials). */
  error?: string;
  /** Seconds the trial ran. */
  duration_s?: number;
}

/** Events of a running search (the notebook display and the CLI use them). */
export interface HyperoptCallback {
  /** A trial's process started. */
  onTrialStart?(trial: Readonly<TrialRecord>, info: { pid: number }): void;
  /** A trial reported an epoch; `decision` is the scheduler's answer. */
  onTrialEpoch?(
    trial: Readonly<TrialRecord>,
    epoch: number,
    value: number | null,
    decision: Decision,
  ): void;
  /** A trial ended (any status but running). */
  onTrialEnd?(trial: Readonly<TrialRecord>): void;
  /** Every trial as it stands, after any change. */
  onUpdate?(trials: readonly Readonly<TrialRecord>[]): void;
}

/** Options of {@linkcode hyperopt}. */
export interface HyperoptOptions {
  /** One dataset, split per `preprocessing.split` (a path; a Dataset is written to the folder). */
  dataset?: string | Dataset;
  /** Explicit splits: the training set (a path). */
  training_set?: string;
  /** Explicit splits: the validation set (a path). */
  validation_set?: string;
  /** Explicit splits: the test set (a path). */
  test_set?: string;
  /** Overrides the format detected from file extensions. */
  data_format?: string;
  /** Where the experiment folder goes (default "results"). */
  output_directory?: string;
  /** The experiment folder's name (default "hyperopt"). */
  experiment_name?: string;
  /** Seed of each trial's training (default 42). */
  random_seed?: number;
  /** Do not save the trials' models. */
  skip_save_model?: boolean;
  /** Do not write each trial's `training_statistics.json`. */
  skip_save_training_statistics?: boolean;
  /** Do not write each trial's `test_statistics.json`. */
  skip_save_eval_stats?: boolean;
  /** Do not write each trial's `trial.log`. */
  skip_save_log?: boolean;
  /** Do not write `hyperopt_statistics.json`. */
  skip_save_hyperopt_statistics?: boolean;
  /** Resume from `hyperopt_state.json` when present (default true). */
  resume?: boolean;
  /** Aborting stops the search: running trials are ended and left to rerun on resume. */
  signal?: AbortSignal;
  /** Event callbacks. */
  callbacks?: readonly HyperoptCallback[];
  /** One line per trial event on stderr (default true outside notebooks). */
  progress?: boolean;
  /** Where progress lines go (default stderr). */
  log?: (line: string) => void;
}

/** What {@linkcode hyperopt} returns. */
export interface HyperoptResults {
  /** The resolved hyperopt section. */
  hyperopt_config: HyperoptConfig;
  /** Trials with a score, best first. */
  hyperopt_results: TrialRecord[];
  /** Trials that failed (invalid sampled config, crash), with their message. */
  failed_trials: TrialRecord[];
  /** The experiment folder. */
  output_directory: string;
  /** The best trial's model folder, when saved. */
  best_model_path?: string;
  /** Whether the search was interrupted (resume by running it again). */
  interrupted: boolean;
}

/** A search that cannot start (no hyperopt section, a folder of another search …). */
export class HyperoptError extends Error {
  /** A search error with its message (the message names the config path or folder). */
  constructor(message: string) {
    super(message);
    this.name = "HyperoptError";
  }
}

const STATE_FILE = "hyperopt_state.json";
const STATISTICS_FILE = "hyperopt_statistics.json";

const encoder = new TextEncoder();
const stderrLine = (line: string) => void Deno.stderr.writeSync(encoder.encode(`${line}\n`));

/** The project config the worker runs under (import map, node_modules), when there is one. */
function denoConfigFor(workerPath: string): string | undefined {
  let dir = resolve(workerPath, "..");
  for (let i = 0; i < 12; i++) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
    const parent = resolve(dir, "..");
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** The best value of a metric's history for the goal. */
function bestOf(values: readonly number[], goal: "minimize" | "maximize"): number | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  return goal === "maximize" ? Math.max(...finite) : Math.min(...finite);
}

/** Sort scored trials best first (ties: launch order). */
export function sortTrials(
  trials: readonly TrialRecord[],
  goal: "minimize" | "maximize",
): TrialRecord[] {
  const sign = goal === "maximize" ? -1 : 1;
  const score = (t: TrialRecord) => t.metric_score === null ? Infinity : sign * t.metric_score;
  return [...trials].sort((a, b) => score(a) - score(b) || a.index - b.index);
}

/**
 * MPI ranks each trial trains on: `backend.trainer.num_workers` with the distributed backend
 * (`mpi`, `horovod`), else 1 (a trial is one process).
 */
export function trialRanks(config: ModelConfig): number {
  const b = config.backend;
  if (b.type !== "mpi" && b.type !== "horovod") return 1;
  return Math.max(1, b.trainer?.num_workers ?? 1);
}

/** Concurrent trials: `max_concurrent_trials`, or the CPUs left by the driver per trial. */
export function concurrency(h: HyperoptConfig, cpus = navigator.hardwareConcurrency ?? 1): number {
  const e = h.executor;
  const driverCpus = e.trial_driver_resources?.CPU ?? e.trial_driver_resources?.cpu ?? 0;
  let n = typeof e.max_concurrent_trials === "number"
    ? e.max_concurrent_trials
    : Math.floor(Math.max(1, cpus - driverCpus) / e.cpu_resources_per_trial);
  if (h.search_alg.max_concurrent > 0) n = Math.min(n, h.search_alg.max_concurrent);
  return Math.max(1, n);
}

interface State {
  sonata_hyperopt_state: 1;
  fingerprint: string;
  trials: TrialRecord[];
}

async function readState(path: string): Promise<State | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as State;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new HyperoptError(
      `Cannot resume hyperopt: ${path} is not readable JSON (${(error as Error).message})`,
    );
  }
}

/** Lines of a stream, each passed to `onLine`. */
async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void | Promise<void>,
): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      await onLine(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  }
  if (buffer) await onLine(buffer);
}

function describeParameters(p: Record<string, unknown>): string {
  return Object.entries(p).map(([k, v]) => {
    const text = typeof v === "number" ? String(Number(v.toPrecision(4))) : JSON.stringify(v);
    return `${k}=${text}`;
  }).join(", ");
}

/**
 * Run Ludwig's hyperparameter search of a config's `hyperopt` section.
 *
 * @param config A config file path, YAML/JSON text or object, with a `hyperopt` section.
 * @param options Data, output folder, experiment name, resume, abort signal, callbacks.
 * @returns The trials (scored ones best first), the failed ones, and where they were written.
 */
export async function hyperopt(
  config: ConfigSource | { toConfig(): ModelConfig },
  options: HyperoptOptions,
): Promise<HyperoptResults> {
  const { value: raw, source } = typeof config === "object" && config !== null &&
      "toConfig" in config && typeof config.toConfig === "function"
    ? { value: config.toConfig() as unknown, source: undefined }
    : await readConfigSource(config as ConfigSource);
  const resolved = resolveConfigValue(raw, source).config;
  const h = resolved.hyperopt;
  if (h === null) {
    throw new HyperoptError(
      `Cannot run hyperopt: the config${source ? ` ${source}` : ""} has no hyperopt section`,
    );
  }
  if (Object.keys(h.parameters).length === 0) {
    throw new HyperoptError("Cannot run hyperopt: hyperopt.parameters is empty");
  }
  if (
    options.dataset === undefined && options.training_set === undefined
  ) throw new HyperoptError("Cannot run hyperopt: missing dataset (or training_set)");
  const log = options.log ?? stderrLine;
  const callbacks = [...(options.callbacks ?? [])];
  const live = await liveDisplay();
  if (live) callbacks.push(live.callback);
  // In a notebook the live table replaces the progress lines.
  const progress = options.progress ?? (live === undefined || options.log !== undefined);
  const say = (line: string) => progress && log(line);

  const outDir = resolve(options.output_directory ?? "results");
  const expDir = join(outDir, options.experiment_name ?? "hyperopt");
  await mkdir(expDir, { recursive: true });
  const data = await dataPaths(options, expDir);
  const parameters = h.parameters as unknown as Record<string, ParameterSpace>;
  const scheduler = createScheduler(h.executor.scheduler as SchedulerConfig);
  const searcher = createSearcher(
    parameters,
    h.search_alg as SearchAlgConfig,
    h.executor.num_samples,
  );
  const total = searcher.numTrials;
  const maxConcurrent = concurrency(h);
  const ranks = trialRanks(resolved);
  const launcher = Deno.env.get("SONATA_MPIRUN") ?? "mpirun";
  if (ranks > 1) {
    const launched = launchedByMpi();
    if (launched && !(launched.size <= 1)) {
      throw new HyperoptError(
        `Cannot run hyperopt as rank ${launched.rank} of ${launched.size}: with backend.trainer.num_workers ${ranks} the search starts every trial under \`${launcher} -np ${ranks}\` itself; run \`sonata hyperopt\` as one process`,
      );
    }
    try {
      await new Deno.Command(launcher, { args: ["--version"], stdout: "null", stderr: "null" })
        .output();
    } catch (error) {
      throw new HyperoptError(
        `Cannot run hyperopt: backend.trainer.num_workers is ${ranks} but ${launcher} could not be started (${
          (error as Error).message
        }): install MPICH (apt-get install mpich) or Open MPI`,
      );
    }
  }
  const sign = h.goal === "maximize" ? -1 : 1;
  const maxEpochs = h.executor.scheduler.type === "fifo" ? undefined : h.executor.scheduler.max_t;
  const seed = options.random_seed ?? 42;

  // Resume.
  const statePath = join(expDir, STATE_FILE);
  const baseConfig = raw as Record<string, unknown>;
  const fingerprint = JSON.stringify({ config: baseConfig, seed, data });
  const previous = options.resume === false ? undefined : await readState(statePath);
  if (previous && previous.fingerprint !== fingerprint) {
    throw new HyperoptError(
      `Cannot resume hyperopt in ${expDir}: it holds a search of another config, dataset or seed; choose another experiment_name or output_directory, or delete the folder`,
    );
  }
  const trials: TrialRecord[] = previous?.trials.map((t) => ({ ...t })) ?? [];
  const finished = (t: TrialRecord) => t.status !== "running";
  for (const t of trials.filter(finished)) {
    scheduler.addTrial(t.trial_id);
    t.epoch_values.forEach((v, i) => scheduler.onResult(t.trial_id, i + 1, sign * v));
  }
  if (previous) {
    say(
      `Resuming hyperopt in ${expDir}: ${
        trials.filter(finished).length
      } of ${total} trials finished`,
    );
  }
  if (h.executor.type === "ray") {
    say(
      `executor type "ray": Sonata runs the trials on its own executor (worker processes on this machine, ${maxConcurrent} at a time); Ray is not used`,
    );
  }
  if (ranks > 1) {
    say(
      `backend ${resolved.backend.type}: every trial trains on ${ranks} MPI ranks (${launcher} -np ${ranks}), ${maxConcurrent} trial(s) at a time`,
    );
  }
  if (h.executor.gpu_resources_per_trial > 0) {
    say(
      `gpu_resources_per_trial ${h.executor.gpu_resources_per_trial}: every trial uses the compute engine of backend.compute (Sonata does not split GPUs between trials)`,
    );
  }

  let stateWrite: Promise<void> = Promise.resolve();
  const saveState = () => {
    const snapshot = JSON.stringify(
      { sonata_hyperopt_state: 1, fingerprint, trials } satisfies State,
      null,
      1,
    );
    stateWrite = stateWrite.then(() => writeTextAtomic(statePath, `${snapshot}\n`));
    return stateWrite;
  };
  const update = () => {
    for (const c of callbacks) c.onUpdate?.(trials);
  };

  const workerPath = fileURLToPath(new URL("./_trial_worker.ts", import.meta.url));
  const denoConfig = denoConfigFor(workerPath);
  const started = performance.now();
  const budgetMs = h.executor.time_budget_s * 1000;
  const overBudget = () => performance.now() - started > budgetMs;
  const aborted = () => options.signal?.aborted ?? false;
  const children = new Set<Deno.ChildProcess>();
  const onAbort = () => {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    }
  };
  options.signal?.addEventListener("abort", onAbort);

  const history = (): Observation[] =>
    trials.filter((t) => t.metric_score !== null && t.status !== "running").map((t) => ({
      params: t.parameters,
      loss: sign * (t.metric_score as number),
    }));

  const runTrial = async (record: TrialRecord): Promise<void> => {
    const dir = record.trial_dir;
    await mkdir(dir, { recursive: true });
    const spec: TrialSpec = {
      config: trialConfig(baseConfig, record.parameters, { maxEpochs }),
      data,
      trialDir: dir,
      split: h.split,
      outputFeature: h.output_feature,
      metric: h.metric,
      randomSeed: seed,
      skipSaveModel: options.skip_save_model,
      skipSaveTrainingStatistics: options.skip_save_training_statistics,
      skipSaveEvalStats: options.skip_save_eval_stats,
    };
    const specPath = join(dir, "spec.json");
    await writeTextAtomic(specPath, `${JSON.stringify(spec, null, 2)}\n`);
    // A trial's CPUs are split between its ranks.
    const threads = String(
      Math.max(1, Math.floor(h.executor.cpu_resources_per_trial / ranks)),
    );
    const worker = [
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      ...(denoConfig ? ["--config", denoConfig] : []),
      workerPath,
      specPath,
    ];
    // Distributed: the trial's ranks under mpirun (which passes stdin to rank 0, the one that
    // talks to the driver, and merges the ranks' stdout and stderr).
    const [command, ...args] = ranks > 1 ? [launcher, "-np", String(ranks), ...worker] : worker;
    const child = new Deno.Command(command, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: {
        SONATA_BLAS_THREADS: threads,
        OMP_NUM_THREADS: threads,
        // Open MPI refuses root without these; MPICH's hydra ignores them.
        ...(ranks > 1 ? { OMPI_ALLOW_RUN_AS_ROOT: "1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1" } : {}),
      },
    }).spawn();
    children.add(child);
    const t0 = performance.now();
    for (const c of callbacks) c.onTrialStart?.(record, { pid: child.pid });
    update();
    say(`${record.trial_id} started: ${describeParameters(record.parameters)}`);
    const logLines: string[] = [];
    const writer = child.stdin.getWriter();
    let result: Extract<WorkerMessage, { type: "result" }> | undefined;
    let failure: string | undefined;
    let stopReason: string | undefined;
    let pruned = false;
    record.epoch_values = [];
    const onStdout = async (line: string) => {
      if (!line.startsWith(MESSAGE_PREFIX)) return void logLines.push(line);
      const message = JSON.parse(line.slice(MESSAGE_PREFIX.length)) as WorkerMessage;
      if (message.type === "epoch") {
        let decision: Decision = "continue";
        let reason = "";
        if (message.value === null) {
          decision = "stop";
          failure =
            `metric "${h.metric}" of "${h.output_feature}" is missing from the ${h.split} split's statistics (does preprocessing.split give the ${h.split} split rows?)`;
          reason = "missing metric";
        } else {
          record.epoch_values.push(message.value);
          record.epochs = message.epoch;
          if (aborted()) {
            decision = "stop";
            reason = "search interrupted";
          } else if (overBudget()) {
            decision = "stop";
            reason = `time budget of ${h.executor.time_budget_s}s spent`;
            stopReason = reason;
          } else {
            decision = scheduler.onResult(record.trial_id, message.epoch, sign * message.value);
            if (decision === "stop") {
              pruned = true;
              reason = `pruned by ${scheduler.type} after epoch ${message.epoch}`;
              stopReason = reason;
            }
          }
        }
        for (const c of callbacks) c.onTrialEpoch?.(record, message.epoch, message.value, decision);
        update();
        await writer.write(encoder.encode(decision === "stop" ? `stop ${reason}\n` : "continue\n"))
          .catch(() => undefined);
      } else if (message.type === "result") result = message;
      else failure = message.error;
    };
    const [status] = await Promise.all([
      child.status,
      eachLine(child.stdout, onStdout),
      eachLine(child.stderr, (line) => void logLines.push(line)),
    ]);
    children.delete(child);
    await writer.close().catch(() => undefined);
    if (!options.skip_save_log) {
      await writeTextAtomic(join(dir, "trial.log"), logLines.join("\n") + "\n").catch(() => {});
    }
    record.duration_s = Math.round((performance.now() - t0) / 10) / 100;
    // Interrupted (the abort signal, or Ctrl-C, which reaches the trial processes too): the
    // trial reruns on resume instead of counting as failed.
    if ((aborted() || status.signal === "SIGINT") && !result) {
      record.status = "running";
      return;
    }
    if (result && !failure) {
      const stats = result.training_stats as Record<string, unknown>;
      const split = (stats?.[h.split] ?? {}) as Record<string, Record<string, number[]>>;
      const values = split[h.output_feature]?.[h.metric] ?? [];
      record.training_stats = stats;
      record.eval_stats = result.eval_stats as Record<string, unknown>;
      record.epochs = result.epochs;
      record.metric_score = bestOf(values, h.goal);
      if (record.metric_score === null) {
        record.status = "failed";
        record.error =
          `metric "${h.metric}" of "${h.output_feature}" has no finite value in the ${h.split} split`;
      } else {
        record.status = pruned ? "pruned" : stopReason ? "stopped" : "completed";
        if (stopReason) record.stop_reason = stopReason;
      }
    } else {
      record.status = "failed";
      const tail = logLines.filter((l) => l.trim()).slice(-8).join("\n");
      record.error = failure ??
        (status.signal
          ? `trial process killed by ${status.signal}${tail ? `:\n${tail}` : ""}`
          : `trial process exited with code ${status.code}${tail ? `:\n${tail}` : ""}`);
    }
    say(
      record.status === "failed"
        ? `${record.trial_id} failed: ${
          (record.error ?? "").split("\n").map((l) => l.trim()).filter(Boolean).slice(0, 3)
            .join(" ")
        }`
        : `${record.trial_id} ${record.status}: ${h.metric} ${
          Number(record.metric_score!.toPrecision(5))
        } after ${record.epochs} epoch(s)${record.stop_reason ? ` (${record.stop_reason})` : ""}`,
    );
  };

  // The search loop: launch up to maxConcurrent trials, draw parameters as slots free up.
  const running = new Map<number, Promise<void>>();
  let next = 0;
  try {
    while (true) {
      while (running.size < maxConcurrent && next < total && !aborted() && !overBudget()) {
        const index = next++;
        const id = `trial_${String(index).padStart(3, "0")}`;
        // Draw for every index in order, so a resumed search repeats the same sequence.
        const drawn = searcher.next(index, history());
        let record = trials.find((t) => t.index === index);
        if (record && finished(record)) continue;
        if (!record) {
          const ordered = Object.fromEntries(
            Object.keys(parameters).filter((k) => k in drawn).map((k) => [k, drawn[k]]),
          );
          for (const k of Object.keys(drawn)) if (!(k in ordered)) ordered[k] = drawn[k];
          record = {
            trial_id: id,
            index,
            parameters: ordered,
            status: "running",
            metric_score: null,
            training_stats: null,
            eval_stats: null,
            epoch_values: [],
            epochs: 0,
            trial_dir: join(expDir, id),
          };
          trials.push(record);
          trials.sort((a, b) => a.index - b.index);
        }
        scheduler.addTrial(record.trial_id);
        await saveState();
        const r = record;
        running.set(
          index,
          runTrial(r).catch((error) => {
            r.status = "failed";
            r.error = `trial driver error: ${(error as Error).message}`;
          }).then(async () => {
            running.delete(index);
            if (r.status !== "running") {
              for (const c of callbacks) c.onTrialEnd?.(r);
            }
            update();
            await saveState();
          }),
        );
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await Promise.allSettled(running.values());
    await stateWrite;
  }
  if (overBudget() && next < total) {
    say(
      `time budget of ${h.executor.time_budget_s}s spent: ${total - next} trial(s) not started`,
    );
  }
  const done = trials.filter(finished);
  const scored = sortTrials(done.filter((t) => t.status !== "failed"), h.goal);
  const failed = done.filter((t) => t.status === "failed");
  const interrupted = aborted() || trials.some((t) => t.status === "running");
  const results: HyperoptResults = {
    hyperopt_config: h,
    hyperopt_results: scored,
    failed_trials: failed,
    output_directory: expDir,
    best_model_path: scored[0] && !options.skip_save_model
      ? join(scored[0].trial_dir, "model")
      : undefined,
    interrupted,
  };
  if (!interrupted && !options.skip_save_hyperopt_statistics) {
    await writeTextAtomic(
      join(expDir, STATISTICS_FILE),
      `${
        JSON.stringify(
          {
            hyperopt_config: h,
            hyperopt_results: scored.map(publicRecord),
            failed_trials: failed.map(publicRecord),
          },
          null,
          2,
        )
      }\n`,
    );
  }
  if (!interrupted && scored[0]) {
    say(
      `Best trial ${scored[0].trial_id}: ${h.metric} ${
        Number(scored[0].metric_score!.toPrecision(5))
      } with ${describeParameters(scored[0].parameters)}`,
    );
  }
  if (live) {
    live.finish(results);
    await live.done();
    return live.attach(results);
  }
  return results;
}

/** A record as `hyperopt_statistics.json` holds it (Ludwig's keys first). */
function publicRecord(t: TrialRecord): Record<string, unknown> {
  const { parameters, metric_score, training_stats, eval_stats, ...rest } = t;
  return { parameters, metric_score, training_stats, eval_stats, ...rest };
}

async function dataPaths(options: HyperoptOptions, expDir: string): Promise<TrialSpec["data"]> {
  const abs = (p: string | undefined) =>
    p === undefined
      ? undefined
      : p.startsWith("file://")
      ? fileURLToPath(p)
      : isAbsolute(p)
      ? p
      : resolve(p);
  let dataset = options.dataset as string | undefined;
  if (options.dataset !== undefined && typeof options.dataset !== "string") {
    // An in-memory Dataset: trials read it from the experiment folder.
    const { writeParquet } = await import("../data/write.ts");
    const path = join(expDir, "dataset.parquet");
    await writeParquet(options.dataset as never, path);
    dataset = path;
  }
  const data: TrialSpec["data"] = {
    dataset: abs(dataset),
    training_set: abs(options.training_set),
    validation_set: abs(options.validation_set),
    test_set: abs(options.test_set),
    data_format: options.data_format,
  };
  for (const key of ["dataset", "training_set", "validation_set", "test_set"] as const) {
    const path = data[key];
    if (path !== undefined && !existsSync(path)) {
      throw new HyperoptError(`Cannot run hyperopt: ${key} ${JSON.stringify(path)} does not exist`);
    }
  }
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
}

/** The notebook's live table, when running inside Jupyter (imported only there). */
async function liveDisplay(): Promise<
  | {
    callback: HyperoptCallback;
    finish(r: HyperoptResults): void;
    done(): Promise<unknown>;
    attach(r: HyperoptResults): HyperoptResults;
  }
  | undefined
> {
  const { inJupyter } = await import("../viz/_notebook.ts");
  if (!inJupyter()) return undefined;
  const { liveHyperoptTable, withHyperoptDisplay } = await import("../viz/hyperopt.ts");
  const live = liveHyperoptTable();
  return {
    callback: live.callback,
    finish: (r) => live.finish(r),
    done: () => live.done(),
    attach: (r) => withHyperoptDisplay(r),
  };
}
