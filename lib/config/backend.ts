/**
 * The backend section (reference §10) plus `compute`, Sonata's engine choice.
 *
 * @module
 */
import { z } from "zod";
import { choice, encodeIssue, obj } from "./fields.ts";

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

/** The backend section. */
export const BackendSchema = z.preprocess(
  (value) => (typeof value === "string" ? { type: value } : value),
  obj({
    type: choice(["local"] as const, {
      kind: "backend",
      ludwigOnly: ["ray", "horovod", "deepspeed"],
    }).default("local").describe("Where training runs"),
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
    trainer: rayOnly("Ray: distributed training strategy"),
    loader: rayOnly("Ray: dataset loading"),
  }, { id: "backend", description: "Where and with which engine training runs" }),
);
