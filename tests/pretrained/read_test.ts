import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { detectWeightsFormat, readWeights } from "../../lib/pretrained/read.ts";
import { assertTensors, EXPECTED, type ExpectedTensor, FIXTURES } from "./_fixtures.ts";

Deno.test("detectWeightsFormat() tells the formats apart by content", async () => {
  assertEquals(await detectWeightsFormat(`${FIXTURES}state_dict.pth`), "torch");
  assertEquals(await detectWeightsFormat(`${FIXTURES}legacy.pth`), "torch");
  assertEquals(await detectWeightsFormat(`${FIXTURES}tensors.safetensors`), "safetensors");
  assertEquals(await detectWeightsFormat(FIXTURES), "tfjs");
  const renamed = await Deno.makeTempFile({ suffix: ".bin" });
  try {
    await Deno.copyFile(`${FIXTURES}tensors.safetensors`, renamed);
    assertEquals(await detectWeightsFormat(renamed), "safetensors");
    await Deno.writeTextFile(renamed, "hello");
    assertEquals(await detectWeightsFormat(renamed), "torch");
  } finally {
    await Deno.remove(renamed);
  }
  const unknown = await Deno.makeTempFile({ suffix: ".txt" });
  try {
    await Deno.writeTextFile(unknown, "hello world");
    await rejects(detectWeightsFormat(unknown), /unknown weights format/);
  } finally {
    await Deno.remove(unknown);
  }
  await rejects(detectWeightsFormat(`${FIXTURES}none.pth`), /none\.pth": the path does not exist/);
});

Deno.test("readWeights() reads torch and safetensors files alike", async () => {
  assertTensors(
    await readWeights(`${FIXTURES}state_dict.pth`),
    EXPECTED["state_dict.pth"] as Record<string, ExpectedTensor>,
  );
  assertTensors(
    await readWeights(`${FIXTURES}tensors.safetensors`),
    EXPECTED["tensors.safetensors"] as Record<string, ExpectedTensor>,
  );
});

Deno.test("readWeights() reads a sharded checkpoint through its index", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(
      `${FIXTURES}tensors.safetensors`,
      `${dir}/model-00001-of-00002.safetensors`,
    );
    await Deno.copyFile(`${FIXTURES}checkpoint.pth`, `${dir}/model-00002-of-00002.bin`);
    const expected = {
      ...(EXPECTED["tensors.safetensors"] as Record<string, ExpectedTensor>),
      ...(EXPECTED["checkpoint.pth"] as Record<string, ExpectedTensor>),
    };
    const weightMap = Object.fromEntries(
      Object.keys(expected).map((name) => [
        name,
        name.startsWith("model.") ? "model-00002-of-00002.bin" : "model-00001-of-00002.safetensors",
      ]),
    );
    const index = `${dir}/model.safetensors.index.json`;
    await Deno.writeTextFile(
      index,
      JSON.stringify({ metadata: { total_size: 1 }, weight_map: weightMap }),
    );
    assertEquals(await detectWeightsFormat(index), "sharded");
    const tensors = await readWeights(index);
    assertTensors(tensors, expected);
    assertEquals([...tensors.keys()], Object.keys(weightMap));
    await Deno.writeTextFile(
      index,
      JSON.stringify({ weight_map: { ...weightMap, ghost: "model-00002-of-00002.bin" } }),
    );
    await rejects(
      readWeights(index),
      /tensor "ghost": the index puts it in "model-00002-of-00002\.bin", which does not hold it/,
    );
    await Deno.writeTextFile(index, JSON.stringify({ weights: {} }));
    await rejects(readWeights(index), /has no "weight_map"/);
    await Deno.writeTextFile(index, JSON.stringify({ weight_map: { x: "gone.safetensors" } }));
    await rejects(readWeights(index), /gone\.safetensors": the path does not exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
