/**
 * Shared pieces of the decoder tests: resolved decoder configs from the registry, the cpu
 * backend, a deterministic random source and a save→load round trip in memory.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../../lib/compute/mod.ts";
import { DECODERS } from "../../lib/decoders/mod.ts";
import type { DecoderImpl } from "../../lib/model/component.ts";

/** Select the cpu backend once. */
export async function cpu(): Promise<void> {
  if (tf.getBackend() !== "cpu") await tf.setBackend("cpu");
}

/** The fully defaulted config of a decoder type. */
export function resolve(input: Record<string, unknown>): Record<string, unknown> {
  const entry = DECODERS.find((d) => d.type === input.type);
  assert.ok(entry, `no decoder ${input.type}`);
  return (entry.schema as unknown as { parse(v: unknown): Record<string, unknown> }).parse(input);
}

/** The implementation of a decoder type (through its registry entry's `load`). */
export async function loadImpl(type: string): Promise<DecoderImpl> {
  const entry = DECODERS.find((d) => d.type === type);
  assert.ok(entry?.load, `decoder ${type} has no load()`);
  return await entry.load() as unknown as DecoderImpl;
}

/** A seeded uniform [0, 1) source. */
export function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Save a model to memory and load it back. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  return await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}
