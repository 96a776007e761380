/**
 * Private: a kernel worker (see `_par.ts`). It runs the range loops it is sent on shared
 * arrays, then counts itself done in the shared control array and wakes the calling thread.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { RANGE_OPS } from "./_par_ops.ts";

interface Task {
  op: string;
  args: unknown[];
  lo: number;
  hi: number;
  part: number;
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

parentPort!.on("message", (task: Task) => {
  try {
    const fn = RANGE_OPS[task.op];
    if (!fn) throw new Error(`unknown range op ${task.op}`);
    fn(decode(task.args), task.lo, task.hi, task.part);
  } catch (e) {
    if (Atomics.compareExchange(ctrl, 2, 0, 1) === 0) {
      const bytes = encoder.encode(e instanceof Error ? e.message : String(e));
      const n = Math.min(bytes.length, error.length - 1);
      error.set(bytes.subarray(0, n));
      error[n] = 0;
    }
  } finally {
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  }
});

Atomics.add(ctrl, 1, 1);
Atomics.notify(ctrl, 1);
