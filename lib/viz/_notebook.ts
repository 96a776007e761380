/**
 * The only module that talks to the Deno Jupyter kernel. `Deno.jupyter` exists only under
 * `deno jupyter --kernel`; elsewhere reading it throws (while `"jupyter" in Deno` is still
 * true), so every access is inside a function and guarded by {@linkcode inJupyter}.
 *
 * @module
 */

/** A Jupyter MIME bundle: MIME type to content. */
export type Bundle = Record<string, unknown>;

interface Kernel {
  broadcast(type: string, content: Record<string, unknown>): Promise<void>;
  format(obj: unknown): Promise<Bundle>;
}

function kernel(): Kernel | undefined {
  try {
    const jupyter = (Deno as unknown as { jupyter?: Partial<Kernel> }).jupyter;
    return typeof jupyter?.broadcast === "function" && typeof jupyter.format === "function"
      ? jupyter as Kernel
      : undefined;
  } catch {
    return undefined; // "Deno.jupyter is only available in `deno jupyter` subcommand"
  }
}

/**
 * Whether this code runs inside the Deno Jupyter kernel.
 *
 * @returns `true` under `deno jupyter --kernel`, else `false`.
 *
 * @example Outside the kernel
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { inJupyter } from "./_notebook.ts";
 * assertEquals(inJupyter(), false);
 * ```
 */
export function inJupyter(): boolean {
  return kernel() !== undefined;
}

/** Options of {@linkcode publish}. */
export interface PublishOptions {
  /** Names the output so later calls can replace it in place. */
  displayId?: string;
  /** Replace the output named `displayId` instead of adding one. */
  update?: boolean;
}

/**
 * Wait while a published message drains. Deno 2.9's kernel drops an IOPub message now and then
 * when the next one (often the cell's "idle" status) follows a large one at once: measured with
 * 300 kB displays, 6 of 40 were lost without a pause and none with 30 ms. The pause grows with
 * the size (1 ms per 10 kB) up to 250 ms.
 */
function settle(chars: number): Promise<void> {
  const ms = Math.min(250, 20 + chars / 10_000);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A plain object whose keys are all MIME types (and that is not itself displayable). */
function isBundle(obj: unknown): obj is Bundle {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return false;
  if (Symbol.for("Jupyter.display") in obj) return false;
  const keys = Object.keys(obj);
  return keys.length > 0 && keys.every((k) => /^[a-z]+\/[-+.\w]+$/i.test(k));
}

/** The key of an optional method giving a display's metadata (a chart's PNG size in CSS pixels). */
export const DISPLAY_METADATA: unique symbol = Symbol.for("sonata.displayMetadata") as never;

async function displayMetadata(obj: unknown): Promise<Record<string, unknown>> {
  const method = typeof obj === "object" && obj !== null
    ? (obj as Record<symbol, unknown>)[DISPLAY_METADATA]
    : undefined;
  return typeof method === "function" ? await method.call(obj) : {};
}

/**
 * Publish a display on the kernel's IOPub channel (`display_data`, or `update_display_data`
 * with `update`). Objects with a `[Symbol.for("Jupyter.display")]` method are formatted by the
 * kernel; plain bundles are sent as they are.
 *
 * @param obj A displayable object or a MIME bundle.
 * @param options Display id and update flag.
 * @returns `false` outside the kernel (nothing is sent), `true` once sent.
 */
export async function publish(obj: unknown, options: PublishOptions = {}): Promise<boolean> {
  const k = kernel();
  if (!k) return false;
  const data = isBundle(obj) ? obj : await k.format(obj);
  const content = {
    data,
    metadata: await displayMetadata(obj),
    transient: options.displayId ? { display_id: options.displayId } : {},
  };
  await k.broadcast(options.update ? "update_display_data" : "display_data", content);
  await settle(JSON.stringify(data).length);
  return true;
}
