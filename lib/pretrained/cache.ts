/**
 * Where pretrained weights live on disk, following the layouts users' existing caches already
 * have, and a small download-with-cache:
 *
 * - the torch hub cache (`torch.hub.load_state_dict_from_url`): `$TORCH_HOME` (Ludwig sets it to
 *   an encoder's `model_cache_dir`), else `$XDG_CACHE_HOME/torch`, else `~/.cache/torch`; files
 *   are `<torch home>/hub/checkpoints/<file name of the URL>`, and a name such as
 *   `resnet18-f37072fd.pth` carries the first hex digits of the file's SHA-256, checked as torch
 *   checks it;
 * - the Hugging Face hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
 *   `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`; a model `org/name` is
 *   `models--org--name/snapshots/<commit>/`, with `refs/<revision>` holding the commit of a
 *   branch or tag;
 * - a local path, used as it is.
 *
 * Downloads stream to a temporary file beside the target, are hashed on the way, and are renamed
 * into place only when complete and verified. Without a network the error says so and names the
 * path where the file can be placed by hand.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { WeightsError } from "./tensor.ts";

/** Environment lookup (default: `Deno.env.get`), so tests and callers can pass their own. */
export type EnvLookup = (name: string) => string | undefined;

function defaultEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function home(env: EnvLookup): string {
  const h = env("HOME") ?? env("USERPROFILE");
  if (h === undefined) {
    throw new WeightsError("cannot locate the cache: neither HOME nor USERPROFILE is set", {
      action: "Cannot resolve weights",
    });
  }
  return h;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Options shared by the cache functions. */
export interface CacheOptions {
  /** Environment lookup; default `Deno.env.get`. */
  env?: EnvLookup;
}

/**
 * The torch home: `modelCacheDir` if given (Ludwig's `model_cache_dir` becomes `TORCH_HOME`),
 * else `$TORCH_HOME`, else `$XDG_CACHE_HOME/torch`, else `~/.cache/torch`.
 *
 * @param modelCacheDir An encoder's `model_cache_dir`.
 * @param options The environment.
 * @returns The folder.
 *
 * @example From TORCH_HOME
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { torchHome } from "./cache.ts";
 * assertEquals(torchHome(undefined, { env: (k) => ({ TORCH_HOME: "/t" })[k] }), "/t");
 * ```
 */
export function torchHome(modelCacheDir?: string, options: CacheOptions = {}): string {
  const env = options.env ?? defaultEnv;
  if (modelCacheDir !== undefined) return modelCacheDir;
  const torch = env("TORCH_HOME");
  if (torch !== undefined && torch !== "") return torch;
  const xdg = env("XDG_CACHE_HOME");
  return join(xdg !== undefined && xdg !== "" ? xdg : join(home(env), ".cache"), "torch");
}

/**
 * The file name of a URL (its last path segment), as torch hub names cached files.
 *
 * @param url The URL.
 * @returns The file name.
 *
 * @example torchvision's ResNet-18
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { urlFileName } from "./cache.ts";
 * assertEquals(urlFileName("https://download.pytorch.org/models/resnet18-f37072fd.pth"), "resnet18-f37072fd.pth");
 * ```
 */
export function urlFileName(url: string): string {
  return basename(new URL(url).pathname);
}

/**
 * The SHA-256 prefix that torch hub expects from a file name (`name-<hex>.ext` → `<hex>`), or
 * `undefined` when the name carries none. Like torch, the first `-<hex digits>.` is used.
 *
 * @param fileName The file name.
 * @returns The hex prefix.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { hashPrefixOf } from "./cache.ts";
 * assertEquals(hashPrefixOf("mobilenet_v2-b0353104.pth"), "b0353104");
 * assertEquals(hashPrefixOf("weights.pth"), undefined);
 * ```
 */
export function hashPrefixOf(fileName: string): string | undefined {
  const m = /-([a-f0-9]*)\./.exec(fileName);
  return m === null || m[1] === "" ? undefined : m[1];
}

/**
 * The SHA-256 of a file, in lower-case hex (streamed).
 *
 * @param path The file.
 * @returns The hex digest.
 *
 * @example Hash an empty file
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { sha256File } from "./cache.ts";
 * const path = await Deno.makeTempFile();
 * assertEquals((await sha256File(path)).slice(0, 8), "e3b0c442");
 * await Deno.remove(path);
 * ```
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(path, "r");
  try {
    const buffer = new Uint8Array(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

async function checkPrefix(path: string, prefix: string | undefined, file: string): Promise<void> {
  if (prefix === undefined) return;
  const digest = await sha256File(path);
  if (!digest.startsWith(prefix)) {
    throw new WeightsError(
      `the SHA-256 of the file is ${digest.slice(0, 16)}…, its name requires a hash starting with` +
        ` "${prefix}" (a corrupt or replaced file: delete it to download it again)`,
      { file, action: "Cannot verify weights" },
    );
  }
}

/** Progress of a download. */
export interface DownloadProgress {
  /** Bytes received so far. */
  received: number;
  /** The total, when the server sent a length. */
  total?: number;
}

/** Options of {@linkcode downloadFile}. */
export interface DownloadOptions {
  /** Called as bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /** The first hex digits the SHA-256 must start with (or the whole digest). */
  sha256Prefix?: string;
  /** The fetch to use; default the global `fetch`. */
  fetch?: typeof fetch;
  /** Aborts the download. */
  signal?: AbortSignal;
  /** Extra request headers (such as an authorization token). */
  headers?: Record<string, string>;
}

/**
 * Download a URL to a file: streamed to a temporary file beside it, hashed on the way, then
 * renamed into place only when complete (and matching `sha256Prefix`).
 *
 * @param url The URL.
 * @param path The destination file (its folder is created).
 * @param options Progress, hash check, fetch.
 * @returns The response headers.
 * @throws {WeightsError} No network, an HTTP error, a truncated body or a hash mismatch; a
 * partial file is never left at `path`.
 *
 * @example Offline, the message says where to put the file
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { downloadFile } from "./cache.ts";
 * const offline = () => Promise.reject(new TypeError("error sending request"));
 * const error = await downloadFile("https://example.invalid/w.pth", "/tmp/w.pth", { fetch: offline }).catch((e) => e);
 * assert(error.message.includes("place the file at"));
 * ```
 */
export async function downloadFile(
  url: string,
  path: string,
  options: DownloadOptions = {},
): Promise<Headers> {
  const doFetch = options.fetch ?? fetch;
  const action = "Cannot download weights";
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal, headers: options.headers });
  } catch (error) {
    throw new WeightsError(
      `cannot reach ${url} (${
        (error as Error).message
      }); when offline, place the file at "${path}"`,
      { file: path, action, cause: error },
    );
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new WeightsError(
      `${url} answered HTTP ${response.status} ${response.statusText}`.trimEnd(),
      { file: path, action },
    );
  }
  const lengthHeader = response.headers.get("content-length");
  const total = lengthHeader === null ? undefined : Number(lengthHeader);
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${crypto.randomUUID()}.partial`);
  const hash = createHash("sha256");
  const handle = await open(tmp, "w");
  let received = 0;
  try {
    try {
      for await (const chunk of response.body) {
        hash.update(chunk);
        await handle.write(chunk);
        received += chunk.length;
        options.onProgress?.({ received, total });
      }
    } catch (error) {
      if (error instanceof WeightsError) throw error;
      throw new WeightsError(
        `the download of ${url} broke off after ${received} bytes: ${(error as Error).message}`,
        { file: path, action, cause: error },
      );
    } finally {
      await handle.close();
    }
    if (total !== undefined && Number.isFinite(total) && received !== total) {
      throw new WeightsError(`received ${received} of ${total} bytes from ${url}`, {
        file: path,
        action,
      });
    }
    const digest = hash.digest("hex");
    if (options.sha256Prefix !== undefined && !digest.startsWith(options.sha256Prefix)) {
      throw new WeightsError(
        `the SHA-256 of the download is ${
          digest.slice(0, 16)
        }…, expected one starting with "${options.sha256Prefix}"`,
        { file: path, action },
      );
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return response.headers;
}

/** Options of {@linkcode resolveTorchHubWeights}. */
export interface TorchHubOptions extends CacheOptions, Omit<DownloadOptions, "sha256Prefix"> {
  /** Ludwig's `model_cache_dir` (used as the torch home). */
  modelCacheDir?: string;
  /** Check the SHA-256 prefix in the file name (default `true`, as torch's `check_hash`). */
  checkHash?: boolean;
  /** Download when the file is not cached (default `true`). */
  download?: boolean;
}

/**
 * The cached file of a torch hub URL (`<torch home>/hub/checkpoints/<file name>`), downloaded
 * first when it is missing, and checked against the hash prefix in its name.
 *
 * @param url The weights URL (torchvision's, for instance).
 * @param options The cache folder, hash check, download settings.
 * @returns The path of the verified file.
 * @throws {WeightsError} Missing and not downloadable (offline), or a hash mismatch.
 *
 * @example A file already in the cache
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { resolveTorchHubWeights } from "./cache.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/hub/checkpoints`, { recursive: true });
 * await Deno.writeFile(`${dir}/hub/checkpoints/w.pth`, new Uint8Array([1]));
 * const path = await resolveTorchHubWeights("https://example.invalid/w.pth", { modelCacheDir: dir, download: false });
 * assertEquals(path, `${dir}/hub/checkpoints/w.pth`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function resolveTorchHubWeights(
  url: string,
  options: TorchHubOptions = {},
): Promise<string> {
  const fileName = urlFileName(url);
  const path = join(torchHome(options.modelCacheDir, options), "hub", "checkpoints", fileName);
  const prefix = options.checkHash === false ? undefined : hashPrefixOf(fileName);
  if (await isFile(path)) {
    await checkPrefix(path, prefix, path);
    return path;
  }
  if (options.download === false) {
    throw new WeightsError(
      `the file is not in the torch cache; download ${url} and place it there`,
      { file: path, action: "Cannot resolve weights" },
    );
  }
  await downloadFile(url, path, { ...options, sha256Prefix: prefix });
  return path;
}

/**
 * The Hugging Face hub cache folder: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
 * `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`.
 *
 * @param options The environment.
 * @returns The folder.
 *
 * @example From HF_HOME
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { huggingFaceHubCache } from "./cache.ts";
 * assertEquals(huggingFaceHubCache({ env: (k) => ({ HF_HOME: "/h" })[k] }), "/h/hub");
 * ```
 */
export function huggingFaceHubCache(options: CacheOptions = {}): string {
  const env = options.env ?? defaultEnv;
  const hub = env("HF_HUB_CACHE");
  if (hub !== undefined && hub !== "") return hub;
  const hf = env("HF_HOME");
  if (hf !== undefined && hf !== "") return join(hf, "hub");
  const xdg = env("XDG_CACHE_HOME");
  return join(
    xdg !== undefined && xdg !== "" ? xdg : join(home(env), ".cache"),
    "huggingface",
    "hub",
  );
}

/** Options of {@linkcode resolveHuggingFaceModel}. */
export interface HuggingFaceOptions extends CacheOptions {
  /** A branch, tag or commit; default `"main"`. */
  revision?: string;
  /** The hub cache folder; default {@linkcode huggingFaceHubCache}. */
  cacheDir?: string;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/**
 * The folder of a Hugging Face model: `nameOrPath` itself when it is a local folder, else its
 * snapshot in the hub cache (`models--org--name/snapshots/<commit>`, the commit read from
 * `refs/<revision>` unless `revision` is a commit hash).
 *
 * @param nameOrPath A local folder, or a hub name such as `"bert-base-uncased"` or `"org/name"`.
 * @param options Revision and cache folder.
 * @returns The folder holding `config.json` and the weights.
 * @throws {WeightsError} Neither a folder nor a cached model (the message names the paths tried).
 *
 * @example A model in a cache folder
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { resolveHuggingFaceModel } from "./cache.ts";
 * const cache = await Deno.makeTempDir();
 * const repo = `${cache}/models--org--tiny`;
 * await Deno.mkdir(`${repo}/refs`, { recursive: true });
 * await Deno.mkdir(`${repo}/snapshots/abc123`, { recursive: true });
 * await Deno.writeTextFile(`${repo}/refs/main`, "abc123");
 * assertEquals(await resolveHuggingFaceModel("org/tiny", { cacheDir: cache }), `${repo}/snapshots/abc123`);
 * await Deno.remove(cache, { recursive: true });
 * ```
 */
export async function resolveHuggingFaceModel(
  nameOrPath: string,
  options: HuggingFaceOptions = {},
): Promise<string> {
  const action = "Cannot resolve model";
  if (await isDirectory(nameOrPath)) return nameOrPath;
  if (!REPO_ID.test(nameOrPath)) {
    throw new WeightsError(
      'neither a folder nor a Hugging Face model name (such as "bert-base-uncased" or "org/name")',
      { file: nameOrPath, action },
    );
  }
  const cache = options.cacheDir ?? huggingFaceHubCache(options);
  const repo = join(cache, `models--${nameOrPath.replace("/", "--")}`);
  const revision = options.revision ?? "main";
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    const ref = join(repo, "refs", revision);
    try {
      commit = (await readFile(ref, "utf8")).trim();
    } catch {
      throw new WeightsError(
        `not a local folder, and not in the Hugging Face cache (no "${ref}"); download the model` +
          ` (it needs a network) or give the path of a local copy`,
        { file: nameOrPath, action },
      );
    }
  }
  const snapshot = join(repo, "snapshots", commit);
  if (!(await isDirectory(snapshot))) {
    throw new WeightsError(`the Hugging Face cache has no snapshot "${snapshot}"`, {
      file: nameOrPath,
      action,
    });
  }
  return snapshot;
}

/** Options of {@linkcode downloadHuggingFaceFile}. */
export interface HuggingFaceDownloadOptions extends HuggingFaceOptions, DownloadOptions {
  /** The hub's address; default `$HF_ENDPOINT`, else `https://huggingface.co`. */
  endpoint?: string;
  /** A token sent as `Authorization: Bearer` (default `$HF_TOKEN`). */
  token?: string;
}

/**
 * A file of a hub model, from the cache or downloaded into it: saved as
 * `models--org--name/snapshots/<commit>/<file>` (the commit from the `X-Repo-Commit` header),
 * with `refs/<revision>` updated. Unlike the Python client it stores plain files, not symbolic
 * links to `blobs/`; both layouts resolve the same way.
 *
 * @param repoId The model, such as `"org/name"`.
 * @param fileName The file, such as `"config.json"`.
 * @param options Revision, cache, endpoint, download settings.
 * @returns The path of the file.
 * @throws {WeightsError} Offline or an HTTP error, with the cache path in the message.
 *
 * @example A cached file is not downloaded
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { downloadHuggingFaceFile } from "./cache.ts";
 * const cache = await Deno.makeTempDir();
 * const snap = `${cache}/models--m/snapshots/${"a".repeat(40)}`;
 * await Deno.mkdir(snap, { recursive: true });
 * await Deno.writeTextFile(`${snap}/config.json`, "{}");
 * const path = await downloadHuggingFaceFile("m", "config.json", { cacheDir: cache, revision: "a".repeat(40) });
 * assertEquals(path, `${snap}/config.json`);
 * await Deno.remove(cache, { recursive: true });
 * ```
 */
export async function downloadHuggingFaceFile(
  repoId: string,
  fileName: string,
  options: HuggingFaceDownloadOptions = {},
): Promise<string> {
  const env = options.env ?? defaultEnv;
  const cache = options.cacheDir ?? huggingFaceHubCache(options);
  const revision = options.revision ?? "main";
  try {
    const snapshot = await resolveHuggingFaceModel(repoId, { ...options, cacheDir: cache });
    if (await isFile(join(snapshot, fileName))) return join(snapshot, fileName);
  } catch (error) {
    if (!(error instanceof WeightsError)) throw error;
  }
  const endpoint = (options.endpoint ?? env("HF_ENDPOINT") ?? "https://huggingface.co")
    .replace(/\/+$/, "");
  const url = `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${fileName}`;
  const repo = join(cache, `models--${repoId.replace("/", "--")}`);
  const token = options.token ?? env("HF_TOKEN");
  const staging = join(repo, "snapshots", `.download-${crypto.randomUUID()}`, basename(fileName));
  let headers: Headers;
  try {
    headers = await downloadFile(url, staging, {
      ...options,
      headers: token === undefined
        ? options.headers
        : { ...options.headers, authorization: `Bearer ${token}` },
    });
    const commit = headers.get("x-repo-commit") ?? revision;
    if (!/^[\w.-]+$/.test(commit)) {
      throw new WeightsError(`the hub sent an invalid commit "${commit}"`, {
        file: url,
        action: "Cannot download weights",
      });
    }
    const target = join(repo, "snapshots", commit, fileName);
    await mkdir(dirname(target), { recursive: true });
    await rename(staging, target);
    if (commit !== revision) {
      await mkdir(join(repo, "refs"), { recursive: true });
      const ref = join(repo, "refs", revision);
      const tmp = `${ref}.${crypto.randomUUID()}.tmp`;
      await Deno.writeTextFile(tmp, commit);
      await rename(tmp, ref);
    }
    return target;
  } finally {
    await rm(dirname(staging), { recursive: true, force: true });
  }
}
