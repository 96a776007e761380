/** Shared helpers for the visualization tests: fixtures, the Vega-Lite schema validator. @module */

import Ajv from "ajv";
import type { Chart, VegaLiteSpec } from "../../lib/viz/chart.ts";
import {
  type RawLabels,
  readGroundTruth,
  readJson,
  readPredictions,
  readProbabilities,
  type TestStatistics,
  type TrainingSetMetadata,
  type TrainingStatistics,
} from "../../lib/viz/inputs.ts";

/** The fixture directory. */
export const FIXTURES = new URL("../fixtures/viz/", import.meta.url).pathname;

/** Path of a fixture file. */
export function fixture(name: string): string {
  return FIXTURES + name;
}

/** The simulated experiment in memory: two models, a category and a binary output feature. */
export interface Experiment {
  metadata: TrainingSetMetadata;
  training: TrainingStatistics[];
  test: TestStatistics[];
  animalProbabilities: number[][][];
  approvedProbabilities: number[][][];
  animalPredictions: RawLabels[];
  animalTruth: RawLabels;
  approvedTruth: RawLabels;
  modelNames: string[];
}

let experiment: Promise<Experiment> | undefined;

/** Load the fixtures once per test module. */
export function loadExperiment(): Promise<Experiment> {
  experiment ??= (async () => {
    const metadata = await readJson<TrainingSetMetadata>(fixture("training_set_metadata.json"));
    const models = ["a", "b"];
    return {
      metadata,
      training: await Promise.all(
        models.map((m) => readJson<TrainingStatistics>(fixture(`training_statistics_${m}.json`))),
      ),
      test: await Promise.all(
        models.map((m) => readJson<TestStatistics>(fixture(`test_statistics_${m}.json`))),
      ),
      animalProbabilities: await Promise.all(
        models.map((m) =>
          readProbabilities(fixture(`predictions_${m}.csv`), "animal", metadata.animal)
        ),
      ),
      approvedProbabilities: await Promise.all(
        models.map((m) =>
          readProbabilities(fixture(`predictions_${m}.csv`), "approved", metadata.approved)
        ),
      ),
      animalPredictions: await Promise.all(
        models.map((m) => readPredictions(fixture(`predictions_${m}.csv`), "animal")),
      ),
      animalTruth: await readGroundTruth(fixture("dataset.csv"), "animal", 2),
      approvedTruth: await readGroundTruth(fixture("dataset.csv"), "approved", 2),
      modelNames: models,
    };
  })();
  return experiment;
}

// deno-lint-ignore no-explicit-any
let validator: Promise<any> | undefined;

/** Errors of validating a spec against the Vega-Lite v5 JSON Schema shipped in vega-lite (draft-07). */
export async function schemaErrors(spec: VegaLiteSpec): Promise<string[]> {
  validator ??= (async () => {
    const schemaUrl = import.meta.resolve("vega-lite").replace(
      /build\/.*$/,
      "build/vega-lite-schema.json",
    );
    let text: string;
    try {
      text = await Deno.readTextFile(new URL(schemaUrl));
    } catch {
      text = await Deno.readTextFile(
        new URL("../../node_modules/vega-lite/build/vega-lite-schema.json", import.meta.url),
      );
    }
    const schema = JSON.parse(text);
    // deno-lint-ignore no-explicit-any
    const ajv = new (Ajv as any)({
      strict: false,
      allowUnionTypes: true,
      allErrors: false,
      logger: false,
    });
    for (const format of ["uri", "uri-reference", "color-hex"]) ajv.addFormat(format, true);
    return ajv.compile(schema);
  })();
  const validate = await validator;
  if (validate(spec)) return [];
  return (validate.errors ?? []).slice(0, 5).map((e: { instancePath: string; message: string }) =>
    `${e.instancePath || "/"} ${e.message}`
  );
}

/** Every leaf of a chart with the chart itself (composites validate as a whole too). */
export function chartsOf(chart: Chart): Chart[] {
  return chart.parts.length === 0 ? [chart] : [chart, ...chart.leaves()];
}

/** Data rows of the (first) layer that holds inline data named by a field. */
export function dataRows(spec: VegaLiteSpec, field: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const obj = node as Record<string, unknown>;
    const values = (obj.data as { values?: unknown[] } | undefined)?.values;
    if (
      Array.isArray(values) && values.length > 0 && typeof values[0] === "object" &&
      field in (values[0] as object)
    ) {
      found.push(...(values as Record<string, unknown>[]));
    }
    for (const [key, value] of Object.entries(obj)) if (key !== "data") visit(value);
  };
  visit(spec);
  return found;
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "sonata_viz_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
