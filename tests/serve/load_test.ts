// The load test (loopback only, bounded in count and time): 2,000 /predict requests at
// concurrency 8 with bad requests mixed in, through Deno.serve.
import { deepEqual, equal, ok } from "node:assert/strict";
import { Model } from "../../mod.ts";
import { mixedRequests, runLoad } from "../../bench/serve.ts";
import { type ServableModel, serveModel } from "../../lib/serve/server.ts";
import { jsonRoundTrip, makeRows, modelDir } from "./_fixture.ts";

const TIME_LIMIT_S = 240;

Deno.test("2,000 requests at concurrency 8: good ones all answered right, bad ones 400, memory bounded", async () => {
  const model = await Model.load(await modelDir());
  let calls = 0;
  const counted: ServableModel = {
    config: model.config,
    predict: (rows) => (calls++, model.predict(rows)),
  };
  const rows = makeRows(40, 5000).map(({ review, color, size }) => ({ review, color, size }));
  const expected = jsonRoundTrip((await model.predict(rows)).predictions.rows);
  const controller = new AbortController();
  let port = 0;
  const server = serveModel(counted, {
    port: 0,
    hostname: "127.0.0.1",
    signal: controller.signal,
    onListen: (addr) => void (port = addr.port),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    // Warm-up, so that the RSS baseline includes the compiled model and the server's buffers.
    const warm = await runLoad(url, mixedRequests(rows, 300), 8);
    deepEqual(warm.unexpected, []);
    // This isolate's heap and external (typed-array) memory: RSS would count the other test files
    // that `deno test --parallel` runs in the same process.
    const memory = () => {
      const m = Deno.memoryUsage();
      return m.heapUsed + m.external;
    };
    const rssBefore = memory();
    calls = 0;
    const requests = mixedRequests(rows, 2000);
    const bad = requests.filter((r) => !r.good).length;
    equal(bad, 200);
    const result = await runLoad(url, requests, 8, { keepAnswers: true });
    const rssAfter = memory();
    deepEqual(result.unexpected, [], "every good request 200, every bad one 400");
    equal(result.answers.size, 1800);
    for (const [index, text] of result.answers) {
      deepEqual(JSON.parse(text), expected[index % rows.length], `request ${index}`);
    }
    ok(result.seconds < TIME_LIMIT_S, `took ${result.seconds.toFixed(1)} s`);
    ok(calls < 1800, `1,800 good requests in ${calls} model batches: concurrent calls batch`);
    const growth = (rssAfter - rssBefore) / 2 ** 20;
    ok(growth < 96, `heap + external memory grew ${growth.toFixed(1)} MiB over 2,000 requests`);
  } finally {
    controller.abort();
    await server.finished;
  }
});
