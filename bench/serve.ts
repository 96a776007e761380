/**
 * `deno run -A bench/serve.ts [--requests 2000] [--concurrency 8] [--engine auto]`
 *
 * The serving workload: a small model (text, category and number inputs) behind `sonata serve`'s
 * handler on `Deno.serve` over loopback; `--concurrency` clients send `--requests` `/predict`
 * calls (one in ten a bad request answered 400). Prints one JSON line: requests/s, p50/p99
 * latency of the good requests, model batches, and RSS before/after.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Model } from "../lib/api.ts";
import { type ComputeOption, ready } from "../lib/compute/mod.ts";
import { type ServableModel, serveModel } from "../lib/serve/server.ts";

type Row = Record<string, unknown>;

/** One request of a load run: a good row (expected 200) or a bad body (expected 400). */
export interface LoadRequest {
  body: string;
  contentType: string;
  good: boolean;
}

/** What {@linkcode runLoad} measured. */
export interface LoadResult {
  requests: number;
  concurrency: number;
  seconds: number;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  /** Good requests answered other than 200, or bad ones answered other than 400. */
  unexpected: { index: number; status: number; body: string }[];
  /** Bodies of the good answers, by request index. */
  answers: Map<number, string>;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Send `requests` to `url` + `/predict` from `concurrency` clients; checks each status. */
export async function runLoad(
  url: string,
  requests: readonly LoadRequest[],
  concurrency: number,
  options: { keepAnswers?: boolean } = {},
): Promise<LoadResult> {
  const latencies: number[] = [];
  const unexpected: LoadResult["unexpected"] = [];
  const answers = new Map<number, string>();
  let next = 0;
  const start = performance.now();
  async function client() {
    while (next < requests.length) {
      const index = next++;
      const r = requests[index];
      const t0 = performance.now();
      const response = await fetch(`${url}/predict`, {
        method: "POST",
        body: r.body,
        headers: { "content-type": r.contentType },
      });
      const text = await response.text();
      const ms = performance.now() - t0;
      if (response.status !== (r.good ? 200 : 400)) {
        unexpected.push({ index, status: response.status, body: text.slice(0, 300) });
      }
      if (r.good) {
        latencies.push(ms);
        if (options.keepAnswers) answers.set(index, text);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: requests.length,
    concurrency,
    seconds,
    requests_per_s: requests.length / seconds,
    p50_ms: quantile(latencies, 0.5),
    p99_ms: quantile(latencies, 0.99),
    unexpected,
    answers,
  };
}

/** Good rows mixed with bad requests (one in `badEvery`) of four kinds. */
export function mixedRequests(rows: readonly Row[], count: number, badEvery = 10): LoadRequest[] {
  const json = "application/json";
  const first = rows[0];
  const missing = Object.fromEntries(Object.entries(first).slice(1));
  const bad: LoadRequest[] = [
    { body: JSON.stringify(missing), contentType: json, good: false },
    { body: "{not json", contentType: json, good: false },
    {
      body: JSON.stringify({ ...first, [Object.keys(first)[0]]: { nested: 1 } }),
      contentType: json,
      good: false,
    },
    {
      body: JSON.stringify({ ...first, pad: "x".repeat(2 << 20) }),
      contentType: json,
      good: false,
    },
  ];
  return Array.from(
    { length: count },
    (_, i) =>
      i % badEvery === badEvery - 1
        ? bad[Math.floor(i / badEvery) % bad.length]
        : { body: JSON.stringify(rows[i % rows.length]), contentType: json, good: true },
  );
}

function benchRows(n: number): Row[] {
  const words = ["good", "bad", "fine", "awful", "great", "poor"];
  return Array.from({ length: n }, (_, i) => ({
    review: `${words[i % 6]} ${words[(i * 5 + 2) % 6]} day`,
    color: ["red", "green", "blue"][i % 3],
    size: (i * 7) % 11,
    label: i % 4 < 2 ? "yes" : "no",
  }));
}

/** Train the bench model, serve it on loopback and run the load; returns the JSON line's fields. */
export async function runServeBench(
  options: { requests?: number; concurrency?: number; engine?: string } = {},
): Promise<Record<string, unknown>> {
  const model = await Model.create({
    input_features: [
      { name: "review", type: "text" },
      { name: "color", type: "category" },
      { name: "size", type: "number" },
    ],
    output_features: [{ name: "label", type: "category" }],
    trainer: { epochs: 1, batch_size: 32 },
    backend: { compute: options.engine ?? "auto" },
  });
  const rows = benchRows(256);
  await model.train({ dataset: rows, skip_save_all: true, progress: false });
  let batches = 0;
  const counted: ServableModel = {
    config: model.config,
    predict: (r) => (batches++, model.predict(r)),
  };
  const inputs = rows.map(({ label: _, ...r }) => r);
  const controller = new AbortController();
  let port = 0;
  const server = serveModel(counted, {
    port: 0,
    signal: controller.signal,
    onListen: (addr) => void (port = addr.port),
  });
  const url = `http://127.0.0.1:${port}`;
  await runLoad(url, mixedRequests(inputs, 200), options.concurrency ?? 8);
  batches = 0;
  const rssBefore = Deno.memoryUsage().rss;
  const result = await runLoad(
    url,
    mixedRequests(inputs, options.requests ?? 2000),
    options.concurrency ?? 8,
  );
  const rssAfter = Deno.memoryUsage().rss;
  controller.abort();
  await server.finished;
  return {
    requests: result.requests,
    concurrency: result.concurrency,
    requests_per_s: Math.round(result.requests_per_s),
    p50_ms: Number(result.p50_ms.toFixed(2)),
    p99_ms: Number(result.p99_ms.toFixed(2)),
    model_batches: batches,
    unexpected_statuses: result.unexpected.length,
    rss_mib_before: Math.round(rssBefore / 2 ** 20),
    rss_mib_after: Math.round(rssAfter / 2 ** 20),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      requests: { type: "string", default: "2000" },
      concurrency: { type: "string", default: "8" },
      engine: { type: "string", default: "auto" },
    },
  });
  const info = await ready({ compute: values.engine as ComputeOption });
  const line = await runServeBench({
    requests: Number(values.requests),
    concurrency: Number(values.concurrency),
    engine: info.engine,
  });
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ workload: "serve", ...line, engine: info.engine }));
}
