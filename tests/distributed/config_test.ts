import { deepEqual, equal, match, throws } from "node:assert/strict";
import { resolveConfigValue } from "../../lib/config/load.ts";
import { MESSAGES } from "../../lib/config/messages.ts";
import { strategyOf } from "../../lib/distributed/mod.ts";

const base = {
  input_features: [{ name: "x", type: "number" }],
  output_features: [{ name: "y", type: "number" }],
};
const resolve = (backend: unknown) => resolveConfigValue({ ...base, backend }).config;

Deno.test("backend type mpi takes a trainer with strategy and num_workers", () => {
  const c = resolve({ type: "mpi", trainer: { strategy: "fsdp", num_workers: 2 } });
  deepEqual(c.backend.trainer, { strategy: "fsdp", num_workers: 2 });
  equal(strategyOf(c.backend), "fsdp");
  // Defaults: ddp, as many workers as the launcher started.
  deepEqual(resolve({ type: "mpi", trainer: {} }).backend.trainer, {
    strategy: "ddp",
    num_workers: null,
  });
  equal(strategyOf(resolve({ type: "mpi", trainer: { strategy: "horovod" } }).backend), "ddp");
});

Deno.test("Ludwig's backend type horovod is accepted as it is (DDP)", () => {
  const c = resolve({ type: "horovod" });
  equal(c.backend.type, "horovod");
  equal(c.backend.trainer, null);
  equal(strategyOf(c.backend), "ddp");
  equal(resolve("horovod").backend.type, "horovod");
});

Deno.test("backend type ray is rejected with a pointer to mpi", () => {
  for (const backend of [{ type: "ray" }, "ray", { type: "ray", trainer: { num_workers: 4 } }]) {
    throws(() => resolve(backend), (e: Error) => {
      match(e.message, /backend\.type/);
      match(e.message, /use backend\.type mpi/);
      equal(e.message.includes(MESSAGES.rayBackend), true);
      return true;
    });
  }
});

Deno.test("backend.trainer with a local backend, and bad workers, are rejected", () => {
  throws(() => resolve({ trainer: { num_workers: 2 } }), /backend\.trainer.*backend\.type mpi/s);
  throws(() => resolve({ type: "mpi", trainer: { num_workers: 0 } }), /num_workers/);
  throws(() => resolve({ type: "mpi", trainer: { strategy: "zero3" } }), /strategy/);
  throws(() => resolve({ type: "deepspeed" }), /exists in Ludwig but is not available/);
});
