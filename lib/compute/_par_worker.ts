/**
 * Private: a kernel worker (see `_par.ts`). Told of a task, it claims and runs chunks of it
 * (`runChunks`) on the shared arrays, counting each done in the shared control array and
 * waking the calling thread.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { CTRL, RANGE_OPS, runChunks } from "./_par_ops.ts";

interface Task {
  op: string;
  args: unknown[];
  n: number;
  chunks: number;
  base: number;
}

/** Rebuilds the typed arrays that `_par.ts`'s encodeArgs sent as shared buffers. */
function decode(args: unknown[]): unknown[] {
  return args.map((a) => {
    if (a === null || typeof a !== "object" || !("sab" in a)) return a;
    const v = a as {
      sab: SharedArrayBuffer;
      type: "Float32Array" | "Float64Array" | "Int32Array";
      offset: number;
      length: number;
    };
    if (v.type === "Float64Array") return new Float64Array(v.sab, v.offset, v.length);
    if (v.type === "Int32Array") return new Int32Array(v.sab, v.offset, v.length);
    return new Float32Array(v.sab, v.offset, v.length);
  });
}

const { ctrl, error } = workerData as { ctrl: Int32Array; error: Uint8Array };
const encoder = new TextEncoder();

function onError(e: unknown): void {
  if (Atomics.compareExchange(ctrl, CTRL.error, 0, 1) === 0) {
    const bytes = encoder.encode(e instanceof Error ? e.message : String(e));
    const n = Math.min(bytes.length, error.length - 1);
    error.set(bytes.subarray(0, n));
    error[n] = 0;
  }
}

parentPort!.on("message", (task: Task) => {
  const fn = RANGE_OPS[task.op];
  if (!fn) {
    // Claims nothing: the calling thread runs every chunk, then reports this.
    onError(new Error(`unknown range op ${task.op}`));
    return;
  }
  runChunks(ctrl, fn, decode(task.args), task.n, task.chunks, task.base, onError, true);
});

Atomics.add(ctrl, CTRL.ready, 1);
Atomics.notify(ctrl, CTRL.ready);
