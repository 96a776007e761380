/**
 * Helpers of helper V3's torchvision tests (convnext, vit, swin_transformer, maxvit): load a
 * weights file holding exactly the entries of torchvision's full state_dict (heads and
 * `relative_position_index` buffers included, from `<family>_keys.json`) through the family's
 * `ignoreWeights`, then compare with the fixture of tests/fixtures/torchvision.
 */
import assert from "node:assert/strict";
import { tf } from "../../../lib/compute/mod.ts";
import {
  applyStateDict,
  type FamilyTable,
  formulaInput,
  formulaValues,
  torchWeightTargets,
} from "../../../lib/encoders/torchvision/_core.ts";
import { type NamedTensors, readWeights, writeSafetensors } from "../../../lib/pretrained/mod.ts";
import { readFixture, relativeError, torchOrder } from "./_fixture.ts";

/** `[name, torch shape, dtype]` of every state_dict entry of a torchvision model. */
export type StateDictKeys = [string, number[], "F32" | "I64"][];

/** The state_dict entries of `family`'s `variant` (tests/fixtures/torchvision/<type>_keys.json). */
export async function readKeys(family: FamilyTable, variant: string): Promise<StateDictKeys> {
  const url = new URL(`../../fixtures/torchvision/${family.type}_keys.json`, import.meta.url);
  const doc = JSON.parse(await Deno.readTextFile(url)) as Record<string, StateDictKeys>;
  assert.ok(doc[variant], `${family.type}_keys.json lacks ${variant}`);
  return doc[variant];
}

/**
 * Tensors named and shaped as torchvision's state_dict: the formula's values for the entries
 * the model has (same roles as `formulaStateDict`), zeros for the others (heads, index buffers).
 */
export function torchvisionTensors(model: tf.LayersModel, keys: StateDictKeys): NamedTensors {
  const targets = torchWeightTargets(model);
  const out: NamedTensors = new Map();
  for (const [name, shape, dtype] of keys) {
    const n = shape.reduce((a, d) => a * d, 1);
    const target = targets.get(name);
    if (dtype === "I64") out.set(name, { dtype, shape, data: new BigInt64Array(n) });
    else if (target === undefined) out.set(name, { dtype, shape, data: new Float32Array(n) });
    else out.set(name, { dtype, shape, data: formulaValues(name, shape, target.role) });
  }
  return out;
}

/**
 * Builds `variant` on the fixture `stem`'s input, makes torchvision's full state_dict (formula
 * values) — written to a safetensors file and read back when `viaFile` — loads it through
 * `applyStateDict` with the family's `ignoreWeights`, runs the fixture's input and returns the
 * relative error against torch.
 */
export async function compareThroughTorchvisionNames(
  family: FamilyTable,
  variant: string,
  stem: string,
  { viaFile = false }: { viaFile?: boolean } = {},
): Promise<{ error: number; shape: number[]; loaded: number }> {
  const fixture = await readFixture(stem);
  const [, c, h, w] = fixture.input_shape;
  const input = tf.input({ shape: [h, w, c] });
  const model = tf.model({ inputs: input, outputs: family.build(input, variant) });
  const path = viaFile ? await Deno.makeTempFile({ suffix: ".safetensors" }) : null;
  try {
    let tensors = torchvisionTensors(model, await readKeys(family, variant));
    if (path !== null) {
      await writeSafetensors(path, tensors);
      tensors = await readWeights(path);
    }
    const loaded = applyStateDict(model, tensors, {
      ignore: family.ignoreWeights,
      file: path ?? `${family.type}_${variant}.pth`,
    });
    const x = formulaInput(fixture.input_shape);
    const y = model.predict(x) as tf.Tensor;
    const got = torchOrder(y);
    const shape = [...y.shape];
    tf.dispose([x, y]);
    return { error: relativeError(fixture, got), shape, loaded };
  } finally {
    model.dispose();
    if (path !== null) await Deno.remove(path);
  }
}
