/**
 * `node:path` for the browser bundle: POSIX-style path arithmetic on `/`-separated strings
 * (config and vocabulary paths are only compared and joined there, never opened).
 *
 * @module
 */

/** The path separator. */
export const sep = "/";

function normalizeParts(path: string): string {
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return absolute ? `/${joined}` : joined || ".";
}

/** Join segments and normalize. */
export function join(...parts: string[]): string {
  return normalizeParts(parts.filter((p) => p !== "").join("/"));
}

/** Resolve segments right to left against `/`. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !path.startsWith("/"); i--) {
    if (parts[i]) path = path ? `${parts[i]}/${path}` : parts[i];
  }
  return normalizeParts(path.startsWith("/") ? path : `/${path}`);
}

/** The folder of a path. */
export function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "" && path.startsWith("/")) return "/";
  const i = trimmed.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : trimmed.slice(0, i);
}

/** The last segment of a path, without `ext` when it ends with it. */
export function basename(path: string, ext?: string): string {
  const base = path.replace(/\/+$/, "").split("/").pop() ?? "";
  return ext && base.endsWith(ext) && base !== ext ? base.slice(0, -ext.length) : base;
}

/** The extension of a path's last segment (with its dot). */
export function extname(path: string): string {
  const base = basename(path);
  const i = base.lastIndexOf(".");
  return i <= 0 ? "" : base.slice(i);
}

/** Whether a path is absolute. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** `path.posix`, as Node has it. */
export const posix = { sep, join, resolve, dirname, basename, extname, isAbsolute };
export default posix;
