import { deepEqual, equal, throws } from "node:assert/strict";
import { applyParameter, trialConfig } from "../../lib/hyperopt/config.ts";
import { resolveConfigValue } from "../../lib/config/load.ts";

// Trial configs are plain JSON; the test reads nested keys freely.
// deno-lint-ignore no-explicit-any
type Cfg = Record<string, any>;

const BASE = {
  input_features: [{ name: "title", type: "text", encoder: { type: "parallel_cnn" } }, {
    name: "age",
    type: "number",
  }],
  output_features: [{ name: "label", type: "category" }],
  combiner: { type: "concat", output_size: 32 },
  trainer: { epochs: 5 },
  hyperopt: { parameters: { "trainer.learning_rate": { space: "uniform", lower: 0, upper: 1 } } },
};

Deno.test("trial configs: sections, features by name, defaults, nested groups", () => {
  const c = trialConfig(BASE, {
    "trainer.learning_rate": 0.01,
    "combiner.output_size": 64,
    "title.encoder.num_filters": 16,
    "defaults.number.preprocessing.normalization": "minmax",
    "trainer.optimizer": { type: "sgd", momentum: 0.5 },
    ".": { combiner: { num_fc_layers: 2 }, trainer: { batch_size: 16 } },
  }) as Cfg;
  equal(c.hyperopt, undefined);
  equal(c.trainer.learning_rate, 0.01);
  equal(c.trainer.batch_size, 16);
  equal(c.trainer.epochs, 5);
  deepEqual(c.combiner, { type: "concat", output_size: 64, num_fc_layers: 2 });
  deepEqual(c.input_features[0].encoder, { type: "parallel_cnn", num_filters: 16 });
  equal(c.defaults.number.preprocessing.normalization, "minmax");
  deepEqual(c.trainer.optimizer, { type: "sgd", momentum: 0.5 });
  equal((BASE.trainer as Record<string, unknown>).learning_rate, undefined); // base untouched
  // The trial config goes through the normal pipeline.
  const resolved = resolveConfigValue(c).config;
  equal(resolved.trainer.learning_rate, 0.01);
});

Deno.test("trial configs: a pruning scheduler's budget; impossible paths are named", () => {
  const c = trialConfig(BASE, {}, { maxEpochs: 7 }) as Cfg;
  equal(c.trainer.epochs, 7);
  equal(c.trainer.early_stop, -1);
  const bad = structuredClone(BASE) as Cfg;
  bad.combiner = 3;
  throws(() => applyParameter(bad, "combiner.output_size", 1), /"combiner" is not a section/);
  throws(() => applyParameter(bad, ".", 5), /values must be dicts/);
});
