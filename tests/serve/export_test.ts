// `sonata export_tfjs`, and the exported page in headless Chromium predicting exactly what
// `sonata predict` does.
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { extname, join, normalize } from "node:path";
import { Model } from "../../mod.ts";
import { main } from "../../lib/cli/main.ts";
import { cliPredictions, jsonRoundTrip, makeRows, modelDir, sameAsCsv } from "./_fixture.ts";

type Row = Record<string, unknown>;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) },
    out,
    err,
  };
}

async function exportModel(): Promise<string> {
  const out = `${await Deno.makeTempDir({ prefix: "sonata_export_" })}/web`;
  const c = capture();
  equal(
    await main(["export_tfjs", "--model_path", await modelDir(), "--output_path", out], c.io),
    0,
    c.err.join("\n"),
  );
  return out;
}

async function chromiumPath(): Promise<string | undefined> {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    try {
      const { success } = await new Deno.Command(name, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (success) return name;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".md": "text/markdown",
};

/** A static file server for `root` on 127.0.0.1 (an ephemeral port). */
function staticServer(root: string) {
  const controller = new AbortController();
  let port = 0;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onListen: (a) => void (port = a.port),
  }, async (request) => {
    const path = normalize(decodeURIComponent(new URL(request.url).pathname));
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    try {
      const body = await Deno.readFile(join(root, path === "/" ? "index.html" : path));
      return new Response(body, {
        headers: { "content-type": TYPES[extname(path)] ?? "application/octet-stream" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => (controller.abort(), await server.finished),
  };
}

/** The DOM of `url` after its scripts ran, from headless Chromium. */
async function dumpDom(chromium: string, url: string): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "sonata_chromium_" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(chromium, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        "--virtual-time-budget=60000",
        "--dump-dom",
        url,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(180_000),
    }).output();
    const text = new TextDecoder().decode(stdout);
    if (code !== 0 && !text) {
      throw new Error(`chromium exited ${code}: ${new TextDecoder().decode(stderr).slice(-2000)}`);
    }
    return text;
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

function predictionsOf(dom: string): unknown {
  const m = dom.match(/<pre id="predictions">([\s\S]*?)<\/pre>/);
  ok(m, `no <pre id="predictions"> in the page:\n${dom.slice(0, 2000)}`);
  const text = m[1].replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&");
  return text === "" ? undefined : JSON.parse(text);
}

Deno.test("export_tfjs writes a self-contained folder: model files, browser module, page, README", async () => {
  const out = await exportModel();
  for (
    const f of [
      "index.html",
      "sonata.js",
      "README.md",
      "model/model_config.json",
      "model/training_set_metadata.json",
      "model/model/model.json",
    ]
  ) {
    ok((await Deno.stat(join(out, f))).isFile, f);
  }
  const bundle = await Deno.readTextFile(join(out, "sonata.js"));
  ok(!/from\s*"node:/.test(bundle), "the bundle imports no node: module");
  match(bundle, /export\s*\{[^}]*loadModel/);
  // Sonata's custom layers are in it under their registered names.
  match(bundle, /SonataTokenMask/);
  const html = await Deno.readTextFile(join(out, "index.html"));
  match(html, /<pre id="predictions"><\/pre>/);
  for (const name of ["review", "color", "size"]) match(html, new RegExp(`name="${name}"`));
  match(await Deno.readTextFile(join(out, "README.md")), /await loadModel\(/);
  // Exporting again replaces the folder.
  const again = capture();
  equal(
    await main(["export_tfjs", "-m", await modelDir(), "-o", out], again.io),
    0,
    again.err.join("\n"),
  );
  const missing = capture();
  equal(
    await main(["export_tfjs", "--model_path", "/nonexistent", "--output_path", out], missing.io),
    1,
  );
  match(missing.err.join("\n"), /no model_config.json/);
  equal(await main(["export_tfjs", "--model_path", out], capture().io), 2);
});

const chromium = await chromiumPath();
const skipWhy = chromium
  ? undefined
  : "chromium is not installed (apt-get install -y chromium): the exported page was NOT tested in a browser";
if (skipWhy) {
  // deno-lint-ignore no-console
  console.warn(`SKIPPED: ${skipWhy}`);
}

Deno.test({
  name: `the exported page in headless Chromium predicts exactly what sonata predict does${
    skipWhy ? ` (SKIPPED: ${skipWhy})` : ""
  }`,
  ignore: skipWhy !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await exportModel();
    const rows: Row[] = [
      ...makeRows(6, 4000).map(({ review, color, size }) => ({ review, color, size })),
      // Unseen words and category, a number as text, an empty text: the same code decides.
      { review: "zebra quantum", color: "purple", size: "2.5" },
      { review: "", color: "green", size: 0 },
    ];
    const csv = await cliPredictions(await modelDir(), rows);
    const model = await Model.load(await modelDir());
    const expected = jsonRoundTrip((await model.predict(rows)).predictions.rows);
    const server = staticServer(out);
    try {
      const dom = await dumpDom(
        chromium!,
        `${server.url}/index.html?rows=${encodeURIComponent(JSON.stringify(rows))}`,
      );
      match(dom, /data-status="ready"/, `page not ready:\n${dom.slice(0, 3000)}`);
      const predicted = predictionsOf(dom) as Row[];
      deepEqual(predicted, expected);
      equal(sameAsCsv(predicted, csv), undefined);
      // Without ?rows the page loads the model and waits for the form.
      const idle = await dumpDom(chromium!, `${server.url}/index.html`);
      match(idle, /data-status="ready"/);
      equal(predictionsOf(idle), undefined);
      // A bad ?rows is reported in the page, not thrown away.
      const bad = await dumpDom(chromium!, `${server.url}/index.html?rows=%7Bnope`);
      match(bad, /data-status="error"/);
      match(String((predictionsOf(bad) as Row).error), /JSON/);
    } finally {
      await server.close();
    }
  },
});
