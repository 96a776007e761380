import { deepStrictEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import {
  ConfigSyntaxError,
  ConfigValidationError,
  loadConfig,
  resolveConfig,
  validateConfig,
} from "../../lib/config/mod.ts";

const FIXTURES = new URL("../fixtures/configs/", import.meta.url);

async function yamlFiles(dir: URL): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
}

Deno.test("loadConfig() accepts every valid fixture and freezes the result", async (t) => {
  for (const name of await yamlFiles(new URL("valid/", FIXTURES))) {
    await t.step(name, async () => {
      const config = await loadConfig(new URL(`valid/${name}`, FIXTURES).pathname);
      ok(Object.isFrozen(config));
      ok(Object.isFrozen(config.input_features[0]));
      ok(config.input_features.length > 0);
      equal(typeof config.trainer.validation_metric, "string");
    });
  }
});

Deno.test("loadConfig() renders each invalid fixture's issues exactly", async (t) => {
  for (const name of await yamlFiles(new URL("invalid/", FIXTURES))) {
    await t.step(name, async () => {
      const path = new URL(`invalid/${name}`, FIXTURES).pathname;
      const expected = await readFile(path.replace(/\.yaml$/, ".expected.txt"), "utf8");
      const error = await loadConfig(path).then(() => undefined, (e: Error) => e);
      ok(error instanceof ConfigValidationError || error instanceof ConfigSyntaxError);
      // The fixture was rendered with a relative path; compare from the first colon on.
      const strip = (s: string) => s.trim().replace(/"[^"]*\.yaml"/, '"FILE"');
      equal(strip(error.message), strip(expected));
    });
  }
});

Deno.test("validateConfig() never mutates its input", async (t) => {
  for (const name of await yamlFiles(new URL("valid/", FIXTURES))) {
    await t.step(name, async () => {
      const { parseConfigText } = await import("../../lib/config/mod.ts");
      const text = await readFile(new URL(`valid/${name}`, FIXTURES), "utf8");
      const input = parseConfigText(text) as Record<string, unknown>;
      const before = structuredClone(input);
      validateConfig(input);
      deepStrictEqual(input, before);
    });
  }
});

Deno.test("validateConfig() fills every default and resolves the validation target", () => {
  const config = validateConfig({
    input_features: [{ name: "age", type: "number" }, { name: "review", type: "text" }],
    output_features: [{ name: "label", type: "category" }, { name: "score", type: "number" }],
  });
  equal(config.model_type, "ecd");
  equal(config.input_features[0].column, "age");
  equal(config.input_features[1].encoder.type, "parallel_cnn");
  equal(config.output_features[0].decoder.type, "classifier");
  equal(config.output_features[0].loss.type, "softmax_cross_entropy");
  equal(config.output_features[0].preprocessing.missing_value_strategy, "drop_row");
  equal(config.input_features[0].preprocessing.missing_value_strategy, "fill_with_const");
  equal(config.combiner.type, "concat");
  equal(config.trainer.batch_size, "auto");
  equal(config.trainer.optimizer.type, "adam");
  deepStrictEqual(config.preprocessing.split, { type: "random", probabilities: [0.7, 0.1, 0.2] });
  equal(config.trainer.validation_field, "label");
  equal(config.trainer.validation_metric, "accuracy");
  equal(config.backend.compute, "auto");
});

Deno.test("validation_metric alone picks the one feature that reports it", () => {
  const base = {
    input_features: [{ name: "x", type: "number" }],
    output_features: [{ name: "a", type: "category" }, { name: "b", type: "number" }],
  };
  const config = validateConfig({ ...base, trainer: { validation_metric: "r2" } });
  equal(config.trainer.validation_field, "b");
  throws(
    () => validateConfig({ ...base, trainer: { validation_metric: "jaccard" } }),
    /validation_metric "jaccard" is not reported by any output feature/,
  );
  throws(
    () =>
      validateConfig({
        ...base,
        output_features: [{ name: "a", type: "number" }, { name: "b", type: "number" }],
        trainer: { validation_metric: "r2" },
      }),
    /reported by output features "a" and "b": set trainer.validation_field/,
  );
  throws(
    () =>
      validateConfig({
        ...base,
        trainer: { validation_field: "combined", validation_metric: "accuracy" },
      }),
    /expected "loss"/,
  );
});

Deno.test("defaults merge with Ludwig's rules", () => {
  const config = validateConfig({
    input_features: [
      { name: "a", type: "text" },
      { name: "b", type: "text", encoder: { type: "rnn", reduce_output: null } },
      { name: "c", type: "text", encoder: { num_filters: 8 } },
    ],
    output_features: [{ name: "y", type: "text", decoder: "tagger" }],
    combiner: { type: "sequence_concat" },
    defaults: {
      text: {
        preprocessing: { most_common: 10 },
        encoder: { type: "parallel_cnn", num_filters: 32, reduce_output: null },
        decoder: { type: "generator", cell_type: "lstm" },
      },
    },
  });
  const [a, b, c] = config.input_features as unknown as Record<string, Record<string, unknown>>[];
  equal(a.encoder.num_filters, 32);
  equal(b.encoder.type, "rnn"); // a different type replaces the default block wholesale
  equal(b.encoder.num_filters, undefined);
  equal(b.encoder.state_size, 256);
  equal(c.encoder.num_filters, 8);
  equal(c.encoder.reduce_output, null);
  equal(a.preprocessing.most_common, 10);
  const y = config.output_features[0] as unknown as Record<string, Record<string, unknown>>;
  equal(y.decoder.type, "tagger"); // decoder type differs from the default: replaced
  equal(y.preprocessing.most_common, 20000); // outputs ignore preprocessing defaults
  equal(y.reduce_input, null); // tagger forces reduce_input null
  equal((config.defaults.text as Record<string, Record<string, unknown>>).encoder.num_filters, 32);
});

Deno.test("text lowercase defaults to true for configs written for Ludwig before 0.9", () => {
  const make = (ludwig_version?: string) =>
    validateConfig({
      ...(ludwig_version ? { ludwig_version } : {}),
      input_features: [{ name: "t", type: "text" }],
      output_features: [{ name: "y", type: "binary" }],
    }).input_features[0].preprocessing as Record<string, unknown>;
  equal(make("0.8.6").lowercase, true);
  equal(make("0.9.1").lowercase, false);
  equal(make().lowercase, false);
});

Deno.test("resolveConfig() upgrades old layouts and reports each change", async () => {
  const { config, upgrades } = await resolveConfig(
    new URL("valid/ludwig_0_4_flat.yaml", FIXTURES).pathname,
  );
  const changes = upgrades.map((u) => u.change).join("\n");
  ok(changes.includes("training -> trainer"));
  ok(changes.includes("type numerical -> number"));
  const [utterance, hour] = config.input_features as unknown as Record<
    string,
    Record<string, unknown>
  >[];
  equal(hour.type, "number");
  equal(utterance.encoder.type, "rnn");
  equal(utterance.encoder.cell_type, "lstm");
  equal(utterance.encoder.state_size, 64);
  equal(utterance.preprocessing.tokenizer, "space");
  equal(utterance.preprocessing.most_common, 2000);
  equal(utterance.preprocessing.max_sequence_length, 64);
  equal(hour.preprocessing.missing_value_strategy, "bfill");
  const decoder = config.output_features[0].decoder as Record<string, unknown>;
  equal(decoder.fc_output_size, 64);
  equal(decoder.num_fc_layers, 1);
  equal(decoder.fc_dropout, 0.2);
  equal(config.trainer.epochs, 7);
  equal(config.trainer.max_batch_size, 512);
  equal(config.trainer.learning_rate_scheduler.decay, "exponential");
  equal(config.trainer.learning_rate_scheduler.decay_rate, 0.9);
  equal(config.trainer.learning_rate_scheduler.reduce_on_plateau, 2);
  deepStrictEqual(config.preprocessing.split, { type: "random", probabilities: [0.8, 0.1, 0.1] });
  equal((config.defaults.category.preprocessing as Record<string, unknown>).most_common, 50);
});

Deno.test("upgrades: 0.5 hyperopt sampler, split keys, bias names; current layouts untouched", () => {
  const config = validateConfig({
    input_features: [{ name: "x", type: "number", encoder: { type: "dense", bias: false } }],
    output_features: [{ name: "y", type: "category" }],
    preprocessing: { force_split: false },
    hyperopt: {
      sampler: { type: "random", num_samples: 5 },
      parameters: { "training.learning_rate": { space: "uniform", lower: 0.001, upper: 0.1 } },
    },
  });
  equal((config.input_features[0].encoder as Record<string, unknown>).use_bias, false);
  deepStrictEqual(config.preprocessing.split, { type: "fixed", column: "split" });
  equal(config.hyperopt?.search_alg.type, "random");
  equal(config.hyperopt?.executor.num_samples, 5);
  ok(config.hyperopt && "trainer.learning_rate" in config.hyperopt.parameters);
  // A config that declares a current version is not upgraded: old keys are errors there.
  throws(
    () =>
      validateConfig({
        ludwig_version: "0.8",
        input_features: [{ name: "x", type: "number" }],
        output_features: [{ name: "y", type: "category" }],
        training: { epochs: 2 },
      }),
    /\(root\)|training: unrecognized key/,
  );
});

Deno.test("hyperopt non-FIFO schedulers disable early stopping and sync epochs", () => {
  const config = validateConfig({
    input_features: [{ name: "x", type: "number" }],
    output_features: [{ name: "y", type: "binary" }],
    hyperopt: { executor: { scheduler: { type: "async_hyperband", max_t: 12 } } },
  });
  equal(config.trainer.early_stop, -1);
  equal(config.trainer.epochs, 12);
});

Deno.test("loadConfig() reads JSON, YAML text, objects, paths and file URLs alike", async () => {
  const object = {
    input_features: [{ name: "x", type: "number" }],
    output_features: [{ name: "y", type: "binary" }],
  };
  const fromObject = await loadConfig(object);
  deepStrictEqual(await loadConfig(JSON.stringify(object)), fromObject);
  deepStrictEqual(
    await loadConfig(
      "input_features: [{name: x, type: number}]\noutput_features: [{name: y, type: binary}]\n",
    ),
    fromObject,
  );
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify(object));
  deepStrictEqual(await loadConfig(`${dir}/c.json`), fromObject);
  deepStrictEqual(await loadConfig(new URL(`file://${dir}/c.json`)), fromObject);
  await rejects(
    loadConfig(`${dir}/missing.yaml`),
    /Cannot parse config ".*missing.yaml": no such file/,
  );
  await rejects(
    loadConfig("a: [1,\n"),
    (e: Error) => e instanceof ConfigSyntaxError && e.line !== undefined,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("issues carry structure: path, code, suggestion", () => {
  try {
    validateConfig({
      input_features: [{ name: "x", type: "number", encodr: "dense" }],
      output_features: [{ name: "y", type: "binary" }],
    });
    throw new Error("expected a ConfigValidationError");
  } catch (error) {
    ok(error instanceof ConfigValidationError);
    deepStrictEqual(error.issues[0].path, ["input_features", 0, "encodr"]);
    equal(error.issues[0].code, "unknown_key");
    equal(error.issues[0].suggestion, "encoder");
    ok(error instanceof TypeError);
  }
});
