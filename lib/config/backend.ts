/**
 * The backend section (reference §10) plus `compute`, Sonata's engine choice.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { choice, encodeIssue, obj } from "./fields.ts";
import { MESSAGES } from "./messages.ts";

type Obj = Record<string, unknown>;

/** Compute engines, in the order `auto` tries them. */
export const COMPUTE_ENGINES = [
  "auto",
  "tensorflow-gpu",
  "tensorflow",
  "webgpu",
  "native",
  "wasm",
  "cpu",
] as const;

const rayOnly = (description: string) =>
  z.unknown().optional().refine((v) => v === undefined, {
    error: encodeIssue({
      code: "not_supported",
      why:
        "it configures the Ray backend, which Sonata does not provide (Sonata trains in-process)",
    }),
  }).describe(description);

const credentials = () => z.record(z.string(), z.unknown()).nullable().optional();

/** Distributed strategies of `backend.trainer.strategy` (`horovod` trains as `ddp`). */
export const DISTRIBUTED_STRATEGIES = ["ddp", "fsdp", "horovod"] as const;

/** `backend.trainer` of the MPI backends. */
const DistributedTrainerSchema = obj({
  strategy: z.enum(DISTRIBUTED_STRATEGIES).default("ddp").describe(
    "Data parallel (ddp, horovod: gradients all-reduced) or fully sharded (fsdp: parameters' " +
      "optimizer state and gradients sharded over the workers)",
  ),
  num_workers: z.int().min(1).nullable().default(null).describe(
    "Processes (MPI ranks): `sonata train` starts mpirun -np N; null: as many as the launcher " +
      "started (1 outside mpirun/srun)",
  ),
}, { id: "distributed_trainer", description: "Distributed training over MPI" });

/** Ray's backend: rejected with the way to train distributed in Sonata. */
const notRay = (value: unknown, ctx: z.RefinementCtx) => {
  if (typeof value === "object" && value !== null && (value as Obj).type === "ray") {
    ctx.addIssue({
      code: "custom",
      input: "ray",
      path: ["type"],
      message: encodeIssue({ code: "not_supported", why: MESSAGES.rayBackend }),
    });
  }
};

/** The backend section. */
export const BackendSchema = z.preprocess(
  (value, ctx) => {
    const object = typeof value === "string" ? { type: value } : value;
    notRay(object, ctx);
    return object;
  },
  obj({
    type: choice(["local", "mpi", "horovod"] as const, {
      kind: "backend",
      ludwigOnly: ["ray", "deepspeed"],
    }).default("local").describe(
      "Where training runs: local (one process), mpi or horovod (MPI ranks, see trainer)",
    ),
    compute: z.enum(COMPUTE_ENGINES).default("auto").describe(
      "Compute engine: auto picks the first available of tensorflow-gpu, tensorflow, webgpu (with a GPU adapter), native; wasm and cpu only when asked for",
    ),
    cache_dir: z.string().nullable().default(null).describe(
      "Where preprocessed data is cached (null: beside the dataset, or .cache/sonata for in-memory data)",
    ),
    credentials: obj({
      cache: credentials(),
      artifacts: credentials(),
      datasets: credentials(),
      defaults: credentials(),
    }).nullable().default(null).describe("Storage options per area (remote storage only)"),
    preprocessor_kwargs: obj({
      num_cpu: z.int().min(1).optional().describe("CPUs used by preprocessing"),
    }).nullable().default(null).describe("Preprocessing resources"),
    processor: rayOnly("Ray: distributed preprocessing"),
    trainer: DistributedTrainerSchema.nullable().default(null).describe(
      "Distributed training (type mpi or horovod): strategy and number of workers",
    ),
    loader: rayOnly("Ray: dataset loading"),
  }, { id: "backend", description: "Where and with which engine training runs" }),
);
