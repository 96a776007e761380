import { deepEqual, equal, match, ok } from "node:assert/strict";
import { Model } from "../../mod.ts";
import { DataError } from "../../lib/data/errors.ts";
import { createHandler, type ServableModel } from "../../lib/serve/server.ts";
import { cliPredictions, jsonRoundTrip, makeRows, modelDir, sameAsCsv } from "./_fixture.ts";

type Row = Record<string, unknown>;
const INPUTS = ["review", "color", "size"];

function inputsOf(row: Row): Row {
  return Object.fromEntries(INPUTS.map((k) => [k, row[k]]));
}

/** The model, with a count of its predict calls and of the rows each call got. */
async function countingModel() {
  const model = await Model.load(await modelDir());
  const calls: number[] = [];
  const wrapped: ServableModel = {
    config: model.config,
    predict: (rows) => {
      calls.push(rows.length);
      return model.predict(rows);
    },
  };
  return { model, wrapped, calls };
}

function post(path: string, body: BodyInit, headers: Record<string, string> = {}): Request {
  return new Request(`http://127.0.0.1${path}`, { method: "POST", body, headers });
}

function postJson(path: string, value: unknown): Request {
  return post(path, JSON.stringify(value), { "content-type": "application/json" });
}

async function bodyOf(response: Response): Promise<Row> {
  equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  return await response.json();
}

Deno.test("GET / answers the health check with the model's features", async () => {
  const { wrapped } = await countingModel();
  const handler = createHandler(wrapped);
  const response = await handler(new Request("http://127.0.0.1/"));
  equal(response.status, 200);
  const body = await bodyOf(response);
  equal(body.message, "Sonata server is up");
  deepEqual((body.input_features as Row[]).map((f) => f.name), INPUTS);
});

Deno.test("/predict answers exactly Model.predict's row, from JSON, urlencoded and multipart", async () => {
  const { model, wrapped } = await countingModel();
  const handler = createHandler(wrapped);
  const rows = makeRows(6, 300).map(inputsOf);
  const expected = jsonRoundTrip((await model.predict(rows)).predictions.rows);
  for (const [i, row] of rows.entries()) {
    const fromJson = await handler(postJson("/predict", row));
    equal(fromJson.status, 200);
    deepEqual(await bodyOf(fromJson), expected[i]);
  }
  // Form fields are strings, as Ludwig's server receives them: same predictions.
  const row = rows[1];
  const urlencoded = new URLSearchParams(
    Object.entries(row).map(([k, v]) => [k, String(v)]),
  );
  const fromUrlencoded = await handler(
    post("/predict", urlencoded.toString(), {
      "content-type": "application/x-www-form-urlencoded",
    }),
  );
  equal(fromUrlencoded.status, 200);
  deepEqual(await bodyOf(fromUrlencoded), expected[1]);
  const form = new FormData();
  form.set("color", String(row.color));
  form.set("size", String(row.size));
  // A file field: its contents are the value.
  form.set("review", new File([String(row.review)], "review.txt", { type: "text/plain" }));
  const fromMultipart = await handler(
    new Request("http://127.0.0.1/predict", {
      method: "POST",
      body: form,
    }),
  );
  equal(fromMultipart.status, 200);
  deepEqual(await bodyOf(fromMultipart), expected[1]);
});

Deno.test("/batch_predict answers in split orient, from the form field and a JSON body", async () => {
  const { model, wrapped } = await countingModel();
  const handler = createHandler(wrapped);
  const rows = makeRows(9, 700).map(inputsOf);
  const columns = jsonRoundTrip((await model.predict(rows)).predictions.columns);
  const names = Object.keys(columns);
  const table = { columns: INPUTS, data: rows.map((r) => INPUTS.map((k) => r[k])) };
  const expected = {
    index: rows.map((_, i) => i),
    columns: names,
    data: rows.map((_, i) => names.map((k) => columns[k][i])),
  };
  const form = new FormData();
  form.set("dataset", JSON.stringify(table));
  const fromForm = await handler(
    new Request("http://127.0.0.1/batch_predict", {
      method: "POST",
      body: form,
    }),
  );
  equal(fromForm.status, 200);
  deepEqual(await bodyOf(fromForm), expected);
  const fromJson = await handler(postJson("/batch_predict", table));
  deepEqual(await bodyOf(fromJson), expected);
  const fromRecords = await handler(postJson("/batch_predict", rows));
  deepEqual(await bodyOf(fromRecords), expected);
});

Deno.test("serve gives exactly the predictions of `sonata predict` on the same rows", async () => {
  const rows = makeRows(12, 1000).map(inputsOf);
  const csv = await cliPredictions(await modelDir(), rows);
  const { wrapped } = await countingModel();
  const handler = createHandler(wrapped);
  const table = { columns: INPUTS, data: rows.map((r) => INPUTS.map((k) => r[k])) };
  const served = await bodyOf(await handler(postJson("/batch_predict", table)));
  const names = served.columns as string[];
  const records = (served.data as unknown[][]).map((r) =>
    Object.fromEntries(names.map((k, j) => [k, r[j]]))
  );
  equal(sameAsCsv(records, csv), undefined);
  // One at a time through /predict too.
  for (const [i, row] of rows.slice(0, 3).entries()) {
    const one = await bodyOf(await handler(postJson("/predict", row)));
    equal(sameAsCsv([one], [csv[i]]), undefined);
  }
});

Deno.test("concurrent /predict calls run as one model batch, each getting its own row", async () => {
  const { model, wrapped, calls } = await countingModel();
  const handler = createHandler(wrapped, { windowMs: 20 });
  const rows = makeRows(16, 2000).map(inputsOf);
  const expected = jsonRoundTrip((await model.predict(rows)).predictions.rows);
  const answers = await Promise.all(rows.map((r) => handler(postJson("/predict", r))));
  for (const [i, a] of answers.entries()) deepEqual(await bodyOf(a), expected[i]);
  ok(calls.length <= 2, `16 concurrent requests took ${calls.length} model calls: ${calls}`);
  equal(calls.reduce((a, b) => a + b, 0), 16);
});

Deno.test("a value the model rejects, batched with good ones, fails only its own request", async () => {
  const { model } = await countingModel();
  const calls: number[] = [];
  // A model whose own parsing rejects size 999 (a DataError, as preprocessing throws).
  const picky: ServableModel = {
    config: model.config,
    predict: (rows) => {
      calls.push(rows.length);
      const bad = rows.findIndex((r) => r.size === 999);
      if (bad >= 0) {
        throw new DataError("value 999 is out of range", { column: "size", row: bad });
      }
      return model.predict(rows);
    },
  };
  const handler = createHandler(picky, { windowMs: 20 });
  const rows = makeRows(4, 50).map(inputsOf);
  const expected = jsonRoundTrip((await model.predict(rows)).predictions.rows);
  const answers = await Promise.all([
    ...rows.map((r) => handler(postJson("/predict", r))),
    handler(postJson("/predict", { ...rows[0], size: 999 })),
  ]);
  for (const [i, a] of answers.slice(0, 4).entries()) {
    equal(a.status, 200);
    deepEqual(await bodyOf(a), expected[i]);
  }
  const bad = answers[4];
  equal(bad.status, 400);
  const body = await bodyOf(bad);
  equal(body.field, "size");
  match(String(body.error), /out of range/);
  deepEqual(calls, [5, 1, 1, 1, 1, 1], "one batch, then each request alone");
});

Deno.test("client mistakes get 400 with a JSON error naming the field", async () => {
  const { wrapped, calls } = await countingModel();
  const handler = createHandler(wrapped, { maxBodyBytes: 2048, maxBatchRows: 5 });
  const good = inputsOf(makeRows(1)[0]);
  const cases: [string, Request, string | undefined, RegExp][] = [
    [
      "missing feature",
      postJson("/predict", { review: "good", color: "red" }),
      "size",
      /missing input feature "size"/,
    ],
    [
      "unparseable number",
      postJson("/predict", { ...good, size: "abc" }),
      "size",
      /cannot parse "abc" as a number/,
    ],
    [
      "wrong type",
      postJson("/predict", { ...good, color: { a: 1 } }),
      "color",
      /invalid value of input feature "color"/,
    ],
    [
      "malformed JSON",
      post("/predict", "{not json", { "content-type": "application/json" }),
      undefined,
      /not valid JSON/,
    ],
    ["not an object", postJson("/predict", [1, 2]), undefined, /expected an object/],
    [
      "empty body",
      post("/predict", "", { "content-type": "application/json" }),
      undefined,
      /empty request body/,
    ],
    [
      "oversized body",
      postJson("/predict", { ...good, review: "x".repeat(5000) }),
      undefined,
      /larger than the limit of 2048 bytes/,
    ],
    [
      "form: missing feature",
      post("/predict", "review=good&size=1", {
        "content-type": "application/x-www-form-urlencoded",
      }),
      "color",
      /missing input feature "color"/,
    ],
    [
      "batch: no dataset field",
      post("/batch_predict", "other=1", { "content-type": "application/x-www-form-urlencoded" }),
      "dataset",
      /missing form field "dataset"/,
    ],
    [
      "batch: malformed dataset",
      post("/batch_predict", "dataset=%7Bnope", {
        "content-type": "application/x-www-form-urlencoded",
      }),
      "dataset",
      /form field "dataset" is not valid JSON/,
    ],
    [
      "batch: wrong row width",
      postJson("/batch_predict", { columns: ["review", "color", "size"], data: [["a", "red"]] }),
      "dataset",
      /dataset.data\[0\] must be an array of 3 values/,
    ],
    [
      "batch: too many rows",
      postJson("/batch_predict", Array(6).fill(good)),
      "dataset",
      /6 rows, more than the limit of 5/,
    ],
    [
      "batch: bad row",
      postJson("/batch_predict", [good, { ...good, size: "x1" }]),
      "size",
      /dataset row 1: invalid value of input feature "size"/,
    ],
    ["batch: not a table", postJson("/batch_predict", { rows: [] }), "dataset", /split orient/],
  ];
  for (const [what, request, field, message] of cases) {
    const response = await handler(request);
    equal(response.status, 400, what);
    const body = await bodyOf(response);
    match(String(body.error), message, what);
    equal(body.field, field, what);
  }
  equal(calls.length, 0, "no bad request reaches the model");
  const unsupported = await handler(post("/predict", "x", { "content-type": "image/png" }));
  equal(unsupported.status, 415);
  equal((await handler(new Request("http://127.0.0.1/predict"))).status, 405);
  equal((await handler(new Request("http://127.0.0.1/nope"))).status, 404);
  // A streamed body without Content-Length is cut at the limit too.
  const stream = new ReadableStream({
    pull(c) {
      c.enqueue(new TextEncoder().encode("x".repeat(1024)));
    },
  });
  const streamed = await handler(
    new Request("http://127.0.0.1/predict", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json" },
    }),
  );
  equal(streamed.status, 400);
  match(String((await streamed.json()).error), /larger than the limit/);
});

Deno.test("CORS headers only for allowed origins", async () => {
  const { wrapped } = await countingModel();
  const handler = createHandler(wrapped, { allowedOrigins: ["http://good.example"] });
  const ask = (origin: string, method = "GET") =>
    handler(new Request("http://127.0.0.1/", { method, headers: { origin } }));
  const allowed = await ask("http://good.example");
  equal(allowed.headers.get("access-control-allow-origin"), "http://good.example");
  const denied = await ask("http://evil.example");
  equal(denied.headers.get("access-control-allow-origin"), null);
  const preflight = await ask("http://good.example", "OPTIONS");
  equal(preflight.status, 204);
  match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
  equal((await ask("http://evil.example", "OPTIONS")).status, 403);
  const none = createHandler(wrapped);
  const noCors = await none(
    new Request("http://127.0.0.1/", { headers: { origin: "http://good.example" } }),
  );
  equal(noCors.headers.get("access-control-allow-origin"), null);
  const any = createHandler(wrapped, { allowedOrigins: ["*"] });
  const star = await any(new Request("http://127.0.0.1/", { headers: { origin: "http://x.y" } }));
  equal(star.headers.get("access-control-allow-origin"), "*");
});

Deno.test("a server-side failure is a 500 with a JSON error, reported to onError", async () => {
  const { model } = await countingModel();
  const errors: unknown[] = [];
  const broken: ServableModel = {
    config: model.config,
    predict: () => Promise.reject(new RangeError("tensor shapes disagree")),
  };
  const handler = createHandler(broken, { onError: (e) => void errors.push(e) });
  const response = await handler(postJson("/predict", inputsOf(makeRows(1)[0])));
  equal(response.status, 500);
  match(String((await bodyOf(response)).error), /internal error: tensor shapes disagree/);
  equal(errors.length, 1);
});
