// deno-lint-ignore-file no-console no-explicit-any
/**
 * V8 CPU profile of W1 through the public API (one epoch of 51,200 rows): `deno run -A
 * bench/cpuprof.ts` prints self and inclusive milliseconds by function and writes
 * `/tmp/w1.cpuprofile` (loadable in Chrome DevTools). Profiling slows the step by ~15%.
 *
 * @module
 */
import { Session } from "node:inspector";
import { ready } from "../lib/compute/mod.ts";
import { runW1Api } from "./workloads.ts";
await ready({ compute: "native" });
await runW1Api({ rows: 4096, epochs: 1, skipPredict: true });
const s = new Session();
s.connect();
const post = (m: string, p?: object) =>
  new Promise((res, rej) => s.post(m, p ?? {}, (e: unknown, r: unknown) => e ? rej(e) : res(r)));
await post("Profiler.enable");
await post("Profiler.setSamplingInterval", { interval: 50 });
await post("Profiler.start");
const r = await runW1Api({ rows: 51200, epochs: 1, skipPredict: true });
const prof: any = ((await post("Profiler.stop")) as any).profile;
console.log("ms/step", (r.train_seconds * 1000 / 200).toFixed(3));
Deno.writeTextFileSync("/tmp/w1.cpuprofile", JSON.stringify(prof));
const byId = new Map<number, any>(prof.nodes.map((n: any) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id: number, i: number) =>
  self.set(id, (self.get(id) ?? 0) + prof.timeDeltas[i])
);
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const agg = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
for (const [id, t] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || "(anon)"} ${cf.url.split("/").slice(-1)[0]}:${cf.lineNumber}`;
  agg.set(key, (agg.get(key) ?? 0) + t);
  all += t;
  // inclusive
  const seen = new Set<string>();
  let cur: number | undefined = id;
  while (cur !== undefined) {
    const c = byId.get(cur).callFrame;
    const k = `${c.functionName || "(anon)"} ${c.url.split("/").slice(-1)[0]}:${c.lineNumber}`;
    if (!seen.has(k)) {
      total.set(k, (total.get(k) ?? 0) + t);
      seen.add(k);
    }
    cur = parent.get(cur);
  }
}
console.log("total ms", (all / 1000).toFixed(1));
console.log("--- self");
for (const [k, t] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 45)) {
  console.log((t / 1000).toFixed(1).padStart(8), k);
}
console.log("--- inclusive");
for (const [k, t] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 80)) {
  console.log((t / 1000).toFixed(1).padStart(8), k);
}
