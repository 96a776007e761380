/** Shared helpers of the pretrained-weights tests: fixture paths and value comparison. */
import { deepStrictEqual, ok } from "node:assert/strict";
import { type NamedTensors, toFloat32 } from "../../lib/pretrained/tensor.ts";

/** The fixtures folder. */
export const FIXTURES = new URL("../fixtures/pretrained/", import.meta.url).pathname;

/** One tensor as `_generate.py` describes it. */
export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: number[];
}

/** The generator's `expected.json`. */
export const EXPECTED: Record<string, unknown> = JSON.parse(
  await Deno.readTextFile(`${FIXTURES}expected.json`),
);

/** Assert that tensors hold exactly the expected names, dtypes, shapes and every value. */
export function assertTensors(
  tensors: NamedTensors,
  expected: Record<string, ExpectedTensor>,
): void {
  deepStrictEqual([...tensors.keys()].sort(), Object.keys(expected).sort());
  for (const [name, e] of Object.entries(expected)) {
    const t = tensors.get(name)!;
    deepStrictEqual([name, t.dtype, t.shape], [name, e.dtype, e.shape]);
    const values = t.dtype === "I64"
      ? [...(t.data as BigInt64Array)].map(Number)
      : t.dtype === "F64"
      ? [...(t.data as Float64Array)]
      : [...toFloat32(t)];
    deepStrictEqual(values.length, e.values.length, name);
    for (let i = 0; i < values.length; i++) {
      // float32 values round-trip exactly through float64 JSON; others are exact too.
      ok(
        Math.fround(values[i]) === Math.fround(e.values[i]),
        `${name}[${i}]: ${values[i]} vs ${e.values[i]}`,
      );
    }
  }
}

/** A copy of a fixture in a temporary folder, optionally transformed. */
export async function tempCopy(
  name: string,
  transform: (bytes: Uint8Array) => Uint8Array = (b) => b,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sonata_pretrained_" });
  const path = `${dir}/${name}`;
  await Deno.writeFile(path, transform(await Deno.readFile(`${FIXTURES}${name}`)));
  return path;
}

/** Remove the folder of a {@linkcode tempCopy}. */
export async function removeCopy(path: string): Promise<void> {
  await Deno.remove(path.slice(0, path.lastIndexOf("/")), { recursive: true });
}
