import { deepStrictEqual as assertEquals, ok, rejects, throws } from "node:assert/strict";
import { ready, tf } from "../../lib/compute/mod.ts";
import {
  decodeTfjsWeights,
  readTfjsModel,
  type TfjsManifestGroup,
} from "../../lib/pretrained/tfjs.ts";
import { float32ToFloat16, WeightsError } from "../../lib/pretrained/tensor.ts";
import { nsfwjsModelDir, writeNsfwjsModelFolder } from "./_nsfwjs.ts";

function concat(...parts: ArrayBufferView[]): Uint8Array {
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
}

const MANIFEST: TfjsManifestGroup[] = [
  {
    paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"],
    weights: [
      { name: "dense/kernel", shape: [2, 2], dtype: "float32" },
      { name: "ids", shape: [3], dtype: "int32" },
      { name: "flags", shape: [2], dtype: "bool" },
    ],
  },
  {
    paths: ["group2-shard1of1.bin"],
    weights: [
      {
        name: "q8",
        shape: [3],
        dtype: "float32",
        quantization: { dtype: "uint8", scale: 0.25, min: -1 },
      },
      {
        name: "q16",
        shape: [2],
        dtype: "float32",
        quantization: { dtype: "uint16", scale: 0.5, min: 2 },
      },
      { name: "f16", shape: [2], dtype: "float32", quantization: { dtype: "float16" } },
      {
        name: "qint",
        shape: [2],
        dtype: "int32",
        quantization: { dtype: "uint8", scale: 1.5, min: 0, original_dtype: "int32" },
      },
    ],
  },
];

const GROUP1 = concat(
  new Float32Array([1, -2, 3.5, 4]),
  new Int32Array([7, -8, 9]),
  new Uint8Array([1, 0]),
);
function group2(): Uint8Array {
  return concat(
    new Uint8Array([0, 4, 8]),
    new Uint16Array([2, 6]),
    float32ToFloat16(new Float32Array([0.5, -3])),
    new Uint8Array([1, 3]),
  );
}

Deno.test("decodeTfjsWeights() decodes plain and quantized weights", () => {
  const tensors = decodeTfjsWeights(MANIFEST, [GROUP1, group2()]);
  const view = (name: string) => {
    const t = tensors.get(name)!;
    return [t.dtype, t.shape, [...t.data]];
  };
  assertEquals(view("dense/kernel"), ["F32", [2, 2], [1, -2, 3.5, 4]]);
  assertEquals(view("ids"), ["I32", [3], [7, -8, 9]]);
  assertEquals(view("flags"), ["BOOL", [2], [1, 0]]);
  assertEquals(view("q8"), ["F32", [3], [-1, 0, 1]]);
  assertEquals(view("q16"), ["F32", [2], [3, 5]]);
  assertEquals(view("f16"), ["F32", [2], [0.5, -3]]);
  assertEquals(view("qint"), ["I32", [2], [2, 5]]);
});

Deno.test("decodeTfjsWeights() names the weight and group when bytes are missing or extra", () => {
  throws(
    () => decodeTfjsWeights(MANIFEST, [GROUP1.subarray(0, 20), group2()], "m/model.json"),
    (e: Error) =>
      e instanceof WeightsError && e.message.includes('"m/model.json": tensor "ids"') &&
      e.message.includes("end early"),
  );
  throws(
    () => decodeTfjsWeights(MANIFEST, [concat(GROUP1, new Uint8Array(4)), group2()]),
    /group 0 .* hold 34 bytes, the manifest describes 30/,
  );
  throws(
    () =>
      decodeTfjsWeights([{ paths: ["a"], weights: [{ name: "s", shape: [1], dtype: "string" }] }], [
        new Uint8Array(4),
      ]),
    /tensor "s": unsupported dtype "string"/,
  );
  throws(() => decodeTfjsWeights(MANIFEST, [GROUP1]), /1 weight groups given for 2/);
});

Deno.test("readTfjsModel() reads a folder with sharded groups", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/model.json`,
      JSON.stringify({
        format: "layers-model",
        modelTopology: { class_name: "Sequential" },
        weightsManifest: MANIFEST,
      }),
    );
    await Deno.writeFile(`${dir}/group1-shard1of2.bin`, GROUP1.subarray(0, 10));
    await Deno.writeFile(`${dir}/group1-shard2of2.bin`, GROUP1.subarray(10));
    await Deno.writeFile(`${dir}/group2-shard1of1.bin`, group2());
    const model = await readTfjsModel(dir);
    assertEquals([model.format, model.modelTopology, model.tensors.size], [
      "layers-model",
      { class_name: "Sequential" },
      7,
    ]);
    assertEquals([...model.tensors.get("dense/kernel")!.data], [1, -2, 3.5, 4]);
    await Deno.remove(`${dir}/group2-shard1of1.bin`);
    await rejects(
      readTfjsModel(`${dir}/model.json`),
      /cannot read the weight shard "group2-shard1of1\.bin"/,
    );
    await Deno.writeTextFile(`${dir}/model.json`, "{}");
    await rejects(readTfjsModel(dir), /has no "weightsManifest"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const NSFWJS = await nsfwjsModelDir();

Deno.test({
  name: "readTfjsModel() reads nsfwjs's real MobileNetV2 weights as TF.js decodes them",
  ignore: NSFWJS === null,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      ok(await writeNsfwjsModelFolder(dir));
      const model = await readTfjsModel(dir);
      assertEquals(model.tensors.size, 266);
      const names = [...model.tensors.keys()];
      assertEquals(names.slice(0, 3), ["Conv1/kernel", "Conv_1/kernel", "Conv_1_bn/gamma"]);
      assertEquals(model.tensors.get("Conv1/kernel")!.shape, [3, 3, 3, 32]);
      assertEquals(model.tensors.get("expanded_conv_depthwise/depthwise_kernel")!.shape, [
        3,
        3,
        32,
        1,
      ]);
      const kernel = model.tensors.get("Conv1/kernel")!.data as Float32Array;
      assertEquals(Number(kernel[0].toFixed(6)), -0.220003);
      // The sum computed independently in Python from the base64 shard (uint8 * scale + min).
      const sum = kernel.reduce((s, v) => s + v, 0);
      ok(Math.abs(sum - -5.333405417390168) < 1e-9, `checksum ${sum}`);
      // Every tensor equals TF.js's own decoding of the same manifest and bytes.
      const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
      const specs = json.weightsManifest.flatMap((g: TfjsManifestGroup) => g.weights);
      const bytes = await Deno.readFile(`${dir}/group1-shard1of1.bin`);
      await ready({ compute: "cpu", quiet: true });
      const reference = tf.io.decodeWeights(bytes.slice().buffer, specs);
      for (const [name, t] of model.tensors) {
        const ref = reference[name];
        assertEquals(t.shape, ref.shape, name);
        const a = t.data as Float32Array;
        const b = ref.dataSync() as Float32Array;
        for (let i = 0; i < a.length; i++) {
          if (a[i] !== b[i]) throw new Error(`${name}[${i}]: ${a[i]} vs TF.js ${b[i]}`);
        }
      }
      tf.dispose(Object.values(reference));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
