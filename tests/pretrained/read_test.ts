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
