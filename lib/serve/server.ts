/**
 * `sonata serve`: Ludwig's REST server on `Deno.serve`.
 *
 * | route | body | answer |
 * |---|---|---|
 * | `GET /` | | `{"message": "Sonata server is up", ...}` |
 * | `POST /predict` | one example: form fields (multipart or urlencoded; uploaded files are read as text) or a JSON object | the prediction columns of that row, as one JSON object |
 * | `POST /batch_predict` | form field `dataset` holding a JSON table in pandas' split orient, or that table (or an array of records) as the JSON body | the predictions in split orient `{"index", "columns", "data"}` |
 *
 * A client's mistake (a missing feature, a value that cannot parse, an oversized body, malformed
 * JSON, too many rows) is answered 400 with `{"error": ..., "field": ...}`. Concurrent `/predict`
 * calls are predicted as one batch.
 *
 * @example Serve a model in-process
 * ```ts ignore
 * import { Model } from "../api.ts";
 * import { serveModel } from "./server.ts";
 * const server = serveModel(await Model.load("results/experiment_run/model"), { port: 8000 });
 * await server.finished;
 * ```
 *
 * @module
 */
import { DataError } from "../data/errors.ts";
import { type BatcherOptions, type Columns, MicroBatcher } from "./_batcher.ts";
import {
  batchRows,
  datasetField,
  inputSpecs,
  parseBody,
  RequestError,
  rowSchema,
  validateRow,
} from "./_request.ts";

type Row = Record<string, unknown>;

/** What the server needs of a model: {@linkcode Model} satisfies it. */
export interface ServableModel {
  readonly config: {
    input_features: readonly { name: string; type: string; column?: string }[];
    output_features: readonly { name: string; type: string }[];
  };
  predict(rows: Row[]): Promise<{ predictions: { columns: Columns } }>;
}

/** Options of {@linkcode createHandler} and {@linkcode serveModel}. */
export interface ServeOptions extends BatcherOptions {
  /** Origins allowed by CORS (`*` for any); none by default. */
  allowedOrigins?: readonly string[];
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most rows of one `/batch_predict` (default 10,000). */
  maxBatchRows?: number;
  /** Called with each server-side error (answered 500), for logging. */
  onError?: (error: unknown, request: Request) => void;
}

/** Options of {@linkcode serveModel}. */
export interface ServeListenOptions extends ServeOptions {
  port?: number;
  hostname?: string;
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
}

/** JSON with typed arrays as arrays and non-finite numbers as null. */
function json(value: unknown, status = 200, headers: HeadersInit = {}): Response {
  const text = JSON.stringify(value, (_k, v) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as never);
    if (typeof v === "number" && !Number.isFinite(v)) return null;
    if (typeof v === "bigint") return Number(v);
    return v;
  });
  return new Response(text, {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function errorResponse(error: RequestError): Response {
  return json(
    error.field === undefined
      ? { error: error.message }
      : { error: error.message, field: error.field },
    error.status,
  );
}

/** A preprocessing error from the model's own parsing: the client's value, so a 400. */
function asRequestError(error: unknown): RequestError | undefined {
  if (!(error instanceof DataError)) return undefined;
  return new RequestError(error.message, error.column);
}

/** The request handler of a model's server (for `Deno.serve` or tests). */
export function createHandler(
  model: ServableModel,
  options: ServeOptions = {},
): (request: Request) => Promise<Response> {
  const specs = inputSpecs(model.config);
  const schema = rowSchema(specs);
  const maxBody = options.maxBodyBytes ?? 1 << 20;
  const maxRows = options.maxBatchRows ?? 10_000;
  const allowed = new Set(options.allowedOrigins ?? []);
  const batcher = new MicroBatcher(
    async (rows) => (await model.predict(rows)).predictions.columns,
    options,
  );

  function cors(request: Request): Record<string, string> | undefined {
    const origin = request.headers.get("origin");
    if (!origin) return {};
    if (allowed.has("*")) return { "access-control-allow-origin": "*" };
    if (allowed.has(origin)) return { "access-control-allow-origin": origin, vary: "Origin" };
    return undefined;
  }

  async function predict(request: Request): Promise<Response> {
    const body = await parseBody(request, maxBody);
    const row = body.kind === "json" ? body.value : body.fields;
    const valid = validateRow(schema, specs, row);
    const columns = await batcher.submit([valid]);
    return json(Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v[0]])));
  }

  async function batchPredict(request: Request): Promise<Response> {
    const body = await parseBody(request, maxBody);
    const table = body.kind === "json" ? body.value : datasetField(body.fields);
    const rows = batchRows(table, maxRows).map((r, i) =>
      validateRow(schema, specs, r, `dataset row ${i}: `)
    );
    const columns = await batcher.submit(rows);
    const names = Object.keys(columns);
    return json({
      index: rows.map((_, i) => i),
      columns: names,
      data: rows.map((_, i) => names.map((k) => columns[k][i])),
    });
  }

  return async (request) => {
    const headers = cors(request);
    const url = new URL(request.url);
    if (request.method === "OPTIONS") {
      if (!headers || !request.headers.get("origin")) {
        return json({ error: "origin not allowed" }, 403);
      }
      return new Response(null, {
        status: 204,
        headers: {
          ...headers,
          "access-control-allow-methods": "GET, POST, OPTIONS",
          "access-control-allow-headers": "content-type",
          "access-control-max-age": "600",
        },
      });
    }
    let response: Response;
    try {
      if (url.pathname === "/" && (request.method === "GET" || request.method === "HEAD")) {
        response = json({
          message: "Sonata server is up",
          input_features: specs.map((s) => ({ name: s.column, type: s.type })),
          output_features: model.config.output_features.map((f) => ({
            name: f.name,
            type: f.type,
          })),
        });
      } else if (url.pathname === "/predict" && request.method === "POST") {
        response = await predict(request);
      } else if (url.pathname === "/batch_predict" && request.method === "POST") {
        response = await batchPredict(request);
      } else if (["/", "/predict", "/batch_predict"].includes(url.pathname)) {
        response = json({ error: `method ${request.method} not allowed on ${url.pathname}` }, 405);
      } else {
        response = json(
          { error: `no route ${url.pathname}: use /, /predict or /batch_predict` },
          404,
        );
      }
    } catch (error) {
      const clientError = error instanceof RequestError ? error : asRequestError(error);
      if (clientError) response = errorResponse(clientError);
      else {
        options.onError?.(error, request);
        response = json(
          { error: `internal error: ${(error as Error)?.message ?? String(error)}` },
          500,
        );
      }
    }
    if (headers) { for (const [k, v] of Object.entries(headers)) response.headers.set(k, v); }
    return response;
  };
}

/** Serve a model with `Deno.serve` (default 127.0.0.1:8000). */
export function serveModel(
  model: ServableModel,
  options: ServeListenOptions = {},
): Deno.HttpServer {
  const handler = createHandler(model, options);
  return Deno.serve({
    port: options.port ?? 8000,
    hostname: options.hostname ?? "127.0.0.1",
    signal: options.signal,
    onListen: options.onListen ?? (() => {}),
  }, handler);
}
