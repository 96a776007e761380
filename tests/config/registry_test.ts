// Contract tests over every registry entry (the meta-test of STYLE B9): each entry's defaults
// parse, round-trip through JSON unchanged, and the entry appears in the model schema.
import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { z } from "zod";
import {
  allCombiners,
  allDecoders,
  allEncoders,
  allFeatures,
  allLosses,
  defineEncoder,
  registerEncoder,
  validateConfig,
} from "../../lib/config/mod.ts";
import { obj } from "../../lib/config/fields.ts";

Deno.test("every component entry's defaults parse and round-trip through JSON", async (t) => {
  const entries = [...allEncoders(), ...allDecoders(), ...allCombiners(), ...allLosses()];
  ok(entries.length >= 40);
  for (const entry of entries) {
    await t.step(`${entry.kind} ${entry.type}`, () => {
      const required: Record<string, unknown> = { type: entry.type };
      if ("entity_1" in entry.schema.shape) {
        Object.assign(required, { entity_1: ["a"], entity_2: ["b"] });
      }
      const parsed = entry.schema.parse(required);
      deepStrictEqual(entry.schema.parse(JSON.parse(JSON.stringify(parsed))), parsed);
      throws(() => entry.schema.parse({ ...required, not_a_key: 1 }));
    });
  }
});

Deno.test("every encoder and decoder is reachable from a config of its feature types", async (t) => {
  for (const entry of allEncoders()) {
    for (const featureType of entry.featureTypes) {
      await t.step(`${featureType} encoder ${entry.type}`, () => {
        const config = validateConfig({
          input_features: [{ name: "x", type: featureType, encoder: entry.type }],
          output_features: [{ name: "y", type: "binary" }],
        });
        equal(config.input_features[0].encoder.type, entry.type);
      });
    }
  }
  for (const entry of allDecoders()) {
    for (const featureType of entry.featureTypes) {
      await t.step(`${featureType} decoder ${entry.type}`, () => {
        const rank3 = entry.capabilities.needsSequenceInput;
        const config = validateConfig({
          input_features: [{
            name: "x",
            type: "sequence",
            encoder: { type: "embed", reduce_output: rank3 ? null : "sum" },
          }],
          output_features: [{ name: "y", type: featureType, decoder: entry.type }],
          combiner: rank3 ? "sequence_concat" : "concat",
        });
        equal(config.output_features[0].decoder.type, entry.type);
      });
    }
  }
});

Deno.test("every feature entry has schemas for the roles it declares", () => {
  for (const f of allFeatures()) {
    ok(f.input || f.output, f.type);
    if (f.input) ok(f.input.preprocessing.parse({}));
    if (f.output) {
      ok(f.output.preprocessing.parse({}));
      ok(
        f.output.defaultValidationMetric === "loss" ||
          f.output.defaultValidationMetric in f.output.metrics,
      );
    }
  }
});

Deno.test("registerEncoder() adds a namespaced encoder to validation", () => {
  const fancy = defineEncoder({
    schema: obj({ type: z.literal("acme/fancy"), width: z.int().min(1).default(4) }),
    featureTypes: ["number"],
    capabilities: { outputRank: () => 2 },
  });
  throws(() =>
    registerEncoder(defineEncoder({
      schema: obj({ type: z.literal("fancy") }),
      featureTypes: ["number"],
      capabilities: { outputRank: () => 2 },
    })), /must be namespaced/);
  registerEncoder(fancy);
  const config = validateConfig({
    input_features: [{ name: "x", type: "number", encoder: { type: "acme/fancy" } }],
    output_features: [{ name: "y", type: "binary" }],
  });
  equal(config.input_features[0].encoder.width, 4);
  throws(() => registerEncoder(fancy), /already registered/);
});
