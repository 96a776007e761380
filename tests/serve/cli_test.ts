import { deepEqual, equal, match, ok } from "node:assert/strict";
import { Model } from "../../mod.ts";
import { main } from "../../lib/cli/main.ts";
import { jsonRoundTrip, modelDir } from "./_fixture.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) },
    out,
    err,
  };
}

Deno.test("serve and export_tfjs are listed, with --help texts and Ludwig's flags", async () => {
  const top = capture();
  equal(await main(["--help"], top.io), 0);
  match(top.out.join("\n"), /serve\s+Serve a trained model/);
  match(top.out.join("\n"), /export_tfjs\s+Export a trained model/);
  const serveHelp = capture();
  equal(await main(["serve", "--help"], serveHelp.io), 0);
  for (const flag of ["--model_path", "--port", "--host", "--allowed_origins"]) {
    match(serveHelp.out.join("\n"), new RegExp(flag));
  }
  const exportHelp = capture();
  equal(await main(["export_tfjs", "-h"], exportHelp.io), 0);
  match(exportHelp.out.join("\n"), /--output_path/);
  const missing = capture();
  equal(await main(["serve"], missing.io), 2);
  match(missing.err.join("\n"), /Missing --model_path/);
  const badPort = capture();
  equal(await main(["serve", "-m", "x", "--port", "http"], badPort.io), 2);
  match(badPort.err.join("\n"), /Invalid --port "http"/);
  const unknown = capture();
  equal(await main(["serve", "--model", "x"], unknown.io), 2);
  const noModel = capture();
  equal(await main(["serve", "--model_path", "/nonexistent/model", "--port", "0"], noModel.io), 1);
  match(noModel.err.join("\n"), /Cannot load model "\/nonexistent\/model"/);
});

Deno.test("`sonata serve` listens, answers Ludwig's routes and stops on SIGINT", async () => {
  const dir = await modelDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../lib/cli/main.ts", import.meta.url).pathname,
      "serve",
      "--model_path",
      dir,
      "--port",
      "0",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let log = "";
  const reader = child.stderr.getReader();
  const deadline = Date.now() + 120_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    log += decoder.decode(value);
    url = log.match(/Serving .* on (http:\/\/127\.0\.0\.1:\d+)\//)?.[1];
  }
  try {
    ok(url, `the server did not start:\n${log}`);
    const health = await fetch(`${url}/`);
    equal(health.status, 200);
    equal((await health.json()).message, "Sonata server is up");
    const row = { review: "good and bad day", color: "blue", size: 2 };
    const predicted = await fetch(`${url}/predict`, {
      method: "POST",
      body: new URLSearchParams({ review: row.review, color: row.color, size: "2" }),
    });
    equal(predicted.status, 200);
    const model = await Model.load(dir);
    const expected = jsonRoundTrip((await model.predict([row])).predictions.rows[0]);
    deepEqual(await predicted.json(), expected);
    const bad = await fetch(`${url}/predict`, {
      method: "POST",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    equal(bad.status, 400);
    await bad.body?.cancel();
    const batch = await fetch(`${url}/batch_predict`, {
      method: "POST",
      body: JSON.stringify({
        columns: ["review", "color", "size"],
        data: [[row.review, row.color, 2]],
      }),
      headers: { "content-type": "application/json" },
    });
    deepEqual((await batch.json()).index, [0]);
  } finally {
    child.kill("SIGINT");
    reader.releaseLock();
    await child.stderr.cancel();
  }
  const status = await child.status;
  equal(status.code, 0, "exits 0 on SIGINT");
});
