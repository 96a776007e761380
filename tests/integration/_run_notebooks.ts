/**
 * `deno task notebooks`: execute every notebook in `notebooks/` headlessly through Jupyter's own
 * machinery (`jupyter nbconvert --execute` with the Deno kernel) and check the executed copies:
 * no error output, every code cell ran, and at least one Vega-Lite v5 chart. Each executed copy
 * is then exported to HTML (`jupyter nbconvert --to html`) and every chart must be drawn in it
 * (a PNG or a non-empty SVG per Vega-Lite output). One line per notebook; exit status 1 when
 * any fails.
 *
 * Needs Jupyter (Debian: `apt-get install jupyter-client jupyter-nbconvert python3-nbclient
 * jupyter-core`). Jupyter's files (the kernelspec `deno jupyter --install` writes, runtime
 * files) go to a temporary folder, never the home folder.
 *
 * Usage: `deno task notebooks [name.ipynb ...] [--keep DIR]` (`--keep` saves executed copies).
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";

const VEGA_LITE = "application/vnd.vegalite.v5+json";
const root = resolve(import.meta.dirname!, "..", "..");
const encoder = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(encoder.encode(`${line}\n`));

/** What checking one executed notebook found. */
export interface NotebookCheck {
  /** Problems; empty when the notebook passes. */
  problems: string[];
  /**
   * Cells that call `display(` yet have no output. Deno 2.9's kernel now and then publishes an
   * output after the cell reports idle, and nbclient then drops it; such a run is retried.
   */
  lost: number[];
  /** Number of Vega-Lite v5 outputs. */
  charts: number;
  /** Number of outputs of all kinds. */
  outputs: number;
  /** What the HTML export showed, once exported. */
  exported?: ExportCheck;
}

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  name?: string;
  text?: string | string[];
}

interface NotebookJson {
  cells: {
    cell_type: string;
    source?: string | string[];
    execution_count?: number | null;
    outputs?: Output[];
  }[];
}

/**
 * Check an executed notebook: errors, unexecuted code cells, and whether it drew a chart.
 *
 * @param nb The executed notebook's JSON.
 * @returns The problems found and output counts.
 */
export function checkExecuted(nb: NotebookJson): NotebookCheck {
  const problems: string[] = [];
  const lost: number[] = [];
  let charts = 0;
  let outputs = 0;
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if (cell.execution_count === null || cell.execution_count === undefined) {
      problems.push(`cell ${i + 1} did not run`);
    }
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source ?? "";
    if (/\bdisplay\(/.test(source) && (cell.outputs ?? []).length === 0) lost.push(i + 1);
    for (const out of cell.outputs ?? []) {
      outputs++;
      if (out.output_type === "error") {
        problems.push(`cell ${i + 1} raised ${out.ename}: ${out.evalue}`);
      }
      if (out.data && VEGA_LITE in out.data) charts++;
    }
  });
  if (lost.length) problems.push(`no output from display() in cells ${lost.join(", ")}`);
  if (charts === 0) problems.push(`no ${VEGA_LITE} output`);
  return { problems, lost, charts, outputs };
}

/** What an HTML export of an executed notebook shows. */
export interface ExportCheck {
  /** Problems; empty when every chart is drawn. */
  problems: string[];
  /** PNG images embedded as data URIs. */
  images: number;
  /** Inline SVG elements with content (nbconvert's sanitizer leaves `<svg ...></svg>` empty). */
  svgs: number;
}

/**
 * Check an HTML export (`jupyter nbconvert --to html`) of an executed notebook: every chart must
 * really be drawn, as a PNG data URI or a non-empty inline SVG; a Vega-Lite output alone shows
 * an empty box in nbconvert's HTML.
 *
 * @param html The exported HTML.
 * @param charts The number of Vega-Lite outputs of the executed notebook.
 * @returns The problems and what was counted.
 */
export function checkExported(html: string, charts: number): ExportCheck {
  const images =
    html.match(/<img\b[^>]*\bsrc="data:image\/png;base64,[A-Za-z0-9+/=]{100,}/g)?.length ?? 0;
  const svgs = [...html.matchAll(/<svg\b[^>]*>([\s\S]*?)<\/svg>/g)]
    .filter((m) => /<(path|rect|g|text|line|circle)\b/.test(m[1])).length;
  const problems = images + svgs < charts
    ? [`HTML export draws ${images} PNG and ${svgs} SVG images for ${charts} charts`]
    : [];
  return { problems, images, svgs };
}

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ ok: boolean; output: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { ok: out.success, output: text };
  } catch (err) {
    return { ok: false, output: err instanceof Error ? err.message : String(err) };
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { keep: { type: "string" } },
    allowPositionals: true,
  });
  const dir = join(root, "notebooks");
  const all = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => e.name).sort();
  const names = positionals.length ? positionals.map((p) => basename(p)) : all;
  for (const name of names) {
    if (!all.includes(name)) {
      say(`FAIL ${name}: not found in notebooks/ (found ${all.join(", ")})`);
      return 1;
    }
  }

  const tmp = await Deno.makeTempDir({ prefix: "sonata_notebooks_" });
  const env: Record<string, string> = {
    // `deno jupyter --install` writes under $XDG_DATA_HOME/jupyter; Jupyter reads
    // $JUPYTER_DATA_DIR: point both at the same temporary folder.
    XDG_DATA_HOME: join(tmp, "data"),
    JUPYTER_DATA_DIR: join(tmp, "data", "jupyter"),
    JUPYTER_CONFIG_DIR: join(tmp, "config"),
    JUPYTER_RUNTIME_DIR: join(tmp, "runtime"),
    IPYTHONDIR: join(tmp, "ipython"),
    NO_COLOR: "1",
  };
  try {
    const version = await run("jupyter", ["nbconvert", "--version"], env);
    if (!version.ok) {
      say(
        "FAIL jupyter nbconvert is not available: install it (Debian: apt-get install jupyter-client jupyter-nbconvert python3-nbclient jupyter-core)",
      );
      say(version.output.trim());
      return 1;
    }
    const install = await run(Deno.execPath(), ["jupyter", "--install", "--force"], env);
    const spec = join(env.JUPYTER_DATA_DIR, "kernels", "deno", "kernel.json");
    const installed = await Deno.stat(spec).then(() => true, () => false);
    if (!install.ok || !installed) {
      say(`FAIL deno jupyter --install did not write ${spec}`);
      say(install.output.trim());
      return 1;
    }

    const outDir = values.keep ? resolve(values.keep) : join(tmp, "executed");
    let failed = 0;
    const started = performance.now();
    for (const name of names) {
      let attempt = 0;
      let line = "";
      let check: NotebookCheck;
      do {
        attempt++;
        const t0 = performance.now();
        const exec = await run("jupyter", [
          "nbconvert",
          "--to",
          "notebook",
          "--execute",
          "--ExecutePreprocessor.kernel_name=deno",
          "--ExecutePreprocessor.timeout=600",
          "--output-dir",
          outDir,
          join(dir, name),
        ], env);
        const seconds = ((performance.now() - t0) / 1000).toFixed(1);
        const text = await Deno.readTextFile(join(outDir, name)).catch(() => undefined);
        check = text
          ? checkExecuted(JSON.parse(text))
          : { problems: [], lost: [], charts: 0, outputs: 0 };
        if (!exec.ok) {
          const lines = exec.output.trim().split("\n");
          check.problems.unshift(
            `nbconvert failed: ${
              lines.filter((l) => /Error|error/.test(l)).slice(-3).join(" | ") || lines.at(-1)
            }`,
          );
        }
        if (text && !check.problems.length) {
          const html = await run("jupyter", [
            "nbconvert",
            "--to",
            "html",
            "--output-dir",
            outDir,
            join(outDir, name),
          ], env);
          const page = await Deno.readTextFile(join(outDir, name.replace(/\.ipynb$/, ".html")))
            .catch(() => undefined);
          if (!html.ok || page === undefined) {
            check.problems.push(`HTML export failed: ${html.output.trim().split("\n").at(-1)}`);
          } else {
            const exported = checkExported(page, check.charts);
            check.problems.push(...exported.problems);
            check.exported = exported;
          }
        }
        const retried = attempt > 1 ? `, attempt ${attempt}` : "";
        line = check.problems.length
          ? `FAIL ${name} (${seconds}s${retried}): ${check.problems.join("; ")}`
          : `ok   ${name} (${seconds}s${retried}): ${check.charts} charts, ${check.outputs} outputs` +
            (check.exported
              ? `; HTML export: ${check.exported.images} PNG, ${check.exported.svgs} SVG`
              : "");
        // Only a lost output (a kernel race) is worth a second run; real errors are not.
        const onlyLost = check.lost.length > 0 &&
          check.problems.every((p) =>
            p.startsWith("no output from display()") ||
            p.startsWith(`no ${VEGA_LITE}`)
          );
        if (!onlyLost || attempt >= 2) break;
        say(`${line} (retrying once)`);
      } while (true);
      if (check.problems.length) failed++;
      say(line);
    }
    const total = ((performance.now() - started) / 1000).toFixed(1);
    say(`${names.length - failed} of ${names.length} notebooks passed in ${total}s`);
    if (values.keep) say(`executed notebooks in ${outDir}`);
    return failed ? 1 : 0;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => undefined);
  }
}

if (import.meta.main) Deno.exit(await main());
