/**
 * Global preprocessing (reference §0): sampling, class balancing and the split.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { encodeIssue, obj, typeUnion } from "./fields.ts";

const probabilities = () =>
  z.array(z.number().min(0).max(1)).length(3).default([0.7, 0.1, 0.2]).refine(
    (p) => Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-6,
    {
      error: (issue) =>
        encodeIssue({
          code: "invalid_value",
          expected: "probabilities that sum to 1",
          received: `${JSON.stringify(issue.input)} (sum ${
            (issue.input as number[]).reduce((a, b) => a + b, 0)
          })`,
        }),
    },
  ).describe("Fractions of rows for training, validation and test");

/** The split strategies. */
export const SPLITS = [
  obj({ type: z.literal("random"), probabilities: probabilities() }, {
    id: "split.random",
    description: "Random split (seeded by the run's random seed)",
  }),
  obj({
    type: z.literal("fixed"),
    column: z.string().default("split").describe("Column with 0/1/2 for train/validation/test"),
  }, { id: "split.fixed", description: "Split given by a column" }),
  obj({
    type: z.literal("stratify"),
    column: z.string().describe("Column whose class proportions are kept in every split"),
    probabilities: probabilities(),
  }, { id: "split.stratify", description: "Random split keeping class proportions" }),
  obj({
    type: z.literal("datetime"),
    column: z.string().describe("Date column: the earliest rows train, the latest test"),
    probabilities: probabilities(),
    datetime_format: z.string().nullable().default(null).describe("Format of the dates"),
  }, { id: "split.datetime", description: "Time-ordered split" }),
  obj({
    type: z.literal("hash"),
    column: z.string().describe("Id column hashed to assign each row deterministically"),
    probabilities: probabilities(),
  }, { id: "split.hash", description: "Deterministic split by the hash of an id column" }),
] as const;

/** The global `preprocessing` section. */
export const GlobalPreprocessingSchema = obj({
  sample_ratio: z.number().gt(0).max(1).default(1).describe("Fraction of rows to use"),
  sample_size: z.int().min(1).nullable().default(null).describe("Number of rows to use"),
  oversample_minority: z.number().gt(0).max(1).nullable().default(null).describe(
    "Oversample the minority class of a binary output to this ratio",
  ),
  undersample_majority: z.number().gt(0).max(1).nullable().default(null).describe(
    "Undersample the majority class of a binary output to this ratio",
  ),
  split: typeUnion(SPLITS, { kind: "split", defaultType: "random" }).describe(
    "How rows are divided into training, validation and test",
  ),
  global_max_sequence_length: z.int().min(1).nullable().default(null).describe(
    "Cap on the summed sequence length of all features",
  ),
}, { id: "preprocessing", description: "Dataset-wide preprocessing" });
