// `sonata serve` with an image feature: the model's first layer normalizes the pixels, so the
// server answers exactly what Model.predict gives, for a data URI in JSON and for an uploaded
// image file (multipart, as Ludwig's server accepts).
import { deepEqual, equal } from "node:assert/strict";
import sharp from "sharp";
import { Model } from "../../mod.ts";
import { createHandler } from "../../lib/serve/server.ts";

async function png(bright: "top" | "bottom", shade: number): Promise<Uint8Array> {
  const px = new Uint8Array(8 * 8);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) px[y * 8 + x] = (bright === "top" ? y < 4 : y >= 4) ? 220 : shade;
  }
  return new Uint8Array(
    await sharp(px, { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer(),
  );
}

const uri = (bytes: Uint8Array) => `data:image/png;base64,${btoa(String.fromCharCode(...bytes))}`;

Deno.test("serve: image features from JSON data URIs and uploaded files", async () => {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < 16; i++) {
    const side = i % 2 === 0 ? "top" : "bottom";
    rows.push({ img: uri(await png(side, 10 + i)), label: side });
  }
  const model = await Model.create({
    input_features: [{
      name: "img",
      type: "image",
      preprocessing: { num_channels: 1 },
      encoder: { type: "stacked_cnn", conv_layers: [{ out_channels: 2 }], output_size: 4 },
    }],
    output_features: [{ name: "label", type: "category" }],
    trainer: { epochs: 2, batch_size: 8 },
    preprocessing: { split: { type: "random", probabilities: [1, 0, 0] } },
  });
  await model.train({ dataset: rows, skip_save_all: true, progress: false });
  const handler = createHandler(model);
  const bytes = await png("top", 40);
  const expected = JSON.parse(
    JSON.stringify((await model.predict([{ img: uri(bytes) }])).predictions.rows[0]),
  );
  const fromJson = await handler(
    new Request("http://127.0.0.1/predict", {
      method: "POST",
      body: JSON.stringify({ img: uri(bytes) }),
      headers: { "content-type": "application/json" },
    }),
  );
  equal(fromJson.status, 200);
  deepEqual(await fromJson.json(), expected);
  const form = new FormData();
  form.append(
    "img",
    new File([bytes.slice().buffer as ArrayBuffer], "digit.png", { type: "image/png" }),
  );
  const fromFile = await handler(
    new Request("http://127.0.0.1/predict", { method: "POST", body: form }),
  );
  equal(fromFile.status, 200, await fromFile.clone().text());
  deepEqual(await fromFile.json(), expected);
  model.tfModel?.dispose();
});
