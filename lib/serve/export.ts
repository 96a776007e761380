/**
 * `sonata export_tfjs`: a trained model as a self-contained folder that predicts in a browser.
 *
 * ```
 * <output_path>/
 *   model/         the model folder (model_config.json, training_set_metadata.json, model/)
 *   sonata.js      browser ES module: Sonata's preprocessing, postprocessing and custom layers
 *   index.html     predicts ?rows=<JSON array of records> into <pre id="predictions">
 *   README.md      the module's API
 * ```
 *
 * `sonata.js` is `lib/serve/browser.ts` bundled by `deno bundle --platform browser`, with the
 * few `node:` modules the shared code imports (never called on the prediction path) mapped to
 * browser stand-ins, so the browser runs the very code `Model.predict` runs.
 *
 * @module
 */
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

/** An export that cannot be done (missing model files, bundling failed). */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

async function exists(path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false);
}

/** The folder holding `model_config.json`: `path` itself or its `model/`. */
async function modelFolder(path: string): Promise<string> {
  if (await exists(join(path, "model_config.json"))) return path;
  if (await exists(join(path, "model", "model_config.json"))) return join(path, "model");
  throw new ExportError(
    `Cannot export ${JSON.stringify(path)}: no model_config.json there or in its model/ folder`,
  );
}

const BROWSER_ENTRY = new URL("./browser.ts", import.meta.url);
const NODE_SHIMS: Record<string, string> = {
  "node:path": new URL("./_browser/node_path.ts", import.meta.url).href,
  "node:fs/promises": new URL("./_browser/node_unavailable.ts", import.meta.url).href,
  "node:crypto": new URL("./_browser/node_unavailable.ts", import.meta.url).href,
  "node:zlib": new URL("./_browser/node_unavailable.ts", import.meta.url).href,
  "node:worker_threads": new URL("./_browser/node_worker_threads.ts", import.meta.url).href,
  // Image features decode with sharp (native): the browser build cannot.
  "sharp": new URL("./_browser/sharp_unavailable.ts", import.meta.url).href,
};

/** Bundle the browser module into `file` with `deno bundle`. */
export async function bundleBrowserModule(file: string, options: { minify?: boolean } = {}) {
  if (BROWSER_ENTRY.protocol !== "file:") {
    throw new ExportError(
      `Cannot bundle the browser module from ${BROWSER_ENTRY.href}: export_tfjs needs Sonata's sources on disk (run it from a checkout or a vendored copy)`,
    );
  }
  const root = resolve(dirname(fromFileUrl(BROWSER_ENTRY)), "..", "..");
  const denoJson = JSON.parse(await readFile(join(root, "deno.json"), "utf8"));
  const importMap = join(dirname(file), `.import_map.${crypto.randomUUID()}.json`);
  // Modules import npm packages by full specifier (`npm:sharp@…`): map those spellings too.
  const shims = { ...NODE_SHIMS };
  for (const [bare, target] of Object.entries(NODE_SHIMS)) {
    const full = denoJson.imports?.[bare];
    if (typeof full === "string") shims[full] = target;
  }
  await writeFile(importMap, JSON.stringify({ imports: { ...denoJson.imports, ...shims } }));
  try {
    const args = [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--import-map",
      importMap,
      "-o",
      file,
      ...(options.minify === false ? [] : ["--minify"]),
      fromFileUrl(BROWSER_ENTRY),
    ];
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: root,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new ExportError(
        `Cannot bundle the browser module (deno bundle exited ${code}):\n${
          new TextDecoder().decode(stderr).trim()
        }`,
      );
    }
  } finally {
    await rm(importMap, { force: true });
  }
  const text = await readFile(file, "utf8");
  const leftover = text.match(/\bfrom\s*"(node:[^"]+)"/);
  if (leftover) {
    throw new ExportError(
      `The browser module still imports ${
        leftover[1]
      }: add a browser stand-in for it in lib/serve/_browser/`,
    );
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page: `?rows=` predictions into `<pre id="predictions">`, and a form for one row. */
export function indexHtml(
  title: string,
  inputs: readonly { name: string; type: string }[],
): string {
  const fields = inputs.map((f, i) =>
    `      <label>${escapeHtml(f.name)} <small>(${escapeHtml(f.type)})</small>
        <input id="field-${i}" name="${escapeHtml(f.name)}" autocomplete="off"></label>`
  ).join("\n");
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${escapeHtml(title)}: Sonata model</title>
    <style>
      body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; }
      label { display: block; margin: 0.3rem 0; }
      pre { background: #f4f4f4; padding: 0.6rem; white-space: pre-wrap; }
    </style>
  </head>
  <body data-status="loading">
    <h1>${escapeHtml(title)}</h1>
    <p>Predictions for <code>?rows=&lt;JSON array of records&gt;</code>, or for the row below.</p>
    <form id="row-form">
${fields}
      <button type="submit">Predict</button>
    </form>
    <pre id="predictions"></pre>
    <script type="module">
      import { loadModel } from "./sonata.js";
      const out = document.getElementById("predictions");
      const show = (value) => {
        out.textContent = JSON.stringify(value, (_k, v) =>
          ArrayBuffer.isView(v) ? Array.from(v)
          : typeof v === "number" && !Number.isFinite(v) ? null : v);
      };
      const fail = (error) => {
        document.body.dataset.status = "error";
        show({ error: String(error && error.message || error) });
      };
      try {
        const model = await loadModel("./model/");
        const param = new URLSearchParams(location.search).get("rows");
        if (param !== null) {
          const rows = JSON.parse(param);
          if (!Array.isArray(rows)) throw new Error("?rows= must be a JSON array of records");
          show((await model.predict(rows)).rows);
        }
        document.getElementById("row-form").addEventListener("submit", async (event) => {
          event.preventDefault();
          const row = Object.fromEntries(new FormData(event.target).entries());
          try {
            show((await model.predict([row])).rows);
          } catch (error) {
            fail(error);
          }
        });
        document.body.dataset.status = "ready";
      } catch (error) {
        fail(error);
      }
    </script>
  </body>
</html>
`;
}

const README = `# An exported Sonata model

Serve this folder with any static file server (browsers do not load modules from \`file://\`),
for instance \`deno run -A jsr:@std/http/file-server .\`, and open \`index.html\`:

- \`index.html?rows=[{"col": "value", ...}]\` writes the predictions of those rows as JSON into
  \`<pre id="predictions">\` (one object per row with Ludwig's columns
  \`<output>_predictions\`, \`<output>_probability\`, \`<output>_probabilities_<class>\` ...);
- the form predicts one row typed by hand.

## Embedding the model in another page

\`\`\`html
<script type="module">
  import { loadModel } from "./sonata.js";
  const model = await loadModel("./model/"); // the folder holding model_config.json
  const { rows, columns } = await model.predict([{ /* one record per row, keyed by column */ }]);
</script>
\`\`\`

- \`await loadModel(url, { backend })\`: fetches the config, the training-set metadata and the
  TF.js weights under \`url\`. \`backend\` defaults to \`"cpu"\`, which gives exactly the
  predictions of \`sonata predict\` on Deno's cpu engine; \`"webgl"\` is faster but its floats
  differ slightly.
- \`model.inputs\`: the input columns and their feature types.
- \`await model.predict(rows)\`: \`{ columns, rows }\`, Ludwig's prediction columns by name and
  the same as one object per row. Preprocessing (vocabularies, normalization, tokenizers) and
  postprocessing are Sonata's own code, bundled in \`sonata.js\`.
`;

/**
 * Export the model at `modelPath` (a model folder or a run folder holding `model/`) as a browser
 * folder at `outputPath`, replacing it atomically.
 */
export async function exportTfjs(modelPath: string, outputPath: string): Promise<void> {
  const source = await modelFolder(modelPath);
  for (const f of ["training_set_metadata.json", join("model", "model.json")]) {
    if (!(await exists(join(source, f)))) {
      throw new ExportError(`Cannot export ${JSON.stringify(modelPath)}: ${f} is missing`);
    }
  }
  const config = JSON.parse(await readFile(join(source, "model_config.json"), "utf8"));
  const inputs =
    ((config.input_features ?? []) as { name: string; type: string; column?: string }[])
      .map((f) => ({ name: f.column ?? f.name, type: f.type }));
  const outputs = ((config.output_features ?? []) as { name: string }[]).map((f) => f.name);
  const target = resolve(outputPath);
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.${crypto.randomUUID()}.tmp`);
  try {
    await mkdir(tmp);
    await cp(source, join(tmp, "model"), { recursive: true });
    await bundleBrowserModule(join(tmp, "sonata.js"));
    await writeFile(join(tmp, "index.html"), indexHtml(`Predict ${outputs.join(", ")}`, inputs));
    await writeFile(join(tmp, "README.md"), README);
    const old = `${tmp}.old`;
    const hadOld = await exists(target);
    if (hadOld) await rename(target, old);
    await rename(tmp, target);
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}
