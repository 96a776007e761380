// The inference transform of pretrained torchvision encoders (lib/data/images/decode.ts):
// Resize(shorter side, antialiased) + CenterCrop, against torchvision itself
// (tests/fixtures/torchvision/_gen_transform.py, torch 1.13 / torchvision 0.14 / PIL 9.4):
// - torchvision's tensor path (uint8 tensor, `antialias=True`, as Ludwig reads images with
//   torchvision.io): every pixel of every case exactly equal;
// - the PIL path (PIL resizes in fixed point and rounds its horizontal pass to uint8): bilinear
//   within 1 level of 255 per pixel, bicubic within 0.5 level on average (its clamped
//   intermediate pass differs most on noise: up to 13 levels on this fixture's random texture);
//   nearest is torch's `floor(i·n/m)` (the tensor path), not PIL's pixel centers.
// Through the image feature: a torchvision encoder's images are transformed so (an emoji-sized
// PNG becomes what the transform gives), and preprocessing values contradicting it are errors.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import sharp from "npm:sharp@0.35.5";
import { Model } from "../../mod.ts";
import {
  centerCrop,
  resizeShorterSide,
  shapeImage,
  type TorchvisionTransform,
  torchvisionTransform,
} from "../../lib/data/images/mod.ts";

interface Case {
  name: string;
  image: string;
  resize_size: number;
  crop_size: number;
  interpolation: TorchvisionTransform["interpolation"];
  resized_shape: [number, number];
  tensor: string;
  pil: string;
}

const FIXTURE = JSON.parse(
  await Deno.readTextFile(
    fileURLToPath(new URL("../fixtures/torchvision/transform.json", import.meta.url)),
  ),
) as {
  images: Record<string, { height: number; width: number; data: string }>;
  cases: Case[];
};

const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

function input(c: Case) {
  const im = FIXTURE.images[c.image];
  return { data: bytes(im.data), height: im.height, width: im.width, channels: 3 };
}

function transformOf(c: Case): TorchvisionTransform {
  return { resizeSize: c.resize_size, cropSize: c.crop_size, interpolation: c.interpolation };
}

function diffs(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

for (const c of FIXTURE.cases) {
  Deno.test(`torchvision transform: ${c.name} equals torchvision's tensor transform`, () => {
    const resized = resizeShorterSide(input(c), c.resize_size, c.interpolation);
    assert.deepEqual([resized.height, resized.width], c.resized_shape);
    const out = torchvisionTransform(input(c), transformOf(c));
    assert.deepEqual([out.height, out.width, out.channels], [c.crop_size, c.crop_size, 3]);
    assert.deepEqual(diffs(out.data, bytes(c.tensor)), { max: 0, mean: 0 });
  });
  if (c.interpolation === "nearest") continue;
  Deno.test(`torchvision transform: ${c.name} is close to torchvision's PIL transform`, () => {
    const d = diffs(torchvisionTransform(input(c), transformOf(c)).data, bytes(c.pil));
    if (c.interpolation === "bilinear") assert.ok(d.max <= 1, `max ${d.max}`);
    else assert.ok(d.mean <= 0.5, `mean ${d.mean}`);
  });
}

Deno.test("torchvision transform: center crop rounds half to even, pads small images with zeros", () => {
  // (5 - 2) / 2 = 1.5 → 2 rows down; (4 - 2) / 2 = 1 column across
  const image = {
    data: Uint8Array.from({ length: 20 }, (_, i) => i + 1),
    height: 5,
    width: 4,
    channels: 1,
  };
  assert.deepEqual([...centerCrop(image, 2).data], [10, 11, 14, 15]);
  const small = { data: new Uint8Array([7]), height: 1, width: 1, channels: 1 };
  assert.deepEqual([...centerCrop(small, 3).data], [0, 0, 0, 0, 7, 0, 0, 0, 0]);
});

Deno.test("torchvision transform: shapeImage applies it (channels first) and checks the target", async () => {
  const c = FIXTURE.cases[0];
  const rgb = input(c);
  const rgba = new Uint8Array(rgb.height * rgb.width * 4);
  for (let p = 0; p < rgb.height * rgb.width; p++) {
    rgba.set(rgb.data.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 128;
  }
  const target = {
    height: c.crop_size,
    width: c.crop_size,
    channels: 3,
    resize: true,
    resizeMethod: "interpolate" as const,
    convertChannels: true,
    torchvision: transformOf(c),
  };
  const out = await shapeImage({ ...rgb, data: rgba, channels: 4 }, target);
  assert.deepEqual(diffs(out, bytes(c.tensor)), { max: 0, mean: 0 });
  await assert.rejects(
    () => shapeImage(rgb, { ...target, height: c.crop_size + 1 }),
    /crops to 16x16, but the target is 17x16/,
  );
});

// A 64x64 RGBA PNG, like the emoji images of emoji-datasource-google.
async function pngUri(seed: number): Promise<string> {
  const data = new Uint8Array(64 * 64 * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101 + (i >> 8) * 13) % 256;
  const png = await sharp(data, { raw: { width: 64, height: 64, channels: 4 } }).png().toBuffer();
  return `data:image/png;base64,${btoa(String.fromCharCode(...png))}`;
}

function config(preprocessing: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    input_features: [{
      name: "image",
      type: "image",
      encoder: { type: "mobilenetv2", use_pretrained: false, trainable: false },
      preprocessing: { cache_encoder_embeddings: true, ...preprocessing },
    }],
    output_features: [{ name: "label", type: "binary" }],
    trainer: { epochs: 1, batch_size: 4 },
  };
}

Deno.test("torchvision transform: contradicting preprocessing values are errors naming them", async () => {
  const rows = [{ image: await pngUri(1), label: true }, { image: await pngUri(2), label: false }];
  for (
    const [prep, message] of [
      [
        { num_channels: 1 },
        /"preprocessing\.num_channels: 1" contradicts.*224x224 RGB.*set it to 3/,
      ],
      [{ width: 64 }, /"preprocessing\.width: 64" contradicts.*set it to 224/],
    ] as const
  ) {
    const model = await Model.create(config(prep) as never);
    await assert.rejects(
      () => model.train({ dataset: rows, skip_save_all: true, progress: false }),
      message,
    );
  }
});

Deno.test("torchvision transform: the image feature applies mobilenetv2's (resize 232, crop 224)", async () => {
  const uris = [await pngUri(3), await pngUri(4)];
  const model = await Model.create(config({ cache_encoder_embeddings: false }) as never);
  const result = await model.preprocess({
    training_set: uris.map((image, i) => ({ image, label: i === 0 })),
    skip_save_processed_input: true,
  });
  const column = result.training.columns.image;
  assert.deepEqual(column.shape, [224, 224, 3]);
  for (let r = 0; r < uris.length; r++) {
    const png = bytes(uris[r].slice(uris[r].indexOf(",") + 1));
    const raw = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.equal(raw.info.channels, 4);
    const rgb = new Uint8Array(64 * 64 * 3);
    for (let p = 0; p < 64 * 64; p++) rgb.set(raw.data.subarray(p * 4, p * 4 + 3), p * 3);
    const want = torchvisionTransform(
      { data: rgb, height: 64, width: 64, channels: 3 },
      { resizeSize: 232, cropSize: 224, interpolation: "bilinear" },
    ).data;
    const got = (column.data as Uint8Array).subarray(r * want.length, (r + 1) * want.length);
    assert.deepEqual(diffs(got, want), { max: 0, mean: 0 });
  }
});
