/**
 * Compute engines: the only module of Sonata that imports TensorFlow.js.
 *
 * Everything else takes `tf` from here and calls {@linkcode ready} once before computing.
 * `ready()` chooses the engine that runs the kernels, once per process:
 *
 * | engine | what it is | chosen by `auto` when |
 * |---|---|---|
 * | `tensorflow-gpu` | `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA) | installed |
 * | `tensorflow` | `@tensorflow/tfjs-node` (libtensorflow) | installed |
 * | `webgpu` | `@tensorflow/tfjs-backend-webgpu` on Deno's WebGPU | a hardware adapter exists |
 * | `native` | cpu kernels with matrix products in the system BLAS, else in WebAssembly SIMD | always |
 * | `wasm` | `@tensorflow/tfjs-backend-wasm`; the kernels it lacks run on cpu copies | never |
 * | `cpu` | `@tensorflow/tfjs-backend-cpu` | always |
 *
 * The option `compute`, else the environment variable `SONATA_COMPUTE`, overrides `auto`;
 * `SONATA_BLAS` names the BLAS library (`none`: use the portable WebAssembly sgemm) and
 * `SONATA_BLAS_THREADS` its threads. WebGPU is probed only when it could be chosen: asked
 * for, or by `auto` when the machine shows a GPU device.
 *
 * @example Choose an engine and compute
 * ```ts ignore
 * import { ready, tf } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const info = await ready({ compute: "cpu", quiet: true });
 * assert.equal(info.engine, "cpu");
 * assert.deepEqual(tf.add(1, 2).arraySync(), 3);
 * ```
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import { logLine } from "./_log.ts";
import { registerWasmFallbacks } from "./_wasm_fallback.ts";
import { nativeMatmulStatus, registerNativeBackend } from "./native.ts";
import { installTileGradient } from "./_tile_grad.ts";

export { tf };
export { NATIVE_BACKEND, nativeBackendInfo, registerNativeBackend } from "./native.ts";
export type { NativeBackendInfo, NativeBackendOptions, NativeMatmul } from "./native.ts";
export { fusedAdam, FusedAdamOptimizer } from "./adam.ts";
export { FastDense, fastDense, fusedDense, fusedDenseAvailable } from "./dense.ts";
export { type HostValues, onDevice, readAll } from "./reads.ts";
export { batchNormTraining, type BatchNormTrainingResult } from "./batch_norm.ts";

/** The compute engines, in the order `auto` tries them. */
export const ENGINES = ["tensorflow-gpu", "tensorflow", "webgpu", "native", "wasm", "cpu"] as const;

/** A compute engine. */
export type ComputeEngine = typeof ENGINES[number];

/** What `ready({ compute })` accepts: an engine, or `auto`. */
export type ComputeOption = "auto" | ComputeEngine;

/** Options of {@linkcode ready}. */
export interface ReadyOptions {
  /** The engine; `auto` (the default) tries them in order. `SONATA_COMPUTE` overrides `auto`. */
  compute?: ComputeOption;
  /** The BLAS library for `native`; overrides `SONATA_BLAS` and the usual names. */
  blasPath?: string;
  /** BLAS threads for `native`; overrides `SONATA_BLAS_THREADS`. */
  threads?: number;
  /** When true, do not print the one-line engine report on stderr. */
  quiet?: boolean;
}

/** The engine chosen by {@linkcode ready}. */
export interface EngineInfo {
  /** The engine. */
  engine: ComputeEngine;
  /** The TensorFlow.js backend name that runs it (`tf.getBackend()`). */
  backend: string;
  /** For `native` on a system BLAS: the library and its threads. */
  blas?: { path: string; threads: number };
  /** For `native`: the matrix product used (the BLAS, or the portable WebAssembly sgemm). */
  matmul?: string;
  /** Why this engine: how it was asked for and what `auto` skipped. */
  reason: string;
}

/** One row of {@linkcode listEngines}. */
export interface EngineStatus {
  /** The engine. */
  engine: ComputeEngine;
  /** Whether `ready({ compute: engine })` would succeed. */
  available: boolean;
  /** What was found, or why it is unavailable and how to install it. */
  detail: string;
  /** Whether `auto` would choose this engine here (true on exactly one row). */
  auto: boolean;
}

/** An engine asked for explicitly is not available here. */
export class EngineUnavailableError extends Error {
  /** The engine asked for. */
  readonly engine: ComputeEngine;
  /** Why it is unavailable. */
  readonly reason: string;
  /** How to make it available. */
  readonly install: string;
  /** Builds the error; the message says why and how to install. */
  constructor(engine: ComputeEngine, reason: string, install: string) {
    super(`Cannot use compute engine "${engine}": ${reason}: ${install}`);
    this.name = "EngineUnavailableError";
    this.engine = engine;
    this.reason = reason;
    this.install = install;
  }
}

/** How to make each engine available. */
const INSTALL: Record<ComputeEngine, string> = {
  "tensorflow-gpu":
    'install CUDA 11.2 and cuDNN 8.1, add "npm:@tensorflow/tfjs-node-gpu@4.22.0" to the imports of deno.json, then run "deno install --allow-scripts=npm:@tensorflow/tfjs-node-gpu" (it downloads libtensorflow)',
  tensorflow:
    'add "npm:@tensorflow/tfjs-node@4.22.0" to the imports of deno.json, then run "deno install --allow-scripts=npm:@tensorflow/tfjs-node" (it downloads libtensorflow)',
  webgpu: "run on a machine with a GPU and a WebGPU driver (Vulkan, Metal or Direct3D 12)",
  native:
    'it needs WebAssembly SIMD; for faster matrix products install OpenBLAS ("apt-get install libopenblas0-pthread" on Debian/Ubuntu, "brew install openblas" on macOS) or set SONATA_BLAS=/path/to/libblas.so, and run with --allow-ffi',
  wasm:
    'add "npm:@tensorflow/tfjs-backend-wasm@4.22.0" to the imports of deno.json and run "deno install"',
  cpu: "the cpu backend ships with @tensorflow/tfjs; reinstall it",
};

type Attempt = {
  ok: true;
  backend: string;
  blas?: { path: string; threads: number };
  matmul?: string;
  note?: string;
} | {
  ok: false;
  reason: string;
};

let chosen: EngineInfo | undefined;
let pending: Promise<EngineInfo> | undefined;

function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].replace(/\.$/, "");
}

function parseCompute(value: string, source: string): ComputeOption {
  if (value === "auto" || (ENGINES as readonly string[]).includes(value)) {
    return value as ComputeOption;
  }
  throw new TypeError(
    `Cannot choose a compute engine from ${source}: expected one of "auto", ${
      ENGINES.map((e) => `"${e}"`).join(", ")
    }, received "${value}"`,
  );
}

/** Finds an installed npm package in a node_modules folder at or above the working directory. */
async function findPackage(name: string): Promise<string | undefined> {
  const roots: string[] = [];
  try {
    let dir = Deno.cwd();
    for (;;) {
      roots.push(dir);
      const parent = dir.replace(/[\\/][^\\/]*$/, "");
      if (parent === dir || parent === "") break;
      dir = parent;
    }
  } catch {
    return undefined;
  }
  for (const root of roots) {
    const path = `${root}/node_modules/${name}/package.json`;
    try {
      await Deno.stat(path);
      return path.slice(0, -"/package.json".length);
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Loads tfjs-node or tfjs-node-gpu when it is installed; never downloads it. */
async function tryTensorflow(pkg: string): Promise<Attempt> {
  const path = await findPackage(pkg);
  if (!path) return { ok: false, reason: `${pkg} is not installed` };
  try {
    const specifier = `npm:${pkg}`;
    await import(specifier);
  } catch (error) {
    return { ok: false, reason: `${pkg} is installed but does not load (${firstLine(error)})` };
  }
  return await setBackend("tensorflow", `${pkg} at ${path}`);
}

async function setBackend(backend: string, note?: string): Promise<Attempt> {
  try {
    if (await tf.setBackend(backend)) {
      await tf.ready();
      return { ok: true, backend, note };
    }
    return { ok: false, reason: `the "${backend}" backend failed to initialize` };
  } catch (error) {
    return {
      ok: false,
      reason: `the "${backend}" backend failed to initialize (${firstLine(error)})`,
    };
  }
}

/**
 * Whether the machine shows a GPU device WebGPU could use. On Linux that is a DRM render node
 * or an NVIDIA or WSL device; elsewhere the answer is always yes (Metal, Direct3D 12).
 */
function gpuDeviceVisible(): boolean {
  if (Deno.build.os !== "linux") return true;
  for (const path of ["/dev/nvidia0", "/dev/dxg"]) {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      // Not here, or not allowed to look.
    }
  }
  try {
    for (const entry of Deno.readDirSync("/dev/dri")) {
      if (entry.name.startsWith("renderD")) return true;
    }
  } catch {
    // No /dev/dri.
  }
  return false;
}

/**
 * The backend list Sonata gives Deno's WebGPU (wgpu) on Linux when `DENO_WEBGPU_BACKEND` is
 * unset or empty: Vulkan only. With every backend allowed, wgpu also starts its OpenGL backend,
 * which loads libglvnd's libEGL into the process, and libEGL's destructor at process exit frees
 * per-thread state that threads still exiting free too: a process that asked for an adapter
 * from several threads (a `deno test --parallel` run) now and then dies at exit in glibc
 * ("double free or corruption", "corrupted size vs. prev_size"), the "abort at exit" of
 * DESIGN.md. GPU compute on Linux goes through Vulkan (Mesa's lavapipe as well as NVIDIA's,
 * AMD's and Intel's drivers); a user who wants another backend sets `DENO_WEBGPU_BACKEND` (for
 * example `gl`), and that is kept.
 */
export const LINUX_WEBGPU_BACKENDS = "vulkan";

/** Sets `DENO_WEBGPU_BACKEND` (see {@linkcode LINUX_WEBGPU_BACKENDS}) before any adapter request. */
function chooseWebgpuBackends(): void {
  try {
    if (Deno.build.os === "linux" && !Deno.env.get("DENO_WEBGPU_BACKEND")) {
      Deno.env.set("DENO_WEBGPU_BACKEND", LINUX_WEBGPU_BACKENDS);
    }
  } catch {
    // Without --allow-env (or outside Deno) wgpu keeps its default backends.
  }
}

/**
 * Mesa's Vulkan drivers print "error: XDG_RUNTIME_DIR is invalid or not set in the
 * environment." twice when that variable is unset, though compute needs no display: point it
 * at a private directory for the adapter request, then restore the environment.
 */
async function quietly<T>(request: () => Promise<T>): Promise<T> {
  let dir: string | undefined;
  try {
    if (Deno.build.os === "linux" && !Deno.env.get("XDG_RUNTIME_DIR")) {
      dir = Deno.makeTempDirSync({ prefix: "sonata-xdg-" });
      Deno.env.set("XDG_RUNTIME_DIR", dir);
    }
  } catch {
    // Without --allow-env or --allow-write the drivers may print their line.
  }
  try {
    return await request();
  } finally {
    if (dir) {
      try {
        Deno.env.delete("XDG_RUNTIME_DIR");
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // Best effort: an empty temporary directory may stay behind.
      }
    }
  }
}

async function gpuAdapter(): Promise<{ adapter?: GPUAdapter; reason?: string }> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { reason: "WebGPU is not available in this runtime" };
  try {
    chooseWebgpuBackends();
    const adapter = await quietly(() => gpu.requestAdapter());
    if (!adapter) return { reason: "no WebGPU adapter found" };
    return { adapter };
  } catch (error) {
    return { reason: `no WebGPU adapter (${firstLine(error)})` };
  }
}

function describeAdapter(
  adapter: GPUAdapter,
): { name: string; software: boolean; fallback: boolean } {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const name = info?.description || info?.vendor || "unknown adapter";
  const fallback = Boolean(info?.isFallbackAdapter);
  const software = fallback || /llvmpipe|swiftshader|lavapipe|software/i.test(name);
  return { name, software, fallback };
}

async function tryWebgpu(auto: boolean): Promise<Attempt> {
  if (auto && !gpuDeviceVisible()) {
    return { ok: false, reason: "no GPU device (/dev/dri/renderD*, /dev/nvidia0), not probed" };
  }
  const { adapter, reason } = await gpuAdapter();
  if (!adapter) return { ok: false, reason: reason! };
  const { name, software } = describeAdapter(adapter);
  if (software && auto) {
    return { ok: false, reason: `only a software adapter (${name}), slower than the CPU engines` };
  }
  try {
    await import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0");
  } catch (error) {
    return {
      ok: false,
      reason: `@tensorflow/tfjs-backend-webgpu does not load (${firstLine(error)})`,
    };
  }
  // The backend requests its own adapter and device (on the backends chosen above): keep the
  // drivers quiet there too.
  const result = await quietly(() =>
    setBackend("webgpu", `adapter ${name}${software ? " (software)" : ""}`)
  );
  if (result.ok) {
    explainSyncReads(tf.backend());
    chunkAddN(tf.backend());
  }
  return result;
}

/**
 * tfjs-backend-webgpu's AddN binds every input as a storage buffer in one shader, so more inputs
 * than the device's `maxStorageBuffersPerShaderStage` less one (7 by default) fail; gradients
 * summed over many paths and `tf.addN` over a model's weights need more. Register an AddN that
 * adds them in chunks the device can bind.
 */
function chunkAddN(backend: tf.KernelBackend): void {
  const original = tf.getKernel("AddN", "webgpu");
  if (!original || (original.kernelFunc as { sonataChunked?: boolean }).sonataChunked) return;
  const device = (backend as unknown as { device?: GPUDevice }).device;
  const limit = Math.max(2, (device?.limits.maxStorageBuffersPerShaderStage ?? 8) - 1);
  const run = original.kernelFunc;
  const kernelFunc = (args: Parameters<tf.KernelFunc>[0]) => {
    let inputs = args.inputs as unknown as tf.TensorInfo[];
    if (inputs.length <= limit) return run(args);
    const partial: tf.TensorInfo[] = [];
    while (inputs.length > limit) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < inputs.length; i += limit) {
        const chunk = inputs.slice(i, i + limit);
        if (chunk.length === 1) {
          next.push(chunk[0]);
          continue;
        }
        const sum = run({
          ...args,
          inputs: chunk as unknown as tf.NamedTensorInfoMap,
        }) as tf.TensorInfo;
        partial.push(sum);
        next.push(sum);
      }
      inputs = next;
    }
    const out = run({ ...args, inputs: inputs as unknown as tf.NamedTensorInfoMap });
    for (const t of partial) (args.backend as tf.KernelBackend).disposeData(t.dataId);
    return out;
  };
  (kernelFunc as { sonataChunked?: boolean }).sonataChunked = true;
  tf.unregisterKernel("AddN", "webgpu");
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as tf.KernelFunc });
}

/**
 * tfjs-backend-webgpu reads GPU data synchronously (`dataSync`, `arraySync`) through an
 * OffscreenCanvas 2-D context, which Deno lacks, and fails with "Cannot read properties of
 * null (reading 'clearRect')": say what happened instead. Reads of data still on the CPU, and every asynchronous read, work.
 */
function explainSyncReads(backend: tf.KernelBackend): void {
  const target = backend as unknown as { readSync?: (dataId: object) => unknown };
  const original = target.readSync?.bind(backend);
  if (!original || (original as { sonataWrapped?: boolean }).sonataWrapped) return;
  const wrapped = (dataId: object) => {
    try {
      return original(dataId);
    } catch (error) {
      if (!/clearRect|getContext|OffscreenCanvas/.test(String(error))) throw error;
      throw new Error(
        `Cannot read tensor data synchronously on the webgpu engine: this runtime's OffscreenCanvas has no 2-D context, so only asynchronous reads (data(), array()) reach the GPU (${
          firstLine(error)
        }); use another engine (compute: native) for this code path`,
      );
    }
  };
  (wrapped as { sonataWrapped?: boolean }).sonataWrapped = true;
  target.readSync = wrapped;
}

function tryNative(options: ReadyOptions): Promise<Attempt> {
  let info;
  try {
    info = registerNativeBackend({ blasPath: options.blasPath, threads: options.threads });
  } catch (error) {
    return Promise.resolve({ ok: false, reason: firstLine(error) });
  }
  return setBackend(info.backend).then((attempt) =>
    attempt.ok
      ? {
        ...attempt,
        ...(info.blas ? { blas: info.blas } : {}),
        matmul: info.matmulDetail,
        note: info.blas ? `BLAS ${info.blas.path}` : info.matmulDetail,
      }
      : attempt
  );
}

async function tryWasm(): Promise<Attempt> {
  try {
    await import("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
  } catch (error) {
    return {
      ok: false,
      reason: `@tensorflow/tfjs-backend-wasm does not load (${firstLine(error)})`,
    };
  }
  let added: string[];
  try {
    added = registerWasmFallbacks();
  } catch (error) {
    return { ok: false, reason: firstLine(error) };
  }
  return await setBackend(
    "wasm",
    `the kernels it lacks (${added.length}, such as UnsortedSegmentSum and Conv2DBackpropFilter) run on cpu copies`,
  );
}

function tryCpu(): Promise<Attempt> {
  return setBackend("cpu").then((attempt) => {
    // The cpu backend's one-time "install tfjs-node" hint would contradict our report.
    const backend = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
    if (backend) backend.firstUse = false;
    return attempt;
  });
}

function attempt(engine: ComputeEngine, options: ReadyOptions, auto: boolean): Promise<Attempt> {
  switch (engine) {
    case "tensorflow-gpu":
      return tryTensorflow("@tensorflow/tfjs-node-gpu");
    case "tensorflow":
      return tryTensorflow("@tensorflow/tfjs-node");
    case "webgpu":
      return tryWebgpu(auto);
    case "native":
      return tryNative(options);
    case "wasm":
      return tryWasm();
    case "cpu":
      return tryCpu();
  }
}

async function choose(options: ReadyOptions): Promise<EngineInfo> {
  let compute: ComputeOption = options.compute ?? "auto";
  let source = options.compute && options.compute !== "auto" ? "option compute" : "auto";
  if (compute === "auto") {
    const env = envGet("SONATA_COMPUTE");
    if (env) {
      compute = parseCompute(env, "SONATA_COMPUTE");
      source = compute === "auto" ? "auto" : `SONATA_COMPUTE=${env}`;
    }
  } else {
    compute = parseCompute(compute, "option compute");
  }
  if (compute !== "auto") {
    const result = await attempt(compute, options, false);
    if (!result.ok) throw new EngineUnavailableError(compute, result.reason, INSTALL[compute]);
    return {
      engine: compute,
      backend: result.backend,
      ...(result.blas ? { blas: result.blas } : {}),
      ...(result.matmul ? { matmul: result.matmul } : {}),
      reason: `asked for by ${source}${result.note ? `; ${result.note}` : ""}`,
    };
  }
  const skipped: string[] = [];
  for (const engine of ENGINES) {
    if (engine === "wasm") {
      // It lacks training kernels (UnsortedSegmentSum, Conv2DBackpropFilter, ...), which run
      // on cpu copies of their inputs: slower than native, so only when asked for.
      continue;
    }
    const result = await attempt(engine, options, true);
    if (!result.ok) {
      skipped.push(`${engine}: ${result.reason}`);
      continue;
    }
    const parts = [`auto: first available${result.note ? ` (${result.note})` : ""}`];
    if (skipped.length) parts.push(`skipped ${skipped.join("; ")}`);
    return {
      engine,
      backend: result.backend,
      ...(result.blas ? { blas: result.blas } : {}),
      ...(result.matmul ? { matmul: result.matmul } : {}),
      reason: parts.join("; "),
    };
  }
  throw new Error(`Cannot choose a compute engine: none is available (${skipped.join("; ")})`);
}

function report(info: EngineInfo): void {
  const blas = info.blas
    ? `, BLAS ${info.blas.path}${info.blas.threads ? ` with ${info.blas.threads} threads` : ""}`
    : info.matmul
    ? `, ${info.matmul}`
    : "";
  logLine(
    `sonata: compute engine "${info.engine}" (tfjs backend "${info.backend}"${blas}): ${info.reason}`,
  );
}

/**
 * Chooses the compute engine once per process, makes its backend current, prints one
 * line about it on stderr (unless `quiet`) and returns it. Later calls return the same
 * choice; asking for another engine after one was chosen throws.
 *
 * @param options the engine (`auto` by default), BLAS path and threads, `quiet`
 * @returns the engine, the tfjs backend name, the BLAS used (native) and the reason
 * @throws {EngineUnavailableError} when the engine asked for explicitly is unavailable
 * @throws {Error} when another engine was already chosen in this process
 *
 * @example Use the fastest engine available
 * ```ts ignore
 * import { ready, tf } from "./mod.ts";
 *
 * const { engine } = await ready();
 * tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).print();
 * console.log(engine);
 * ```
 */
export async function ready(options: ReadyOptions = {}): Promise<EngineInfo> {
  if (pending) {
    try {
      await pending;
    } catch {
      // A failed attempt does not lock the choice; try again below.
    }
  }
  if (chosen) {
    const asked = options.compute && options.compute !== "auto" ? options.compute : undefined;
    if (asked && asked !== chosen.engine) {
      throw new Error(
        `Cannot switch the compute engine to "${asked}": "${chosen.engine}" was already chosen in this process (the engine is chosen once, by the first ready() call)`,
      );
    }
    if (chosen.engine === "native" && options.threads !== undefined) {
      const info = registerNativeBackend({ threads: options.threads });
      chosen = { ...chosen, ...(info.blas ? { blas: info.blas } : {}), matmul: info.matmulDetail };
    }
    return chosen;
  }
  // Every engine: tfjs's Tile gradient runs 2 kernels per tile (layer norms tile gamma, beta).
  installTileGradient();
  pending = choose(options);
  try {
    chosen = await pending;
  } finally {
    pending = undefined;
  }
  if (!options.quiet) report(chosen);
  return chosen;
}

/**
 * The engine chosen by {@linkcode ready} in this process, or undefined before.
 *
 * @returns the engine info, or undefined
 *
 * @example
 * ```ts ignore
 * import { engineInfo } from "./mod.ts";
 *
 * if (!engineInfo()) console.log("no engine yet");
 * ```
 */
export function engineInfo(): EngineInfo | undefined {
  return chosen;
}

/**
 * Checks every engine without choosing one (for `sonata check_install`): whether it is
 * available here, what was found, or why not and how to install it.
 *
 * @returns one row per engine, in the order `auto` tries them
 *
 * @example
 * ```ts ignore
 * import { listEngines } from "./mod.ts";
 *
 * for (const e of await listEngines()) console.log(e.engine, e.available, e.detail);
 * ```
 */
export async function listEngines(): Promise<EngineStatus[]> {
  const rows: Omit<EngineStatus, "auto">[] = [];
  /** Whether auto's rule admits webgpu here: a visible GPU device and a hardware adapter. */
  let webgpuForAuto = false;
  for (const engine of ["tensorflow-gpu", "tensorflow"] as const) {
    const pkg = engine === "tensorflow" ? "@tensorflow/tfjs-node" : "@tensorflow/tfjs-node-gpu";
    const path = await findPackage(pkg);
    if (!path) {
      rows.push({
        engine,
        available: false,
        detail: `${pkg} is not installed: ${INSTALL[engine]}`,
      });
      continue;
    }
    try {
      const specifier = `npm:${pkg}`;
      await import(specifier);
      rows.push({ engine, available: true, detail: `${pkg} at ${path}` });
    } catch (error) {
      rows.push({
        engine,
        available: false,
        detail: `${pkg} is installed but does not load (${firstLine(error)}): ${INSTALL[engine]}`,
      });
    }
  }
  {
    const { adapter, reason } = await gpuAdapter();
    if (!adapter) {
      rows.push({ engine: "webgpu", available: false, detail: `${reason}: ${INSTALL.webgpu}` });
    } else {
      const { name, software, fallback } = describeAdapter(adapter);
      const visible = gpuDeviceVisible();
      webgpuForAuto = !software && visible;
      rows.push({
        engine: "webgpu",
        available: true,
        detail: software
          ? `software adapter ${name} (${
            fallback ? "the driver reports a fallback adapter" : "a software renderer by its name"
          }: auto skips it, slower than the CPU engines; compute: webgpu uses it)`
          : visible
          ? `hardware adapter ${name}`
          : `hardware adapter ${name} (auto does not probe it: no GPU device node such as /dev/dri/renderD* or /dev/nvidia0)`,
      });
    }
  }
  {
    const status = nativeMatmulStatus();
    rows.push(
      status.available
        ? { engine: "native", available: true, detail: `matrix products: ${status.detail}` }
        : { engine: "native", available: false, detail: `${status.detail}: ${INSTALL.native}` },
    );
  }
  try {
    await import("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
    rows.push({
      engine: "wasm",
      available: true,
      detail:
        "@tensorflow/tfjs-backend-wasm (auto skips it: it lacks training kernels such as Conv2DBackpropFilter, which run on cpu copies)",
    });
  } catch (error) {
    rows.push({ engine: "wasm", available: false, detail: `${firstLine(error)}: ${INSTALL.wasm}` });
  }
  rows.push({
    engine: "cpu",
    available: true,
    detail: `@tensorflow/tfjs ${tf.version.tfjs} cpu backend`,
  });
  // auto's rule (see choose()): the first available engine in order, never wasm, and webgpu
  // only on a hardware adapter of a visible GPU device.
  const pick = rows.find((r) =>
    r.available && r.engine !== "wasm" && (r.engine !== "webgpu" || webgpuForAuto)
  );
  return rows.map((r) => ({ ...r, auto: r === pick }));
}
