/**
 * Reading and validating the server's requests: a size-limited body, form fields or JSON, and a
 * zod schema derived from the model's input features. Every client mistake becomes a
 * {@linkcode RequestError} (HTTP 400) naming the field.
 *
 * @module
 */
import { z } from "zod";
import { parseNumberCell } from "../data/cells.ts";

type Row = Record<string, unknown>;

/** A client's mistake: answered with `status` and `{"error": message, "field": field}`. */
export class RequestError extends Error {
  readonly field?: string;
  readonly status: number;
  constructor(message: string, field?: string, status = 400) {
    super(message);
    this.name = "RequestError";
    this.field = field;
    this.status = status;
  }
}

/** An input feature as the server sees it: its data column and its type. */
export interface InputSpec {
  column: string;
  type: string;
}

/** The input columns of a resolved config (`column` defaults to the feature's name). */
export function inputSpecs(
  config: { input_features: readonly { name: string; type: string; column?: string }[] },
): InputSpec[] {
  return config.input_features.map((f) => ({ column: f.column ?? f.name, type: f.type }));
}

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

function valueSchema(type: string): z.ZodType {
  switch (type) {
    case "number":
      return z.union([z.number(), z.null(), z.string()]).superRefine((v, ctx) => {
        if (typeof v !== "string") return;
        try {
          parseNumberCell(v);
        } catch {
          ctx.addIssue({
            code: "custom",
            message: `cannot parse ${JSON.stringify(v)} as a number`,
          });
        }
      });
    case "vector":
      return z.union([z.string(), z.array(z.number()), z.null()]);
    case "image":
      // A path, URL or data URI, or the bytes of an uploaded image file.
      return z.union([z.string(), z.instanceof(Uint8Array), z.null()]);
    case "set":
    case "bag":
      return z.union([scalar, z.array(z.union([z.string(), z.number()]))]);
    default:
      return scalar;
  }
}

/** The zod schema of one example: every input column present, each value of its type. */
export function rowSchema(specs: readonly InputSpec[]): z.ZodType<Row> {
  return z.object(Object.fromEntries(specs.map((s) => [s.column, valueSchema(s.type)]))) as never;
}

/** Validate one example; returns the row with only the input columns. */
export function validateRow(
  schema: z.ZodType<Row>,
  specs: readonly InputSpec[],
  row: unknown,
  where = "",
): Row {
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    throw new RequestError(`${where}expected an object of input features`);
  }
  for (const s of specs) {
    if (!Object.hasOwn(row, s.column)) {
      throw new RequestError(
        `${where}missing input feature ${
          JSON.stringify(s.column)
        } (${s.type}): every input feature must be given`,
        s.column,
      );
    }
  }
  const parsed = schema.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue.path[0] ?? "");
    const spec = specs.find((s) => s.column === field);
    const value = (row as Row)[field];
    const detail = issue.code === "custom"
      ? issue.message
      : `expected a ${spec?.type ?? "valid"} value, got ${
        value instanceof Uint8Array
          ? `an uploaded binary file (${value.length} bytes)`
          : JSON.stringify(value) ?? String(value)
      }`;
    throw new RequestError(
      `${where}invalid value of input feature ${JSON.stringify(field)}: ${detail}`,
      field,
    );
  }
  return Object.fromEntries(specs.map((s) => [s.column, (parsed.data as Row)[s.column]]));
}

/** Read at most `limit` bytes of a body; a longer one is a 400 (`Content-Length` checked first). */
export async function readBody(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length"));
  const tooLarge = () =>
    new RequestError(`request body larger than the limit of ${limit} bytes`, undefined, 400);
  if (Number.isFinite(declared) && declared > limit) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof RequestError) throw error;
    throw new RequestError(`cannot read the request body: ${(error as Error).message}`);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) body.set(c, offset), offset += c.byteLength;
  return body;
}

function parseJson(bytes: Uint8Array, what: string, field?: string): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new RequestError(`${what} is not valid UTF-8`, field);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(`${what} is not valid JSON: ${(error as Error).message}`, field);
  }
}

/** A body's fields: a JSON value, or form fields (uploaded files read as UTF-8 text). */
export async function parseBody(
  request: Request,
  limit: number,
): Promise<{ kind: "json"; value: unknown } | { kind: "form"; fields: Row }> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  const bytes = await readBody(request, limit);
  if (
    type.startsWith("multipart/form-data") || type.startsWith("application/x-www-form-urlencoded")
  ) {
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { "content-type": type } }).formData();
    } catch (error) {
      throw new RequestError(`malformed form body: ${(error as Error).message}`);
    }
    const fields: Row = {};
    for (const [key, value] of form.entries()) {
      if (Object.hasOwn(fields, key)) {
        throw new RequestError(`form field ${JSON.stringify(key)} given twice`, key);
      }
      if (typeof value === "string") fields[key] = value;
      else {
        const raw = new Uint8Array(await value.arrayBuffer());
        try {
          fields[key] = new TextDecoder("utf-8", { fatal: true }).decode(raw);
        } catch {
          // Binary uploads (an image file for an image feature, as Ludwig's server takes) stay
          // bytes; a feature that cannot read bytes rejects the cell with its own message.
          fields[key] = raw;
        }
      }
    }
    return { kind: "form", fields };
  }
  if (type === "" || type.startsWith("application/json") || type.startsWith("text/plain")) {
    if (bytes.byteLength === 0) {
      throw new RequestError("empty request body: expected JSON or form fields");
    }
    return { kind: "json", value: parseJson(bytes, "request body") };
  }
  throw new RequestError(
    `unsupported content type ${
      JSON.stringify(type)
    }: use application/json, multipart/form-data or application/x-www-form-urlencoded`,
    undefined,
    415,
  );
}

/**
 * The rows of a batch: pandas' split orient `{"columns": [...], "data": [[...]]}` (as the form
 * field `dataset`, or the whole JSON body), or a JSON array of records.
 */
export function batchRows(value: unknown, maxRows: number, field = "dataset"): unknown[] {
  let rows: unknown[];
  if (Array.isArray(value)) rows = value;
  else if (
    typeof value === "object" && value !== null && Array.isArray((value as Row).columns) &&
    Array.isArray((value as Row).data)
  ) {
    const columns = (value as { columns: unknown[] }).columns;
    if (!columns.every((c) => typeof c === "string")) {
      throw new RequestError(`${field}.columns must be strings`, field);
    }
    const data = (value as { data: unknown[] }).data;
    rows = data.map((r, i) => {
      if (!Array.isArray(r) || r.length !== columns.length) {
        throw new RequestError(
          `${field}.data[${i}] must be an array of ${columns.length} values (one per column)`,
          field,
        );
      }
      return Object.fromEntries(columns.map((c, j) => [c as string, r[j]]));
    });
  } else {
    throw new RequestError(
      `${field} must be a JSON table in split orient {"columns": [...], "data": [[...]]} or an array of records`,
      field,
    );
  }
  if (rows.length === 0) throw new RequestError(`${field} has no rows`, field);
  if (rows.length > maxRows) {
    throw new RequestError(
      `${field} has ${rows.length} rows, more than the limit of ${maxRows}`,
      field,
    );
  }
  return rows;
}

/** The `dataset` field of a batch form, parsed as JSON. */
export function datasetField(fields: Row): unknown {
  const value = fields.dataset;
  if (value === undefined) throw new RequestError('missing form field "dataset"', "dataset");
  return parseJson(new TextEncoder().encode(String(value)), 'form field "dataset"', "dataset");
}
