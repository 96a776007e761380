/**
 * Every collective of `lib/distributed/mpi.ts` on every rank; prints one JSON line per rank.
 *
 * @module
 */
import { openMpi } from "../../lib/distributed/mpi.ts";

const mpi = openMpi();
const r = mpi.rank;
const sum = new Float32Array([r + 1, 10 * (r + 1)]);
await mpi.allreduce(sum);
const max = new Float64Array([r]);
await mpi.allreduce(max, "max");
const block = new Float32Array(2);
await mpi.reduceScatterBlock(
  Float32Array.from({ length: 2 * mpi.size }, (_, i) => i + r),
  block,
);
const gathered = new Float32Array(2 * mpi.size);
await mpi.allgather(new Float32Array([r, r + 0.5]), gathered);
const root = new Int32Array([r === 0 ? 42 : -1]);
await mpi.broadcast(root, 0);
await mpi.barrier();
// deno-lint-ignore no-console
console.log(JSON.stringify({
  flavor: mpi.flavor,
  rank: r,
  size: mpi.size,
  sum: [...sum],
  max: max[0],
  block: [...block],
  gathered: [...gathered],
  root: root[0],
  // The network namespace: distinct per rank in the two-host stand-in test.
  netns: (() => {
    try {
      return Deno.readLinkSync("/proc/self/ns/net");
    } catch {
      return null;
    }
  })(),
}));
mpi.finalize();
