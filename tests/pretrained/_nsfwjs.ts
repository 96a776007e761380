/**
 * Real pretrained weights available offline: the npm package `nsfwjs` ships a Keras MobileNetV2
 * (ImageNet-started, fine-tuned on 5 classes) in TF.js layers format, wrapped in browserify
 * bundles (`model.min.js` holds the `model.json` object as a JavaScript literal,
 * `group1-shard1of1.min.js` the weights as a base64 string). This helper finds the package in the
 * Deno npm cache and turns it, without running its code, into an ordinary TF.js model folder.
 *
 * Fetch it once with `deno cache npm:nsfwjs@4.4.0` (from a folder with a deno.json).
 *
 * @module
 */
import { join } from "node:path";

/** The package version these tests were written against. */
export const NSFWJS_VERSION = "4.4.0";

/** The package's `dist/models/mobilenet_v2` folder in the Deno npm cache, or `null`. */
export async function nsfwjsModelDir(): Promise<string | null> {
  const denoDir = Deno.env.get("DENO_DIR") ??
    join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");
  const candidates = [
    join(denoDir, "npm", "registry.npmjs.org", "nsfwjs", NSFWJS_VERSION),
    join(Deno.cwd(), "node_modules", ".deno", `nsfwjs@${NSFWJS_VERSION}`, "node_modules", "nsfwjs"),
  ];
  for (const root of candidates) {
    const dir = join(root, "dist", "models", "mobilenet_v2");
    try {
      await Deno.stat(join(dir, "model.min.js"));
      return dir;
    } catch {
      // try the next place
    }
  }
  return null;
}

/** Convert a minified JavaScript object literal (unquoted keys, `.5`, `!0`) to JSON text. */
function literalToJson(literal: string): string {
  let out = "";
  let i = 0;
  while (i < literal.length) {
    const c = literal[i];
    if (c === '"') {
      let j = i + 1;
      while (literal[j] !== '"') j += literal[j] === "\\" ? 2 : 1;
      out += literal.slice(i, j + 1);
      i = j + 1;
    } else if (c === "!" && (literal[i + 1] === "0" || literal[i + 1] === "1")) {
      out += literal[i + 1] === "0" ? "true" : "false";
      i += 2;
    } else if (/[{,]/.test(literal[i - 1] ?? "") && /[A-Za-z_$]/.test(c)) {
      const key = /^[A-Za-z_$][\w$]*/.exec(literal.slice(i, i + 200))![0];
      out += JSON.stringify(key);
      i += key.length;
    } else if (c === "." && /\d/.test(literal[i + 1] ?? "") && !/\d/.test(literal[i - 1] ?? "")) {
      out += "0.";
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The MobileNetV2 `model.json` object and its weight bytes, or `null` without the package. */
export async function readNsfwjsMobileNetV2(): Promise<
  { modelJson: Record<string, unknown>; weights: Uint8Array } | null
> {
  const dir = await nsfwjsModelDir();
  if (dir === null) return null;
  const js = await Deno.readTextFile(join(dir, "model.min.js"));
  const start = js.indexOf("exports={") + "exports=".length;
  const end = js.lastIndexOf("},{}]},{},[1])");
  const modelJson = JSON.parse(literalToJson(js.slice(start, end)));
  const shard = await Deno.readTextFile(join(dir, "group1-shard1of1.min.js"));
  const base64 = /exports="([A-Za-z0-9+/=]*)"/.exec(shard)![1];
  const weights = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  return { modelJson, weights };
}

/**
 * Write the MobileNetV2 as a plain TF.js model folder (`model.json` + `group1-shard1of1.bin`).
 *
 * @returns `false` when the package is not in the cache.
 */
export async function writeNsfwjsModelFolder(dir: string): Promise<boolean> {
  const model = await readNsfwjsMobileNetV2();
  if (model === null) return false;
  const manifest = model.modelJson.weightsManifest as { paths: string[] }[];
  manifest[0].paths = ["group1-shard1of1.bin"];
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "model.json"),
    JSON.stringify({ format: "layers-model", ...model.modelJson }),
  );
  await Deno.writeFile(join(dir, "group1-shard1of1.bin"), model.weights);
  return true;
}
