/**
 * `sonata serve` and `sonata export_tfjs`, with Ludwig's flag spellings. TensorFlow.js is only
 * imported when a command runs, so `sonata --help` stays fast.
 *
 * @module
 */
import { FlagError, parseFlags } from "./_args.ts";
import type { Io } from "./main.ts";

type Values = Record<string, string | boolean | string[] | undefined>;

interface Command {
  summary: string;
  usage: string;
  run: (argv: string[], io: Io) => Promise<number>;
}

type Options = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

function parse(argv: string[], options: Options, io: Io, usage: string): Values | undefined {
  try {
    return parseFlags(argv, options) as Values;
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    io.err(`${error.message}\n\n${usage}`);
    return undefined;
  }
}

function positiveInt(value: unknown, flag: string, io: Io, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    io.err(`Invalid ${flag} ${JSON.stringify(value)}: expected a positive integer`);
    return undefined;
  }
  return n;
}

async function loadModel(path: string, io: Io) {
  const isFile = (p: string) => Deno.stat(p).then((s) => s.isFile, () => false);
  if (
    !(await isFile(`${path}/model_config.json`)) &&
    !(await isFile(`${path}/model/model_config.json`))
  ) {
    io.err(
      `Cannot load model ${
        JSON.stringify(path)
      }: no model_config.json there or in its model/ folder`,
    );
    return undefined;
  }
  const { Model } = await import("../api.ts");
  try {
    return await Model.load(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (error instanceof Deno.errors.NotFound || code === "ENOENT") {
      io.err(`Cannot load model ${JSON.stringify(path)}: ${(error as Error).message}`);
      return undefined;
    }
    throw error;
  }
}

const serve: Command = {
  summary: "Serve a trained model over HTTP (Ludwig's REST routes)",
  usage: `Usage: sonata serve --model_path DIR [--port 8000] [--host 127.0.0.1] [options]

Serves Ludwig's routes on Deno.serve:
  GET  /               health: {"message": "Sonata server is up", ...}
  POST /predict        one example as form fields (multipart/form-data or urlencoded;
                       uploaded files are read as text) or a JSON object; answers its
                       prediction columns (<name>_predictions, <name>_probability ...)
  POST /batch_predict  form field "dataset" (or the JSON body) holding a table in pandas'
                       split orient {"columns": [...], "data": [[...]]}; answers the
                       predictions in split orient
A client's mistake is answered 400 with {"error": ..., "field": ...}. Concurrent /predict
calls run as one model batch.

Options:
  -m, --model_path DIR      a trained model folder (or a run folder holding model/)
  -p, --port N              default 8000
  -H, --host HOST           default 127.0.0.1 (0.0.0.0 listens on every interface)
      --allowed_origins O   CORS origins allowed (repeat, or "*"); none by default
      --max_request_bytes N largest request body (default 1048576)
      --max_batch_rows N    most rows of one /batch_predict (default 10000)
  -h, --help                show this help`,
  async run(argv, io) {
    const v = parse(
      argv,
      {
        model_path: { type: "string", short: "m" },
        port: { type: "string", short: "p" },
        host: { type: "string", short: "H" },
        allowed_origins: { type: "string", multiple: true },
        max_request_bytes: { type: "string" },
        max_batch_rows: { type: "string" },
      },
      io,
      this.usage,
    );
    if (!v) return 2;
    if (v.help) return io.out(this.usage), 0;
    if (typeof v.model_path !== "string") return io.err(`Missing --model_path\n\n${this.usage}`), 2;
    const port = v.port === undefined ? 8000 : Number(v.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      return io.err(`Invalid --port ${JSON.stringify(v.port)}: expected 0-65535`), 2;
    }
    const maxBodyBytes = positiveInt(v.max_request_bytes, "--max_request_bytes", io, 1 << 20);
    const maxBatchRows = positiveInt(v.max_batch_rows, "--max_batch_rows", io, 10_000);
    if (maxBodyBytes === undefined || maxBatchRows === undefined) return 2;
    const model = await loadModel(v.model_path, io);
    if (!model) return 1;
    const { serveModel } = await import("../serve/server.ts");
    const controller = new AbortController();
    const stop = () => controller.abort();
    Deno.addSignalListener("SIGINT", stop);
    try {
      const server = serveModel(model, {
        port,
        hostname: (v.host as string | undefined) ?? "127.0.0.1",
        allowedOrigins: (v.allowed_origins as string[] | undefined) ?? [],
        maxBodyBytes,
        maxBatchRows,
        signal: controller.signal,
        onError: (error, request) =>
          io.err(
            `Error answering ${request.method} ${new URL(request.url).pathname}: ${
              (error as Error)?.stack ?? String(error)
            }`,
          ),
        onListen: (addr) =>
          io.err(`Serving ${v.model_path} on http://${addr.hostname}:${addr.port}/`),
      });
      await server.finished;
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.PermissionDenied) {
        io.err(`Cannot listen on ${v.host ?? "127.0.0.1"}:${port}: ${(error as Error).message}`);
        return 1;
      }
      throw error;
    } finally {
      Deno.removeSignalListener("SIGINT", stop);
    }
    return 0;
  },
};

const exportTfjs: Command = {
  summary: "Export a trained model as a folder that predicts in a browser",
  usage: `Usage: sonata export_tfjs --model_path DIR --output_path DIR

Writes a self-contained folder: model/ (the model files), sonata.js (a browser ES module with
Sonata's preprocessing, postprocessing and custom layers, bundled with "deno bundle"),
index.html (predicts on ?rows=<JSON array of records> into <pre id="predictions">, with a
form for one row) and README.md (the module's API: await loadModel(url), model.predict(rows)).
Serve the folder with any static file server.

Options:
  -m, --model_path DIR    a trained model folder (or a run folder holding model/)
  -o, --output_path DIR   the folder to write (replaced atomically)
  -h, --help              show this help`,
  async run(argv, io) {
    const v = parse(
      argv,
      {
        model_path: { type: "string", short: "m" },
        output_path: { type: "string", short: "o" },
      },
      io,
      this.usage,
    );
    if (!v) return 2;
    if (v.help) return io.out(this.usage), 0;
    if (typeof v.model_path !== "string") return io.err(`Missing --model_path\n\n${this.usage}`), 2;
    if (typeof v.output_path !== "string") {
      return io.err(`Missing --output_path\n\n${this.usage}`), 2;
    }
    const { exportTfjs, ExportError } = await import("../serve/export.ts");
    try {
      await exportTfjs(v.model_path, v.output_path);
    } catch (error) {
      if (error instanceof ExportError) return io.err(error.message), 1;
      throw error;
    }
    io.err(`Wrote ${v.output_path} (open index.html through a static file server)`);
    return 0;
  },
};

/** The commands of this module, by Ludwig name. */
export const SERVE_COMMANDS: Readonly<Record<string, Command>> = {
  serve,
  export_tfjs: exportTfjs,
};
