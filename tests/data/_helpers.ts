/** Shared helpers for the data tests. @module */

import assert from "node:assert/strict";
import { DataError } from "../../lib/data/errors.ts";

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "sonata_data_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts that `fn` throws (or rejects with) a DataError with exactly this message. */
export async function assertDataError(
  fn: () => unknown,
  message: string | RegExp,
  fields: Partial<Pick<DataError, "file" | "column" | "row" | "line" | "featureType">> = {},
): Promise<DataError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DataError, `expected a DataError, got ${caught}`);
  assert.ok(caught instanceof TypeError);
  if (typeof message === "string") assert.equal(caught.message, message);
  else assert.match(caught.message, message);
  for (const [key, value] of Object.entries(fields)) {
    assert.equal((caught as unknown as Record<string, unknown>)[key], value, `field ${key}`);
  }
  return caught;
}

/** The fixtures folder of the data tests. */
export const FIXTURES = new URL("../fixtures/data/", import.meta.url).pathname;
